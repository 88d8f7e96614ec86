"""Check a definition read from YAML and turn it into the normalised JSON that is stored.

The checks collect every problem instead of stopping at the first, each with its place
(page, question or choice list) and the YAML line, so an author fixes a file in one go.
"""

from __future__ import annotations

import difflib
import keyword
import re
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from .. import demographics
from ..vocabulary import OTHER_CODE, OTHER_SUFFIX
from .expressions import ExpressionError, parse
from .problems import Problem
from .problems import yaml_line as _line
from .question_types import NUMBER_TYPES, PRIVACY_CLASSES, QUESTION_TYPES
from .schedule import read_schedule

SURVEY_ID = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
QUESTION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
CHOICE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
# Names a question cannot take because the generated form already uses them.
RESERVED_NAMES = {
    "data",
    "errors",
    "meta",
    "validate",
    "process",
    "populate_obj",
    "form_errors",
    "answers",
    "action",
    "csrf_token",
    "page",
    "lang",
}

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
PAGE_KEYS = {"name", "title", "questions"}
APPEARANCES = ("dropdown",)
# A select_one with more choices than this is shown as a drop-down list, not radio buttons.
DROPDOWN_AFTER = 15
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
}
CHOICE_KEYS = {"code", "label"}


class _Checker:
    def __init__(self, file: str, strict: bool, programme_dir: Path | None = None) -> None:
        self.file = file
        self.programme_dir = programme_dir
        self.strict = strict
        self.problems: list[Problem] = []
        self.default_language = "en"
        self.languages: list[str] = ["en"]

    def problem(self, place: str, message: str, line: int | None) -> None:
        self.problems.append(Problem(self.file, line, place, message))

    def keys(self, node: dict, allowed: set[str], place: str) -> None:
        for key in node:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                self.problem(place, f"unknown key {key!r}{suggestion}", _line(node, key))

    def text(self, node: dict, key: str, place: str, required: bool) -> dict[str, str]:
        """A text per language: a plain string means the default language."""
        value = node.get(key)
        line = _line(node, key) if key in node else _line(node)
        if value is None:
            if required:
                self.problem(place, f"{key} is missing", line)
            return {}
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            texts = {self.default_language: str(value)}
        elif isinstance(value, dict):
            texts = {}
            for lang, text in value.items():
                if lang not in self.languages:
                    self.problem(
                        place,
                        f"{key} in {lang!r}, which is not one of the "
                        f"survey's languages ({', '.join(self.languages)})",
                        line,
                    )
                elif not isinstance(text, str | int | float) or isinstance(text, bool):
                    self.problem(place, f"{key} in {lang!r} must be text", line)
                else:
                    texts[str(lang)] = str(text)
        else:
            self.problem(place, f"{key} must be text, or a mapping of language to text", line)
            return {}
        if required and not texts.get(self.default_language, "").strip():
            self.problem(
                place, f"{key} is missing in the default language {self.default_language!r}", line
            )
        if self.strict and texts:
            for lang in self.languages:
                if not texts.get(lang, "").strip():
                    self.problem(place, f"{key} has no {lang!r} translation", line)
        return texts

    def expression(self, source: Any, place: str, line: int | None, key: str) -> str | None:
        if source is None:
            return None
        if not isinstance(source, str):
            self.problem(place, f"{key} must be an expression in quotes", line)
            return None
        try:
            expression = parse(source)
        except ExpressionError as error:
            self.problem(place, f"{key} {source!r}: {error}", line)
            return None
        if expression.patterns_from_answers:
            # A pattern taken from an answer lets a respondent choose one that backtracks.
            self.problem(
                place,
                f"{key} {source!r}: regex() takes its pattern as text in quotes, "
                "written in the definition",
                line,
            )
            return None
        return source

    # --- the definition ----------------------------------------------------------

    def survey(self, data: Any) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self.problem(
                "", "a survey definition must be a mapping with id, version, pages …", _line(data)
            )
            return None
        self.keys(data, SURVEY_KEYS, "survey")
        survey_id = data.get("id")
        if not isinstance(survey_id, str) or not SURVEY_ID.match(survey_id):
            self.problem(
                "survey",
                "id must be lower-case letters, digits, '-' or '_', starting with a letter",
                _line(data, "id"),
            )
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.problem(
                "survey", "version must be a whole number from 1 up", _line(data, "version")
            )
        self.language_settings(data)
        code_lists, sorted_lists = demographics.expand_includes(
            data, self.languages, self.problem, self.programme_dir, line_of=_line
        )
        definition: dict[str, Any] = {
            "id": survey_id,
            "version": version,
            "default_language": self.default_language,
            "languages": self.languages,
            "title": self.text(data, "title", "survey", required=True),
            "description": self.text(data, "description", "survey", required=False),
        }
        definition["choices"] = self.choice_lists(data.get("choices"), data)
        definition["pages"] = self.pages(data.get("pages"), data, definition["choices"])
        definition["code_lists"] = code_lists
        definition["sorted_lists"] = sorted_lists
        definition["programme_question"] = data.get("programme_question")
        if "schedule" in data:
            definition["schedule"] = read_schedule(data["schedule"], self.problem, _line)
        if self.public(data):
            # Only when true: a definition without the key normalises (and hashes) as before.
            definition["public"] = True
        self.references(definition, data)
        self.programme_question(definition, data)
        return definition

    def public(self, data: dict) -> bool:
        """`public: true`: anyone may answer at /s/<id>; otherwise only through personal links."""
        public = data.get("public", False)
        if not isinstance(public, bool):
            self.problem("survey", "public must be true or false", _line(data, "public"))
            return False
        return public

    def programme_question(self, definition: dict[str, Any], data: dict) -> None:
        name = definition["programme_question"]
        if name is None:
            return
        question = next(
            (q for page in definition["pages"] for q in page["questions"] if q["name"] == name),
            None,
        )
        if question is None or question["type"] != "select_one":
            self.problem(
                "survey",
                f"programme_question {name!r} must name a select_one question",
                _line(data, "programme_question"),
            )

    def language_settings(self, data: dict) -> None:
        default = data.get("default_language", "en")
        languages = data.get("languages", [default])
        line = _line(data, "languages") if "languages" in data else _line(data)
        if not isinstance(languages, list) or not languages:
            self.problem("survey", "languages must be a list of language codes", line)
            languages = [default]
        valid = []
        for lang in languages:
            try:
                Locale.parse(str(lang))
                valid.append(str(lang))
            except (ValueError, TypeError, UnknownLocaleError):
                self.problem("survey", f"{lang!r} is not a language code Babel knows", line)
        if len(set(valid)) != len(valid):
            self.problem("survey", "a language is listed twice", line)
        if str(default) not in valid:
            self.problem(
                "survey",
                f"default_language {default!r} is not in languages",
                _line(data, "default_language") if "default_language" in data else line,
            )
        self.default_language = str(default)
        self.languages = list(dict.fromkeys(valid)) or [self.default_language]

    def choice_lists(self, lists: Any, parent: dict) -> dict[str, list[dict]]:
        if lists is None:
            return {}
        if not isinstance(lists, dict):
            self.problem(
                "choices",
                "choices must map list names to lists of choices",
                _line(parent, "choices"),
            )
            return {}
        result: dict[str, list[dict]] = {}
        for list_name, items in lists.items():
            place = f"choice list {list_name!r}"
            if not isinstance(list_name, str) or not QUESTION_NAME.match(list_name):
                self.problem(
                    place,
                    "a list name must be lower-case letters, digits and '_'",
                    _line(lists, list_name),
                )
            if not isinstance(items, list) or not items:
                self.problem(place, "must be a non-empty list of choices", _line(lists, list_name))
                continue
            seen: set[str] = set()
            choices = []
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    self.problem(place, "each choice needs a code and a label", _line(items, index))
                    continue
                code = item.get("code")
                code = (
                    str(code)
                    if isinstance(code, str | int) and not isinstance(code, bool)
                    else None
                )
                choice_place = f"{place}, choice {code!r}" if code else place
                self.keys(item, CHOICE_KEYS, choice_place)
                if code is None or not CHOICE_CODE.match(code):
                    self.problem(
                        choice_place,
                        "code must be letters, digits, '.', '_', '+' or '-' (at most 64)",
                        _line(item),
                    )
                    continue
                if code in seen:
                    self.problem(place, f"duplicate choice code {code!r}", _line(item))
                seen.add(code)
                choices.append(
                    {"code": code, "label": self.text(item, "label", choice_place, required=True)}
                )
            result[str(list_name)] = choices
        return result

    def pages(self, pages: Any, parent: dict, lists: dict[str, list]) -> list[dict]:
        if not isinstance(pages, list) or not pages:
            self.problem("survey", "pages must be a non-empty list", _line(parent, "pages"))
            return []
        result = []
        page_names: set[str] = set()
        question_names: set[str] = set()
        for index, page in enumerate(pages, start=1):
            if not isinstance(page, dict):
                self.problem(
                    f"page {index}", "a page needs a title and questions", _line(pages, index - 1)
                )
                continue
            name = page.get("name", f"page_{index}")
            place = f"page {name!r}"
            self.keys(page, PAGE_KEYS, place)
            if not isinstance(name, str) or not QUESTION_NAME.match(name):
                self.problem(
                    place,
                    "a page name must be lower-case letters, digits and '_'",
                    _line(page, "name"),
                )
            elif name in page_names:
                self.problem(place, f"duplicate page name {name!r}", _line(page, "name"))
            page_names.add(str(name))
            questions = page.get("questions")
            if not isinstance(questions, list) or not questions:
                self.problem(place, "questions must be a non-empty list", _line(page))
                questions = []
            normalised = [
                q
                for q in (
                    self.question(q, i, place, lists, question_names, questions)
                    for i, q in enumerate(questions)
                )
                if q is not None
            ]
            result.append(
                {
                    "name": str(name),
                    "title": self.text(page, "title", place, required=True),
                    "questions": normalised,
                }
            )
        return result

    def question(
        self,
        node: Any,
        index: int,
        page_place: str,
        lists: dict[str, list],
        names: set[str],
        siblings: list,
    ) -> dict[str, Any] | None:
        if not isinstance(node, dict):
            self.problem(
                page_place, f"question {index + 1} must be a mapping", _line(siblings, index)
            )
            return None
        name = node.get("name")
        place = (
            f"question {name!r}" if isinstance(name, str) else f"{page_place}, question {index + 1}"
        )
        line = _line(node)
        self.keys(node, QUESTION_KEYS, place)
        if not isinstance(name, str) or not QUESTION_NAME.match(name):
            self.problem(
                place,
                "name must be lower-case letters, digits and '_', starting "
                "with a letter (at most 63)",
                _line(node, "name"),
            )
            name = None
        elif name in RESERVED_NAMES or keyword.iskeyword(name):
            self.problem(place, f"name {name!r} is reserved; choose another", _line(node, "name"))
        elif name in names:
            self.problem(place, f"duplicate question name {name!r}", _line(node, "name"))
        if name:
            names.add(name)

        type_text = node.get("type")
        type_name, list_name = _split_type(type_text)
        qtype = QUESTION_TYPES.get(type_name or "")
        if isinstance(type_text, str) and len(type_text.split()) > 2:
            self.problem(
                place,
                f"type {type_text!r} has more than a type and a list name",
                _line(node, "type"),
            )
        if qtype is None:
            hint = difflib.get_close_matches(str(type_name), QUESTION_TYPES, n=1)
            known = (
                f"did you mean {hint[0]!r}?"
                if hint
                else f"known types: {', '.join(QUESTION_TYPES)}"
            )
            self.problem(place, f"unknown type {type_text!r}; {known}", _line(node, "type"))
        elif qtype.takes_choice_list and not list_name:
            self.problem(
                place,
                f"{type_name} needs a choice list: '{type_name} LIST_NAME'",
                _line(node, "type"),
            )
        elif qtype.takes_choice_list and list_name not in lists:
            self.problem(place, f"unknown choice list {list_name!r}", _line(node, "type"))
        elif not qtype.takes_choice_list and list_name:
            self.problem(place, f"{type_name} does not take a choice list", _line(node, "type"))

        required = node.get("required", False)
        if not isinstance(required, bool):
            self.problem(place, "required must be true or false", _line(node, "required"))
            required = False
        other = node.get("other", False)
        if not isinstance(other, bool):
            self.problem(place, "other must be true or false", _line(node, "other"))
            other = False
        if other and not (qtype and qtype.takes_choice_list):
            self.problem(
                place, "other only applies to select_one and select_multiple", _line(node, "other")
            )
            other = False
        if other and list_name in lists and any(c["code"] == OTHER_CODE for c in lists[list_name]):
            self.problem(
                place,
                f"other: true adds the code {OTHER_CODE!r}, which list {list_name!r} already has",
                _line(node, "other"),
            )
        if other and name:
            if name + OTHER_SUFFIX in names:
                self.problem(
                    place,
                    f"duplicate question name {name + OTHER_SUFFIX!r} (the 'other' answer)",
                    _line(node, "other"),
                )
            names.add(name + OTHER_SUFFIX)

        is_note = qtype is not None and qtype.is_note
        if is_note and required:
            self.problem(
                place, "a note has no answer, so it cannot be required", _line(node, "required")
            )
        privacy = node.get("privacy", qtype.default_privacy if qtype else "none")
        if privacy not in PRIVACY_CLASSES:
            self.problem(
                place,
                f"privacy must be one of {', '.join(PRIVACY_CLASSES)}",
                _line(node, "privacy"),
            )

        constraint = self.expression(
            node.get("constraint"), place, _line(node, "constraint"), "constraint"
        )
        if "constraint_message" in node and "constraint" not in node:
            self.problem(
                place, "constraint_message without a constraint", _line(node, "constraint_message")
            )
        if is_note and "constraint" in node:
            self.problem(
                place,
                "a note has no answer, so it cannot have a constraint",
                _line(node, "constraint"),
            )
        relevant = self.expression(node.get("relevant"), place, _line(node, "relevant"), "relevant")
        appearance = node.get("appearance")
        if appearance is not None and (appearance not in APPEARANCES or type_name != "select_one"):
            self.problem(
                place,
                "appearance: dropdown is the only appearance, for select_one",
                _line(node, "appearance"),
            )
            appearance = None
        if (
            appearance is None
            and type_name == "select_one"
            and list_name in lists
            and len(lists[list_name]) > DROPDOWN_AFTER
        ):
            appearance = "dropdown"
        export = node.get("export")
        if export not in (None, "never"):
            self.problem(
                place,
                "export: never is the only choice (the answer is never "
                "exported, whatever the export options)",
                _line(node, "export"),
            )
        bins = self.bins(node, type_name, place)
        return {
            **({"bins": bins} if bins is not None else {}),
            "name": name,
            "type": type_name,
            "list": list_name,
            "label": self.text(node, "label", place, required=True),
            "hint": self.text(node, "hint", place, required=False),
            "required": required,
            "relevant": relevant,
            "constraint": constraint,
            "constraint_message": self.text(node, "constraint_message", place, required=False),
            "other": other,
            "privacy": privacy,
            "appearance": appearance,
            "export": export,
            "_line": line,
            "_lines": {k: _line(node, k) for k in ("relevant", "constraint") if k in node},
        }

    def bins(self, node: dict, type_name: str | None, place: str) -> list[float] | None:
        """`bins:` the lower edges of the bins a number is exported in, rising: [0, 2, 5]
        gives under 0, 0-1, 2-4 and 5+ (so no two bins overlap and none leaves a gap)."""
        if "bins" not in node:
            return None
        edges, line = node["bins"], _line(node, "bins")
        if type_name not in NUMBER_TYPES:
            self.problem(place, "bins only apply to integer and decimal questions", line)
            return None
        numbers = isinstance(edges, list) and all(
            isinstance(e, int | float) and not isinstance(e, bool) for e in edges
        )
        if not numbers or not edges:
            self.problem(place, "bins must be a list of numbers: the lower edge of each bin", line)
            return None
        if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            self.problem(
                place,
                "bins must rise: each edge above the one before, so that no two bins overlap",
                line,
            )
            return None
        return [int(e) if float(e).is_integer() else float(e) for e in edges]

    def references(self, definition: dict[str, Any], data: dict) -> None:
        """Every ${name} must be a question with an answer; relevant may only look back."""
        questions = [q for page in definition["pages"] for q in page["questions"]]
        order = {q["name"]: i for i, q in enumerate(questions) if q["name"]}
        notes = {
            q["name"]
            for q in questions
            if q["type"] in QUESTION_TYPES and QUESTION_TYPES[q["type"]].is_note
        }
        # Questions of an unknown type count as answerable: their own problem is reported.
        answerable = {q["name"] for q in questions if q["name"]} - notes
        answerable |= {q["name"] + OTHER_SUFFIX for q in questions if q["other"] and q["name"]}
        for position, q in enumerate(questions):
            place = f"question {q['name']!r}"
            for key, may_look_ahead in (("relevant", False), ("constraint", True)):
                source = q[key]
                if source is None:
                    continue
                line = q["_lines"].get(key)
                expression = parse(source)
                if key == "relevant" and expression.uses_current:
                    self.problem(
                        place,
                        "relevant cannot use '.': it is for constraints; "
                        "refer to a question with ${name}",
                        line,
                    )
                for ref in expression.references:
                    base = ref[: -len(OTHER_SUFFIX)] if ref.endswith(OTHER_SUFFIX) else ref
                    if ref not in answerable:
                        what = "a note, which has no answer" if ref in notes else "no question"
                        self.problem(place, f"{key} refers to ${{{ref}}}, {what}", line)
                    elif not may_look_ahead and order.get(base, -1) >= position:
                        self.problem(
                            place,
                            f"relevant refers to ${{{ref}}}, which is asked "
                            "later (or is this question)",
                            line,
                        )
        for q in questions:
            q.pop("_line", None)
            q.pop("_lines", None)


def _split_type(type_text: Any) -> tuple[str | None, str | None]:
    if not isinstance(type_text, str) or not type_text.strip():
        return None, None
    parts = type_text.split()
    return parts[0], (parts[1] if len(parts) > 1 else None)


def check_definition(
    data: Any, file: str, strict: bool = False, programme_dir: Path | None = None
) -> tuple[dict | None, list[Problem]]:
    """Validate parsed YAML; return the normalised definition (None if any problem) and problems.

    `programme_dir` holds the programmes' configuration files, which decide which
    demographic blocks each programme's intake asks.
    """
    checker = _Checker(file, strict, programme_dir)
    definition = checker.survey(data)
    if checker.problems:
        return None, sorted(checker.problems, key=lambda p: p.line or 0)
    return definition, []
