"""`pages:`: the pages of a survey and the questions on each, checked against the
question types and the choice lists."""

from __future__ import annotations

import difflib
import keyword
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import NotRequired, TypedDict

from ...vocabulary import OTHER_CODE, OTHER_SUFFIX
from ..problems import yaml_line
from ..question_types import NUMBER_TYPES, PRIVACY_CLASSES, QUESTION_TYPES
from .choices import NormalisedChoice
from .context import Context, Node
from .names import QUESTION_NAME, RESERVED_NAMES

PAGE_KEYS = {"name", "title", "questions"}
QUESTION_KEYS = {
    "appearance",
    "export",
    "name",
    "type",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "other",
    "privacy",
    "bins",
    "calculation",
    "default",
    "read_only",
    "choice_filter",
    "required_message",
    "questions",
    "repeat_count",
    "min_count",
    "max_count",
}
APPEARANCES = ("dropdown",)
# A select_one with more choices than this is shown as a drop-down list, not radio buttons.
DROPDOWN_AFTER = 15
# The keys whose YAML line the references check names (the texts, for answers piped in).
EXPRESSION_KEYS = (
    "relevant",
    "constraint",
    "calculation",
    "default",
    "choice_filter",
    "repeat_count",
    "label",
    "hint",
    "constraint_message",
    "required_message",
)

ChoiceLists = Mapping[str, list[NormalisedChoice]]


class NormalisedQuestion(TypedDict):
    # The lower edges of the bins a number is exported in; only on questions that have them.
    bins: NotRequired[list[float]]
    # None only in a definition with problems, which is never returned.
    name: str | None
    type: str | None
    list: str | None
    label: dict[str, str]
    hint: dict[str, str]
    required: bool
    relevant: str | None
    constraint: str | None
    constraint_message: dict[str, str]
    other: bool
    privacy: str
    appearance: str | None
    export: str | None
    # Only on questions that use them, so that older definitions keep their content hash.
    calculation: NotRequired[str]
    default: NotRequired[str]
    default_is_expression: NotRequired[bool]
    read_only: NotRequired[bool]
    choice_filter: NotRequired[str]
    required_message: NotRequired[dict[str, str]]
    # A repeat's questions and counts.
    questions: NotRequired[list[NormalisedQuestion]]
    repeat_count: NotRequired[str]
    min_count: NotRequired[int]
    max_count: NotRequired[int]


class NormalisedPage(TypedDict):
    name: str
    title: dict[str, str]
    questions: list[NormalisedQuestion]


@dataclass(frozen=True)
class CheckedQuestion:
    """A question as it will be stored, with the YAML lines of its expressions (for the
    checks that need every question first)."""

    question: NormalisedQuestion
    expression_lines: Mapping[str, int | None]
    # Whether the author gave `privacy:` (a calculation without one takes the strictest
    # class of what it reads).
    privacy_given: bool = False
    # The repeat the question is asked in, if any; and a repeat's own questions.
    repeat: str | None = None
    inner: tuple[CheckedQuestion, ...] = ()


@dataclass(frozen=True)
class CheckedPages:
    pages: list[NormalisedPage]
    # Every question of every page, in the order a respondent meets them.
    questions: list[CheckedQuestion]


def check_pages(context: Context, pages: object, parent: Node, lists: ChoiceLists) -> CheckedPages:
    """The pages with their questions; a page or question with problems is still checked
    as far as it can be, so that every problem is reported."""
    if not isinstance(pages, list) or not pages:
        context.problem("survey", "pages must be a non-empty list", yaml_line(parent, "pages"))
        return CheckedPages([], [])
    normalised: list[NormalisedPage] = []
    every_question: list[CheckedQuestion] = []
    page_names: set[str] = set()
    question_names: set[str] = set()
    for index, page in enumerate(pages, start=1):
        if not isinstance(page, dict):
            context.problem(
                f"page {index}", "a page needs a title and questions", yaml_line(pages, index - 1)
            )
            continue
        name = page.get("name", f"page_{index}")
        place = f"page {name!r}"
        context.keys(page, PAGE_KEYS, place)
        if not isinstance(name, str) or not QUESTION_NAME.match(name):
            context.problem(
                place,
                "a page name must be lower-case letters, digits and '_'",
                yaml_line(page, "name"),
            )
        elif name in page_names:
            context.problem(place, f"duplicate page name {name!r}", yaml_line(page, "name"))
        page_names.add(str(name))
        questions = page.get("questions")
        if not isinstance(questions, list) or not questions:
            context.problem(place, "questions must be a non-empty list", yaml_line(page))
            questions = []
        checked = [
            q
            for q in (
                _question(context, q, i, place, lists, question_names, questions)
                for i, q in enumerate(questions)
            )
            if q is not None
        ]
        for c in checked:
            every_question.extend((c, *c.inner))
        normalised.append(
            {
                "name": str(name),
                "title": context.text(page, "title", place, required=True),
                "questions": [q.question for q in checked],
            }
        )
    return CheckedPages(normalised, every_question)


def _question(
    context: Context,
    node: object,
    index: int,
    page_place: str,
    lists: ChoiceLists,
    names: set[str],
    siblings: list[object],
    repeat: str | None = None,
) -> CheckedQuestion | None:
    if not isinstance(node, dict):
        context.problem(
            page_place, f"question {index + 1} must be a mapping", yaml_line(siblings, index)
        )
        return None
    given_name = node.get("name")
    place = (
        f"question {given_name!r}"
        if isinstance(given_name, str)
        else f"{page_place}, question {index + 1}"
    )
    context.keys(node, QUESTION_KEYS, place)
    name = _name(context, node, place, names)

    type_text = node.get("type")
    type_name, list_name = split_type(type_text)
    qtype = QUESTION_TYPES.get(type_name or "")
    if isinstance(type_text, str) and len(type_text.split()) > 2:
        context.problem(
            place,
            f"type {type_text!r} has more than a type and a list name",
            yaml_line(node, "type"),
        )
    if qtype is None:
        hint = difflib.get_close_matches(str(type_name), QUESTION_TYPES, n=1)
        known = (
            f"did you mean {hint[0]!r}?" if hint else f"known types: {', '.join(QUESTION_TYPES)}"
        )
        context.problem(place, f"unknown type {type_text!r}; {known}", yaml_line(node, "type"))
    elif qtype.takes_choice_list and not list_name:
        context.problem(
            place,
            f"{type_name} needs a choice list: '{type_name} LIST_NAME'",
            yaml_line(node, "type"),
        )
    elif qtype.takes_choice_list and list_name not in lists:
        context.problem(place, f"unknown choice list {list_name!r}", yaml_line(node, "type"))
    elif not qtype.takes_choice_list and list_name:
        context.problem(place, f"{type_name} does not take a choice list", yaml_line(node, "type"))
    choices = lists.get(list_name) if list_name is not None else None

    required = context.flag(node, "required", place)
    other = context.flag(node, "other", place)
    if other and not (qtype and qtype.takes_choice_list):
        context.problem(
            place,
            "other only applies to select_one and select_multiple",
            yaml_line(node, "other"),
        )
        other = False
    if other and choices is not None and any(c["code"] == OTHER_CODE for c in choices):
        context.problem(
            place,
            f"other: true adds the code {OTHER_CODE!r}, which list {list_name!r} already has",
            yaml_line(node, "other"),
        )
    if other and name:
        if name + OTHER_SUFFIX in names:
            context.problem(
                place,
                f"duplicate question name {name + OTHER_SUFFIX!r} (the 'other' answer)",
                yaml_line(node, "other"),
            )
        names.add(name + OTHER_SUFFIX)

    is_note = qtype is not None and qtype.is_note
    is_repeat = qtype is not None and qtype.is_repeat
    if is_repeat and repeat is not None:
        context.problem(place, "a repeat cannot be inside another repeat", yaml_line(node, "type"))
    if repeat is not None and node.get("privacy", qtype.default_privacy if qtype else None) == (
        "quasi_identifier"
    ):
        context.problem(
            place,
            "a quasi-identifier inside a repeat cannot be anonymised yet (the exports do not "
            "know how to count a person's several answers); give it privacy: sensitive or "
            "none, or ask it outside the repeat",
            yaml_line(node, "privacy") if "privacy" in node else yaml_line(node),
        )
    is_calculated = qtype is not None and qtype.is_calculated
    if is_calculated:
        _not_on_calculate(context, node, place)
    if is_note and required:
        context.problem(
            place, "a note has no answer, so it cannot be required", yaml_line(node, "required")
        )
    privacy = node.get("privacy", qtype.default_privacy if qtype else "none")
    if privacy not in PRIVACY_CLASSES:
        context.problem(
            place,
            f"privacy must be one of {', '.join(PRIVACY_CLASSES)}",
            yaml_line(node, "privacy"),
        )

    constraint = context.expression(
        node.get("constraint"), place, yaml_line(node, "constraint"), "constraint"
    )
    if "constraint_message" in node and "constraint" not in node:
        context.problem(
            place,
            "constraint_message without a constraint",
            yaml_line(node, "constraint_message"),
        )
    if is_note and "constraint" in node:
        context.problem(
            place,
            "a note has no answer, so it cannot have a constraint",
            yaml_line(node, "constraint"),
        )
    relevant = context.expression(
        node.get("relevant"), place, yaml_line(node, "relevant"), "relevant"
    )
    appearance = _appearance(context, node, type_name, choices, place)
    export = node.get("export")
    if export not in (None, "never"):
        context.problem(
            place,
            "export: never is the only choice (the answer is never "
            "exported, whatever the export options)",
            yaml_line(node, "export"),
        )
    bins = _bins(context, node, type_name, place)
    calculation = context.expression(
        node.get("calculation"), place, yaml_line(node, "calculation"), "calculation"
    )
    if is_calculated and "calculation" not in node:
        context.problem(place, "a calculate question needs a calculation", yaml_line(node))
    elif "calculation" in node and not is_calculated:
        context.problem(
            place, "calculation only applies to type calculate", yaml_line(node, "calculation")
        )
    read_only = context.flag(node, "read_only", place)
    if read_only and ("default" not in node or other):
        context.problem(
            place,
            "a read-only question shows its default: it needs one, and no 'other' box",
            yaml_line(node, "read_only"),
        )
    if read_only and (required or is_note or is_calculated):
        context.problem(
            place,
            "a read-only question cannot be required (the respondent cannot answer it), "
            "and notes and calculations are never answered on a page",
            yaml_line(node, "read_only"),
        )
    default = _default(context, node, qtype.name if qtype else None, choices, place)
    choice_filter = _choice_filter(
        context, node, qtype is not None and qtype.takes_choice_list, place
    )
    question: NormalisedQuestion = {
        "name": name,
        "type": type_name,
        "list": list_name,
        "label": context.text(node, "label", place, required=not is_calculated),
        "hint": context.text(node, "hint", place, required=False),
        "required": required,
        "relevant": relevant,
        "constraint": constraint,
        "constraint_message": context.text(node, "constraint_message", place, required=False),
        "other": other,
        # As given: a privacy or export that is not one of these was reported above, and a
        # definition with problems is never returned.
        "privacy": str(privacy),
        "appearance": appearance,
        "export": None if export is None else str(export),
    }
    if bins is not None:
        question = {"bins": bins, **question}
    if calculation is not None:
        question["calculation"] = calculation
    if default is not None:
        question["default"], question["default_is_expression"] = default
    if read_only:
        question["read_only"] = True
    if choice_filter is not None:
        question["choice_filter"] = choice_filter
    if "required_message" in node:
        if not required:
            context.problem(
                place,
                "required_message without required: true",
                yaml_line(node, "required_message"),
            )
        question["required_message"] = context.text(node, "required_message", place, required=False)
    lines = {key: yaml_line(node, key) for key in EXPRESSION_KEYS if key in node}
    inner: tuple[CheckedQuestion, ...] = ()
    if is_repeat:
        inner = _repeat(context, node, question, place, lists, names)
    elif any(key in node for key in REPEAT_KEYS):
        key = next(key for key in REPEAT_KEYS if key in node)
        context.problem(place, f"{key} only applies to a repeat", yaml_line(node, key))
    return CheckedQuestion(
        question, lines, privacy_given="privacy" in node, repeat=repeat, inner=inner
    )


REPEAT_KEYS = ("questions", "repeat_count", "min_count", "max_count")
# Repetitions one respondent may add: enough for a career, few enough for one page.
MAX_REPETITIONS = 50
DEFAULT_MAX_REPETITIONS = 20


def _repeat(
    context: Context,
    node: Node,
    question: NormalisedQuestion,
    place: str,
    lists: ChoiceLists,
    names: set[str],
) -> tuple[CheckedQuestion, ...]:
    """A repeat's questions (asked once per repetition) and how many repetitions."""
    for key in ("required", "constraint", "default", "read_only", "other", "choice_filter"):
        if key in node:
            context.problem(place, f"{key} does not apply to a repeat", yaml_line(node, key))
    inner_nodes = node.get("questions")
    if not isinstance(inner_nodes, list) or not inner_nodes:
        context.problem(place, "a repeat needs a non-empty list of questions", yaml_line(node))
        inner_nodes = []
    inner = tuple(
        checked
        for i, inner_node in enumerate(inner_nodes)
        if (
            checked := _question(
                context, inner_node, i, place, lists, names, inner_nodes, repeat=question["name"]
            )
        )
        is not None
    )
    question["questions"] = [c.question for c in inner]
    counts = {}
    for key, default in (("min_count", 0), ("max_count", DEFAULT_MAX_REPETITIONS)):
        value = node.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= MAX_REPETITIONS
        ):
            context.problem(
                place,
                f"{key} must be a whole number from 0 to {MAX_REPETITIONS}",
                yaml_line(node, key),
            )
            value = default
        counts[key] = value
    if counts["min_count"] > counts["max_count"] or counts["max_count"] == 0:
        context.problem(
            place,
            "max_count must be at least 1 and at least min_count",
            yaml_line(node, "max_count"),
        )
    question["min_count"], question["max_count"] = counts["min_count"], counts["max_count"]
    if "repeat_count" in node:
        count = context.expression(
            node["repeat_count"], place, yaml_line(node, "repeat_count"), "repeat_count"
        )
        if count is not None:
            question["repeat_count"] = count
    return inner


def _not_on_calculate(context: Context, node: Node, place: str) -> None:
    """A calculation is never shown: what only a shown question can have is a mistake."""
    for key in ("required", "constraint", "other", "appearance", "read_only", "default", "hint"):
        if key in node:
            context.problem(
                place, f"{key} does not apply to a calculate question", yaml_line(node, key)
            )


# `default:` is an expression when it refers to an answer or calls a function (as
# pyxform decides that an XLSForm default is "dynamic"); otherwise it is the value itself.
def _looks_like_expression(text: str) -> bool:
    return "${" in text or "(" in text


def _default(
    context: Context,
    node: Node,
    type_name: str | None,
    choices: list[NormalisedChoice] | None,
    place: str,
) -> tuple[str, bool] | None:
    """`default:` as (text, is_expression): a literal is checked against the question's
    type and choices now; an expression when the page is shown."""
    if "default" not in node:
        return None
    given, line = node["default"], yaml_line(node, "default")
    if type_name in ("note", "consent"):
        # Consent is given by the respondent, never ticked in advance.
        context.problem(place, f"a {type_name} cannot have a default", line)
        return None
    if isinstance(given, list) and type_name == "select_multiple":
        given = " ".join(str(code) for code in given)
    if isinstance(given, bool) or not isinstance(given, str | int | float):
        context.problem(place, "default must be a value, or an expression in quotes", line)
        return None
    text = str(given)
    if _looks_like_expression(text):
        checked = context.expression(text, place, line, "default")
        return None if checked is None else (checked, True)
    problem = _literal_problem(text, type_name, choices)
    if problem:
        context.problem(place, f"default {text!r} {problem}", line)
        return None
    return text, False


def _literal_problem(
    text: str, type_name: str | None, choices: list[NormalisedChoice] | None
) -> str | None:
    """Why a literal default cannot be an answer to this type, or None when it can."""
    if choices is not None:
        codes = {c["code"] for c in choices}
        wrong = [code for code in text.split() if code not in codes]
        if wrong or not text.split():
            return "is not a code of the question's choice list"
        if type_name == "select_one" and len(text.split()) > 1:
            return "names several codes; a select_one takes one"
        return None
    if type_name in NUMBER_TYPES:
        try:
            number = float(text)
        except ValueError:
            return "is not a number"
        if type_name == "integer" and not number.is_integer():
            return "is not a whole number"
    if type_name == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            return "is not a date written YYYY-MM-DD"
    return None


def _choice_filter(context: Context, node: Node, is_select: bool, place: str) -> str | None:
    """`choice_filter:` which choices a select offers; its bare names are choice columns
    (checked against the list once every question is known)."""
    if "choice_filter" not in node:
        return None
    line = yaml_line(node, "choice_filter")
    if not is_select:
        context.problem(place, "choice_filter only applies to select_one and select_multiple", line)
        return None
    return context.expression(node["choice_filter"], place, line, "choice_filter", columns=True)


def _name(context: Context, node: Node, place: str, names: set[str]) -> str | None:
    """The question's name, added to `names`; None when it is not a valid name."""
    name = node.get("name")
    if not isinstance(name, str) or not QUESTION_NAME.match(name):
        context.problem(
            place,
            "name must be lower-case letters, digits and '_', starting with a letter (at most 63)",
            yaml_line(node, "name"),
        )
        return None
    if name in RESERVED_NAMES or keyword.iskeyword(name):
        context.problem(
            place, f"name {name!r} is reserved; choose another", yaml_line(node, "name")
        )
    elif name in names:
        context.problem(place, f"duplicate question name {name!r}", yaml_line(node, "name"))
    names.add(name)
    return name


def _appearance(
    context: Context,
    node: Node,
    type_name: str | None,
    choices: list[NormalisedChoice] | None,
    place: str,
) -> str | None:
    """`appearance: dropdown` (select_one only), or dropdown anyway for a long list."""
    given = node.get("appearance")
    if given is not None:
        if given in APPEARANCES and type_name == "select_one":
            return str(given)
        context.problem(
            place,
            "appearance: dropdown is the only appearance, for select_one",
            yaml_line(node, "appearance"),
        )
    if type_name == "select_one" and choices is not None and len(choices) > DROPDOWN_AFTER:
        return "dropdown"
    return None


def _bins(context: Context, node: Node, type_name: str | None, place: str) -> list[float] | None:
    """`bins:` the lower edges of the bins a number is exported in, rising: [0, 2, 5]
    gives under 0, 0-1, 2-4 and 5+ (so no two bins overlap and none leaves a gap)."""
    if "bins" not in node:
        return None
    given, line = node["bins"], yaml_line(node, "bins")
    if type_name not in NUMBER_TYPES:
        context.problem(place, "bins only apply to integer and decimal questions", line)
        return None
    edges = _numbers(given)
    if not edges:
        context.problem(place, "bins must be a list of numbers: the lower edge of each bin", line)
        return None
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        context.problem(
            place,
            "bins must rise: each edge above the one before, so that no two bins overlap",
            line,
        )
        return None
    return [int(e) if float(e).is_integer() else float(e) for e in edges]


def _numbers(value: object) -> list[int | float] | None:
    """`value` when it is a list of numbers (true and false are not numbers here)."""
    if not isinstance(value, list):
        return None
    numbers = [e for e in value if isinstance(e, int | float) and not isinstance(e, bool)]
    return numbers if len(numbers) == len(value) else None


def split_type(type_text: object) -> tuple[str | None, str | None]:
    """`select_one LIST` as ("select_one", "LIST"); `integer` as ("integer", None)."""
    if not isinstance(type_text, str) or not type_text.strip():
        return None, None
    parts = type_text.split()
    return parts[0], (parts[1] if len(parts) > 1 else None)
