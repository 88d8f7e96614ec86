"""The columns of a sheet: what each header means (a field and, for a text, its language),
which columns Pathways uses, leaves out with a warning or cannot do, and a sheet's rows read
through them."""

from __future__ import annotations

from dataclasses import dataclass

from .messages import Report

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
    "jr:noaddremove": "no_add_remove",
    "noaddremove": "no_add_remove",
    "readonly": "read_only",
    "command": "type",
    "tag": "name",
    "value": "name",
    "set_form_title": "form_title",
    "set_form_id": "form_id",
}
# Prefixes that only say where pyxform puts a column in the XForm (`body` is its alias of
# `control`: `body::jr:noAddRemove`).
NAMESPACES = {"bind", "control", "body", "media"}
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
# The texts a question imports, each in the languages its columns name.
QUESTION_TEXTS = ("label", "hint", "constraint_message", "required_message")
SURVEY_COLUMNS = {
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "calculation",
    "choice_filter",
    "default",
    "read_only",
    "trigger",
    "repeat_count",
    "no_add_remove",
}
# Columns that change what a question does in a way we cannot: a row using one is
# unsupported. (A calculation on a question that is not a calculate, and a read_only that
# is a condition, are unsupported too: questions.py says so.)
UNSUPPORTED_COLUMNS = {"save_to"}
# Columns we can do without: each is left out, with one warning for the column.
IGNORED_COLUMNS = {
    "guidance_hint": "guidance hints are not shown",
    "parameters": "question parameters are not supported",
    "autoplay": "media are not supported",
    **dict.fromkeys(MEDIA, "media are not supported"),
}
CHOICE_COLUMNS = {"list_name", "name", "label"}
SETTINGS_COLUMNS = {
    "form_title",
    "form_id",
    "default_language",
    "version",
    "allow_choice_duplicates",
}


def _snake(text: str) -> str:
    return "_".join(text.split()).lower()


@dataclass
class Column:
    header: str
    field: str
    language: str | None  # as written in the header; None means the default language
    code: str | None = None  # the Babel code it resolves to


def parse_header(header: str) -> Column:
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
        return Column(header, _snake(text), None)  # an unknown column
    return Column(header, name, language)


class Sheet:
    """One sheet's rows, its columns, and what each column means."""

    def __init__(self, name: str, rows: list[dict[str, str]], headers: list[str]) -> None:
        self.name = name
        self.rows = rows
        self.columns = [parse_header(h) for h in headers]
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
        """Once each column's language is known: which headers give each field."""
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

    def languages_of(self, name: str) -> list[str]:
        """The languages in which some row of the sheet gives the text `name`."""
        return [
            code
            for (key, code), headers in self.keys.items()
            if key == name
            and code is not None
            and any(row.get(header) for row in self.rows for header in headers)
        ]

    def headers_used(self, row: dict[str, str]) -> dict[str, str]:
        """Field -> the header of its first column with a value in this row."""
        return {c.field: c.header for c in reversed(self.columns) if row.get(c.header)}


def column_warnings(
    report: Report,
    sheet: Sheet,
    rows: list[dict[str, str]],
    known: set[str],
    unknown: bool = True,
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
        report.warn(text, sheet.name, column=column.header)
