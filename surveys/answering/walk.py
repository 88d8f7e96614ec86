"""Walking a survey from a set of raw answers: which questions are asked (relevance, a
choice filter that leaves no choice), which are answered and which are wrong, what each
calculation is worth and which page comes next; and the page as this respondent sees it
(their answers piped into its texts, the choices their answers leave)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from forms import build_page_form
from forms.types import FIELD_TYPES, OTHER_TEXT

from ..definitions import evaluation
from ..definitions.model import Question, Survey
from ..vocabulary import OTHER_CODE


@dataclass
class Walk:
    """The survey as seen from a set of raw answers: what is asked, answered and wrong."""

    answers: dict[str, Any] = field(default_factory=dict)
    relevant: set[str] = field(default_factory=set)
    errors: dict[str, list[str]] = field(default_factory=dict)
    forms: dict[int, Any] = field(default_factory=dict)
    # The codes each filtered select offers (asked or not), by question name.
    options: dict[str, set[str]] = field(default_factory=dict)

    def page_is_asked(self, survey: Survey, index: int) -> bool:
        return any(q.name in self.relevant for q in survey.pages[index].questions)

    def first_error_page(self, survey: Survey) -> int | None:
        for index, page in enumerate(survey.pages):
            if any(set(q.names) & self.errors.keys() for q in page.questions):
                return index
        return None


def page_field_names(survey: Survey, index: int) -> list[str]:
    """The form fields of page `index`: each question's, and its "other" text's."""
    return [
        name
        for question in survey.pages[index].questions
        if FIELD_TYPES[question.type].field_class is not None
        for name in question.names
    ]


def page_posted_names(survey: Survey, index: int) -> list[str]:
    """The form keys page `index` may post: its fields but the read-only ones, which are
    shown with their default and never sent."""
    return [
        name
        for question in survey.pages[index].questions
        if question.is_posted
        for name in question.names
    ]


def _raw_values(
    question: Question,
    raw: dict[str, list[str]],
    answers: dict[str, Any],
    context: evaluation.SurveyContext,
) -> dict[str, list[str]]:
    """What the page's form reads for this question: what was posted, else (never posted,
    or read-only) its default worked out from the answers of earlier pages."""
    if question.default is not None and (question.read_only or question.name not in raw):
        values = {question.name: evaluation.default_values(question, answers, context)}
        if question.other_name:
            values[question.other_name] = raw.get(question.other_name, [])
        return values
    return {name: raw.get(name, []) for name in question.names}


def _chose_other(value: Any) -> bool:
    return value == OTHER_CODE or (isinstance(value, list) and OTHER_CODE in value)


def walk(survey: Survey, raw: dict[str, list[str]], locale: str, validate: bool) -> Walk:
    """Go through every question in order, as the respondent would.

    A question is asked when its `relevant` is true for the answers before it; answers to
    questions not asked are left out, so later expressions see them as empty. With
    `validate`, every asked question is checked and its messages collected.
    """
    result = Walk()
    answers = result.answers
    context = evaluation.SurveyContext(survey, locale)
    for index, page in enumerate(survey.pages):
        page_raw = MultiDict(
            [
                (name, value)
                for question in page.questions
                if FIELD_TYPES[question.type].field_class is not None
                for name, values in _raw_values(question, raw, answers, context).items()
                for value in values
            ]
        )
        form = build_page_form(survey, index, locale)(formdata=page_raw)
        form.answers = answers
        result.forms[index] = form
        for question in page.questions:
            if not question.is_relevant(answers, context):
                continue
            name = question.name
            if question.is_calculated:
                # Worked out here, on every walk, from the answers before it: never shown.
                calculated = evaluation.calculate(question, answers, context)
                if calculated is not None:
                    answers[name] = calculated
                continue
            offered = evaluation.allowed_codes(survey, question, answers, locale)
            if offered is not None:
                result.options[name] = offered
                if not offered and not question.other:
                    continue  # a filter that leaves no choice asks nothing
            result.relevant.add(name)
            ftype = FIELD_TYPES[question.type]
            if ftype.field_class is None:
                continue
            field_ = form[name]
            if validate and not field_.validate(form):
                result.errors[name] = list(field_.errors)
                continue
            value = ftype.to_answer(field_.data) if not field_.process_errors else None
            if value is None:
                continue
            if offered is not None and not _within(value, offered):
                # An answer on this page changed the filter: the choice is gone.
                if validate:
                    result.errors[name] = field_.errors = [_choose_again()]
                continue
            answers[name] = value
            if question.other_name and _chose_other(value):
                other_name = question.other_name
                result.relevant.add(other_name)
                text = OTHER_TEXT.to_answer(form[other_name].data)
                if text:
                    answers[other_name] = text
                elif validate:
                    result.errors[other_name] = [_please_specify()]
    return result


def _please_specify() -> str:
    return _("Please say which other answer you mean.")


def _within(value: Any, offered: set[str]) -> bool:
    codes = value if isinstance(value, list) else [value]
    return all(code in offered or code == OTHER_CODE for code in codes)


def _choose_again() -> str:
    return _("The choices changed with your other answers; please choose again.")


def show_page(survey: Survey, state: Walk, index: int, locale: str) -> Any:
    """The form of page `index` as this respondent sees it: the choices their answers
    leave, and their answers piped into its labels, hints and choices. The form is this
    request's own; the class it was built from is shared and stays as it is."""
    form = state.forms[index]
    for question in survey.pages[index].questions:
        if question.name not in form or question.name not in state.relevant:
            continue
        field_ = form[question.name]
        offered = state.options.get(question.name)
        if offered is not None:
            field_.choices = [
                c for c in field_.choices if c.value in offered or c.value in ("", OTHER_CODE)
            ]
        if "${" in field_.label.text:
            field_.label.text = evaluation.pipe(field_.label.text, survey, state.answers, locale)
        if field_.description and "${" in field_.description:
            field_.description = evaluation.pipe(field_.description, survey, state.answers, locale)
        choices = getattr(field_, "choices", None)
        if choices and any("${" in c.label for c in choices):
            field_.choices = [
                replace(c, label=evaluation.pipe(c.label, survey, state.answers, locale))
                for c in choices
            ]
    return form


def next_asked_page(survey: Survey, state: Walk, index: int, step: int) -> int | None:
    """The next page (step +1) or previous page (step -1) with a question to ask."""
    index += step
    while 0 <= index < len(survey.pages):
        if state.page_is_asked(survey, index):
            return index
        index += step
    return None
