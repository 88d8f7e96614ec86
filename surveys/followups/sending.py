"""Send due invitations and reminders, each marked sent in its own transaction.

One message at a time: lock one due invitation, mint its link, hand the message to the
SMTP server, record it, commit. A failure halfway loses nothing (what was sent is
recorded, what was not is still due) and a re-run sends only what is still owed. What goes
wrong with one message (its address, the server refusing it, building it) is recorded as
that invitation's failure and the others are sent; only a server that stops taking mail
stops the run.

Two senders at once never send the same message: on PostgreSQL each takes its invitation
with `FOR UPDATE SKIP LOCKED`, so the other passes over it; on SQLite, which has no row
locks, a sender holds a lock file beside the database for its whole run and a second one
leaves the work to it.
"""

from __future__ import annotations

import fcntl
import smtplib
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_date
from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Result
from sqlalchemy.orm import joinedload

from ..config import MailSettings
from ..extensions import db
from ..invitation_states import MAX_SEND_FAILURES
from ..models import Contact, Invitation, Participant, Term
from ..survey_versions import latest_version
from . import links, mail, mail_texts

PROGRESS_EVERY = 100


class SendAborted(Exception):
    """The mail server stopped taking messages; what was sent before is recorded."""


class SenderBusy(Exception):
    """Another `followups send` holds the SQLite lock."""


@dataclass
class SendFailure:
    """One message not sent, named by its invitation: never by whom it was for."""

    invitation_id: int
    survey_id: str
    wave: str
    reason: str

    def __str__(self) -> str:
        return (
            f"invitation {self.invitation_id} ({self.survey_id}, {self.wave}) "
            f"not sent: {self.reason}"
        )


@dataclass
class SendReport:
    sent: Counter = field(default_factory=Counter)  # "invitation" / "reminder" -> count
    failures: list[SendFailure] = field(default_factory=list)
    given_up: int = 0

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    @property
    def refused(self) -> int:
        """Messages not sent (the count the admin page shows and audits)."""
        return len(self.failures)

    def summary(self, dry_run: bool = False) -> str:
        verb = "would send" if dry_run else "sent"
        text = (
            f"{verb} {self.sent['invitation']} invitation(s) and "
            f"{self.sent['reminder']} reminder(s)"
        )
        if self.failures:
            text += f"; {len(self.failures)} not sent"
        if self.given_up:
            text += f"; {self.given_up} invitation(s) given up after {MAX_SEND_FAILURES} failures"
        return text


@dataclass
class Clock:
    """Today, real or simulated (`--today`); times recorded on a simulated day fall on it."""

    today: date
    simulated: bool = False

    def now(self) -> datetime:
        real = datetime.now(UTC)
        if not self.simulated:
            return real
        return datetime.combine(self.today, real.timetz())


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def due_clause(today: date, reminder_days: tuple[int, ...]):
    """Invitations owed a message today: a first one, or the next reminder."""
    first = and_(Invitation.sent_at.is_(None), Invitation.due_on <= today)
    reminders = [
        and_(
            Invitation.reminders_sent == number,
            Invitation.sent_at < _end_of(today - timedelta(days=days)),
        )
        for number, days in enumerate(reminder_days)
    ]
    return and_(
        or_(first, *reminders),
        Invitation.expires_on > today,
        Invitation.completed_at.is_(None),
        Invitation.opted_out_at.is_(None),
        Invitation.send_failures < MAX_SEND_FAILURES,
        Participant.opted_out_at.is_(None),
        Participant.consent_withdrawn_at.is_(None),
    )


def _owed(statement, today: date, reminder_days: tuple[int, ...]):
    """`statement` over the invitations owed a message today (and their people)."""
    return (
        statement.join(Participant, Invitation.participant_id == Participant.id)
        .join(Contact, Contact.participant_id == Participant.id)
        .where(due_clause(today, reminder_days))
    )


def _due_query(today: date, reminder_days: tuple[int, ...]):
    return _owed(select(Invitation), today, reminder_days)


def due_by_wave(today: date, reminder_days: tuple[int, ...]) -> dict[tuple[str, str], Counter]:
    """(survey, wave) -> messages owed today by kind ("invitation" / "reminder"): what
    `send_due` would send, on the same query."""
    # A first message or a reminder; grouped on the bare test, which PostgreSQL accepts.
    first = Invitation.sent_at.is_(None)
    rows: Result[str, str, bool, int] = db.session.execute(
        _owed(
            select(Invitation.survey_id, Invitation.wave, first, func.count()),
            today,
            reminder_days,
        ).group_by(Invitation.survey_id, Invitation.wave, first)
    )
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for survey_id, wave, is_first, number in rows:
        counts[survey_id, wave]["invitation" if is_first else "reminder"] += number
    return dict(counts)


def count_due(today: date, reminder_days: tuple[int, ...]) -> Counter:
    """Messages owed today by kind, over every survey: what `followups send --dry-run` says."""
    return sum(due_by_wave(today, reminder_days).values(), Counter())


def _next_due(today: date, reminder_days: tuple[int, ...], after_id: int) -> Invitation | None:
    query = (
        _due_query(today, reminder_days)
        .where(Invitation.id > after_id)
        .order_by(Invitation.id)
        .limit(1)
        .options(
            joinedload(Invitation.participant)
            .joinedload(Participant.term)
            .joinedload(Term.programme),
            joinedload(Invitation.participant).joinedload(Participant.contact),
        )
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Invitation)
    return db.session.scalar(query)


@contextmanager
def sender_lock() -> Iterator[None]:
    """On SQLite, one sender at a time (a lock file beside the database); elsewhere nothing."""
    if db.engine.dialect.name != "sqlite" or not db.engine.url.database:
        yield
        return
    path = f"{db.engine.url.database}.followups-send.lock"
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SenderBusy(path) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def survey_definition(survey_id: str, known: dict[str, dict | None]) -> dict | None:
    """The survey's latest definition, read once per run, not once per message."""
    if survey_id not in known:
        version = latest_version(survey_id)
        known[survey_id] = version.definition if version else None
    return known[survey_id]


def _wording(programme_id: int, kind: str, locale: str, known: dict) -> mail_texts.Wording | None:
    """The programme's own wording of this message, read once per run, not per message."""
    key = (programme_id, kind, locale)
    if key not in known:
        known[key] = mail_texts.wording_for(programme_id, kind, locale)
    return known[key]


def letter_for(
    invitation: Invitation,
    token: str,
    base: str,
    reminder: bool,
    definitions: dict,
    wordings: dict | None = None,
) -> mail.Letter | None:
    definition = survey_definition(invitation.survey_id, definitions)
    participant = invitation.participant
    contact = participant.contact
    if definition is None or contact is None:
        return None
    locale = mail.message_locale(participant.language, definition)
    with force_locale(locale):
        expires = format_date(invitation.expires_on - timedelta(days=1), format="long")
    return mail.Letter(
        to_name=contact.name,
        to_email=contact.email,
        language=participant.language,
        definition=definition,
        programme=participant.term.programme.name,
        term=participant.term.name,
        link=f"{base}/f/{token}",
        opt_out_link=f"{base}/f/{token}/opt-out",
        expires_on=expires,
        reminder=reminder,
        wording=_wording(
            participant.term.programme_id,
            "reminder" if reminder else "invitation",
            locale,
            {} if wordings is None else wordings,
        ),
    )


def send_due(
    clock: Clock,
    progress: Callable[[str], None] = lambda line: None,
    connect: Callable[[], smtplib.SMTP] | None = None,
) -> SendReport:
    """Send every message owed today; `progress` gets lines for the operator, one per
    message not sent among them. Raises SendAborted when the server stops taking mail."""
    config = current_app.config["PATHWAYS"]
    settings, base = config.mail, config.link_base
    connect = connect or (lambda: mail.connect(settings))
    report = SendReport()
    started = time.monotonic()
    last_progress = started
    with sender_lock():
        try:
            smtp = connect()
        except (OSError, smtplib.SMTPException) as error:
            raise SendAborted(
                f"cannot reach the mail server {settings.server}:{settings.port} ({error})"
            ) from None
        try:
            after_id = 0
            definitions: dict[str, dict | None] = {}
            wordings: dict[tuple[int, str, str], mail_texts.Wording | None] = {}
            while True:
                invitation = _next_due(clock.today, settings.reminder_days, after_id)
                if invitation is None:
                    db.session.rollback()
                    break
                after_id = invitation.id
                kind = "invitation" if invitation.sent_at is None else "reminder"
                token = links.new_link(invitation)
                letter = letter_for(
                    invitation, token, base, kind == "reminder", definitions, wordings
                )
                if letter is None:
                    db.session.rollback()
                    continue
                try:
                    failure = send_one(smtp, letter, settings)
                except OSError as error:  # smtplib's errors are OSErrors too
                    db.session.rollback()
                    raise SendAborted(
                        f"the mail server stopped taking messages ({error.__class__.__name__}: "
                        f"{error}); {report.total} sent before that are recorded"
                    ) from None
                if failure is not None:
                    db.session.rollback()
                    progress(str(record_failure(invitation.id, failure, report)))
                    continue
                now = clock.now()
                if kind == "invitation":
                    invitation.sent_at = now
                else:
                    invitation.reminders_sent += 1
                invitation.last_sent_at = now
                db.session.commit()
                report.sent[kind] += 1
                if report.total % PROGRESS_EVERY == 0 or time.monotonic() - last_progress > 5:
                    last_progress = time.monotonic()
                    rate = report.total / max(last_progress - started, 0.001)
                    progress(f"sent {report.total} so far ({rate:.0f} per second)")
        finally:
            with suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    return report


def send_one(smtp: smtplib.SMTP, letter: mail.Letter, settings: MailSettings) -> str | None:
    """Build and send one message: None when the server took it, else why it was not sent
    (SMTP codes, not the server's words, which often repeat the address). Errors of the
    server as a whole propagate as OSError."""
    try:
        # With a non-ASCII address, send_message uses SMTPUTF8 when the server offers it.
        smtp.send_message(mail.compose(letter, settings))
    except smtplib.SMTPRecipientsRefused as error:
        ((code, _words),) = error.recipients.values()
        return f"the mail server refused the address ({code})"
    except smtplib.SMTPNotSupportedError:
        # Raised before the transaction starts: the connection is still usable.
        return "the address needs SMTPUTF8, which the mail server does not offer"
    except smtplib.SMTPDataError as error:
        if not 500 <= error.smtp_code < 600:
            raise  # 4xx: the server's trouble for now, not this message's
        return f"the mail server refused the message ({error.smtp_code})"
    except OSError:
        raise
    except Exception as error:
        # Bad data or a bug that breaks one person's message must not stop the others'.
        return f"the message could not be made ({error.__class__.__name__})"
    return None


def record_failure(invitation_id: int, reason: str, report: SendReport) -> SendFailure:
    invitation = db.session.get_one(Invitation, invitation_id)
    invitation.send_failures += 1
    failure = SendFailure(invitation.id, invitation.survey_id, invitation.wave, reason)
    if invitation.send_failures >= MAX_SEND_FAILURES:
        report.given_up += 1
    db.session.commit()
    report.failures.append(failure)
    return failure
