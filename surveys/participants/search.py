"""Finding participants for the admin pages. Reads only; names and emails stay here and in
the admin pages that show them, never in exports."""

from __future__ import annotations

from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..invitation_states import NOT_ANSWERED, state_column
from ..models import Contact, Invitation, Participant, Programme, Term
from ..returning import other_mentee_terms

PER_PAGE = 50

# The participation filters: which states of an invitation put its participant in the list.
ANSWER_FILTERS: dict[str, tuple[str, ...]] = {
    "not_answered": NOT_ANSWERED,
    "bounced": ("bounced",),
}


def _matching(
    *,
    programme: str | None,
    term_id: int | None,
    status: str | None,
    role: str | None,
    text: str | None,
    answer: str | None,
    wave: tuple[str, str] | None,
    today: date | None,
) -> Select:
    query = (
        select(Participant)
        .join(Participant.term)
        .join(Term.programme)
        .outerjoin(Participant.contact)
    )
    if programme:
        query = query.where(Programme.code == programme)
    if term_id is not None:
        query = query.where(Term.id == term_id)
    if status:
        query = query.where(Participant.status == status)
    if role:
        query = query.where(Participant.role == role)
    if text:
        needle = text.lower()
        query = query.where(
            func.lower(Contact.email).contains(needle, autoescape=True)
            | func.lower(Contact.name).contains(needle, autoescape=True)
        )
    if answer or wave:
        # A person is listed when one of their invitations (of this wave) is in one of
        # the states asked for: the same rule as the state shown beside each invitation.
        invitation = exists().where(Invitation.participant_id == Participant.id)
        if wave:
            invitation = invitation.where(
                Invitation.survey_id == wave[0], Invitation.wave == wave[1]
            )
        if answer:
            if today is None:
                raise ValueError("filtering by answer needs today's date")
            invitation = invitation.where(state_column(today).in_(ANSWER_FILTERS[answer]))
        query = query.where(invitation)
    return query


def search_participants(
    *,
    programme: str | None = None,
    term_id: int | None = None,
    status: str | None = None,
    role: str | None = None,
    text: str | None = None,
    answer: str | None = None,
    wave: tuple[str, str] | None = None,
    today: date | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Pagination:
    """The participants matching every filter given (`programme` by code, `text` in the
    name or email, any case; `answer` one of ANSWER_FILTERS on `today`, `wave` a (survey,
    wave) they were invited to), newest term first, then by email; one page of them."""
    query = _matching(
        programme=programme,
        term_id=term_id,
        status=status,
        role=role,
        text=text,
        answer=answer,
        wave=wave,
        today=today,
    ).options(
        contains_eager(Participant.term).contains_eager(Term.programme),
        contains_eager(Participant.contact),
    )
    query = query.order_by(Term.end.desc(), Programme.code, Contact.email, Participant.id)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def answer_counts(
    *,
    today: date,
    programme: str | None = None,
    term_id: int | None = None,
    status: str | None = None,
    role: str | None = None,
    text: str | None = None,
    wave: tuple[str, str] | None = None,
) -> dict[str, int]:
    """How many people each participation filter would list, with the other filters as
    given: the numbers beside "not answered" and "bounced"."""
    counts = {}
    for answer in ANSWER_FILTERS:
        query = _matching(
            programme=programme,
            term_id=term_id,
            status=status,
            role=role,
            text=text,
            answer=answer,
            wave=wave,
            today=today,
        )
        counts[answer] = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return counts


def participant_by_id(participant_id: int) -> Participant | None:
    return db.session.get(Participant, participant_id)


def contact_of(participant_id: int) -> Contact | None:
    """The participant's contact details; None once erased (or for no such participant)."""
    return db.session.scalar(select(Contact).where(Contact.participant_id == participant_id))


def earlier_mentorships(participants: list[Participant]) -> dict[int, list[Term]]:
    """participant id -> the other terms the same person (same email) was a mentee in, for
    the mentees among `participants` who were; the participants page lists them."""
    return other_mentee_terms(db.session(), [participant.id for participant in participants])
