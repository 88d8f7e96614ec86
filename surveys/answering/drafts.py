"""Drafts kept on the server, and the atomic submit.

A respondent's answers live in a Draft until the last page is submitted; then one
Response is stored and the draft deleted in the same transaction. Services flush,
the views commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import bindparam, delete, select
from werkzeug.datastructures import MultiDict

from ..definitions.model import Question, repeat_field
from ..extensions import db
from ..models import Draft, Response, SurveyVersion
from ..vocabulary import OTHER_SUFFIX
from .walk import page_posted_names


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_draft(token: str) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.token_hash == token_hash(token)))


# Built once: composing the statement on every page cost more than running it on SQLite.
_LATEST_WITH_DRAFT = (
    select(SurveyVersion, Draft)
    .outerjoin(Draft, Draft.token_hash == bindparam("token_hash"))
    .where(SurveyVersion.survey_id == bindparam("survey_id"))
    .order_by(SurveyVersion.version.desc())
    .limit(1)
)


def find_latest_and_draft(
    survey_id: str, token: str | None
) -> tuple[SurveyVersion | None, Draft | None]:
    """The survey's latest version and the draft `token` names (None without a token),
    in one round trip: every page of the public link needs both. A draft begun on an
    earlier version loads its own version when it is read."""
    row = db.session.execute(
        _LATEST_WITH_DRAFT,
        {"survey_id": survey_id, "token_hash": token_hash(token) if token else None},
    ).first()
    return (row[0], row[1]) if row else (None, None)


def find_submitted(token: str) -> Response | None:
    return find_submitted_key(token_hash(token))


def find_submitted_key(key: str) -> Response | None:
    return db.session.scalar(select(Response).where(Response.submission_key == key))


def start_draft(survey_version: SurveyVersion, locale: str) -> tuple[Draft, str]:
    """A new draft pinned to this version; the token goes to the browser, its hash is kept."""
    token = secrets.token_urlsafe(32)
    draft = Draft(
        token_hash=token_hash(token),
        survey_version=survey_version,
        locale=locale,
        raw={},
        furthest_page=0,
    )
    db.session.add(draft)
    db.session.flush()
    return draft, token


def invitation_key(invitation_id: int) -> str:
    """The draft and submission key of a personal link: one response per invitation."""
    return token_hash(f"invitation:{invitation_id}")


def find_invitation_draft(invitation_id: int) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.invitation_id == invitation_id))


def start_invitation_draft(
    survey_version: SurveyVersion, locale: str, invitation_id: int, known: dict[str, list[str]]
) -> Draft:
    """The draft of a personal link, pre-filled with what we already know of the person."""
    draft = Draft(
        token_hash=invitation_key(invitation_id),
        invitation_id=invitation_id,
        survey_version=survey_version,
        locale=locale,
        raw=dict(known),
        furthest_page=0,
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def save_page(
    draft: Draft,
    index: int,
    formdata: MultiDict,
    counts: Mapping[str, int] | None = None,
    shown: Collection[str] | None = None,
) -> None:
    """Keep what the respondent typed on this page, valid or not, so nothing is lost.

    A question the page showed (`shown`: the slots asked when it was shown) that was not
    posted is kept as posted empty: the respondent saw it, with its default if it has one,
    and left it so. One the page did not show is left as it was, so that its default still
    applies once an answer makes it relevant. `counts` are the repetitions it showed."""
    raw = dict(draft.raw)
    for name in page_posted_names(draft.survey_version.survey, index, counts):
        base = name.removesuffix(OTHER_SUFFIX)
        if shown is not None and name not in shown and base not in shown:
            continue
        raw[name] = formdata.getlist(name)
    draft.raw = raw


def change_repetitions(
    draft: Draft, repeat: Question, count: int, remove: int | None = None
) -> None:
    """Add a repetition to `repeat` (which has `count`), or remove repetition `remove`:
    what was typed in the later ones moves up, so nothing typed is lost but the removed."""
    raw = dict(draft.raw)
    if remove is None:
        raw[repeat.name] = [str(min(count + 1, repeat.max_count))]
    else:
        names = [n for inner in repeat.questions for n in inner.names]
        for i in range(remove, count):
            for name in names:
                following = raw.get(repeat_field(repeat.name, i + 1, name))
                if i + 1 < count and following is not None:
                    raw[repeat_field(repeat.name, i, name)] = following
                else:
                    raw.pop(repeat_field(repeat.name, i, name), None)
        raw[repeat.name] = [str(max(count - 1, repeat.min_count))]
    draft.raw = raw


def submit(draft: Draft, answers: dict[str, Any], participant_id: int | None = None) -> Response:
    """Store the response and delete the draft, in the caller's transaction.

    The draft's token hash becomes the response's unique submission key: a second submit of
    the same draft, even a concurrent one, fails on that constraint instead of storing twice.
    """
    survey_version = db.session.get(SurveyVersion, draft.survey_version_id)
    assert survey_version is not None, "versions are never deleted while a draft names them"
    response = Response(
        survey_version_id=draft.survey_version_id,
        locale=draft.locale,
        started_at=draft.started_at,
        answers=answers,
        submission_key=draft.token_hash,
        wave=survey_version.survey.wave,
        participant_id=participant_id,
    )
    db.session.add(response)
    db.session.flush()
    db.session.execute(delete(Draft).where(Draft.id == draft.id))
    return response
