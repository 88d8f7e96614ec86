"""The references between questions: every ${name} in a `relevant` or a `constraint` must
be a question with an answer, and `relevant` may only look back."""

from __future__ import annotations

from collections.abc import Sequence

from ...vocabulary import OTHER_SUFFIX
from ..expressions import parse
from ..question_types import QUESTION_TYPES
from .context import Context
from .questions import CheckedQuestion


def check_references(context: Context, checked: Sequence[CheckedQuestion]) -> None:
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
    for position, c in enumerate(checked):
        q = c.question
        place = f"question {q['name']!r}"
        for key, may_look_ahead in (("relevant", False), ("constraint", True)):
            source = q["relevant"] if key == "relevant" else q["constraint"]
            if source is None:
                continue
            line = c.expression_lines.get(key)
            expression = parse(source)
            if key == "relevant" and expression.uses_current:
                context.problem(
                    place,
                    "relevant cannot use '.': it is for constraints; "
                    "refer to a question with ${name}",
                    line,
                )
            for ref in expression.references:
                base = ref[: -len(OTHER_SUFFIX)] if ref.endswith(OTHER_SUFFIX) else ref
                if ref not in answerable:
                    what = "a note, which has no answer" if ref in notes else "no question"
                    context.problem(place, f"{key} refers to ${{{ref}}}, {what}", line)
                elif not may_look_ahead and order.get(base, -1) >= position:
                    context.problem(
                        place,
                        f"relevant refers to ${{{ref}}}, which is asked "
                        "later (or is this question)",
                        line,
                    )
