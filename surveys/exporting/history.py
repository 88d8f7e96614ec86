"""What left this database, for the exports page: who exported what with which k (the
audit log is the only record of a run, refused ones included) and the register of
releases. Reads only; light, unlike `service`, so the page loads without pandas."""

from __future__ import annotations

from sqlalchemy import select

from ..audit_log import latest_events
from ..extensions import db
from ..models import AuditEvent, Release

# The audit log's actions of `run_export`.
EXPORT_ACTIONS = ("export", "export refused")


def export_history(limit: int) -> list[AuditEvent]:
    """The latest exports and refusals, newest first."""
    return latest_events(EXPORT_ACTIONS, limit)


def release_register(limit: int) -> list[Release]:
    """The latest releases, newest first: what left, for which purpose, how generalised."""
    return list(
        db.session.scalars(
            select(Release).order_by(Release.created_at.desc(), Release.id.desc()).limit(limit)
        )
    )
