"""Finding participants for the admin pages. Reads only; names and emails stay here and in
the admin pages that show them, never in exports."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Contact, Participant, Programme, Term
from ..returning import other_mentee_terms

PER_PAGE = 50


def search_participants(
    *,
    programme: str | None = None,
    term_id: int | None = None,
    status: str | None = None,
    role: str | None = None,
    text: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Pagination:
    """The participants matching every filter given (`programme` by code, `text` in the
    name or email, any case), newest term first, then by email; one page of them."""
    query = (
        select(Participant)
        .join(Participant.term)
        .join(Term.programme)
        .outerjoin(Participant.contact)
        .options(
            contains_eager(Participant.term).contains_eager(Term.programme),
            contains_eager(Participant.contact),
        )
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
    query = query.order_by(Term.end.desc(), Programme.code, Contact.email, Participant.id)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def participant_by_id(participant_id: int) -> Participant | None:
    return db.session.get(Participant, participant_id)


def contact_of(participant_id: int) -> Contact | None:
    """The participant's contact details; None once erased (or for no such participant)."""
    return db.session.scalar(select(Contact).where(Contact.participant_id == participant_id))


def earlier_mentorships(participants: list[Participant]) -> dict[int, list[Term]]:
    """participant id -> the other terms the same person (same email) was a mentee in, for
    the mentees among `participants` who were; the participants page lists them."""
    return other_mentee_terms(db.session(), [participant.id for participant in participants])
