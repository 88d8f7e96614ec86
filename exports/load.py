"""Read responses for an export, in chunks, with SQLAlchemy Core only (no Flask, no models).

Only what an export may use is selected: answers, the survey version, the wave, the
submission time, and the participant's opaque id with their programme and term. The
contacts table is never named here. People who withdrew their consent are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, DateTime, Row, Text, cast, column, or_, select, table
from sqlalchemy.dialects.postgresql import JSONB

# The same column types as the models, so JSON and times come back as Python values.
JSONType = JSON().with_variant(JSONB(), "postgresql")

responses = table(
    "responses",
    column("id"),
    column("survey_version_id"),
    column("wave"),
    column("submitted_at", DateTime(timezone=True)),
    column("answers", JSONType),
    column("participant_id"),
)
survey_versions = table(
    "survey_versions", column("id"), column("survey_id"), column("definition", JSONType)
)
participants = table(
    "participants",
    column("id"),
    column("public_id"),
    column("term_id"),
    column("consent_withdrawn_at"),
)
terms = table("terms", column("id"), column("name"), column("programme_id"))
programmes = table("programmes", column("id"), column("code"))


@dataclass
class Source:
    """The surveys an export reads (always whole: a subset is chosen after anonymising)."""

    survey_id: str
    with_followups: bool = False
    chunk_size: int = 5000
    # Versions whose answers without a participant are exported (answerable_anonymously).
    anonymous_versions: tuple[int, ...] = ()


def definitions(connection: Connection, source: Source) -> dict[int, dict]:
    """Survey version id -> definition, for the survey and (when asked) its follow-ups."""
    rows = connection.execute(
        select(survey_versions.c.id, survey_versions.c.survey_id, survey_versions.c.definition)
    )
    chosen = {}
    for version_id, survey_id, definition in rows:
        wave = (definition.get("schedule") or {}).get("wave") or ""
        if survey_id == source.survey_id or (source.with_followups and wave.startswith("followup")):
            chosen[version_id] = definition
    return chosen


def answerable_anonymously(definitions: dict[int, dict]) -> list[int]:
    """The versions whose survey's newest version says `public: true`: only their answers
    without a participant are exported. A follow-up or mentor survey is answered through
    personal links; anything answered at its public address before it closed stays out."""
    newest: dict[str, tuple[int, int]] = {}
    for version_id, definition in definitions.items():
        key = (definition.get("version", 0), version_id)
        newest[definition["id"]] = max(newest.get(definition["id"], key), key)
    public = {
        survey
        for survey, (_, version_id) in newest.items()
        if definitions[version_id].get("public")
    }
    return [vid for vid, definition in definitions.items() if definition["id"] in public]


def chunks(connection: Connection, source: Source, version_ids: list[int]) -> Iterator[list[Row]]:
    """Responses as rows, `chunk_size` at a time, read with a server-side cursor.

    `answers` comes as JSON text: decoding it in bulk (`decode_answers`) is several times
    faster than the per-row JSON type, and reading was most of an export's time.
    """
    query = (
        select(
            responses.c.id,
            responses.c.survey_version_id,
            responses.c.wave,
            responses.c.submitted_at,
            cast(responses.c.answers, Text).label("answers"),
            participants.c.public_id,
            terms.c.name.label("term"),
            programmes.c.code.label("programme"),
        )
        .select_from(
            responses.outerjoin(participants, responses.c.participant_id == participants.c.id)
            .outerjoin(terms, participants.c.term_id == terms.c.id)
            .outerjoin(programmes, terms.c.programme_id == programmes.c.id)
        )
        .where(responses.c.survey_version_id.in_(version_ids))
        .where(participants.c.consent_withdrawn_at.is_(None))
        .where(
            or_(
                responses.c.participant_id.is_not(None),
                responses.c.survey_version_id.in_(source.anonymous_versions),
            )
        )
        # By version, so that a chunk is mostly of one survey version (flattened at once).
        .order_by(responses.c.survey_version_id, responses.c.id)
    )
    result = connection.execution_options(yield_per=source.chunk_size).execute(query)
    yield from result.partitions()


def decode_answers(rows: list[Row]) -> list[dict[str, Any]]:
    """Each row's answers as a dict."""
    return [orjson.loads(row.answers) for row in rows]
