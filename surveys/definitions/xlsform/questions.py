"""The survey sheet's rows as pages of questions, still with their XLSForm names.

A top-level `begin group` … `end group` is a page, and questions outside any group are
pages of their own between them. A `begin repeat` … `end repeat` is one question of type
repeat, its rows its questions: on its group's page, or on a page of its own outside any
group (and on a new page when its count reads an answer of the page it would be on, since
our counts are worked out from earlier pages). A group inside a repeat is flattened into
it, its relevant joined to each of its questions'; a date inside a repeat is imported as
sensitive. A repeat inside a repeat, and a loop over a choice list, are left out with
everything inside them.

A row Pathways cannot import (an unsupported type or column, a conditional required or
read_only, a calculation on a question that is not a calculate, an ODK function our
expressions lack, a text showing the answer to a question left out, a reference from
outside a repeat to one of its questions) is a problem, or left out when skipping is asked
for. Each question left out is remembered with the reason, so that an expression referring
to it can say why it is gone. When skipping, what reads a question left out goes too, in
order (so that it cascades): a question whose relevant, calculation, choice filter or
default reads one, a repeat whose relevant or count does and a group whose relevant does,
each with everything inside it; a constraint that reads one is left out with its message,
and the question kept. What a row says that changes nothing here (a trigger, a hint on a
calculate, a default on a note) is left out with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..question_types import QUESTION_TYPES
from ..validator.questions import DEFAULT_MAX_REPETITIONS, MAX_REPETITIONS
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
# Those of a begin repeat row, and its texts.
REPEAT_EXPRESSIONS = ("relevant", "repeat_count")
REPEAT_TEXTS = ("label", "hint")
# What a begin repeat row may say that only a question can use: left out with a warning.
NOT_ON_REPEAT = (
    "required",
    "required_message",
    "constraint",
    "constraint_message",
    "calculation",
    "choice_filter",
    "default",
    "read_only",
    "trigger",
)
# Columns that only a begin repeat row uses.
REPEAT_ONLY = ("repeat_count", "no_add_remove")
# ODK functions that read a repeat's entries: our expressions have none of them.
REPEAT_FUNCTIONS = {"count", "position", "indexed-repeat"}
# (Pathways expressions, they) ...
REPEAT_WHY = "cannot count, sum or index the entries of a repeat"
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
    repeat: str | None = None  # the XLSForm name of the repeat it is flattened into


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
    # The groups whose relevant it takes, outermost first: those it is in, but for a
    # question of a repeat only those inside the repeat (the repeat takes the others).
    groups: list[Group]
    headers: dict[str, str]  # field -> the header of its column in this row
    calculation: Source | None = None
    choice_filter: Source | None = None
    default: Default | None = None
    read_only: bool = False
    privacy: str | None = None  # only when the type's own would not do
    repeat: str | None = None  # the XLSForm name of the repeat it is asked in
    name: str = ""  # ours, once the questions are renamed
    # A repeat's own: its questions, and how many entries (a number or an expression).
    questions: list[Question] = field(default_factory=list)
    repeat_count: Source | None = None
    fixed_count: int | None = None
    min_count: int | None = None
    max_count: int | None = None


@dataclass
class Page:
    group: Group | None  # None for questions outside any group
    questions: list[Question] = field(default_factory=list)
    repeat: Question | None = None  # the repeat outside any group this page is made for


@dataclass
class Repeats:
    """The imported repeats (XLSForm name -> row) and the repeat each question of one is
    asked in (XLSForm name -> the repeat's)."""

    rows: dict[str, int] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)

    def unreadable(self, ref: str, scope: str | None) -> str | None:
        """Why ${ref} cannot be read from a row inside the repeat `scope` (None: outside
        any), in words that follow "refers to ${ref}, " or "shows ${ref}, "; None when it can."""
        if ref in self.rows:
            return (
                f"the repeat in row {self.rows[ref]}, which has no single answer: Pathways "
                f"expressions {REPEAT_WHY}"
            )
        owner = self.owner.get(ref)
        if owner is None or owner == scope:
            return None
        return (
            f"which is asked once per entry of the repeat {owner!r} (row {self.rows[owner]}): "
            "only the repeat's own questions can read it, since Pathways expressions " + REPEAT_WHY
        )


@dataclass
class Survey:
    pages: list[Page]
    skipped: dict[str, str]  # XLSForm name -> why it is not imported
    repeats: Repeats = field(default_factory=Repeats)


def each_question(pages: list[Page]) -> Iterator[Question]:
    """Every question of `pages`, a repeat followed by its own questions."""
    for page in pages:
        for question in page.questions:
            yield question
            yield from question.questions


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


# Why a row cannot be imported: (text, the header of the column it is about).
Reason = tuple[str, str]


@dataclass
class _Skipping:
    """A block of rows left out with its begin row: a repeat that cannot be imported, one
    inside another, a loop, or (when skipping) a group whose relevant reads a question left
    out."""

    start: int  # its begin row
    depth: int  # of begin/end inside it, itself counted
    type_written: str
    what: str  # repeat, loop or group
    reasons: list[Reason]  # said at its end, with the rows left out


@dataclass
class _OpenRepeat:
    question: Question
    base: int  # the groups open outside it


class _SurveyReader:
    def __init__(self, sheet: Sheet, report: Report, translations: Translations) -> None:
        self.sheet = sheet
        self.report = report
        self.translations = translations
        self.pages: list[Page] = []
        self.imported: list[dict[str, str]] = []  # the rows that become pages and questions
        self.stack: list[Group] = []  # the groups open at this row, in a repeat or not
        self.ungrouped: Page | None = None  # the page of questions outside groups, if open
        self.repeat: _OpenRepeat | None = None  # the repeat being read, if inside one
        self.skipping: _Skipping | None = None  # the block being left out, if inside one
        self.skipped: dict[str, str] = {}
        self.repeats = Repeats()

    def read(self) -> Survey:
        for index, cells in enumerate(self.sheet.rows):
            if cells:
                self.row(index + 2, cells)
        type_header = self.sheet.header_of("type")
        open_blocks = []
        if self.skipping is not None:
            end = "end group" if self.skipping.what == "group" else "end repeat"
            open_blocks.append((self.skipping.start, self.skipping.type_written, end))
        if self.repeat is not None:
            open_blocks.append((self.repeat.question.row, "begin repeat", "end repeat"))
        for start, written, end in open_blocks:
            self.report.problem(
                f"{written!r} has no matching {end!r}", "survey", start, type_header
            )
        for group in self.stack:
            self.report.problem(
                "'begin group' has no matching 'end group'", "survey", group.row, type_header
            )
        column_warnings(self.report, self.sheet, self.imported, SURVEY_COLUMNS)
        return Survey(self.pages, self.skipped, self.repeats)

    @property
    def scope(self) -> str | None:
        """The XLSForm name of the repeat being read, if any."""
        return self.repeat.question.raw_name if self.repeat else None

    def row(self, number: int, cells: dict[str, str]) -> None:
        type_text, type_header = self.sheet.cell(cells, "type")
        name, name_header = self.sheet.cell(cells, "name")
        kind = parse_type(type_text) if type_text else None
        row = _Row(number, cells, type_text, type_header, name, name_header, kind)
        if self.skipping is not None:
            self.in_skipped(self.skipping, row)
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
        elif kind.kind == "begin" and kind.control != "group":
            self.begin_repeat(row, kind)
        elif kind.kind == "begin":
            self.begin_group(row)
        elif kind.kind == "end":
            self.end(row, kind)
        elif not name:
            self.report.problem("a question needs a name", "survey", number, name_header)
        else:
            self.question(row, name, kind)

    def skip(self, row: _Row, what: str, reasons: list[Reason], why: str) -> None:
        """Leave out the block `row` begins, with everything inside it; `why` it is left
        out, for the expressions that refer to it."""
        self.skipping = _Skipping(row.number, 1, row.type_written, what, reasons)
        if row.name:
            self.skipped.setdefault(row.name, f"row {row.number}: {why}")

    def in_skipped(self, skipping: _Skipping, row: _Row) -> None:
        """A row inside a block left out: left out with it, said once at its end."""
        kind = row.type
        if row.name and not (kind and kind.kind == "end"):
            self.skipped.setdefault(
                row.name,
                f"it is inside the {skipping.what} in row {skipping.start}, which is not imported",
            )
        if kind and kind.kind in ("begin", "end"):
            skipping.depth += 1 if kind.kind == "begin" else -1
            if not skipping.depth:
                self.skipping = None
                for text, header in skipping.reasons:
                    self.report.unsupported(
                        text, skipping.start, header, f"rows {skipping.start}-{row.number} skipped"
                    )

    def begin_group(self, row: _Row) -> None:
        left_out = self.reads_left_out(row, ("relevant",))
        if left_out is not None:
            # Leaving its questions out is safer than asking what should not be asked.
            reason, why = left_out
            if not self.stack and self.repeat is None:
                self.ungrouped = None  # the questions after it are a page of their own
            self.skip(row, "group", [reason], why)
            return
        label, headers = self.translations.texts(self.sheet, row.cells, row.number, "label")
        relevant = raw_expression(self.sheet, row.cells, "relevant")
        group = Group(row.number, row.name, label, headers, relevant, self.scope)
        if not self.stack and self.repeat is None:
            self.pages.append(Page(group))
            self.ungrouped = None
        self.stack.append(group)
        self.imported.append(row.cells)

    def end(self, row: _Row, kind: RowType) -> None:
        base = self.repeat.base if self.repeat else 0
        if kind.control == "group" and len(self.stack) > base:
            self.stack.pop()
        elif kind.control == "repeat" and self.repeat and len(self.stack) == base:
            self.end_repeat(self.repeat)
        else:
            self.report.problem(
                f"{row.type_written!r} without a matching 'begin' before it",
                "survey",
                row.number,
                row.type_header,
            )

    def begin_repeat(self, row: _Row, kind: RowType) -> None:
        """A repeat: one question, its rows up to its end its questions."""
        number, cells = row.number, row.cells
        if kind.control == "loop":
            text = (
                f"{row.type_written!r} is not supported: Pathways has no loop over a choice "
                "list (a repeat asks its questions as often as the respondent needs)"
            )
            self.skip(row, "loop", [(text, row.type_header)], "a loop is not supported")
            return
        if self.repeat is not None:
            text = (
                f"{row.type_written!r} inside the repeat in row {self.repeat.question.row} is "
                "not supported: Pathways repeats do not nest"
            )
            self.skip(row, "repeat", [(text, row.type_header)], "a repeat inside a repeat")
            return
        if not row.name:
            self.report.problem("a repeat needs a name", "survey", number, row.name_header)
            self.skip(row, "repeat", [], "")
            return
        reasons = self.reasons(row, REPEAT_EXPRESSIONS, REPEAT_TEXTS, repeat=True)
        if reasons:
            self.skip(row, "repeat", reasons, reasons[0][0])
            return
        left_out = self.reads_left_out(row, REPEAT_EXPRESSIONS)
        if left_out is not None:
            self.skip(row, "repeat", [left_out[0]], left_out[1])
            return
        texts: dict[str, dict[str, str]] = {key: {} for key in QUESTION_TEXTS}
        headers: dict[str, dict[str, str]] = {key: {} for key in QUESTION_TEXTS}
        for key in REPEAT_TEXTS:
            texts[key], headers[key] = self.translations.texts(self.sheet, cells, number, key)
        if not texts["label"]:
            made = row.name.replace("_", " ").strip().capitalize()
            self.report.warn(
                f"the repeat has no label; it is shown as {made!r}",
                "survey",
                number,
                self.sheet.header_of("label"),
            )
            default = self.translations.languages.default
            texts["label"] = {default: made}
            headers["label"] = {default: self.sheet.header_of("label")}
        repeat = Question(
            number,
            row.name,
            RowType("question", name="repeat"),
            texts,
            headers,
            False,
            raw_expression(self.sheet, cells, "relevant"),
            None,
            None,
            list(self.stack),
            self.sheet.headers_used(cells),
        )
        for column in NOT_ON_REPEAT:
            if column in QUESTION_TEXTS:  # a message, in any language
                headers_given = list(self.sheet.texts(cells, column)[1].values())
            else:
                value, header = self.sheet.cell(cells, column)
                headers_given = [] if value is None else [header]
            if headers_given:
                self.report.warn(
                    f"a repeat takes no {column} (its questions do); left out",
                    "survey",
                    number,
                    headers_given[0],
                )
        self.counts(repeat, cells)
        self.place_repeat(repeat)
        self.repeat = _OpenRepeat(repeat, len(self.stack))
        self.repeats.rows[row.name] = number
        self.imported.append(cells)

    def counts(self, repeat: Question, cells: dict[str, str]) -> None:
        """The repeat's count (jr:count), and what jr:noAddRemove says of its entries."""
        number = repeat.row
        value, header = self.sheet.cell(cells, "repeat_count")
        if value is not None:
            text = expression_text(value)
            fixed = _whole_number(text)
            if fixed is None:
                repeat.repeat_count = (text, header)
                # Worked out from the answers: let it reach the most a repeat may have.
                repeat.max_count = MAX_REPETITIONS
            elif fixed > MAX_REPETITIONS:
                self.report.warn(
                    f"repeat_count {fixed} is more than the {MAX_REPETITIONS} entries a "
                    f"Pathways repeat may have: {MAX_REPETITIONS} are asked",
                    "survey",
                    number,
                    header,
                )
                repeat.fixed_count = repeat.max_count = MAX_REPETITIONS
            else:
                repeat.fixed_count = fixed
                if fixed > DEFAULT_MAX_REPETITIONS:
                    repeat.max_count = fixed
        value, header = self.sheet.cell(cells, "no_add_remove")
        if value is None:
            return
        fixed_entries = YES_NO.get(value.strip().lower())
        if fixed_entries is None:
            self.report.warn(
                f"a conditional jr:noAddRemove ({value!r}) is not supported; left out: the "
                "respondent may add and remove entries",
                "survey",
                number,
                header,
            )
        elif fixed_entries and repeat.repeat_count is None and repeat.fixed_count is None:
            # ODK's one entry, which the respondent can neither remove nor add to.
            repeat.min_count = repeat.max_count = 1

    def place_repeat(self, repeat: Question) -> None:
        """The repeat on the page it is on, or a page of its own: outside any group, or
        when its count reads an answer of its group's page (our counts are worked out from
        the answers of earlier pages, before the page is shown)."""
        if not self.stack:
            self.pages.append(Page(None, [repeat], repeat=repeat))
            self.ungrouped = None
            return
        page = self.pages[-1]
        if repeat.repeat_count is not None:
            on_page = {q.raw_name for q in page.questions}
            read = [ref for ref in REFERENCE.findall(repeat.repeat_count[0]) if ref in on_page]
            if read:
                self.report.warn(
                    f"repeat_count reads ${{{read[0]}}}, asked on the same page: the repeat "
                    "and the rest of its group go on a page of their own, since Pathways "
                    "works out a count from the answers of earlier pages",
                    "survey",
                    repeat.row,
                    repeat.repeat_count[1],
                )
                page = Page(self.stack[0])
                self.pages.append(page)
        page.questions.append(repeat)

    def end_repeat(self, repeat: _OpenRepeat) -> None:
        self.repeat = None
        question = repeat.question
        if question.questions:
            return
        # Nothing inside it imported (said row by row), or nothing there at all.
        self.report.warn(
            "the repeat has no question left to import; left out",
            "survey",
            question.row,
            self.sheet.header_of("type"),
        )
        for page in self.pages:
            if question in page.questions:
                page.questions.remove(question)
        del self.repeats.rows[question.raw_name]
        self.skipped.setdefault(question.raw_name, f"row {question.row}: it has no question")

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
        calculate = kind.name == "calculate"
        # A constraint that reads a question left out goes, with its message (when skipping).
        dropped = None if calculate else self.reads_left_out(row, ("constraint",))
        shown = tuple(k for k in QUESTION_TEXTS if not (dropped and k == "constraint_message"))
        reasons = self.reasons(row, EXPRESSION_COLUMNS, shown)
        if reasons:
            for text, header in reasons:
                self.report.unsupported(text, number, header)
            self.skipped.setdefault(name, f"row {number}: {reasons[0][0]}")
            return
        left_out = self.reads_left_out(row, self.columns_read(kind))
        if left_out is not None:
            (text, header), why = left_out
            self.report.unsupported(text, number, header)
            self.skipped.setdefault(name, f"row {number}: {why}")
            return
        required = read_required(self.report, self.sheet, cells, number)
        if required is None:
            self.skipped.setdefault(name, f"row {number}: a conditional required")
            return
        calculation = raw_expression(self.sheet, cells, "calculation")
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
        for column in REPEAT_ONLY:
            value, header = self.sheet.cell(cells, column)
            if value is not None:
                self.report.warn(
                    f"{column} applies only to a begin repeat row; left out",
                    "survey",
                    number,
                    header,
                )
        texts: dict[str, dict[str, str]] = {}
        text_headers: dict[str, dict[str, str]] = {}
        for key in QUESTION_TEXTS:
            if calculate and key != "label":  # said by not_on_calculate
                texts[key], text_headers[key] = {}, {}
            else:
                texts[key], text_headers[key] = self.translations.texts(
                    self.sheet, cells, number, key
                )
        repeat = self.repeat
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
            list(self.stack[repeat.base :] if repeat else self.stack),
            self.sheet.headers_used(cells),
            calculation=calculation,
        )
        if calculate:
            self.not_on_calculate(cells, number)
        else:
            constraint = raw_expression(self.sheet, cells, "constraint")
            if dropped is not None:
                (text, header), _why = dropped
                message = " and its constraint_message" if texts["constraint_message"] else ""
                self.report.warn(
                    f"{text}; the constraint{message} left out, the question is kept",
                    "survey",
                    number,
                    header,
                )
                constraint = None
                texts["constraint_message"], text_headers["constraint_message"] = {}, {}
            if kind.constraint:  # implied by the type, e.g. phone number
                constraint = (
                    (kind.constraint, row.type_header)
                    if constraint is None
                    else (f"({constraint[0]}) and ({kind.constraint})", constraint[1])
                )
            question.constraint = constraint
            question.appearance = self.sheet.cell(cells, "appearance")[0]
            self.shown_question(question, cells)
        if repeat is None:
            self.page().questions.append(question)
        else:
            self.in_repeat(question, repeat.question, row)
        self.imported.append(cells)

    def in_repeat(self, question: Question, repeat: Question, row: _Row) -> None:
        """A question asked once per entry of `repeat`."""
        question.repeat = repeat.raw_name
        repeat.questions.append(question)
        self.repeats.owner[question.raw_name] = repeat.raw_name
        kind = QUESTION_TYPES.get(question.type.name or "")
        if kind is not None and kind.default_privacy == "quasi_identifier":
            question.privacy = "sensitive"
            self.report.warn(
                f"a {question.type.name} inside a repeat is imported with privacy: sensitive, "
                "not as a quasi-identifier: the anonymisation cannot count a person's several "
                "answers yet",
                "survey",
                row.number,
                row.type_header,
            )

    def reasons(
        self,
        row: _Row,
        expressions: tuple[str, ...],
        texts: tuple[str, ...],
        repeat: bool = False,
    ) -> list[Reason]:
        """Why the row cannot be imported because of what its columns say, each with its
        column; [] when it can. `expressions` and `texts` are the columns it imports."""
        cells = row.cells
        type_name = row.type.name if row.type else None
        reasons: list[Reason] = []
        for column in sorted(UNSUPPORTED_COLUMNS):
            value, header = self.sheet.cell(cells, column)
            if value is not None:
                reasons.append((f"a {header} ({value!r}) is not supported", header))
        value, header = self.sheet.cell(cells, "calculation")
        if value is not None and not repeat and type_name != "calculate":
            reasons.append(
                (
                    f"a calculation on a {row.type_written!r} question (it would set the "
                    "answer) is not supported; only a calculate row may have one",
                    header,
                )
            )
        value, header = self.sheet.cell(cells, "read_only")
        if value is not None and not repeat and value.strip().lower() not in YES_NO:
            reasons.append((f"a conditional read_only ({value!r}) is not supported", header))
        for column in expressions:
            value, header = self.sheet.cell(cells, column)
            if value is None:
                continue
            text = expression_text(value)
            if column != "default" or default_is_dynamic(value, type_name):
                missing = missing_functions(text)
                if missing:
                    calls = ", ".join(f"{function}()" for function in missing)
                    why = f": they {REPEAT_WHY}" if set(missing) & REPEAT_FUNCTIONS else ""
                    reasons.append(
                        (
                            f"{column} calls {calls}, which Pathways expressions do not have{why}",
                            header,
                        )
                    )
                    continue
            for ref in REFERENCE.findall(text):
                unreadable = self.repeats.unreadable(ref, self.scope)
                if unreadable:
                    reasons.append((f"{column} refers to ${{{ref}}}, {unreadable}", header))
                    break
        for key in texts:
            given, headers = self.sheet.texts(cells, key)
            piped = [(ref, code) for code, text in given.items() for ref in REFERENCE.findall(text)]
            for ref, code in piped:
                if ref in self.skipped:
                    why = f"which is not imported ({self.skipped[ref]})"
                else:
                    why = self.repeats.unreadable(ref, self.scope) or ""
                if why:
                    reasons.append((f"the {key} shows ${{{ref}}}, {why}", headers[code]))
                    break
            else:
                continue
            break
        return reasons

    def columns_read(self, kind: RowType) -> tuple[str, ...]:
        """The expression columns a question of this type imports, but its constraint
        (what else it says is left out with a warning, or makes the row unsupported)."""
        if kind.name == "calculate":
            return ("relevant", "calculation")
        columns = ["relevant"]
        if kind.name in SELECT_TYPES:
            columns.append("choice_filter")
        if kind.name not in ("note", "consent"):
            columns.append("default")
        return tuple(columns)

    def reads_left_out(self, row: _Row, columns: tuple[str, ...]) -> tuple[Reason, str] | None:
        """When skipping: the first of `columns` of the row that reads a question left out,
        as (the reason to say, with its column; why the row is left out, in short, for what
        reads it in turn); None when none does, or when not skipping (what reads a question
        left out is then the problem `references` says)."""
        if not self.report.skip:
            return None
        type_name = row.type.name if row.type else None
        for column in columns:
            value, header = self.sheet.cell(row.cells, column)
            if value is None:
                continue
            if column == "default" and not default_is_dynamic(value, type_name):
                continue  # a value, not an expression: it reads nothing
            for ref in REFERENCE.findall(expression_text(value)):
                why = self.skipped.get(ref)
                if why:
                    reads = f"{column} reads ${{{ref}}}, which is not imported"
                    return (f"{reads} ({why})", header), f"its {reads}"
        return None

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


def _whole_number(text: str) -> int | None:
    """A repeat_count that is a number of entries (`3`, `3.0`), else None (an expression)."""
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 0 else None
