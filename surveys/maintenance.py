"""Housekeeping for cron: `flask --app wsgi maintenance purge-drafts [--older-than 30d]`;
and whether the database answers, for `/healthz`.

A draft holds what someone typed before submitting: free text, demographics. One nobody
has touched for a while was abandoned, and one whose invitation has expired can never be
submitted; neither is worth keeping someone's answers for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import click
from dateutil.relativedelta import relativedelta
from flask.cli import AppGroup
from sqlalchemy import CursorResult, delete, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from .definitions.schedule import duration
from .extensions import db, vacuum_after_commit
from .models import Draft, Invitation, utcnow

maintenance_cli = AppGroup("maintenance", help="Housekeeping to run from cron.")

DEFAULT_AGE = "30d"


def purge_drafts(older_than: relativedelta, now: datetime | None = None) -> int:
    """Delete drafts not updated for longer than `older_than` and drafts of expired
    invitations; return how many. The caller commits."""
    now = now or utcnow()
    # The same rule as the personal link's: expired from its `expires_on` day on.
    expired = select(Invitation.id).where(Invitation.expires_on <= now.date())
    result = db.session.execute(
        delete(Draft).where(
            or_(Draft.updated_at < now - older_than, Draft.invitation_id.in_(expired))
        ),
        execution_options={"synchronize_session": False},
    )
    vacuum_after_commit(db.session, [Draft.__tablename__])
    # A DELETE's result is a CursorResult, which has the count; Session.execute types it as
    # any Result.
    return cast(CursorResult[Any], result).rowcount


def database_answers() -> bool:
    """Whether the database answers a query now. A failed one is rolled back, so the
    session is usable again when the database is."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True


@maintenance_cli.command("purge-drafts")
@click.option(
    "--older-than",
    default=DEFAULT_AGE,
    show_default=True,
    help="Remove drafts not updated for this long: 14d, 8w, 6m, 1y …",
)
def purge_drafts_command(older_than: str) -> None:
    """Remove abandoned drafts and drafts of expired invitations; print how many."""
    age = duration(older_than)
    if not age:  # not a duration, or zero: every draft being filled right now would go
        raise click.ClickException(
            f"--older-than takes a number of days, weeks, months or years above zero, "
            f"like 30d, 8w, 6m or 1y, not {older_than!r}."
        )
    removed = purge_drafts(age)
    db.session.commit()
    click.echo(
        f"removed {removed} draft(s) not updated for {older_than.strip()} or of an "
        "expired invitation"
    )
