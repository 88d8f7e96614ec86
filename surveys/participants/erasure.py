"""Erase a person: contact details, answers, drafts, invitations, links and status history.

What remains is one `Erasure` row saying that an erasure happened and how much it removed,
never whose. Answers given on the anonymous public link carry no participant id and cannot
be found by email; they were never linked to the person in the first place.

The deleted rows' bytes go too: SQLite overwrites them (`secure_delete`, on every
connection), and on PostgreSQL the touched tables are vacuumed once the caller commits.
What neither can reach (WAL, backups) is in the README's production section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db, vacuum_after_commit
from ..models import (
    Contact,
    Draft,
    Erasure,
    Invitation,
    Participant,
    PersonalLink,
    Response,
    StatusChange,
    Term,
)

ERASED_TABLES = tuple(
    model.__tablename__
    for model in (PersonalLink, Draft, Response, Invitation, StatusChange, Contact, Participant)
)


@dataclass
class ErasureReport:
    participants: int
    responses: int


@dataclass
class ErasurePreview:
    """What `erase` would remove, shown before the admin confirms."""

    records: Sequence[Participant]  # with their term and programme loaded
    responses: int
    invitations: int


def erasure_preview(email: str) -> ErasurePreview:
    """What `erase(email)` would remove: every participant record with this address."""
    ids = select(Contact.participant_id).where(func.lower(Contact.email) == email.lower())
    records = db.session.scalars(
        select(Participant)
        .where(Participant.id.in_(ids))
        .options(selectinload(Participant.term).selectinload(Term.programme))
        .order_by(Participant.id)
    ).all()

    def count(model) -> int:
        return (
            db.session.scalar(
                select(func.count()).select_from(model).where(model.participant_id.in_(ids))
            )
            or 0
        )

    return ErasurePreview(records, count(Response), count(Invitation))


def erase(email: str) -> ErasureReport:
    """Delete everything of every participant with this email, in the caller's transaction."""
    wanted = email.strip().lower()
    ids = list(
        db.session.scalars(
            select(Contact.participant_id).where(func.lower(Contact.email) == wanted)
        )
    )
    if not ids:
        return ErasureReport(0, 0)
    invitations = select(Invitation.id).where(Invitation.participant_id.in_(ids))
    responses = (
        db.session.scalar(
            select(func.count()).select_from(Response).where(Response.participant_id.in_(ids))
        )
        or 0
    )
    for statement in (
        delete(PersonalLink).where(PersonalLink.invitation_id.in_(invitations)),
        delete(Draft).where(Draft.invitation_id.in_(invitations)),
        delete(Response).where(Response.participant_id.in_(ids)),
        delete(Invitation).where(Invitation.participant_id.in_(ids)),
        delete(StatusChange).where(StatusChange.participant_id.in_(ids)),
        delete(Contact).where(Contact.participant_id.in_(ids)),
        delete(Participant).where(Participant.id.in_(ids)),
    ):
        db.session.execute(statement, execution_options={"synchronize_session": False})
    vacuum_after_commit(db.session, ERASED_TABLES)
    db.session.add(Erasure(participants=len(ids), responses=responses))
    return ErasureReport(len(ids), responses)
