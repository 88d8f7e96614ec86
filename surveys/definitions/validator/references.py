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
LOOKS_BACK = ("relevant", "calculation", "default", "choice_filter", "repeat_count")
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
    repeats = {q["name"] for q in questions if q["type"] == "repeat"}
    # A question inside a repeat has one answer per repetition: only its own repetition
    # (a question of the same repeat) can read it.
    repeat_of = {c.question["name"]: c.repeat for c in checked if c.repeat}
    answerable = {q["name"] for q in questions if q["name"]} - notes - repeats
    answerable |= {q["name"] + OTHER_SUFFIX for q in questions if q["other"] and q["name"]}
    by_name = {q["name"]: q for q in questions if q["name"]}

    def refers(
        place: str,
        key: str,
        ref: str,
        line: int | None,
        position: int | None,
        scope: str | None = None,
    ) -> None:
        base = ref[: -len(OTHER_SUFFIX)] if ref.endswith(OTHER_SUFFIX) else ref
        if ref not in answerable:
            what = (
                "a note, which has no answer"
                if ref in notes
                else "a repeat, which has no single answer"
                if ref in repeats
                else "no question"
            )
            context.problem(place, f"{key} refers to ${{{ref}}}, {what}", line)
        elif repeat_of.get(base) not in (None, scope):
            context.problem(
                place,
                f"{key} refers to ${{{ref}}}, which is asked in repeat "
                f"{repeat_of[base]!r}: only that repeat's questions can read it",
                line,
            )
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
                refers(place, key, ref, line, position if key in LOOKS_BACK else None, c.repeat)
            if key == "choice_filter":
                _filter_columns(
                    context, place, line, expression.columns, lists.get(q["list"] or "")
                )
        for key in TEXT_KEYS:
            texts = stored.get(key)
            for text in texts.values() if isinstance(texts, dict) else ():
                for ref in PIPED.findall(str(text)):
                    refers(
                        place,
                        f"{key} (piped)",
                        ref,
                        c.expression_lines.get(key),
                        position,
                        c.repeat,
                    )
        if q["type"] == "calculate" and q.get("calculation"):
            _calculation_privacy(context, c, by_name)
    first = 0
    for page in pages:
        # A page's title is shown before its first question is answered.
        for text in page["title"].values():
            for ref in PIPED.findall(text):
                refers(f"page {page['name']!r}", "title (piped)", ref, None, first)
        first += sum(1 + len(q.get("questions", [])) for q in page["questions"])
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


def _calculation_privacy(
    context: Context, checked: CheckedQuestion, by_name: Mapping[str, Mapping[str, object]]
) -> None:
    """A calculation leaves an export no more freely than what it reads: its class is the
    strictest of theirs, as the exports treat them, and it is never exported when one of
    them is not. A `privacy:` laxer than that is a problem, not a choice."""
    q = checked.question
    derived, never = _derived_privacy(q.get("calculation", ""), by_name)
    if checked.repeat is not None and derived == "quasi_identifier":
        # The anonymisation cannot yet count a person's several entries as a
        # quasi-identifier: what would be one is left out of anonymised exports instead.
        derived = "free_text"
    if (
        checked.repeat is not None
        and q["privacy"] == "quasi_identifier"
        and (checked.privacy_given)
    ):
        context.problem(
            f"question {q['name']!r}",
            "a quasi-identifier inside a repeat cannot be anonymised yet; give it "
            "privacy: free_text (left out of anonymised exports)",
            checked.expression_lines.get("calculation"),
        )
    if never:
        q["export"] = "never"
    if not checked.privacy_given:
        q["privacy"] = derived
    elif STRICTEST_FIRST.index(q["privacy"]) > STRICTEST_FIRST.index(derived) and not (
        # Generalised and suppressed until k people share each value: as safe as the
        # anonymisation, for anything but a direct identifier.
        q["privacy"] == "quasi_identifier" and derived != "identifier"
    ):
        context.problem(
            f"question {q['name']!r}",
            f"privacy {q['privacy']} is laxer than what the calculation reads ({derived}): "
            "a value worked out from an answer is as revealing as the answer",
            checked.expression_lines.get("calculation"),
        )


def _exported_class(question: Mapping[str, object]) -> str:
    """A question's privacy class as the exports treat it: typed text is free text
    whatever the definition says, and a number leaves only in bins (without them, not
    at all: as strict as free text)."""
    kind, privacy = question.get("type"), str(question.get("privacy", "none"))
    if kind in ("text", "long_text"):
        return "free_text" if privacy != "identifier" else privacy
    if kind in ("integer", "decimal"):
        if not question.get("bins"):
            return "free_text" if privacy != "identifier" else privacy
        return "quasi_identifier" if privacy == "none" else privacy
    return privacy


def _derived_privacy(
    calculation: str, by_name: Mapping[str, Mapping[str, object]]
) -> tuple[str, bool]:
    """The strictest privacy class among the answers a calculation reads: a value worked
    out from an identifier identifies as well. One that reads nothing but the date is a
    quasi-identifier (when the answer was given); a constant is nothing."""
    expression = parse(calculation)
    read = [
        by_name[ref.removesuffix(OTHER_SUFFIX)]
        for ref in expression.references
        if ref.removesuffix(OTHER_SUFFIX) in by_name
    ]
    classes = {_exported_class(question) for question in read}
    never = any(question.get("export") == "never" for question in read)
    if any(ref.endswith(OTHER_SUFFIX) for ref in expression.references):
        classes.add("free_text")
    if "today(" in calculation:
        classes.add("quasi_identifier")
    return next((c for c in STRICTEST_FIRST if c in classes), "none"), never
