"""A reminder now, or a fresh link, for chosen people: the participants page's actions and
`flask followups remind`, one function for both.

Each chosen person's invitations (of one wave, when given) are taken one at a time, as
`send_due` takes them: the message is built, handed to the SMTP server and recorded in
its own transaction, and an address the server refuses is counted and recorded as that
invitation's failure while the others are sent. Nothing is sent to whom `state_of` says
has answered, opted out (or withdrawn consent) or bounced; a reminder is not sent for an
expired link, nor twice on one day.

A **fresh link** is a new personal link for the same invitation, sent now in an
invitation message (not a reminder): for the person who lost the mail. The links sent
before keep working until the invitation expires, as every link does (a lost mail is not
a leaked one). When the invitation had expired without an answer, the fresh link reopens
it for the survey's `open_for` period from today, so that the link it carries answers;
the older links answer again for that time too. A message sent by hand counts as one of
the invitation's reminders (or as its first message when none went yet), so the daily job
sends one fewer.
"""

from __future__ import annotations

import smtplib
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Literal, get_args

from flask import current_app
from sqlalchemy import select

from ..audit_log import audit
from ..definitions.schedule import DEFAULT_OPEN_FOR, duration
from ..extensions import db
from ..invitation_states import state_of
from ..models import Invitation, Participant
from . import links, mail
from .participation import participant_by_public_id
from .sending import (
    Clock,
    SendAborted,
    SendFailure,
    SendReport,
    letter_for,
    record_failure,
    send_one,
    sender_lock,
    survey_definition,
)

Outcome = Literal[
    "sent",
    "refused",
    "answered",
    "opted_out",
    "withdrawn",
    "bounced",
    "expired",
    "sent_today",
    "no_address",
    "busy",
    "no_invitation",
    "unknown",
]
# The order the outcomes are told in (the Literal's): what was sent, then why the rest was not.
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# English for the command and the audit log; the page words them in its reader's language.
OUTCOME_TEXT: dict[Outcome, str] = {
    "sent": "sent",
    "refused": "refused by the mail server",
    "answered": "skipped, already answered",
    "opted_out": "skipped, opted out",
    "withdrawn": "skipped, consent withdrawn",
    "bounced": "skipped, bounced",
    "expired": "skipped, the link has expired (send a fresh link instead)",
    "sent_today": "skipped, a message went today already",
    "no_address": "skipped, no contact details (erased) or no survey",
    "busy": "skipped, another sender is sending it",
    "no_invitation": "people with no invitation",
    "unknown": "unknown participant ids",
}


@dataclass
class ReminderReport:
    """How many invitations ended in each outcome (people, for the last two)."""

    outcomes: Counter = field(default_factory=Counter)
    failures: list[SendFailure] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.outcomes["sent"]

    def counts(self) -> dict[Outcome, int]:
        """Outcome -> number, in order, the ones that happened: for the audit log."""
        return {outcome: self.outcomes[outcome] for outcome in OUTCOMES if self.outcomes[outcome]}

    def summary(self) -> str:
        parts = [f"{number} {OUTCOME_TEXT[outcome]}" for outcome, number in self.counts().items()]
        return "; ".join(parts) or "nothing to send"


def _skipped(invitation: Invitation, clock: Clock, fresh_link: bool) -> Outcome | None:
    """Why no message goes for this invitation now, or None when one does."""
    state = state_of(invitation, clock.today)
    participant = invitation.participant
    if state == "answered":
        return "answered"
    if state == "opted_out":
        return "withdrawn" if participant.consent_withdrawn_at is not None else "opted_out"
    if state == "bounced":
        return "bounced"
    if participant.contact is None:
        return "no_address"
    if fresh_link:
        return None
    if state == "expired":
        return "expired"
    if invitation.last_sent_at is not None and invitation.last_sent_at.date() == clock.today:
        return "sent_today"
    return None


def _locked(invitation_id: int) -> Invitation | None:
    """The invitation, locked for this message on PostgreSQL (None while another sender
    holds it); on SQLite `sender_lock` keeps other senders out for the whole run."""
    query = select(Invitation).where(Invitation.id == invitation_id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Invitation)
    return db.session.scalar(query)


def _reopen(invitation: Invitation, clock: Clock, definition: dict | None) -> None:
    """An expired invitation opens again for the survey's `open_for` period from today."""
    schedule = (definition or {}).get("schedule") or {}
    period = duration(schedule.get("open_for", DEFAULT_OPEN_FOR)) or duration(DEFAULT_OPEN_FOR)
    assert period is not None
    invitation.expires_on = clock.today + period


def remind(
    public_ids: Iterable[str],
    clock: Clock,
    *,
    fresh_link: bool = False,
    wave: tuple[str, str] | None = None,
    actor: str | None = None,
    connect: Callable[[], smtplib.SMTP] | None = None,
) -> ReminderReport:
    """Send a reminder (or, with `fresh_link`, a fresh link) for each invitation of these
    people (of `wave`, a (survey, wave), when given) that may have one, and record it in
    the audit log by its counts (the caller commits that entry). Commits each message;
    raises SendAborted when the server cannot be reached or stops taking mail (what was
    sent before is recorded and audited), SenderBusy when another sender holds the SQLite
    lock."""
    public_ids = list(dict.fromkeys(public_ids))
    action = "fresh links sent" if fresh_link else "reminders sent"
    report = ReminderReport()
    try:
        _remind(public_ids, clock, report, fresh_link, wave, connect)
    except SendAborted:
        audit(action, actor=actor, people=len(public_ids), stopped=True, **report.counts())
        db.session.commit()
        raise
    audit(action, actor=actor, people=len(public_ids), **report.counts())
    return report


def _remind(
    public_ids: list[str],
    clock: Clock,
    report: ReminderReport,
    fresh_link: bool,
    wave: tuple[str, str] | None,
    connect: Callable[[], smtplib.SMTP] | None,
) -> None:
    config = current_app.config["PATHWAYS"]
    settings, base = config.mail, config.link_base
    connect = connect or (lambda: mail.connect(settings))
    failures = SendReport()
    definitions: dict[str, dict | None] = {}
    smtp: smtplib.SMTP | None = None
    with sender_lock():
        try:
            for public_id in public_ids:
                participant = participant_by_public_id(public_id)
                if participant is None:
                    report.outcomes["unknown"] += 1
                    continue
                invitation_ids = _invitation_ids(participant, wave)
                if not invitation_ids:
                    report.outcomes["no_invitation"] += 1
                for invitation_id in invitation_ids:
                    invitation = _locked(invitation_id)
                    if invitation is None:
                        report.outcomes["busy"] += 1
                        continue
                    skipped = _skipped(invitation, clock, fresh_link)
                    if skipped is not None:
                        db.session.rollback()
                        report.outcomes[skipped] += 1
                        continue
                    if smtp is None:
                        smtp = _connected(connect, settings)
                    outcome = _send_one(
                        smtp, invitation, clock, fresh_link, base, definitions, failures
                    )
                    report.outcomes[outcome] += 1
        finally:
            if smtp is not None:
                with suppress(OSError, smtplib.SMTPException):
                    smtp.quit()
            report.failures = failures.failures


def _invitation_ids(participant: Participant, wave: tuple[str, str] | None) -> list[int]:
    query = select(Invitation.id).where(Invitation.participant_id == participant.id)
    if wave is not None:
        query = query.where(Invitation.survey_id == wave[0], Invitation.wave == wave[1])
    return list(db.session.scalars(query.order_by(Invitation.due_on, Invitation.id)))


def _connected(connect: Callable[[], smtplib.SMTP], settings) -> smtplib.SMTP:
    try:
        return connect()
    except (OSError, smtplib.SMTPException) as error:
        db.session.rollback()
        raise SendAborted(
            f"cannot reach the mail server {settings.server}:{settings.port} ({error})"
        ) from None


def _send_one(
    smtp: smtplib.SMTP,
    invitation: Invitation,
    clock: Clock,
    fresh_link: bool,
    base: str | None,
    definitions: dict[str, dict | None],
    failures: SendReport,
) -> Outcome:
    """Build, send and record one message, as `send_due` does; "sent", "refused" or
    "no_address" (no survey to send)."""
    first = invitation.sent_at is None
    if fresh_link and clock.today >= invitation.expires_on:
        _reopen(invitation, clock, survey_definition(invitation.survey_id, definitions))
    token = links.new_link(invitation)
    # A fresh link, and a first message, read as an invitation; the others as reminders.
    letter = letter_for(invitation, token, base or "", not (fresh_link or first), definitions)
    if letter is None:
        db.session.rollback()
        return "no_address"
    try:
        failure = send_one(smtp, letter, current_app.config["PATHWAYS"].mail)
    except OSError as error:  # smtplib's errors are OSErrors too
        db.session.rollback()
        raise SendAborted(
            f"the mail server stopped taking messages ({error.__class__.__name__}: {error})"
        ) from None
    if failure is not None:
        db.session.rollback()
        record_failure(invitation.id, failure, failures)
        return "refused"
    now = clock.now()
    if first:
        invitation.sent_at = now
    else:
        invitation.reminders_sent += 1
    invitation.last_sent_at = now
    db.session.commit()
    return "sent"
