"""The export, step by step: load -> flatten -> drop -> bin numbers -> coarsen times ->
keep what the purpose needs -> recode quasi-identifiers person by person -> suppress ->
select a subset's whole classes -> pseudonymise -> shuffle. Each step is a function of its
own; `anonymise` runs them in order and returns the table, its columns, the methodology
and the summary tables. `exports.verify` then counts the written file.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Row

from . import aggregates, coarsen, derived, kanon, load, purposes, release
from .columns import Column
from .flatten import columns_of, flat_columns, frame_of, joined, merge_columns

DROPPED_CLASSES = ("identifier", "free_text", "never")
PID_LENGTH = 16
PROGRAMME = "programme"
# A reference to an answer in an expression: ${name}.
REFERENCE = re.compile(r"\$\{(\w+)\}")
# The country hierarchy's level that keeps Latin America and Africa apart (docs/exports.md).
REGION_OF_INTEREST = "region_of_interest"


@dataclass
class Anonymised:
    """The export's result: the table, its columns, the methodology, summary tables."""

    data: pd.DataFrame
    columns: list[Column]
    methodology: dict
    tables: dict = field(default_factory=dict)


@dataclass
class Options:
    k: int = 5
    max_suppression: float = 0.05
    with_followups: bool = False
    programme: str | None = None
    term: str | None = None
    chunk_size: int = 5000
    # The World Bank income group of each country (iso3 -> L|LM|UM|H) and the fiscal
    # year of that classification; without them the export has no income-group column.
    income_groups: Mapping[str, str] | None = None
    income_groups_year: str | None = None
    # What the release is for (its columns, weights, hierarchies); None: every column.
    purpose: purposes.Purpose | None = None
    # Hierarchies beside the code lists' own: question -> hierarchy name -> levels.
    hierarchies: Mapping[str, Mapping[str, list[dict]]] = field(default_factory=dict)
    # Every question name of every loaded survey: a purpose may name any of them, and
    # names none of them only by mistake. None: this export's own.
    known_questions: frozenset[str] | None = None
    # Distinct l-diversity to require of every sensitive question, counted on the file.
    l_diversity: int | None = None


# --- load and flatten -----------------------------------------------------------------


def load_table(
    connection: Connection,
    survey_id: str,
    options: Options,
    progress: Callable[[int], None] = lambda n: None,
) -> tuple[pd.DataFrame, list[Column], dict[int, dict]]:
    """All responses to export as one flat table (meta columns first), chunk by chunk."""
    # The whole survey, whatever the subset asked for: a subset is a selection of the
    # whole survey's release (see `select_subset`).
    source = load.Source(survey_id, options.with_followups, chunk_size=options.chunk_size)
    definitions = load.definitions(connection, source)
    if not definitions:
        raise LookupError(f"no survey {survey_id!r}")
    source.anonymous_versions = tuple(load.answerable_anonymously(definitions))
    per_version = {vid: columns_of(d) for vid, d in definitions.items()}
    # The exported survey's own questions first, newest version first; then follow-ups.
    order = sorted(per_version, key=lambda v: (definitions[v]["id"] != survey_id, -v))
    columns = merge_columns(per_version[vid] for vid in order)
    frames, read = [], 0
    for chunk in load.chunks(connection, source, list(definitions)):
        kept = list(zip(chunk, load.decode_answers(chunk), strict=True))
        if kept:
            frames.append(_flat_chunk(kept, definitions, per_version, columns))
        read += len(chunk)
        progress(read)
    if not frames:
        frames.append(_flat_chunk([], definitions, per_version, columns))
    data = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for column in columns:
        if column.codes is not None and column.type == "string":
            data[column.name] = data[column.name].astype("category")
    if options.income_groups:
        columns = derived.add_income_group(
            data, columns, options.income_groups, options.income_groups_year or "unknown year"
        )
    return data, columns, definitions


META = ("_person", "_wave", "_submitted_at", "_programme", "_term")


def _flat_chunk(
    records: list[tuple[Row, dict]],
    definitions: dict[int, dict],
    per_version: dict[int, list[Column]],
    columns: list[Column],
) -> pd.DataFrame:
    """Some responses (row, answers) as rows: the meta columns, then every column."""
    by_version: dict[int, list[tuple[Row, dict]]] = {}
    for record in records:
        by_version.setdefault(record[0].survey_version_id, []).append(record)
    parts, sizes = [], []
    for version_id, mine in by_version.items():
        definition = definitions[version_id]
        part: dict[str, Any] = {
            "_person": [r.public_id or f"response-{r.id}" for r, _ in mine],
            "_wave": [r.wave or definition["id"] for r, _ in mine],
            "_submitted_at": [r.submitted_at for r, _ in mine],
            "_programme": [
                r.programme or _answered_programme(answers, definition) for r, answers in mine
            ],
            "_term": [r.term for r, _ in mine],
        }
        part.update(flat_columns([answers for _, answers in mine], per_version[version_id]))
        parts.append(part)
        sizes.append(len(mine))
    if not parts:
        parts, sizes = [{}], [0]
    meta_columns = [Column(name, "") for name in META if name != "_submitted_at"]
    frame = frame_of(parts, sizes, meta_columns + columns)
    times = joined([part.get("_submitted_at") for part in parts], sizes)
    frame.insert(2, "_submitted_at", pd.to_datetime(times, utc=True))
    return frame


def _answered_programme(answers: dict, definition: dict) -> str | None:
    question = definition.get("programme_question")
    value = answers.get(question) if question else None
    return value if isinstance(value, str) else None


# --- the anonymising steps --------------------------------------------------------------


def drop_identifying(data: pd.DataFrame, columns: list[Column]) -> tuple[list[Column], list[str]]:
    """Identifiers, free text and anything marked `export: never` leave the table."""
    dropped = [c.name for c in columns if c.privacy in DROPPED_CLASSES]
    return _without(data, columns, dropped), dropped


def _without(data: pd.DataFrame, columns: list[Column], names: list[str]) -> list[Column]:
    for name in names:
        del data[name]
    return [c for c in columns if c.name not in names]


def bin_numbers(
    data: pd.DataFrame, columns: list[Column], questions: Mapping[str, dict]
) -> tuple[list[Column], list[str], dict[str, list[dict]]]:
    """Numbers leave in the bins their question declares, as quasi-identifiers unless the
    definition put them in another class; a number without bins does not leave at all.
    Returns the columns, the dropped ones, and each binned column's hierarchy."""
    dropped, hierarchies = [], {}
    for column in columns:
        if column.type not in ("integer", "number") or column.codes is not None:
            continue
        edges = (questions.get(column.question or "") or {}).get("bins")
        if not edges:
            dropped.append(column.name)
            continue
        integer = column.type == "integer"
        data[column.name] = coarsen.binned(data[column.name], edges, integer)
        codes = coarsen.bin_codes(edges, integer)
        column.type, column.codes = "string", {code: code for code in codes}
        if column.privacy == "none":
            column.privacy = "quasi_identifier"
        column.treatment.append(f"in bins from {', '.join(map(str, edges))}")
        hierarchies[column.name] = coarsen.bin_hierarchy(edges, integer)
    return _without(data, columns, dropped), dropped, hierarchies


def for_purpose(
    data: pd.DataFrame,
    columns: list[Column],
    purpose: purposes.Purpose | None,
    extra: Mapping,
    known: frozenset[str] | None = None,
) -> tuple[list[Column], list[str]]:
    """Only the columns the release's purpose needs (pid, wave and period always)."""
    if purpose is None:
        return columns, []
    questions = {c.question for c in columns if c.question}
    purpose.check(
        questions, {name: list(options) for name, options in extra.items()}, known or questions
    )
    unneeded = [
        c.name
        for c in columns
        if c.question and c.question != coarsen.PERIOD and not purpose.keeps(c.question)
    ]
    return _without(data, columns, unneeded), unneeded


def follow_relevance(columns: list[Column], definitions: Mapping[int, dict]) -> list[str]:
    """Make a quasi-identifier of every exported question asked only when a
    quasi-identifier's answer says so: whether it was answered tells that answer (a job's
    category is asked of the employed only), so it must be generalised and suppressed
    with the rest. Returns the questions so marked."""
    asks: dict[str, set[str]] = {}
    for definition in definitions.values():
        for page in definition["pages"]:
            for question in page["questions"]:
                relevant = question.get("relevant")
                if isinstance(relevant, str):
                    asks.setdefault(question["name"], set()).update(REFERENCE.findall(relevant))
    marked: list[str] = []
    while True:
        identifying = {c.question for c in columns if c.privacy == "quasi_identifier"}
        more = [
            c
            for c in columns
            if c.question
            and c.privacy != "quasi_identifier"
            and asks.get(c.question, set()) & identifying
        ]
        if not more:
            return marked
        for column in more:
            column.privacy = "quasi_identifier"
            column.treatment.append("a quasi-identifier: asked only after one")
            if column.question not in marked:
                marked.append(column.question)


def pseudonymise(people: pd.Series) -> pd.Series:
    """A random pseudonym per person, drawn for this export and never kept.

    The same person gets the same pid within the bundle; nothing links a pid to the
    person's id or to any other bundle (as good as a keyed hash under a thrown-away key,
    without a hash per person: that was a tenth of a million-response export).
    """
    codes, unique = pd.factorize(people)
    while True:
        drawn = secrets.token_bytes(PID_LENGTH // 2 * len(unique)).hex()
        pids = np.asarray(
            [drawn[i : i + PID_LENGTH] for i in range(0, len(drawn), PID_LENGTH)], dtype=object
        )
        if len(set(pids)) == len(pids):  # a clash among 64-bit draws: ~1 in 10^7 at 10^6
            break
    return pd.Series(pids[codes], index=people.index, dtype="string")


def questions_of(definitions: Mapping[int, dict]) -> dict[str, dict]:
    """Every question of the exported surveys by name, the newest version's first."""
    questions: dict[str, dict] = {}
    for version in sorted(definitions, reverse=True):
        for page in definitions[version]["pages"]:
            for question in page["questions"]:
                questions.setdefault(question["name"], question)
    return questions


def quasi_identifiers(
    columns: list[Column],
    definitions: dict[int, dict],
    purpose: purposes.Purpose | None = None,
    extra: Mapping[str, Mapping[str, list[dict]]] | None = None,
) -> list[kanon.QuasiIdentifier]:
    """One per quasi-identifying question, with the hierarchy its purpose chose (its code
    list's by default) and the purpose's weight."""
    questions = questions_of(definitions)
    hierarchies: dict[str, list | None] = dict(derived.HIERARCHIES)
    for version in sorted(definitions, reverse=True):
        definition = definitions[version]
        for name, question in questions.items():
            info = definition.get("code_lists", {}).get(question.get("list") or "")
            if info and name not in hierarchies:
                hierarchies[name] = info.get("hierarchy")
    extra = extra or {}
    names = list(dict.fromkeys(c.question for c in columns if c.privacy == "quasi_identifier"))
    chosen = []
    for name, level in (purpose.keep if purpose else {}).items():
        levels = ["original", *(step["level"] for step in hierarchies.get(name) or [])]
        if name in names and level not in levels and level not in _extra_levels(extra, name):
            raise purposes.PurposeError(
                f"purpose {purpose.name!r} keeps {name!r} at {level!r}, which is not one of "
                f"its levels ({', '.join(levels)})"
            )
    for name in names:
        wanted = purpose.hierarchy(name) if purpose else purposes.DEFAULT_HIERARCHY
        # A generated hierarchy (bins, periods) is the column's default one.
        hierarchy = extra.get(name, {}).get(wanted) or hierarchies.get(name)
        chosen.append(
            kanon.QuasiIdentifier.from_hierarchy(
                name,
                hierarchy,
                multi=name in questions and questions[name]["type"] == "select_multiple",
                weight=purpose.weight(name) if purpose else 1.0,
                keep=purpose.keep.get(name) if purpose else None,
            )
        )
    return chosen


def _extra_levels(extra: Mapping[str, Mapping[str, list[dict]]], name: str) -> set[str]:
    return {step["level"] for levels in extra.get(name, {}).values() for step in levels}


def _answer_values(data: pd.DataFrame, columns: list[Column], qi) -> pd.Series:
    """Each row's answer to a quasi-identifier as one string ('missing' when none)."""
    if not qi.multi:
        position, present = pd.factorize(data[qi.name])  # -1 where not answered
        names = np.asarray([str(value) for value in present] + [kanon.MISSING], dtype=object)
        return pd.Series(names[position], index=data.index)
    code_columns = [c.name for c in columns if c.question == qi.name and c.type == "integer"]
    codes = [name.split("__", 1)[1] for name in code_columns]
    block = data[code_columns].fillna(0).to_numpy(dtype=np.int8)
    answered = data[code_columns].notna().any(axis=1).to_numpy()
    # Few distinct combinations of codes exist: find them by their packed bits, join each
    # once.
    position = _row_ids(np.packbits(block.astype(bool), axis=1))
    example = np.zeros(position.max() + 1 if len(position) else 0, dtype=np.int64)
    example[position] = np.arange(len(position))
    # Which of the columns a row fills is part of what it shows: a generalised level
    # writes its own 0/1 columns (see release.py).
    filled = data[code_columns].notna().to_numpy()
    pattern = _row_ids(np.packbits(filled, axis=1))
    joined = np.asarray(
        [kanon.CODE_SEPARATOR.join(np.asarray(codes)[block[row] > 0]) for row in example],
        dtype=object,
    )
    shown = joined[position]
    if pattern.max(initial=0) > 0:
        shown = pattern.astype(str).astype(object) + ":" + shown
    return pd.Series(np.where(answered, shown, kanon.MISSING), index=data.index)


def _row_ids(packed: np.ndarray) -> np.ndarray:
    """The same number for equal rows of a byte matrix, numbered 0, 1, … as first seen."""
    width = -(-packed.shape[1] // 8) * 8
    words = np.zeros((len(packed), width), dtype=np.uint8)
    words[:, : packed.shape[1]] = packed
    ids = np.zeros(len(packed), dtype=np.int64)
    for word in words.view(np.uint64).T:
        part, seen = pd.factorize(word)
        ids = pd.factorize(ids * len(seen) + part)[0]
    return ids


def people_table(data: pd.DataFrame, columns: list[Column], qis: list) -> pd.DataFrame:
    """One row per person: each quasi-identifier as the release will show it per person —
    the person's answers over the rows that hold one, in wave order, joined ('missing'
    when no row does). A row without an answer adds nothing, exactly as its empty cell
    adds nothing to what a reader of the file can tell people apart by."""
    # People and waves as integers: sorting and grouping numbers is what keeps this fast.
    person, people = pd.factorize(data["_person"].astype(object))
    wave, _ = pd.factorize(data["_wave"].astype(object), sort=True)
    per_person = {}
    for qi in qis:
        values = _answer_values(data, columns, qi).to_numpy(dtype=object)
        rows = np.flatnonzero(values != kanon.MISSING)
        value_order = pd.factorize(values[rows], sort=True)[0]
        rows = rows[np.lexsort((value_order, wave[rows], person[rows]))]
        values, owners = values[rows], person[rows]
        joined = np.full(len(people), kanon.MISSING, dtype=object)
        # Most people answer a question in one wave only: join just the others' parts.
        once = np.bincount(owners, minlength=len(people))[owners] == 1
        joined[owners[once]] = values[once]
        if not once.all():
            several = (
                pd.Series(values[~once])
                .groupby(owners[~once], sort=False)
                .agg(kanon.WAVE_SEPARATOR.join)
            )
            joined[several.index.to_numpy()] = several.to_numpy()
        per_person[qi.name] = joined
    return pd.DataFrame(per_person, index=pd.Index(people, name="person"))


def select_subset(
    data: pd.DataFrame, classes: pd.Series, options: Options
) -> tuple[pd.DataFrame, int]:
    """The rows of a `--programme`/`--term` subset: the people of whole equivalence
    classes of the whole survey's release, every one of whom is in the subset.

    A class split between the subset and the rest would tell a reader which of its people
    are in the subset, and a release made for the subset alone would link, row by row,
    with the whole survey's; taking whole classes of one release gives neither. Returns
    the rows and how many people of the subset were left out with split classes.
    """
    if options.programme is None and options.term is None:
        return data, 0
    inside = pd.Series(True, index=data.index)
    if options.programme is not None:
        inside &= data["_programme"].astype(object).eq(options.programme).to_numpy()
    if options.term is not None:
        inside &= data["_term"].astype(object).eq(options.term).to_numpy()
    persons = data["_person"].astype(object)
    members = set(persons[inside.to_numpy()])
    member = classes.index.isin(list(members))
    whole = pd.Series(member).groupby(classes.to_numpy()).transform("all").to_numpy()
    chosen = set(classes.index[member & whole])
    return data[persons.isin(chosen).to_numpy()], len(members) - len(chosen)


# --- all together -------------------------------------------------------------------------


@dataclass
class Prepared:
    """The table made ready for the search: its columns, quasi-identifiers and what left."""

    columns: list[Column]
    qis: list[kanon.QuasiIdentifier]
    dropped: list[str]
    period: pd.Series


def prepare(
    data: pd.DataFrame, columns: list[Column], definitions: dict[int, dict], options: Options
) -> Prepared:
    """Drop, bin, add programme and period, keep what the purpose needs, and find the
    quasi-identifiers (rewriting `data` in place): every step before the search."""
    # Own copies: generalising rewrites codes and treatments.
    columns = [
        Column(
            **{
                **vars(c),
                "codes": dict(c.codes) if c.codes else c.codes,
                "treatment": list(c.treatment),
            }
        )
        for c in columns
    ]
    purpose = options.purpose
    columns, dropped = drop_identifying(data, columns)
    columns, unbinned, generated = bin_numbers(data, columns, questions_of(definitions))
    first = release.first_rows(data)
    columns = derived.add_programme(data, columns, first)
    period, period_column = coarsen.period_column(data["_submitted_at"], first)
    data[coarsen.PERIOD] = period
    columns = [period_column, *columns]
    generated[coarsen.PERIOD] = coarsen.period_hierarchy(period)
    extra = {name: dict(h) for name, h in options.hierarchies.items()}
    for name, hierarchy in generated.items():
        extra.setdefault(name, {})[purposes.DEFAULT_HIERARCHY] = hierarchy
    columns, unneeded = for_purpose(data, columns, purpose, extra, options.known_questions)
    follow_relevance(columns, definitions)
    qis = quasi_identifiers(columns, definitions, purpose, extra)
    return Prepared(columns, qis, dropped + unbinned + unneeded, period)


def anonymise(
    data: pd.DataFrame,
    columns: list[Column],
    definitions: dict[int, dict],
    options: Options,
    seed: int | None = None,
) -> Anonymised:
    """Every step after loading. Raises kanon.CannotAnonymise when k cannot be met and
    purposes.PurposeError when the purpose does not fit this export."""
    prepared = prepare(data, columns, definitions, options)
    columns, qis, period, purpose = prepared.columns, prepared.qis, prepared.period, options.purpose
    # Tables count the answers as given, of everybody the survey's release is made from:
    # the same tables in every release of the survey, so none can be set against another.
    asked = [c.name for c in columns if c.privacy == "quasi_identifier"]
    tables = summary_tables(data[["_person", "_programme", *asked]], qis, options)

    people = people_table(data, columns, qis)
    recoding = kanon.recode(people, qis, options.k, options.max_suppression)
    levels = kanon.hide_among_k(people, qis, recoding.levels, options.k)
    suppressed = (levels == [qi.top for qi in qis]).all(axis=1) if qis else levels[:, :0].any(1)
    _within_budget(int(suppressed.sum()), len(people), options)

    position = people.index.get_indexer(data["_person"].astype(object))
    columns, removed_columns = release.write(data, columns, qis, levels[position])
    # The classes as written: what a reader of the file can tell people apart by.
    written = [qi for qi in qis if any(c.question == qi.name for c in columns)]
    shown = people_table(data, columns, written)
    classes = pd.Series(
        shown.groupby(list(shown.columns), sort=False).ngroup().to_numpy()
        if written
        else np.zeros(len(shown), dtype=np.int64),
        index=shown.index,
    )
    data, left_out = select_subset(data, classes, options)
    if (options.programme is not None or options.term is not None) and data.empty:
        raise kanon.CannotAnonymise(
            f"each of the {left_out} people of this subset shares a group of the survey's "
            "release with people outside it, so none can be released apart"
            if left_out
            else "only 0 people are in this subset"
        )
    _prune_codes(data, columns)

    in_release = set(data["_person"].astype(object))
    chosen = people.index.isin(list(in_release))
    levels, suppressed = levels[chosen], suppressed[chosen]
    information = information_kept(people[chosen], kanon.released(people[chosen], qis, levels), qis)
    out = pd.DataFrame(
        {
            "pid": pseudonymise(data["_person"].astype(str)),
            "wave": data["_wave"].astype("string"),
        }
    )
    out = pd.concat([out, data[[c.name for c in columns]]], axis=1)
    rng = np.random.default_rng(seed)
    out = out.iloc[rng.permutation(len(out))].reset_index(drop=True)

    meta_columns = [
        Column(
            "pid",
            "Pseudonym of the person, valid in this bundle only",
            treatment=["a random 64-bit number per person, drawn for this export and not kept"],
        ),
        Column("wave", "Which survey moment: intake, followup-1y, followup-5y, …"),
    ]
    periods = sorted(str(p) for p in period.loc[data.index].dropna().unique())
    sensitive = list(dict.fromkeys(c.question for c in columns if c.privacy == "sensitive"))
    kept_people = len(in_release)
    methodology = {
        "k": options.k,
        # As planned here; the bundle replaces it with what exports.verify counts on the
        # written file before anything is released.
        "k_achieved": int(classes.loc[list(in_release)].value_counts().min()) if in_release else 0,
        "max_suppression": options.max_suppression,
        "purpose": purpose.name if purpose else None,
        "quasi_identifiers": [qi.name for qi in qis if qi.name not in _questions(removed_columns)],
        "quasi_identifiers_removed": [
            qi.name for qi in qis if qi.name in _questions(removed_columns)
        ],
        "sensitive": sensitive,
        "weights": {qi.name: qi.weight for qi in qis},
        "hierarchies": {
            qi.name: purpose.hierarchy(qi.name) if purpose else purposes.DEFAULT_HIERARCHY
            for qi in qis
        },
        "records": int(len(out)),
        "people": kept_people,
        "records_suppressed": int(
            data["_person"].astype(object).isin(set(people.index[chosen][suppressed])).sum()
        ),
        "people_suppressed": int(suppressed.sum()),
        "suppression": (
            "people still in classes smaller than k after local recoding have every "
            "quasi-identifier suppressed: 'suppressed' in their first row's single-choice "
            "cells, multi-select cells left empty; when fewer than k people are left, more "
            "are suppressed with them, taken from the classes with people to spare, so "
            "that nobody's record leaves the release"
        ),
        "records_removed": 0,
        "generalisation": {qi.name: _level_summary(qi, levels[:, j]) for j, qi in enumerate(qis)},
        # The passes over the whole survey, of which a subset is a selection.
        "local_recoding": recoding.passes,
        "lattice_nodes_evaluated": recoding.evaluated,
        "information_kept": information,
        "l_diversity": None,
        "dropped": prepared.dropped
        + removed_columns
        + ["response ids", "participant ids", "submission times", "locale"],
        "period": [periods[0], periods[-1]] if periods else None,
        "rows_shuffled": True,
        "with_followups": options.with_followups,
        "income_groups": (
            f"World Bank country classification by income, {options.income_groups_year}"
            if any(c.name == derived.INCOME_GROUP for c in columns)
            else None
        ),
        "programme": options.programme,
        "term": options.term,
        "subset": (
            None
            if options.programme is None and options.term is None
            else {
                "selection": "whole equivalence classes of the whole survey's release",
                "people_left_out": left_out,
            }
        ),
        "created": datetime.now().astimezone().date().isoformat(),
    }
    methodology["tables"] = sorted(tables)
    return Anonymised(out, meta_columns + columns, methodology, tables)


def _within_budget(suppressed: int, people: int, options: Options) -> None:
    """At most `max_suppression` of people may end suppressed, or k where that is more
    (a suppressed group needs k people to hide among)."""
    allowed = max(options.max_suppression * people, options.k)
    if suppressed > allowed:
        raise kanon.CannotAnonymise(
            f"k={options.k} would leave {suppressed} of {people} people "
            f"({suppressed / people:.0%}) suppressed, more than --max-suppression "
            f"{options.max_suppression} allows"
        )


def _questions(names: list[str]) -> set[str]:
    return {name.split("__", 1)[0] for name in names}


def _level_summary(qi: kanon.QuasiIdentifier, levels: np.ndarray) -> str | dict[str, int]:
    """The level everybody's values were generalised to, or people per level."""
    names, counts = np.unique(levels, return_counts=True)
    if len(names) == 1:
        return qi.levels[int(names[0])]
    return {qi.levels[int(n)]: int(c) for n, c in zip(names, counts, strict=True)}


def _prune_codes(data: pd.DataFrame, columns: list[Column]) -> None:
    """A coded column lists only the codes its released cells hold: a code list's rare
    code, held by someone whose value was generalised or suppressed, would otherwise
    say that such a person took part."""
    for column in columns:
        if column.codes is None or column.type != "string":
            continue
        present = set(data[column.name].dropna().astype(str).unique())
        column.codes = {code: label for code, label in column.codes.items() if code in present}


def information_kept(
    people: pd.DataFrame, released: pd.DataFrame, qis: list[kanon.QuasiIdentifier]
) -> dict[str, float]:
    """Per quasi-identifier, the normalised mutual information between each person's
    original and released value, I(original; released) / H(original) — 1 when the
    release tells everything the answers did, 0 when nothing — and their average under
    the purpose's weights."""
    kept = {}
    for qi in qis:
        before, after = people[qi.name].astype(str), released[qi.name].astype(str)
        h_before = _entropy_of(before)
        mutual = h_before + _entropy_of(after) - _entropy_of(before + "\x1d" + after)
        kept[qi.name] = round(max(mutual, 0.0) / h_before, 4) if h_before else 1.0
    total = sum(qi.weight for qi in qis)
    kept["weighted"] = (
        round(sum(kept[qi.name] * qi.weight for qi in qis) / total, 4) if total else 1.0
    )
    return kept


def _entropy_of(values: pd.Series) -> float:
    counts = values.value_counts().to_numpy(dtype=np.float64)
    p = counts / counts.sum() if counts.sum() else counts
    return float(-(p[p > 0] * np.log2(p[p > 0])).sum())


def summary_tables(originals: pd.DataFrame, qis: list, options: Options) -> dict:
    """People by each demographic's original answer × programme and year, counted once
    each from the first row that answered it, with small-cell and complementary
    suppression; and people by region of interest × programme and year. Counted from
    the answers as given, the tables keep what the micro-data must coarsen."""
    if originals["_programme"].isna().all():
        return {}
    year = originals[coarsen.PERIOD].astype(str).str.slice(0, 4)
    by_person = originals.assign(
        programme_year=originals["_programme"].astype(object).fillna(aggregates.MISSING)
        + " "
        + year.groupby(originals["_person"].astype(object)).transform("min")
    )
    tables = {}
    regions = options.hierarchies.get(derived.COUNTRY, {}).get(REGION_OF_INTEREST)
    if derived.COUNTRY in by_person and regions:
        qi = kanon.QuasiIdentifier.from_hierarchy(derived.COUNTRY, regions)
        level = qi.levels.index(REGION_OF_INTEREST)
        people = by_person[by_person[derived.COUNTRY].notna()].drop_duplicates("_person")
        region = people[derived.COUNTRY].astype(str).map(lambda c: qi.code_at(c, level))
        tables["region_of_interest_by_programme_year"] = aggregates.count_table(
            people.assign(region_of_interest=region),
            "region_of_interest",
            "programme_year",
            options.k,
        )
    for qi in qis:
        if qi.name in (coarsen.PERIOD, PROGRAMME):
            continue
        names = [c for c in originals.columns if c == qi.name or c.startswith(qi.name + "__")]
        people = by_person[by_person[names].notna().any(axis=1)].drop_duplicates("_person")
        if qi.multi:
            table = aggregates.count_multi(people, names, "programme_year", options.k)
        else:
            table = aggregates.count_table(people, qi.name, "programme_year", options.k)
        tables[f"{qi.name}_by_programme_year"] = table
    return tables
