"""Build the WTForms class for one page of a survey, in one locale.

The form is built from the survey model (`surveys.definitions.model`), once per content,
page and locale, with field names equal to the question names. CSRF is checked for every
POST by Flask-WTF's CSRFProtect, so the page form itself carries none and can also
re-validate a saved draft.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms import validators as v
from wtforms.fields.choices import SelectChoice

from i18n import collation_key, localized
from surveys.definitions.expressions import parse
from surveys.definitions.model import Question, Survey, repeat_field
from surveys.vocabulary import OTHER_CODE, OTHER_SUFFIX, PREFER_NOT_TO_SAY

from .types import FIELD_TYPES, OTHER_TEXT
from .validators import Constraint


class SurveyPageForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no types
    class Meta:
        csrf = False

    # Answers given so far (earlier questions), read by constraints that name them.
    answers: dict[str, Any] = {}


# Choices by (survey content, list, appearance, other, locale). Every POST checks each
# code of its page against them, and sorting 250 country names by collation key was a
# tenth of a POST's server time. The choices are shared: callers must not change them.
_OPTIONS: dict[tuple[str, str | None, str | None, bool, str], tuple[SelectChoice, ...]] = {}
_OPTIONS_LIMIT = 2000


def choice_options(survey: Survey, question: Question, locale: str) -> list[SelectChoice]:
    """The choices of a select question in `locale`, with "Other" last when it has one.

    A list generated from names (countries, languages) reads in the collation order of
    its names in this language, with "Prefer not to say" first: at the end of 250
    countries nobody would find it. Worked out once per survey content and locale."""
    if not survey.key:
        return _choice_options(survey, question, locale)
    key = (survey.key, question.list_name, question.appearance, bool(question.other), locale)
    options = _OPTIONS.get(key)
    if options is None:
        if len(_OPTIONS) >= _OPTIONS_LIMIT:
            _OPTIONS.clear()
        options = _OPTIONS[key] = tuple(_choice_options(survey, question, locale))
    return list(options)


def _choice_options(survey: Survey, question: Question, locale: str) -> list[SelectChoice]:
    choice_list = survey.choice_list(question)
    options = [
        SelectChoice(choice.code, localized(choice.label, locale, survey.default_language))
        for choice in (choice_list.choices if choice_list else ())
    ]
    if choice_list and choice_list.alphabetical:
        first = [o for o in options if o.value == PREFER_NOT_TO_SAY]
        rest = [o for o in options if o.value != PREFER_NOT_TO_SAY]
        options = first + sorted(rest, key=lambda o: (collation_key(o.label), o.value))
    if question.appearance == "dropdown":
        options.insert(0, SelectChoice("", _("Choose…")))
    if question.other:
        options.append(SelectChoice(OTHER_CODE, _("Other, please specify")))
    return options


# Built form classes by (survey content, page, locale). Every request walks every page
# (relevance can depend on any earlier answer), so building them each time was most of a
# page's server time (bench/results.md). A class holds no request state.
_FORMS: dict[tuple[str, int, str, tuple[int, ...]], type[SurveyPageForm]] = {}
_FORMS_LIMIT = 2000


def build_page_form(
    survey: Survey, page_index: int, locale: str, counts: Mapping[str, int] | None = None
) -> type[SurveyPageForm]:
    """The form class for page `page_index` (0-based) of a survey, in `locale`, with
    `counts[repeat]` repetitions of each repeat on the page (its fields are
    `repeat_field(repeat, i, question)`).

    Built once per content (`survey.key`, its content hash), page, locale and counts, then
    reused.
    """
    repeats = tuple(
        (counts or {}).get(q.name, 0) for q in survey.pages[page_index].questions if q.is_repeat
    )
    if not survey.key:
        # A survey put together by hand, without a content hash: nothing to cache it by.
        return _build(survey, page_index, locale, counts or {})
    cache_key = (survey.key, page_index, locale, repeats)
    form = _FORMS.get(cache_key)
    if form is None:
        if len(_FORMS) >= _FORMS_LIMIT:
            _FORMS.clear()
        form = _FORMS[cache_key] = _build(survey, page_index, locale, counts or {})
    return form


def _build(
    survey: Survey, page_index: int, locale: str, counts: Mapping[str, int]
) -> type[SurveyPageForm]:
    fields: dict[str, Any] = {}
    for question in survey.pages[page_index].questions:
        if question.is_repeat:
            for index in range(counts.get(question.name, 0)):
                for inner in question.questions:
                    _add_fields(
                        fields,
                        survey,
                        inner,
                        locale,
                        repeat_field(question.name, index, inner.name),
                    )
        else:
            _add_fields(fields, survey, question, locale, question.name)
    return type("PageForm", (SurveyPageForm,), fields)


def _add_fields(
    fields: dict[str, Any], survey: Survey, question: Question, locale: str, name: str
) -> None:
    """The field of `question` under `name` (and its "other" text's), when it has one."""
    default = survey.default_language
    ftype = FIELD_TYPES[question.type]
    if ftype.field_class is not None:
        validators = ftype.validators(question)
        required_message = localized(question.required_message, locale, default)
        if required_message:
            for validator in validators:
                if isinstance(validator, v.InputRequired | v.DataRequired):
                    validator.message = required_message
        if question.constraint:
            message = localized(question.constraint_message, locale, default) or _(
                "This answer is not accepted; please check it."
            )
            validators.append(Constraint(parse(question.constraint), message, ftype))
        options = choice_options(survey, question, locale)
        kwargs = ftype.field_kwargs(question, options)
        if question.read_only:
            # Shown with its default; a disabled input is not posted (and a POST that
            # carries it anyway is refused as tampering).
            kwargs["render_kw"] = {**kwargs.get("render_kw", {}), "disabled": True}
        fields[name] = ftype.field_class(
            label=localized(question.label, locale, default),
            description=localized(question.hint, locale, default),
            validators=validators,
            **kwargs,
        )
        if question.other_name:
            fields[name + OTHER_SUFFIX] = StringField(
                label=_("Please specify"),
                validators=[v.Optional()],
                render_kw={"maxlength": OTHER_TEXT.max_length},
            )
