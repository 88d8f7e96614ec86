"""Admin page for staff accounts: list, add, change the role, deactivate or reactivate,
reset the password. The CLI's `users` commands call the same services (`accounts`).

A new or reset password is generated here and shown once, in the response to the POST
that made it (never flashed: the session cookie is signed, not encrypted). Every change
is audited without the password and ends the account's sessions. No change may leave the
service without an active admin.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import EmailField, SelectField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from ...extensions import db
from ...models import USER_ROLES, User
from .. import bp
from ..access import admin_only
from ..accounts import (
    AccountRefused,
    add_user,
    generate_password,
    normalised_email,
    set_active,
    set_password,
    set_role,
    user_by_id,
    user_called,
    users_by_email,
)

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
    answer = make_response(
        render_template(
            "admin/users.html",
            users=users_by_email(),
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


def _user_or_404(user_id: int) -> User:
    user = user_by_id(user_id)
    if user is None:
        abort(404)
    return user


def _refused(error: AccountRefused):
    db.session.rollback()
    return _users_page(problems=[str(error)], status=422)


@bp.post("/users/<int:user_id>/role")
@admin_only
def change_role(user_id: int):
    user = _user_or_404(user_id)
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
    user = _user_or_404(user_id)
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
    user = _user_or_404(user_id)
    password = generate_password()
    set_password(user, password)
    db.session.commit()
    return _users_page(new_password=(user.email, password))
