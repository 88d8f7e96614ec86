"""Open an XLSForm workbook safely and read its sheets as rows.

A workbook is refused, with one line saying why, when it is not an .xlsx or .xls, cannot be
read, is too large to be a survey form, has no survey sheet or repeats a column header. An
.xlsx is measured before anything parses it: 500 KB of it can unpack to gigabytes. pyxform's
own reader then turns the workbook into rows of text, so every spreadsheet quirk it knows
(number and date cells, blank rows, whitespace) is handled the way XLSForm users expect.
"""

from __future__ import annotations

import re
import warnings
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from .columns import Sheet

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The most a survey form may hold. A real one unpacks to well under a megabyte and has at
# most a few thousand rows, while 500 KB of .xlsx can unpack to gigabytes, and every row
# costs time in pyxform and then in the YAML written and read back: a workbook over any of
# these is refused before anything parses it.
MAX_UNPACKED_BYTES = 20 << 20
MAX_ROWS = 10_000
MAX_CELLS = 200_000


class Broken(Exception):
    """A workbook that cannot be read at all: one line says why."""


@dataclass
class Workbook:
    """The sheets we read (survey, and choices and settings when present)."""

    sheets: dict[str, Sheet]
    entities: bool  # an entities sheet with rows: saving to a dataset


def read_workbook(path: Path) -> Workbook:
    """The workbook's survey, choices and settings sheets; Broken when it cannot be read."""
    book = _read_book(path)
    names = {name.lower(): name for name in book.get("sheet_names", [])}
    if "survey" not in names:
        listed = ", ".join(repr(n) for n in book.get("sheet_names", [])) or "none"
        raise Broken(f"the workbook has no 'survey' sheet (its sheets: {listed})")
    sheets = {}
    for name in ("survey", "choices", "settings"):
        if name not in names:
            continue
        header_rows = book.get(f"{name}_header") or [{}]
        sheet = Sheet(name, list(book.get(name) or []), list(header_rows[0]))
        duplicate = sheet.duplicate_header()
        if duplicate is not None:
            raise Broken(
                f"{name} sheet: duplicate column header {duplicate!r}: "
                "each column of a sheet needs a header of its own"
            )
        sheets[name] = sheet
    survey = sheets["survey"]
    for required in ("type", "name"):
        if not survey.has(required):
            raise Broken(f"the survey sheet has no {required!r} column")
    if not any(survey.rows):
        raise Broken("the survey sheet has no questions")
    return Workbook(sheets, entities=any(book.get("entities") or []))


def _read_book(path: Path) -> dict[str, Any]:
    """pyxform's reading of the workbook: sheet name -> rows, header; or Broken."""
    try:
        with path.open("rb") as file:
            head = file.read(8)
    except FileNotFoundError:
        raise Broken("no such file") from None
    except IsADirectoryError:
        raise Broken("is a folder, not a workbook") from None
    except OSError as error:
        raise Broken(f"cannot read the file: {error.strerror}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyxform.errors import PyXFormError
        from pyxform.xls2json_backends import xls_to_dict, xlsx_to_dict

        if head.startswith(ZIP_MAGIC):
            _check_size(path)
            reader, kind = xlsx_to_dict, ".xlsx"
        elif head.startswith(OLE_MAGIC):
            reader, kind = xls_to_dict, ".xls"
        else:
            raise Broken("not an Excel workbook (.xlsx or .xls)")
        try:
            # pyxform ships no type information; this is its documented result.
            book: dict[str, Any] = reader(str(path))
            return book
        except PyXFormError as error:
            text = str(error)
            duplicate = re.match(r"Duplicate column header: (.*)", text)
            if duplicate:
                raise Broken(
                    f"duplicate column header {duplicate.group(1)!r}: "
                    "each column of a sheet needs a header of its own"
                ) from None
            text = re.sub(r"^Error reading \.\w+ file: ", "", text)
            raise Broken(f"not a readable {kind} workbook ({text})") from None
        except Exception as error:  # noqa: BLE001 - a broken file is one line, not a traceback
            raise Broken(f"not a readable {kind} workbook ({error})") from None


def _check_size(path: Path) -> None:
    """Broken when the .xlsx is too large to be a survey form, found from the zip's own
    sizes (zipfile never unpacks more than those) and a count of its rows and cells."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
                raise Broken(
                    f"the workbook unpacks to more than {MAX_UNPACKED_BYTES >> 20} MB, "
                    "the most a survey form may take"
                )
            counts: Counter[str] = Counter()
            # Every XML part, not only xl/worksheets/: the workbook's relations may put a
            # sheet anywhere.
            for member in members:
                if member.filename.endswith(".xml"):
                    with archive.open(member) as part:
                        _count_rows_and_cells(part, member.filename, counts)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        raise Broken(f"not a readable .xlsx workbook ({error})") from None


def _count_rows_and_cells(part: IO[bytes], name: str, counts: Counter[str]) -> None:
    """Add the part's rows and cells to `counts`; Broken as soon as either is over its cap.

    A streaming parse that keeps nothing, so its memory does not grow with the part."""

    def start(element: str, _attributes: Any) -> None:
        tag = element.rpartition("}")[2]  # the same element whatever its namespace prefix
        if tag in ("row", "c"):
            counts[tag] += 1
            for kind, key, most in (("rows", "row", MAX_ROWS), ("cells", "c", MAX_CELLS)):
                if counts[key] > most:
                    raise Broken(
                        f"the workbook has more than {most} {kind}, the most a survey form may have"
                    )

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    try:
        parser.ParseFile(part)
    except expat.ExpatError as error:
        # Refused rather than skipped: rows past the error would go uncounted.
        raise Broken(f"not a readable .xlsx workbook ({name}: {error})") from None
