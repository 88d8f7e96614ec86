"""Sign-in and sign-out. Messages never say whether an account exists."""

from __future__ import annotations

import functools

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from limits import parse_many
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from ...extensions import db, limiter
from .. import bp, devices
from ..accounts import record_failed_sign_in, record_sign_in, sign_out, user_called


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so both cases take the same time.
    Made on first use: scrypt costs a tenth of a second that no other start should pay."""
    return generate_password_hash("not a real password")


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


# Sign-in attempts, counted before the password is checked. Per address and account: one
# account cannot be guessed at fast, and a guesser elsewhere never locks its owner out.
# Per address: one address cannot try account after account, nor fill the audit log.
ACCOUNT_LIMIT = "5 per minute;30 per hour"
ADDRESS_LIMIT = "10 per minute;100 per day"


def _sign_in_key(email: str | None = None) -> tuple[str, ...]:
    """Where attempts are counted: this address with this account, or this address."""
    key = get_remote_address() if email is None else f"{get_remote_address()}|{email}"
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    return (prefix, "sign-in", key) if prefix else ("sign-in", key)


def _counted(limits: str, key: tuple[str, ...]) -> bool:
    """Count one attempt under each of `limits`; False when one was full already."""
    return all(limiter.limiter.hit(limit, *key) for limit in parse_many(limits))


def _may_try(email: str, device: str | None) -> bool:
    """Count this attempt before its password is checked, atomically (so attempts sent in
    parallel gain nothing); False when this address has tried too often, for this account
    or in all. A browser the account signed in from before (`device`) is counted on its
    own, so what others typed from the same address never locks it out (devices.py)."""
    if not limiter.enabled:
        return True
    if device is not None:
        return _counted(ACCOUNT_LIMIT, _device_key(device))
    return _counted(ACCOUNT_LIMIT, _sign_in_key(email)) and _counted(ADDRESS_LIMIT, _sign_in_key())


def _device_key(device: str) -> tuple[str, ...]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    return (prefix, "sign-in device", device) if prefix else ("sign-in device", device)


def _forget_attempts(email: str, device: str | None) -> None:
    """After the right password: the owner's earlier typos from here stop counting."""
    if limiter.enabled:
        key = _sign_in_key(email) if device is None else _device_key(device)
        for limit in parse_many(ACCOUNT_LIMIT):
            limiter.limiter.clear(limit, *key)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.home"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = user_called(email)
        device = devices.device_of(user)
        # Refused alike whether the password is right: an answer that differed would
        # let a throttled guesser go on guessing.
        if not _may_try(email, device):
            abort(429)
        hashed = user.password_hash if user else _dummy_hash()
        if check_password_hash(hashed, form.password.data) and user and user.active:
            session.permanent = True  # the cookie expires (SESSION_LIFETIME)
            login_user(user)
            record_sign_in(user)
            db.session.commit()
            _forget_attempts(email, device)
            response = redirect(_safe_next() or url_for("admin.home"))
            devices.remember(response, user)
            return response
        record_failed_sign_in(user)
        db.session.commit()
        form.password.errors.append(_l("The email or the password is not right."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("admin/login.html", form=form), status


def _safe_next() -> str | None:
    """Only a path on this site: never an absolute URL someone slipped into ?next=."""
    target = request.args.get("next", "")
    # Control characters (CR/LF) would split the redirect's header.
    if target.startswith("/admin") and not target.startswith("//") and target.isprintable():
        return target
    return None


@bp.post("/logout")
def logout():
    # Ends the user's sessions everywhere, not only this cookie's.
    sign_out(current_user)
    db.session.commit()
    logout_user()
    return redirect(url_for("admin.login"))
