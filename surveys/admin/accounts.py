"""Staff accounts: add, change the role, deactivate or reactivate, set a password, sign
in and out. The Users page and the `users` commands both call these; each change is
audited without the password and ends the account's sessions. No change may leave the
service without an active admin. Services flush; callers commit.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ..audit_log import audit
from ..extensions import db
from ..models import User, utcnow

# The audit log's actor for a failed sign-in to no account: what was typed is not kept.
UNKNOWN_ACCOUNT = "unknown account"


class AccountRefused(Exception):
    """The change would break a rule about accounts; the message is one sentence."""


def normalised_email(text: str) -> str | None:
    """The address as accounts store it (lowercase), or None when it is not one."""
    from email_validator import EmailNotValidError, validate_email  # see followups.mail

    try:
        return validate_email(text.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def user_called(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def users_by_email() -> list[User]:
    """Every account, active or not, by email."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def generate_password() -> str:
    """20 random characters (120 bits): nobody has to be trusted to pick a good one."""
    return secrets.token_urlsafe(15)


def add_user(email: str, role: str, password: str, actor: str | None = None) -> User:
    user = User(email=email, password_hash=generate_password_hash(password), role=role)
    db.session.add(user)
    audit("user created", actor=actor, email=email, role=role)
    db.session.flush()
    return user


def _keep_an_admin(user: User, role: str, active: bool) -> None:
    """Refuse to leave no active admin: nobody could then manage accounts or surveys."""
    if role == "admin" and active:
        return
    # Read under lock (PostgreSQL; SQLite writes one at a time anyway), so two admins
    # demoting each other at once cannot both pass: the second waits, then reads anew.
    admins = set(
        db.session.scalars(
            select(User.id)
            .where(User.role == "admin", User.active.is_(True))
            .order_by(User.id)
            .with_for_update()
        )
    )
    if user.id in admins and not admins - {user.id}:
        raise AccountRefused(_("There must always be at least one active admin."))


def set_role(user: User, role: str, actor: str | None = None) -> None:
    if role == user.role:
        return
    _keep_an_admin(user, role, user.active)
    user.role = role
    user.end_sessions()
    audit("user role change", actor=actor, email=user.email, role=role)
    db.session.flush()


def set_active(user: User, active: bool, actor: str | None = None) -> None:
    if active == user.active:
        return
    _keep_an_admin(user, user.role, active)
    user.active = active
    user.end_sessions()
    audit("user reactivated" if active else "user deactivated", actor=actor, email=user.email)
    db.session.flush()


def set_password(user: User, password: str, actor: str | None = None) -> None:
    user.password_hash = generate_password_hash(password)
    user.end_sessions()
    audit("user password reset", actor=actor, email=user.email)
    db.session.flush()


def record_sign_in(user: User) -> None:
    """The right password: when, for the Users list, and in the audit log."""
    user.last_sign_in_at = utcnow()
    audit("sign in", actor=user.email)


def record_failed_sign_in(user: User | None) -> None:
    """A wrong password, or an address with no account (what was typed is not kept)."""
    audit("failed sign-in", actor=user.email if user else UNKNOWN_ACCOUNT)


def sign_out(user: User) -> None:
    """End the user's sessions everywhere: forgetting one cookie is not enough, a copy of
    it would still work."""
    user.end_sessions()
    audit("sign out", actor=user.email)
