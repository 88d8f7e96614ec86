"""Walking a survey from a set of raw answers: which questions are asked (relevance, a
choice filter that leaves no choice), which are answered and which are wrong, what each
calculation is worth, how many repetitions each repeat has and which page comes next; and
the page as this respondent sees it (their answers piped into its texts, the choices their
answers leave).

A page's form fields are its *slots*: each question outside a repeat under its own name,
and each question of a repeat once per repetition, as `repeat-<i>-question` (the draft
keeps what was typed under the same keys). The stored answer of a repeat is a list with
one object per repetition.
"""

from __future__ import annotations

import math
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from forms import build_page_form
from forms.types import FIELD_TYPES, OTHER_TEXT

from ..definitions import evaluation
from ..definitions.expressions import ExpressionError, parse, to_number
from ..definitions.model import Question, Survey, repeat_field
from ..vocabulary import OTHER_CODE, OTHER_SUFFIX


@dataclass(frozen=True)
class Slot:
    """One question's place on a page: its form field, and its repetition if any."""

    question: Question
    name: str
    repeat: str | None = None
    index: int = 0

    @property
    def names(self) -> tuple[str, ...]:
        """The form keys of this slot: its own, and its "other" text's."""
        return (self.name, self.name + OTHER_SUFFIX) if self.question.other else (self.name,)

    @property
    def shown(self) -> Question:
        """The question under the slot's field name, for the page's template."""
        return self.question if self.repeat is None else replace(self.question, name=self.name)


@dataclass
class Walk:
    """The survey as seen from a set of raw answers: what is asked, answered and wrong."""

    answers: dict[str, Any] = field(default_factory=dict)
    # Slot names (and "other" texts) that are asked; a repeat's own name when it is.
    relevant: set[str] = field(default_factory=set)
    errors: dict[str, list[str]] = field(default_factory=dict)
    # The page of each slot with an error.
    error_pages: dict[str, int] = field(default_factory=dict)
    # What each page's form reads: what was typed, else the defaults.
    formdata: dict[int, MultiDict] = field(default_factory=dict)
    # Each page's form, filled and validated; without `validate`, built only when shown.
    forms: dict[int, Any] = field(default_factory=dict)
    # The codes each filtered select offers (asked or not), by slot name.
    options: dict[str, set[str]] = field(default_factory=dict)
    # How many repetitions each repeat has.
    counts: dict[str, int] = field(default_factory=dict)

    def page_is_asked(self, survey: Survey, index: int) -> bool:
        return any(q.name in self.relevant for q in survey.pages[index].questions)

    def first_error_page(self, survey: Survey) -> int | None:
        return min(self.error_pages.values(), default=None)

    def form(self, survey: Survey, index: int, locale: str) -> Any:
        """The form of page `index`, filled with what it reads; built on first use."""
        form = self.forms.get(index)
        if form is None:
            build = build_page_form(survey, index, locale, self.counts)
            form = self.forms[index] = build(formdata=self.formdata[index])
            form.answers = self.answers
        return form


def slots(survey: Survey, index: int, counts: Mapping[str, int]) -> Iterator[Slot]:
    """The slots of page `index`, in the order they are shown."""
    for question in survey.pages[index].questions:
        if question.is_repeat:
            for i in range(counts.get(question.name, 0)):
                for inner in question.questions:
                    yield Slot(inner, repeat_field(question.name, i, inner.name), question.name, i)
        else:
            yield Slot(question, question.name)


def page_field_names(
    survey: Survey, index: int, counts: Mapping[str, int] | None = None
) -> list[str]:
    """The form fields of page `index`: each slot's, and its "other" text's."""
    return [
        name
        for slot in slots(survey, index, counts or {})
        if FIELD_TYPES[slot.question.type].field_class is not None
        for name in slot.names
    ]


def page_posted_names(
    survey: Survey, index: int, counts: Mapping[str, int] | None = None
) -> list[str]:
    """The form keys page `index` may post: its fields but the read-only ones, which are
    shown with their default and never sent."""
    return [
        name
        for slot in slots(survey, index, counts or {})
        if slot.question.is_posted
        for name in slot.names
    ]


def repeat_count(
    question: Question,
    raw: Mapping[str, list[str]],
    answers: Mapping[str, Any],
    context: evaluation.SurveyContext,
) -> int:
    """How many repetitions a repeat has: its `repeat_count` worked out from earlier
    answers, else as many as the respondent has added (one to start with, or min_count)."""
    if question.repeat_count is not None:
        try:
            number = to_number(parse(question.repeat_count).evaluate(answers, None, context))
        except ExpressionError:
            number = 0.0
        count = 0 if math.isnan(number) or math.isinf(number) else int(number)
    else:
        stored = raw.get(question.name) or []
        try:
            count = int(stored[0]) if stored else max(question.min_count, 1)
        except ValueError:
            count = max(question.min_count, 1)
        count = max(count, question.min_count)
    return max(0, min(count, question.max_count))


def _raw_values(
    slot: Slot,
    raw: Mapping[str, list[str]],
    answers: Mapping[str, Any],
    context: evaluation.SurveyContext,
) -> dict[str, list[str]]:
    """What the page's form reads for this slot: what was posted, else (never posted,
    or read-only) its default worked out from the answers of earlier pages."""
    question = slot.question
    if question.default is not None and (question.read_only or slot.name not in raw):
        values = {slot.name: evaluation.default_values(question, answers, context)}
        if question.other:
            values[slot.name + OTHER_SUFFIX] = list(raw.get(slot.name + OTHER_SUFFIX, []))
        return values
    return {name: list(raw.get(name, [])) for name in slot.names}


def walk(survey: Survey, raw: dict[str, list[str]], locale: str, validate: bool) -> Walk:
    """Go through every question in order, as the respondent would.

    A question is asked when its `relevant` is true for the answers before it; answers to
    questions not asked are left out, so later expressions see them as empty. With
    `validate`, every asked question is checked and its messages collected. Inside a
    repeat, `${name}` of a question of the same repeat reads the same repetition.

    Without `validate` no form is built: each answer is read from its raw values as its
    field would read it. Building every page's form on every request, to know what is
    asked, was a third of a page's server time (bench/findings.md).
    """
    result = Walk()
    answers = result.answers
    context = evaluation.SurveyContext(survey, locale)
    for index, page in enumerate(survey.pages):
        for question in page.questions:
            if question.is_repeat:
                result.counts[question.name] = repeat_count(question, raw, answers, context)
        page_slots = list(slots(survey, index, result.counts))
        page_raw = MultiDict(
            [
                (name, value)
                for slot in page_slots
                if FIELD_TYPES[slot.question.type].field_class is not None
                for name, values in _raw_values(slot, raw, answers, context).items()
                for value in values
            ]
        )
        result.formdata[index] = page_raw
        form = result.form(survey, index, locale) if validate else None
        asker = _Asker(result, form, page_raw, survey, locale, context, index)
        for question in page.questions:
            if not question.is_repeat:
                asker.ask(question, question.name, answers, answers)
                continue
            if not question.is_relevant(answers, context):
                continue
            result.relevant.add(question.name)
            repetitions: list[dict[str, Any]] = []
            for i in range(result.counts[question.name]):
                repetition: dict[str, Any] = {}
                scope = ChainMap(repetition, answers)
                for inner in question.questions:
                    asker.ask(inner, repeat_field(question.name, i, inner.name), scope, repetition)
                repetitions.append(repetition)
            answers[question.name] = repetitions
        if form is not None:
            form.answers = answers
    return result


@dataclass
class _Asker:
    """Asks one question of a page, in or out of a repeat."""

    result: Walk
    # The page's form when validating, else None: answers are read from `formdata`.
    form: Any
    formdata: MultiDict
    survey: Survey
    locale: str
    context: evaluation.SurveyContext
    page: int

    def ask(
        self, question: Question, name: str, scope: Mapping[str, Any], store: dict[str, Any]
    ) -> None:
        """Ask `question` in slot `name`, reading earlier answers from `scope` and keeping
        its answer in `store` under the question's own name."""
        result, form = self.result, self.form
        if not question.is_relevant(scope, self.context):
            return
        if question.is_calculated:
            # Worked out here, on every walk, from the answers before it: never shown.
            # In the survey's default language: a stored value must not depend on the
            # language the page was read in (`jr:choice-name`); pages show it piped.
            data_context = evaluation.SurveyContext(self.survey, self.survey.default_language)
            calculated = evaluation.calculate(question, scope, data_context)
            if calculated is not None:
                store[question.name] = calculated
            return
        offered = evaluation.allowed_codes(self.survey, question, scope, self.locale)
        if offered is not None:
            result.options[name] = offered
            if not offered and not question.other:
                return  # a filter that leaves no choice asks nothing
        result.relevant.add(name)
        ftype = FIELD_TYPES[question.type]
        if ftype.field_class is None:
            return
        if form is None:
            value = ftype.read(self.formdata.getlist(name))
        else:
            field_ = form[name]
            form.answers = scope  # what a constraint naming another answer reads
            if not field_.validate(form):
                if question.read_only:
                    # Its default does not fit (a type, a constraint, a filter): the
                    # respondent cannot change it, so it is left unanswered rather than
                    # block the page.
                    field_.errors = []
                    return
                # A required or constraint message may show answers too (`${name}`).
                field_.errors = [
                    evaluation.pipe(str(m), self.survey, scope, self.locale) for m in field_.errors
                ]
                self._error(name, field_.errors)
                return
            value = ftype.to_answer(field_.data) if not field_.process_errors else None
        if value is None:
            return
        if offered is not None and not _within(value, offered):
            # An answer on this page changed the filter: the choice is gone.
            if form is not None and not question.read_only:
                form[name].errors = [_choose_again()]
                self._error(name, form[name].errors)
            return
        store[question.name] = value
        if question.other and _chose_other(value):
            other_name = name + OTHER_SUFFIX
            result.relevant.add(other_name)
            text = OTHER_TEXT.read(self.formdata.getlist(other_name))
            if text:
                store[question.name + OTHER_SUFFIX] = text
            elif form is not None:
                self._error(other_name, [_please_specify()])

    def _error(self, name: str, messages: list[str]) -> None:
        self.result.errors[name] = messages
        self.result.error_pages[name] = self.page


def _chose_other(value: Any) -> bool:
    return value == OTHER_CODE or (isinstance(value, list) and OTHER_CODE in value)


def _please_specify() -> str:
    return _("Please say which other answer you mean.")


def _within(value: Any, offered: set[str]) -> bool:
    codes = value if isinstance(value, list) else [value]
    return all(code in offered or code == OTHER_CODE for code in codes)


def _choose_again() -> str:
    return _("The choices changed with your other answers; please choose again.")


def next_asked_page(survey: Survey, state: Walk, index: int, step: int) -> int | None:
    """The next page (step +1) or previous page (step -1) with a question to ask."""
    index += step
    while 0 <= index < len(survey.pages):
        if state.page_is_asked(survey, index):
            return index
        index += step
    return None


def show_page(survey: Survey, state: Walk, index: int, locale: str) -> Any:
    """The form of page `index` as this respondent sees it: the choices their answers
    leave, and their answers piped into its labels, hints and choices. The form is this
    request's own; the class it was built from is shared and stays as it is."""
    form = state.form(survey, index, locale)
    for slot in slots(survey, index, state.counts):
        if slot.name not in form or slot.name not in state.relevant:
            continue
        answers: Mapping[str, Any] = state.answers
        if slot.repeat is not None:
            repetitions = state.answers.get(slot.repeat) or []
            if slot.index < len(repetitions):
                answers = ChainMap(repetitions[slot.index], state.answers)
        field_ = form[slot.name]
        offered = state.options.get(slot.name)
        if offered is not None:
            field_.choices = [
                c for c in field_.choices if c.value in offered or c.value in ("", OTHER_CODE)
            ]
        if "${" in field_.label.text:
            field_.label.text = evaluation.pipe(field_.label.text, survey, answers, locale)
        if field_.description and "${" in field_.description:
            field_.description = evaluation.pipe(field_.description, survey, answers, locale)
        choices = getattr(field_, "choices", None)
        if choices and any("${" in c.label for c in choices):
            # A render_kw keeps the option out of CachedSelect's process-wide cache, which
            # must never hold a respondent's answers.
            field_.choices = [
                replace(
                    c,
                    label=evaluation.pipe(c.label, survey, answers, locale),
                    render_kw={**c.render_kw, "data-piped": True},
                )
                for c in choices
            ]
    return form
