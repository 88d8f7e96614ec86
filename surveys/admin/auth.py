"""Sign-in and sign-out. Messages never say whether an account exists."""

from __future__ import annotations

import functools

from flask import redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from ..extensions import db, limiter
from ..models import User, utcnow
from . import bp
from .access import audit


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so both cases take the same time.
    Made on first use: scrypt costs a tenth of a second that no other start should pay."""
    return generate_password_hash("not a real password")


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def _failed(response) -> bool:
    return request.method == "POST" and response.status_code != 302


def _sign_in_key() -> str:
    """Failures counted per address *and* account: colleagues behind one office NAT are
    not locked out by one person's typos, and one account cannot be guessed at fast."""
    email = (request.form.get("email") or "").strip().lower()[:320]
    return f"{request.remote_addr}|{email}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    "5 per minute;30 per hour", key_func=_sign_in_key, deduct_when=_failed, methods=["POST"]
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.home"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        hashed = user.password_hash if user else _dummy_hash()
        if check_password_hash(hashed, form.password.data) and user and user.active:
            session.permanent = True  # the cookie expires (SESSION_LIFETIME)
            login_user(user)
            user.last_sign_in_at = utcnow()
            audit("sign in", actor=user.email)
            db.session.commit()
            return redirect(_safe_next() or url_for("admin.home"))
        audit("failed sign-in", actor=email)
        db.session.commit()
        form.password.errors.append(_l("The email or the password is not right."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("admin/login.html", form=form), status


def _safe_next() -> str | None:
    """Only a path on this site: never an absolute URL someone slipped into ?next=."""
    target = request.args.get("next", "")
    if target.startswith("/admin") and not target.startswith("//"):
        return target
    return None


@bp.post("/logout")
def logout():
    audit("sign out")
    db.session.commit()
    logout_user()
    return redirect(url_for("admin.login"))
