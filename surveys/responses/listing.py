"""Which responses the admin area may show, a page at a time, and one response by id.

The same responses an export reads (exports/load.py `chunks`): none of a person who
withdrew their consent, and answers without a participant only for a survey whose newest
version is public (anything answered at a public address before a survey closed stays
out). Rows carry no participant id, public id or contact: only the pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Participant, Response, SurveyVersion
from ..survey_versions import is_public, latest_version
from .pseudonyms import pseudonym


@dataclass(frozen=True)
class ResponseRow:
    """One response as the list shows it."""

    id: int
    pseudonym: str
    wave: str
    version: int
    submitted_at: datetime
    locale: str


def _readable(survey_id: str):
    """The responses to a survey that may be read, as a select of Response."""
    latest = latest_version(survey_id)
    anonymous_allowed = latest is not None and is_public(latest.definition)
    query = (
        select(Response)
        .join(Response.survey_version)
        .outerjoin(Participant, Response.participant_id == Participant.id)
        .options(contains_eager(Response.survey_version))
        .where(SurveyVersion.survey_id == survey_id)
        # An outer join: a response without a participant has no withdrawal either.
        .where(Participant.consent_withdrawn_at.is_(None))
    )
    if not anonymous_allowed:
        query = query.where(Response.participant_id.is_not(None))
    return query


def _row(response: Response) -> ResponseRow:
    return ResponseRow(
        id=response.id,
        pseudonym=pseudonym(current_app.config["SECRET_KEY"], response.participant_id, response.id),
        wave=response.wave or response.survey_version.survey_id,
        version=response.survey_version.version,
        submitted_at=response.submitted_at,
        locale=response.locale,
    )


def waves(survey_id: str) -> list[str]:
    """The waves the survey's readable responses belong to, alphabetically."""
    found = db.session.scalars(_readable(survey_id).with_only_columns(Response.wave).distinct())
    return sorted(wave for wave in found if wave)


def responses_page(
    survey_id: str, wave: str | None, page: int, per_page: int
) -> tuple[Pagination, list[ResponseRow]]:
    """One page of the survey's readable responses (of one wave, when given), newest first;
    a page past the end is empty."""
    query = _readable(survey_id)
    if wave:
        query = query.where(Response.wave == wave)
    query = query.order_by(Response.submitted_at.desc(), Response.id.desc())
    found = db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)
    return found, [_row(response) for response in found.items]


def readable_response(survey_id: str, response_id: int) -> tuple[Response, ResponseRow] | None:
    """The response, when it is one of the survey's readable responses; else None."""
    response = db.session.scalar(_readable(survey_id).where(Response.id == response_id))
    return (response, _row(response)) if response is not None else None
