"""The top level of a definition: its keys, id and version, languages, includes, who may
answer it, and the order in which its parts are checked into the normalised definition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from ... import demographics
from ..problems import yaml_line
from ..schedule import read_schedule
from .choices import check_choice_lists
from .context import Context, Node
from .names import SURVEY_ID
from .questions import CheckedQuestion, check_pages
from .references import check_references

SURVEY_KEYS = {
    "programme_question",
    "id",
    "version",
    "title",
    "description",
    "default_language",
    "languages",
    "pages",
    "choices",
    "schedule",
    "public",
}


def check_survey(
    context: Context, data: object, programme_dir: Path | None
) -> dict[str, Any] | None:
    """The normalised definition (the stored JSON, read as objects by `model.read_survey`);
    None when `data` is not even a mapping. Problems go to `context`."""
    if not isinstance(data, dict):
        context.problem(
            "", "a survey definition must be a mapping with id, version, pages …", yaml_line(data)
        )
        return None
    context.keys(data, SURVEY_KEYS, "survey")
    survey_id = data.get("id")
    if not isinstance(survey_id, str) or not SURVEY_ID.match(survey_id):
        context.problem(
            "survey",
            "id must be lower-case letters, digits, '-' or '_', starting with a letter",
            yaml_line(data, "id"),
        )
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        context.problem(
            "survey", "version must be a whole number from 1 up", yaml_line(data, "version")
        )
    _language_settings(context, data)
    code_lists, sorted_lists = demographics.expand_includes(
        data, context.languages, context.problem, programme_dir, line_of=yaml_line
    )
    definition: dict[str, Any] = {
        "id": survey_id,
        "version": version,
        "default_language": context.default_language,
        "languages": context.languages,
        "title": context.text(data, "title", "survey", required=True),
        "description": context.text(data, "description", "survey", required=False),
    }
    choices = check_choice_lists(context, data.get("choices"), data)
    checked = check_pages(context, data.get("pages"), data, choices)
    definition["choices"] = choices
    definition["pages"] = checked.pages
    definition["code_lists"] = code_lists
    definition["sorted_lists"] = sorted_lists
    definition["programme_question"] = data.get("programme_question")
    if "schedule" in data:
        definition["schedule"] = read_schedule(data["schedule"], context.problem, yaml_line)
    if context.flag(data, "public", "survey"):
        # Only when true: a definition without the key normalises (and hashes) as before.
        definition["public"] = True
    check_references(context, checked.questions, choices, checked.pages)
    _programme_question(context, data, checked.questions)
    return definition


def _language_settings(context: Context, data: Node) -> None:
    """`default_language` and `languages`, which every text after them is checked against."""
    default = data.get("default_language", "en")
    languages = data.get("languages", [default])
    line = yaml_line(data, "languages") if "languages" in data else yaml_line(data)
    if not isinstance(languages, list) or not languages:
        context.problem("survey", "languages must be a list of language codes", line)
        languages = [default]
    valid = []
    for lang in languages:
        try:
            Locale.parse(str(lang))
            valid.append(str(lang))
        except (ValueError, TypeError, UnknownLocaleError):
            context.problem("survey", f"{lang!r} is not a language code Babel knows", line)
    if len(set(valid)) != len(valid):
        context.problem("survey", "a language is listed twice", line)
    if str(default) not in valid:
        context.problem(
            "survey",
            f"default_language {default!r} is not in languages",
            yaml_line(data, "default_language") if "default_language" in data else line,
        )
    context.default_language = str(default)
    context.languages = list(dict.fromkeys(valid)) or [context.default_language]


def _programme_question(context: Context, data: Node, questions: list[CheckedQuestion]) -> None:
    """`programme_question:` names the select_one that says which programme one is in."""
    name = data.get("programme_question")
    if name is None:
        return
    question = next((c.question for c in questions if c.question["name"] == name), None)
    if question is None or question["type"] != "select_one":
        context.problem(
            "survey",
            f"programme_question {name!r} must name a select_one question",
            yaml_line(data, "programme_question"),
        )
