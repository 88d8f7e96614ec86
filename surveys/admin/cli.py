"""`flask --app wsgi users create EMAIL --role admin|analyst [--password-stdin]`."""

from __future__ import annotations

import sys

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import USER_ROLES, User
from .access import audit

users_cli = AppGroup("users", help="Staff who sign in to the admin area.")
MIN_PASSWORD = 12


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(USER_ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff user. Without --password-stdin the password is asked twice."""
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise click.ClickException("that is not a valid email address") from None
    if db.session.scalar(select(User).where(func.lower(User.email) == address)):
        raise click.ClickException(f"there is already a user {address}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"the password must have at least {MIN_PASSWORD} characters")
    db.session.add(User(email=address, password_hash=generate_password_hash(password), role=role))
    audit("user created", actor="cli", email=address, role=role)
    db.session.commit()
    click.echo(f"created {role} {address}")
