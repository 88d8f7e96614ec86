"""Questions renamed to our names, and the expressions that refer to them rewritten to
match: a reference to a question that is not imported is a problem saying why it is not,
and an expression outside our subset is a problem naming its cell."""

from __future__ import annotations

import re

from ...vocabulary import OTHER_SUFFIX
from ..expressions import ExpressionError, parse
from .messages import Report
from .names import REFERENCE, our_name
from .questions import Group, Page, Question, Source


def rename_questions(pages: list[Page], report: Report) -> dict[str, str]:
    """XLSForm name -> ours, for the imported questions; clashes are problems, and the
    second question of a clash is left out."""
    renamed: dict[str, str] = {}
    owner: dict[str, Question] = {}
    for page in pages:
        kept = []
        for question in page.questions:
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
            kept.append(question)
        page.questions = kept
    return renamed


class Expressions:
    """Expressions of the survey sheet in our names."""

    def __init__(self, renamed: dict[str, str], skipped: dict[str, str], report: Report) -> None:
        self.renamed = renamed
        self.skipped = skipped
        self.report = report
        self.groups: dict[int, str | None] = {}  # group row -> its relevant, rewritten once

    def group_relevant(self, group: Group) -> str | None:
        if group.row not in self.groups:
            self.groups[group.row] = self.rewrite(group.relevant, "relevant", group.row)
        return self.groups[group.row]

    def rewrite(self, source: Source | None, key: str, row: int) -> str | None:
        """The expression with our names, or None (and a problem) when it is not ours."""
        if source is None:
            return None
        text, header = source
        bad = False

        def rename(match: re.Match[str]) -> str:
            nonlocal bad
            ref = match.group(1)
            if ref in self.renamed:
                return f"${{{self.renamed[ref]}}}"
            why = self.skipped.get(ref)
            if why:
                self.report.problem(
                    f"{key} refers to ${{{ref}}}, which is not imported ({why})",
                    "survey",
                    row,
                    header,
                )
            else:
                self.report.problem(
                    f"{key} refers to ${{{ref}}}, no question", "survey", row, header
                )
            bad = True
            return match.group(0)

        rewritten = REFERENCE.sub(rename, text)
        try:
            parse(rewritten)
        except ExpressionError as error:
            self.report.problem(f"{key} {text!r}: {error}", "survey", row, header)
            return None
        return None if bad else rewritten
