"""Read responses for an export, in chunks, with SQLAlchemy Core only (no Flask, no models),
into one flat table (`read_table`), and each repeat's entries into one of their own
(`read_tables`), in the same pass.

Only what an export may use is selected: answers, the survey version, the wave, the
submission time, and the participant's opaque id with their programme and term. The
contacts table is never named here. People who withdrew their consent are left out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import JSON, Connection, DateTime, Row, Text, cast, column, or_, select, table
from sqlalchemy.dialects.postgresql import JSONB

from .columns import Column
from .definitions import Definition, Definitions
from .flatten import (
    columns_of,
    flat_columns,
    frame_of,
    joined,
    merge_columns,
    repeat_columns_of,
    series_of,
    split_repeats,
)
from .memory import give_back
from .repeats import PLACE, ROW, RepeatEntries

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
    # Privacy classes whose columns are listed but not read: the export drops them before
    # anything else, and free text was a tenth of loading and of the table's memory.
    unread: tuple[str, ...] = ()


# The meta columns a flat table starts with; none of them is ever exported as is.
META = ("_person", "_wave", "_submitted_at", "_programme", "_term")
# An answer and the row it came with.
Record = tuple[Row[Any], dict[str, Any]]
# A repeat's entries in one chunk: flat_columns' batches, with ROW and PLACE.
EntryParts = dict[str, list[dict[str, Any]]]


@dataclass
class Loaded:
    """What an export reads: the people's table (one row per response), its columns, the
    definitions, and each repeat's entries by the repeat's name."""

    data: pd.DataFrame
    columns: list[Column]
    definitions: Definitions
    repeats: dict[str, RepeatEntries] = dataclasses.field(default_factory=dict)


def read_table(
    connection: Connection, source: Source, progress: Callable[[int], None] = lambda n: None
) -> tuple[pd.DataFrame, list[Column], Definitions]:
    """All responses to export as one flat table (meta columns first), chunk by chunk, with
    its columns and the definitions read. LookupError when there is no such survey."""
    loaded = read_tables(connection, source, progress)
    return loaded.data, loaded.columns, loaded.definitions


def read_tables(
    connection: Connection, source: Source, progress: Callable[[int], None] = lambda n: None
) -> Loaded:
    """`read_table`, and each repeat's entries, read in the same pass."""
    found = definitions(connection, source)
    if not found:
        raise LookupError(f"no survey {source.survey_id!r}")
    source = dataclasses.replace(source, anonymous_versions=tuple(answerable_anonymously(found)))
    per_version = {vid: columns_of(d) for vid, d in found.items()}
    # The exported survey's own questions first, newest version first; then follow-ups.
    order = sorted(per_version, key=lambda v: (found[v]["id"] != source.survey_id, -v))
    columns = merge_columns(per_version[vid] for vid in order)
    inner = {vid: repeat_columns_of(d) for vid, d in found.items()}
    repeats: dict[str, list[Column]] = {}
    for name in dict.fromkeys(name for vid in order for name in inner[vid]):
        repeats[name] = merge_columns(inner[vid][name] for vid in order if name in inner[vid])
    read_columns = [c for c in columns if c.privacy not in source.unread]
    frames: list[dict[str, pd.Series]] = []
    entry_parts: dict[str, list[dict[str, Any]]] = {name: [] for name in repeats}
    read = offset = 0
    for chunk in chunks(connection, source, list(found)):
        kept = list(zip(chunk, decode_answers(chunk), strict=True))
        if kept:
            frame, parts = _flat_chunk(kept, found, per_version, read_columns, inner, offset)
            frames.append(frame)
            offset += len(kept)
            for name, mine in parts.items():
                entry_parts[name].extend(mine)
        read += len(chunk)
        progress(read)
    if not frames:
        frames.append(_flat_chunk([], found, per_version, read_columns, inner, 0)[0])
    data = _joined(frames)
    # Each person's id held once and their rows numbered: every step groups rows by
    # person, and hashing an id per row and step was seconds at a million responses.
    person, ids = pd.factorize(data["_person"])
    data["_person"] = pd.Categorical.from_codes(
        person, categories=pd.Index(np.asarray(ids, dtype=object), dtype=object)
    )
    for described in read_columns:
        if described.codes is not None and described.type == "string":
            data[described.name] = data[described.name].astype("category")
    give_back()  # the answers as decoded, and the table in chunks
    return Loaded(
        data,
        columns,
        found,
        {name: _entries(name, entry_parts[name], described) for name, described in repeats.items()},
    )


def _joined(frames: list[dict[str, pd.Series]]) -> pd.DataFrame:
    """The chunks' tables as one, column by column, each chunk's column let go once joined:
    a whole-table concat held the chunks and the table at once (and made the coded
    columns, whose categories differ from chunk to chunk, Python objects on the way)."""
    if len(frames) == 1:
        return pd.DataFrame(frames[0], copy=False)
    joined: dict[str, pd.Series] = {}
    for name in list(frames[0]):
        pieces = [frame.pop(name) for frame in frames]
        if all(isinstance(piece.dtype, pd.CategoricalDtype) for piece in pieces):
            # The categories of all chunks, sorted as a category made from the text is.
            present = [piece.cat.categories for piece in pieces if len(piece.cat.categories)]
            union = present[0].append(present[1:]).unique() if present else pieces[0].cat.categories
            dtype = pd.CategoricalDtype(union.sort_values())
            joined[name] = pd.concat([piece.astype(dtype) for piece in pieces], ignore_index=True)
        else:
            joined[name] = pd.concat(pieces, ignore_index=True)
        del pieces
    frames.clear()
    rows = len(next(iter(joined.values()), []))
    return pd.DataFrame(joined, index=pd.RangeIndex(rows), copy=False)


def _entries(name: str, parts: list[dict[str, Any]], columns: list[Column]) -> RepeatEntries:
    """One repeat's entries as a typed table, from its batches."""
    sizes = [len(part[ROW]) for part in parts] or [0]
    meta = [Column(ROW, "", "integer"), Column(PLACE, "", "integer")]
    frame = frame_of(parts or [{}], sizes, meta + columns)
    for described in columns:
        if described.codes is not None and described.type == "string":
            frame[described.name] = frame[described.name].astype("category")
    return RepeatEntries(name, frame, columns)


def _flat_chunk(
    records: list[Record],
    found: Definitions,
    per_version: dict[int, list[Column]],
    columns: list[Column],
    inner: dict[int, dict[str, list[Column]]],
    offset: int,
) -> tuple[dict[str, pd.Series], EntryParts]:
    """Some responses (row, answers) as rows: the meta columns, then every column; and
    their repeats' entries, each with its response's row (counted from `offset`)."""
    # Fields by position: a Row's attribute is looked up by name each time, which for the
    # seven read per response was a tenth of loading.
    at = _positions(records[0][0]) if records else {}
    by_version: dict[int, list[Record]] = {}
    for record in records:
        by_version.setdefault(record[0][at["survey_version_id"]], []).append(record)
    parts: list[dict[str, Any]] = []
    sizes: list[int] = []
    entry_parts: EntryParts = {}
    for version_id, mine in by_version.items():
        definition = found[version_id]
        part: dict[str, Any] = {
            "_person": [r[at["public_id"]] or f"response-{r[at['id']]}" for r, _ in mine],
            "_wave": [r[at["wave"]] or definition["id"] for r, _ in mine],
            "_submitted_at": [r[at["submitted_at"]] for r, _ in mine],
            "_programme": [
                r[at["programme"]] or _answered_programme(answers, definition)
                for r, answers in mine
            ],
            "_term": [r[at["term"]] for r, _ in mine],
        }
        answers, entries = split_repeats([a for _, a in mine], inner[version_id])
        part.update(flat_columns(answers, per_version[version_id]))
        first_row = offset + sum(sizes)
        for name, (rows, positions, given) in entries.items():
            entry = flat_columns(given, inner[version_id][name])
            entry[ROW] = [first_row + row for row in rows]
            entry[PLACE] = positions
            entry_parts.setdefault(name, []).append(entry)
        parts.append(part)
        sizes.append(len(mine))
    if not parts:
        parts, sizes = [{}], [0]
    meta_columns = [Column(name, "") for name in META if name != "_submitted_at"]
    typed = series_of(parts, sizes, meta_columns + columns)
    times = joined([part.get("_submitted_at") for part in parts], sizes)
    index = pd.RangeIndex(sum(sizes))
    submitted = (
        pd.Series(None, index=index, dtype=object)
        if times is None
        else pd.Series(pd.to_datetime(times, utc=True), index=index)
    )
    named = list(typed.items())
    frame = dict([*named[:2], ("_submitted_at", submitted), *named[2:]])
    return frame, entry_parts


def _answered_programme(answers: dict[str, Any], definition: Definition) -> str | None:
    question = definition.get("programme_question")
    value = answers.get(question) if question else None
    return value if isinstance(value, str) else None


def definitions(connection: Connection, source: Source) -> Definitions:
    """Survey version id -> definition, for the survey and (when asked) its follow-ups."""
    rows = connection.execute(
        select(survey_versions.c.id, survey_versions.c.survey_id, survey_versions.c.definition)
    )
    chosen: Definitions = {}
    for row in rows:
        definition: Definition = row.definition
        wave = (definition.get("schedule") or {}).get("wave") or ""
        if row.survey_id == source.survey_id or (
            source.with_followups and wave.startswith("followup")
        ):
            chosen[row.id] = definition
    return chosen


def answerable_anonymously(definitions: Definitions) -> list[int]:
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


def chunks(
    connection: Connection, source: Source, version_ids: list[int]
) -> Iterator[Sequence[Row[Any]]]:
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


def decode_answers(rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    """Each row's answers as a dict."""
    if not rows:
        return []
    return [
        orjson.loads(answers) for answers in map(itemgetter(_positions(rows[0])["answers"]), rows)
    ]


def _positions(row: Row[Any]) -> dict[str, int]:
    """Where each named field sits in the rows of a result."""
    return {name: position for position, name in enumerate(row._fields)}
