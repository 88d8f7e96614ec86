"""Write the anonymised table in the format an analyst asked for.

Every writer reads the same inputs: the anonymised DataFrame and its `Column` list, in
order. Writers never change values, only how they are stored: types come from
`Column.type`, code labels from `Column.codes`. Large exports (about a million rows) are
written in slices of `CHUNK_ROWS` so that a text or spreadsheet rendering of the whole
table never sits in memory at once.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from . import FORMATS
from .columns import SUPPRESSED, Column
from .safety import neutralise_frame

# Formats a spreadsheet opens, so their text is neutralised against formula injection.
NEUTRALISED_FORMATS = ("csv", "xlsx")

Target = str | os.PathLike[str] | IO[bytes]

CHUNK_ROWS = 100_000
DATE_FORMAT = "%Y-%m-%d"
# Excel's sheet size, header row included.
XLSX_MAX_ROWS = 1_048_576
STATA_NAME_LENGTH = 32
STATA_LABEL_LENGTH = 80
# Longest str# Stata stores inline; longer text needs a strL.
STATA_STR_BYTES = 2045
# Stata's reserved names (as listed in its manual and in pandas' StataWriter).
STATA_RESERVED = frozenset(
    {
        "aggregate", "array", "boolean", "break", "byte", "case", "catch", "class",
        "colvector", "complex", "const", "continue", "default", "delegate", "delete", "do",
        "double", "else", "eltypedef", "end", "enum", "explicit", "export", "external",
        "float", "for", "friend", "function", "global", "goto", "if", "inline", "int",
        "local", "long", "NULL", "pragma", "protected", "quad", "rowvector", "short",
        "typedef", "typename", "virtual", "_all", "_N", "_skip", "_b", "_pi", "str#", "in",
        "_pred", "strL", "_coef", "_rc", "using", "_cons", "_se", "with", "_n",
    }
)  # fmt: skip
# Control characters an xlsx file cannot hold (openpyxl refuses them); tab, LF, CR stay.
XLSX_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_STATA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
_PANDAS_TYPES: dict[str, Literal["str", "Int64", "Float64", "boolean"]] = {
    "string": "str",
    "integer": "Int64",
    "number": "Float64",
    "boolean": "boolean",
}
# Which dtypes already suit each type (any integer width, nullable or not, is an integer).
_ACCEPTS: dict[str, Callable[[Any], bool]] = {
    "string": lambda dtype: isinstance(dtype, pd.StringDtype),
    "integer": pd.api.types.is_integer_dtype,
    "number": pd.api.types.is_float_dtype,
    "boolean": pd.api.types.is_bool_dtype,
    "date": pd.api.types.is_datetime64_dtype,
}
_ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
}


def write_data(
    data: pd.DataFrame, columns: list[Column], fmt: str, path_or_buffer: Target
) -> dict[str, str]:
    """Write `data` described by `columns` as `fmt` to a path or binary file object.

    Returns each column's name as it appears in the written file: the same name except
    for dta, whose names Stata limits to 32 characters (the codebook reports them).
    """
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    # Typed slice by slice as it is written (`_chunks`): the whole table typed at once
    # held every coded column again as text, 170 MB at a million responses.
    frame = _described(data, columns)
    # Dates typed on the whole column: an empty first slice would type its own with
    # another time unit, which parquet's pandas metadata keeps.
    dates = {c.name: _as_type(frame[c.name], c.type) for c in columns if c.type == "date"}
    frame = frame.assign(**dates) if dates else frame
    names = stata_names([c.name for c in columns]) if fmt == "dta" else _same_names(columns)
    with _binary_target(path_or_buffer) as target:
        writer(frame, columns, target)
    return names


def typed_frame(data: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """Return `data` in the columns' order with each column in the dtype its type promises.

    A column the list does not describe is an error rather than silently exported: an
    undescribed column is one nobody checked for privacy.
    """
    return _typed(_described(data, columns), columns)


def _typed(frame: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """`frame` (the columns' own, in order) with each column in its type's dtype."""
    changed = {}
    for column in columns:
        series = frame[column.name]
        typed = _as_type(series, column.type)
        if typed is not series:
            changed[column.name] = typed
    # assign() on a shallow copy only materialises the converted columns.
    return frame.assign(**changed) if changed else frame


def _described(data: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """`data`'s columns in the list's order; ValueError when they are not those listed."""
    names = [c.name for c in columns]
    described = set(names)
    extra = [name for name in data.columns if name not in described]
    missing = [name for name in names if name not in data.columns]
    if extra or missing:
        raise ValueError(f"Data and column list disagree: undescribed {extra}, absent {missing}.")
    if len(described) != len(names):
        raise ValueError("Column names must be unique.")
    return data[names]


def _as_type(series: pd.Series, column_type: str) -> pd.Series:
    """Convert one column to a pandas dtype fit for its Table Schema type (no-op if it is).

    Compact dtypes the pipeline chose (Int8 for 0/1 columns, Float64) are kept; codes
    held as a categorical become plain text, which every writer handles alike.
    """
    if column_type not in _ACCEPTS:
        raise ValueError(f"Unknown column type {column_type!r}.")
    if _ACCEPTS[column_type](series.dtype):
        return series
    if column_type == "date":
        return pd.to_datetime(series, format="ISO8601")
    if column_type == "string" and isinstance(series.dtype, pd.CategoricalDtype):
        # Each category converted once, then taken by code: converting every cell was
        # most of the writers' time.
        text = series.cat.categories.astype(_PANDAS_TYPES["string"])
        taken = text.take(series.cat.codes.to_numpy(), allow_fill=True)
        return pd.Series(taken.array, index=series.index, name=series.name)
    return series.astype(_PANDAS_TYPES[column_type])


def _same_names(columns: list[Column]) -> dict[str, str]:
    """The identity name mapping, for formats that keep every name as is."""
    return {c.name: c.name for c in columns}


@contextmanager
def _binary_target(path_or_buffer: Target) -> Iterator[IO[bytes]]:
    """Open a path for binary writing, or lend a caller's file object without closing it."""
    if isinstance(path_or_buffer, str | os.PathLike):
        with open(path_or_buffer, "wb") as handle:
            yield handle
    else:
        yield path_or_buffer


@contextmanager
def _text_target(target: IO[bytes]) -> Iterator[IO[str]]:
    """Write UTF-8 text into a binary file object, leaving it open for the caller."""
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    try:
        yield text
    finally:
        text.flush()
        text.detach()


def _chunks(frame: pd.DataFrame, columns: list[Column]) -> Iterator[pd.DataFrame]:
    """Slices of `frame` (already `_described`) of CHUNK_ROWS rows, each typed; an empty
    frame still yields one (empty) slice for the header."""
    rows = CHUNK_ROWS
    for start in range(0, max(len(frame), 1), rows):
        yield _typed(frame.iloc[start : start + rows], columns)


def _date_columns(columns: list[Column]) -> list[str]:
    return [c.name for c in columns if c.type == "date"]


def _dates_as_text(chunk: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """Dates as ISO text, so text formats carry a date and not a timestamp."""
    dates = _date_columns(columns)
    if not dates:
        return chunk
    return chunk.assign(**{name: chunk[name].dt.strftime(DATE_FORMAT) for name in dates})


# csv -----------------------------------------------------------------------------------


def write_csv(frame: pd.DataFrame, columns: list[Column], target: IO[bytes]) -> None:
    """UTF-8 csv with a header row and NA as an empty cell, its text neutralised.

    Arrow's writer is several times faster than pandas' here. It quotes every text cell
    (and the header); numbers, booleans (true/false) and dates are left bare, and a
    missing value is an empty, unquoted cell.
    """
    # RFC 4180 line ends; the names are plain identifiers, so the header needs no quotes.
    options = pa_csv.WriteOptions(eol="\r\n", quoting_header="none")
    schema = arrow_schema(columns)
    with pa_csv.CSVWriter(target, schema, write_options=options) as writer:
        for chunk in _chunks(frame, columns):
            table = pa.Table.from_pandas(
                neutralise_frame(chunk), schema=schema, preserve_index=False
            )
            writer.write_table(table)


# json ----------------------------------------------------------------------------------


def write_json(frame: pd.DataFrame, columns: list[Column], target: IO[bytes]) -> None:
    """A UTF-8 JSON array of records, NA as null, written slice by slice."""
    with _text_target(target) as text:
        text.write("[")
        first = True
        for chunk in _chunks(frame, columns):
            records = _dates_as_text(chunk, columns).to_json(
                orient="records", force_ascii=False, double_precision=15
            )
            body = records[1:-1]  # drop the slice's own brackets
            if body:
                text.write(body if first else ",\n" + body)
                first = False
        text.write("]")


# parquet -------------------------------------------------------------------------------


def write_parquet(frame: pd.DataFrame, columns: list[Column], target: IO[bytes]) -> None:
    """Parquet with nullable int64, float64, string, bool and date32 columns.

    Each field carries its title in the field metadata, so the file explains itself.
    """
    schema = arrow_schema(columns)
    writer: pq.ParquetWriter | None = None
    try:
        for chunk in _chunks(frame, columns):
            table = pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def arrow_schema(columns: list[Column]) -> pa.Schema:
    """The Arrow schema the Column list describes."""
    return pa.schema(
        [
            pa.field(
                c.name,
                _ARROW_TYPES[c.type],
                nullable=True,
                metadata={"title": c.title, "treatment": "; ".join(c.treatment)},
            )
            for c in columns
        ]
    )


# xlsx ----------------------------------------------------------------------------------


def write_xlsx(frame: pd.DataFrame, columns: list[Column], target: IO[bytes]) -> None:
    """A workbook with sheet "data" (codes) and sheet "labels" (code labels instead).

    openpyxl's write-only mode streams rows to disk, so a large table does not hold every
    cell as a Python object at once.
    """
    if len(frame) + 1 > XLSX_MAX_ROWS:
        raise ValueError(
            f"An xlsx sheet holds at most {XLSX_MAX_ROWS - 1} rows and this export has "
            f"{len(frame)}; choose csv, parquet or dta."
        )
    from openpyxl import Workbook  # here: the other formats need not load it

    workbook = Workbook(write_only=True)
    sheets: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
        "data": lambda chunk: chunk,
        "labels": lambda chunk: labelled_frame(chunk, columns),
    }
    header = [c.name for c in columns]
    for title, render in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        sheet.append(header)
        for chunk in _chunks(frame, columns):
            for row in _excel_rows(render(chunk), columns):
                sheet.append(row)
    workbook.save(target)


def labelled_frame(frame: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """`frame` with each coded cell showing its label; values without a label stay as is."""
    labelled = {}
    for column in columns:
        labels = typed_codes(column)
        if labels:
            values = frame[column.name]
            shown = values.map(labels)
            shown = shown.where(shown.notna(), values)
            labelled[column.name] = shown.astype("str") if column.type == "string" else shown
    return frame.assign(**labelled) if labelled else frame


def _excel_rows(chunk: pd.DataFrame, columns: list[Column]) -> Iterator[tuple[Any, ...]]:
    """Rows of plain Python values openpyxl accepts: text neutralised, NA as empty cells."""
    safe = neutralise_frame(chunk)
    cleaned = {
        name: safe[name].str.replace(XLSX_ILLEGAL, "", regex=True)
        for name in safe.columns
        if isinstance(safe[name].dtype, pd.StringDtype)
    }
    cleaned.update({name: safe[name].dt.date for name in _date_columns(columns)})
    safe = safe.assign(**cleaned).astype(object)
    return safe.where(safe.notna(), None).itertuples(index=False, name=None)


# dta -----------------------------------------------------------------------------------


def write_dta(frame: pd.DataFrame, columns: list[Column], target: IO[bytes]) -> None:
    """Stata 14+ (format 118, UTF-8) with coded columns stored as labelled integers.

    Stata analysts expect `tab country` to show labels, and Stata strings cannot carry
    value labels, so each code becomes an integer with the code's label attached.
    """
    frame = typed_frame(frame, columns)
    names = stata_names([c.name for c in columns])
    converted: dict[str, pd.Series] = {}
    value_labels: dict[Hashable, dict[float, str]] = {}
    for column in columns:
        values = frame[column.name]
        if column.type == "string" and column.codes is not None:
            values, value_labels[names[column.name]] = _value_labelled(values, column)
        elif column.type == "integer" and typed_codes(column):
            # A labelled scale already holds integers: label them as they are.
            value_labels[names[column.name]] = typed_codes(column)
        elif column.type == "boolean":
            values = values.astype("Int8")  # Stata has no boolean type
        converted[names[column.name]] = values
    stata = pd.DataFrame(converted, index=frame.index, copy=False)
    stata.to_stata(
        target,
        version=118,
        write_index=False,
        convert_dates={names[name]: "td" for name in _date_columns(columns)},
        variable_labels={names[c.name]: c.title[:STATA_LABEL_LENGTH] for c in columns},
        value_labels=value_labels,
        convert_strl=_long_text_columns(stata),
    )


def _value_labelled(values: pd.Series, column: Column) -> tuple[pd.Series, dict[float, str]]:
    """Integer-code a coded text column and return the integer -> label map.

    Integers follow the order of the survey's codes; codes the data holds beyond those
    (such as "suppressed") come after, sorted, labelled with themselves.
    """
    codes = dict(column.codes or {})
    extra = sorted(set(values.dropna().unique()) - set(codes))
    for code in extra:
        codes[code] = code
    numbers = {code: number for number, code in enumerate(codes, start=1)}
    labels: dict[float, str] = {numbers[code]: label or code for code, label in codes.items()}
    # Stata refuses a label that two values share; the code tells them apart.
    shared = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    labels = {
        number: f"{label} ({code})" if label in shared else label
        for (code, _), (number, label) in zip(codes.items(), labels.items(), strict=True)
    }
    return values.map(numbers).astype("Int64"), labels


def _long_text_columns(stata: pd.DataFrame) -> list[str]:
    """Text columns too long for Stata's str# type, which must be stored as strL."""
    long_text = []
    for name in stata.columns:
        values = stata[name]
        if not isinstance(values.dtype, pd.StringDtype) or values.isna().all():
            continue
        # Up to 4 bytes per character: count bytes only when characters could overflow.
        if values.str.len().max() * 4 <= STATA_STR_BYTES:
            continue
        encoded = values.dropna().str.encode("utf-8")
        # pandas-stubs types `.str` of bytes without `len`, which pandas has for bytes too.
        if encoded.str.len().max() > STATA_STR_BYTES:  # type: ignore[misc]
            long_text.append(name)
    return long_text


def stata_names(names: Iterable[str]) -> dict[str, str]:
    """Map each column name to a unique, valid Stata name of at most 32 characters.

    A valid name is kept. Any other name is cleaned (letters, digits, underscore) and,
    when too long, shortened with a hash of the full name appended: the result depends
    only on the name, so the same column gets the same Stata name in every export.
    For `<question>__<code>` the code is kept readable and the question shortened.
    """
    names = list(names)
    mapping = {name: name for name in names if _is_stata_name(name)}
    taken = set(mapping.values())
    for name in names:
        if name in mapping:
            continue
        candidate = _clean_stata_name(name)
        attempt = 0
        while len(candidate) > STATA_NAME_LENGTH or candidate in taken:
            candidate = _shortened_stata_name(name, attempt)
            attempt += 1
        mapping[name] = candidate
        taken.add(candidate)
    return {name: mapping[name] for name in names}


def _is_stata_name(name: str) -> bool:
    return bool(_STATA_NAME.fullmatch(name)) and name not in STATA_RESERVED


def _clean_stata_name(name: str) -> str:
    """Replace what Stata does not allow in a name; prefix an underscore where needed."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not cleaned or cleaned[0].isdigit() or cleaned in STATA_RESERVED:
        cleaned = "_" + cleaned
    return cleaned


def _shortened_stata_name(name: str, attempt: int) -> str:
    """A 32-character name: a readable stem, "_", and 6 hex digits of the name's hash."""
    salt = f"#{attempt}" if attempt else ""
    digest = hashlib.sha1((name + salt).encode(), usedforsecurity=False).hexdigest()[:6]
    room = STATA_NAME_LENGTH - len(digest) - 1
    cleaned = _clean_stata_name(name)
    question, separator, code = cleaned.rpartition("__")
    if separator and question:
        # Keep the code (the part that tells sibling columns apart) and trim the question.
        keep = max(room - len(separator) - len(code), 8)
        stem = (question[:keep] + separator + code)[:room]
    else:
        stem = cleaned[:room]
    return f"{stem}_{digest}"


# Shared ---------------------------------------------------------------------------------


def typed_codes(column: Column) -> dict[Any, str]:
    """The column's code -> label map with codes in the column's own type.

    Codes are stored as text in the definition; an integer column (a 1-5 scale, say)
    holds them as numbers, so its map is keyed by integers.
    """
    if not column.codes:
        return {}
    if column.type == "integer":
        try:
            return {int(code): label for code, label in column.codes.items()}
        except ValueError:
            return {}
    return dict(column.codes)


def present_codes(values: pd.Series, column: Column) -> list[Any]:
    """The codes a coded column may hold: its own, plus "suppressed" when the data has it."""
    codes = list(typed_codes(column))
    if column.codes is None or column.type != "string":
        return codes
    if SUPPRESSED not in codes and values.eq(SUPPRESSED).any():
        codes.append(SUPPRESSED)
    return codes


_WRITERS: dict[str, Callable[[pd.DataFrame, list[Column], IO[bytes]], None]] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "parquet": write_parquet,
    "json": write_json,
    "dta": write_dta,
}
