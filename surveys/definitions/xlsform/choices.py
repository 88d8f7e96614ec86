"""The choices sheet as our choice lists: only the lists the imported questions use, each
choice a code and its labels. A choice without a list or a name, a code we cannot store or
a code twice in one list is a problem at its row."""

from __future__ import annotations

from dataclasses import dataclass, field

from ruamel.yaml.comments import CommentedMap

from ..validator import CHOICE_CODE
from .columns import CHOICE_COLUMNS, Sheet, column_warnings
from .languages import Languages
from .messages import Report
from .names import our_name
from .placing import Places
from .questions import Page, check_texts
from .writing import code_node, text_node


@dataclass
class ChoiceLists:
    lists: dict[str, list[CommentedMap]] = field(default_factory=dict)  # XLSForm list name ->
    refused: set[str] = field(default_factory=set)  # every choice refused: said already


def read_choices(
    sheet: Sheet | None, pages: list[Page], languages: Languages, report: Report, places: Places
) -> ChoiceLists:
    """The choice lists the questions on `pages` use, each choice placed at its row."""
    used = {q.type.list_name for page in pages for q in page.questions if q.type.list_name}
    if sheet is None:
        return ChoiceLists()  # the validator names each unknown choice list
    lists: dict[str, list[CommentedMap]] = {}
    imported: list[dict[str, str]] = []
    present: set[str] = set()
    seen: dict[tuple[str, str], int] = {}
    for index, row in enumerate(sheet.rows):
        number = index + 2
        list_name, list_header = sheet.cell(row, "list_name")
        code, code_header = sheet.cell(row, "name")
        label, _ = sheet.texts(row, "label")
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
        if (list_name, code) in seen:
            report.problem(
                f"duplicate choice name {code!r} in list {list_name!r} "
                f"(first in row {seen[list_name, code]})",
                "choices",
                number,
                code_header,
            )
            continue
        seen[list_name, code] = number
        if check_texts(report, sheet, row, number, "label", block=False):
            continue
        choice = CommentedMap()
        choice["code"] = code_node(code)
        choice["label"] = text_node(label, languages)
        lists.setdefault(list_name, []).append(choice)
        imported.append(row)
        places.add(
            f"choice list {our_name(list_name)!r}, choice {code!r}",
            "choices",
            number,
            sheet.headers_used(row),
        )
        places.add_first(f"choice list {our_name(list_name)!r}", "choices", number)
    # Other columns are usual on the choices sheet: they feed choice filters.
    column_warnings(report, sheet, imported, CHOICE_COLUMNS, unknown=False)
    return ChoiceLists(lists, refused=present - set(lists))
