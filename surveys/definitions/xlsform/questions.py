"""The survey sheet's rows as pages of questions, still with their XLSForm names.

A top-level `begin group` … `end group` is a page, and questions outside any group are
pages of their own between them. A row Pathways cannot import (an unsupported type or
column, a conditional required or read_only, a calculation on a question that is not a
calculate, an ODK function our expressions lack, a text showing the answer to a question
left out) is a problem, or left out when skipping is asked for; a repeat is left out with
everything inside it, since its questions only make sense once per repetition. Each
question left out is remembered with the reason, so that an expression referring to it can
say why it is gone. What a row says that changes nothing here (a trigger, a hint on a
calculate, a default on a note) is left out with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .columns import QUESTION_TEXTS, SURVEY_COLUMNS, UNSUPPORTED_COLUMNS, Sheet, column_warnings
from .languages import Translations
from .messages import Report
from .names import REFERENCE, expression_text
from .types import RowType, parse_type, type_suggestion
from .xpath import as_text_expression, default_is_dynamic, missing_functions

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
# The expressions of a question row, in the order their problems are said.
EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "choice_filter", "default")
# What a calculate row may say besides its calculation, relevant and label: the rest is
# about a question shown to the respondent.
NOT_ON_CALCULATE = (
    "hint",
    "required",
    "required_message",
    "constraint",
    "constraint_message",
    "appearance",
    "default",
    "read_only",
    "choice_filter",
)
SELECT_TYPES = {"select_one", "select_multiple"}

# (expression as written, the header of its column)
Source = tuple[str, str]


@dataclass
class Default:
    """A question's default: a value, or an expression (`expression`), as we write it."""

    text: str
    expression: bool
    header: str
    rewrite: bool = True  # an expression with references to rename; False for a quoted value


@dataclass
class Group:
    row: int
    raw_name: str | None
    label: dict[str, str]
    label_headers: dict[str, str]
    relevant: Source | None


@dataclass
class Question:
    row: int
    raw_name: str
    type: RowType
    # label, hint, constraint_message, required_message: {code: text}, {code: header}
    texts: dict[str, dict[str, str]]
    text_headers: dict[str, dict[str, str]]
    required: bool
    relevant: Source | None
    constraint: Source | None
    appearance: str | None
    groups: list[Group]  # the groups it is in, outermost first
    headers: dict[str, str]  # field -> the header of its column in this row
    calculation: Source | None = None
    choice_filter: Source | None = None
    default: Default | None = None
    read_only: bool = False
    name: str = ""  # ours, once the questions are renamed


@dataclass
class Page:
    group: Group | None  # None for questions outside any group
    questions: list[Question] = field(default_factory=list)


@dataclass
class Survey:
    pages: list[Page]
    skipped: dict[str, str]  # XLSForm name -> why it is not imported


def read_survey(sheet: Sheet, report: Report, translations: Translations) -> Survey:
    """The pages and questions of the survey sheet, and the questions left out."""
    return _SurveyReader(sheet, report, translations).read()


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
    def __init__(self, sheet: Sheet, report: Report, translations: Translations) -> None:
        self.sheet = sheet
        self.report = report
        self.translations = translations
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
        label, headers = self.translations.texts(self.sheet, row.cells, row.number, "label")
        relevant = raw_expression(self.sheet, row.cells, "relevant")
        group = Group(row.number, row.name, label, headers, relevant)
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
            text = f"{row.type_written!r} is not supported" + (f": {kind.why}" if kind.why else "")
            self.report.unsupported(text, number, row.type_header)
            self.skipped.setdefault(name, f"row {number}: {text}")
            return
        reasons = self.unsupported(row, kind)
        if reasons:
            self.skipped.setdefault(name, f"row {number}: {reasons[0]}")
            return
        required = read_required(self.report, self.sheet, cells, number)
        if required is None:
            self.skipped.setdefault(name, f"row {number}: a conditional required")
            return
        calculation = raw_expression(self.sheet, cells, "calculation")
        calculate = kind.name == "calculate"
        if calculate and calculation is None:
            self.report.problem(
                "a calculate row needs a calculation",
                "survey",
                number,
                self.sheet.header_of("calculation"),
            )
            self.skipped.setdefault(name, f"row {number} has no calculation")
            return
        self.trigger(cells, number)
        texts: dict[str, dict[str, str]] = {}
        text_headers: dict[str, dict[str, str]] = {}
        for key in QUESTION_TEXTS:
            if calculate and key != "label":  # said by not_on_calculate
                texts[key], text_headers[key] = {}, {}
            else:
                texts[key], text_headers[key] = self.translations.texts(
                    self.sheet, cells, number, key
                )
        question = Question(
            number,
            name,
            kind,
            texts,
            text_headers,
            required and not calculate,
            raw_expression(self.sheet, cells, "relevant"),
            None,
            None,
            list(self.stack),
            self.sheet.headers_used(cells),
            calculation=calculation,
        )
        if calculate:
            self.not_on_calculate(cells, number)
        else:
            constraint = raw_expression(self.sheet, cells, "constraint")
            if kind.constraint:  # implied by the type, e.g. phone number
                constraint = (
                    (kind.constraint, row.type_header)
                    if constraint is None
                    else (f"({constraint[0]}) and ({kind.constraint})", constraint[1])
                )
            question.constraint = constraint
            question.appearance = self.sheet.cell(cells, "appearance")[0]
            self.shown_question(question, cells)
        self.page().questions.append(question)
        self.imported.append(cells)

    def unsupported(self, row: _Row, kind: RowType) -> list[str]:
        """Why the row cannot be imported because of what its columns say, each said as
        unsupported; [] when it can."""
        number, cells = row.number, row.cells
        reasons = []

        def refuse(text: str, header: str) -> None:
            self.report.unsupported(text, number, header)
            reasons.append(text)

        for column in sorted(UNSUPPORTED_COLUMNS):
            value, header = self.sheet.cell(cells, column)
            if value is not None:
                refuse(f"a {header} ({value!r}) is not supported", header)
        value, header = self.sheet.cell(cells, "calculation")
        if value is not None and kind.name != "calculate":
            refuse(
                f"a calculation on a {row.type_written!r} question (it would set the "
                "answer) is not supported; only a calculate row may have one",
                header,
            )
        value, header = self.sheet.cell(cells, "read_only")
        if value is not None and value.strip().lower() not in YES_NO:
            refuse(f"a conditional read_only ({value!r}) is not supported", header)
        for column in EXPRESSION_COLUMNS:
            value, header = self.sheet.cell(cells, column)
            if value is None:
                continue
            if column == "default" and not default_is_dynamic(value, kind.name):
                continue
            missing = missing_functions(expression_text(value))
            if missing:
                calls = ", ".join(f"{function}()" for function in missing)
                refuse(f"{column} calls {calls}, which Pathways expressions do not have", header)
        for key in QUESTION_TEXTS:
            texts, headers = self.sheet.texts(cells, key)
            piped = [(ref, code) for code, text in texts.items() for ref in REFERENCE.findall(text)]
            gone = next(((ref, code) for ref, code in piped if ref in self.skipped), None)
            if gone:
                ref, code = gone
                refuse(
                    f"the {key} shows ${{{ref}}}, which is not imported ({self.skipped[ref]})",
                    headers[code],
                )
                break
        return reasons

    def not_on_calculate(self, cells: dict[str, str], number: int) -> None:
        """What a calculate row says that only a shown question can use: left out."""
        for column in NOT_ON_CALCULATE:
            if column in QUESTION_TEXTS:
                texts, headers = self.sheet.texts(cells, column)
                code = next(iter(texts), None)
                value, header = (texts[code], headers[code]) if code else (None, column)
            else:
                value, header = self.sheet.cell(cells, column)
            if value is None:
                continue
            if column in ("required", "read_only") and not YES_NO.get(value.strip().lower()):
                continue
            self.report.warn(
                f"a calculate question is never shown, so its {column} is left out",
                "survey",
                number,
                header,
            )

    def trigger(self, cells: dict[str, str], number: int) -> None:
        value, header = self.sheet.cell(cells, "trigger")
        if value is not None:
            self.report.warn(
                f"trigger {value!r} left out: Pathways works out every calculation again "
                "from the answers each time a page is saved",
                "survey",
                number,
                header,
            )

    def shown_question(self, question: Question, cells: dict[str, str]) -> None:
        """The default, read_only and choice_filter of a question the respondent sees,
        and the messages that need a required or a constraint."""
        number, kind, report = question.row, question.type, self.report
        value, header = self.sheet.cell(cells, "choice_filter")
        if value is not None:
            if kind.name in SELECT_TYPES:
                question.choice_filter = (expression_text(value), header)
            else:
                report.warn(
                    "a choice_filter applies only to select_one and select_multiple; left out",
                    "survey",
                    number,
                    header,
                )
        question.default = self.default(question, cells)
        value, header = self.sheet.cell(cells, "read_only")
        if value is not None and YES_NO.get(value.strip().lower()) and kind.name != "note":
            question.read_only = True
            if question.required:
                question.required = False
                report.warn(
                    "a read-only question cannot be required (the respondent cannot answer "
                    "it); required left out",
                    "survey",
                    number,
                    self.sheet.cell(cells, "required")[1],
                )
            if question.default is None or question.type.other:
                # Our read-only questions show their default and have no "other" box.
                question.read_only = False
                report.warn(
                    "a read-only question needs a default to show, and no 'other' box; "
                    "read_only left out",
                    "survey",
                    number,
                    header,
                )
        for key, needs, given in (
            ("required_message", "required", question.required),
            ("constraint_message", "constraint", question.constraint is not None),
        ):
            if question.texts[key] and not given:
                report.warn(
                    f"a {key} without a {needs} is never shown; left out",
                    "survey",
                    number,
                    next(iter(question.text_headers[key].values())),
                )
                question.texts[key], question.text_headers[key] = {}, {}

    def default(self, question: Question, cells: dict[str, str]) -> Default | None:
        """The default as we write it: pyxform's rule says whether it is an expression."""
        value, header = self.sheet.cell(cells, "default")
        type_name = question.type.name
        if value is None:
            return None
        if type_name in ("note", "consent"):
            why = {
                "note": "a note has no answer",
                "consent": "Pathways never gives consent in advance",
            }[type_name]
            self.report.warn(f"{why}; default left out", "survey", question.row, header)
            return None
        if default_is_dynamic(value, type_name):
            text = expression_text(value)
            if "${" not in text and "(" not in text:
                text = f"({text})"  # our definitions read an expression by its '(' or '${'
            return Default(text, True, header)
        text = value.strip()
        if "${" not in text and "(" not in text:
            return Default(text, False, header)
        if type_name == "text":
            # A value our definitions would read as an expression: written as a text in quotes.
            return Default(as_text_expression(text), True, header, rewrite=False)
        self.report.warn(
            f"default {value!r} holds '(' or '${{', which our definitions read as an "
            f"expression, and is no {type_name} value; left out",
            "survey",
            question.row,
            header,
        )
        return None

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


def read_required(report: Report, sheet: Sheet, row: dict[str, str], number: int) -> bool | None:
    """Whether the question is required; None (unsupported) when it is a condition."""
    value, header = sheet.cell(row, "required")
    if value is None:
        return False
    answer = YES_NO.get(value.strip().lower())
    if answer is None:
        report.unsupported(f"a conditional required ({value!r}) is not supported", number, header)
    return answer
