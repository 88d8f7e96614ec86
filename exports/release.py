"""Write each quasi-identifier at each person's level: the released table.

The search (`kanon`) counts people by their values as this module writes them, so the
two follow one rule, stated here once:

- below the top level, a row's cell holds its answer's code at the person's level, and an
  empty cell stays empty (not asked and skipped are one value: nothing);
- at the top level, a person's single-choice column holds `suppressed` in their first row
  (their earliest answers) and nothing in the others, whatever they answered, and a
  multi-select's 0/1 columns are all empty — so every person at the top reads alike;
- a column at its top level for everybody is not written at all;
- a multi-select at a level above its codes' gets one 0/1 column per code of that level,
  named by that code unless the name is an original code's with other meaning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import SUPPRESSED, Column
from .kanon import QuasiIdentifier, numbered

# A multi-select column written at some level: the original codes it joins, its cells.
Written = tuple[frozenset[str], pd.Series]


def first_rows(data: pd.DataFrame) -> np.ndarray:
    """Which row is each person's first: their earliest submitted answers (the intake,
    where there is one)."""
    # Factorised as stored (Arrow text), and the times as numbers: a Python string and a
    # Timestamp per row were most of the time (4 s at a million rows).
    person = pd.factorize(data["_person"])[0]
    at = pd.to_datetime(data["_submitted_at"], utc=True).to_numpy(dtype="datetime64[us]")
    order = np.lexsort((np.arange(len(data)), at, person))
    first = np.zeros(len(data), dtype=bool)
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = person[order][1:] != person[order][:-1]
    first[order[starts]] = True
    return first


def write(
    data: pd.DataFrame,
    columns: list[Column],
    qis: list[QuasiIdentifier],
    row_levels: np.ndarray,
) -> tuple[list[Column], list[str]]:
    """Rewrite every quasi-identifier's columns in place, row by row at `row_levels[:, j]`
    (the level of the row's person for quasi-identifier j); returns the columns and the
    names of those left out because everybody's are at the top."""
    first = first_rows(data)
    removed: list[str] = []
    for j, qi in enumerate(qis):
        levels = row_levels[:, j]
        mine = [c for c in columns if c.question == qi.name]
        if len(levels) and (levels == qi.top).all():
            removed.extend(c.name for c in mine)
            for column in mine:
                del data[column.name]
            columns = [c for c in columns if c.question != qi.name]
        elif qi.multi:
            columns = _write_multi(data, columns, qi, levels)
        else:
            _write_single(data, mine[0], qi, levels, first)
    return columns, removed


def _write_single(
    data: pd.DataFrame, column: Column, qi: QuasiIdentifier, levels: np.ndarray, first: np.ndarray
) -> None:
    # Worked on integer codes: each distinct value is generalised once per level, and the
    # rows only pick theirs (a Python lookup per row and level was 5 s at a million).
    position, values = pd.factorize(data[column.name])  # -1 where not answered
    texts = [str(value) for value in values]
    outputs: dict[str, int] = {}  # each written value, numbered as first met
    out = np.full(len(position), -1, dtype=np.int64)
    labels: dict[str, str] = dict(column.codes or {})
    for level in np.unique(levels):
        rows = levels == level
        if level == qi.top:
            out[rows & first] = outputs.setdefault(SUPPRESSED, len(outputs))
            continue
        written = np.asarray(
            [outputs.setdefault(qi.code_at(text, int(level)), len(outputs)) for text in texts]
            + [-1],
            dtype=np.int64,
        )
        out[rows] = written[position[rows]]  # position -1 picks the trailing -1
        labels.update(qi.labels[level] if level < len(qi.labels) else {})
    # A categorical of the values written, in sorted order, as pd.Categorical makes it.
    names = np.asarray(list(outputs), dtype=object)
    used = np.unique(out[out >= 0])
    order = sorted(range(len(used)), key=lambda i: names[used[i]])
    renumber = np.full(len(names) + 1, -1, dtype=np.int64)
    renumber[used[order]] = np.arange(len(used))
    categories = [names[used[i]] for i in order]
    data[column.name] = pd.Categorical.from_codes(renumber[out], categories=pd.Index(categories))
    # In the code list's order, then its hierarchy's: age bands stay in age order.
    known = [*labels, *(code for level in qi.maps[1:] for code in level.values())]
    rank = {code: i for i, code in reversed(list(enumerate(known)))}
    present = sorted(
        (code for code in categories if code != SUPPRESSED),
        key=lambda code: (rank.get(code, len(rank)), code),
    )
    column.codes = {code: labels.get(code, code) for code in present}
    column.treatment.append(_treated(qi, levels))


def _write_multi(
    data: pd.DataFrame, columns: list[Column], qi: QuasiIdentifier, levels: np.ndarray
) -> list[Column]:
    mine = [c for c in columns if c.question == qi.name]
    originals = {c.name.split("__", 1)[1]: c.name for c in mine}
    title = mine[0].title.split(": ")[0]
    written: dict[str, Written] = {}
    for level in np.unique(levels):
        if level == qi.top:
            continue
        rows = levels == level
        groups: dict[str, list[str]] = {}
        for code in originals:
            groups.setdefault(qi.code_at(code, int(level)), []).append(code)
        for code, members in groups.items():
            name = _column_name(qi.name, code, frozenset(members), originals, written)
            merged = data.loc[rows, [originals[m] for m in members]].max(axis=1)
            series = written.get(name, (None, pd.Series(pd.NA, index=data.index, dtype="Int8")))[1]
            series[rows] = merged.astype("Int8")
            written[name] = (frozenset(members), series)
    for column in mine:
        del data[column.name]
    new_columns = []
    for name, (joins, series) in written.items():
        data[name] = series
        label = name.split("__", 1)[1]
        new_columns.append(
            Column(
                name,
                f"{title}: {label}" if len(joins) > 1 else _title_of(mine, originals, joins),
                "integer",
                codes={"0": "not chosen", "1": "chosen"},
                question=qi.name,
                privacy=mine[0].privacy,
                treatment=[_treated(qi, levels)]
                + ([f"any of {', '.join(sorted(joins))}"] if len(joins) > 1 else []),
            )
        )
    at = columns.index(mine[0])
    rest = [c for c in columns if c.question != qi.name]
    return rest[:at] + new_columns + rest[at:]


def _column_name(
    question: str,
    code: str,
    members: frozenset[str],
    originals: dict[str, str],
    written: dict[str, Written],
) -> str:
    """`question__code`, unless that name already means other codes (an original code's
    column, or another level's group): then the codes it joins, `a_or_b`."""
    name = f"{question}__{code}"
    if code in originals:
        meaning = frozenset([code])
    else:
        meaning = written[name][0] if name in written else members
    if meaning == members:
        return name
    return f"{question}__{'_or_'.join(sorted(members))}"


def _title_of(mine: list[Column], originals: dict[str, str], members: frozenset[str]) -> str:
    (code,) = members
    return next(c.title for c in mine if c.name == originals[code])


def _treated(qi: QuasiIdentifier, levels: np.ndarray) -> str:
    """What was done, in words: the level, or the levels people were recoded to."""
    names = [qi.levels[int(n)] for n in np.unique(levels)]
    if len(names) == 1:
        return f"generalised to level {names[0]!r}"
    return "generalised person by person (local recoding) to levels " + ", ".join(
        repr(name) for name in names
    )


def prune_codes(data: pd.DataFrame, columns: list[Column]) -> None:
    """A coded column lists only the codes its released cells hold: a code list's rare
    code, held by someone whose value was generalised or suppressed, would otherwise
    say that such a person took part."""
    for column in columns:
        if column.codes is None or column.type != "string":
            continue
        # The distinct values held, read from a categorical's codes: a text made per cell
        # was a second at a million responses.
        present = {str(value) for value in numbered(data[column.name].dropna())[1]}
        column.codes = {code: label for code, label in column.codes.items() if code in present}
