"""Package an anonymised export as one zip a researcher can use without asking us anything.

The bundle holds exactly: the data file, a Frictionless Data Package describing it, a
codebook, the anonymisation methodology and a short README. Everything beside the data is
derived from the `Column` list and the methodology dict, never from the survey definition.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import pandas as pd

from exports import FORMATS, verify
from exports.aggregates import Table
from exports.columns import SUPPRESSED, Column
from exports.safety import neutralise
from exports.writers import (
    NEUTRALISED_FORMATS,
    present_codes,
    typed_codes,
    write_data,
)

MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
    "dta": "application/x-stata-dta",
}
SUPPRESSED_LABEL = "suppressed (too rare to publish safely)"
# Data up to this size is staged in memory, larger data in a temporary file.
SPOOL_BYTES = 64 * 1024 * 1024
COPY_BYTES = 1024 * 1024

# One line per format and tool; missing-value options keep codes such as "NA" as text.
LOADERS = {
    "csv": (
        'R:      d <- read.csv("data.csv", na.strings = "", encoding = "UTF-8")',
        'pandas: d = pd.read_csv("data.csv", keep_default_na=False, na_values=[""])',
        'Stata:  import delimited using "data.csv", varnames(1) encoding(utf-8) clear',
    ),
    "xlsx": (
        'R:      d <- readxl::read_excel("data.xlsx", sheet = "data")',
        'pandas: d = pd.read_excel("data.xlsx", sheet_name="data")',
        'Stata:  import excel using "data.xlsx", sheet("data") firstrow clear',
    ),
    "parquet": (
        'R:      d <- arrow::read_parquet("data.parquet")',
        'pandas: d = pd.read_parquet("data.parquet")',
        "Stata:  no built-in Parquet reader; ask for the dta or csv export instead.",
    ),
    "json": (
        'R:      d <- jsonlite::fromJSON("data.json")',
        'pandas: d = pd.read_json("data.json", orient="records", dtype=False, convert_dates=False)',
        "Stata:  no built-in JSON reader; ask for the dta or csv export instead.",
    ),
    "dta": (
        'R:      d <- haven::read_dta("data.dta")',
        'pandas: d = pd.read_stata("data.dta")',
        'Stata:  use "data.dta", clear',
    ),
}


class NotReleased(Exception):
    """The written data file does not keep the bundle's promise; one sentence says why."""


def write_bundle(
    out: str | os.PathLike[str] | IO[bytes],
    data: pd.DataFrame,
    columns: list[Column],
    fmt: str,
    methodology: Mapping[str, Any],
    survey_title: str,
    tables: Mapping[str, Table] | None = None,
    l_diversity: int | None = None,
) -> dict[str, Any]:
    """Write the export zip to `out` (a path or a binary file object), once the data file
    as written has been counted and keeps k (and `l_diversity`, when asked); returns the
    methodology with what was counted. Raises NotReleased, leaving nothing at `out`, when
    it does not.

    `tables` (name -> aggregates.Table) go in as `tables/<name>.csv`, already suppressed.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as staged:
        names = write_data(data, columns, fmt, staged)
        methodology = {**methodology, **_counted(staged, fmt, columns, names, methodology)}
        _check(methodology, l_diversity)
        try:
            _write_zip(out, staged, data, columns, fmt, names, methodology, survey_title, tables)
        except BaseException:
            if isinstance(out, str | os.PathLike):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(out)
            raise
    return methodology


def _counted(
    staged: IO[bytes],
    fmt: str,
    columns: list[Column],
    names: dict[str, str],
    methodology: Mapping[str, Any],
) -> dict[str, Any]:
    """k and l as `exports.verify` counts them on the bytes written."""
    staged.seek(0)

    def file_columns(privacy: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for column in columns:
            if column.privacy == privacy and column.question:
                found.setdefault(column.question, []).append(names[column.name])
        return found

    counted = verify.count(
        staged,
        fmt,
        quasi_identifiers=file_columns("quasi_identifier"),
        sensitive=file_columns("sensitive"),
        pid=names.get("pid", "pid"),
        wave=names.get("wave", "wave"),
    )
    staged.seek(0)
    return {
        "k_achieved": counted.k,
        "people_in_classes_under_k": counted.small(int(methodology.get("k") or 1)),
        "l_diversity": counted.l,
        "verified": "k and l counted on the written data file by exports/verify.py",
    }


def _check(methodology: dict[str, Any], l_diversity: int | None) -> None:
    k, achieved = int(methodology["k"]), int(methodology["k_achieved"])
    if methodology.get("records") and achieved < k:
        raise NotReleased(
            f"the written file has a group of only {achieved} "
            f"{'person' if achieved == 1 else 'people'} where k={k} was promised, so it was "
            "not released"
        )
    if l_diversity is not None:
        low = {q: value for q, value in methodology["l_diversity"].items() if value < l_diversity}
        if low:
            question, value = min(low.items(), key=lambda item: item[1])
            raise NotReleased(
                f"in the written file some group's {question!r} answers take only {value} "
                f"value(s) where l={l_diversity} was asked, so it was not released"
            )


def _write_zip(
    out: str | os.PathLike[str] | IO[bytes],
    staged: IO[bytes],
    data: pd.DataFrame,
    columns: list[Column],
    fmt: str,
    names: dict[str, str],
    methodology: dict[str, Any],
    survey_title: str,
    tables: Mapping[str, Table] | None,
) -> None:
    # Level 3: half the time of the default 6, for a fifth more bytes.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as bundle:
        size, digest = _add_data(bundle, staged, fmt)
        package = datapackage(data, columns, fmt, methodology, survey_title, names)
        package["resources"][0].update(bytes=size, hash=f"sha256:{digest}")
        bundle.writestr("datapackage.json", _json_text(package))
        bundle.writestr("codebook.csv", codebook_csv(data, columns, fmt, names))
        bundle.writestr("methodology.json", _json_text(methodology))
        bundle.writestr("README.txt", readme(data, columns, fmt, methodology, survey_title))
        for name, table in (tables or {}).items():
            bundle.writestr(f"tables/{name}.csv", _table_csv(table))


def _table_csv(table: Table) -> str:
    """A summary table as csv, its labels neutralised like the data: programme codes and
    answer codes come from definitions and imports that people type."""
    shown = table.to_display().map(neutralise)
    shown.index = shown.index.map(neutralise)
    shown.columns = shown.columns.map(neutralise)
    return shown.to_csv()


def _add_data(bundle: zipfile.ZipFile, staged: IO[bytes], fmt: str) -> tuple[int, str]:
    """Copy the staged data.<fmt> into the zip; return its size and its sha256.

    Some writers (Stata, xlsx) need a seekable file, which a zip entry is not, so the
    data is staged in a spooled temporary file and then copied in.
    """
    digest = hashlib.sha256()
    size = staged.seek(0, io.SEEK_END)
    staged.seek(0)
    force_zip64 = size >= zipfile.ZIP64_LIMIT
    with bundle.open(f"data.{fmt}", "w", force_zip64=force_zip64) as entry:
        while block := staged.read(COPY_BYTES):
            digest.update(block)
            entry.write(block)
    return size, digest.hexdigest()


def datapackage(
    data: pd.DataFrame,
    columns: list[Column],
    fmt: str,
    methodology: dict[str, Any],
    survey_title: str,
    names: dict[str, str],
) -> dict[str, Any]:
    """The Frictionless Data Package (v1 tabular profile) describing data.<fmt>.

    Field names are the names in the data file (Stata's for dta); k and k achieved sit
    in a custom "anonymisation" property, which Data Package readers keep and ignore.
    """
    return {
        "profile": "tabular-data-package",
        "name": _package_name(survey_title),
        "title": survey_title,
        "description": "Anonymised survey answers, one row per response.",
        "anonymisation": {
            "k": methodology.get("k"),
            "k_achieved": methodology.get("k_achieved"),
            "details": "methodology.json",
        },
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": "data",
                "path": f"data.{fmt}",
                "format": fmt,
                "mediatype": MEDIA_TYPES[fmt],
                "encoding": "utf-8",
                "schema": {
                    "fields": [_field(data, c, fmt, names[c.name]) for c in columns],
                    "missingValues": [""],
                },
            }
        ],
    }


def _field(data: pd.DataFrame, column: Column, fmt: str, name: str) -> dict[str, Any]:
    """One Table Schema field; a coded column lists its codes as an enum constraint."""
    field: dict[str, Any] = {
        "name": name,
        "title": column.title,
        "type": column.type,
        "description": _treatment(column),
    }
    if name != column.name:
        field["variable"] = column.name
    codes = present_codes(data[column.name], column)
    if fmt in NEUTRALISED_FORMATS:
        # The file holds the neutralised text, so the enum must too.
        codes = [neutralise(code) for code in codes]
    if codes:
        field["constraints"] = {"enum": codes}
    return field


def codebook_csv(data: pd.DataFrame, columns: list[Column], fmt: str, names: dict[str, str]) -> str:
    """The codebook as csv text: one row per column, with the Stata name for dta.

    It is opened in spreadsheets too, and question texts and labels are survey input,
    so its cells are neutralised like the data.
    """
    header = ["variable", "title", "question", "type", "codes", "treatment"]
    if fmt == "dta":
        header.append("stata_name")
    text = io.StringIO()
    writer = csv.writer(text)  # CRLF, so a CR or LF inside a cell is quoted
    writer.writerow(header)
    for column in columns:
        row = [
            column.name,
            column.title,
            column.question or "",
            column.type,
            _codes_text(data, column),
            _treatment(column),
        ]
        if fmt == "dta":
            row.append(names[column.name])
        writer.writerow([neutralise(cell) for cell in row])
    return text.getvalue()


def _codes_text(data: pd.DataFrame, column: Column) -> str:
    """ "code=label; code=label" for a coded column, "suppressed" included when present."""
    labels = {**typed_codes(column)}
    labels.setdefault(SUPPRESSED, SUPPRESSED_LABEL)
    codes = present_codes(data[column.name], column)
    return "; ".join(f"{code}={labels[code]}" for code in codes)


def _treatment(column: Column) -> str:
    return "; ".join(column.treatment) or "exported as answered"


def readme(
    data: pd.DataFrame,
    columns: list[Column],
    fmt: str,
    methodology: dict[str, Any],
    survey_title: str,
) -> str:
    """A short plain-text guide: the files, what the privacy measures mean, how to load."""
    k = methodology.get("k", "not reported")
    k_achieved = methodology.get("k_achieved", "not reported")
    data_file = f"data.{fmt}"
    lines = [
        f"{survey_title}: anonymised export",
        "",
        "Files",
        f"  {data_file:<20}the answers: {len(data)} rows, one per response; {len(columns)} columns",
        "  datapackage.json    Frictionless Data Package: column types, allowed codes, treatment",
        "  codebook.csv        one row per column: question, type, codes and labels, treatment",
        "  methodology.json    how the data was anonymised (k, quasi-identifiers, suppression)",
        "  README.txt          this file",
        *(
            ["  tables/             people by each quasi-identifier and programme or term"]
            if methodology.get("tables")
            else []
        ),
        "",
        "Privacy",
        "  pid is a pseudonym valid only in this bundle: it links one person's intake and",
        "  follow-up rows here and matches nothing in any other export.",
        "  Rows are shuffled; their order means nothing.",
        f"  k-anonymity: k = {k} was required; counted on {data_file} as written, the",
        f"  smallest group has {k_achieved} {'person' if k_achieved == 1 else 'people'}.",
        f'  A value too rare to publish safely is replaced by the code "{SUPPRESSED}";',
        "  an empty cell means no answer.",
        *_format_notes(fmt),
        "",
        "Loading the data (one line each)",
        *(f"  {line}" for line in LOADERS[fmt]),
        "",
    ]
    return "\n".join(lines)


def _format_notes(fmt: str) -> list[str]:
    """What is particular to this file format."""
    notes = {
        "csv": [
            "  Text starting with = + - @, a tab or a carriage return begins with ' so that",
            "  spreadsheets show it instead of running it as a formula.",
        ],
        "xlsx": [
            '  Sheet "data" holds codes; sheet "labels" the same table with code labels.',
            "  Text starting with = + - @, a tab or a carriage return begins with ' so that",
            "  spreadsheets show it instead of running it as a formula.",
        ],
        "dta": [
            "  Coded columns are integers with value labels; names longer than Stata allows",
            "  are shortened (codebook.csv gives each column's stata_name).",
        ],
    }
    return notes.get(fmt, [])


def _package_name(title: str) -> str:
    """A Data Package name (lowercase letters, digits, -) derived from the survey title."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug or "pathways-export"


def _json_text(value: Any) -> str:
    """Pretty UTF-8 JSON; numpy scalars (as pandas hands them out) become plain numbers."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=_plain) + "\n"


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
