"""Making the invitations a definition's `schedule:` calls for.

The `schedule:` key itself (wave, from, after, open_for, for) belongs to the definition
language and is checked in `surveys.definitions.schedule`. `followups schedule` creates the
invitations that are due by a given day and not yet expired; an invitation that would
already be expired is never created, so importing last year's mentees does not send them
last year's intake.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import exists, select

from ..definitions.schedule import duration
from ..extensions import db
from ..models import Invitation, Participant, SurveyVersion, Term
from ..survey_versions import latest_version


@dataclass
class ScheduleReport:
    created: Counter = field(default_factory=Counter)  # (survey id, wave) -> invitations

    @property
    def total(self) -> int:
        return sum(self.created.values())


def due_dates(schedule: dict, term: Term, participant: Participant) -> tuple[date, date]:
    """(due on, expires on) of this schedule for this participant."""
    if schedule["from"] == "term_end":
        anchor = term.end
    else:
        # A term imported without its start date: the day the participant was imported.
        anchor = term.start or participant.created_at.date()
    due = anchor + _stored_duration(schedule["after"])
    return due, due + _stored_duration(schedule["open_for"])


def _stored_duration(text: str) -> relativedelta:
    """A duration of a stored schedule, which the validator checked when it was loaded."""
    found = duration(text)
    if found is None:
        raise ValueError(f"the stored schedule has {text!r} where a duration belongs")
    return found


def scheduled_surveys() -> list[SurveyVersion]:
    """The latest version of every survey that declares a schedule."""
    ids = db.session.scalars(select(SurveyVersion.survey_id).distinct()).all()
    latest = [latest_version(survey_id) for survey_id in sorted(ids)]
    return [v for v in latest if v is not None and v.definition.get("schedule")]


def schedule_invitations(today: date) -> ScheduleReport:
    """Create every invitation that is due by `today` and still open. Safe to repeat, and
    safe when two run at once: an existing invitation is left as it is."""
    report = ScheduleReport()
    for survey_version in scheduled_surveys():
        schedule = survey_version.definition["schedule"]
        survey_id, wave = survey_version.survey_id, schedule["wave"]
        already = exists().where(
            Invitation.participant_id == Participant.id,
            Invitation.survey_id == survey_id,
            Invitation.wave == wave,
        )
        candidates = db.session.execute(
            select(Participant, Term)
            .join(Term, Participant.term_id == Term.id)
            .where(
                Participant.role.in_(schedule["roles"]),
                Participant.status.in_(schedule["statuses"]),
                Participant.opted_out_at.is_(None),
                Participant.consent_withdrawn_at.is_(None),
                ~already,
            )
            .order_by(Participant.id)
        ).all()
        rows = []
        for participant, term in candidates:
            due, expires = due_dates(schedule, term, participant)
            if due <= today < expires:
                rows.append(
                    {
                        "participant_id": participant.id,
                        "survey_id": survey_id,
                        "wave": wave,
                        "due_on": due,
                        "expires_on": expires,
                        "reminders_sent": 0,
                        "send_failures": 0,
                    }
                )
        if rows:
            result = db.session.execute(
                _insert(Invitation).on_conflict_do_nothing().returning(Invitation.id), rows
            )
            report.created[(survey_id, wave)] += len(result.all())
    return report


def _insert(table: type[Invitation]) -> Any:
    """The database's own INSERT, which knows ON CONFLICT DO NOTHING. Its dialect module
    is imported here, by the process that schedules, on the database it talks to."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        return insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
