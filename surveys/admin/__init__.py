"""The admin area `/admin/`: sign-in with roles, then surveys, participants, follow-ups,
exports, the dashboard, the audit log and staff accounts — one module per page group in
`views/`.

Every view requires a signed-in user (checked once, for the whole blueprint, before any
view runs); admin-only views say so with `@admin_only`. Analysts see the dashboard and
exports. A test walks every admin route anonymously and as an analyst.
"""

from __future__ import annotations

from flask import Blueprint, current_app
from flask_babel import lazy_gettext as _l

from .access import require_sign_in

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_sign_in)
# The pages (`views`) are imported by `create_app`, not here: each page imports `bp`, and
# would otherwise import every other.

# The navigation: (endpoint, label, admins only). A page group that is not built yet is
# left out of the menu, so each module can arrive on its own.
NAV = [
    ("admin.home", _l("Home"), False),
    ("admin.dashboard", _l("Dashboard"), False),
    ("admin.surveys", _l("Surveys"), True),
    ("admin.programmes", _l("Programmes"), True),
    ("admin.participants", _l("Participants"), True),
    ("admin.followups", _l("Follow-ups"), True),
    ("admin.mail_texts", _l("Mail texts"), True),
    ("admin.exports", _l("Exports"), False),
    ("admin.audit_log", _l("Audit log"), True),
    ("admin.users", _l("Users"), True),
]


@bp.context_processor
def navigation() -> dict:
    return {"admin_nav": NAV, "config_endpoints": set(current_app.view_functions)}
