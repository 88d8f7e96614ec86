"""Import an XLSForm workbook (.xlsx or .xls) as a Pathways survey definition.

pyxform's own reader turns the workbook into rows of text, so every spreadsheet quirk it
knows (number and date cells, blank rows, whitespace) is handled the way XLSForm users
expect. What those rows mean in *our* format is decided here: columns and their languages,
question types, groups as pages, names, expressions. The result is written as YAML and
checked by our own validator, and every problem names the sheet, row and column to fix.

Things our surveys cannot do (repeats, calculations, GPS, media, choice filters, form
metadata, ...) are errors; with `skip_unsupported` each becomes a warning and its row is
left out. A repeat is left out with everything inside it: its questions only make sense
once per repetition.
"""

from __future__ import annotations

import difflib
import io
import re
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from babel import Locale, UnknownLocaleError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString, SingleQuotedScalarString

from forms.types import OTHER_SUFFIX

from .expressions import ExpressionError, parse
from .validator import CHOICE_CODE, SURVEY_ID, check_definition

__all__ = ["ImportResult", "Message", "import_xlsform"]

# The largest version the database stores (a 32-bit integer column).
MAX_VERSION = 2**31 - 1
DEFAULT_LANGUAGE = "en"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SHEET_ORDER = {"survey": 0, "choices": 1, "settings": 2}
# The most a survey form may hold. A real one unpacks to well under a megabyte and has at
# most a few thousand rows, while 500 KB of .xlsx can unpack to gigabytes, and every row
# costs time in pyxform and then in the YAML written and read back: a workbook over any of
# these is refused before anything parses it.
MAX_UNPACKED_BYTES = 20 << 20
MAX_ROWS = 10_000
MAX_CELLS = 200_000

# Column names as XLSForm writes them (lower-case, spaces as '_'), and their aliases.
COLUMN_ALIASES = {
    "caption": "label",
    "relevance": "relevant",
    "constraining_message": "constraint_message",
    "jr:constraintmsg": "constraint_message",
    "requiredmsg": "required_message",
    "jr:requiredmsg": "required_message",
    "calculate": "calculation",
    "count": "repeat_count",
    "jr:count": "repeat_count",
    "readonly": "read_only",
    "command": "type",
    "tag": "name",
    "value": "name",
    "set_form_title": "form_title",
    "set_form_id": "form_id",
}
# Prefixes that only say where pyxform puts a column in the XForm.
NAMESPACES = {"bind", "control", "media"}
TRANSLATABLE = {
    "label",
    "hint",
    "constraint_message",
    "required_message",
    "guidance_hint",
    "image",
    "big-image",
    "audio",
    "video",
}
MEDIA = {"image", "big-image", "audio", "video"}
SURVEY_COLUMNS = {
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
}
# Columns that change what a question does in a way we cannot: a row using one is
# unsupported (read_only only when it is true).
UNSUPPORTED_COLUMNS = {
    "choice_filter",
    "calculation",
    "repeat_count",
    "default",
    "trigger",
    "read_only",
    "save_to",
}
# Columns we can do without: each is left out, with one warning for the column.
IGNORED_COLUMNS = {
    "required_message": "Pathways shows its own message for an unanswered required question",
    "guidance_hint": "guidance hints are not shown",
    "parameters": "question parameters are not supported",
    "autoplay": "media are not supported",
    **dict.fromkeys(MEDIA, "media are not supported"),
}
CHOICE_COLUMNS = {"list_name", "name", "label"}
SETTINGS_COLUMNS = {"form_title", "form_id", "default_language", "version"}

# Our question types, and the pyxform type each corresponds to.
OUR_TYPES = {
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
    "acknowledge": "consent",
}
BIND_TYPES = {"string": "text", "int": "integer", "decimal": "decimal", "date": "date"}
# In pyxform's type table, but only as the inner form of select_one_external.
NOT_TYPES = {"select one external"}
REFERENCE = re.compile(r"\$\{\s*([^}\s]*)\s*\}")
SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
WITH_CODE = re.compile(r"(?P<name>.*?)\s*\(\s*(?P<code>[^()]+?)\s*\)")
YES_NO = {
    "yes": True,
    "true": True,
    "true()": True,
    "1": True,
    "no": False,
    "false": False,
    "false()": False,
    "0": False,
}
# Choice codes that YAML 1.1 readers take for something else: written in quotes.
YAML_WORDS = {"yes", "no", "y", "n", "on", "off", "true", "false", "null", "~"}


@dataclass(frozen=True)
class Message:
    """A problem or a warning, with the place in the workbook a person should look."""

    file: str
    text: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.sheet and self.row:
            where.append(f"{self.sheet} row {self.row}")
        elif self.sheet:
            where.append(f"{self.sheet} sheet")
        if self.column:
            where.append(f"column {self.column}")
        place = ", ".join(where)
        return f"{self.file}: {place}: {self.text}" if place else f"{self.file}: {self.text}"

    def sort_key(self) -> tuple[int, int]:
        return (SHEET_ORDER.get(self.sheet or "", -1 if self.sheet is None else 3), self.row or 0)


@dataclass
class ImportResult:
    """The YAML text and its normalised definition, or the problems that prevent them."""

    yaml_text: str | None = None
    definition: dict[str, Any] | None = None
    problems: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)


class _Broken(Exception):
    """A workbook that cannot be read at all: one line says why."""


# --- reading ------------------------------------------------------------------------


def _check_size(path: Path) -> None:
    """_Broken when the .xlsx is too large to be a survey form, found from the zip's own
    sizes (zipfile never unpacks more than those) and a count of its rows and cells."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
                raise _Broken(
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
        raise _Broken(f"not a readable .xlsx workbook ({error})") from None


def _count_rows_and_cells(part: IO[bytes], name: str, counts: Counter[str]) -> None:
    """Add the part's rows and cells to `counts`; _Broken as soon as either is over its cap.

    A streaming parse that keeps nothing, so its memory does not grow with the part."""

    def start(element: str, _attributes: Any) -> None:
        tag = element.rpartition("}")[2]  # the same element whatever its namespace prefix
        if tag in ("row", "c"):
            counts[tag] += 1
            for kind, key, most in (("rows", "row", MAX_ROWS), ("cells", "c", MAX_CELLS)):
                if counts[key] > most:
                    raise _Broken(
                        f"the workbook has more than {most} {kind}, the most a survey form may have"
                    )

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    try:
        parser.ParseFile(part)
    except expat.ExpatError as error:
        # Refused rather than skipped: rows past the error would go uncounted.
        raise _Broken(f"not a readable .xlsx workbook ({name}: {error})") from None


def _read_workbook(path: Path) -> dict[str, Any]:
    """pyxform's reading of the workbook: sheet name -> rows, header; or _Broken."""
    try:
        with path.open("rb") as file:
            head = file.read(8)
    except FileNotFoundError:
        raise _Broken("no such file") from None
    except IsADirectoryError:
        raise _Broken("is a folder, not a workbook") from None
    except OSError as error:
        raise _Broken(f"cannot read the file: {error.strerror}") from None
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
            raise _Broken("not an Excel workbook (.xlsx or .xls)")
        try:
            return reader(str(path))
        except PyXFormError as error:
            text = str(error)
            duplicate = re.match(r"Duplicate column header: (.*)", text)
            if duplicate:
                raise _Broken(
                    f"duplicate column header {duplicate.group(1)!r}: "
                    "each column of a sheet needs a header of its own"
                ) from None
            text = re.sub(r"^Error reading \.\w+ file: ", "", text)
            raise _Broken(f"not a readable {kind} workbook ({text})") from None
        except Exception as error:  # noqa: BLE001 - a broken file is one line, not a traceback
            raise _Broken(f"not a readable {kind} workbook ({error})") from None


def _snake(text: str) -> str:
    return "_".join(text.split()).lower()


@dataclass
class _Column:
    header: str
    field: str
    language: str | None  # as written in the header; None means the default language
    code: str | None = None  # the Babel code it resolves to


def _parse_header(header: str) -> _Column:
    """'label::Swahili (sw)', 'label:English', 'bind:relevant', 'media:image:english' ..."""
    text = header.strip()
    parts = [p.strip() for p in (text.split("::") if "::" in text else text.split(":"))]
    joined: list[str] = []
    for part in parts:  # 'jr:constraintMsg' is one name, whatever the delimiter
        if joined and joined[-1].lower() == "jr":
            joined[-1] = f"jr:{part}"
        else:
            joined.append(part)
    while len(joined) > 1 and joined[0].lower() in NAMESPACES:
        joined.pop(0)
    name = _snake(joined[0])
    name = COLUMN_ALIASES.get(name, name)
    language = ":".join(joined[1:]) or None
    if language and name not in TRANSLATABLE:
        return _Column(header, _snake(text), None)  # an unknown column
    return _Column(header, name, language)


def _language(label: str) -> tuple[str | None, str | None]:
    """'Swahili (sw)', 'sw', 'Swahili' or 'EN' as a Babel code: (code, None) or (None, why)."""
    text = " ".join(label.split())
    with_code = WITH_CODE.fullmatch(text)
    if with_code:
        code = _babel_code(with_code.group("code"))
        if code is None:
            return None, (
                f"language {label!r}: {with_code.group('code')!r} is not a language "
                "code Babel knows"
            )
        return code, None
    if LANGUAGE_CODE.fullmatch(text):
        code = _babel_code(text)
        if code is not None:
            return code, None
    for names in (_english_names(), _native_names()):
        codes = names.get(text.casefold(), [])
        if len(codes) == 1:
            return codes[0], None
        if len(codes) > 1:
            return None, (
                f"language {label!r} could be any of {', '.join(codes)}; "
                f"write it as '{text} (code)'"
            )
    return None, (f"unknown language {label!r}; write it with its code, e.g. 'Swahili (sw)'")


def _babel_code(text: str) -> str | None:
    wanted = text.replace("-", "_")
    try:
        locale = Locale.parse(wanted)
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    code = str(locale)
    if code.lower() == wanted.lower() or "_" in wanted:
        return code
    return locale.language  # an alias such as 'eng' becomes 'en', not 'en_US'


def _parses(code: str) -> bool:
    try:
        Locale.parse(code)
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return True


@lru_cache(maxsize=1)
def _english_names() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for code, name in Locale("en").languages.items():
        if _parses(code):
            names.setdefault(name.casefold(), []).append(code)
    return names


@lru_cache(maxsize=1)
def _native_names() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for codes in _english_names().values():
        for code in codes:
            native = Locale.parse(code).get_display_name(code)
            if native:
                names.setdefault(native.casefold(), []).append(code)
    return {name: sorted(set(codes)) for name, codes in names.items()}


class _Sheet:
    """One sheet's rows, its columns, and what each column means."""

    def __init__(self, name: str, rows: list[dict[str, str]], headers: list[str]) -> None:
        self.name = name
        self.rows = rows
        self.columns = [_parse_header(h) for h in headers]
        self.by_header = {c.header: c for c in self.columns}
        # (field, language code or None) -> the headers that give it, in sheet order
        self.keys: dict[tuple[str, str | None], list[str]] = {}

    def duplicate_header(self) -> str | None:
        seen: set[str] = set()
        for column in self.columns:
            key = " ".join(column.header.split()).casefold()
            if key in seen:
                return column.header
            seen.add(key)
        return None

    def has(self, name: str) -> bool:
        return any(c.field == name for c in self.columns)

    def header_of(self, name: str) -> str:
        return next((c.header for c in self.columns if c.field == name), name)

    def index(self) -> None:
        for column in self.columns:
            if column.field in TRANSLATABLE and column.code is None:
                continue  # a language we could not resolve: already a problem
            key = (column.field, column.code if column.field in TRANSLATABLE else None)
            self.keys.setdefault(key, []).append(column.header)

    def cell(
        self, row: dict[str, str], name: str, code: str | None = None
    ) -> tuple[str | None, str]:
        """(value, header) of a field in a row; (None, header) when it is empty."""
        headers = self.keys.get((name, code), [])
        for header in headers:
            if row.get(header) not in (None, ""):
                return row[header], header
        return None, headers[0] if headers else name

    def conflicts(self, row: dict[str, str]) -> list[tuple[str, str, str]]:
        """Two columns meaning the same thing with different values in one row."""
        found = []
        for (name, _code), headers in self.keys.items():
            values = [(h, row[h]) for h in headers if row.get(h) not in (None, "")]
            for header, value in values[1:]:
                if value != values[0][1]:
                    found.append((name, values[0][0], header))
        return found

    def texts(self, row: dict[str, str], name: str) -> tuple[dict[str, str], dict[str, str]]:
        """({code: text}, {code: header}) of a translatable field."""
        texts, headers = {}, {}
        for key, code in self.keys:
            if key != name or code is None:
                continue
            value, header = self.cell(row, key, code)
            if value is not None:
                texts[code], headers[code] = value, header
        return texts, headers


# --- types --------------------------------------------------------------------------


@dataclass
class _Type:
    kind: str  # begin, end, question, unsupported, unknown
    control: str | None = None  # group or repeat, for begin/end
    name: str | None = None  # our type
    list_name: str | None = None
    other: bool = False
    constraint: str | None = None  # implied by the type, e.g. phone number
    why: str | None = None  # for an unknown type, when more can be said


@lru_cache(maxsize=1)
def _pyxform_tables() -> tuple[dict, dict, dict, dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyxform import aliases
        from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
    return aliases.control, aliases.select, aliases.select_from_file, QUESTION_TYPE_DICT


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _type_patterns() -> tuple[re.Pattern, re.Pattern]:
    control, select, _, _ = _pyxform_tables()
    control_re = re.compile(
        rf"(?P<end>begin|end)[ _](?P<control>{_alternatives(control)})(?: .*)?", re.IGNORECASE
    )
    select_re = re.compile(
        rf"(?P<command>{_alternatives(select)}) (?P<list>\S+)"
        r"(?: (?P<other>or specify other|or_other|or other))?",
        re.IGNORECASE,
    )
    return control_re, select_re


def _parse_type(text: str) -> _Type:
    text = " ".join(text.split())
    control_aliases, select_aliases, from_file, type_table = _pyxform_tables()
    control_re, select_re = _type_patterns()
    control = control_re.fullmatch(text)
    if control:
        kind = control_aliases[control.group("control").lower()]
        return _Type(
            "begin" if control.group("end").lower() == "begin" else "end",
            control="group" if kind == "group" else "repeat",
        )
    select = select_re.fullmatch(text)
    if select:
        command = select.group("command").lower()
        list_name = select.group("list")
        if command in from_file or "external" in command or "rank" in command:
            return _Type("unsupported")
        if list_name.startswith("${"):  # choices from a previous answer
            return _Type("unsupported")
        multiple = select_aliases[command] != select_aliases["select_one"]
        return _Type(
            "question",
            name="select_multiple" if multiple else "select_one",
            list_name=list_name,
            other=bool(select.group("other")),
        )
    entry = type_table.get(text) or type_table.get(text.lower())
    if text.lower() in select_aliases:
        return _Type("unknown", why=f"{text!r} needs a choice list: '{text} LIST_NAME'")
    if entry is None:
        first = text.split()[0]
        return _Type("unsupported" if first.lower() in type_table else "unknown")
    if text.lower() in NOT_TYPES:
        return _Type("unsupported")
    for pyxform_name, ours in OUR_TYPES.items():
        if entry == type_table[pyxform_name]:
            return _Type("question", name=ours)
    bind = entry.get("bind", {})
    if (
        entry.get("control") == {"tag": "input"}
        and bind.get("type") in BIND_TYPES
        and set(bind) <= {"type", "constraint"}
    ):  # e.g. 'phone number': text that must be digits
        return _Type("question", name=BIND_TYPES[bind["type"]], constraint=bind.get("constraint"))
    return _Type("unsupported")


def _type_suggestion(text: str) -> str:
    known = [*OUR_TYPES, "select_one", "select_multiple", "begin group", "end group"]
    hint = difflib.get_close_matches(text.split()[0] if text.split() else text, known, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""


# --- names and values ---------------------------------------------------------------


def _our_name(name: str) -> str:
    """An XLSForm name as ours: lower-case, other characters '_', starting with a letter."""
    converted = re.sub(r"[^a-z0-9_]", "_", name.strip().lower()).lstrip("_")
    if not converted[:1].isalpha():
        converted = f"q_{converted}"
    return converted


def _our_survey_id(text: str) -> str:
    """A form id or file name as a survey id `[a-z][a-z0-9_-]*`."""
    converted = re.sub(r"[^a-z0-9_-]+", "_", text.strip().lower()).strip("_-")
    if not converted[:1].isalpha():
        converted = f"survey_{converted}".rstrip("_")
    return converted[:64].rstrip("_-")


def _version(raw: str | None) -> tuple[int, bool]:
    """A settings version as our whole-number version; True when it had to be mapped."""
    if raw is None:
        return 1, False
    text = raw.strip()
    if text.isdigit() and 1 <= int(text) <= MAX_VERSION:
        return int(text), False
    date = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2})(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?)?", text
    )
    if date:  # 2024-01-31 16:26 -> 2024013116, the yyyymmddhh convention
        year, month, day, hour = date.groups()
        return int(f"{year}{month}{day}{hour or '00'}"), True
    dotted = re.fullmatch(r"(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?", text)
    if dotted and int(dotted.group(1)) <= 2000:  # 1.2.3 -> 1002003, keeping the order
        major, minor, patch = (int(p or 0) for p in dotted.groups())
        number = major * 1_000_000 + minor * 1_000 + patch
        if number >= 1:
            return number, True
    digits = re.sub(r"\D", "", text)
    if digits and 1 <= int(digits) <= MAX_VERSION:
        return int(digits), True
    return zlib.crc32(text.encode()) % (MAX_VERSION - 1) + 1, True


def _expression_text(text: str) -> str:
    return text.translate(SMART_QUOTES).strip()


# --- the conversion -----------------------------------------------------------------


@dataclass
class _Question:
    row: int
    raw_name: str
    type: _Type
    texts: dict[str, dict[str, str]]
    required: bool
    relevant: tuple[str, str] | None  # (source, header)
    constraint: tuple[str, str] | None
    appearance: str | None
    page: _Page
    groups: list[_Group]
    headers: dict[str, str]  # field -> the header of its column in this row
    name: str = ""


@dataclass
class _Group:
    row: int
    raw_name: str | None
    label: dict[str, str]
    relevant: tuple[str, str] | None


@dataclass
class _Page:
    group: _Group | None
    questions: list[_Question] = field(default_factory=list)


class _Converter:
    def __init__(self, path: Path, survey_id: str | None, skip_unsupported: bool) -> None:
        self.path = path
        self.file = str(path)
        self.survey_id = survey_id
        self.skip = skip_unsupported
        self.problems: list[Message] = []
        self.warnings: list[Message] = []
        self.default_language = DEFAULT_LANGUAGE
        self.language_order: list[str] = []
        self.skipped: dict[str, str] = {}  # XLSForm name -> why it is not imported
        self.places: dict[str, tuple[str, int, dict[str, str]]] = {}  # validator place
        self.refused_lists: set[str] = set()  # every choice refused: said already

    # --- reporting ---

    def problem(
        self, text: str, sheet: str | None = None, row: int | None = None, column: str | None = None
    ) -> None:
        self.problems.append(Message(self.file, text, sheet, row, column))

    def warn(
        self, text: str, sheet: str | None = None, row: int | None = None, column: str | None = None
    ) -> None:
        self.warnings.append(Message(self.file, text, sheet, row, column))

    def unsupported(self, text: str, row: int, column: str, skipped: str = "row skipped") -> None:
        if self.skip:
            self.warn(f"{text}; {skipped}", "survey", row, column)
        else:
            self.problem(text, "survey", row, column)

    # --- the workbook ---

    def run(self) -> ImportResult:
        try:
            book = _read_workbook(self.path)
            sheets = self.sheets(book)
        except _Broken as broken:
            return ImportResult(problems=[Message(self.file, str(broken))])
        settings = self.settings(sheets.get("settings"))
        self.resolve_languages(sheets, settings)
        survey = sheets["survey"]
        pages = self.survey(survey)
        choices = self.choices(sheets.get("choices"), pages)
        data = self.definition(settings, pages, choices)
        result = ImportResult(yaml_text=self.dump(data))
        self.validate(result, has_pages=bool(data["pages"]))
        result.problems = sorted(dict.fromkeys(self.problems), key=Message.sort_key)
        result.warnings = sorted(dict.fromkeys(self.warnings), key=Message.sort_key)
        if result.problems:
            result.yaml_text = result.definition = None
        return result

    def sheets(self, book: dict[str, Any]) -> dict[str, _Sheet]:
        names = {name.lower(): name for name in book.get("sheet_names", [])}
        if "survey" not in names:
            listed = ", ".join(repr(n) for n in book.get("sheet_names", [])) or "none"
            raise _Broken(f"the workbook has no 'survey' sheet (its sheets: {listed})")
        sheets = {}
        for name in ("survey", "choices", "settings"):
            if name not in names:
                continue
            header_rows = book.get(f"{name}_header") or [{}]
            sheet = _Sheet(name, list(book.get(name) or []), list(header_rows[0]))
            duplicate = sheet.duplicate_header()
            if duplicate is not None:
                raise _Broken(
                    f"{name} sheet: duplicate column header {duplicate!r}: "
                    "each column of a sheet needs a header of its own"
                )
            sheets[name] = sheet
        survey = sheets["survey"]
        for required in ("type", "name"):
            if not survey.has(required):
                raise _Broken(f"the survey sheet has no {required!r} column")
        if not any(survey.rows):
            raise _Broken("the survey sheet has no questions")
        if any(book.get("entities") or []):
            self.unsupported_sheet("entities", "entities (saving to a dataset) are not supported")
        return sheets

    def unsupported_sheet(self, sheet: str, text: str) -> None:
        if self.skip:
            self.warn(f"{text}; sheet ignored", sheet)
        else:
            self.problem(text, sheet)

    def settings(self, sheet: _Sheet | None) -> dict[str, tuple[str, str, int]]:
        """form_title, form_id, default_language, version: (value, header, row)."""
        if sheet is None:
            return {}
        found = {}
        for index, row in enumerate(sheet.rows):
            if not row:
                continue
            for column in sheet.columns:
                value = row.get(column.header)
                if column.field in SETTINGS_COLUMNS and value not in (None, ""):
                    found.setdefault(column.field, (value, column.header, index + 2))
            break  # the first row with values holds the settings
        return found

    def resolve_languages(self, sheets: dict[str, _Sheet], settings: dict) -> None:
        plain = False
        codes: list[str] = []
        for name in ("survey", "choices"):
            sheet = sheets.get(name)
            if sheet is None:
                continue
            for column in sheet.columns:
                if column.field not in TRANSLATABLE:
                    continue
                if column.language is None or column.language.lower() == "default":
                    plain = plain or any(row.get(column.header) for row in sheet.rows)
                    continue
                code, error = _language(column.language)
                if error:
                    if any(row.get(column.header) for row in sheet.rows):
                        self.problem(error, name, column=column.header)
                    continue
                column.code = code
                if column.field in ("label", "hint", "constraint_message") and any(
                    row.get(column.header) for row in sheet.rows
                ):
                    codes.append(code)
        default = settings.get("default_language")
        if default:
            value, header, row = default
            code, error = (None, None) if value.lower() == "default" else _language(value)
            if error:
                self.problem(error, "settings", row, header)
            self.default_language = code or DEFAULT_LANGUAGE
        elif not plain and codes and DEFAULT_LANGUAGE not in codes:
            self.default_language = codes[0]  # every text names its language
        for name in ("survey", "choices"):
            sheet = sheets.get(name)
            if sheet is None:
                continue
            for column in sheet.columns:
                if column.field in TRANSLATABLE and (
                    column.language is None or column.language.lower() == "default"
                ):
                    column.code = self.default_language
            sheet.index()
        self.language_order = list(dict.fromkeys([self.default_language, *codes]))

    # --- the survey sheet ---

    def column_warnings(
        self, sheet: _Sheet, rows: list[dict], known: set[str], unknown: bool = True
    ) -> None:
        """One warning for each column left out that an imported row has a value in."""
        for column in sheet.columns:
            if column.field in known or column.field in UNSUPPORTED_COLUMNS:
                continue
            if not any(row.get(column.header) for row in rows):
                continue
            why = IGNORED_COLUMNS.get(column.field)
            if why is None and not unknown:
                continue
            text = f"{why}; column ignored" if why else "not an XLSForm column we use; ignored"
            self.warn(text, sheet.name, column=column.header)

    def survey(self, sheet: _Sheet) -> list[_Page]:
        pages: list[_Page] = []
        imported: list[dict] = []  # the rows that become pages and questions
        stack: list[_Group] = []
        ungrouped: _Page | None = None
        block: tuple[int, int, str] | None = None  # (start row, depth, type) of a repeat
        for index, row in enumerate(sheet.rows):
            number = index + 2
            if not row:
                continue
            type_text, type_header = sheet.cell(row, "type")
            name, name_header = sheet.cell(row, "name")
            kind = _parse_type(type_text) if type_text else None
            if block is not None:  # inside a repeat: left out with it
                start, depth, block_type = block
                if name and not (kind and kind.kind == "end"):
                    self.skipped.setdefault(name, f"it is inside the repeat in row {start}")
                if kind and kind.kind in ("begin", "end"):
                    depth += 1 if kind.kind == "begin" else -1
                    block = (start, depth, block_type) if depth else None
                    if block is None:
                        self.unsupported(
                            f"{block_type!r} is not supported",
                            start,
                            type_header,
                            f"rows {start}-{number} skipped",
                        )
                continue
            for _name, first, second in sheet.conflicts(row):
                self.problem(
                    f"columns {first!r} and {second!r} mean the same and disagree",
                    "survey",
                    number,
                    second,
                )
            if kind is None:
                if name or sheet.texts(row, "label")[0]:
                    self.problem("this row has no type", "survey", number, type_header)
                continue
            if kind.kind == "begin" and kind.control == "repeat":
                block = (number, 1, " ".join(type_text.split()))
                if name:
                    self.skipped.setdefault(name, f"row {number}: a repeat is not supported")
                continue
            if kind.kind == "begin":
                label, _ = sheet.texts(row, "label")
                relevant = self.raw_expression(sheet, row, "relevant")
                group = _Group(number, name, label, relevant)
                self.check_texts(sheet, row, number, "label", block=False)
                if not stack:
                    pages.append(_Page(group))
                    ungrouped = None
                stack.append(group)
                imported.append(row)
                continue
            if kind.kind == "end":
                if not stack or kind.control != "group":
                    self.problem(
                        f"{' '.join(type_text.split())!r} without a matching 'begin' before it",
                        "survey",
                        number,
                        type_header,
                    )
                    continue
                stack.pop()
                continue
            if not name:
                self.problem("a question needs a name", "survey", number, name_header)
                continue
            if kind.kind == "unknown":
                self.problem(
                    kind.why
                    or f"unknown question type {' '.join(type_text.split())!r}"
                    + _type_suggestion(type_text),
                    "survey",
                    number,
                    type_header,
                )
                self.skipped.setdefault(name, f"row {number} has an unknown type")
                continue
            if kind.kind == "unsupported":
                text = f"{' '.join(type_text.split())!r} is not supported"
                self.unsupported(text, number, type_header)
                self.skipped.setdefault(name, f"row {number}: {text}")
                continue
            reasons = self.unsupported_columns(sheet, row, number)
            if reasons:
                self.skipped.setdefault(name, f"row {number}: {reasons[0]}")
                continue
            required = self.required(sheet, row, number)
            if required is None:
                self.skipped.setdefault(name, f"row {number}: a conditional required")
                continue
            texts = {}
            for key in ("label", "hint", "constraint_message"):
                texts[key], _ = sheet.texts(row, key)
            appearance, _ = sheet.cell(row, "appearance")
            if stack:
                page = pages[-1]
            else:
                if ungrouped is None:
                    ungrouped = _Page(None)
                    pages.append(ungrouped)
                page = ungrouped
            constraint = self.raw_expression(sheet, row, "constraint")
            if kind.constraint:
                extra = (kind.constraint, type_header)
                constraint = (
                    extra
                    if constraint is None
                    else (f"({constraint[0]}) and ({kind.constraint})", constraint[1])
                )
            question = _Question(
                number,
                name,
                kind,
                texts,
                required,
                self.raw_expression(sheet, row, "relevant"),
                constraint,
                appearance,
                page,
                list(stack),
                {c.field: c.header for c in reversed(sheet.columns) if row.get(c.header)},
            )
            page.questions.append(question)
            imported.append(row)
        if block is not None:
            self.problem(
                f"{block[2]!r} has no matching 'end repeat'",
                "survey",
                block[0],
                sheet.header_of("type"),
            )
        for group in stack:
            self.problem(
                "'begin group' has no matching 'end group'",
                "survey",
                group.row,
                sheet.header_of("type"),
            )
        self.column_warnings(sheet, imported, SURVEY_COLUMNS)
        return pages

    def raw_expression(self, sheet: _Sheet, row: dict, key: str) -> tuple[str, str] | None:
        value, header = sheet.cell(row, key)
        return (_expression_text(value), header) if value else None

    def check_texts(self, sheet: _Sheet, row: dict, number: int, key: str, block: bool) -> bool:
        """A text with ${...} in it: Pathways does not fill answers into texts."""
        texts, headers = sheet.texts(row, key)
        for code, text in texts.items():
            found = REFERENCE.search(text)
            if found:
                message = (
                    f"{found.group(0)} in a text is not supported "
                    "(Pathways does not fill answers into texts)"
                )
                if block:
                    self.unsupported(message, number, headers[code])
                else:
                    self.problem(message, sheet.name, number, headers[code])
                return True
        return False

    def unsupported_columns(self, sheet: _Sheet, row: dict, number: int) -> list[str]:
        reasons = []
        for column in sorted(UNSUPPORTED_COLUMNS):
            value, header = sheet.cell(row, column)
            if value is None:
                continue
            if column == "read_only" and YES_NO.get(value.strip().lower()) is False:
                continue
            text = f"a {header} ({value!r}) is not supported"
            self.unsupported(text, number, header)
            reasons.append(text)
        for key in ("label", "hint", "constraint_message"):
            if self.check_texts(sheet, row, number, key, block=True):
                reasons.append("a ${...} in a text is not supported")
        return reasons

    def required(self, sheet: _Sheet, row: dict, number: int) -> bool | None:
        value, header = sheet.cell(row, "required")
        if value is None:
            return False
        answer = YES_NO.get(value.strip().lower())
        if answer is None:
            self.unsupported(f"a conditional required ({value!r}) is not supported", number, header)
        return answer

    # --- the choices sheet ---

    def choices(self, sheet: _Sheet | None, pages: list[_Page]) -> dict[str, list]:
        used = {q.type.list_name for page in pages for q in page.questions if q.type.list_name}
        if sheet is None:
            return {}  # the validator names each unknown choice list
        lists: dict[str, list] = {}
        imported: list[dict] = []
        present: set[str] = set()
        seen: dict[tuple[str, str], int] = {}
        for index, row in enumerate(sheet.rows):
            number = index + 2
            list_name, list_header = sheet.cell(row, "list_name")
            code, code_header = sheet.cell(row, "name")
            label, _ = sheet.texts(row, "label")
            if list_name is None:
                if code is not None:
                    self.problem("this choice has no list name", "choices", number, list_header)
                continue
            if list_name not in used:
                continue  # only the lists the imported questions use
            present.add(list_name)
            for _name, first, second in sheet.conflicts(row):
                self.problem(
                    f"columns {first!r} and {second!r} mean the same and disagree",
                    "choices",
                    number,
                    second,
                )
            if code is None:
                self.problem("this choice has no name", "choices", number, code_header)
                continue
            if not CHOICE_CODE.match(code):
                self.problem(
                    f"choice name {code!r}: a code must be letters, digits, '.', '_', "
                    "'+' or '-' (at most 64)",
                    "choices",
                    number,
                    code_header,
                )
                continue
            if (list_name, code) in seen:
                self.problem(
                    f"duplicate choice name {code!r} in list {list_name!r} "
                    f"(first in row {seen[list_name, code]})",
                    "choices",
                    number,
                    code_header,
                )
                continue
            seen[list_name, code] = number
            if self.check_texts(sheet, row, number, "label", block=False):
                continue
            choice = CommentedMap()
            choice["code"] = SingleQuotedScalarString(code) if code.lower() in YAML_WORDS else code
            choice["label"] = self.text(label)
            lists.setdefault(list_name, []).append(choice)
            imported.append(row)
            headers = {c.field: c.header for c in reversed(sheet.columns) if row.get(c.header)}
            self.places[f"choice list {_our_name(list_name)!r}, choice {code!r}"] = (
                "choices",
                number,
                headers,
            )
            self.places.setdefault(f"choice list {_our_name(list_name)!r}", ("choices", number, {}))
        # Other columns are usual on the choices sheet: they feed choice filters.
        self.column_warnings(sheet, imported, CHOICE_COLUMNS, unknown=False)
        self.refused_lists = present - set(lists)
        return lists

    # --- the definition ---

    def text(self, texts: dict[str, str]) -> CommentedMap:
        mapping = CommentedMap()
        for code in sorted(texts, key=self.language_rank):
            value = texts[code]
            if "\n" in value:
                value = LiteralScalarString(value)
            elif value.lower() in YAML_WORDS:
                value = SingleQuotedScalarString(value)
            mapping[code] = value
        return mapping

    def language_rank(self, code: str) -> int:
        order = self.language_order
        return order.index(code) if code in order else len(order)

    def names(self, pages: list[_Page]) -> dict[str, str]:
        """XLSForm name -> ours, for the imported questions; clashes are problems."""
        renamed: dict[str, str] = {}
        owner: dict[str, _Question] = {}
        for page in pages:
            kept = []
            for question in page.questions:
                ours = _our_name(question.raw_name)
                if ours in owner:
                    first = owner[ours]
                    if first.raw_name == question.raw_name:
                        text = f"duplicate name {question.raw_name!r} (first in row {first.row})"
                    else:
                        text = (
                            f"name {question.raw_name!r} becomes {ours!r}, like "
                            f"{first.raw_name!r} in row {first.row}"
                        )
                    self.problem(text, "survey", question.row, question.headers["name"])
                    continue
                if ours != question.raw_name:
                    self.warn(
                        f"name {question.raw_name!r} becomes {ours!r}",
                        "survey",
                        question.row,
                        question.headers["name"],
                    )
                question.name = ours
                owner[ours] = question
                renamed[question.raw_name] = ours
                if question.type.other:
                    renamed.setdefault(question.raw_name + OTHER_SUFFIX, ours + OTHER_SUFFIX)
                kept.append(question)
            page.questions = kept
        return renamed

    def expression(
        self, source: tuple[str, str] | None, key: str, row: int, renamed: dict[str, str]
    ) -> str | None:
        """The expression with our names, or None (and a problem) when it is not ours."""
        if source is None:
            return None
        text, header = source
        bad = False

        def rename(match: re.Match) -> str:
            nonlocal bad
            ref = match.group(1)
            if ref in renamed:
                return f"${{{renamed[ref]}}}"
            why = self.skipped.get(ref)
            if why:
                self.problem(
                    f"{key} refers to ${{{ref}}}, which is not imported ({why})",
                    "survey",
                    row,
                    header,
                )
            else:
                self.problem(f"{key} refers to ${{{ref}}}, no question", "survey", row, header)
            bad = True
            return match.group(0)

        rewritten = REFERENCE.sub(rename, text)
        try:
            parse(rewritten)
        except ExpressionError as error:
            self.problem(f"{key} {text!r}: {error}", "survey", row, header)
            return None
        return None if bad else rewritten

    def definition(self, settings: dict, pages: list[_Page], lists: dict) -> CommentedMap:
        renamed = self.names(pages)
        data = CommentedMap()
        form_id = settings.get("form_id")
        if self.survey_id is not None:
            survey_id = self.survey_id
            if not SURVEY_ID.match(survey_id):
                self.problem(
                    f"--id {survey_id!r}: an id is lower-case letters, digits, '-' or '_', "
                    "starting with a letter"
                )
        else:
            survey_id = _our_survey_id(form_id[0] if form_id else self.path.stem)
        title = settings.get("form_title") or form_id
        title_text = title[0] if title else self.path.stem
        version_raw = settings.get("version")
        version, mapped = _version(version_raw[0] if version_raw else None)
        if mapped and version_raw:
            self.warn(
                f"version {version_raw[0]!r} is not a whole number from 1 up; using {version}",
                "settings",
                version_raw[2],
                version_raw[1],
            )
        data.yaml_set_start_comment(
            f"Imported from {self.path.name} by `flask surveys import`; review before loading."
        )
        data["id"] = survey_id
        data["version"] = version
        data["title"] = self.text({self.default_language: title_text})
        data["default_language"] = self.default_language
        data["languages"] = CommentedSeq()  # filled in below, from the texts used
        used_languages: set[str] = {self.default_language}
        page_nodes = CommentedSeq()
        page_names: set[str] = set()
        groups: dict[int, str | None] = {}
        for index, page in enumerate(pages, start=1):
            questions = CommentedSeq()
            for question in page.questions:
                node = self.question(question, renamed, groups)
                for key in ("label", "hint", "constraint_message"):
                    used_languages.update(question.texts[key])
                questions.append(node)
            if not questions:
                continue
            node = CommentedMap()
            group = page.group
            wanted = _our_name(group.raw_name) if group and group.raw_name else f"page_{index}"
            name, suffix = wanted, 2
            while name in page_names:
                name, suffix = f"{wanted}_{suffix}", suffix + 1
            page_names.add(name)
            node["name"] = name
            if group is None:
                node["title"] = self.text({self.default_language: title_text})
            elif group.label:
                node["title"] = self.text(group.label)
                used_languages.update(group.label)
            else:
                made = (group.raw_name or name).replace("_", " ").strip().capitalize()
                self.warn(
                    f"the group has no label; its page is titled {made!r}",
                    "survey",
                    group.row,
                    "label",
                )
                node["title"] = self.text({self.default_language: made})
            node["questions"] = questions
            page_nodes.append(node)
            self.places[f"page {name!r}"] = (
                "survey",
                group.row if group else page.questions[0].row,
                {},
            )
        if not page_nodes and not self.problems:
            self.problem("no questions left to import", "survey")
        data["pages"] = page_nodes
        used_lists = {q.type.list_name for p in pages for q in p.questions if q.type.list_name}
        choice_node = CommentedMap()
        for list_name, choices in lists.items():
            if list_name not in used_lists:
                continue
            choice_node[_our_name(list_name)] = CommentedSeq(choices)
            for choice in choices:
                used_languages.update(choice["label"])
        if choice_node:
            data["choices"] = choice_node
        data["languages"].extend(sorted(used_languages, key=self.language_rank))
        data["languages"].fa.set_flow_style()
        return data

    def question(
        self, question: _Question, renamed: dict[str, str], groups: dict[int, str | None]
    ) -> CommentedMap:
        node = CommentedMap()
        kind = question.type
        node["name"] = question.name
        node["type"] = f"{kind.name} {_our_name(kind.list_name)}" if kind.list_name else kind.name
        for key in ("label", "hint"):
            if question.texts[key] or key == "label":
                node[key] = self.text(question.texts[key])
        if question.required:
            node["required"] = True
        relevants = []
        for group in question.groups:
            if group.row not in groups:
                groups[group.row] = self.expression(group.relevant, "relevant", group.row, renamed)
            if groups[group.row]:
                relevants.append(groups[group.row])
        own = self.expression(question.relevant, "relevant", question.row, renamed)
        if own:
            relevants.append(own)
        if relevants:
            node["relevant"] = (
                relevants[0] if len(relevants) == 1 else " and ".join(f"({r})" for r in relevants)
            )
        constraint = self.expression(question.constraint, "constraint", question.row, renamed)
        if constraint:
            node["constraint"] = constraint
            if question.texts["constraint_message"]:
                node["constraint_message"] = self.text(question.texts["constraint_message"])
        if kind.other:
            node["other"] = True
        appearance = set((question.appearance or "").split())
        if kind.name == "select_one" and appearance & {"minimal", "autocomplete"}:
            node["appearance"] = "dropdown"
        self.places[f"question {question.name!r}"] = ("survey", question.row, question.headers)
        return node

    # --- output ---

    def dump(self, data: CommentedMap) -> str:
        yaml = YAML(typ="rt")
        yaml.default_flow_style = False
        yaml.width = 4096
        yaml.indent(mapping=2, sequence=4, offset=2)
        out = io.StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    def validate(self, result: ImportResult, has_pages: bool) -> None:
        """Our own validator on the YAML as written; its problems placed in the workbook."""
        data = YAML(typ="rt").load(result.yaml_text)
        definition, problems = check_definition(data, self.file)
        for problem in problems:
            if self.survey_id is not None and problem.message.startswith("id must be"):
                continue  # said already, about --id
            if not has_pages and problem.message.startswith("pages must be"):
                continue  # said already: no questions left to import
            if any(
                problem.message == f"unknown choice list {_our_name(name)!r}"
                for name in self.refused_lists
            ):
                continue  # said already: each of its choices is a problem
            self.problems.append(self.placed(problem.place, problem.message))
        result.definition = definition

    def placed(self, place: str, message: str) -> Message:
        where = self.places.get(place)
        if where is None:
            prefix = f"{place}: " if place else ""
            return Message(self.file, f"{prefix}{message}")
        sheet, row, headers = where
        first = message.split()[0].rstrip(":") if message.split() else ""
        column = {
            "unknown": "type",
            "duplicate": "name",
            "other": "type",
            "code": "name",
        }.get(first, first)
        if first == "a" and " required" in message:
            column = "required"
        elif first == "a" and " constraint" in message:
            column = "constraint"
        known = SURVEY_COLUMNS | CHOICE_COLUMNS | {"list_name"}
        column = headers.get(column, column) if column in known else None
        return Message(self.file, f"{place}: {message}", sheet, row, column)


def import_xlsform(
    path: str | Path, survey_id: str | None = None, skip_unsupported: bool = False
) -> ImportResult:
    """Convert an XLSForm into our YAML, checked by our validator; never raises on a bad file."""
    return _Converter(Path(path), survey_id, skip_unsupported).run()
