"""The survey model: a normalised definition read once into frozen objects.

The stored JSON (the validator makes it, `SurveyVersion.definition` keeps it) stays the
contract between versions, exports and other tools. In the code, a survey is read through
these types instead of string keys: `survey.question("age").relevant`, not
`definition["pages"][i]["questions"][j]["relevant"]`. A version never changes, so its
model is built once per content hash and shared (`survey_of`); nothing here may be
changed after it is built.

Pure: no Flask, no database. Relevance is evaluated here because it belongs to the
language (an expression over earlier answers), not to the forms or the views.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..vocabulary import OTHER_SUFFIX
from .expressions import EvaluationContext, Expression, ExpressionError, parse

Texts = Mapping[str, str]  # language code → text


@dataclass(frozen=True)
class Choice:
    code: str
    label: Texts
    # Extra columns a `choice_filter` reads by bare name (`country = ${country}`).
    filter: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChoiceList:
    name: str
    choices: tuple[Choice, ...]
    # Shown in the alphabetical order of the reader's language, not as listed (long
    # generated lists such as countries); the definition's `sorted_lists`.
    alphabetical: bool = False

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(choice.code for choice in self.choices)


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    label: Texts
    hint: Texts = field(default_factory=dict)
    list_name: str | None = None
    required: bool = False
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Texts = field(default_factory=dict)
    # Said instead of "Please answer this question." when a required one is left empty.
    required_message: Texts = field(default_factory=dict)
    other: bool = False
    privacy: str = "none"
    appearance: str | None = None
    export: str | None = None
    bins: tuple[float, ...] | None = None
    # The expression a `calculate` question's value comes from.
    calculation: str | None = None
    # The answer before the respondent gives one: a literal, or an expression (`default_is_
    # expression`), as text; a select_multiple's codes are separated by spaces.
    default: str | None = None
    default_is_expression: bool = False
    # Shown with its default, never posted.
    read_only: bool = False
    # Which choices a select offers, given earlier answers: true for the choices kept.
    choice_filter: str | None = None
    # A repeat's questions, asked once per repetition, and how many repetitions: a fixed
    # number (an expression, `repeat_count`), else as many as the respondent adds.
    questions: tuple[Question, ...] = ()
    repeat_count: str | None = None
    min_count: int = 0
    max_count: int = 0
    # The question as stored, for code that still reads the JSON (and for `to_json`).
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def other_name(self) -> str | None:
        """Where the free text of an "other" answer is kept, when the question has one."""
        return self.name + OTHER_SUFFIX if self.other else None

    @property
    def names(self) -> tuple[str, ...]:
        """The answer keys this question may fill: its name, and its "other" text."""
        return (self.name, self.other_name) if self.other_name else (self.name,)

    @property
    def is_repeat(self) -> bool:
        return self.type == "repeat"

    @property
    def is_calculated(self) -> bool:
        """A `calculate` question: its value comes from its calculation, never from a page."""
        return self.calculation is not None

    @property
    def is_posted(self) -> bool:
        """Whether a page posts this question's answer (a note, a calculation or a
        read-only question is shown, or not, but never sent)."""
        return not (self.read_only or self.is_calculated or self.type in ("note", "repeat"))

    @cached_property
    def relevance(self) -> Expression | None:
        return parse(self.relevant) if self.relevant else None

    def is_relevant(
        self, answers: Mapping[str, Any], context: EvaluationContext | None = None
    ) -> bool:
        """Whether the question is asked, given the answers before it."""
        if self.relevance is None:
            return True
        try:
            return self.relevance.is_true(answers, None, context)
        except ExpressionError:
            # Better to ask a question too many than to lose an answer silently.
            return True


@dataclass(frozen=True)
class Page:
    name: str
    title: Texts
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Survey:
    id: str
    version: int
    default_language: str
    languages: tuple[str, ...]
    title: Texts
    description: Texts
    pages: tuple[Page, ...]
    lists: Mapping[str, ChoiceList]
    public: bool = False
    schedule: Mapping[str, Any] | None = None
    programme_question: str | None = None
    # The normalised definition this was read from: the stored contract.
    definition: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # Its content hash: names this content in caches (form classes, rendered choices).
    key: str = ""

    @cached_property
    def _by_name(self) -> dict[str, Question]:
        return {
            q.name: q
            for page in self.pages
            for top in page.questions
            for q in (top, *top.questions)
        }

    def question(self, name: str) -> Question:
        """The question called `name`; KeyError when there is none."""
        return self._by_name[name]

    def has_question(self, name: str) -> bool:
        return name in self._by_name

    @property
    def questions(self) -> Iterator[Question]:
        """Every question, in the order a respondent meets them."""
        for page in self.pages:
            yield from page.questions

    def choice_list(self, question: Question) -> ChoiceList | None:
        return self.lists.get(question.list_name) if question.list_name else None

    @property
    def wave(self) -> str:
        """The wave its answers belong to: its schedule's, else its own id."""
        return (self.schedule or {}).get("wave") or self.id


def read_survey(definition: Mapping[str, Any], key: str | None = None) -> Survey:
    """The model of a normalised definition (the validator's output); `key` is its
    content hash when known."""
    alphabetical = set(definition.get("sorted_lists", ()))
    lists = {
        name: ChoiceList(
            name,
            tuple(Choice(c["code"], c["label"], c.get("filter") or {}) for c in choices),
            alphabetical=name in alphabetical,
        )
        for name, choices in definition.get("choices", {}).items()
    }
    pages = tuple(
        Page(
            name=page["name"],
            title=page.get("title") or {},
            questions=tuple(_question(q) for q in page["questions"]),
        )
        for page in definition["pages"]
    )
    return Survey(
        id=definition["id"],
        version=definition["version"],
        default_language=definition["default_language"],
        languages=tuple(definition["languages"]),
        title=definition.get("title") or {},
        description=definition.get("description") or {},
        pages=pages,
        lists=lists,
        public=bool(definition.get("public", False)),
        schedule=definition.get("schedule"),
        programme_question=definition.get("programme_question"),
        definition=definition,
        key=key or content_hash(definition),
    )


def _question(q: Mapping[str, Any]) -> Question:
    bins = q.get("bins")
    return Question(
        name=q["name"],
        type=q["type"],
        label=q.get("label") or {},
        hint=q.get("hint") or {},
        list_name=q.get("list"),
        required=bool(q.get("required")),
        relevant=q.get("relevant"),
        constraint=q.get("constraint"),
        constraint_message=q.get("constraint_message") or {},
        required_message=q.get("required_message") or {},
        other=bool(q.get("other")),
        privacy=q.get("privacy", "none"),
        appearance=q.get("appearance"),
        export=q.get("export"),
        bins=tuple(bins) if bins else None,
        calculation=q.get("calculation"),
        default=q.get("default"),
        default_is_expression=bool(q.get("default_is_expression")),
        read_only=bool(q.get("read_only")),
        choice_filter=q.get("choice_filter"),
        questions=tuple(_question(inner) for inner in q.get("questions", ())),
        repeat_count=q.get("repeat_count"),
        min_count=int(q.get("min_count", 0)),
        max_count=int(q.get("max_count", 0)),
        raw=q,
    )


def repeat_field(repeat: str, index: int, name: str) -> str:
    """The form field (and draft key) of question `name` in repetition `index` (0-based)
    of `repeat`: `projects-0-role`. A '-' is in no question name, so it cannot clash."""
    return f"{repeat}-{index}-{name}"


def content_hash(definition: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON: equal content, equal hash (as stored on a version)."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Models by content hash. A version never changes; a process serves a handful of them.
_SURVEYS: dict[str, Survey] = {}
_SURVEYS_LIMIT = 64


def survey_of(definition: Mapping[str, Any], key: str | None = None) -> Survey:
    """The shared model of this definition; `key` is its content hash when the caller has
    it (a stored version does), else it is computed."""
    key = key or content_hash(definition)
    survey = _SURVEYS.get(key)
    if survey is None:
        if len(_SURVEYS) >= _SURVEYS_LIMIT:
            _SURVEYS.clear()
        survey = _SURVEYS[key] = read_survey(definition, key)
    return survey
