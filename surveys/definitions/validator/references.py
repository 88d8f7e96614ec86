"""The references between questions: every ${name} in an expression or a text must be a
question with an answer; what is evaluated before the respondent answers (relevance,
calculations, defaults, choice filters) may only look back; a choice filter's bare names
are columns of its list; a calculation's privacy follows what it reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...vocabulary import OTHER_SUFFIX
from ..evaluation import PIPED
from ..expressions import parse
from ..question_types import QUESTION_TYPES
from .choices import NormalisedChoice
from .context import Context
from .questions import CheckedQuestion, NormalisedPage

# Evaluated from the answers before the question: a reference ahead would read nothing.
LOOKS_BACK = ("relevant", "calculation", "default", "choice_filter")
# Texts an answer may be piped into.
TEXT_KEYS = ("label", "hint", "constraint_message", "required_message")
# From the class an export drops first to the one it keeps as is.
STRICTEST_FIRST = ("identifier", "free_text", "quasi_identifier", "sensitive", "none")


def check_references(
    context: Context,
    checked: Sequence[CheckedQuestion],
    lists: Mapping[str, list[NormalisedChoice]],
    pages: Sequence[NormalisedPage] = (),
) -> None:
    """Checked once every question is known; the expressions themselves already parse."""
    questions = [c.question for c in checked]
    order = {q["name"]: i for i, q in enumerate(questions) if q["name"]}
    notes = {
        q["name"]
        for q in questions
        if q["type"] in QUESTION_TYPES and QUESTION_TYPES[q["type"]].is_note
    }
    # Questions of an unknown type count as answerable: their own problem is reported.
    answerable = {q["name"] for q in questions if q["name"]} - notes
    answerable |= {q["name"] + OTHER_SUFFIX for q in questions if q["other"] and q["name"]}
    by_name = {q["name"]: q for q in questions if q["name"]}

    def refers(place: str, key: str, ref: str, line: int | None, position: int | None) -> None:
        base = ref[: -len(OTHER_SUFFIX)] if ref.endswith(OTHER_SUFFIX) else ref
        if ref not in answerable:
            what = "a note, which has no answer" if ref in notes else "no question"
            context.problem(place, f"{key} refers to ${{{ref}}}, {what}", line)
        elif position is not None and order.get(base, -1) >= position:
            context.problem(
                place,
                f"{key} refers to ${{{ref}}}, which is asked later (or is this question)",
                line,
            )

    for position, c in enumerate(checked):
        q = c.question
        place = f"question {q['name']!r}"
        stored: Mapping[str, object] = q
        for key in (*LOOKS_BACK, "constraint"):
            source = stored.get(key)
            if not isinstance(source, str) or (
                key == "default" and not q.get("default_is_expression")
            ):
                continue
            line = c.expression_lines.get(key)
            expression = parse(source)
            if key != "constraint" and expression.uses_current:
                context.problem(
                    place,
                    f"{key} cannot use '.': it is for constraints; "
                    "refer to a question with ${name}",
                    line,
                )
            for ref in expression.references:
                refers(place, key, ref, line, position if key in LOOKS_BACK else None)
            if key == "choice_filter":
                _filter_columns(
                    context, place, line, expression.columns, lists.get(q["list"] or "")
                )
        for key in TEXT_KEYS:
            texts = stored.get(key)
            for text in texts.values() if isinstance(texts, dict) else ():
                for ref in PIPED.findall(str(text)):
                    refers(place, f"{key} (piped)", ref, c.expression_lines.get(key), position)
        if q["type"] == "calculate" and not c.privacy_given and q.get("calculation"):
            q["privacy"] = _derived_privacy(q.get("calculation", ""), by_name)
    first = 0
    for page in pages:
        # A page's title is shown before its first question is answered.
        for text in page["title"].values():
            for ref in PIPED.findall(text):
                refers(f"page {page['name']!r}", "title (piped)", ref, None, first)
        first += len(page["questions"])
    for list_name, choices in lists.items():
        for choice in choices:
            for text in choice["label"].values():
                for ref in PIPED.findall(text):
                    if ref not in answerable:
                        context.problem(
                            f"choice list {list_name!r}, choice {choice['code']!r}",
                            f"label refers to ${{{ref}}}, which is no question with an answer",
                            None,
                        )


def _filter_columns(
    context: Context,
    place: str,
    line: int | None,
    columns: Sequence[str],
    choices: list[NormalisedChoice] | None,
) -> None:
    """Each bare name of a choice filter is `name` (the code) or a column of its choices."""
    known = {"name"} | {column for c in choices or () for column in c.get("filter", {})}
    for column in columns:
        if column not in known:
            context.problem(
                place,
                f"choice_filter reads {column!r}, which no choice of the list has "
                f"(give choices filter: {{{column}: …}}, or refer to a question as ${{{column}}})",
                line,
            )


def _derived_privacy(calculation: str, by_name: Mapping[str, Mapping[str, object]]) -> str:
    """The strictest privacy class among the answers a calculation reads: a value worked
    out from an identifier identifies as well. One that reads nothing but the date is a
    quasi-identifier (when the answer was given); a constant is nothing."""
    expression = parse(calculation)
    classes = {
        str(by_name[ref.removesuffix(OTHER_SUFFIX)].get("privacy", "none"))
        for ref in expression.references
        if ref.removesuffix(OTHER_SUFFIX) in by_name
    }
    if any(ref.endswith(OTHER_SUFFIX) for ref in expression.references):
        classes.add("free_text")
    if "today(" in calculation:
        classes.add("quasi_identifier")
    return next((c for c in STRICTEST_FIRST if c in classes), "none")
