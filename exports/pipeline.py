"""The export, step by step: load -> flatten -> drop -> pseudonymise -> coarsen times ->
generalise quasi-identifiers -> suppress -> shuffle. Each step is a function of its own;
`build` runs them in order and returns the table, its columns and the methodology.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Row

from . import aggregates, derived, kanon, load
from .columns import SUPPRESSED, Column
from .flatten import columns_of, flat_columns, frame_of, joined, merge_columns

DROPPED_CLASSES = ("identifier", "free_text", "never")
PID_LENGTH = 16


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


# --- load and flatten -----------------------------------------------------------------


def load_table(
    connection: Connection,
    survey_id: str,
    options: Options,
    progress: Callable[[int], None] = lambda n: None,
) -> tuple[pd.DataFrame, list[Column], dict[int, dict]]:
    """All responses to export as one flat table (meta columns first), chunk by chunk."""
    source = load.Source(
        survey_id, options.with_followups, options.programme, options.term, options.chunk_size
    )
    definitions = load.definitions(connection, source)
    if not definitions:
        raise LookupError(f"no survey {survey_id!r}")
    per_version = {vid: columns_of(d) for vid, d in definitions.items()}
    # The exported survey's own questions first, newest version first; then follow-ups.
    order = sorted(per_version, key=lambda v: (definitions[v]["id"] != survey_id, -v))
    columns = merge_columns(per_version[vid] for vid in order)
    frames, read = [], 0
    for chunk in load.chunks(connection, source, list(definitions)):
        kept = [
            (row, answers)
            for row, answers in zip(chunk, load.decode_answers(chunk), strict=True)
            if _in_programme(row, answers, definitions[row.survey_version_id], options.programme)
        ]
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


def _in_programme(row: Row, answers: dict, definition: dict, programme: str | None) -> bool:
    """Personal-link answers by the participant's programme; anonymous intakes by their
    answer to the programme question."""
    if programme is None:
        return True
    if row.programme is not None:
        return row.programme == programme
    question = definition.get("programme_question")
    return question is not None and answers.get(question) == programme


# --- the anonymising steps --------------------------------------------------------------


def drop_identifying(data: pd.DataFrame, columns: list[Column]) -> tuple[list[Column], list[str]]:
    """Identifiers, free text and anything marked `export: never` leave the table."""
    dropped = [c.name for c in columns if c.privacy in DROPPED_CLASSES]
    for name in dropped:
        del data[name]
    return [c for c in columns if c.name not in dropped], dropped


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


def year_quarter(times: pd.Series) -> pd.Series:
    """A submission time as its year and quarter: '2026-Q3'."""
    periods = times.dt.tz_convert(None).dt.to_period("Q").astype("string")
    return periods.str.replace("Q", "-Q", regex=False).astype("string")


def quasi_identifiers(
    columns: list[Column], definitions: dict[int, dict]
) -> list[kanon.QuasiIdentifier]:
    """One per quasi-identifying question, with its code list's hierarchy."""
    questions: dict[str, dict] = {}
    hierarchies: dict[str, list | None] = dict(derived.HIERARCHIES)
    for definition in definitions.values():
        for page in definition["pages"]:
            for question in page["questions"]:
                questions.setdefault(question["name"], question)
                info = definition.get("code_lists", {}).get(question.get("list") or "")
                if info and question["name"] not in hierarchies:
                    hierarchies[question["name"]] = info.get("hierarchy")
    names = list(dict.fromkeys(c.question for c in columns if c.privacy == "quasi_identifier"))
    return [
        kanon.QuasiIdentifier.from_hierarchy(
            name,
            hierarchies.get(name),
            multi=name in questions and questions[name]["type"] == "select_multiple",
        )
        for name in names
    ]


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
    joined = np.asarray(
        [kanon.CODE_SEPARATOR.join(np.asarray(codes)[block[row] > 0]) for row in example],
        dtype=object,
    )
    return pd.Series(np.where(answered, joined[position], kanon.MISSING), index=data.index)


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
    """One row per person: each quasi-identifier over all the waves that asked it, in
    wave order (a wave that did not ask a question adds nothing to the person's record)."""
    # People and waves as integers: sorting and grouping numbers is what keeps this fast.
    person, people = pd.factorize(data["_person"].astype(object))
    wave, _ = pd.factorize(data["_wave"].astype(object), sort=True)
    per_person = {}
    for qi in qis:
        names = [c.name for c in columns if c.question == qi.name]
        answered = data[names].notna().any(axis=1).to_numpy()
        rows = np.flatnonzero(np.isin(wave, wave[answered]))
        rows = rows[np.lexsort((wave[rows], person[rows]))]
        values = _answer_values(data, columns, qi).to_numpy(dtype=object)[rows]
        owners = person[rows]
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


def generalise(data: pd.DataFrame, columns: list[Column], qi, level: int) -> list[Column]:
    """Rewrite a quasi-identifier's column(s) at the chosen level; returns the new columns."""
    if level == 0:
        return columns
    level_name = qi.levels[level]
    mine = [c for c in columns if c.question == qi.name]
    if not qi.multi:
        (column,) = mine
        values = data[qi.name].astype("object")
        present = values.dropna().unique()
        if level == qi.top:
            general = dict.fromkeys(present, SUPPRESSED)
        else:
            general = {value: qi.code_at(value, level) for value in present}
        data[qi.name] = values.map(general).astype("category")
        present = sorted(str(v) for v in data[qi.name].dropna().unique())
        names = {**(column.codes or {}), **(qi.labels[level] if qi.labels else {})}
        column.codes = {code: names.get(code, code) for code in present}
        column.treatment.append(f"generalised to level {level_name!r}")
        return columns
    # Multi-select: 0/1 columns per original code -> per generalised code (or none at all).
    index = columns.index(mine[0])
    rest = [c for c in columns if c.question != qi.name]
    if level == qi.top:
        for column in mine:
            del data[column.name]
        return rest
    groups: dict[str, list[str]] = {}
    for column in mine:
        code = column.name.split("__", 1)[1]
        groups.setdefault(qi.code_at(code, level), []).append(column.name)
    new_columns = []
    for code, names in groups.items():
        name = f"{qi.name}__{code}"
        merged = data[names].max(axis=1).astype("Int8")
        for old in names:
            del data[old]
        data[name] = merged
        title = mine[0].title.split(": ")[0]
        new_columns.append(
            Column(
                name,
                f"{title}: {code}",
                "integer",
                codes={"0": "not chosen", "1": "chosen"},
                question=qi.name,
                privacy="quasi_identifier",
                treatment=[f"generalised to level {level_name!r}"],
            )
        )
    return rest[:index] + new_columns + rest[index:]


def suppress(data: pd.DataFrame, columns: list[Column], qis: list, people: set) -> None:
    """The quasi-identifiers of these people become 'suppressed' (multi-selects empty)."""
    rows = data["_person"].astype(str).isin({str(p) for p in people})
    if not rows.any():
        return
    for qi in qis:
        names = [c.name for c in columns if c.question == qi.name and c.name in data]
        for name in names:
            if qi.multi:
                data.loc[rows, name] = pd.NA
            else:
                series = data[name].astype("object")
                series[rows & series.notna()] = SUPPRESSED
                data[name] = series.astype("category")


# --- all together -------------------------------------------------------------------------


def anonymise(
    data: pd.DataFrame,
    columns: list[Column],
    definitions: dict[int, dict],
    options: Options,
    seed: int | None = None,
) -> Anonymised:
    """Every step after loading. Raises kanon.CannotAnonymise when k cannot be met."""
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
    columns, dropped = drop_identifying(data, columns)
    qis = quasi_identifiers(columns, definitions)
    people = people_table(data, columns, qis)
    result = kanon.search(people, qis, options.k, options.max_suppression)
    for qi in qis:
        columns = generalise(data, columns, qi, result.level_index[qi.name])
    suppress(data, columns, qis, result.suppressed)
    removed = 0
    if 0 < len(result.suppressed) < options.k:
        # Too few to hide among themselves: their records leave the export.
        gone = data["_person"].astype(str).isin({str(p) for p in result.suppressed})
        removed = int(gone.sum())
        data = data.loc[~gone]

    sensitive = list(dict.fromkeys(c.question for c in columns if c.privacy == "sensitive"))
    classes = _classes(people, qis, result)
    diversity = kanon.l_diversity(
        data["_person"].astype(str).map(classes),
        _sensitive_values(data, columns, sensitive),
    )

    tables = summary_tables(data, columns, qis, options.k)
    out = pd.DataFrame(
        {
            "pid": pseudonymise(data["_person"].astype(str)),
            "wave": data["_wave"].astype("string"),
            "period": year_quarter(data["_submitted_at"]),
        }
    )
    rest = data[[c.name for c in columns]]
    out = pd.concat([out, rest], axis=1)
    rng = np.random.default_rng(seed)
    out = out.iloc[rng.permutation(len(out))].reset_index(drop=True)

    meta_columns = [
        Column(
            "pid",
            "Pseudonym of the person, valid in this bundle only",
            treatment=["a random 64-bit number per person, drawn for this export and not kept"],
        ),
        Column("wave", "Which survey moment: intake, followup-1y, followup-5y, …"),
        Column(
            "period",
            "Year and quarter the answers were submitted",
            treatment=["submission time coarsened to year-quarter"],
        ),
    ]
    periods = out["period"].dropna()
    methodology = {
        "k": options.k,
        "k_achieved": result.k_achieved,
        "max_suppression": options.max_suppression,
        "quasi_identifiers": [qi.name for qi in qis],
        "sensitive": sensitive,
        "records": int(len(out)),
        "people": result.people,
        "records_suppressed": int(
            data["_person"].astype(str).isin({str(p) for p in result.suppressed}).sum()
        )
        + removed,
        "people_suppressed": len(result.suppressed),
        "suppression": (
            "the quasi-identifier values of people in classes smaller than k are replaced "
            "by 'suppressed' (multi-select columns left empty); when fewer than k people "
            "are suppressed, their records are removed instead"
        ),
        "records_removed": removed,
        "generalisation": result.levels,
        "lattice_nodes_evaluated": result.evaluated,
        "l_diversity": diversity,
        "dropped": dropped + ["response ids", "participant ids", "submission times", "locale"],
        "period": [periods.min(), periods.max()] if len(periods) else None,
        "rows_shuffled": True,
        "with_followups": options.with_followups,
        "income_groups": (
            f"World Bank country classification by income, {options.income_groups_year}"
            if any(c.name == derived.INCOME_GROUP for c in columns)
            else None
        ),
        "programme": options.programme,
        "term": options.term,
        "created": datetime.now().astimezone().date().isoformat(),
    }
    methodology["tables"] = sorted(tables)
    return Anonymised(out, meta_columns + columns, methodology, tables)


def summary_tables(data: pd.DataFrame, columns: list[Column], qis: list, k: int) -> dict:
    """People by each generalised quasi-identifier and programme (and term), counted once
    each from the row that answered it, with small-cell and complementary suppression."""
    tables = {}
    for by in ("_programme", "_term"):
        if data[by].isna().all():
            continue
        for qi in qis:
            names = [c.name for c in columns if c.question == qi.name and c.name in data]
            if not names:
                continue
            # Only the columns the table reads: filtering the whole table, eighteen times,
            # was most of this step's time.
            mine = data[["_person", by, *names]]
            people = mine[mine[names].notna().any(axis=1)].drop_duplicates("_person")
            label = by.removeprefix("_")
            if qi.multi:
                table = aggregates.count_multi(people, names, by, k)
            else:
                table = aggregates.count_table(people, qi.name, by, k)
            tables[f"{qi.name}_by_{label}"] = table
    return tables


def _sensitive_values(data: pd.DataFrame, columns: list[Column], names: list[str]):
    """Each sensitive question's answer per row (a multi-select as its set of codes)."""
    values = {}
    for name in names:
        multi = any(c.question == name and c.name != name for c in columns)
        probe = kanon.QuasiIdentifier(name, ["original", SUPPRESSED], [{}, {}], multi)
        answer = _answer_values(data, columns, probe)
        values[name] = answer.where(answer != kanon.MISSING)
    return pd.DataFrame(values, index=data.index)


def _classes(people: pd.DataFrame, qis: list, result: kanon.Result) -> pd.Series:
    """Person -> the number of their equivalence class under the chosen levels (the
    suppressed share one); numbers, not the joined values, to keep a million small."""
    keys = pd.Series("", index=people.index, dtype=object)
    for qi in qis:
        keys = keys + "\x1d" + qi.generalise_all(people[qi.name], result.level_index[qi.name])
    keys[keys.index.isin(list(result.suppressed))] = SUPPRESSED
    numbers, _ = pd.factorize(keys)
    return pd.Series(numbers, index=keys.index.astype(str))
