"""`flask --app wsgi jobs worker|clean`: run a worker for the admin area's background
jobs, and delete expired export bundles."""

from __future__ import annotations

import logging

import click
from flask.cli import AppGroup

from ..extensions import db
from . import bundles
from .queue import queue_of

jobs_cli = AppGroup("jobs", help="Run a worker for background jobs; delete expired bundles.")


@jobs_cli.command("worker")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Jobs run at once by this process (threads). For more, start more processes.",
)
def worker_command(workers: int) -> None:
    """Run jobs from the task queue until stopped (Ctrl-C waits for the running jobs to
    finish; SIGTERM stops at once, and a job cut short can be retried from its page)."""
    queue = queue_of()
    if queue.immediate:
        raise click.ClickException(
            "TASK_QUEUE_URL is memory://: jobs run inside the web request that starts "
            "them, so there is no queue for a worker to take them from."
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # What a previous worker left behind goes first, then every CLEAN_EVERY.
    bundles.clean()
    db.session.commit()
    # Threads, not processes: the database connections and the app are made once, here.
    consumer = queue.huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, max_delay=1.0
    )
    consumer.run()


@jobs_cli.command("clean")
def clean_command() -> None:
    """Delete expired bundles and what killed workers left behind."""
    gone = bundles.clean()
    db.session.commit()
    click.echo(f"deleted {gone} file(s)")
