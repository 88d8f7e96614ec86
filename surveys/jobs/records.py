"""The `jobs` table: a job asked for, claimed by a worker, its progress and its end.

The worker's writes are guarded by the job's attempt: a worker given up for dead (and
its job retried) that wakes up again finds its attempt outdated and writes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import OperationalError

from ..extensions import db
from ..models import Job, utcnow

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
EXPORT, FOLLOWUPS = "export", "followups"


def create_job(kind: str, actor: str, options: dict[str, Any]) -> Job:
    """A job waiting for a worker (the caller commits, then enqueues it)."""
    job = Job(kind=kind, actor=actor[:320], options=options, state=QUEUED, result={})
    db.session.add(job)
    db.session.flush()
    return job


def job_by_id(job_id: int) -> Job | None:
    return db.session.get(Job, job_id)


def recent_jobs(kind: str, limit: int) -> list[Job]:
    """The latest jobs of a kind, newest first (the exports page's list)."""
    query = select(Job).where(Job.kind == kind).order_by(Job.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def aware(moment: datetime) -> datetime:
    """A stored time in UTC (SQLite gives it back without its zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_stale(job: Job, stale_after: timedelta, now: datetime | None = None) -> bool:
    """Waiting or running, and nothing heard of it for `stale_after`: its worker died
    (or the queue lost its task)."""
    if job.state not in (QUEUED, RUNNING):
        return False
    last = aware(job.heard_at or job.created_at)
    return last <= (now or utcnow()) - stale_after


def bundle_kept(job: Job, now: datetime | None = None) -> bool:
    """A finished export whose bundle may still be downloaded."""
    return (
        job.state == DONE
        and job.bundle_name is not None
        and job.expires_at is not None
        and aware(job.expires_at) > (now or utcnow())
    )


def may_retry(job: Job, stale_after: timedelta) -> bool:
    return job.state == FAILED or is_stale(job, stale_after)


def requeue(job: Job) -> None:
    """A new attempt of the job, from the start (the caller commits, then enqueues)."""
    job.attempt = job.attempt + 1
    job.state = QUEUED
    job.progress = 0.0
    job.step = job.step_done = job.step_total = None
    job.started_at = job.heard_at = job.finished_at = None
    job.result = {}
    job.error = None


def _guarded(job_id: int, attempt: int, state: str):
    return update(Job).where(Job.id == job_id, Job.attempt == attempt, Job.state == state)


def claim(job_id: int, attempt: int) -> Job | None:
    """Mark the job running for this attempt; None when it is not this attempt's to run
    (retried since, or already taken). Commits, so the page shows it running."""
    now = utcnow()
    claimed = cast(
        CursorResult,
        db.session.execute(
            _guarded(job_id, attempt, QUEUED).values(state=RUNNING, started_at=now, heard_at=now)
        ),
    )
    db.session.commit()
    if claimed.rowcount != 1:
        return None
    return db.session.get(Job, job_id)


def finish(job_id: int, attempt: int, **values: Any) -> None:
    """The job is done, with its result (and bundle); the caller commits."""
    now = utcnow()
    done = {"finished_at": now, "heard_at": now, **values}
    db.session.execute(
        _guarded(job_id, attempt, RUNNING).values(state=DONE, progress=1.0, step=None, **done)
    )


def fail(job_id: int, attempt: int, error: str, result: dict[str, Any] | None = None) -> None:
    """The job failed: one English sentence, and the reason as data; the caller commits."""
    now = utcnow()
    db.session.execute(
        _guarded(job_id, attempt, RUNNING).values(
            state=FAILED, finished_at=now, heard_at=now, error=error[:1000], result=result or {}
        )
    )


def note_progress(
    job_id: int,
    attempt: int,
    progress: float,
    step: str,
    done: int | None = None,
    total: int | None = None,
) -> None:
    """Record how far the job is, on a connection of its own, outside the job's session.

    Never waited for: on SQLite, a write cannot commit while the export's own read of the
    responses is open, so a busy database skips this note instead of stalling the export
    (the next step's note catches up)."""
    statement = _guarded(job_id, attempt, RUNNING).values(
        progress=progress, step=step, step_done=done, step_total=total, heard_at=utcnow()
    )
    try:
        with db.engine.connect() as connection:
            waits = None
            if connection.dialect.name == "sqlite":
                waits = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                connection.exec_driver_sql("PRAGMA busy_timeout = 0")
            try:
                connection.execute(statement)
                connection.commit()
            finally:
                if waits is not None:
                    connection.rollback()
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waits)}")
    except OperationalError as error:
        log.debug("progress of job %s not recorded: %s", job_id, error)


def expired_bundles(now: datetime) -> list[Job]:
    """Finished jobs whose bundle's time is up."""
    query = select(Job).where(Job.bundle_name.is_not(None), Job.expires_at <= now)
    return list(db.session.scalars(query))


def bundle_names() -> set[str]:
    """The bundles jobs still hold."""
    query = select(Job.bundle_name).where(Job.bundle_name.is_not(None))
    return {name for name in db.session.scalars(query) if name}


def running_attempts() -> set[tuple[int, int]]:
    """(job, attempt) of every job a worker may be writing a bundle for."""
    query = select(Job.id, Job.attempt).where(Job.state.in_((QUEUED, RUNNING)))
    return {(job_id, attempt) for job_id, attempt in db.session.execute(query)}
