"""`flask --app wsgi users create|list|deactivate|reactivate|set-role|reset-password`.

The same services as the admin Users page, audited as "cli"."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import USER_ROLES, User
from .accounts import (
    AccountRefused,
    add_user,
    generate_password,
    normalised_email,
    set_active,
    set_password,
    set_role,
    user_called,
    users_by_email,
)

users_cli = AppGroup("users", help="Staff who sign in to the admin area.")
MIN_PASSWORD = 12
CLI_ACTOR = "cli"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"the password must have at least {MIN_PASSWORD} characters")
    return password


def _user(email: str) -> User:
    user = user_called(email)
    if user is None:
        raise click.ClickException(f"there is no user {email.strip().lower()}")
    return user


def _commit(change: Callable[..., None], user: User, *args) -> None:
    """Apply a service's change and commit; a refused change exits 1 with its sentence."""
    try:
        change(user, *args, actor=CLI_ACTOR)
    except AccountRefused as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from None
    db.session.commit()


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(USER_ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff user. Without --password-stdin the password is asked twice."""
    address = normalised_email(email)
    if address is None:
        raise click.ClickException("that is not a valid email address")
    if user_called(address):
        raise click.ClickException(f"there is already a user {address}")
    password = _read_password(password_stdin)
    add_user(address, role, password, actor=CLI_ACTOR)
    db.session.commit()
    click.echo(f"created {role} {address}")


@users_cli.command("list")
def list_command() -> None:
    """Every staff user: email, role, active or deactivated, last sign-in (UTC)."""
    table = [("email", "role", "status", "last sign-in")]
    for user in users_by_email():
        table.append(
            (
                user.email,
                user.role,
                "active" if user.active else "deactivated",
                _utc_minute(user.last_sign_in_at) if user.last_sign_in_at else "never",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


def _utc_minute(moment: datetime) -> str:
    # PostgreSQL answers in the connection's time zone, SQLite with naive UTC.
    return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime("%Y-%m-%d %H:%M")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Stop a user from signing in; their open sessions end."""
    user = _user(email)
    _commit(set_active, user, False)
    click.echo(f"deactivated {user.email}")


@users_cli.command("reactivate")
@click.argument("email")
def reactivate_command(email: str) -> None:
    """Let a deactivated user sign in again."""
    user = _user(email)
    _commit(set_active, user, True)
    click.echo(f"reactivated {user.email}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(USER_ROLES))
def set_role_command(email: str, role: str) -> None:
    """Make a user an admin or an analyst; their open sessions end."""
    user = _user(email)
    _commit(set_role, user, role)
    click.echo(f"{user.email} is now {role}")


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def reset_password_command(email: str, password_stdin: bool) -> None:
    """Give a user a new password, read from stdin or generated and printed (only the
    password, once, so a script can capture it). Their open sessions end."""
    user = _user(email)
    password = _read_password(from_stdin=True) if password_stdin else generate_password()
    _commit(set_password, user, password)
    if not password_stdin:
        click.echo(password)
