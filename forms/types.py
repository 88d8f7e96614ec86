"""Question types on a page: each is one small class that knows its WTForms field, its
validators, how form data becomes the stored answer, and how to spot a tampered value.

Which types exist, and what a definition may say about each (a choice list, its default
privacy, whether it is a note or a number), is the definition language's:
`surveys.definitions.question_types`. This module gives each of those types its behaviour
on a page, one class per type, and refuses to load when the two disagree.

Stored answers are JSON: text as str, numbers as int/float, dates as ISO 'YYYY-MM-DD',
select_one as its code, select_multiple as a list of codes, consent as true.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import validators as v
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput, Select, TextInput

from surveys.definitions.model import Question
from surveys.definitions.question_types import QUESTION_TYPES, QuestionType

from .fields import LocaleDateField, LocaleDecimalField, LocaleIntegerField

REQUIRED_MESSAGE = _l("Please answer this question.")


class FieldType:
    """Base of every question type. Subclasses set `name` (one of the language's
    question types) and `field_class` (None for a note, which has no answer)."""

    name: ClassVar[str]
    field_class: ClassVar[type[Field] | None] = None
    # Rendered as a fieldset whose legend is the label (radio buttons, checkboxes).
    grouped: ClassVar[bool] = False
    # Longest raw value a browser can send through this field; more is tampering.
    max_length: ClassVar[int] = 100
    # How many raw values one field may carry in a POST.
    multiple: ClassVar[bool] = False
    # The label follows the input (a tick box), instead of standing above it.
    label_after: ClassVar[bool] = False

    @property
    def question_type(self) -> QuestionType:
        """What the definition language says about this type."""
        return QUESTION_TYPES[self.name]

    def validators(self, question: Question) -> list[Any]:
        if question.required:
            return [v.InputRequired(message=REQUIRED_MESSAGE)]
        return [v.Optional()]

    def field_kwargs(self, question: Question, choices: list[SelectChoice]) -> dict[str, Any]:
        return {"render_kw": {"maxlength": self.max_length}}

    def to_answer(self, data: Any) -> Any:
        """The stored answer for the field's data; None means unanswered."""
        if data is None or data == "":
            return None
        return data

    def read(self, values: list[str]) -> Any:
        """The stored answer for these raw values, as the field would read them, without
        building a form: None when unanswered or unreadable. Walking a survey for its
        relevance reads every page this way; a form is built only to validate or show."""
        return self.to_answer(values[0] if values else None)

    def choice_items(self, field: Any) -> Markup:
        """The items of a grouped field's list of choices (radio buttons, checkboxes)."""
        return choice_items(field)

    def tampering(self, values: list[str], codes: set[str]) -> str | None:
        """Why these raw values cannot come from our own page, or None when they can."""
        if len(values) > 1 and not self.multiple:
            return "a single-answer question received several values"
        if any(len(value) > self.max_length for value in values):
            return f"an answer is longer than {self.max_length} characters"
        return None


class TextType(FieldType):
    name = "text"
    field_class = StringField
    max_length = 500

    def to_answer(self, data: Any) -> Any:
        return (data or "").strip() or None


class LongTextType(TextType):
    name = "long_text"
    field_class = TextAreaField
    max_length = 5000

    def field_kwargs(self, question: Question, choices: list[SelectChoice]) -> dict[str, Any]:
        return {"render_kw": {"maxlength": self.max_length, "rows": 5}}


class EmailType(TextType):
    name = "email"
    field_class = EmailField
    max_length = 254

    def validators(self, question: Question) -> list[Any]:
        # No DNS look-up: respondents on slow links should not wait for a mail server.
        email = v.Email(message=_l("Please enter an email address like name@example.org."))
        return [*super().validators(question), email]

    def field_kwargs(self, question: Question, choices: list[SelectChoice]) -> dict[str, Any]:
        return {"render_kw": {"maxlength": self.max_length, "autocomplete": "email"}}


# Numbers beyond this lose precision in spreadsheets and JSON readers; nobody needs them.
LARGEST_NUMBER = 10**15


def _ordinary_number(form: Any, field: Field) -> None:
    """Refuse NaN, infinities and absurdly large numbers, which JSON and exports cannot hold."""
    value = field.data
    if value is None:
        return
    if isinstance(value, Decimal) and not value.is_finite():
        raise v.StopValidation(_l("Please enter a number."))
    if abs(value) > LARGEST_NUMBER:
        raise v.StopValidation(_l("Please enter a smaller number."))


class _LocaleParsed(FieldType):
    """A number or a date, typed in the respondent's locale."""

    field_class: ClassVar[type[LocaleIntegerField | LocaleDecimalField | LocaleDateField]]

    def read(self, values: list[str]) -> Any:
        try:
            return self.to_answer(self.field_class.read(values))
        except ValueError:
            return None


class IntegerType(_LocaleParsed):
    name = "integer"
    field_class = LocaleIntegerField
    max_length = 30

    def validators(self, question: Question) -> list[Any]:
        return [*super().validators(question), _ordinary_number]

    def field_kwargs(self, question: Question, choices: list[SelectChoice]) -> dict[str, Any]:
        return {"widget": NumberInput(), "render_kw": {"inputmode": "numeric"}}


class DecimalType(_LocaleParsed):
    name = "decimal"
    field_class = LocaleDecimalField
    max_length = 40

    def validators(self, question: Question) -> list[Any]:
        return [*super().validators(question), _ordinary_number]

    def field_kwargs(self, question: Question, choices: list[SelectChoice]) -> dict[str, Any]:
        # A text box, not type=number: browsers refuse a decimal comma in number inputs.
        return {"widget": TextInput(), "render_kw": {"inputmode": "decimal", "maxlength": 40}}

    def to_answer(self, data: Any) -> Any:
        if data is None:
            return None
        if isinstance(data, Decimal):
            if not data.is_finite():
                return None
            return int(data) if data == data.to_integral_value() else float(data)
        return data


class DateType(_LocaleParsed):
    name = "date"
    field_class = LocaleDateField
    max_length = 30

    def field_kwargs(self, question: Question, choices: list[SelectChoice]) -> dict[str, Any]:
        return {}

    def to_answer(self, data: Any) -> Any:
        return data.isoformat() if data else None


class CachedSelect(Select):  # type: ignore[misc]  # WTForms ships no types
    """A drop-down rendered once per process for each field, attributes, choices and
    choice made, then reused; on a miss its <option> tags are reused too.

    The country list has 250 options; escaping and formatting each on every page was a
    fifth of the server's time for that page (bench/results.md), and even listing them
    with the one chosen marked (WTForms' `iter_choices`) took 0.4 ms.
    """

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        return _rendered(
            field, ("select", self.multiple), kwargs, lambda: Select.__call__(self, field, **kwargs)
        )

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw:
            html: Markup = super().render_option(choice, **kwargs)
            return html
        return _option_html(choice.value, choice.label, bool(choice.selected))


@lru_cache(maxsize=4096)
def _option_html(value: str, label: str, selected: bool) -> Markup:
    choice = SelectChoice(value, label)
    choice.selected = selected
    html: Markup = Select.render_option(choice)
    return html


def choice_items(field: Any) -> Markup:
    """The `<li>` of each choice of a radio or checkbox group, as WTForms renders them
    (`option()` and `option.label()`), rendered once per group and choices made.

    Binding and rendering a field per option was a fifth of a page's server time."""
    return _rendered(field, ("items", type(field.option_widget)), {}, lambda: _choice_items(field))


def _choice_items(field: Any) -> Markup:
    return Markup("").join(
        Markup("\n    <li>{} {}</li>").format(option(), option.label()) for option in field
    )


# Markup of choice fields by what it is made of (see `_rendered`); never a respondent's
# words: choices with attributes of their own (piped labels) are not kept.
_RENDERED: dict[tuple[Any, ...], Markup] = {}
_RENDERED_LIMIT = 4096


def _rendered(
    field: Any, kind: tuple[Any, ...], attributes: dict[str, Any], render: Callable[[], Markup]
) -> Markup:
    """`render()`, or what it returned before for the same markup: the same kind of
    field and widget, name, id, attributes and flags, choices (code and label) and data
    (the code or codes chosen, from which WTForms marks the choices)."""
    choices = field.choices or ()
    if any(c.render_kw or c.optgroup is not None for c in choices):
        return render()
    data = field.data
    key = (
        type(field),
        *kind,
        field.name,
        field.id,
        tuple(sorted({**(field.render_kw or {}), **attributes}.items())),
        tuple(sorted(vars(field.flags).items())),
        tuple((c.value, c.label) for c in choices),
        tuple(data) if isinstance(data, list) else data,
    )
    try:
        html = _RENDERED.get(key)
    except TypeError:  # an attribute whose value cannot be a key
        return render()
    if html is None:
        if len(_RENDERED) >= _RENDERED_LIMIT:
            _RENDERED.clear()
        html = _RENDERED[key] = render()
    return html


class SelectOneType(FieldType):
    name = "select_one"
    field_class = RadioField
    grouped = True

    def field_kwargs(self, question: Question, choices: list[SelectChoice]) -> dict[str, Any]:
        # Codes outside the list are caught as tampering before validation.
        kwargs: dict[str, Any] = {"choices": choices, "validate_choice": False}
        if question.appearance == "dropdown":
            kwargs["widget"] = CachedSelect()
        return kwargs

    def tampering(self, values: list[str], codes: set[str]) -> str | None:
        return super().tampering(values, codes) or _unknown_codes(values, codes)


class AtLeastOneChosen(v.InputRequired):  # type: ignore[misc]  # WTForms ships no types
    """Required, without the HTML `required` attribute: on a group of checkboxes the
    browser would take it to mean that every box must be ticked."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message)
        self.field_flags: dict[str, Any] = {}


class SelectMultipleType(FieldType):
    name = "select_multiple"
    field_class = SelectMultipleField
    grouped = True
    multiple = True

    def validators(self, question: Question) -> list[Any]:
        if question.required:
            return [AtLeastOneChosen(message=REQUIRED_MESSAGE)]
        return [v.Optional()]

    def field_kwargs(self, question: Question, choices: list[SelectChoice]) -> dict[str, Any]:
        return {
            "choices": choices,
            "validate_choice": False,
            "widget": ListWidget(prefix_label=False),
            "option_widget": CheckboxInput(),
        }

    def to_answer(self, data: Any) -> Any:
        return list(dict.fromkeys(data)) if data else None

    def read(self, values: list[str]) -> Any:
        return self.to_answer(list(values))

    def tampering(self, values: list[str], codes: set[str]) -> str | None:
        if len(values) != len(set(values)):
            return "a choice was sent twice"
        return super().tampering(values, codes) or _unknown_codes(values, codes)


class ConsentType(FieldType):
    name = "consent"
    field_class = BooleanField
    label_after = True

    def validators(self, question: Question) -> list[Any]:
        if question.required:
            return [v.DataRequired(message=_l("Please tick the box to give your consent."))]
        return []

    def field_kwargs(self, question: Question, choices: list[SelectChoice]) -> dict[str, Any]:
        return {}

    def to_answer(self, data: Any) -> Any:
        return True if data else None

    def read(self, values: list[str]) -> Any:
        return self.to_answer(bool(values) and values[0] not in BooleanField.false_values)


class NoteType(FieldType):
    """Text shown to the respondent; it has no answer."""

    name = "note"
    field_class = None


class CalculateType(FieldType):
    """A value calculated on the server from earlier answers; never shown, never posted."""

    name = "calculate"
    field_class = None


class RepeatType(FieldType):
    """A group asked once per repetition: its questions have the fields, it has none."""

    name = "repeat"
    field_class = None


def _unknown_codes(values: list[str], codes: set[str]) -> str | None:
    unknown = [value for value in values if value not in codes]
    return f"{unknown[0][:40]!r} is not one of the choices" if unknown else None


_BEHAVIOURS: dict[str, type[FieldType]] = {
    t.name: t
    for t in (
        TextType,
        LongTextType,
        IntegerType,
        DecimalType,
        DateType,
        EmailType,
        SelectOneType,
        SelectMultipleType,
        ConsentType,
        NoteType,
        CalculateType,
        RepeatType,
    )
}
if _BEHAVIOURS.keys() != QUESTION_TYPES.keys():
    # A type the language accepts but no page can show (or the reverse) is a programming
    # error: refuse to start rather than fail on the first survey that uses it.
    raise RuntimeError(
        "forms.types and surveys.definitions.question_types name different question types: "
        + ", ".join(sorted(_BEHAVIOURS.keys() ^ QUESTION_TYPES.keys()))
    )
# In the language's order, which is the order its error messages list them in.
FIELD_TYPES: dict[str, FieldType] = {name: _BEHAVIOURS[name]() for name in QUESTION_TYPES}

# The free-text answer that goes with an "other" choice (codes in surveys.vocabulary).
OTHER_TEXT = TextType()


def field_type(name: str) -> FieldType:
    return FIELD_TYPES[name]
