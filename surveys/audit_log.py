"""The audit log: who did what and when — exports, erasures, sign-ins, account changes.

Every service and page that records an action calls `audit` here; the audit log page and
the exports page read it back. Details hold options and counts, never answers or contact
details. Below the services (.importlinter), so that every one of them may record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from .extensions import db
from .models import AuditEvent

# The actor of an entry made with nobody signed in and no actor given.
ANONYMOUS = "anonymous"


def audit(action: str, actor: str | None = None, **details: Any) -> None:
    """Record in the audit log (the caller commits). Never pass answers here. Without
    `actor`, the signed-in user is the one who acted. A detail that is None (an export of
    every programme, no l asked) is left out: there is nothing to record."""
    who = actor or (current_user.email if current_user.is_authenticated else ANONYMOUS)
    kept = {key: value for key, value in details.items() if value is not None}
    db.session.add(AuditEvent(actor=who[:320], action=action, details=kept))


def actions() -> list[str]:
    """Every action the log holds, alphabetically: the audit log page's filter."""
    return list(
        db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )


def events_page(action: str | None, page: int, per_page: int) -> Pagination:
    """One page of events (of one action, when given), newest first; a page past the end
    is simply empty."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def latest_events(of_actions: Iterable[str], limit: int) -> list[AuditEvent]:
    """The latest `limit` events of these actions, newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(tuple(of_actions)))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
