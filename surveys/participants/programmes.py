"""Programmes and their terms: finding one the way the CSV import does, adding one, and
what the programmes page lists. The caller commits."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Participant, Programme, Term


def programme_called(text: str | None) -> Programme | None:
    """The programme the CSV import would pick for this text (code or name, any case)."""
    if not text:
        return None
    wanted = text.strip().lower()
    return db.session.scalar(
        select(Programme).where(
            (func.lower(Programme.code) == wanted) | (func.lower(Programme.name) == wanted)
        )
    )


def term_named(programme_id: int, name: str) -> Term | None:
    """The programme's term with exactly this name (names are unique per programme)."""
    return db.session.scalar(
        select(Term).where(Term.programme_id == programme_id, Term.name == name)
    )


def add_programme(code: str, name: str) -> Programme:
    programme = Programme(code=code, name=name)
    db.session.add(programme)
    db.session.flush()
    return programme


def add_term(programme_id: int, name: str, start: date | None, end: date) -> Term:
    term = Term(programme_id=programme_id, name=name, start=start, end=end)
    db.session.add(term)
    db.session.flush()
    return term


def programmes_by_name(with_terms: bool = False) -> Sequence[Programme]:
    query = select(Programme).order_by(Programme.name)
    if with_terms:
        query = query.options(selectinload(Programme.terms))
    return db.session.scalars(query).all()


def terms_by_programme() -> Sequence[Term]:
    """Every term, by programme name and then newest first, with its programme."""
    return db.session.scalars(
        select(Term)
        .join(Term.programme)
        .options(selectinload(Term.programme))
        .order_by(Programme.name, Term.end.desc())
    ).all()


def term_names() -> list[str]:
    """Every term name once (two programmes may both have a "2025"), newest first: what
    an export can be narrowed to, since an export's term is a name of any programme."""
    latest = func.max(Term.end)
    return list(
        db.session.scalars(select(Term.name).group_by(Term.name).order_by(latest.desc(), Term.name))
    )


def status_counts() -> dict[int, Counter]:
    """Participants per term and status, for the programmes page."""
    counts: dict[int, Counter] = defaultdict(Counter)
    rows = db.session.execute(
        select(Participant.term_id, Participant.status, func.count()).group_by(
            Participant.term_id, Participant.status
        )
    )
    for term_id, status, number in rows:
        counts[term_id][status] = number
    return counts
