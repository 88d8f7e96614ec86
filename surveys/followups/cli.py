"""`flask --app wsgi followups schedule|send`: run both from cron, e.g. daily.
`followups participation` and `followups remind` are the participants page's participation
view and its actions, for one person or a few, by their public ids."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..invitation_states import STATES
from .participation import participation_by_public_id
from .reminders import remind
from .schedule import schedule_invitations
from .sending import Clock, SendAborted, SenderBusy, SendReport, count_due, send_due

# The audit log's actor for what a command did.
CLI_ACTOR = "cli"

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


def _wave(_context, _parameter, value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    survey_id, colon, wave = value.partition(":")
    if not (survey_id and colon and wave):
        raise click.BadParameter("give it as SURVEY:WAVE, like alumni:followup-1y")
    return survey_id, wave


participant_option = click.option(
    "--participant",
    "public_ids",
    multiple=True,
    metavar="PUBLIC_ID",
    help="A participant's public id (the participants page shows it); repeat for several.",
)
wave_option = click.option(
    "--wave",
    callback=_wave,
    metavar="SURVEY:WAVE",
    help="Only this survey wave's invitations, like alumni:followup-1y.",
)


def _when(moment) -> str:
    return moment.date().isoformat() if moment is not None else "-"


@followups_cli.command("participation")
@participant_option
@click.option("--state", "states", multiple=True, type=click.Choice(STATES), help="Only these.")
@today_option
def participation_command(public_ids: tuple[str, ...], states: tuple[str, ...], today) -> None:
    """Each invitation's state and dates, one line each (everyone's when no --participant):
    public id, survey, wave, state, due, sent, reminders, opened, answered, opted out, last
    day of the link."""
    clock = clock_for(today)
    for row in participation_by_public_id(public_ids, clock.today):
        if states and row.state not in states:
            continue
        click.echo(
            "\t".join(
                [
                    row.public_id,
                    row.survey_id,
                    row.wave,
                    row.state,
                    row.due_on.isoformat(),
                    _when(row.sent_at),
                    str(row.reminders_sent),
                    _when(row.opened_at),
                    _when(row.completed_at),
                    _when(row.opted_out_at),
                    row.last_day.isoformat(),
                ]
            )
        )


@followups_cli.command("remind")
@participant_option
@click.option(
    "--fresh-link",
    is_flag=True,
    help="Send a new personal link in an invitation message; reopens an expired invitation.",
)
@wave_option
@today_option
def remind_command(public_ids: tuple[str, ...], fresh_link: bool, wave, today) -> None:
    """Send a reminder now (or a fresh link) to these people, as the participants page does:
    never to whom answered, opted out, withdrew or bounced. Audited."""
    if not public_ids:
        raise click.UsageError("name at least one --participant PUBLIC_ID")
    if current_app.config["PATHWAYS"].link_base is None:
        raise click.ClickException(
            "PUBLIC_URL must be set (like https://surveys.example.org) so that the links "
            "in the messages lead to this server."
        )
    try:
        report = remind(
            public_ids, clock_for(today), fresh_link=fresh_link, wave=wave, actor=CLI_ACTOR
        )
    except SenderBusy:
        click.echo("another 'followups send' is running on this database; try again later")
        raise SystemExit(1) from None
    except SendAborted as error:
        click.echo(f"stopped: {error}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    for failure in report.failures:
        click.echo(str(failure), err=True)
    click.echo(report.summary())
    if report.failures:
        raise SystemExit(1)
