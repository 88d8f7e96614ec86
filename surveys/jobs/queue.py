"""The task queue (Huey), one per application, and starting or retrying a job on it.

TASK_QUEUE_URL decides the store: unset, a SQLite file in the instance folder (one host:
`make run`); redis://…, a Redis shared by the web servers and the workers of every host;
sqlite:///path, a file of one's own; memory://, Huey's immediate mode, where a job runs
inside the request that starts it (tests and debugging). The task carries the job's id
and attempt only; the worker reads the rest from the database.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from ..extensions import db
from ..models import Job
from . import bundles, records

if TYPE_CHECKING:
    # Huey (with redis and psycopg, which it imports) is a fifth of a second: imported
    # when a queue is first made, so commands and pages that queue nothing never pay it.
    from huey import Huey

log = logging.getLogger(__name__)

EXTENSION = "pathways.jobs"
SQLITE = "sqlite:///"
MEMORY = "memory://"
# How often a worker deletes expired bundles (it also does at start): a crontab minute.
CLEAN_EVERY = "*/15"


@dataclass
class Queue:
    """An application's Huey and the two tasks registered on it."""

    huey: Huey
    run: Any  # the task: run_job(job_id, attempt)
    clean: Any  # the periodic task: delete expired bundles

    @property
    def immediate(self) -> bool:
        return bool(self.huey.immediate)


def make_huey(url: str | None, name: str, instance: Path) -> Huey:
    """The Huey for TASK_QUEUE_URL (see the module's docstring)."""
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    if url is None or url.startswith(SQLITE):
        path = Path(url[len(SQLITE) :]) if url else instance / "task-queue.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False)
    if url.startswith(MEMORY):
        return MemoryHuey(name, immediate=True, results=False)
    return RedisHuey(name, url=url, results=False)


def _build(app: Flask) -> Queue:
    from huey import crontab

    config = app.config["PATHWAYS"]
    huey = make_huey(config.task_queue_url, config.task_queue_name, Path(app.instance_path))

    # Each task opens the app context itself: in a worker there is none around it.
    @huey.task(name="run_job")
    def run(job_id: int, attempt: int) -> None:
        from .running import run_job

        with app.app_context():
            run_job(job_id, attempt)

    @huey.periodic_task(crontab(minute=CLEAN_EVERY), name="clean_bundles")
    def clean() -> None:
        with app.app_context():
            bundles.clean()
            db.session.commit()

    return Queue(huey, run, clean)


class _Lazy:
    """The application's queue, made on first use: commands that never queue anything
    (a survey's validation) never open the queue's store."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.made: Queue | None = None
        self.lock = threading.Lock()

    def get(self) -> Queue:
        with self.lock:
            if self.made is None:
                self.made = _build(self.app)
            return self.made


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = _Lazy(app)


def queue_of(app: Flask | None = None) -> Queue:
    lazy: _Lazy = (app or current_app).extensions[EXTENSION]
    return lazy.get()


def _enqueue(job: Job) -> None:
    """Hand the job to the queue (committed first: a worker may pick it up at once). A
    store that cannot be reached fails the job, which can be retried."""
    job_id, attempt = job.id, job.attempt
    try:
        queue_of().run(job_id, attempt)
    except Exception as error:  # noqa: BLE001 - Redis' and SQLite's errors alike
        log.exception("job %s could not be queued", job_id)
        db.session.rollback()
        current = records.job_by_id(job_id)
        if current is not None and current.state == records.QUEUED:
            current.state = records.FAILED
            current.error = f"the task queue cannot be reached: {type(error).__name__}"
            current.result = {"problem": "queue"}
            db.session.commit()


def start_job(kind: str, actor: str, options: dict[str, Any]) -> int:
    """Record a job and queue it; returns its id. Commits: the worker reads the job from
    the database, so it must be there before its task is."""
    job = records.create_job(kind, actor, options)
    db.session.commit()
    job_id = job.id
    _enqueue(job)
    return job_id


def retry_job(job: Job) -> bool:
    """Run a failed job (or one whose worker died) again, from the start; False when it
    may not be retried. Commits, then queues."""
    stale = current_app.config["PATHWAYS"].job_stale_minutes
    if not records.may_retry(job, timedelta(minutes=stale)):
        return False
    records.requeue(job)
    db.session.commit()
    bundles.discard_partials(job.id)
    _enqueue(job)
    return True
