"""Number and date fields that read what people type in their own locale.

A decimal comma (1,5 in pt_BR, es and fr) is accepted, as is the plain 1.5 that phones'
number pads produce everywhere; dates come as ISO from a date picker, or typed the way
the locale writes them. The messages are ours, so they exist in every language we ship.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.dates import parse_date
from babel.numbers import NumberFormatError, parse_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, IntegerField

# WTForms ships no type information: to mypy its classes are Any, and a class extending
# one needs the `type: ignore[misc]` below.


def parse_number(text: str, locale: str) -> Decimal:
    """The number in `text`, written in `locale`'s way or with a plain decimal point."""
    text = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    try:
        return parse_decimal(text, locale=locale, strict=True)
    except (NumberFormatError, ValueError):
        pass
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None


class _LocaleParsing:
    """An empty box means unanswered; anything else is parsed in the request's locale."""

    message: Any

    @classmethod
    def parse(cls, text: str, locale: str) -> Any:
        raise NotImplementedError

    @classmethod
    def read(cls, valuelist: list[str]) -> Any:
        """The value typed (None for an empty box); a ValueError with the field's message
        when it cannot be read. Also what a survey's walk reads without building a form."""
        if not valuelist or not valuelist[0].strip():
            return None
        try:
            return cls.parse(valuelist[0].strip(), str(get_locale() or "en"))
        except (ValueError, InvalidOperation, IndexError):
            raise ValueError(cls.message) from None

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        self.data = self.read(valuelist)


class LocaleIntegerField(_LocaleParsing, IntegerField):  # type: ignore[misc]
    message = _l("Please enter a whole number, like 12.")

    @classmethod
    def parse(cls, text: str, locale: str) -> int:
        number = parse_number(text, locale)
        if number != number.to_integral_value():
            raise ValueError(text)
        return int(number)


class LocaleDecimalField(_LocaleParsing, DecimalField):  # type: ignore[misc]
    message = _l("Please enter a number, like 2.5.")

    @classmethod
    def parse(cls, text: str, locale: str) -> Decimal:
        return parse_number(text, locale)


class LocaleDateField(_LocaleParsing, DateField):  # type: ignore[misc]
    message = _l("Please enter a date, like 2024-03-31.")

    @classmethod
    def parse(cls, text: str, locale: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return parse_date(text, locale=locale)
