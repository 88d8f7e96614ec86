"""What every check of one definition shares: the problems found so far, the survey's
languages, and the readers of what may appear at any level of the file (unknown keys,
true/false, a text in the survey's languages, an expression)."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Any

from ..expressions import ExpressionError, parse
from ..problems import Problem, yaml_line

# A mapping as read from YAML: its keys may be anything YAML allows, its values are
# checked here before they are used.
Node = Mapping[Any, object]


class Context:
    """One definition being checked: every problem is collected, none stops the check."""

    def __init__(self, file: str, strict: bool) -> None:
        self.file = file
        # Strict: every text must be translated into every language of the survey.
        self.strict = strict
        self.problems: list[Problem] = []
        self.default_language = "en"
        self.languages: list[str] = ["en"]

    def problem(self, place: str, message: str, line: int | None) -> None:
        self.problems.append(Problem(self.file, line, place, message))

    def keys(self, node: Node, allowed: Collection[str], place: str) -> None:
        """A problem for each key not `allowed`, with the nearest allowed one as a hint."""
        for key in node:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                self.problem(place, f"unknown key {key!r}{suggestion}", yaml_line(node, key))

    def flag(self, node: Node, key: str, place: str) -> bool:
        """`key: true` or `key: false`, false when absent (and when it is neither)."""
        value = node.get(key, False)
        if not isinstance(value, bool):
            self.problem(place, f"{key} must be true or false", yaml_line(node, key))
            return False
        return value

    def text(self, node: Node, key: str, place: str, required: bool) -> dict[str, str]:
        """A text per language: a plain string means the default language."""
        value = node.get(key)
        line = yaml_line(node, key) if key in node else yaml_line(node)
        if value is None:
            if required:
                self.problem(place, f"{key} is missing", line)
            return {}
        texts: dict[str, str]
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

    def expression(
        self, source: object, place: str, line: int | None, key: str, columns: bool = False
    ) -> str | None:
        """An expression (`relevant`, `constraint`, `calculation`, …) as written, when it
        parses and is safe to run. Only a `choice_filter` (`columns`) may use bare names:
        they are the columns of the choice being tested."""
        if source is None:
            return None
        if isinstance(source, int | float) and not isinstance(source, bool):
            source = str(source)
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
        bare = expression.columns
        if bare and not columns:
            self.problem(
                place,
                f"{key} {source!r}: {bare[0]!r} is a bare name; refer to a question as "
                f"${{{bare[0]}}} (bare names are a choice_filter's choice columns)",
                line,
            )
            return None
        return source
