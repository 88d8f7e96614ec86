"""Opting out from a personal link: stop the mail, or also withdraw consent.

Both hold for the participant, not just this invitation, so no later survey is sent
either (`sending.due_clause` and the scheduler read them). Doing it again changes
nothing: the first day stays recorded.
"""

from __future__ import annotations

from typing import Literal

from ..extensions import db
from ..models import Invitation, Participant, utcnow

Choice = Literal["stop_mail", "withdraw_consent"]


def record_opt_out(invitation: Invitation, withdraw_consent: bool = False) -> None:
    """No more mail for this invitation's participant; with `withdraw_consent`, their
    consent is withdrawn too. The caller commits."""
    participant = invitation.participant
    now = utcnow()
    if participant.opted_out_at is None:
        participant.opted_out_at = now
    if invitation.opted_out_at is None:
        invitation.opted_out_at = now
    if withdraw_consent and participant.consent_withdrawn_at is None:
        participant.consent_withdrawn_at = now
    db.session.flush()


def choice_made(participant: Participant) -> Choice | None:
    """What the participant chose already, the stronger choice first; None if nothing."""
    if participant.consent_withdrawn_at is not None:
        return "withdraw_consent"
    if participant.opted_out_at is not None:
        return "stop_mail"
    return None
