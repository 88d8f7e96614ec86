"""Number and date fields that read what people type in their own locale.

A decimal comma (1,5 in pt_BR, es and fr) is accepted, as is the plain 1.5 that phones'
number pads produce everywhere; dates come as ISO from a date picker, or typed the way
the locale writes them. The messages are ours, so they exist in every language we ship.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.dates import parse_date
from babel.numbers import NumberFormatError, parse_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, IntegerField


def _locale() -> str:
    return str(get_locale() or "en")


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


class LocaleIntegerField(IntegerField):
    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            number = parse_number(valuelist[0], _locale())
            if number != number.to_integral_value():
                raise ValueError(valuelist[0])
            self.data = int(number)
        except (ValueError, InvalidOperation):
            self.data = None
            raise ValueError(_l("Please enter a whole number, like 12.")) from None


class LocaleDecimalField(DecimalField):
    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_number(valuelist[0], _locale())
        except ValueError:
            self.data = None
            raise ValueError(_l("Please enter a number, like 2.5.")) from None


class LocaleDateField(DateField):
    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        try:
            from datetime import date

            self.data = date.fromisoformat(text)
            return
        except ValueError:
            pass
        try:
            self.data = parse_date(text, locale=_locale())
        except (ValueError, IndexError):
            self.data = None
            raise ValueError(_l("Please enter a date, like 2024-03-31.")) from None
