"""The functions of the expression language, and the conversions between values that they
share with its operators.

Split from `expressions.py`, which keeps the grammar, the nodes and the compiler, because
the function library is most of the language's code and grows on its own: each function is
a small Python function of already evaluated values. The conversions live here too, since
they are XPath's own string(), number() and boolean() and every function uses them.

Values follow XLSForm: an unanswered question is '', a select_multiple answer is a list of
codes, and a number that is not one (NaN: from '' or text) or is infinite (from a division
by zero) reads as '' when it is shown or stored. Functions never raise anything but
`ExpressionError`: a value they cannot use gives '' or NaN, as in XPath.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import regex

# Seconds one regex() may take. Real patterns on an answer take microseconds; a pattern that
# backtracks exponentially would take minutes, and its answer is refused instead.
REGEX_TIMEOUT = 0.1
# The longest text a function may build: concat() of answers cannot grow without bound.
MAX_TEXT = 10_000
# round() keeps at most this many places either side of the point: more means nothing to a
# float, and a bound keeps the decimal arithmetic small whatever a definition asks for.
MAX_PLACES = 15
# Whole numbers up to here are ints (stored and shown without ".0"); above it a float's
# digits are no longer exact, and int() of it would show invented ones.
_EXACT = 2.0**53
_EPOCH = datetime.date(1970, 1, 1)


class ExpressionError(Exception):
    """An expression that cannot be parsed or evaluated; the message says why."""


def _today() -> datetime.date:
    """The server's date: the one place today() reads the clock, so a test can fix it."""
    return datetime.date.today()


# --- conversions --------------------------------------------------------------------


def to_number(value: object) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # an int beyond any float
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return math.nan
    return math.nan


def to_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer():
            return str(int(value))
    if isinstance(value, list | tuple):
        return " ".join(to_text(v) for v in value)
    return str(value)


def to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, list | tuple):
        return len(value) > 0
    return to_text(value) != ""


def number_result(value: float) -> int | float:
    """A computed number as authors expect to see it: 3, not 3.0."""
    if math.isfinite(value) and value.is_integer() and abs(value) <= _EXACT:
        return int(value)
    return value


def codes(value: object) -> list[str]:
    """The codes of a select answer: a list as stored, or text separated by spaces."""
    if isinstance(value, list | tuple):
        return [to_text(v) for v in value]
    return to_text(value).split()


def is_empty(value: object) -> bool:
    """What coalesce() skips: '', an unanswered question, NaN, no codes."""
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, list | tuple):
        return len(value) == 0
    return value is None or value == ""


def _too_long() -> ExpressionError:
    return ExpressionError(f"the result is longer than {MAX_TEXT} characters")


def bounded(text: str) -> str:
    """A text a function built, refused when it is longer than MAX_TEXT."""
    if len(text) > MAX_TEXT:
        raise _too_long()
    return text


def _items(values: tuple[object, ...]) -> list[object]:
    """The arguments with lists spread out: min(), max(), join() take a select's codes."""
    items: list[object] = []
    for value in values:
        items.extend(value if isinstance(value, list | tuple) else [value])
    return items


# --- text ---------------------------------------------------------------------------


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> regex.Pattern[str]:
    import regex  # on first use: most commands and pages never match a pattern

    try:
        # VERSION0: the syntax and meaning of Python's `re`, which definitions are written in.
        return regex.compile(pattern, regex.VERSION0)
    except regex.error as error:
        raise ExpressionError(f"regex pattern {pattern!r} is not valid: {error}") from None


def _regex(value: object, pattern: object) -> bool:
    compiled = compile_pattern(to_text(pattern))
    try:
        return compiled.search(to_text(value), timeout=REGEX_TIMEOUT) is not None
    except TimeoutError:
        raise ExpressionError(
            f"regex pattern {compiled.pattern!r} took too long on this answer"
        ) from None


def _concat(*values: object) -> str:
    parts: list[str] = []
    length = 0
    for value in values:
        parts.append(to_text(value))
        length += len(parts[-1])
        if length > MAX_TEXT:  # before joining: many long answers never make one huge text
            raise _too_long()
    return "".join(parts)


def _join(separator: object, *values: object) -> str:
    return bounded(to_text(separator).join(to_text(v) for v in _items(values)))


def _index(value: object, length: int) -> int:
    """A position for substr(): whole, and within reach of the text (NaN is 0, as in
    JavaRosa)."""
    number = to_number(value)
    if math.isnan(number):
        return 0
    return int(max(-length - 1, min(length + 1, number)))


def _substr(value: object, start: object, end: object = None) -> str:
    # JavaRosa's substr: 0-based, end excluded, a negative position counts from the end.
    text = to_text(value)
    length = len(text)
    first = _index(start, length)
    last = length if end is None else _index(end, length)
    if first < 0:
        first += length
    if last < 0:
        last += length
    first = min(max(0, first), length)
    last = min(max(0, last), length)
    return bounded(text[first:last])


def _before(value: object, target: object) -> str:
    text, sought = to_text(value), to_text(target)
    position = text.find(sought)
    return text[:position] if position >= 0 else ""


def _after(value: object, target: object) -> str:
    text, sought = to_text(value), to_text(target)
    position = text.find(sought)
    return text[position + len(sought) :] if position >= 0 else ""


def _translate(value: object, source: object, target: object) -> str:
    # XPath: each character of `source` becomes the one at its place in `target`, or goes
    # when `target` is shorter; the first occurrence in `source` decides.
    mapping: dict[int, int | None] = {}
    replacements = to_text(target)
    for i, char in enumerate(to_text(source)):
        mapping.setdefault(ord(char), ord(replacements[i]) if i < len(replacements) else None)
    return bounded(to_text(value).translate(mapping))


def _selected_at(value: object, index: object) -> str:
    chosen = codes(value)
    position = to_number(index)
    # int() truncates towards zero, as JavaRosa does: -0.5 is 0. NaN compares false.
    if not -1 < position < len(chosen):
        return ""
    return chosen[int(position)]


# --- numbers ------------------------------------------------------------------------


def _int(value: object) -> int | float:
    number = to_number(value)
    return number_result(float(math.trunc(number))) if math.isfinite(number) else number


def _whole(method: Callable[[float], int]) -> Callable[[object], int | float]:
    """floor() and ceiling(): NaN and the infinities stay as they are."""

    def whole(value: object) -> int | float:
        number = to_number(value)
        return number_result(float(method(number))) if math.isfinite(number) else number

    return whole


def _round(value: object, places: object = 0) -> int | float:
    number = to_number(value)
    digits = to_number(places)
    if not math.isfinite(number):
        return number
    if math.isnan(digits):  # as in JavaRosa, where NaN becomes the int 0
        digits = 0.0
    kept = int(max(-MAX_PLACES, min(MAX_PLACES, digits)))  # round(x, 1000) stays cheap
    # Decimal arithmetic on the shortest text of the float, so 1.005 rounds to 1.01 as an
    # author reading "1.005" expects. ROUND_HALF_UP is half away from zero: round(-2.5) is
    # -3, as in Enketo (Collect gives -2: XPath's half towards +infinity).
    with localcontext() as context:
        context.prec = 400  # room for any float's digits to 15 places: never InvalidOperation
        rounded = Decimal(repr(number)).quantize(Decimal(1).scaleb(-kept), ROUND_HALF_UP)
    return number_result(float(rounded))


def _numbers(values: tuple[object, ...]) -> list[float]:
    """The numbers among the values (lists spread out); what is not one is skipped, as
    Collect does in min(), max() and sum()."""
    numbers = (to_number(item) for item in _items(values))
    return [n for n in numbers if not math.isnan(n)]


def _min(*values: object) -> int | float:
    numbers = _numbers(values)
    return number_result(min(numbers)) if numbers else math.nan


def _max(*values: object) -> int | float:
    numbers = _numbers(values)
    return number_result(max(numbers)) if numbers else math.nan


def _sum(value: object) -> int | float:
    return number_result(math.fsum(_numbers((value,))))


# --- dates --------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?\s*")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]  # date.weekday() order


def _as_date(value: object) -> datetime.date | None:
    """A date from ISO text (a time after it is ignored), a date, or a number of days since
    1970-01-01; None for anything else, '' included."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = to_number(value)
        # A bound first keeps timedelta() from overflowing; dates past 9999 still do.
        if not math.isfinite(number) or abs(number) > 3_000_000:
            return None
        try:
            return _EPOCH + datetime.timedelta(days=math.floor(number))
        except OverflowError:
            return None
    if isinstance(value, str):
        match = _ISO_DATE.fullmatch(value)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:  # 2024-02-30
                return None
    return None


def _date(value: object) -> str:
    day = _as_date(value)
    return day.isoformat() if day else ""


def _decimal_date_time(value: object) -> int | float:
    """Days since 1970-01-01 (UTC), with the time of day as a fraction."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_result(to_number(value))  # already days, as in JavaRosa
    text = to_text(value).strip()
    day = _as_date(text)
    if day is None:
        return math.nan
    days = (day - _EPOCH).days
    if len(text) <= 10:
        return days
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return math.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    return number_result((moment - epoch).total_seconds() / 86400)


def _format_date(value: object, format_: object) -> str:
    day = _as_date(value)
    if day is None:
        return ""
    fields = {
        "Y": f"{day.year:04d}",
        "y": f"{day.year % 100:02d}",
        "m": f"{day.month:02d}",
        "n": str(day.month),
        "b": _MONTHS[day.month - 1],
        "d": f"{day.day:02d}",
        "e": str(day.day),
        "a": _WEEKDAYS[day.weekday()],
        "%": "%",
    }
    # An unknown code is kept as written, so a typo shows in the result.
    return bounded(
        re.sub(r"%(.)", lambda m: fields.get(m.group(1), m.group(0)), to_text(format_), flags=re.S)
    )


# --- the registry -------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    """How many arguments a function takes, and what it does with their values."""

    minimum: int
    maximum: int | None  # None: any number
    # None for the functions compiled into nodes of their own (expressions.py): if() and
    # coalesce() leave an argument unevaluated, jr:choice-name() reads the context.
    implementation: Callable[..., object] | None

    def arity(self) -> str:
        if self.maximum is None:
            return f"at least {self.minimum} argument{'s' if self.minimum != 1 else ''}"
        if self.minimum == self.maximum == 0:
            return "no arguments"
        if self.minimum == self.maximum:
            return f"{self.minimum} argument{'s' if self.minimum != 1 else ''}"
        return f"{self.minimum} or {self.maximum} arguments"


def _fixed(count: int, implementation: Callable[..., object] | None) -> Function:
    return Function(count, count, implementation)


FUNCTIONS: dict[str, Function] = {
    # logic
    "not": _fixed(1, lambda v: not to_bool(v)),
    "if": _fixed(3, None),
    "coalesce": _fixed(2, None),
    "true": _fixed(0, lambda: True),
    "false": _fixed(0, lambda: False),
    "boolean": _fixed(1, to_bool),
    "boolean-from-string": _fixed(1, lambda v: to_text(v).lower() in ("true", "1")),
    "once": _fixed(1, lambda v: v),  # the server computes a value once anyway
    # select questions
    "selected": _fixed(2, lambda v, code: to_text(code) in codes(v)),
    "count-selected": _fixed(1, lambda v: len(codes(v))),
    "selected-at": _fixed(2, _selected_at),
    "jr:choice-name": _fixed(2, None),
    # text
    "string": _fixed(1, lambda v: bounded(to_text(v))),
    "string-length": Function(0, 1, lambda v: len(to_text(v))),  # no argument: `.`
    "concat": Function(0, None, _concat),
    "join": Function(1, None, _join),
    "contains": _fixed(2, lambda a, b: to_text(b) in to_text(a)),
    "starts-with": _fixed(2, lambda a, b: to_text(a).startswith(to_text(b))),
    "ends-with": _fixed(2, lambda a, b: to_text(a).endswith(to_text(b))),
    "substr": Function(2, 3, _substr),
    "substring-before": _fixed(2, _before),
    "substring-after": _fixed(2, _after),
    "translate": _fixed(3, _translate),
    "normalize-space": Function(0, 1, lambda v: bounded(" ".join(to_text(v).split()))),
    "regex": _fixed(2, _regex),
    # numbers
    "number": _fixed(1, lambda v: number_result(to_number(v))),
    "int": _fixed(1, _int),
    "round": Function(1, 2, _round),
    "floor": _fixed(1, _whole(math.floor)),
    "ceiling": _fixed(1, _whole(math.ceil)),
    "abs": _fixed(1, lambda v: number_result(abs(to_number(v)))),
    "min": Function(1, None, _min),
    "max": Function(1, None, _max),
    "sum": _fixed(1, _sum),
    # dates
    "today": _fixed(0, lambda: _today().isoformat()),
    "date": _fixed(1, _date),
    "decimal-date-time": _fixed(1, _decimal_date_time),
    "format-date": _fixed(2, _format_date),
}
