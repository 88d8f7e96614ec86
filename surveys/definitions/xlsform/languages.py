"""The languages of a form's texts: the language a column header or the default_language
setting names ('Swahili (sw)', 'sw', 'Swahili', 'EN') as a Babel code, the survey's default
language, the order its languages are written in, and what a text missing in one of them
becomes (pyxform's forgiveness: the form imports, with a warning)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from .columns import QUESTION_TEXTS, TRANSLATABLE, Sheet
from .messages import Report

DEFAULT_LANGUAGE = "en"
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
WITH_CODE = re.compile(r"(?P<name>.*?)\s*\(\s*(?P<code>[^()]+?)\s*\)")


@dataclass
class Languages:
    """The survey's default language and its languages, the default first."""

    default: str = DEFAULT_LANGUAGE
    order: list[str] = field(default_factory=list)

    def rank(self, code: str) -> int:
        return self.order.index(code) if code in self.order else len(self.order)


def resolve_languages(
    sheets: dict[str, Sheet], settings: dict[str, tuple[str, str, int]], report: Report
) -> Languages:
    """Give each text column of the survey and choices sheets its language code, and index
    the sheets by field; a language that cannot be resolved is a problem."""
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
            code, error = language_code(column.language)
            if code is None:
                if any(row.get(column.header) for row in sheet.rows):
                    report.problem(str(error), name, column=column.header)
                continue
            column.code = code
            if column.field in QUESTION_TEXTS and any(row.get(column.header) for row in sheet.rows):
                codes.append(code)
    languages = Languages()
    default = settings.get("default_language")
    if default:
        value, header, row = default
        code, error = (None, None) if value.lower() == "default" else language_code(value)
        if error:
            report.problem(error, "settings", row, header)
        languages.default = code or DEFAULT_LANGUAGE
    elif not plain and codes and DEFAULT_LANGUAGE not in codes:
        languages.default = codes[0]  # every text names its language
    for name in ("survey", "choices"):
        sheet = sheets.get(name)
        if sheet is None:
            continue
        for column in sheet.columns:
            if column.field in TRANSLATABLE and (
                column.language is None or column.language.lower() == "default"
            ):
                column.code = languages.default
        sheet.index()
    languages.order = list(dict.fromkeys([languages.default, *codes]))
    return languages


class Translations:
    """A row's texts in the survey's languages. A text that the row gives in some language
    but not in another is shown in the default language there, as pyxform does, and
    `surveys translations` lists it as missing; a text missing in the default language
    itself is taken from the first language that has it. Each is a warning naming the
    language and the rows (`warn_missing`, once every row is read), or the sheet when the
    language has no such column at all."""

    def __init__(self, languages: Languages, report: Report) -> None:
        self.languages = languages
        self.report = report
        self.said: set[tuple[str, str, str]] = set()  # (sheet, key, language) said once
        # (sheet, key, language missing, language used instead, header) -> rows
        self.missing: dict[tuple[str, str, str, str, str], list[int]] = {}
        self.given: dict[tuple[str, str], list[str]] = {}  # (sheet, key) -> its languages

    def texts(
        self, sheet: Sheet, row: dict[str, str], number: int, key: str
    ) -> tuple[dict[str, str], dict[str, str]]:
        """({code: text}, {code: header}) of the text `key`, in the default language too
        whenever the row gives it in any language."""
        texts, headers = sheet.texts(row, key)
        if not texts:
            return texts, headers
        default = self.languages.default
        if (sheet.name, key) not in self.given:  # the languages the sheet gives it in
            self.given[sheet.name, key] = sheet.languages_of(key)
        given = self.given[sheet.name, key]
        order = [*self.languages.order, *texts]
        source = next(code for code in order if code in texts)
        for code in self.languages.order:
            if code in texts:
                continue
            if code not in given:
                self._sheet_warning(sheet, key, code, source)
            else:
                where = (sheet.name, key, code, source, sheet.cell(row, key, code)[1])
                self.missing.setdefault(where, []).append(number)
            if code == default:
                texts[code], headers[code] = texts[source], headers[source]
        return texts, headers

    def warn_missing(self) -> None:
        """One warning for each language a column leaves empty in rows that give the text
        in another language."""
        default = self.languages.default
        for (sheet, key, code, source, header), rows in self.missing.items():
            where = _rows(rows)
            if code == default:
                text = (
                    f"{key} has no text in the default language {default!r} in {where}; "
                    f"the {source!r} text is used there"
                )
            else:
                text = f"{key} has no {code!r} text in {where}; the {default!r} text is shown there"
            self.report.warn(text, sheet, column=header)

    def _sheet_warning(self, sheet: Sheet, key: str, code: str, source: str) -> None:
        if (sheet.name, key, code) in self.said:
            return
        self.said.add((sheet.name, key, code))
        default = self.languages.default
        if code == default:
            text = (
                f"no {key} in the default language {default!r}: each is taken from "
                f"the first language that has it ({source!r})"
            )
        else:
            text = f"no {key} in {code!r}: the {default!r} text is shown instead"
        self.report.warn(text, sheet.name)


def _rows(numbers: list[int]) -> str:
    """[3, 4, 5, 9] as 'rows 3-5, 9'."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return f"row {text}" if len(set(numbers)) == 1 else f"rows {text}"


def language_code(label: str) -> tuple[str | None, str | None]:
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
