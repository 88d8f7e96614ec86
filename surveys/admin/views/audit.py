"""Admin pages: the audit log — who did what and when, newest first, filtered by action.

Shows exactly the stored columns (when, who, action, details): the log was written to
hold options and counts only, so reading it back adds nothing anyone should not see."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from ...extensions import db
from ...models import AuditEvent
from .. import bp
from ..access import admin_only

PER_PAGE = 50
# Far beyond any real log; keeps the SQL offset within a 64-bit integer.
MAX_PAGE = 1_000_000


def known_actions() -> list[str]:
    return list(
        db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )


def audit_page(action: str | None, page: int):
    """One page of events, newest first; a page past the end is simply empty."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    return db.paginate(query, page=page, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)


@bp.get("/audit")
@admin_only
def audit_log():
    action = (request.args.get("action") or "").strip()[:64] or None
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    return render_template(
        "admin/audit_log.html",
        events=audit_page(action, page),
        action=action,
        actions=known_actions(),
    )
