"""What an export reads of a stored survey definition, as types.

Definitions are stored as JSON and owned by the survey layer, which this package may not
import; the keys read here are written down once so that every step reads them alike.
Keys not listed are ignored. Nothing is checked at run time: these only describe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

# Language code -> text.
Text = dict[str, str]


class HierarchyLevel(TypedDict):
    """One level of a code hierarchy: each code of the level below -> its code here."""

    level: str
    map: dict[str, str]
    labels: NotRequired[dict[str, str]]


class Question(TypedDict):
    name: str
    type: str
    label: Text | None
    privacy: str
    list: NotRequired[str | None]  # the code list of a select question
    relevant: NotRequired[str | None]  # asked only when this expression holds
    bins: NotRequired[list[float] | None]  # lower edges, for a number's release
    other: NotRequired[bool]  # has an "other, please say" text
    export: NotRequired[str | None]  # "never": never leaves in an export
    calculation: NotRequired[str]  # a `calculate` question's expression
    # A repeat (`type: repeat`): its questions, asked once per entry, and how many entries.
    # Each entry is stored as an object keyed by these questions' names.
    questions: NotRequired[list[Question]]
    min_count: NotRequired[int]
    max_count: NotRequired[int]
    repeat_count: NotRequired[str | None]  # a fixed number of entries (an expression)


class Page(TypedDict):
    questions: list[Question]


class Choice(TypedDict):
    code: str
    label: Text | None


class CodeList(TypedDict, total=False):
    hierarchy: list[HierarchyLevel] | None


class Schedule(TypedDict, total=False):
    wave: str | None


class Definition(TypedDict):
    id: str
    version: NotRequired[int]
    title: Text
    default_language: str
    pages: list[Page]
    choices: dict[str, list[Choice]]
    code_lists: NotRequired[dict[str, CodeList]]
    schedule: NotRequired[Schedule | None]
    public: NotRequired[bool]
    # The question whose answer names the programme, for anonymous intakes.
    programme_question: NotRequired[str | None]


# Survey version id -> its definition: every survey an export reads.
Definitions = dict[int, Definition]
# Hierarchies beside the code lists' own: question -> hierarchy name -> its levels.
Hierarchies = Mapping[str, Mapping[str, Sequence[HierarchyLevel]]]
