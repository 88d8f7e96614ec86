"""Spoken languages as ISO 639-1 codes, named in each survey language from CLDR (Babel)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from babel import Locale


@cache
def _names(language: str) -> Mapping[str, str]:
    names: Mapping[str, str] = Locale.parse(language).languages
    return names


def language_name(code: str, language: str) -> str:
    """The name of the language `code` in `language`, as the Unicode CLDR gives it, with
    a capital first letter.

    CLDR writes language names in lower case where a language does so inside a sentence
    (Spanish "árabe", French "arabe") and asks for a capital at the start of an item of
    a list or menu (its context transform "titlecase-firstword", which Babel does not
    ship): an option of a list is such an item. A KeyError names a code CLDR lacks."""
    name = _names(language)[code]
    return name[:1].upper() + name[1:]


def language_choices(spec: Mapping[str, Any], languages: list[str]) -> list[dict[str, Any]]:
    """The languages `spec["codes"]` names, as choices labelled in each survey language."""
    return [
        {"code": code, "label": {lang: language_name(code, lang) for lang in languages}}
        for code in spec["codes"]
    ]
