"""`flask --app wsgi followups schedule|send`: run both from cron, e.g. daily."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from .schedule import schedule_invitations
from .sending import Clock, SendAborted, SenderBusy, SendReport, count_due, send_due

followups_cli = AppGroup("followups", help="Schedule and send follow-up invitations.")

today_option = click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Act as if today were this day (YYYY-MM-DD), to simulate or catch up.",
)


def clock_for(today) -> Clock:
    if today is None:
        return Clock(date.today())
    return Clock(today.date(), simulated=True)


@followups_cli.command("schedule")
@today_option
def schedule_command(today) -> None:
    """Create the invitations that are due and do not exist yet."""
    clock = clock_for(today)
    report = schedule_invitations(clock.today)
    db.session.commit()
    for (survey_id, wave), count in sorted(report.created.items()):
        click.echo(f"{survey_id} ({wave}): {count} new invitation(s)")
    click.echo(f"{report.total} invitation(s) created for {clock.today.isoformat()}")


@followups_cli.command("send")
@click.option("--dry-run", is_flag=True, help="Count what is due; send and change nothing.")
@today_option
def send_command(dry_run: bool, today) -> None:
    """Send due invitations and reminders by SMTP; safe to run again, or twice at once."""
    clock = clock_for(today)
    config = current_app.config["PATHWAYS"]
    if dry_run:
        report = SendReport(sent=count_due(clock.today, config.mail.reminder_days))
        click.echo(report.summary(dry_run=True))
        return
    if config.link_base is None:
        raise click.ClickException(
            "PUBLIC_URL must be set (like https://surveys.example.org) so that the links "
            "in the messages lead to this server."
        )
    try:
        report = send_due(clock, progress=lambda line: click.echo(line, err=True))
    except SenderBusy:
        click.echo("another 'followups send' is running on this database; it sends what is due")
        return
    except SendAborted as error:
        click.echo(f"stopped: {error}", err=True)
        raise SystemExit(1) from None
    click.echo(report.summary())
    if report.failures:
        raise SystemExit(1)
