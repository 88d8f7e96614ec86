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
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

FORMATS = ("csv", "xlsx", "parquet", "json", "dta")
SEPARATOR = "\x1e"  # joins one person's values from several rows


@dataclass(frozen=True)
class Counted:
    """What the file shows. `class_sizes` is ascending, one entry (people) per class."""

    people: int  # distinct pids in the file
    k: int  # smallest class; `people` if there are no quasi-identifiers; 0 if no people
    classes: int
    class_sizes: tuple[int, ...]
    l: dict[str, int]  # noqa: E741 - as in l-diversity; absent: nobody answered

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
) -> Counted:
    """Count people, equivalence classes and l-diversity in a written export file.

    Both maps go from a question to its column names *as written in the file* (several
    0/1 columns for a select_multiple question). A named column the file lacks is a
    ValueError: the caller declares what it wrote. `wave=None` treats all rows as one wave.
    """
    sensitive = sensitive or {}
    qi_columns = [name for names in quasi_identifiers.values() for name in names]
    sensitive_columns = [name for names in sensitive.values() for name in names]
    value_columns = list(dict.fromkeys(qi_columns + sensitive_columns))
    frame = read_data(source, fmt, [pid, *([wave] if wave else []), *value_columns])
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
    values = {
        name: _person_values(frame[name].to_numpy(dtype=object), person, waves, n)
        for name in value_columns
    }
    klass = _combine([values[name] for name in qi_columns], n)
    sizes = np.bincount(klass, minlength=1 if n else 0)
    l_values = {}
    for question, names in sensitive.items():
        answered = np.zeros(n, dtype=bool)
        for name in names:
            answered |= values[name] != ""
        if not answered.any():
            continue
        answer = _combine([values[name] for name in names], n)[answered]
        width = int(answer.max()) + 1
        # Each distinct (class, answer) pair once; counting pairs per class gives its l.
        pairs = np.unique(klass[answered] * width + answer)
        per_class = np.bincount(pairs // width)
        l_values[question] = int(per_class[per_class > 0].min())
    return Counted(
        people=n,
        k=int(sizes.min()) if n else 0,
        classes=len(sizes),
        class_sizes=tuple(sorted(int(size) for size in sizes)),
        l=l_values,
    )


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
    reader = _READERS.get(fmt)
    if reader is None:
        raise ValueError(f"Unknown format {fmt!r}; expected one of {', '.join(FORMATS)}.")
    data = bytes(source) if isinstance(source, bytes | bytearray | memoryview) else source.read()
    wanted = None if columns is None else list(dict.fromkeys(columns))
    header, raw = reader(data, wanted)
    if wanted is not None:
        absent = [name for name in wanted if name not in header]
        if absent:
            raise ValueError(f"Columns not in the {fmt} file: {', '.join(absent)}.")
    names = header if wanted is None else wanted
    # object, not pandas' str dtype: counting works on numpy arrays of Python strings.
    return pd.DataFrame({name: _as_text(raw(name)) for name in names}, columns=names, dtype=object)


def _as_text(values: Any) -> np.ndarray:
    """Render a column as text, once per distinct value rather than once per cell."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
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
    # Only the wanted cells are kept: a wide file's other cells would cost memory.
    kept = [[row[i] if i < len(row) else None for i in index] for row in rows]
    position = {name: j for j, name in enumerate(names)}
    return header, lambda name: [row[position[name]] for row in kept]


def _read_csv(data: bytes, wanted: list[str] | None) -> Columns:
    # strict: a malformed file is an error, not something to read around.
    rows = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True)
    header = next(rows, [])
    return _rows_reader(header, rows, wanted)


def _read_json(data: bytes, wanted: list[str] | None) -> Columns:
    records = json.loads(data)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError("A json export must be an array of record objects.")
    # An empty array has no header to contradict the caller, so it holds every column.
    header = list(records[0]) if records else list(wanted or [])
    return header, lambda name: [record.get(name) for record in records]


def _read_xlsx(data: bytes, wanted: list[str] | None) -> Columns:
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


def _read_parquet(data: bytes, wanted: list[str] | None) -> Columns:
    header = pq.read_schema(io.BytesIO(data)).names
    table = pq.read_table(io.BytesIO(data), columns=[n for n in wanted or header if n in header])
    # Arrow-backed pandas keeps integers with nulls as integers instead of floats.
    return header, lambda name: table.column(name).to_pandas(types_mapper=pd.ArrowDtype)


def _read_dta(data: bytes, wanted: list[str] | None) -> Columns:
    # Codes stay the integers stored: one code, one integer, so equality is unchanged.
    frame = pd.read_stata(io.BytesIO(data), convert_categoricals=False)
    return list(frame.columns), lambda name: frame[name]


_READERS: dict[str, Callable[[bytes, list[str] | None], Columns]] = {
    "csv": _read_csv,
    "xlsx": _read_xlsx,
    "parquet": _read_parquet,
    "json": _read_json,
    "dta": _read_dta,
}
