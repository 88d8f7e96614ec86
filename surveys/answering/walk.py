"""Walking a survey from a set of raw answers: which questions are asked (relevance),
which are answered and which are wrong, and which page comes next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from forms import build_page_form
from forms.types import FIELD_TYPES, OTHER_TEXT

from ..definitions.model import Survey
from ..vocabulary import OTHER_CODE


@dataclass
class Walk:
    """The survey as seen from a set of raw answers: what is asked, answered and wrong."""

    answers: dict[str, Any] = field(default_factory=dict)
    relevant: set[str] = field(default_factory=set)
    errors: dict[str, list[str]] = field(default_factory=dict)
    forms: dict[int, Any] = field(default_factory=dict)

    def page_is_asked(self, survey: Survey, index: int) -> bool:
        return any(q.name in self.relevant for q in survey.pages[index].questions)

    def first_error_page(self, survey: Survey) -> int | None:
        for index, page in enumerate(survey.pages):
            if any(set(q.names) & self.errors.keys() for q in page.questions):
                return index
        return None


def page_field_names(survey: Survey, index: int) -> list[str]:
    """The form keys page `index` may post: each question's, and its "other" text's."""
    return [
        name
        for question in survey.pages[index].questions
        if FIELD_TYPES[question.type].field_class is not None
        for name in question.names
    ]


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
    for index, page in enumerate(survey.pages):
        page_raw = MultiDict(
            [
                (name, value)
                for name in page_field_names(survey, index)
                for value in raw.get(name, [])
            ]
        )
        form = build_page_form(survey, index, locale)(formdata=page_raw)
        form.answers = answers
        result.forms[index] = form
        for question in page.questions:
            if not question.is_relevant(answers):
                continue
            name = question.name
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


def next_asked_page(survey: Survey, state: Walk, index: int, step: int) -> int | None:
    """The next page (step +1) or previous page (step -1) with a question to ask."""
    index += step
    while 0 <= index < len(survey.pages):
        if state.page_is_asked(survey, index):
            return index
        index += step
    return None
