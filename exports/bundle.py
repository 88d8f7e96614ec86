"""Package an anonymised export as one zip a researcher can use without asking us anything.

The bundle holds exactly: the data file, one table per repeat (`data_<repeat>`), a
Frictionless Data Package describing them, a codebook, the anonymisation methodology and a
short README (and the summary tables). Everything beside the data is derived from the
`Column` lists and the methodology dict, never from the survey definition.
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import pandas as pd

from exports import FORMATS, refusals, verify
from exports.aggregates import Table
from exports.columns import SUPPRESSED, Column
from exports.memory import give_back
from exports.repeats import POSITION, RepeatTable
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


class NotReleased(refusals.Refusal):
    """The written data file does not keep the bundle's promise; one sentence says why."""


@dataclass
class _Staged:
    """A table written to a temporary file, counted before it goes in the zip."""

    resource: str  # "data", "data_<repeat>"
    data: pd.DataFrame
    columns: list[Column]
    names: dict[str, str]  # column -> its name in the file
    file: IO[bytes]
    repeat: RepeatTable | None = None


def write_bundle(
    out: str | os.PathLike[str] | IO[bytes],
    data: pd.DataFrame,
    columns: list[Column],
    fmt: str,
    methodology: Mapping[str, Any],
    survey_title: str,
    tables: Mapping[str, Table] | None = None,
    l_diversity: int | None = None,
    repeats: Sequence[RepeatTable] = (),
) -> dict[str, Any]:
    """Write the export zip to `out` (a path or a binary file object), once the data file
    as written has been counted and keeps k (and `l_diversity`, when asked); returns the
    methodology with what was counted. Raises NotReleased, leaving nothing at `out`, when
    it does not.

    `tables` (name -> aggregates.Table) go in as `tables/<name>.csv`, already suppressed.
    `repeats` go in as `data_<repeat>.<fmt>`, each checked against the data file as
    written (`exports.verify`): pids, wave and as many rows per response as its count.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    with contextlib.ExitStack() as stack:
        staged = []
        for resource, frame, described, repeat in [
            ("data", data, columns, None),
            *((table.file, table.data, table.columns, table) for table in repeats),
        ]:
            handle = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))
            names = write_data(frame, described, fmt, handle)
            staged.append(_Staged(resource, frame, described, names, handle, repeat))
        give_back()  # what writing took, before reading back (see exports.memory)
        methodology = {**methodology, **_counted(staged, fmt, methodology)}
        _check(methodology, l_diversity)
        try:
            _write_zip(out, staged, fmt, methodology, survey_title, tables)
        except BaseException:
            if isinstance(out, str | os.PathLike):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(out)
            raise
    return methodology


def _counted(staged: list[_Staged], fmt: str, methodology: Mapping[str, Any]) -> dict[str, Any]:
    """k and l as `exports.verify` counts them on the bytes written; NotReleased when a
    file breaks a promise it checks (its columns, a repeat's links to the data file)."""
    main, *linked = staged
    for table in staged:
        table.file.seek(0)

    def file_columns(table: _Staged, privacy: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for column in table.columns:
            if column.privacy == privacy and column.question:
                found.setdefault(column.question, []).append(table.names[column.name])
        return found

    counted = verify.count(
        main.file,
        fmt,
        quasi_identifiers=file_columns(main, "quasi_identifier"),
        sensitive=file_columns(main, "sensitive"),
        pid=main.names.get("pid", "pid"),
        wave=main.names.get("wave", "wave"),
        columns=[main.names[c.name] for c in main.columns],
        linked=[
            verify.Linked(
                table.resource,
                table.file,
                [table.names[c.name] for c in table.columns],
                count=main.names[table.repeat.count]
                if table.repeat is not None and table.repeat.count
                else None,
                sensitive=file_columns(table, "sensitive"),
                position=table.names[POSITION],
            )
            for table in linked
        ],
    )
    for table in staged:
        table.file.seek(0)
    if counted.problems:
        raise NotReleased(
            f"the written files do not keep the bundle's promise ({counted.problems[0]}), "
            "so nothing was released",
            refusals.FILE_CHECK,
            problem=str(counted.problems[0]),
        )
    return {
        "k_achieved": counted.k,
        "people_in_classes_under_k": counted.small(int(methodology.get("k") or 1)),
        "l_diversity": counted.l,
        "verified": "k and l counted on the written data file by exports/verify.py"
        + (
            "; each repeat's table checked against it: its pids, waves and rows per response"
            if linked
            else ""
        ),
    }


def _check(methodology: dict[str, Any], l_diversity: int | None) -> None:
    k, achieved = int(methodology["k"]), int(methodology["k_achieved"])
    if methodology.get("records") and achieved < k:
        raise NotReleased(
            f"the written file has a group of only {refusals.people(achieved)} where k={k} "
            "was promised, so it was not released",
            refusals.GROUP_UNDER_K,
            people=achieved,
            k=k,
        )
    if l_diversity is not None:
        low = {q: value for q, value in methodology["l_diversity"].items() if value < l_diversity}
        if low:
            question, value = min(low.items(), key=lambda item: item[1])
            values = f"{value} value" if value == 1 else f"{value} different values"
            raise NotReleased(
                f"in the written file some group's {question!r} answers take only {values} "
                f"where l={l_diversity} was asked, so it was not released",
                refusals.TOO_FEW_ANSWERS,
                question=str(question),
                distinct=int(value),
                l=l_diversity,
            )


def _write_zip(
    out: str | os.PathLike[str] | IO[bytes],
    staged: list[_Staged],
    fmt: str,
    methodology: dict[str, Any],
    survey_title: str,
    tables: Mapping[str, Table] | None,
) -> None:
    # Level 3: half the time of the default 6, for a fifth more bytes.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as bundle:
        package = datapackage(staged, fmt, methodology, survey_title)
        for table, resource in zip(staged, package["resources"], strict=True):
            size, digest = _add_data(bundle, table.file, f"{table.resource}.{fmt}")
            resource.update(bytes=size, hash=f"sha256:{digest}")
        bundle.writestr("datapackage.json", _json_text(package))
        bundle.writestr("codebook.csv", codebook_csv(staged, fmt))
        bundle.writestr("methodology.json", _json_text(methodology))
        bundle.writestr("README.txt", readme(staged, fmt, methodology, survey_title))
        for name, summary in (tables or {}).items():
            bundle.writestr(f"tables/{name}.csv", _table_csv(summary))


def _table_csv(table: Table) -> str:
    """A summary table as csv, its labels neutralised like the data: programme codes and
    answer codes come from definitions and imports that people type."""
    shown = table.to_display().map(neutralise)
    shown.index = shown.index.map(neutralise)
    shown.columns = shown.columns.map(neutralise)
    return shown.to_csv()


def _add_data(bundle: zipfile.ZipFile, staged: IO[bytes], path: str) -> tuple[int, str]:
    """Copy a staged table into the zip as `path`; return its size and its sha256.

    Some writers (Stata, xlsx) need a seekable file, which a zip entry is not, so the
    data is staged in a spooled temporary file and then copied in.
    """
    digest = hashlib.sha256()
    size = staged.seek(0, io.SEEK_END)
    staged.seek(0)
    force_zip64 = size >= zipfile.ZIP64_LIMIT
    with bundle.open(path, "w", force_zip64=force_zip64) as entry:
        while block := staged.read(COPY_BYTES):
            digest.update(block)
            entry.write(block)
    return size, digest.hexdigest()


def datapackage(
    staged: list[_Staged], fmt: str, methodology: dict[str, Any], survey_title: str
) -> dict[str, Any]:
    """The Frictionless Data Package (v1 tabular profile) describing data.<fmt> and each
    repeat's data_<repeat>.<fmt>, whose pid is a foreign key to data's.

    Field names are the names in the data file (Stata's for dta); k and k achieved sit
    in a custom "anonymisation" property, which Data Package readers keep and ignore.
    """
    main = staged[0]
    resources = []
    for table in staged:
        resource: dict[str, Any] = {
            "profile": "tabular-data-resource",
            "name": table.resource,
            "path": f"{table.resource}.{fmt}",
            "format": fmt,
            "mediatype": MEDIA_TYPES[fmt],
            "encoding": "utf-8",
            "schema": {
                "fields": [_field(table.data, c, fmt, table.names[c.name]) for c in table.columns],
                "missingValues": [""],
            },
        }
        if table.repeat is not None:
            resource["title"] = table.repeat.title
            resource["description"] = (
                f"One row per entry of {table.repeat.title!r}; pid links each entry to its "
                f"person's rows in data, and data's {table.repeat.name!r} column says how "
                "many of a response's entries are here."
            )
            resource["schema"]["foreignKeys"] = [
                {
                    "fields": table.names["pid"],
                    "reference": {"resource": main.resource, "fields": main.names["pid"]},
                }
            ]
        resources.append(resource)
    return {
        "profile": "tabular-data-package",
        "name": _package_name(survey_title),
        "title": survey_title,
        "description": "Anonymised survey answers, one row per response"
        + ("; each repeat's entries in a table of their own." if len(staged) > 1 else "."),
        "anonymisation": {
            "k": methodology.get("k"),
            "k_achieved": methodology.get("k_achieved"),
            "details": "methodology.json",
        },
        "resources": resources,
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


def codebook_csv(staged: list[_Staged], fmt: str) -> str:
    """The codebook as csv text: one row per column of each table, with the Stata name
    for dta and the table it is in.

    It is opened in spreadsheets too, and question texts and labels are survey input,
    so its cells are neutralised like the data.
    """
    header = ["variable", "title", "question", "type", "codes", "treatment"]
    if fmt == "dta":
        header.append("stata_name")
    header.append("table")
    text = io.StringIO()
    writer = csv.writer(text)  # CRLF, so a CR or LF inside a cell is quoted
    writer.writerow(header)
    for table in staged:
        for column in table.columns:
            row = [
                column.name,
                column.title,
                column.question or "",
                column.type,
                _codes_text(table.data, column),
                _treatment(column),
            ]
            if fmt == "dta":
                row.append(table.names[column.name])
            row.append(table.resource)
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


def readme(staged: list[_Staged], fmt: str, methodology: dict[str, Any], survey_title: str) -> str:
    """A short plain-text guide: the files, what the privacy measures mean, how to load."""
    main, *repeats = staged
    k = methodology.get("k", "not reported")
    k_achieved = methodology.get("k_achieved", "not reported")
    data_file = f"data.{fmt}"
    rows, width = len(main.data), len(main.columns)
    lines = [
        f"{survey_title}: anonymised export",
        "",
        "Files",
        f"  {data_file:<20}the answers: {rows} rows, one per response; {width} columns",
        *(
            f"  {table.resource + '.' + fmt:<19} {table.repeat.title if table.repeat else ''}: "
            f"{len(table.data)} rows, one per entry; {len(table.columns)} columns"
            for table in repeats
        ),
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
        *(_repeat_notes(repeats, fmt) if repeats else []),
        *_format_notes(fmt),
        "",
        "Loading the data (one line each)",
        *(f"  {line}" for line in LOADERS[fmt]),
        *(
            [f"  Each data_<repeat>.{fmt} loads the same way; join it to data on pid and wave."]
            if repeats
            else []
        ),
        "",
    ]
    return "\n".join(lines)


def _repeat_notes(repeats: list[_Staged], fmt: str) -> list[str]:
    """How a repeat's table relates to the people's, and what it leaves out."""
    lines = ["  Each repeated question has a table of its own, one row per entry:"]
    for table in repeats:
        name = table.repeat.name if table.repeat else table.resource
        lines.append(f"    {table.resource}.{fmt}: its entries; {name} in data.{fmt} says how many")
    return [
        *lines,
        f"  There pid is the person's pid in data.{fmt}, wave the response's, and position",
        "  the entry's number. The count in data is in bins and a quasi-identifier, counted",
        "  with the others; a response's table holds as many of its entries as the bin's",
        "  lower bound, the first ones: 3 for 3-4 or 3+, none when suppressed or empty.",
    ]


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
