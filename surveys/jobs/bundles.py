"""Where finished export bundles wait for their download, and how they get there.

A bundle is written under `partial/` with its job's id and attempt in the name, and moved
into the bundles folder by a rename only once the export has verified and recorded it: a
worker killed mid-job leaves at most a partial file (removed by the next clean or retry),
never a bundle that looks finished. A bundle is kept `BUNDLE_HOURS`, then deleted.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from werkzeug.utils import secure_filename

from ..models import utcnow
from . import records

log = logging.getLogger(__name__)

PARTIAL = "partial"


def folder() -> Path:
    """The bundles folder (created when missing): BUNDLES_DIR, or the instance folder's."""
    configured = current_app.config["PATHWAYS"].bundles_dir
    path = Path(configured) if configured else Path(current_app.instance_path) / "bundles"
    (path / PARTIAL).mkdir(parents=True, exist_ok=True)
    return path


def partial_path(job_id: int, attempt: int) -> Path:
    return folder() / PARTIAL / f"job-{job_id}-{attempt}.zip"


def bundle_name(job_id: int, survey_id: str, day: str) -> str:
    return secure_filename(f"{survey_id}-{day}-job{job_id}.zip")


def keep(partial: Path, name: str) -> Path:
    """Move a complete bundle into the folder: one rename, so it appears whole or not at
    all (the partial folder is inside the bundles folder: the same file system)."""
    final = folder() / name
    os.replace(partial, final)
    return final


def path_of(name: str) -> Path | None:
    """The bundle's file, when it is still there."""
    path = folder() / name
    return path if path.is_file() else None


def expiry(finished: datetime) -> datetime:
    return finished + timedelta(hours=current_app.config["PATHWAYS"].bundle_hours)


def discard_partials(job_id: int) -> None:
    """Every partial file of a job (its earlier attempts', on retry)."""
    for path in (folder() / PARTIAL).glob(f"job-{job_id}-*.zip"):
        path.unlink(missing_ok=True)


def clean(now: datetime | None = None) -> int:
    """Delete expired bundles, and files no job will finish or hand out: partial files of
    attempts no longer running, bundles no job names. Returns how many files went. The
    caller commits (the jobs forget their expired bundles)."""
    now = now or utcnow()
    gone = 0
    for job in records.expired_bundles(now):
        if job.bundle_name:
            (folder() / job.bundle_name).unlink(missing_ok=True)
            gone += 1
        job.bundle_name = None
    live = records.running_attempts()
    for path in (folder() / PARTIAL).glob("job-*-*.zip"):
        job_id, attempt = _job_and_attempt(path)
        if (job_id, attempt) not in live:
            path.unlink(missing_ok=True)
            gone += 1
    kept = records.bundle_names()
    # A bundle renamed by a worker killed before it recorded the job done: nobody can
    # download it. Left alone for a while, in case its job is being recorded right now.
    settled = (now - timedelta(hours=1)).timestamp()
    for path in folder().glob("*.zip"):
        if path.name not in kept and path.stat().st_mtime < settled:
            path.unlink(missing_ok=True)
            gone += 1
    if gone:
        log.info("deleted %d bundle file(s)", gone)
    return gone


def _job_and_attempt(path: Path) -> tuple[int, int]:
    try:
        _, job_id, attempt = path.stem.split("-")
        return int(job_id), int(attempt)
    except ValueError:
        return -1, -1
