"""The survey's expressions evaluated over a respondent's answers: calculations, defaults,
choice filters and answers piped into texts.

Pure, like the model: given a survey, the answers so far and the page's language, these
say what a calculation is worth, what a question starts with, which choices a select
offers and how a label reads. The answering flow calls them while it walks the pages;
nothing here knows of forms, requests or the database.

Every expression was checked by the validator when the version was published. One that
still fails on these answers (a division that makes no number, a date that is not one)
counts as no value: the question is left unanswered rather than the page refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from i18n import localized

from .expressions import Expression, ExpressionError, parse, to_answer, to_text
from .model import Choice, Question, Survey

# `${name}` in a label, hint or choice label: the answer to `name`, shown in its place.
PIPED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


@dataclass(frozen=True)
class SurveyContext:
    """What an expression may read besides the answers: the labels of choice codes in the
    page's language (`jr:choice-name`)."""

    survey: Survey
    locale: str

    def choice_label(self, question: str, code: str) -> str:
        if not self.survey.has_question(question):
            return code
        choice_list = self.survey.choice_list(self.survey.question(question))
        for choice in choice_list.choices if choice_list else ():
            if choice.code == code:
                return localized(choice.label, self.locale, self.survey.default_language)
        return code

    def column(self, name: str) -> object:
        return ""


@dataclass(frozen=True)
class ChoiceContext(SurveyContext):
    """A choice being tested by a `choice_filter`: its bare names are its columns, and
    `name` is its code (as in XLSForm's choices sheet)."""

    choice: Choice | None = None

    def column(self, name: str) -> object:
        if self.choice is None:
            return ""
        if name == "name":
            return self.choice.code
        return self.choice.filter.get(name, "")


def calculate(question: Question, answers: Mapping[str, Any], context: SurveyContext) -> Any:
    """The value of a `calculate` question, as stored with the answers; None for none."""
    assert question.calculation is not None, "only calculate questions have a calculation"
    try:
        value = to_answer(parse(question.calculation).evaluate(answers, None, context))
    except ExpressionError:
        return None
    if isinstance(value, list):
        # A calculation's value is one value, as in XLSForm: several codes as "a b".
        value = " ".join(value)
    return None if value == "" or value is None else value


def default_values(
    question: Question, answers: Mapping[str, Any], context: SurveyContext
) -> list[str]:
    """The question's default as the values a page would post ([] for none): what the
    page shows before the respondent answers, and what a read-only question keeps."""
    if question.default is None:
        return []
    if question.default_is_expression:
        try:
            value = to_answer(parse(question.default).evaluate(answers, None, context))
        except ExpressionError:
            return []
        if isinstance(value, list):
            return [to_text(v) for v in value]
        text = to_text(value)
    else:
        text = question.default
    if question.type == "select_multiple":
        return text.split()
    return [text] if text != "" else []


def allowed_codes(
    survey: Survey, question: Question, answers: Mapping[str, Any], locale: str
) -> set[str] | None:
    """The codes a filtered select offers given these answers; None when it has no
    `choice_filter` (every code of its list is offered)."""
    choice_list = survey.choice_list(question)
    if question.choice_filter is None or choice_list is None:
        return None
    expression = parse(question.choice_filter)
    key = _filter_key(survey, question, expression, answers, locale)
    known = _FILTERED.get(key) if key is not None else None
    if known is not None:
        return set(known)
    kept = set()
    for choice in choice_list.choices:
        context = ChoiceContext(survey, locale, choice)
        try:
            if expression.is_true(answers, None, context):
                kept.add(choice.code)
        except ExpressionError:
            continue
    if key is not None:
        if len(_FILTERED) >= _FILTERED_LIMIT:
            _FILTERED.clear()
        _FILTERED[key] = frozenset(kept)
    return kept


# Filtered codes by (survey content, question, language, digest of the answers the filter
# reads): a page is walked twice per POST, and a long list is tested choice by choice.
# A digest, not the answers: this process-wide cache must not hold what people typed.
_FILTERED: dict[tuple[str, str, str, str], frozenset[str]] = {}
_FILTERED_LIMIT = 4096


def _filter_key(
    survey: Survey,
    question: Question,
    expression: Expression,
    answers: Mapping[str, Any],
    locale: str,
) -> tuple[str, str, str, str] | None:
    if not survey.key or "today(" in expression.source:
        return None  # nothing to name the content by, or a result that changes by itself
    read = [answers.get(name) for name in expression.references]
    digest = hashlib.sha256(json.dumps(read, sort_keys=True, default=str).encode()).hexdigest()
    return survey.key, question.name, locale, digest


def pipe(text: str, survey: Survey, answers: Mapping[str, Any], locale: str) -> str:
    """`text` with each `${name}` replaced by the answer to `name` as the respondent would
    read it: a code as its label in `locale`, a date in the locale's way, several codes
    joined by commas; '' for a question not answered. Plain text, escaped where shown."""
    if "${" not in text:
        return text
    context = SurveyContext(survey, locale)

    def shown(match: re.Match[str]) -> str:
        return answer_text(match.group(1), survey, answers, context)

    return PIPED.sub(shown, text)


def answer_text(
    name: str, survey: Survey, answers: Mapping[str, Any], context: SurveyContext
) -> str:
    """One answer as text for a reader: labels for codes, a localised date."""
    value = answers.get(name)
    if value is None or value == "":
        return ""
    question = survey.question(name) if survey.has_question(name) else None
    if question is not None and question.list_name:
        codes = value if isinstance(value, list) else [value]
        return ", ".join(context.choice_label(name, to_text(code)) for code in codes)
    if question is not None and question.type == "date" and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value), "medium", locale=context.locale)
        except ValueError:
            return value
    return to_text(value)
