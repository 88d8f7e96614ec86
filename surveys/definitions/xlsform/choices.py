"""The choices sheet as our choice lists: only the lists the imported questions use, each
choice a code, its labels and its filter columns. A choice without a list or a name, a code
we cannot store or a code twice in one list is a problem at its row.

Every other column of the sheet (not list_name, name, label or media) is a column a
`choice_filter` may read: each choice's non-empty values in them become its `filter:`,
under the column's name in our lower-case form. With the setting allow_choice_duplicates,
a code may come twice in a list, usually with other filter values (a county of the same
name in two states); Pathways keeps each code once, so the choice keeps each row's filter
values, the second row's in copies of the columns (`cf_2`), and a choice filter on the
list is tried on each copy (`(${state} = cf) or (${state} = cf_2)`): the code is offered
whenever one of its rows would have been.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field

from ..validator import CHOICE_CODE, QUESTION_NAME
from .columns import CHOICE_COLUMNS, IGNORED_COLUMNS, TRANSLATABLE, Sheet, column_warnings
from .languages import Translations
from .messages import Report
from .names import our_name
from .placing import Places
from .questions import YES_NO, Page, each_question
from .settings import Settings
from .xpath import KEYWORDS


@dataclass
class Choice:
    row: int
    code: str
    label: dict[str, str]
    label_headers: dict[str, str]
    # Each row's filter values (column -> value): one, or more for a code allowed twice.
    filters: list[dict[str, str]] = field(default_factory=list)

    def filter(self, copies: list[dict[str, str]]) -> dict[str, str]:
        """The `filter:` to write: the first row's values, then each copy's (a choice with
        fewer rows repeats its first, so that its copies match as the first does)."""
        first = self.filters[0] if self.filters else {}
        written = dict(first)
        for index, copy in enumerate(copies, start=1):
            values = self.filters[index] if index < len(self.filters) else first
            written.update({copy[column]: value for column, value in values.items()})
        return written


@dataclass
class ListColumns:
    """The filter columns a list's choices have: as a choice filter writes them -> ours,
    and the copies of ours (ours -> the copy's) for a list that kept duplicated codes once."""

    names: dict[str, str] = field(default_factory=dict)
    copies: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ChoiceLists:
    lists: dict[str, list[Choice]] = field(default_factory=dict)  # XLSForm list name ->
    refused: set[str] = field(default_factory=set)  # every choice refused: said already
    columns: dict[str, ListColumns] = field(default_factory=dict)  # XLSForm list name ->


def read_choices(
    sheet: Sheet | None,
    pages: list[Page],
    translations: Translations,
    settings: Settings,
    report: Report,
    places: Places,
) -> ChoiceLists:
    """The choice lists the questions on `pages` use, each choice placed at its row."""
    used = {q.type.list_name for q in each_question(pages) if q.type.list_name}
    if sheet is None:
        return ChoiceLists()  # the validator names each unknown choice list
    allowed = settings.get("allow_choice_duplicates")
    duplicates_allowed = bool(allowed and YES_NO.get(allowed[0].strip().lower()))
    in_used = [row for row in sheet.rows if sheet.cell(row, "list_name")[0] in used]
    columns = _filter_columns(sheet, in_used, report)
    lists: dict[str, list[Choice]] = {}
    imported: list[dict[str, str]] = []
    present: set[str] = set()
    seen: dict[tuple[str, str], Choice] = {}
    for index, row in enumerate(sheet.rows):
        number = index + 2
        list_name, list_header = sheet.cell(row, "list_name")
        code, code_header = sheet.cell(row, "name")
        if list_name is None:
            if code is not None:
                report.problem("this choice has no list name", "choices", number, list_header)
            continue
        if list_name not in used:
            continue  # only the lists the imported questions use
        present.add(list_name)
        for _name, first, second in sheet.conflicts(row):
            report.problem(
                f"columns {first!r} and {second!r} mean the same and disagree",
                "choices",
                number,
                second,
            )
        if code is None:
            report.problem("this choice has no name", "choices", number, code_header)
            continue
        if not CHOICE_CODE.match(code):
            report.problem(
                f"choice name {code!r}: a code must be letters, digits, '.', '_', "
                "'+' or '-' (at most 64)",
                "choices",
                number,
                code_header,
            )
            continue
        values = {ours: row[header] for header, ours in columns.items() if row.get(header)}
        earlier = seen.get((list_name, code))
        if earlier is not None:
            if not duplicates_allowed:
                report.problem(
                    f"duplicate choice name {code!r} in list {list_name!r} "
                    f"(first in row {earlier.row})",
                    "choices",
                    number,
                    code_header,
                )
                continue
            _merge(earlier, values, row, sheet, number, code_header, report)
            imported.append(row)
            continue
        label, headers = translations.texts(sheet, row, number, "label")
        choice = Choice(number, code, label, headers, [values] if values else [])
        seen[list_name, code] = choice
        lists.setdefault(list_name, []).append(choice)
        imported.append(row)
        places.add(
            f"choice list {our_name(list_name)!r}, choice {code!r}",
            "choices",
            number,
            sheet.headers_used(row),
        )
        places.add_first(f"choice list {our_name(list_name)!r}", "choices", number)
    column_warnings(report, sheet, imported, CHOICE_COLUMNS, unknown=False)
    return ChoiceLists(
        lists,
        refused=present - set(lists),
        columns={name: _list_columns(choices, columns) for name, choices in lists.items()},
    )


def is_filter_column(field_name: str) -> bool:
    """A column of the choices sheet that is not one XLSForm gives a meaning there."""
    return not (
        field_name in CHOICE_COLUMNS or field_name in TRANSLATABLE or field_name in IGNORED_COLUMNS
    )


def _filter_columns(sheet: Sheet, rows: list[dict[str, str]], report: Report) -> dict[str, str]:
    """Header -> our column name, for each filter column with a value in `rows`; a header
    that cannot become one of our names is said and left out."""
    columns: dict[str, str] = {}
    owner: dict[str, str] = {}
    for column in sheet.columns:
        if not is_filter_column(column.field):
            continue
        if not any(row.get(column.header) for row in rows):
            continue
        written = column.header.strip()
        ours = our_name(written)
        why = None
        if not QUESTION_NAME.match(ours):
            why = f"{ours!r} is longer than 63 characters"
        elif ours == "name" or ours in KEYWORDS or keyword.iskeyword(ours):
            why = f"{ours!r} is a word expressions reserve"
        elif ours in owner:
            why = f"it becomes {ours!r}, like column {owner[ours]!r}"
        if why:
            report.warn(
                f"column {written!r} cannot be a choice filter column: {why}; left out",
                "choices",
                column=column.header,
            )
            continue
        if ours != written:
            report.warn(
                f"choice filter column {written!r} becomes {ours!r}",
                "choices",
                column=column.header,
            )
        owner[ours] = written
        columns[column.header] = ours
    return columns


def _merge(
    earlier: Choice,
    values: dict[str, str],
    row: dict[str, str],
    sheet: Sheet,
    number: int,
    code_header: str,
    report: Report,
) -> None:
    """A code allowed twice in its list: one choice, offered when either row's filter
    values match."""
    label, _ = sheet.texts(row, "label")
    if values and values not in earlier.filters:
        earlier.filters.append(values)
    differs = any(earlier.label.get(code) != text for code, text in label.items())
    report.warn(
        f"choice name {earlier.code!r} again (first in row {earlier.row}), as "
        "allow_choice_duplicates allows: Pathways keeps it once, offered wherever either "
        "row's filter columns match" + ("; this row's label is left out" if differs else ""),
        "choices",
        number,
        code_header,
    )


def _list_columns(choices: list[Choice], columns: dict[str, str]) -> ListColumns:
    """The filter columns of a list's choices, and the copies its kept duplicates need."""
    mine = {ours for choice in choices for values in choice.filters for ours in values}
    names = {header.strip(): ours for header, ours in columns.items() if ours in mine}
    names.update({ours: ours for ours in mine})
    taken = set(columns.values())
    copies: list[dict[str, str]] = []
    for index in range(2, max((len(c.filters) for c in choices), default=0) + 1):
        copy = {}
        for ours in sorted(mine):
            name, suffix = f"{ours}_{index}", index
            while name in taken:
                suffix += 1
                name = f"{ours}_{suffix}"
            taken.add(name)
            copy[ours] = name
        copies.append(copy)
    return ListColumns(names, copies)
