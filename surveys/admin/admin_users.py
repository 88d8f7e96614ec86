"""Admin page for staff accounts: list, add, change the role, deactivate or reactivate,
reset the password. The CLI's `users` commands call the same services.

A new or reset password is generated here and shown once, in the response to the POST
that made it (never flashed: the session cookie is signed, not encrypted). Every change
is audited without the password and ends the account's sessions. No change may leave the
service without an active admin.
"""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash
from wtforms import EmailField, SelectField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from ..extensions import db
from ..models import USER_ROLES, User
from . import bp
from .access import admin_only, audit


class AccountRefused(Exception):
    """The change would break a rule about accounts; the message is one sentence."""


# --- services ---------------------------------------------------------------------------


def normalised_email(text: str) -> str | None:
    """The address as accounts store it (lowercase), or None when it is not one."""
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def user_called(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


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


# --- forms ------------------------------------------------------------------------------


class AddUserForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[DataRequired(), Length(max=320), Email()],
    )
    role = SelectField(_l("Role"), choices=USER_ROLES)

    def validate_email(self, field: EmailField) -> None:
        field.data = normalised_email(field.data) or field.data
        if user_called(field.data) is not None:
            raise ValidationError(_l("There is already a user with this email."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=USER_ROLES)


# --- views ------------------------------------------------------------------------------


def _users_page(
    form: AddUserForm | None = None,
    new_password: tuple[str, str] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
):
    users = db.session.scalars(select(User).order_by(User.email)).all()
    answer = make_response(
        render_template(
            "admin/users.html",
            users=users,
            roles=USER_ROLES,
            form=form or AddUserForm(formdata=None),
            new_password=new_password,
            problems=problems or [],
        ),
        status,
    )
    if new_password:
        answer.headers["Cache-Control"] = "no-store"  # nor kept in the browser's history
    return answer


@bp.get("/users")
@admin_only
def users():
    return _users_page()


@bp.post("/users")
@admin_only
def create_user():
    form = AddUserForm()
    if not form.validate_on_submit():
        return _users_page(form, status=422)
    password = generate_password()
    try:
        add_user(form.email.data, form.role.data, password)
        db.session.commit()
    except IntegrityError:  # another admin added the same address a moment ago
        db.session.rollback()
        form.email.errors = [_("There is already a user with this email.")]
        return _users_page(form, status=422)
    return _users_page(new_password=(form.email.data, password))


def _refused(error: AccountRefused):
    db.session.rollback()
    return _users_page(problems=[str(error)], status=422)


@bp.post("/users/<int:user_id>/role")
@admin_only
def change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _users_page(problems=[str(error) for error in form.role.errors], status=422)
    try:
        set_role(user, form.role.data)
    except AccountRefused as error:
        return _refused(error)
    db.session.commit()
    flash(_("%(email)s is now %(role)s.", email=user.email, role=user.role), "info")
    return redirect(url_for("admin.users"))


def _switch_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    try:
        set_active(user, active)
    except AccountRefused as error:
        return _refused(error)
    db.session.commit()
    if active:
        flash(_("%(email)s can sign in again.", email=user.email), "info")
    else:
        flash(_("%(email)s can no longer sign in.", email=user.email), "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/deactivate")
@admin_only
def deactivate_user(user_id: int):
    return _switch_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
@admin_only
def reactivate_user(user_id: int):
    return _switch_active(user_id, True)


@bp.post("/users/<int:user_id>/password")
@admin_only
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    password = generate_password()
    set_password(user, password)
    db.session.commit()
    return _users_page(new_password=(user.email, password))
