"""Admin pages: a background job (an export, a send of the follow-ups) — where it stands,
refreshing itself until it ends; then the bundle to download or the send's report, or
why it failed, with "Retry" when its worker died or it failed. An export's job is open to
admins and analysts (as the exports page is), a send's to admins only (as follow-ups)."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user

from ...audit_log import audit
from ...exporting.wording import refusal_text
from ...extensions import db
from ...jobs import bundles, records
from ...jobs.labels import KINDS, STATES, STEPS
from ...jobs.queue import retry_job
from ...models import Job, utcnow
from .. import bp

# Seconds between the page's refreshes while the job waits or runs (no script needed).
REFRESH = 2


def _readable_job(job_id: int) -> Job:
    """The job, if this user may see it: a send only for admins."""
    job = records.job_by_id(job_id)
    if job is None:
        abort(404)
    if job.kind == records.FOLLOWUPS and not current_user.is_admin:
        abort(403)
    return job


def _why(job: Job) -> str | None:
    """Why the job failed, in the reader's language."""
    if job.state != records.FAILED:
        return None
    result = job.result or {}
    if "reason" in result:
        return refusal_text(result["reason"], result.get("values") or {})
    match result.get("problem"):
        case "busy":
            return _("Another sender is running on this database; it sends what is due.")
        case "aborted":
            return _("Sending stopped: %(reason)s", reason=result.get("reason", ""))
        case "queue":
            return _("The task queue could not be reached; retry when it is back.")
    return _(
        "The job stopped on an unexpected error (%(error)s); the worker's log has the details.",
        error=job.error or "",
    )


def _stale_after() -> timedelta:
    return timedelta(minutes=current_app.config["PATHWAYS"].job_stale_minutes)


@bp.get("/jobs/<int:job_id>")
def show_job(job_id: int):
    job = _readable_job(job_id)
    now = utcnow()
    available = records.bundle_kept(job, now)
    return render_template(
        "admin/job.html",
        job=job,
        kind=KINDS[job.kind],
        state=STATES[job.state],
        step=STEPS.get(job.step or ""),
        percent=format_percent(job.progress),
        refresh=REFRESH if job.state in (records.QUEUED, records.RUNNING) else None,
        stale=records.is_stale(job, _stale_after(), now),
        may_retry=records.may_retry(job, _stale_after()),
        available=available,
        why=_why(job),
    )


@bp.get("/jobs/<int:job_id>/bundle")
def download_bundle(job_id: int):
    """The finished export's bundle, while it is kept; every download is audited."""
    job = _readable_job(job_id)
    if job.kind != records.EXPORT or job.state != records.DONE:
        abort(404)
    path = bundles.path_of(job.bundle_name) if job.bundle_name else None
    if path is None or not records.bundle_kept(job):
        abort(410)
    audit("export downloaded", job=job.id, survey=job.options.get("survey"), file=path.name)
    db.session.commit()
    day = (job.finished_at or job.created_at).date().isoformat()
    return send_file(
        path,
        as_attachment=True,
        download_name=f"{job.options.get('survey', 'export')}-{day}.zip",
        mimetype="application/zip",
    )


@bp.post("/jobs/<int:job_id>/retry")
def retry(job_id: int):
    job = _readable_job(job_id)
    if not retry_job(job):
        flash(_("This job is not stopped: it cannot be retried now."), "error")
    return redirect(url_for("admin.show_job", job_id=job_id), 303)
