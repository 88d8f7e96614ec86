"""The survey sheet's rows as pages of questions, still with their XLSForm names.

A top-level `begin group` … `end group` is a page, and questions outside any group are
pages of their own between them. A row Pathways cannot import (an unsupported type or
column, a conditional required, a ${...} in a text) is a problem, or left out when skipping
is asked for; a repeat is left out with everything inside it, since its questions only make
sense once per repetition. Each question left out is remembered with the reason, so that an
expression referring to it can say why it is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .columns import QUESTION_TEXTS, SURVEY_COLUMNS, UNSUPPORTED_COLUMNS, Sheet, column_warnings
from .messages import Report
from .names import REFERENCE, expression_text
from .types import RowType, parse_type, type_suggestion

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

# (expression as written, the header of its column)
Source = tuple[str, str]


@dataclass
class Group:
    row: int
    raw_name: str | None
    label: dict[str, str]
    relevant: Source | None


@dataclass
class Question:
    row: int
    raw_name: str
    type: RowType
    texts: dict[str, dict[str, str]]  # label, hint, constraint_message: {code: text}
    required: bool
    relevant: Source | None
    constraint: Source | None
    appearance: str | None
    groups: list[Group]  # the groups it is in, outermost first
    headers: dict[str, str]  # field -> the header of its column in this row
    name: str = ""  # ours, once the questions are renamed


@dataclass
class Page:
    group: Group | None  # None for questions outside any group
    questions: list[Question] = field(default_factory=list)


@dataclass
class Survey:
    pages: list[Page]
    skipped: dict[str, str]  # XLSForm name -> why it is not imported


def read_survey(sheet: Sheet, report: Report) -> Survey:
    """The pages and questions of the survey sheet, and the questions left out."""
    return _SurveyReader(sheet, report).read()


@dataclass
class _Row:
    number: int  # as the spreadsheet numbers it: the header is row 1
    cells: dict[str, str]
    type_text: str | None
    type_header: str
    name: str | None
    name_header: str
    type: RowType | None

    @property
    def type_written(self) -> str:
        return " ".join((self.type_text or "").split())


@dataclass
class _Repeat:
    start: int  # its begin row
    depth: int  # of begin/end inside it, itself counted
    type_written: str


class _SurveyReader:
    def __init__(self, sheet: Sheet, report: Report) -> None:
        self.sheet = sheet
        self.report = report
        self.pages: list[Page] = []
        self.imported: list[dict[str, str]] = []  # the rows that become pages and questions
        self.stack: list[Group] = []  # the groups open at this row
        self.ungrouped: Page | None = None  # the page of questions outside groups, if open
        self.repeat: _Repeat | None = None  # the repeat being left out, if inside one
        self.skipped: dict[str, str] = {}

    def read(self) -> Survey:
        for index, cells in enumerate(self.sheet.rows):
            if cells:
                self.row(index + 2, cells)
        type_header = self.sheet.header_of("type")
        if self.repeat is not None:
            self.report.problem(
                f"{self.repeat.type_written!r} has no matching 'end repeat'",
                "survey",
                self.repeat.start,
                type_header,
            )
        for group in self.stack:
            self.report.problem(
                "'begin group' has no matching 'end group'", "survey", group.row, type_header
            )
        column_warnings(self.report, self.sheet, self.imported, SURVEY_COLUMNS)
        return Survey(self.pages, self.skipped)

    def row(self, number: int, cells: dict[str, str]) -> None:
        type_text, type_header = self.sheet.cell(cells, "type")
        name, name_header = self.sheet.cell(cells, "name")
        kind = parse_type(type_text) if type_text else None
        row = _Row(number, cells, type_text, type_header, name, name_header, kind)
        if self.repeat is not None:
            self.in_repeat(self.repeat, row)
            return
        for _name, first, second in self.sheet.conflicts(cells):
            self.report.problem(
                f"columns {first!r} and {second!r} mean the same and disagree",
                "survey",
                number,
                second,
            )
        if kind is None:
            if name or self.sheet.texts(cells, "label")[0]:
                self.report.problem("this row has no type", "survey", number, type_header)
        elif kind.kind == "begin" and kind.control == "repeat":
            self.repeat = _Repeat(number, 1, row.type_written)
            if name:
                self.skipped.setdefault(name, f"row {number}: a repeat is not supported")
        elif kind.kind == "begin":
            self.begin_group(row)
        elif kind.kind == "end":
            self.end_group(row, kind)
        elif not name:
            self.report.problem("a question needs a name", "survey", number, name_header)
        else:
            self.question(row, name, kind)

    def in_repeat(self, repeat: _Repeat, row: _Row) -> None:
        """A row inside a repeat: left out with it, said once at its end."""
        kind = row.type
        if row.name and not (kind and kind.kind == "end"):
            self.skipped.setdefault(row.name, f"it is inside the repeat in row {repeat.start}")
        if kind and kind.kind in ("begin", "end"):
            repeat.depth += 1 if kind.kind == "begin" else -1
            if not repeat.depth:
                self.repeat = None
                self.report.unsupported(
                    f"{repeat.type_written!r} is not supported",
                    repeat.start,
                    row.type_header,
                    f"rows {repeat.start}-{row.number} skipped",
                )

    def begin_group(self, row: _Row) -> None:
        label, _ = self.sheet.texts(row.cells, "label")
        relevant = raw_expression(self.sheet, row.cells, "relevant")
        group = Group(row.number, row.name, label, relevant)
        check_texts(self.report, self.sheet, row.cells, row.number, "label", block=False)
        if not self.stack:
            self.pages.append(Page(group))
            self.ungrouped = None
        self.stack.append(group)
        self.imported.append(row.cells)

    def end_group(self, row: _Row, kind: RowType) -> None:
        if not self.stack or kind.control != "group":
            self.report.problem(
                f"{row.type_written!r} without a matching 'begin' before it",
                "survey",
                row.number,
                row.type_header,
            )
            return
        self.stack.pop()

    def question(self, row: _Row, name: str, kind: RowType) -> None:
        number, cells = row.number, row.cells
        if kind.kind == "unknown":
            self.report.problem(
                kind.why
                or f"unknown question type {row.type_written!r}"
                + type_suggestion(row.type_text or ""),
                "survey",
                number,
                row.type_header,
            )
            self.skipped.setdefault(name, f"row {number} has an unknown type")
            return
        if kind.kind == "unsupported":
            text = f"{row.type_written!r} is not supported"
            self.report.unsupported(text, number, row.type_header)
            self.skipped.setdefault(name, f"row {number}: {text}")
            return
        reasons = unsupported_columns(self.report, self.sheet, cells, number)
        if reasons:
            self.skipped.setdefault(name, f"row {number}: {reasons[0]}")
            return
        required = read_required(self.report, self.sheet, cells, number)
        if required is None:
            self.skipped.setdefault(name, f"row {number}: a conditional required")
            return
        texts = {key: self.sheet.texts(cells, key)[0] for key in QUESTION_TEXTS}
        appearance, _ = self.sheet.cell(cells, "appearance")
        constraint = raw_expression(self.sheet, cells, "constraint")
        if kind.constraint:
            constraint = (
                (kind.constraint, row.type_header)
                if constraint is None
                else (f"({constraint[0]}) and ({kind.constraint})", constraint[1])
            )
        question = Question(
            number,
            name,
            kind,
            texts,
            required,
            raw_expression(self.sheet, cells, "relevant"),
            constraint,
            appearance,
            list(self.stack),
            self.sheet.headers_used(cells),
        )
        self.page().questions.append(question)
        self.imported.append(cells)

    def page(self) -> Page:
        """The page a question of this row goes on."""
        if self.stack:
            return self.pages[-1]
        if self.ungrouped is None:
            self.ungrouped = Page(None)
            self.pages.append(self.ungrouped)
        return self.ungrouped


def raw_expression(sheet: Sheet, row: dict[str, str], key: str) -> Source | None:
    value, header = sheet.cell(row, key)
    return (expression_text(value), header) if value else None


def check_texts(
    report: Report, sheet: Sheet, row: dict[str, str], number: int, key: str, block: bool
) -> bool:
    """A text with ${...} in it: Pathways does not fill answers into texts. True when
    found: unsupported when it `block`s the row, else a problem."""
    texts, headers = sheet.texts(row, key)
    for code, text in texts.items():
        found = REFERENCE.search(text)
        if found:
            message = (
                f"{found.group(0)} in a text is not supported "
                "(Pathways does not fill answers into texts)"
            )
            if block:
                report.unsupported(message, number, headers[code])
            else:
                report.problem(message, sheet.name, number, headers[code])
            return True
    return False


def unsupported_columns(
    report: Report, sheet: Sheet, row: dict[str, str], number: int
) -> list[str]:
    """Why the row cannot be imported because of what its columns say; [] when it can."""
    reasons = []
    for column in sorted(UNSUPPORTED_COLUMNS):
        value, header = sheet.cell(row, column)
        if value is None:
            continue
        if column == "read_only" and YES_NO.get(value.strip().lower()) is False:
            continue
        text = f"a {header} ({value!r}) is not supported"
        report.unsupported(text, number, header)
        reasons.append(text)
    for key in QUESTION_TEXTS:
        if check_texts(report, sheet, row, number, key, block=True):
            reasons.append("a ${...} in a text is not supported")
    return reasons


def read_required(report: Report, sheet: Sheet, row: dict[str, str], number: int) -> bool | None:
    """Whether the question is required; None (unsupported) when it is a condition."""
    value, header = sheet.cell(row, "required")
    if value is None:
        return False
    answer = YES_NO.get(value.strip().lower())
    if answer is None:
        report.unsupported(f"a conditional required ({value!r}) is not supported", number, header)
    return answer
