"""What answering a personal link does to its invitation: whether the link still answers,
what is known already and need not be asked, and recording that it was opened and
answered. The follow-up blueprint calls these; the caller commits."""

from __future__ import annotations

from datetime import date
from typing import Literal

from ..definitions.model import Survey
from ..extensions import db
from ..models import Invitation, Participant, Response, utcnow

Closed = Literal["answered", "expired"]


def closed_because(invitation: Invitation, today: date) -> Closed | None:
    """Why the link can no longer be filled in, or None while it can."""
    if invitation.completed_at is not None:
        return "answered"
    if invitation.expires_on <= today:
        return "expired"
    return None


def known_answers(participant: Participant, survey: Survey) -> dict[str, list[str]]:
    """What we know already and need not ask: the programme, when the survey asks it."""
    name = survey.programme_question
    if not name or not survey.has_question(name):
        return {}
    choices = survey.choice_list(survey.question(name))
    code = participant.term.programme.code
    return {name: [code]} if choices and code in choices.codes else {}


def record_opened(invitation: Invitation) -> bool:
    """Note the first time the link was opened; False (and nothing written) after that."""
    if invitation.opened_at is not None:
        return False
    invitation.opened_at = utcnow()
    db.session.flush()
    return True


def record_answered(invitation: Invitation, response: Response) -> None:
    """The invitation is answered; a first "yes" to the consent question is the
    participant's consent."""
    now = utcnow()
    invitation.completed_at = now
    participant = invitation.participant
    if response.answers.get("consent") is True and participant.consent_given_at is None:
        participant.consent_given_at = now
    db.session.flush()
