"""Storing survey definitions as immutable versions, and finding the one to serve."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from .extensions import db
from .models import Response, SurveyVersion


class VersionConflict(Exception):
    """The same (id, version) is already stored with other content."""


def content_hash(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def store_definition(definition: dict[str, Any]) -> tuple[SurveyVersion, bool]:
    """Add a normalised definition as a new version; return it and whether it was new.

    The same (id, version) with identical content is a no-op; with other content it is a
    VersionConflict, because responses already pinned to that version must keep meaning
    what they meant.
    """
    digest = content_hash(definition)
    existing = db.session.scalar(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == definition["id"],
            SurveyVersion.version == definition["version"],
        )
    )
    if existing is not None:
        if existing.content_hash != digest:
            raise VersionConflict(
                f"{definition['id']} version {definition['version']} is already loaded with "
                "different content; bump the version to publish a change."
            )
        return existing, False
    title = definition["title"][definition["default_language"]]
    survey_version = SurveyVersion(
        survey_id=definition["id"],
        version=definition["version"],
        title=title[:300],
        definition=definition,
        content_hash=digest,
    )
    db.session.add(survey_version)
    db.session.flush()
    return survey_version, True


def is_public(definition: dict[str, Any]) -> bool:
    """Whether anyone may answer at /s/<id>: only when the definition says `public: true`.
    Any other survey (follow-ups, mentors) is answered only through personal links."""
    return definition.get("public") is True


def survey_ids() -> list[str]:
    """The id of every stored survey, once, alphabetically."""
    return list(
        db.session.scalars(
            select(SurveyVersion.survey_id).distinct().order_by(SurveyVersion.survey_id)
        )
    )


# The survey every mentee answers when joining: its answers are a programme's core.
INTAKE = "intake"


def core_survey(ids: list[str]) -> str | None:
    """Of these stored surveys, the one whose answers are the programme's core (what a
    form offers first): `intake`, else the first public one, else the first."""
    if INTAKE in ids:
        return INTAKE
    for survey_id in ids:
        version = latest_version(survey_id)
        if version is not None and is_public(version.definition):
            return survey_id
    return ids[0] if ids else None


def answerable_programmes() -> dict[str, Mapping[str, str]]:
    """The programmes respondents may name in a survey's `programme_question` (an
    anonymous intake's programme), by code, with their labels by language: of every stored
    version, for answers to an older one name its codes."""
    found: dict[str, Mapping[str, str]] = {}
    versions = db.session.scalars(
        select(SurveyVersion)
        .options(undefer(SurveyVersion.stored_definition))
        .order_by(SurveyVersion.id)
    )
    for version in versions:
        survey = version.survey
        name = survey.programme_question
        if not name or not survey.has_question(name):
            continue
        choices = survey.choice_list(survey.question(name))
        found.update({choice.code: choice.label for choice in choices.choices} if choices else {})
    return found


def latest_version(survey_id: str) -> SurveyVersion | None:
    return db.session.scalar(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey_id)
        .order_by(SurveyVersion.version.desc())
        .limit(1)
    )


def stored_version(survey_id: str, version: int) -> SurveyVersion | None:
    """One published version of a survey, or None."""
    return db.session.scalar(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey_id, SurveyVersion.version == version
        )
    )


def version_numbers(survey_id: str) -> list[int]:
    """The survey's published version numbers, oldest first."""
    return list(
        db.session.scalars(
            select(SurveyVersion.version)
            .where(SurveyVersion.survey_id == survey_id)
            .order_by(SurveyVersion.version)
        )
    )


@dataclass(frozen=True)
class VersionSummary:
    survey_id: str
    version: int
    title: str
    languages: list[str]
    responses: int


def summaries() -> list[VersionSummary]:
    """Every stored version with its count of submitted responses, by id then version."""
    counts = (
        select(Response.survey_version_id, func.count().label("n"))
        .group_by(Response.survey_version_id)
        .subquery()
    )
    rows = db.session.execute(
        select(SurveyVersion, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.survey_version_id == SurveyVersion.id)
        .order_by(SurveyVersion.survey_id, SurveyVersion.version)
    ).all()
    # A row unpacks as this tuple; mypy reads the unpacked Row as objects.
    pairs = (cast(tuple[SurveyVersion, int], row) for row in rows)
    return [
        VersionSummary(sv.survey_id, sv.version, sv.title, sv.languages, int(n)) for sv, n in pairs
    ]
