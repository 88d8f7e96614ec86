"""Background jobs as the admin pages show them, with Huey in immediate mode (each job
runs inside the request that starts it): who may see a job, what a failed one says and
its retry, the bundles' expiry, and `flask jobs clean`. Real workers on real queues are
tests/test_jobs_worker.py's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bs4 import BeautifulSoup
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import Job, utcnow
from tests.conftest import STAFF_PASSWORD, config_for, csrf_of
from tests.test_admin_exports import download, export_job
from tests.test_export_pipeline import programme_data  # noqa: F401
from tests.test_followups import cohort  # noqa: F401


def soup(page) -> BeautifulSoup:
    return BeautifulSoup(page.text, "html.parser")


def the_job(app) -> Job:
    with app.app_context():
        job = db.session.scalars(select(Job)).one()
        db.session.expunge(job)
        return job


def test_an_expired_bundle_is_gone_from_the_page_and_the_disk(
    app,
    programme_data,  # noqa: F811
    signed_in,
    runner,
):
    analyst = signed_in("analyst")
    page = export_job(analyst)
    assert download(analyst, page).mimetype == "application/zip"
    job = the_job(app)
    bundle = Path(app.config["PATHWAYS"].bundles_dir) / job.bundle_name
    # Kept BUNDLE_HOURS (24 by default) from when it was made.
    assert job.expires_at - job.finished_at == timedelta(hours=24)
    assert "Kept until" in page.text

    # A partial file of an attempt no worker runs any more, and a fresh bundle no job
    # names (a worker killed between its rename and its record: left an hour).
    partial = bundle.parent / "partial" / f"job-{job.id}-7.zip"
    partial.write_bytes(b"PK half")
    stray = bundle.parent / "someone-else.zip"
    stray.write_bytes(b"PK")
    result = runner.invoke(args=["jobs", "clean"])
    assert result.exit_code == 0 and result.output == "deleted 1 file(s)\n"
    assert bundle.exists() and stray.exists() and not partial.exists()

    with app.app_context():
        db.session.get(Job, job.id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert analyst.get(f"/admin/jobs/{job.id}/bundle").status_code == 410
    assert runner.invoke(args=["jobs", "clean"]).output == "deleted 1 file(s)\n"
    assert not bundle.exists()
    page = soup(analyst.get(f"/admin/jobs/{job.id}"))
    assert page.select_one("a#download") is None
    assert "its time was up" in page.select_one("#expired").get_text()


def test_a_refused_export_fails_in_words_and_may_be_retried(app, runner, signed_in):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    admin = signed_in("admin")
    page = export_job(admin, k="7")
    state = soup(page).select_one("#job-state")
    assert (state["data-state"], state.get_text(strip=True)) == ("failed", "Failed")
    assert soup(page).select_one(".flash.error").get_text() == (
        "Nothing exported: there are only 0 people, and k=7 needs at least 7, "
        "so no generalisation can protect them."
    )
    job = the_job(app)
    assert job.error.startswith("nothing exported: only 0 people") and job.attempt == 1
    # Retry runs it again, from the start: here, refused again for the same reason.
    retry = admin.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": csrf_of(page.text)})
    assert retry.status_code == 303
    assert the_job(app).attempt == 2 and the_job(app).state == "failed"
    # And the exports page lists it, failed, linked to its page.
    (link,) = soup(admin.get("/admin/exports")).select("table#jobs td a")
    assert link.get_text(strip=True) == "Failed" and link["href"] == f"/admin/jobs/{job.id}"


def test_a_job_that_is_running_cannot_be_retried_until_its_worker_falls_silent(app, signed_in):
    admin = signed_in("admin")
    with app.app_context():
        job = Job(kind="export", actor="admin@pathways.test", options={"survey": "intake"})
        job.state, job.heard_at = "running", utcnow()
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    page = admin.get(f"/admin/jobs/{job_id}")
    assert soup(page).select_one("form[action$='/retry']") is None
    assert soup(page).select_one("meta[http-equiv=refresh]")["content"] == "2"
    token = csrf_of(page.text)
    answer = admin.post(f"/admin/jobs/{job_id}/retry", data={"csrf_token": token})
    assert "cannot be retried now" in admin.get(answer.headers["Location"]).text
    assert the_job(app).attempt == 1

    # Silent for longer than JOB_STALE_MINUTES (10 by default): its worker died.
    with app.app_context():
        db.session.get(Job, job_id).heard_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
    page = admin.get(f"/admin/jobs/{job_id}")
    assert "it may have stopped" in page.text
    assert soup(page).select_one("form[action$='/retry'] button").get_text() == "Retry"


def test_a_send_is_a_job_only_admins_see(app, cohort, mailbox, signed_in):  # noqa: F811
    admin = signed_in("admin")
    token = csrf_of(admin.get("/admin/followups").text)
    answer = admin.post("/admin/followups/send", data={"csrf_token": token})
    assert answer.status_code == 303
    job_url = answer.headers["Location"]
    assert soup(admin.get(job_url)).select_one("#report").get_text(strip=True) == (
        "3 invitations sent, 0 reminders sent."
    )
    analyst = signed_in("analyst")
    assert analyst.get(job_url).status_code == 403
    assert analyst.get(job_url + "/bundle").status_code == 403
    assert analyst.get("/admin/jobs/999").status_code == 404


def test_a_queue_that_cannot_be_reached_fails_the_job_which_can_be_retried(
    database, staff, app, app_factory
):
    """Redis down: the page says so instead of failing, and the job waits for a retry."""
    config = config_for(*database)
    config.task_queue_url = "redis://127.0.0.1:1/0"  # nothing listens there
    web = app_factory(config)
    runner = web.test_cli_runner()
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    email = staff("admin")
    client = web.test_client()
    token = csrf_of(client.get("/admin/login").text)
    client.post(
        "/admin/login", data={"email": email, "password": STAFF_PASSWORD, "csrf_token": token}
    )
    page = export_job(client)
    assert soup(page).select_one("#job-state")["data-state"] == "failed"
    assert "The task queue could not be reached" in soup(page).select_one(".flash.error").text
    assert soup(page).select_one("form[action$='/retry']") is not None


def test_a_worker_needs_a_queue(app, runner):
    result = runner.invoke(args=["jobs", "worker"])
    assert result.exit_code == 1
    assert "TASK_QUEUE_URL is memory://" in result.output


def test_without_a_task_queue_url_the_queue_is_a_file_in_the_instance_folder(tmp_path):
    from surveys.jobs.queue import make_huey

    huey = make_huey(None, "pathways", tmp_path)
    assert type(huey).__name__ == "SqliteHuey"
    assert (tmp_path / "task-queue.db").exists()
    assert type(make_huey("redis://127.0.0.1:6379/0", "p", tmp_path)).__name__ == "RedisHuey"
