"""Who has answered what: each invitation of a participant with its state and dates, for
the participants pages and `flask followups participation`. Reads only; names no one (the
pages that show contact details read them from `surveys.participants.search`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..invitation_states import State, state_of
from ..models import Invitation, Participant


@dataclass(frozen=True)
class InvitationState:
    """One invitation as the participation view shows it."""

    participant_id: int
    public_id: str
    survey_id: str
    wave: str
    state: State
    due_on: date
    # The last day the link answers (the invitation's `expires_on` is the first day it no
    # longer does): the day the messages name.
    last_day: date
    sent_at: datetime | None
    reminders_sent: int
    last_sent_at: datetime | None
    send_failures: int
    opened_at: datetime | None
    completed_at: datetime | None
    opted_out_at: datetime | None


def _row(invitation: Invitation, today: date) -> InvitationState:
    participant = invitation.participant
    return InvitationState(
        participant_id=participant.id,
        public_id=participant.public_id,
        survey_id=invitation.survey_id,
        wave=invitation.wave,
        state=state_of(invitation, today),
        due_on=invitation.due_on,
        last_day=invitation.expires_on - timedelta(days=1),
        sent_at=invitation.sent_at,
        reminders_sent=invitation.reminders_sent,
        last_sent_at=invitation.last_sent_at,
        send_failures=invitation.send_failures,
        opened_at=invitation.opened_at,
        # The person's own opt-out (or withdrawal) when the invitation has none.
        completed_at=invitation.completed_at,
        opted_out_at=invitation.opted_out_at
        or participant.opted_out_at
        or participant.consent_withdrawn_at,
    )


def _invitations(where) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .join(Participant, Invitation.participant_id == Participant.id)
            .where(where)
            .options(joinedload(Invitation.participant))
            .order_by(Participant.id, Invitation.due_on, Invitation.survey_id, Invitation.wave)
        )
    )


def participation_of(
    participant_ids: Iterable[int], today: date
) -> dict[int, list[InvitationState]]:
    """Participant id -> their invitations, oldest due first (people with none left out)."""
    ids = list(participant_ids)
    found: dict[int, list[InvitationState]] = defaultdict(list)
    if not ids:
        return found
    for invitation in _invitations(Participant.id.in_(ids)):
        found[invitation.participant_id].append(_row(invitation, today))
    return found


def participation_by_public_id(public_ids: Iterable[str], today: date) -> list[InvitationState]:
    """The invitations of the people with these public ids, or of everyone when none is
    given: what `flask followups participation` prints."""
    ids = list(public_ids)
    where = Participant.public_id.in_(ids) if ids else Participant.id.is_not(None)
    return [_row(invitation, today) for invitation in _invitations(where)]


def invited_waves() -> list[tuple[str, str]]:
    """Every (survey, wave) someone was invited to: the participants page's wave filter."""
    rows = db.session.execute(
        select(Invitation.survey_id, Invitation.wave)
        .distinct()
        .order_by(Invitation.survey_id, Invitation.wave)
    )
    return [(survey_id, wave) for survey_id, wave in rows]


def participant_by_public_id(public_id: str) -> Participant | None:
    return db.session.scalar(select(Participant).where(Participant.public_id == public_id))
