"""Background jobs in REAL workers: `flask jobs worker` as a process of its own, on the
SQLite queue (the embedded default) and on the Redis queue (many hosts), against the
test database. The web side is the test client of an app configured like the worker.

What a manager notices: the export's page goes from waiting to running to done and its
bundle downloads as a valid zip; a worker killed mid-job leaves no bundle, and the job,
retried, finishes; a bundle whose time is up is deleted by the next worker."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.engine import make_url

from surveys.extensions import db
from surveys.models import AuditEvent, Job, utcnow
from tests.conftest import STAFF_PASSWORD, config_for, csrf_of

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
REDIS_URL = "redis://127.0.0.1:6379/0"
# Long enough for a worker to start (imports) and run a small export on a busy machine;
# every wait ends as soon as what it waits for is there.
PATIENCE = 180


def wait_for(what: str, check: Callable[[], object], worker: Worker | None = None):
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    log = worker.log() if worker else ""
    raise AssertionError(f"waited {PATIENCE} s for {what}; the worker's log:\n{log}")


class Worker:
    """`flask --app wsgi jobs worker` in a process (and session) of its own."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up, as when a host dies."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite-queue":
        yield f"sqlite:///{tmp_path / 'queue.db'}"
    else:
        yield REDIS_URL


@pytest.fixture
def setup(app, database, queue_url: str, tmp_path: Path, app_factory, staff):
    """(the web app, a signed-in admin client, start_worker()) sharing one queue, one
    database and one bundles folder."""
    url, options = database
    name = f"pathways-test-{uuid.uuid4().hex[:12]}"  # a queue of this test's own
    bundles = tmp_path / "bundles"
    config = config_for(url, options)
    config.task_queue_url, config.task_queue_name, config.bundles_dir = queue_url, name, bundles
    web = app_factory(config)

    worker_url = make_url(url)
    search_path = options.get("connect_args", {}).get("options")
    if search_path:  # PostgreSQL: the test's own schema, as libpq's options
        worker_url = worker_url.update_query_dict({"options": search_path})
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PATHWAYS_ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": worker_url.render_as_string(hide_password=False),
        "TASK_QUEUE_URL": queue_url,
        "TASK_QUEUE_NAME": name,
        "BUNDLES_DIR": str(bundles),
    }
    workers: list[Worker] = []

    def start_worker() -> Worker:
        worker = Worker(env, tmp_path / "worker.log")
        workers.append(worker)
        return worker

    email = staff("admin")
    admin = web.test_client()
    token = csrf_of(admin.get("/admin/login").text)
    signed = admin.post(
        "/admin/login", data={"email": email, "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert signed.status_code == 302

    runner = web.test_cli_runner()
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    result = runner.invoke(args=["dev", "synth", "--responses", "300", "--seed", "7"])
    assert result.exit_code == 0, result.output
    yield web, admin, start_worker
    for worker in workers:
        worker.stop()
    with web.app_context():
        from surveys.jobs.queue import queue_of

        queue_of(web).huey.flush()  # this test's keys out of the shared Redis


def start_export(admin) -> str:
    """Submit the exports page's form; the URL of the job's page it leads to."""
    token = csrf_of(admin.get("/admin/exports").text)
    form = {
        "survey": "intake",
        "purpose": "full",
        "format": "csv",
        "k": "5",
        "max_suppression": "0.05",
        "programme": "",
        "term": "",
        "csrf_token": token,
    }
    answer = admin.post("/admin/exports", data=form)
    assert answer.status_code == 303, answer.text[:500]
    return answer.headers["Location"]


def state_of(admin, job_url: str) -> str:
    page = admin.get(job_url)
    assert page.status_code == 200
    return BeautifulSoup(page.text, "html.parser").select_one("#job-state")["data-state"]


def download(admin, job_url: str) -> bytes:
    link = BeautifulSoup(admin.get(job_url).text, "html.parser").select_one("a#download")
    assert link is not None
    answer = admin.get(link["href"])
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    data = answer.get_data()
    answer.close()
    return data


def assert_valid_bundle(data: bytes) -> None:
    """A zip that reads back whole, whose data file has as many rows as it says."""
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        assert bundle.testzip() is None
        methodology = json.loads(bundle.read("methodology.json"))
        rows = list(csv.DictReader(io.StringIO(bundle.read("data.csv").decode("utf-8"))))
    assert len(rows) == methodology["records"] > 0


def bundle_files(web) -> list[Path]:
    return sorted(Path(web.config["PATHWAYS"].bundles_dir).glob("*.zip"))


def partial_files(web) -> list[Path]:
    return sorted((Path(web.config["PATHWAYS"].bundles_dir) / "partial").glob("*"))


def test_an_export_waits_runs_and_its_bundle_downloads_until_it_expires(setup):
    web, admin, start_worker = setup
    job_url = start_export(admin)
    # No worker yet: the job waits, and its page says so (and refreshes itself).
    page = BeautifulSoup(admin.get(job_url).text, "html.parser")
    assert page.select_one("#job-state")["data-state"] == "queued"
    assert page.select_one("meta[http-equiv=refresh]") is not None
    assert page.select_one("progress#job-progress") is not None

    worker = start_worker()
    seen = ["queued"]

    def finished() -> bool:
        state = state_of(admin, job_url)
        if state != seen[-1]:
            seen.append(state)
        return state in ("done", "failed")

    wait_for("the job to finish", finished, worker)
    assert seen in (["queued", "running", "done"], ["queued", "done"]), seen
    page = BeautifulSoup(admin.get(job_url).text, "html.parser")
    assert page.select_one("meta[http-equiv=refresh]") is None
    assert_valid_bundle(download(admin, job_url))
    with web.app_context():
        downloads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export downloaded")
        ).all()
        assert [event.actor for event in downloads] == ["admin@pathways.test"]
        (job,) = db.session.scalars(select(Job)).all()
        assert job.started_at is not None and job.finished_at is not None
    # The exports page lists it, done.
    listed = BeautifulSoup(admin.get("/admin/exports").text, "html.parser")
    assert [a.get_text(strip=True) for a in listed.select("table#jobs td a")] == ["Done"]

    # Its time is up: the worker deletes it (at start, and every quarter of an hour).
    worker.stop()
    (kept,) = bundle_files(web)
    with web.app_context():
        job = db.session.scalars(select(Job)).one()
        job.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    worker = start_worker()
    wait_for("the expired bundle to be deleted", lambda: not kept.exists(), worker)
    page = BeautifulSoup(admin.get(job_url).text, "html.parser")
    assert page.select_one("a#download") is None and page.select_one("#expired") is not None
    assert admin.get(job_url + "/bundle").status_code == 410


def test_a_worker_killed_mid_job_leaves_no_bundle_and_the_job_retried_finishes(setup):
    web, admin, start_worker = setup
    # Enough answers that the export outlasts a few polls of its page on a busy machine:
    # 300 are exported in well under a second, and the job could end between two polls.
    more = web.test_cli_runner().invoke(args=["dev", "synth", "--responses", "3000", "--seed", "8"])
    assert more.exit_code == 0, more.output
    worker = start_worker()
    job_url = start_export(admin)
    wait_for("the job to run", lambda: state_of(admin, job_url) != "queued", worker)
    worker.kill()
    assert state_of(admin, job_url) == "running", "the job ended before the worker was killed"
    assert bundle_files(web) == []

    # Nothing is heard of it any more; once that has lasted JOB_STALE_MINUTES (0 here),
    # its page says so and offers to retry it.
    web.config["PATHWAYS"].job_stale_minutes = 0
    page = admin.get(job_url).text
    retry = BeautifulSoup(page, "html.parser").select_one("form[action$='/retry'] button")
    assert retry is not None and retry.get_text(strip=True) == "Retry"
    answer = admin.post(job_url + "/retry", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 303
    assert state_of(admin, job_url) == "queued"
    assert partial_files(web) == []  # the killed attempt's partial file is gone

    worker = start_worker()
    wait_for("the retried job to finish", lambda: state_of(admin, job_url) == "done", worker)
    assert_valid_bundle(download(admin, job_url))
    assert len(bundle_files(web)) == 1 and partial_files(web) == []
