"""Build the WTForms class for one page of a survey, in one locale.

The form is built per request from the stored definition, with field names equal to the
question names. CSRF is checked for every POST by Flask-WTF's CSRFProtect, so the page
form itself carries none and can also re-validate a saved draft.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms import validators as v
from wtforms.fields.choices import SelectChoice

from i18n import collation_key, localized
from surveys.definitions.expressions import parse
from surveys.vocabulary import OTHER_CODE, OTHER_SUFFIX, PREFER_NOT_TO_SAY

from .types import FIELD_TYPES, OTHER_TEXT
from .validators import Constraint


class SurveyPageForm(FlaskForm):
    class Meta:
        csrf = False

    # Answers given so far (earlier questions), read by constraints that name them.
    answers: dict[str, Any] = {}


def choice_options(definition: dict, question: dict, locale: str) -> list[SelectChoice]:
    """The choices of a select question in `locale`, with "Other" last when it has one."""
    default = definition["default_language"]
    options = [
        SelectChoice(choice["code"], localized(choice["label"], locale, default))
        for choice in definition["choices"].get(question["list"] or "", [])
    ]
    if question["list"] in definition.get("sorted_lists", ()):
        # Long generated lists (countries) read in alphabetical order of this language;
        # "Prefer not to say" stays last.
        last = [o for o in options if o.value == PREFER_NOT_TO_SAY]
        rest = [o for o in options if o.value != PREFER_NOT_TO_SAY]
        options = sorted(rest, key=lambda o: collation_key(o.label)) + last
    if question.get("appearance") == "dropdown":
        options.insert(0, SelectChoice("", _("Choose…")))
    if question["other"]:
        options.append(SelectChoice(OTHER_CODE, _("Other, please specify")))
    return options


# Built form classes by (definition content, page, locale). Every request walks every
# page (relevance can depend on any earlier answer), so building them each time was most
# of a page's server time (bench/results.md). A class holds no request state.
_FORMS: dict[tuple[str, int, str], type[SurveyPageForm]] = {}
_FORMS_LIMIT = 2000


def fingerprint(definition: dict) -> str:
    """A digest of the definition's content: equal content, equal forms."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def build_page_form(
    definition: dict, page_index: int, locale: str, key: str | None = None
) -> type[SurveyPageForm]:
    """The form class for page `page_index` (0-based) of a normalised definition.

    With `key` (the definition's `fingerprint`, computed once by the caller), the class is
    built once per page and locale and then reused.
    """
    if key is None:
        return _build(definition, page_index, locale)
    cache_key = (key, page_index, locale)
    form = _FORMS.get(cache_key)
    if form is None:
        if len(_FORMS) >= _FORMS_LIMIT:
            _FORMS.clear()
        form = _FORMS[cache_key] = _build(definition, page_index, locale)
    return form


def _build(definition: dict, page_index: int, locale: str) -> type[SurveyPageForm]:
    default = definition["default_language"]
    fields: dict[str, Any] = {}
    for question in definition["pages"][page_index]["questions"]:
        ftype = FIELD_TYPES[question["type"]]
        if ftype.field_class is None:
            continue
        validators = ftype.validators(question)
        if question["constraint"]:
            message = localized(question["constraint_message"], locale, default) or _(
                "This answer is not accepted; please check it."
            )
            validators.append(Constraint(parse(question["constraint"]), message, ftype))
        options = choice_options(definition, question, locale)
        fields[question["name"]] = ftype.field_class(
            label=localized(question["label"], locale, default),
            description=localized(question["hint"], locale, default),
            validators=validators,
            **ftype.field_kwargs(question, options),
        )
        if question["other"]:
            fields[question["name"] + OTHER_SUFFIX] = StringField(
                label=_("Please specify"),
                validators=[v.Optional()],
                render_kw={"maxlength": OTHER_TEXT.max_length},
            )
    return type("PageForm", (SurveyPageForm,), fields)
