"""Where the follow-ups stand, for the admin page: invitation states per survey and wave,
and the response rate by month of sending. "Due" is counted by `sending.due_by_wave`, on
the query `followups send` sends from, so the page and the sender never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Result

from ..extensions import db
from ..models import Invitation
from .sending import due_by_wave


@dataclass(frozen=True)
class WaveCounts:
    survey_id: str
    wave: str
    invitations: int
    # First messages `followups send` would send today (reminders are not counted here).
    due: int
    sent: int
    opened: int
    answered: int
    opted_out: int
    expired: int


@dataclass(frozen=True)
class MonthRate:
    month: str  # YYYY-MM of sending
    survey_id: str
    sent: int
    answered: int

    @property
    def rate(self) -> float:
        return self.answered / self.sent if self.sent else 0.0


def _count(condition):
    """COUNT of the rows meeting `condition`: the same on SQLite and PostgreSQL."""
    return func.count(case((condition, 1)))


def wave_counts(today: date, reminder_days: tuple[int, ...]) -> list[WaveCounts]:
    """Invitation states per survey and wave. "Due" is the number of first messages
    `followups send` would send today; "expired" means the link closed without an answer."""
    due = due_by_wave(today, reminder_days)
    rows: Result[str, str, int, int, int, int, int, int] = db.session.execute(
        select(
            Invitation.survey_id,
            Invitation.wave,
            func.count(),
            _count(Invitation.sent_at.is_not(None)),
            _count(Invitation.opened_at.is_not(None)),
            _count(Invitation.completed_at.is_not(None)),
            _count(Invitation.opted_out_at.is_not(None)),
            _count(and_(Invitation.expires_on <= today, Invitation.completed_at.is_(None))),
        )
        .group_by(Invitation.survey_id, Invitation.wave)
        .order_by(Invitation.survey_id, Invitation.wave)
    )
    return [
        WaveCounts(
            survey_id,
            wave,
            invitations,
            due[survey_id, wave]["invitation"] if (survey_id, wave) in due else 0,
            sent,
            opened,
            answered,
            opted_out,
            expired,
        )
        for survey_id, wave, invitations, sent, opened, answered, opted_out, expired in rows
    ]


def _month_of(column):
    """'YYYY-MM' of a timestamp, in SQL: SQLite and PostgreSQL spell it differently."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def monthly_rates() -> list[MonthRate]:
    """Answered / sent by month of the first message, newest month first: how quickly a
    wave's answers come in, and whether recent mailings do better or worse."""
    sending = _month_of(Invitation.sent_at).label("month")
    rows: Result[str, str, int, int] = db.session.execute(
        select(
            sending,
            Invitation.survey_id,
            func.count(),
            _count(Invitation.completed_at.is_not(None)),
        )
        .where(Invitation.sent_at.is_not(None))
        .group_by(sending, Invitation.survey_id)
        .order_by(sending.desc(), Invitation.survey_id)
    )
    return [
        MonthRate(month, survey_id, sent, answered) for month, survey_id, sent, answered in rows
    ]
