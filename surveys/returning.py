"""Returning mentees: a person (the same email in the contacts table) who was a mentee in
another programme or term. Programmes limit a person to one mentorship and are weighing
two-term projects, so the import report, the participants page and the dashboard say so.

Contacts are read here only to group participants by email: every function returns
participant ids and terms, never an address, so nothing above this module (the dashboard,
exports) can show or write one.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from .models import Contact, Participant, Term

MENTEE = "mentee"


def returning_mentee_ids(session: Session) -> set[int]:
    """Ids of the mentees who had been a mentee in a term that ended before theirs (in any
    programme): the returning mentees the dashboard counts in their term's year."""
    this, other = aliased(Participant), aliased(Participant)
    this_contact, other_contact = aliased(Contact), aliased(Contact)
    this_term, other_term = aliased(Term), aliased(Term)
    query = (
        select(this.id)
        .join(this_contact, this_contact.participant_id == this.id)
        .join(this_term, this.term_id == this_term.id)
        .join(other_contact, other_contact.email == this_contact.email)
        .join(other, other_contact.participant_id == other.id)
        .join(other_term, other.term_id == other_term.id)
        .where(
            this.role == MENTEE,
            other.role == MENTEE,
            other.id != this.id,
            other_term.end < this_term.end,
        )
        .distinct()
    )
    return set(session.scalars(query))


def other_mentee_terms(session: Session, participant_ids: Collection[int]) -> dict[int, list[Term]]:
    """participant id -> the other terms (earliest first) the same person was a mentee in,
    for those of `participant_ids` who are mentees; a person in none is left out."""
    if not participant_ids:
        return {}
    this, other = aliased(Participant), aliased(Participant)
    this_contact, other_contact = aliased(Contact), aliased(Contact)
    query = (
        select(this.id, Term)
        .join(this_contact, this_contact.participant_id == this.id)
        .join(other_contact, other_contact.email == this_contact.email)
        .join(other, other_contact.participant_id == other.id)
        .join(Term, other.term_id == Term.id)
        .where(
            this.id.in_(list(participant_ids)),
            this.role == MENTEE,
            other.role == MENTEE,
            other.term_id != this.term_id,
        )
        .order_by(this.id, Term.end, Term.id)
    )
    found: dict[int, list[Term]] = {}
    for participant_id, term in session.execute(query):
        terms = found.setdefault(participant_id, [])
        if term not in terms:
            terms.append(term)
    return found
