"""Who may see what: sign-in for every admin page, `@admin_only` for admins' pages."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Flask, abort, request, session
from flask_login import LoginManager, current_user

from ..models import User
from .accounts import user_by_id


class _LoginManager(LoginManager):
    """Flask-Login, whose templates read `current_user` only where they use it.

    Its own context processor loads the user for every page rendered, the survey's pages
    too: on a respondent's second page that wrote a `_fresh` mark into their session
    cookie, a signed cookie more to make and send. Templates get the proxy instead,
    loaded on first use, as in views."""

    def init_app(self, app: Flask, add_context_processor: bool = True) -> None:
        super().init_app(app, add_context_processor=False)
        if add_context_processor:
            app.context_processor(lambda: {"current_user": current_user})


login_manager = _LoginManager()
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
    user = user_by_id(int(number))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def require_sign_in():
    """Run before every admin view (the blueprint registers it): the sign-in page is open,
    every other page needs a signed-in user."""
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
