"""A response's answers as a reader sees them: each page's questions, worded in the
reader's language, with choice labels instead of codes and a repeat as its list of entries.

Read from the survey version the response pinned (`surveys/definitions/model.py`), so an
answer to an older version is worded as that version asked it. Only answers: a note, a
question left unanswered and the person behind the response are not shown.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from i18n import localized

from ..audit_log import audit
from ..definitions.evaluation import pipe
from ..definitions.model import Question, Survey
from ..vocabulary import OTHER_CODE
from .listing import ResponseRow, readable_response


@dataclass(frozen=True)
class Answer:
    """One question and its answer: `values` the answer as lines of text (one per choice
    of a select_multiple), `entries` a repeat's entries, each a list of answers."""

    name: str
    label: str
    values: list[str] = field(default_factory=list)
    entries: list[list[Answer]] = field(default_factory=list)
    repeat: bool = False


@dataclass(frozen=True)
class AnsweredPage:
    title: str
    answers: list[Answer]


@dataclass(frozen=True)
class ShownResponse:
    row: ResponseRow
    survey_title: str
    pages: list[AnsweredPage]


def show_response(survey_id: str, response_id: int, lang: str) -> ShownResponse | None:
    """The response's answers worded in `lang`, and the viewing audited (the caller
    commits); None when the response may not be read (no such response, or its person
    withdrew their consent), which is not audited: nothing was shown."""
    found = readable_response(survey_id, response_id)
    if found is None:
        return None
    response, row = found
    survey = response.survey_version.survey
    audit("response viewed", survey=survey_id, response=response.id)
    return ShownResponse(
        row=row,
        survey_title=localized(survey.title, lang, survey.default_language),
        pages=answered_pages(survey, response.answers, lang),
    )


def answered_pages(survey: Survey, answers: Mapping[str, Any], lang: str) -> list[AnsweredPage]:
    """Each page with at least one answer, its answered questions in the survey's order."""
    pages = []
    for page in survey.pages:
        shown = [
            answer
            for question in page.questions
            if (answer := _answer(survey, question, answers, answers, lang)) is not None
        ]
        if shown:
            title = localized(page.title, lang, survey.default_language)
            pages.append(AnsweredPage(title, shown))
    return pages


def _answer(
    survey: Survey,
    question: Question,
    values: Mapping[str, Any],
    scope: Mapping[str, Any],
    lang: str,
) -> Answer | None:
    """A question's answer, from `values` (the response's, or a repeat entry's); `scope`
    is every answer its label may pipe in (`${name}`), as the respondent read it."""
    if question.type == "note":
        return None
    value = values.get(question.name)
    written = localized(question.label, lang, survey.default_language)
    label = pipe(written, survey, scope, lang) if written else question.name
    if question.is_repeat:
        if not isinstance(value, list) or not value:
            return None
        entries = []
        for entry in value:
            if not isinstance(entry, Mapping):
                continue
            inner_scope = ChainMap(dict(entry), dict(scope))
            entries.append(
                [
                    shown
                    for inner in question.questions
                    if (shown := _answer(survey, inner, entry, inner_scope, lang)) is not None
                ]
            )
        return Answer(question.name, label, entries=entries, repeat=True)
    if value is None or value == "" or value == []:
        return None
    return Answer(question.name, label, values=_worded(survey, question, value, values, lang))


def _worded(
    survey: Survey, question: Question, value: Any, answers: Mapping[str, Any], lang: str
) -> list[str]:
    """The answer as text: choice labels for codes, numbers and dates in `lang`'s manner."""
    choice_list = survey.choice_list(question)
    if choice_list is not None:
        labels = {
            c.code: localized(c.label, lang, survey.default_language) for c in choice_list.choices
        }
        other = answers.get(question.other_name) if question.other_name else None
        codes = value if isinstance(value, list) else [value]
        return [_choice(str(code), labels, other) for code in codes]
    if question.type == "consent":
        return [_("Consent given") if value is True else str(value)]
    if isinstance(value, bool):
        return [_("Yes") if value else _("No")]
    if isinstance(value, int | float):
        return [format_decimal(value)]
    if question.type == "date" and isinstance(value, str):
        try:
            return [format_date(date.fromisoformat(value), format="long")]
        except ValueError:
            return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def _choice(code: str, labels: Mapping[str, str], other: Any) -> str:
    if code == OTHER_CODE and code not in labels:
        written = str(other).strip() if other else ""
        return _("Other: %(text)s", text=written) if written else _("Other")
    # A code this version does not list (never expected): shown as stored, not dropped.
    return labels.get(code) or code
