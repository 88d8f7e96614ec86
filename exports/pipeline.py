"""The export, step by step: load -> flatten -> drop -> bin numbers -> coarsen times ->
keep what the purpose needs -> recode quasi-identifiers person by person -> suppress ->
select a subset's whole classes -> pseudonymise -> shuffle. `anonymise` runs the steps in
order and returns the table, its columns, the methodology, the summary tables and a table
per repeat; `exports.verify` then counts and checks the written files.

Each step lives in a module of its own: `load` and `flatten` (the flat table), `prepare`
(drop, bin, keep for the purpose, the quasi-identifiers), `kanon` (the search),
`release` (the cells as written), `people` (classes, subsets, pseudonyms), `repeats` (a
repeat's entries, kept to what its released number allows), and `tables` and
`methodology` (what the bundle reports beside the data). This module only runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from . import coarsen, derived, kanon, load, purposes, refusals, release, repeats
from .aggregates import Table
from .columns import Column
from .definitions import Definitions, Hierarchies
from .memory import give_back
from .methodology import (
    ALWAYS_DROPPED,
    SUPPRESSION,
    Methodology,
    RepeatReport,
    information_kept,
    level_summary,
)
from .people import classes_as_written, people_table, pseudonymise, select_subset
from .prepare import (
    DROPPED_CLASSES,
    bin_numbers,
    drop_identifying,
    follow_relevance,
    for_purpose,
    own_copies,
    quasi_identifiers,
    questions_of,
)
from .tables import REGION_OF_INTEREST, summary_tables

# What callers use from here; `people_table`, `quasi_identifiers` and REGION_OF_INTEREST
# live in `people`, `prepare` and `tables` and stay importable from here too.
__all__ = [
    "REGION_OF_INTEREST",
    "Anonymised",
    "Options",
    "Prepared",
    "anonymise",
    "load_table",
    "load_tables",
    "people_table",
    "prepare",
    "quasi_identifiers",
]


@dataclass
class Anonymised:
    """The export's result: the table, its columns, the methodology, summary tables."""

    data: pd.DataFrame
    columns: list[Column]
    methodology: Methodology
    tables: dict[str, Table] = field(default_factory=dict)
    # One table per repeat the release keeps, `data_<repeat>` in the bundle.
    repeats: list[repeats.RepeatTable] = field(default_factory=list)


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
    hierarchies: Hierarchies = field(default_factory=dict)
    # Every question name of every loaded survey: a purpose may name any of them, and
    # names none of them only by mistake. None: this export's own.
    known_questions: frozenset[str] | None = None
    # Distinct l-diversity to require of every sensitive question, counted on the file.
    l_diversity: int | None = None


def load_table(
    connection: Connection,
    survey_id: str,
    options: Options,
    progress: Callable[[int], None] = lambda n: None,
) -> tuple[pd.DataFrame, list[Column], Definitions]:
    """All responses to export as one flat table (meta columns first), chunk by chunk."""
    loaded = load_tables(connection, survey_id, options, progress)
    return loaded.data, loaded.columns, loaded.definitions


def load_tables(
    connection: Connection,
    survey_id: str,
    options: Options,
    progress: Callable[[int], None] = lambda n: None,
) -> load.Loaded:
    """`load_table`'s table, columns and definitions, and each repeat's entries."""
    # The whole survey, whatever the subset asked for: a subset is a selection of the
    # whole survey's release (see `people.select_subset`).
    source = load.Source(
        survey_id, options.with_followups, chunk_size=options.chunk_size, unread=DROPPED_CLASSES
    )
    loaded = load.read_tables(connection, source, progress)
    if options.income_groups:
        loaded.columns = derived.add_income_group(
            loaded.data,
            loaded.columns,
            options.income_groups,
            options.income_groups_year or "unknown year",
        )
    return loaded


@dataclass
class Prepared:
    """The table made ready for the search: its columns, quasi-identifiers and what left."""

    columns: list[Column]
    qis: list[kanon.QuasiIdentifier]
    dropped: list[str]
    period: pd.Series


def prepare(
    data: pd.DataFrame, columns: list[Column], definitions: Definitions, options: Options
) -> Prepared:
    """Drop, bin, add programme and period, keep what the purpose needs, and find the
    quasi-identifiers (rewriting `data` in place): every step before the search."""
    # Own copies: generalising rewrites codes and treatments.
    columns = own_copies(columns)
    purpose = options.purpose
    columns, dropped = drop_identifying(data, columns)
    counts = repeats.bin_counts(data, columns, definitions)
    columns, unbinned, generated = bin_numbers(data, columns, questions_of(definitions))
    generated.update(counts)
    first = release.first_rows(data)
    columns = derived.add_programme(data, columns, first)
    period, period_column = coarsen.period_column(data["_submitted_at"], first)
    data[coarsen.PERIOD] = period
    columns = [period_column, *columns]
    generated[coarsen.PERIOD] = coarsen.period_hierarchy(period)
    extra = {name: dict(h) for name, h in options.hierarchies.items()}
    for name, hierarchy in generated.items():
        extra.setdefault(name, {})[purposes.DEFAULT_HIERARCHY] = hierarchy
    # A purpose may name a repeat's questions too (to exclude them from its table).
    known = options.known_questions or frozenset(c.question for c in columns if c.question)
    known |= repeats.inner_names(definitions)
    columns, unneeded = for_purpose(data, columns, purpose, extra, known)
    follow_relevance(columns, definitions)
    qis = quasi_identifiers(columns, definitions, purpose, extra)
    return Prepared(columns, qis, dropped + unbinned + unneeded, period)


def anonymise(
    data: pd.DataFrame,
    columns: list[Column],
    definitions: Definitions,
    options: Options,
    seed: int | None = None,
    entries: Mapping[str, repeats.RepeatEntries] | None = None,
) -> Anonymised:
    """Every step after loading; `entries` are the repeats' (`load_tables`), each
    released as a table of its own. `data` is used up: rewritten in place, and the
    columns released moved out of it into the result. Raises kanon.CannotAnonymise when k
    cannot be met and purposes.PurposeError when the purpose does not fit this export."""
    prepared = prepare(data, columns, definitions, options)
    columns, qis, purpose = prepared.columns, prepared.qis, options.purpose
    kept_entries = [
        prepared_entries
        for one in (entries or {}).values()
        if (prepared_entries := repeats.prepare_entries(one, columns, definitions, purpose))
        is not None
    ]
    # Tables count the answers as given, of everybody the survey's release is made from:
    # the same tables in every release of the survey, so none can be set against another.
    asked = [c.name for c in columns if c.privacy == "quasi_identifier"]
    tables = summary_tables(
        data[["_person", "_programme", *asked]], qis, options.k, options.hierarchies
    )

    people = people_table(data, columns, qis)
    # Each step's own arrays freed here and below (see `memory`).
    give_back()
    recoding = kanon.recode(people, qis, options.k, options.max_suppression)
    levels = kanon.hide_among_k(people, qis, recoding.levels, options.k)
    suppressed = kanon.at_top(levels, qis)
    _within_budget(int(suppressed.sum()), len(people), options)

    position = people.index.get_indexer(pd.Index(data["_person"].astype(object)))
    columns, removed_columns = release.write(data, columns, qis, levels[position])
    give_back()
    classes = classes_as_written(data, columns, qis)
    data, left_out = select_subset(data, classes, options.programme, options.term)
    subset = options.programme is not None or options.term is not None
    if subset and data.empty:
        raise _nobody_apart(left_out)
    release.prune_codes(data, columns)

    # The people released (a set of them was 70 MB at a million responses).
    in_release = pd.Index(np.asarray(data["_person"].unique(), dtype=object))
    chosen = people.index.isin(in_release)
    levels, suppressed = levels[chosen], suppressed[chosen]
    kept = people[chosen]
    information = information_kept(kept, kanon.released(kept, qis, levels), qis)
    pids = pseudonymise(data["_person"])
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(data))
    repeat_tables = [repeats.release_entries(one, data, pids, rng) for one in kept_entries]
    give_back()
    out = _shuffled(data, pids, [c.name for c in columns], order)

    periods = sorted(str(p) for p in prepared.period.loc[data.index].dropna().unique())
    removed = _questions(removed_columns)
    methodology: Methodology = {
        "k": options.k,
        "k_achieved": int(classes.loc[in_release].value_counts().min()) if len(in_release) else 0,
        "max_suppression": options.max_suppression,
        "purpose": purpose.name if purpose else None,
        "quasi_identifiers": [qi.name for qi in qis if qi.name not in removed],
        "quasi_identifiers_removed": [qi.name for qi in qis if qi.name in removed],
        "sensitive": list(
            dict.fromkeys(c.question for c in columns if c.privacy == "sensitive" and c.question)
        ),
        "weights": {qi.name: qi.weight for qi in qis},
        "hierarchies": {
            qi.name: purpose.hierarchy(qi.name) if purpose else purposes.DEFAULT_HIERARCHY
            for qi in qis
        },
        "records": int(len(out)),
        "people": len(in_release),
        "records_suppressed": int(data["_person"].isin(kept.index[suppressed]).sum()),
        "people_suppressed": int(suppressed.sum()),
        "suppression": SUPPRESSION,
        "records_removed": 0,
        "generalisation": {qi.name: level_summary(qi, levels[:, j]) for j, qi in enumerate(qis)},
        "local_recoding": recoding.passes,
        "lattice_nodes_evaluated": recoding.stats.counted,
        "information_kept": information,
        "l_diversity": None,
        "dropped": prepared.dropped + removed_columns + list(ALWAYS_DROPPED),
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
            {
                "selection": "whole equivalence classes of the whole survey's release",
                "people_left_out": left_out,
            }
            if subset
            else None
        ),
        "created": datetime.now().astimezone().date().isoformat(),
        "tables": sorted(tables),
        "repeats": {table.name: _repeat_report(table) for table in repeat_tables},
    }
    return Anonymised(out, [*_meta_columns(), *columns], methodology, tables, repeat_tables)


def _shuffled(
    data: pd.DataFrame, pids: pd.Series, names: list[str], order: np.ndarray
) -> pd.DataFrame:
    """The released table: pid, wave and the columns `names`, rows in `order`. Each column
    is moved out of `data` as it is copied: selecting, joining and shuffling the table
    copied it three times beside `data`, the peak of a million-response export."""
    out = {"pid": pids, "wave": data["_wave"].astype("string")}
    out.update((name, data.pop(name)) for name in names)
    return pd.DataFrame(
        {name: out.pop(name).take(order).reset_index(drop=True) for name in list(out)},
        copy=False,
    )


def _repeat_report(table: repeats.RepeatTable) -> RepeatReport:
    """What methodology.json says of a repeat's table."""
    return {
        "table": table.file,
        "title": table.title,
        "rows": len(table.data),
        "people": int(table.data["pid"].nunique()),
        "count_column": table.count,
        "count_bins": list(repeats.COUNT_LABELS),
        "entries_per_response_at_most": repeats.MOST_ENTRIES,
        "entries_kept": repeats.KEPT,
        "sensitive": list(
            dict.fromkeys(
                c.question for c in table.columns if c.privacy == "sensitive" and c.question
            )
        ),
        "dropped": table.dropped,
    }


def _meta_columns() -> list[Column]:
    return [
        Column(
            "pid",
            "Pseudonym of the person, valid in this bundle only",
            treatment=["a random 64-bit number per person, drawn for this export and not kept"],
        ),
        Column("wave", "Which survey moment: intake, followup-1y, followup-5y, …"),
    ]


def _within_budget(suppressed: int, people: int, options: Options) -> None:
    """At most `max_suppression` of people may end suppressed, or k where that is more
    (a suppressed group needs k people to hide among)."""
    allowed = max(options.max_suppression * people, options.k)
    if suppressed > allowed:
        raise kanon.CannotAnonymise(
            f"k={options.k} would leave {suppressed} of {refusals.people(people)} "
            f"({suppressed / people:.0%}) suppressed, more than --max-suppression "
            f"{options.max_suppression} allows",
            refusals.TOO_MUCH_SUPPRESSION,
            suppressed=suppressed,
            people=people,
            k=options.k,
            max_suppression=options.max_suppression,
        )


def _nobody_apart(left_out: int) -> kanon.CannotAnonymise:
    """A subset that releases nobody: none of its people answered, or every one of them
    shares a group with people outside it."""
    if not left_out:
        return kanon.CannotAnonymise(
            "only 0 people are in this subset", refusals.SUBSET_EMPTY, people=0
        )
    return kanon.CannotAnonymise(
        (
            "the only person of this subset shares a group of the survey's release with "
            "people outside it, so they cannot be released apart"
            if left_out == 1
            else f"each of the {left_out} people of this subset shares a group of the "
            "survey's release with people outside it, so none can be released apart"
        ),
        refusals.SUBSET_SPLIT,
        people=left_out,
    )


def _questions(names: list[str]) -> set[str]:
    """The questions that columns come from (`<question>__<code>` for a multi-select)."""
    return {name.split("__", 1)[0] for name in names}
