"""Who may see what: sign-in for every admin page, `@admin_only` for admins' pages."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import abort, request, session
from flask_login import LoginManager, current_user

from ..extensions import db
from ..models import AuditEvent, User
from . import bp

login_manager = LoginManager()
login_manager.login_view = "admin.login"
login_manager.login_message = None  # the sign-in page says enough
# A staff session ends after this long without a request.
SESSION_LIFETIME = timedelta(hours=8)
# Endpoints open without signing in.
PUBLIC_ENDPOINTS = {"admin.login"}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session's user, unless deactivated or the session predates a bump of its
    version (`User.get_id`): the signed cookie alone cannot be revoked."""
    number, _, version = user_id.partition(":")
    if not (number.isdecimal() and version.isdecimal()):
        return None  # e.g. a bare id from before session versions
    user = db.session.get(User, int(number))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@bp.before_request
def require_sign_in():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    # Sliding expiry: each request renews the session's lifetime.
    session.permanent = True
    return None


def admin_only(view):
    """Only for admins; an analyst gets 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapped.admin_only = True
    return wrapped


def audit(action: str, actor: str | None = None, **details) -> None:
    """Record in the audit log (the caller commits). Never pass answers here."""
    who = actor or (current_user.email if current_user.is_authenticated else "anonymous")
    db.session.add(AuditEvent(actor=who[:320], action=action, details=details))
