"""Admin pages: the audit log — who did what and when, newest first, filtered by action.

Shows exactly the stored columns (when, who, action, details): the log was written to
hold options and counts only, so reading it back adds nothing anyone should not see."""

from __future__ import annotations

from flask import render_template, request

from ...audit_log import actions, events_page
from .. import bp
from ..access import admin_only

PER_PAGE = 50
# Far beyond any real log; keeps the SQL offset within a 64-bit integer.
MAX_PAGE = 1_000_000


@bp.get("/audit")
@admin_only
def audit_log():
    action = (request.args.get("action") or "").strip()[:64] or None
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    return render_template(
        "admin/audit_log.html",
        events=events_page(action, page, PER_PAGE),
        action=action,
        actions=actions(),
    )
