"""`choices:`: the named lists of choices that select questions offer, each choice a code
and a label."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from ..problems import yaml_line
from .context import Context, Node
from .names import CHOICE_CODE, QUESTION_NAME

CHOICE_KEYS = {"code", "label", "filter"}


class NormalisedChoice(TypedDict):
    code: str
    label: dict[str, str]  # language code -> text
    # The columns a `choice_filter` reads by bare name; only on choices that have them.
    filter: NotRequired[dict[str, str]]


def check_choice_lists(
    context: Context, lists: object, parent: Node
) -> dict[str, list[NormalisedChoice]]:
    """The choice lists by name; a list with problems keeps its good choices."""
    if lists is None:
        return {}
    if not isinstance(lists, dict):
        context.problem(
            "choices",
            "choices must map list names to lists of choices",
            yaml_line(parent, "choices"),
        )
        return {}
    result: dict[str, list[NormalisedChoice]] = {}
    for list_name, items in lists.items():
        place = f"choice list {list_name!r}"
        if not isinstance(list_name, str) or not QUESTION_NAME.match(list_name):
            context.problem(
                place,
                "a list name must be lower-case letters, digits and '_'",
                yaml_line(lists, list_name),
            )
        if not isinstance(items, list) or not items:
            context.problem(
                place, "must be a non-empty list of choices", yaml_line(lists, list_name)
            )
            continue
        result[str(list_name)] = _choices(context, items, place)
    return result


def _choices(context: Context, items: list[object], place: str) -> list[NormalisedChoice]:
    seen: set[str] = set()
    choices: list[NormalisedChoice] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            context.problem(place, "each choice needs a code and a label", yaml_line(items, index))
            continue
        given = item.get("code")
        code = str(given) if isinstance(given, str | int) and not isinstance(given, bool) else None
        choice_place = f"{place}, choice {code!r}" if code else place
        context.keys(item, CHOICE_KEYS, choice_place)
        if code is None or not CHOICE_CODE.match(code):
            context.problem(
                choice_place,
                "code must be letters, digits, '.', '_', '+' or '-' (at most 64)",
                yaml_line(item),
            )
            continue
        if code in seen:
            context.problem(place, f"duplicate choice code {code!r}", yaml_line(item))
        seen.add(code)
        choice: NormalisedChoice = {
            "code": code,
            "label": context.text(item, "label", choice_place, required=True),
        }
        if "filter" in item:
            choice["filter"] = _filter_columns(context, item, choice_place)
        choices.append(choice)
    return choices


def _filter_columns(context: Context, item: Node, place: str) -> dict[str, str]:
    """`filter: {country: KEN}`: the values a `choice_filter` compares by column name."""
    given = item["filter"]
    line = yaml_line(item, "filter")
    if not isinstance(given, dict) or not given:
        context.problem(place, "filter must map column names to values, e.g. {country: KEN}", line)
        return {}
    columns: dict[str, str] = {}
    for column, value in given.items():
        if not isinstance(column, str) or not QUESTION_NAME.match(column) or column == "name":
            context.problem(
                place,
                f"filter column {column!r} must be lower-case letters, digits and '_' "
                "(and not 'name', which is the choice's code)",
                line,
            )
        elif isinstance(value, bool) or not isinstance(value, str | int | float):
            context.problem(place, f"filter column {column!r} must hold text or a number", line)
        else:
            columns[column] = str(value)
    return columns
