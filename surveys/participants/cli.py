"""`flask --app wsgi participants import|erase`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from .erasure import erase
from .importing import ImportRefused, import_participants

participants_cli = AppGroup("participants", help="Import and erase participants.")

DAY = click.DateTime(formats=["%Y-%m-%d"])


@participants_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--programme", required=True, help="Programme code or name, e.g. gsoc.")
@click.option("--term", required=True, help="Term name, e.g. 2025.")
@click.option("--term-end", required=True, type=DAY, help="Last day of the term, YYYY-MM-DD.")
@click.option("--term-start", type=DAY, help="First day of the term, YYYY-MM-DD.")
@click.option("--today", type=DAY, help="The day status changes are recorded on.")
def import_command(file: Path, programme, term, term_end, term_start, today) -> None:
    """Import participants from a CSV (email, name, role, language, status, status_date,
    project).

    Bad rows are listed with their line and left out; the others are imported. Exits 1
    if any row was bad.
    """
    try:
        report = import_participants(
            file.read_bytes(),
            programme=programme,
            term=term,
            term_end=term_end.date(),
            term_start=term_start.date() if term_start else None,
            today=today.date() if today else date.today(),
        )
    except ImportRefused as error:
        db.session.rollback()
        click.echo(f"{file}: nothing imported: {error}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    for problem in report.problems:
        click.echo(f"{file}: {problem}", err=True)
    click.echo(report.summary())
    for returning in report.returning:
        click.echo(f"{file}: {returning}")
    if report.problems:
        raise SystemExit(1)


@participants_cli.command("erase")
@click.argument("email")
def erase_command(email: str) -> None:
    """Remove the contact details and every answer of the person with this email."""
    report = erase(email)
    if report.participants == 0:
        db.session.rollback()
        click.echo("nobody with that email address; nothing erased", err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(
        f"erased {report.participants} participant record(s) and {report.responses} "
        "response(s); the erasure is recorded without the address"
    )
