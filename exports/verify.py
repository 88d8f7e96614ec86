"""Check k-anonymity and distinct l-diversity of an export by reading its written file back.

This is a second opinion on the export pipeline, so it deliberately shares no code with
the rest of `exports`: it has its own readers (none of them the writers' code paths), its
own notion of a person's value and its own grouping. Agreement between the two is then
evidence; a shared bug could not make them agree by accident.

Contract, for a file of one of `FORMATS`:

- Every cell is read back as text: missing is "", numbers are rendered the same way
  throughout a file (an integer-valued float 1.0 is "1"), so values are compared exactly
  as written. "suppressed" is a value like any other and differs from "".
- A person is all rows with the same pid. A person's value in a column is the column's
  non-empty values over the person's rows, ordered by (wave, value) and joined with
  "\\x1e"; "" when there are none. A wave that left a column empty adds nothing.
- A person's equivalence class is the tuple of their values over every quasi-identifier
  column; k is the size of the smallest class, in people.
- A person's answer to a sensitive question is the tuple of their values over its
  columns; all "" means unanswered. l[question] is the fewest distinct answers any class
  has, over the classes where someone answered.

A *linked* table (a repeat's `data_<repeat>`, one row per entry) is read whole, in the same
format, and must keep three promises, or `Counted.problems` says which it breaks:

- its columns are exactly the ones declared, in that order;
- every row's pid is a pid of the data file, and its (pid, wave) a row of it;
- each response — a (pid, wave) of the data file — has exactly as many rows as the lower
  bound of its cell in the data file's count column, the number the cell starts with ("3"
  for "3", "3-4" or "3+"; in Stata the cell's value label, "3 or 4 entries"; none for ""
  or "suppressed", or when there is no count column), numbered 1, 2, … in `position`.
  So counting rows tells nothing the data file does not.

Its sensitive questions get an l too, `<table>.<question>`, a person's value being their
non-empty values over all their rows, ordered by (wave, value), joined as above.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from operator import itemgetter
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

FORMATS = ("csv", "xlsx", "parquet", "json", "dta")
# Rows of a csv file read at a time.
CSV_ROWS = 100_000
SEPARATOR = "\x1e"  # joins one person's values from several rows
SUPPRESSED = "suppressed"
# A number of entries as written starts with its lower bound: "3", "3-4", "3+", or in
# Stata its value label, "3 or 4 entries".
_COUNT = re.compile(r"(\d+)(?:\D.*)?")


@dataclass(frozen=True)
class Linked:
    """A table beside the data file, one row per entry of a repeat, linked to it by pid."""

    name: str
    source: bytes | IO[bytes]
    # The columns declared, as named in the file, in order.
    columns: Sequence[str]
    # The data file's column whose cell bounds each response's rows (None: no rows).
    count: str | None
    # Question -> its columns in this table.
    sensitive: Mapping[str, Sequence[str]] = field(default_factory=dict)
    position: str = "position"


@dataclass(frozen=True)
class Counted:
    """What the file shows. `class_sizes` is ascending, one entry (people) per class."""

    people: int  # distinct pids in the file
    k: int  # smallest class; `people` if there are no quasi-identifiers; 0 if no people
    classes: int
    class_sizes: tuple[int, ...]
    l: dict[str, int]  # noqa: E741 - as in l-diversity; absent: nobody answered
    # Broken promises of the file's header and of the linked tables, one sentence each.
    problems: tuple[str, ...] = ()
    # Rows of each linked table.
    linked_rows: dict[str, int] = field(default_factory=dict)

    def small(self, k_required: int) -> int:
        """How many people are in classes smaller than `k_required`."""
        return sum(size for size in self.class_sizes if size < k_required)


def count(
    source: bytes | IO[bytes],
    fmt: str,
    quasi_identifiers: Mapping[str, Sequence[str]],
    sensitive: Mapping[str, Sequence[str]] | None = None,
    pid: str = "pid",
    wave: str | None = "wave",
    columns: Sequence[str] | None = None,
    linked: Sequence[Linked] = (),
) -> Counted:
    """Count people, equivalence classes and l-diversity in a written export file.

    Both maps go from a question to its column names *as written in the file* (several
    0/1 columns for a select_multiple question). A named column the file lacks is a
    ValueError: the caller declares what it wrote. `wave=None` treats all rows as one wave.
    `columns`, when given, are all the columns declared, which the file's header must
    match; `linked` tables are checked against the file (see the module's contract).
    """
    sensitive = sensitive or {}
    qi_columns = [name for names in quasi_identifiers.values() for name in names]
    sensitive_columns = [name for names in sensitive.values() for name in names]
    value_columns = list(dict.fromkeys(qi_columns + sensitive_columns))
    quasi_identifier_set, sensitive_set = set(qi_columns), set(sensitive_columns)
    counts = [table.count for table in linked if table.count is not None]
    data = _bytes(source)
    row_columns = [pid, *([wave] if wave else []), *counts]
    header, column = _columns(data, fmt, [*row_columns, *value_columns], unique=[pid])
    # The rows' pid, wave and counts as a table (a linked table is checked against them);
    # the value columns are read one at a time, each kept only as its people's codes: the
    # whole file as text was most of a million-response export's peak.
    frame = pd.DataFrame({name: column(name) for name in dict.fromkeys(row_columns)}, dtype=object)
    if fmt == "dta":
        # A count's integer stands for a code; its value label tells the entries.
        for name, labels in _stata_labels(data, counts).items():
            frame[name] = labels
    problems = []
    # An empty json array has no header to compare.
    headless = fmt == "json" and frame.empty
    if columns is not None and header != list(columns) and not headless:
        problems.append(_header_problem("the data file", header, columns))
    pids = frame[pid].to_numpy(dtype=object)
    if (pids == "").any():
        # Rows without a pid cannot be told apart, and lumping them together would hide
        # small classes: refuse rather than guess.
        raise ValueError(f"Some rows have no {pid!r}.")
    person, people = pd.factorize(pids)
    n = len(people)
    # Waves as sorted integer codes: one fixed order, and integers sort fast.
    waves = (
        pd.factorize(frame[wave].to_numpy(dtype=object), sort=True)[0]
        if wave
        else np.zeros_like(person)
    )
    klass = np.zeros(n, dtype=np.int64)
    values: dict[str, np.ndarray] = {}
    for name in value_columns:
        coded = _person_codes(column(name), person, waves, n)
        if name in quasi_identifier_set:
            klass = _combine([klass, coded], n)
        if name in sensitive_set:
            values[name] = coded
    sizes = np.bincount(klass, minlength=1 if n else 0)
    l_values = _l_diversity(klass, values, sensitive)
    rows = {}
    for table in linked:
        found, table_l, table_rows = _check_linked(
            table, fmt, frame, pd.Index(people), klass, pid, wave
        )
        problems.extend(found)
        l_values.update({f"{table.name}.{question}": v for question, v in table_l.items()})
        rows[table.name] = table_rows
    return Counted(
        people=n,
        k=int(sizes.min()) if n else 0,
        classes=len(sizes),
        class_sizes=tuple(sorted(int(size) for size in sizes)),
        l=l_values,
        problems=tuple(problems),
        linked_rows=rows,
    )


def _l_diversity(
    klass: np.ndarray, values: Mapping[str, np.ndarray], sensitive: Mapping[str, Sequence[str]]
) -> dict[str, int]:
    """The fewest distinct answers any class has, per question someone answered."""
    n = len(klass)
    l_values = {}
    for question, names in sensitive.items():
        answered = np.zeros(n, dtype=bool)
        for name in names:
            answered |= values[name] >= 0
        if not answered.any():
            continue
        answer = _combine([values[name] for name in names], n)[answered]
        width = int(answer.max()) + 1
        # Each distinct (class, answer) pair once; counting pairs per class gives its l.
        pairs = np.unique(klass[answered] * width + answer)
        per_class = np.bincount(pairs // width)
        l_values[question] = int(per_class[per_class > 0].min())
    return l_values


def _check_linked(
    table: Linked,
    fmt: str,
    data: pd.DataFrame,
    people: pd.Index,
    klass: np.ndarray,
    pid: str,
    wave: str | None,
) -> tuple[list[str], dict[str, int], int]:
    """A linked table's broken promises, its sensitive questions' l, and its rows."""
    header, frame = _read(table.source, fmt, None, unique=[pid])
    if fmt == "json" and frame.empty:  # an empty array: no header, no rows
        header = list(table.columns)
        frame = pd.DataFrame({column: [] for column in header}, dtype=object)
    name = table.name
    problems = []
    if header != list(table.columns):
        problems.append(_header_problem(name, header, table.columns))
    needed = [pid, table.position, *([wave] if wave else [])]
    if any(column not in header for column in needed):
        return [*problems, f"{name} lacks one of {', '.join(needed)}"], {}, len(frame)
    pids = frame[pid].to_numpy(dtype=object)
    owner = people.get_indexer(pd.Index(pids))
    strangers = int((owner < 0).sum())
    if strangers:
        problems.append(f"{strangers} row(s) of {name} have a pid that the data file lacks")
    # Each response of the data file, as pid + wave, and how many entries it may have.
    keys = _keys(data, pid, wave)
    if table.count is None:
        bounds = np.zeros(len(data), dtype=np.int64)
    else:
        bounds, unreadable = _lower_bounds(data[table.count].to_numpy(dtype=object))
        if unreadable:
            problems.append(f"{unreadable} cell(s) of {table.count} are not a number of entries")
    allowed = pd.Series(bounds).groupby(keys).sum()
    mine = _keys(frame, pid, wave)
    given = pd.Series(1, index=mine).groupby(level=0).sum()
    expected = allowed.reindex(given.index).fillna(0).astype(np.int64)
    wrong = int((given != expected).sum())
    missing = int(((allowed > 0) & ~allowed.index.isin(given.index)).sum())
    if wrong or missing:
        problems.append(
            f"{wrong + missing} response(s) have a number of rows in {name} other than "
            f"the lower bound of their {table.count or 'count'} in the data file"
        )
    position = pd.to_numeric(pd.Series(frame[table.position]), errors="coerce")
    limit = expected.reindex(mine).to_numpy()
    bad = position.isna().to_numpy() | (position.to_numpy() < 1) | (position.to_numpy() > limit)
    repeated = pd.Series(mine + SEPARATOR + frame[table.position].to_numpy(dtype=object))
    if bad.any() or repeated.duplicated().any():
        problems.append(f"the positions in {name} are not 1, 2, … per response")
    l_values: dict[str, int] = {}
    if table.sensitive and not strangers:
        own_waves = (
            pd.factorize(frame[wave].to_numpy(dtype=object), sort=True)[0]
            if wave
            else np.zeros(len(frame), dtype=np.int64)
        )
        columns = [column for names in table.sensitive.values() for column in names]
        values = {
            column: _person_codes(
                frame[column].to_numpy(dtype=object), owner, own_waves, len(people)
            )
            for column in dict.fromkeys(columns)
        }
        l_values = _l_diversity(klass, values, table.sensitive)
    return problems, l_values, len(frame)


def _keys(frame: pd.DataFrame, pid: str, wave: str | None) -> np.ndarray:
    """Each row's response: its pid and wave, joined."""
    pids = frame[pid].to_numpy(dtype=object)
    if wave is None:
        return pids
    joined: np.ndarray = pids + SEPARATOR + frame[wave].to_numpy(dtype=object)
    return joined


def _lower_bounds(cells: np.ndarray) -> tuple[np.ndarray, int]:
    """Each count cell's lower bound (0 for "" and "suppressed"), and how many cells are
    no number of entries at all."""
    bounds = np.zeros(len(cells), dtype=np.int64)
    unreadable = 0
    for i, cell in enumerate(cells):
        if cell in ("", SUPPRESSED):
            continue
        matched = _COUNT.fullmatch(cell)
        if matched is None:
            unreadable += 1
        else:
            bounds[i] = int(matched.group(1))
    return bounds, unreadable


def _header_problem(name: str, header: Sequence[str], declared: Sequence[str]) -> str:
    extra = [column for column in header if column not in declared]
    absent = [column for column in declared if column not in header]
    detail = "; ".join(
        part
        for part in (
            f"undeclared: {', '.join(extra)}" if extra else "",
            f"not written: {', '.join(absent)}" if absent else "",
        )
        if part
    )
    return f"the columns of {name} are not those declared ({detail or 'in another order'})"


def _person_codes(column: np.ndarray, person: np.ndarray, waves: np.ndarray, n: int) -> np.ndarray:
    """`_person_values` as numbers: equal values alike, -1 for "" (no value)."""
    joined = _person_values(column, person, waves, n)
    codes: np.ndarray = pd.factorize(joined)[0].astype(np.int32)
    codes[joined == ""] = -1
    return codes


def _person_values(column: np.ndarray, person: np.ndarray, waves: np.ndarray, n: int) -> np.ndarray:
    """Each person's non-empty values in `column`, ordered by (wave, value), joined."""
    joined = np.full(n, "", dtype=object)
    present = np.flatnonzero(column != "")
    if not present.size:
        return joined
    text = column[present]
    value_order = pd.factorize(text, sort=True)[0]  # sorted: code order is value order
    order = np.lexsort((value_order, waves[present], person[present]))
    owners, text = person[present][order], text[order]
    # Each value's position among its owner's values: 0 for the first, 1 for the next...
    row = np.arange(len(owners))
    starts = np.r_[True, owners[1:] != owners[:-1]]
    position = row - np.maximum.accumulate(np.where(starts, row, 0))
    # One vectorised pass per position (a handful) instead of a Python join per person.
    first = position == 0
    joined[owners[first]] = text[first]
    for at in range(1, int(position.max()) + 1):
        rows = position == at
        joined[owners[rows]] = joined[owners[rows]] + SEPARATOR + text[rows]
    return joined


def _combine(arrays: Sequence[np.ndarray], n: int) -> np.ndarray:
    """An integer id per person, equal exactly when the people agree on every array."""
    ids = np.zeros(n, dtype=np.int64)
    for values in arrays:
        codes, uniques = pd.factorize(values)
        # Refactorising after each step keeps ids below n, so the product cannot overflow.
        ids = pd.factorize(ids * len(uniques) + codes)[0].astype(np.int64)
    return ids


# Reading -------------------------------------------------------------------------------


def read_data(
    source: bytes | IO[bytes], fmt: str, columns: Iterable[str] | None = None
) -> pd.DataFrame:
    """The file's data table with every cell as text ("" for missing).

    `columns` picks (and orders) the columns to return, all by default; one the file
    lacks is a ValueError naming it.
    """
    return _read(source, fmt, columns)[1]


def _read(
    source: bytes | IO[bytes],
    fmt: str,
    columns: Iterable[str] | None = None,
    unique: Sequence[str] = (),
) -> tuple[list[str], pd.DataFrame]:
    """`read_data`, and the file's whole header."""
    header, column = _columns(source, fmt, columns, unique)
    names = header if columns is None else list(dict.fromkeys(columns))
    # object, not pandas' str dtype: counting works on numpy arrays of Python strings.
    frame = pd.DataFrame({name: column(name) for name in names}, columns=names, dtype=object)
    return header, frame


def _columns(
    source: bytes | IO[bytes],
    fmt: str,
    columns: Iterable[str] | None = None,
    unique: Sequence[str] = (),
) -> tuple[list[str], Callable[[str], np.ndarray]]:
    """The file's whole header, and a function giving one of `columns` (all by default)
    as text, a column at a time; a column the file lacks is a ValueError naming it.
    `unique` names columns of (nearly) a value per row, such as pids, which a reader may
    hold otherwise than the rest."""
    reader = _READERS.get(fmt)
    if reader is None:
        raise ValueError(f"Unknown format {fmt!r}; expected one of {', '.join(FORMATS)}.")
    data = _bytes(source)
    wanted = None if columns is None else list(dict.fromkeys(columns))
    header, raw = reader(data, wanted, unique)
    if wanted is not None:
        absent = [name for name in wanted if name not in header]
        if absent:
            raise ValueError(f"Columns not in the {fmt} file: {', '.join(absent)}.")
    return list(header), lambda name: _as_text(raw(name))


def _bytes(source: bytes | IO[bytes]) -> bytes:
    return bytes(source) if isinstance(source, bytes | bytearray | memoryview) else source.read()


def _stata_labels(data: bytes, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """Stata columns as their value labels (as text; the value itself where it has none)."""
    if not columns:
        return {}
    frame = pd.read_stata(io.BytesIO(data), columns=list(columns), convert_categoricals=True)
    return {name: _as_text(frame[name].astype(object)) for name in columns}


def _as_text(values: Any) -> np.ndarray:
    """Render a column as text, once per distinct value rather than once per cell."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.ArrowDtype):
        # As read from Arrow: numbered as it is, and only the distinct values made Python
        # objects (an object per cell was a string per row of pids, 60 MB at a million).
        codes, distinct = pd.factorize(values)
        uniques: Any = pd.Series(distinct, dtype=object).to_numpy()
    else:
        codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    if pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        texts = np.append(np.asarray(uniques, dtype=object), "")  # text already (a csv's)
    else:
        texts = np.array([_text(value) for value in uniques] + [""], dtype=object)
    return texts[codes]  # a missing cell has code -1, which picks the trailing ""


def _text(value: Any) -> str:
    """One value as text, the same way whichever reader produced it."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, datetime):  # also pandas Timestamps; before date, a subclass
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# Each reader takes the file's bytes and the wanted column names (None: all) and returns
# the header and a function giving one column's raw values.
Columns = tuple[list[str], Callable[[str], Any]]


def _rows_reader(
    header: list[str], rows: Iterable[Sequence[Any]], wanted: list[str] | None
) -> Columns:
    """Keep the wanted cells of row-wise data, column by column (short rows pad missing)."""
    names = [name for name in (header if wanted is None else wanted) if name in header]
    index = [header.index(name) for name in names]
    width = max(index, default=-1) + 1

    def take(row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(row[i] if i < len(row) else None for i in index)

    # itemgetter takes a whole row's wanted cells in C; a tuple of one for one column.
    whole = itemgetter(*index) if len(index) > 1 else take
    # Only the wanted cells are kept, column by column, a batch of rows at a time: a wide
    # file's other cells, or a list per row, would cost memory.
    # Equal cells share one string (interned): the reader makes a new one per cell, which
    # at a million rows was over a gigabyte of copies of the same few texts.
    by_column: list[list[Any]] = [[] for _ in names]
    rows = iter(rows)
    while batch := [whole(row) if len(row) >= width else take(row) for row in islice(rows, 50_000)]:
        for column, cells in zip(by_column, zip(*batch, strict=True), strict=True):
            texts = all(isinstance(cell, str) for cell in cells)
            column.extend(map(sys.intern, cells) if texts else cells)
    position = {name: j for j, name in enumerate(names)}
    return header, lambda name: by_column[position[name]]


def _read_csv(data: bytes, wanted: list[str] | None, unique: Sequence[str] = ()) -> Columns:
    # The header by the csv module, strict: the names exactly as written.
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")
    header = next(csv.reader(text, strict=True), [])
    names = [name for name in (header if wanted is None else wanted) if name in header]
    if not header or not names:
        return header, lambda name: []
    # The cells by pandas' C parser (Arrow's writer wrote them; this shares no code with
    # it), which shares equal strings as it reads, where the csv module made one per cell
    # (at a million rows, seconds and over a gigabyte). Nothing is read as missing: an
    # empty cell, or one past the end of a short row, is the text "", and a blank line is
    # a row (of no pid, which `count` refuses). Unlike the header's reader it forgives a
    # stray character after a closing quote; Arrow's writer quotes every text cell.
    # Read a slice of rows at a time, each column kept as numbers into its slice's
    # distinct texts (but for those of a value per row, such as pids): the whole file's
    # cells as objects were 700 MB at a million rows. (pandas' own categories would read
    # "01" as the number 1.)
    kept: dict[str, list[Any]] = {name: [] for name in names}
    for rows in pd.read_csv(
        io.BytesIO(data),
        usecols=names,
        dtype=object,
        na_filter=False,
        skip_blank_lines=False,
        encoding="utf-8",
        engine="c",
        chunksize=CSV_ROWS,
    ):
        for name in kept:  # each name once, though a header may repeat it
            cells = rows[name].to_numpy(dtype=object)
            if name in unique:
                kept[name].append(cells)
            else:
                codes, distinct = pd.factorize(cells)
                kept[name].append((codes.astype(np.min_scalar_type(len(distinct))), distinct))

    def column(name: str) -> np.ndarray:
        if not kept[name]:
            return np.asarray([], dtype=object)
        if name in unique:
            cells: np.ndarray = np.concatenate(kept[name])
            return cells
        texts = pd.Index(pd.unique(np.concatenate([distinct for _, distinct in kept[name]])))
        number = [texts.get_indexer(distinct)[codes] for codes, distinct in kept[name]]
        cells = texts.to_numpy(dtype=object)[np.concatenate(number)]
        return cells

    return header, column


def _read_json(data: bytes, wanted: list[str] | None, unique: Sequence[str] = ()) -> Columns:
    records = json.loads(data)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError("A json export must be an array of record objects.")
    # An empty array has no header to contradict the caller, so it holds every column.
    header = list(records[0]) if records else list(wanted or [])
    return header, lambda name: [record.get(name) for record in records]


def _read_xlsx(data: bytes, wanted: list[str] | None, unique: Sequence[str] = ()) -> Columns:
    from openpyxl import load_workbook  # here: the other formats need not load it

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if "data" not in workbook.sheetnames:
            raise ValueError('The xlsx file has no sheet "data".')
        rows = workbook["data"].iter_rows(values_only=True)
        header = ["" if cell is None else str(cell) for cell in next(rows, ())]
        return _rows_reader(header, rows, wanted)  # reads every row before closing
    finally:
        workbook.close()


def _read_parquet(data: bytes, wanted: list[str] | None, unique: Sequence[str] = ()) -> Columns:
    source = pq.ParquetFile(io.BytesIO(data))
    header = source.schema_arrow.names

    def column(name: str) -> Any:
        # One column read when asked for (the file is stored by column): all the wanted
        # columns at once, as 64-bit integers, were 250 MB at a million rows.
        # Arrow-backed pandas keeps integers with nulls as integers instead of floats.
        return source.read(columns=[name]).column(name).to_pandas(types_mapper=pd.ArrowDtype)

    return header, column


def _read_dta(data: bytes, wanted: list[str] | None, unique: Sequence[str] = ()) -> Columns:
    # Codes stay the integers stored: one code, one integer, so equality is unchanged.
    frame = pd.read_stata(io.BytesIO(data), convert_categoricals=False)
    return list(frame.columns), lambda name: frame[name]


_READERS: dict[str, Callable[[bytes, list[str] | None, Sequence[str]], Columns]] = {
    "csv": _read_csv,
    "xlsx": _read_xlsx,
    "parquet": _read_parquet,
    "json": _read_json,
    "dta": _read_dta,
}
