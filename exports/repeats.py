"""A repeat's entries as a table of their own, `data_<repeat>` (docs/exports.md, "Repeats").

A repeat (`type: repeat`) stores a list of entries per response: the projects someone
contributed to, one object each. They leave as a table beside the people's: one row per
entry, with the person's `pid` (the same pseudonym as in the people's table), the `wave`,
the entry's `position` (from 1) and the entry's answers, flattened and dropped exactly as
answers outside a repeat are.

What such a table could tell, and what this module does about it:

- **How many entries someone has.** Someone who lists 14 projects is rare, and the number
  may be public (a contributor profile). So the number of entries is a quasi-identifier:
  the people's table holds it in a column named after the repeat, in `COUNT_EDGES` bins
  (0, 1, 2, 3-4, 5-9, 10+), generalised (1-2, 3+; then 0 or 1+) and suppressed with the
  other quasi-identifiers. The entries' table then holds, per response, exactly as many
  entries as the lower bound of that released number — the first ones: 3 entries for
  "3-4", 10 for "10+", none for a suppressed or empty number. Counting a person's rows
  tells nothing the people's table does not, and `exports.verify` checks that on the
  written files.
- **What an entry says.** Identifiers, free text (an "other" text too) and `export: never`
  answers are dropped. Anything the people's table would make a quasi-identifier cannot be
  counted over a person's several entries yet, so it is left out: a number (released only
  in its bins, and only when marked `privacy: sensitive`), a calculation that reads a
  quasi-identifier, a question asked only when a quasi-identifier's answer says so.
  Sensitive answers stay; their l-diversity is counted on the file like the people's.
- **Who took part.** Entries of people the release leaves out (a subset's other people),
  or whose number of entries it suppresses (everybody suppressed whole among them), never
  appear: rows follow their response's row in the people's table.

Left for later: quasi-identifiers inside a repeat, and a rare combination of an entry's
non-identifying answers, which is no more protected than the same answers outside a repeat.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import coarsen, purposes
from .columns import SUPPRESSED, Column
from .definitions import Definition, HierarchyLevel, Question
from .prepare import DROPPED_CLASSES, REFERENCE, own_copies, questions_of
from .release import prune_codes

# A repeat's entry as loaded: the row of its response in the people's table, and its place
# (from 1), beside the entry's answers (names no question can take: they start with "_").
ROW = "_row"
PLACE = "_position"
# The released table's column of an entry's place, and the columns it starts with.
POSITION = "position"
META_NAMES = ("pid", "wave", POSITION)
# Lower edges of the bins the number of entries leaves in; the last is the most entries
# one response can have in the release.
COUNT_EDGES = (0, 1, 2, 3, 5, 10)
MOST_ENTRIES = COUNT_EDGES[-1]
# Every label starts with its bin's lower bound, as every code does (Stata files show
# the labels).
COUNT_LABELS = {
    "0": "0 entries",
    "1": "1 entry",
    "2": "2 entries",
    "3-4": "3 or 4 entries",
    "5-9": "5 to 9 entries",
    "10+": "10 or more entries",
}
COUNT_HIERARCHY: list[HierarchyLevel] = [
    {
        "level": "fewer_bins",
        "map": {"0": "0", "1": "1-2", "2": "1-2", "3-4": "3+", "5-9": "3+", "10+": "3+"},
        "labels": {"1-2": "1 or 2 entries", "3+": "3 or more entries"},
    },
    {
        "level": "any",
        "map": {"0": "0", "1-2": "1+", "3+": "1+"},
        "labels": {"1+": "1 or more entries"},
    },
]
KEPT = (
    "per response, as many entries as the lower bound of its number of entries as "
    "released in data (the first ones); none when that number is empty or suppressed"
)
# The lower bound of a count's code at any level: "3-4", "3+" and "3" all start at 3.
_LOWER_BOUND = re.compile(r"(\d+)(?:-\d+|\+)?")


@dataclass
class RepeatEntries:
    """One repeat's entries over every survey read, one row each: ROW (the response's row
    in the people's table), PLACE, then `columns`, the entries' answers flattened as
    any question's."""

    name: str
    data: pd.DataFrame
    columns: list[Column]
    title: str = ""
    # Columns left out, for methodology.json.
    dropped: list[str] = field(default_factory=list)


@dataclass
class RepeatTable:
    """A repeat's table as released: `data` with `columns` (pid, wave, position, then the
    entries' answers), and `count`, the people's table's column whose cell, in each
    response's row, says how many of its entries are here (None: not written, so none)."""

    name: str
    title: str
    data: pd.DataFrame
    columns: list[Column]
    count: str | None
    dropped: list[str] = field(default_factory=list)

    @property
    def file(self) -> str:
        """The file's name without its extension."""
        return f"data_{self.name}"


def count_code(count: int) -> str:
    """A number of entries as the code of its bin."""
    codes = list(COUNT_LABELS)
    return codes[int(np.searchsorted(COUNT_EDGES, count, side="right")) - 1]


def bin_counts(
    data: pd.DataFrame, columns: list[Column], definitions: Mapping[int, Definition]
) -> dict[str, list[HierarchyLevel]]:
    """Each repeat's number of entries (rewritten in `data` in place) as the code of its
    bin, a quasi-identifier with its hierarchy, which this returns by column."""
    questions = questions_of(definitions)
    hierarchies: dict[str, list[HierarchyLevel]] = {}
    for column in columns:
        question = questions.get(column.question or "")
        if question is None or question["type"] != "repeat" or column.name != question["name"]:
            continue
        numbers = pd.to_numeric(data[column.name], errors="coerce").astype("Int64")
        codes = [None if pd.isna(n) else count_code(int(n)) for n in numbers]
        data[column.name] = pd.Categorical(codes, categories=list(COUNT_LABELS))
        column.type, column.codes = "string", dict(COUNT_LABELS)
        column.privacy = "quasi_identifier"
        column.treatment.append(
            f"in bins from {', '.join(map(str, COUNT_EDGES))}; data_{column.name} holds as many "
            "of the response's entries as this cell's lower bound (the first ones)"
        )
        hierarchies[column.name] = COUNT_HIERARCHY
    return hierarchies


def entries_allowed(counts: pd.Series) -> np.ndarray:
    """How many entries each response keeps: the lower bound of its count as written;
    none where the count is empty or suppressed."""
    position, distinct = pd.factorize(counts.astype(object))
    bounds = [_lower_bound(str(code)) for code in distinct]
    return np.asarray([*bounds, 0], dtype=np.int64)[position]


def _lower_bound(code: str) -> int:
    if code == SUPPRESSED:
        return 0
    matched = _LOWER_BOUND.fullmatch(code)
    if matched is None:
        raise ValueError(f"not a number of entries: {code!r}")
    return int(matched.group(1))


def inner_questions(definitions: Mapping[int, Definition], repeat: str) -> dict[str, Question]:
    """A repeat's questions by name, the newest version's first; and the repeat itself."""
    found: dict[str, Question] = {}
    for version in sorted(definitions, reverse=True):
        for page in definitions[version]["pages"]:
            for question in page["questions"]:
                if question["name"] == repeat and question["type"] == "repeat":
                    for inner in question.get("questions", []):
                        found.setdefault(inner["name"], inner)
    return found


def inner_names(definitions: Mapping[int, Definition]) -> frozenset[str]:
    """The names of every repeat's questions, in every version."""
    return frozenset(
        inner["name"]
        for definition in definitions.values()
        for page in definition["pages"]
        for question in page["questions"]
        if question["type"] == "repeat"
        for inner in question.get("questions", [])
    )


def title_of(definitions: Mapping[int, Definition], repeat: str) -> str:
    """The repeat's label in its survey's default language, from the newest version."""
    for version in sorted(definitions, reverse=True):
        definition = definitions[version]
        for page in definition["pages"]:
            for question in page["questions"]:
                if question["name"] == repeat and question["type"] == "repeat":
                    texts = question["label"] or {}
                    return texts.get(definition["default_language"]) or next(
                        iter(texts.values()), repeat
                    )
    return repeat


def prepare_entries(
    entries: RepeatEntries,
    released: list[Column],
    definitions: Mapping[int, Definition],
    purpose: purposes.Purpose | None,
) -> RepeatEntries | None:
    """The entries' columns that may leave, with the same rules as the people's table;
    None when the repeat does not leave at all (its number of entries was dropped: the
    purpose does not keep it, or it is marked `export: never`).

    `released` are the people's table's columns once prepared: its quasi-identifiers, and
    whether the count is among them."""
    if not any(c.name == entries.name for c in released):
        return None
    questions = inner_questions(definitions, entries.name)
    columns = own_copies(entries.columns)
    data = entries.data.copy(deep=False)
    dropped: list[str] = []

    def drop(names: list[str]) -> None:
        nonlocal columns
        for name in names:
            del data[name]
        columns = [c for c in columns if c.name not in names]
        dropped.extend(names)

    drop([c.name for c in columns if c.privacy in DROPPED_CLASSES])
    drop([c.name for c in columns if not _binned(data, c, questions)])
    drop([c.name for c in columns if c.privacy == "quasi_identifier"])
    identifying = {c.question for c in released if c.privacy == "quasi_identifier"}
    while True:
        after = [
            c.name for c in columns if set(REFERENCE.findall(_relevant(questions, c))) & identifying
        ]
        if not after:
            break
        identifying |= {c.question for c in columns if c.name in after}
        drop(after)
    if purpose is not None:
        drop([c.name for c in columns if c.question in purpose.exclude])
    for column in columns:
        if column.name in META_NAMES:  # a question called `position`, say: its own name
            data = data.rename(columns={column.name: f"{column.name}_answer"})
            column.name = f"{column.name}_answer"
    title = title_of(definitions, entries.name)
    return RepeatEntries(entries.name, data, columns, title, dropped)


def _relevant(questions: Mapping[str, Question], column: Column) -> str:
    question = questions.get(column.question or "")
    relevant = question.get("relevant") if question else None
    return relevant if isinstance(relevant, str) else ""


def _binned(data: pd.DataFrame, column: Column, questions: Mapping[str, Question]) -> bool:
    """Whether a column may stay as far as numbers go, binning it (in place) if it is one:
    a number leaves only in its bins, and only when sensitive; elsewhere it would be a
    quasi-identifier, which no entry can carry yet."""
    if column.type not in ("integer", "number") or column.codes is not None:
        return True
    question = questions.get(column.question or "")
    edges = question.get("bins") if question else None
    if not edges or column.privacy != "sensitive":
        return False
    integer = column.type == "integer"
    data[column.name] = coarsen.binned(data[column.name], edges, integer)
    codes = coarsen.bin_codes(edges, integer)
    column.type, column.codes = "string", {code: code for code in codes}
    column.treatment.append(f"in bins from {', '.join(map(str, edges))}")
    return True


def release_entries(
    entries: RepeatEntries,
    data: pd.DataFrame,
    pids: pd.Series,
    rng: np.random.Generator,
) -> RepeatTable:
    """The entries of the responses in the release (`data`, the people's table as written,
    indexed by the rows entries point to), as many of each response's as its count allows,
    each with its person's pid (`pids`, indexed like `data`); rows shuffled."""
    count = entries.name if entries.name in data else None
    frame = entries.data
    at = data.index.get_indexer(pd.Index(frame[ROW].to_numpy(dtype=np.int64)))
    allowed = entries_allowed(data[count]) if count else np.zeros(len(data), dtype=np.int64)
    position = frame[PLACE].to_numpy(dtype=np.int64)
    keep = (at >= 0) & (position <= np.where(at >= 0, allowed[at], 0))
    chosen, rows = frame[keep], at[keep]
    out = pd.DataFrame(
        {
            "pid": pd.array(pids.to_numpy()[rows], dtype="string"),
            "wave": pd.array(data["_wave"].astype(object).to_numpy()[rows], dtype="string"),
            POSITION: pd.array(position[keep], dtype="Int64"),
        }
    )
    inner = chosen[[c.name for c in entries.columns]].reset_index(drop=True)
    out = pd.concat([out, inner], axis=1)
    out = out.iloc[rng.permutation(len(out))].reset_index(drop=True)
    columns = own_copies(entries.columns)
    prune_codes(out, columns)
    meta = [
        Column(
            "pid",
            "Pseudonym of the person, as in the people's table (data)",
            treatment=["the person's pid in data: rows of one person share it"],
        ),
        Column("wave", "Which survey moment the entry was given in, as in data"),
        Column(
            POSITION,
            "The entry's number in the response, from 1",
            "integer",
            treatment=[
                f"the first entries only: as many as the response's {entries.name!r} in data "
                f"says at least, at most {MOST_ENTRIES}"
            ],
        ),
    ]
    return RepeatTable(entries.name, entries.title, out, [*meta, *columns], count, entries.dropped)
