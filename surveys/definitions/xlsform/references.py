"""Questions renamed to our names, and the expressions and texts that refer to them
rewritten to match: a reference to a question that is not imported is a problem saying why
it is not, and an expression outside our subset is a problem naming its cell. A choice
filter's bare names are the columns of the choices sheet, renamed as its columns are. A
group's relevant or title that reads a question of a repeat it is not in is a problem (a
question row that does is left out before: `questions`).

When skipping, a row whose expression reads a question left out is itself left out before
it gets here (`questions`); what is left is a page title or a choice label showing the
answer to a question left out, which cannot be left out like a row: it is shown without
that answer (as ODK shows an answer never given), with a warning."""

from __future__ import annotations

import re
from collections.abc import Callable

from ...vocabulary import OTHER_SUFFIX
from ..expressions import ExpressionError, parse
from .choices import ListColumns
from .messages import Report
from .names import REFERENCE, our_name
from .questions import Group, Page, Question, Repeats, Source
from .xpath import bare_names, rename_bare_names, without_comparisons_to


def rename_questions(pages: list[Page], report: Report) -> dict[str, str]:
    """XLSForm name -> ours, for the imported questions (a repeat's own too); clashes are
    problems, and the second question of a clash is left out."""
    renamed: dict[str, str] = {}
    owner: dict[str, Question] = {}

    def keep(questions: list[Question]) -> list[Question]:
        kept = []
        for question in questions:
            ours = our_name(question.raw_name)
            if ours in owner:
                first = owner[ours]
                if first.raw_name == question.raw_name:
                    text = f"duplicate name {question.raw_name!r} (first in row {first.row})"
                else:
                    text = (
                        f"name {question.raw_name!r} becomes {ours!r}, like "
                        f"{first.raw_name!r} in row {first.row}"
                    )
                report.problem(text, "survey", question.row, question.headers["name"])
                continue
            if ours != question.raw_name:
                report.warn(
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
            question.questions = keep(question.questions)
            kept.append(question)
        return kept

    for page in pages:
        page.questions = keep(page.questions)
    return renamed


class Expressions:
    """Expressions and texts of the survey in our names."""

    def __init__(
        self,
        renamed: dict[str, str],
        skipped: dict[str, str],
        report: Report,
        columns: dict[str, ListColumns] | None = None,
        repeats: Repeats | None = None,
    ) -> None:
        self.renamed = renamed
        self.skipped = skipped
        self.report = report
        self.columns = columns or {}  # XLSForm list name -> the columns of its choices
        self.repeats = repeats or Repeats()
        self.groups: dict[int, str | None] = {}  # group row -> its relevant, rewritten once
        # (sheet, row, reference) said already: the validator need not say it again.
        self.said: set[tuple[str, int, str]] = set()
        # Rows whose calculation is a problem said already (and so is not written).
        self.calculations_refused: set[int] = set()

    def group_relevant(self, group: Group) -> str | None:
        if group.row not in self.groups:
            self.groups[group.row] = self.rewrite(
                group.relevant, "relevant", group.row, group=group
            )
        return self.groups[group.row]

    def rewrite(
        self,
        source: Source | None,
        key: str,
        row: int,
        list_name: str | None = None,
        group: Group | None = None,
    ) -> str | None:
        """The expression with our names, or None (and a problem) when it is not ours; a
        `choice_filter` reads the columns of `list_name`. A `group`'s expression may not
        read a question of a repeat the group is not in (a question row that does is left
        out before it gets here)."""
        if source is None:
            return None
        text, header = source
        bad = False

        def problem(message: str) -> None:
            nonlocal bad
            self.report.problem(message, "survey", row, header)
            bad = True

        rewritten = REFERENCE.sub(self._renamer(key, "survey", row, problem, group), text)
        if key == "choice_filter" and not bad:
            rewritten = self._columns(
                rewritten,
                text,
                list_name or "",
                problem,
                lambda message: self.report.warn(message, "survey", row, header),
            )
        try:
            parse(rewritten)
        except ExpressionError as error:
            self.report.problem(f"{key} {text!r}: {error}", "survey", row, header)
            bad = True
        if bad and key == "calculation":
            self.calculations_refused.add(row)
        return None if bad else rewritten

    def texts(
        self,
        texts: dict[str, str],
        headers: dict[str, str],
        key: str,
        sheet: str,
        row: int,
        group: Group | None = None,
    ) -> dict[str, str]:
        """Texts with the answers they show (${name}) in our names. A reference to a
        question left out is a problem here, or when skipping is left out of the text with a
        warning (a text left empty by it is ""); one to no question at all, the validator's.
        A `group`'s title, as its relevant (`rewrite`)."""
        return {
            code: self._text(text, key, sheet, row, headers[code], group)
            for code, text in texts.items()
        }

    def _text(
        self, text: str, key: str, sheet: str, row: int, header: str, group: Group | None
    ) -> str:
        """One text of `texts`, in the column `header`."""
        dropped: list[str] = []

        def problem(message: str) -> None:
            self.report.problem(message, sheet, row, header)

        def left_out(ref: str, why: str) -> None:
            self.report.warn(
                f"the {key} shows ${{{ref}}}, which is not imported ({why}); shown without it",
                sheet,
                row,
                header,
            )
            dropped.append(ref)

        renamer = self._renamer(
            key, sheet, row, problem, group, left_out if self.report.skip else None
        )
        rewritten = REFERENCE.sub(renamer, text)
        if dropped:  # the spaces around what it showed, once
            rewritten = re.sub(r"[ \t]{2,}", " ", rewritten).strip()
        return rewritten

    def _renamer(
        self,
        key: str,
        sheet: str,
        row: int,
        problem: Callable[[str], None],
        group: Group | None = None,
        left_out: Callable[[str, str], None] | None = None,
    ) -> Callable[[re.Match[str]], str]:
        """A reference in our names; one to a question left out is a `problem`, or with
        `left_out` (a text, when skipping) said there and taken out of the text."""

        def rename(match: re.Match[str]) -> str:
            ref = match.group(1)
            unreadable = group and self.repeats.unreadable(ref, group.repeat)
            if unreadable:
                problem(f"{key} refers to ${{{ref}}}, {unreadable}")
                self.said.add((sheet, row, ref))
                return match.group(0)
            if ref in self.renamed:
                return f"${{{self.renamed[ref]}}}"
            why = self.skipped.get(ref)
            if why and left_out is not None:
                left_out(ref, why)
                return ""
            if why:
                problem(f"{key} refers to ${{{ref}}}, which is not imported ({why})")
                self.said.add((sheet, row, ref))
            elif key not in TEXT_KEYS:
                problem(f"{key} refers to ${{{ref}}}, no question")
            return match.group(0)

        return rename

    def _columns(
        self,
        rewritten: str,
        text: str,
        list_name: str,
        problem: Callable[[str], None],
        warn: Callable[[str], None],
    ) -> str:
        """A choice filter's bare names as the columns of its list are named in our YAML;
        when the list kept duplicated choices once, each copy of their columns is tried."""
        columns = self.columns.get(list_name, ListColumns())
        missing = [n for n in bare_names(rewritten) if n != "name" and n not in columns.names]
        if missing:
            have = ", ".join(sorted(set(columns.names.values()))) or "none"
            hint = (
                f"choice_filter {text!r} reads {missing[0]!r}, which is no column of the "
                f"choices of list {list_name!r} (its columns: {have}); to compare with the "
                f"text, write it in quotes: '{missing[0]}'"
            )
            # ODK compares nothing with a column that does not exist: the comparison is
            # false. Kept so (the form means the same here), and said.
            faithful = without_comparisons_to(rewritten, set(missing))
            if faithful is None:
                problem(hint)
                return rewritten
            warn(f"{hint}; as in ODK, each comparison with it is false")
            rewritten = faithful
        first = rename_bare_names(rewritten, columns.names)
        if not columns.copies:
            return first
        tries = [first, *(rename_bare_names(first, copy) for copy in columns.copies)]
        return " or ".join(f"({each})" for each in tries)


# The texts a question shows: a reference in one to no question is the validator's to say.
TEXT_KEYS = {"label", "hint", "constraint_message", "required_message"}
