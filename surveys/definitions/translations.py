"""How complete a survey's translations are, per language."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


def texts(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    """Every translatable text of a normalised definition, with a place to name it by."""
    yield "survey title", definition["title"]
    if definition["description"]:
        yield "survey description", definition["description"]
    for page in definition["pages"]:
        yield f"page {page['name']!r} title", page["title"]
        for question in _with_inner(page["questions"]):
            for key in ("label", "hint", "constraint_message", "required_message"):
                if question.get(key):
                    yield f"question {question['name']!r} {key}", question[key]
    used = {
        q["list"]
        for page in definition["pages"]
        for q in _with_inner(page["questions"])
        if q["list"]
    }
    for list_name, choices in definition["choices"].items():
        if list_name in used:
            for choice in choices:
                yield f"choice {list_name}/{choice['code']}", choice["label"]


def _with_inner(questions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each question, a repeat followed by its own questions."""
    for question in questions:
        yield question
        yield from question.get("questions", ())


@dataclass(frozen=True)
class Completeness:
    language: str
    translated: int
    total: int
    missing: list[str]

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def completeness(definition: dict[str, Any]) -> list[Completeness]:
    """For each of the survey's languages, how many texts exist in it and which are missing."""
    all_texts = list(texts(definition))
    result = []
    for language in definition["languages"]:
        missing = [place for place, text in all_texts if not text.get(language, "").strip()]
        result.append(
            Completeness(language, len(all_texts) - len(missing), len(all_texts), missing)
        )
    return result
