"""The expression language of `relevant` and `constraint`."""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.definitions import expression_functions
from surveys.definitions.expressions import (
    FUNCTIONS,
    MAX_TEXT,
    ExpressionError,
    parse,
    to_answer,
)

ANSWERS = {
    "age": 30,
    "height": 1.75,
    "name": "Ana",
    "langs": ["es", "pt"],
    "member": "yes",
    "started": "2024-03-01",
    "consent": True,
    "empty": "",
    "a-b": 4,
    "price": "2.50",
    "scores": ["1", "2", "3"],
}
NAN = math.nan


def same(value, expected):
    """Equal, and of the same type: 3 is not 3.0. NaN is the same as NaN."""
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(value, float) and math.isnan(value)
    return value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${age} >= 18", True),
        ("${age} < 18", False),
        ("${age} = 30", True),
        ("${age} != 30", False),
        ("${height} > 1.5 and ${height} <= 2", True),
        ("${name} = 'Ana'", True),
        ('${name} = "ana"', False),
        ("${member} = 'yes' or ${age} > 99", True),
        ("not(${member} = 'yes')", False),
        ("selected(${langs}, 'pt')", True),
        ("selected(${langs}, 'en')", False),
        ("selected(${member}, 'yes')", True),
        ("count-selected(${langs}) = 2", True),
        ("count-selected(${unanswered}) = 0", True),
        ("string-length(${name}) = 3", True),
        ("regex(${name}, '^A[a-z]+$')", True),
        ("${started} < '2025-01-01'", True),
        ("${started} >= '2024-03-02'", False),
        ("${consent} = 'yes'", True),
        ("${unanswered} = ''", True),
        ("${unanswered} > 3", False),
        ("${unanswered} != 3", True),
        ("${empty} = ''", True),
        ("(${age} > 1 or ${age} < 0) and ${name} != ''", True),
        ("-1 < 0", True),
        ("'10' > '9'", True),  # both numbers: compared as numbers
        ("${age} = '30'", True),
    ],
)
def test_evaluates_like_xlsform(source, expected):
    assert parse(source).is_true(ANSWERS) is expected


@pytest.mark.parametrize(
    ("source", "current", "expected"),
    [
        (". >= 0 and . <= 120", 42, True),
        (". >= 0 and . <= 120", 121, False),
        ("string-length(.) <= 5", "hello", True),
        ("regex(., '^[0-9]{4}$')", "2024", True),
        ("regex(., '^[0-9]{4}$')", "24", False),
        ("count-selected(.) <= 2", ["a", "b", "c"], False),
        (". > ${age}", 31, True),
    ],
)
def test_dot_is_the_answer_being_checked(source, current, expected):
    assert parse(source).is_true(ANSWERS, current) is expected


def test_references_and_dot_are_reported():
    expression = parse("${a} = 1 and selected(${b}, 'x') or . > ${a}")
    assert expression.references == ("a", "b")
    assert expression.uses_current
    assert not parse("${a} = 1").uses_current


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "empty"),
        ("${age} >", "ends too early"),
        ("${age} >= 18 18", "unexpected '18'"),
        ("${age} ^ 1", "unexpected character '^'"),
        ("foo(1)", "unknown function foo()"),
        ("selected(${a})", "selected() takes 2 arguments, not 1"),
        ("not(1, 2)", "not() takes 1 argument, not 2"),
        ("regex(., '[')", "regex pattern '[' is not valid"),
        ("${a} = 1 = 2", "unexpected '='"),
        ("'unclosed", "unexpected character"),
        ("x" * 3000, "longer than 2000"),
        ("not(" * 60 + "1" + ")" * 60, "nested too deeply"),
    ],
)
def test_bad_expressions_say_what_is_wrong(source, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse(source)


def test_a_regex_built_at_run_time_fails_as_an_expression_error():
    with pytest.raises(ExpressionError):
        parse("regex(., ${pattern})").evaluate({"pattern": "("}, "x")


def test_no_python_is_ever_evaluated():
    with pytest.raises(ExpressionError):
        parse("__import__('os').system('true')")


# --- arithmetic -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # precedence, tightest first: unary -, then * div mod, then + -, then comparisons,
        # then and, then or; left to right within a level
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("12 div 3 div 2", 2),
        ("2 * 3 mod 4", 2),
        ("2 * (3 mod 4)", 6),
        ("-2 * 3", -6),
        ("- -2", 2),
        ("-(1 + 2)", -3),
        ("1 + 2 = 3", True),
        ("1 < 2 and 2 * 2 = 4", True),
        ("1 = 2 or 3 - 1 = 2", True),
        ("1 = 1 or 1 = 0 and 1 = 0", True),
        # '-' after an operand subtracts, before one it negates
        ("${age}-1", 29),
        ("${age} - 1", 29),
        ("${age} -1", 29),
        ("3-1", 2),
        ("3 - -1", 4),
        ("-${age}", -30),
        ("-1 < 0", True),
        ("${a-b} * 2", 8),  # names may hold '-': the question "a-b"
        # XPath numbers
        ("${height} * 2", 3.5),
        ("${age} div 4", 7.5),
        ("${price} * 2", 5),
        ("${consent} + 1", 2),
        ("0.1 + 0.2", 0.1 + 0.2),
        ("${empty} + 1", NAN),
        ("${unanswered} - 1", NAN),
        ("${name} * 2", NAN),
        ("${langs} + 1", NAN),
        ("${empty} + 1 = ''", False),  # NaN equals nothing
        ("${empty} + 1 > 0", False),
        # division by zero: no error, as in XPath
        ("${age} div 0", math.inf),
        ("-${age} div 0", -math.inf),
        ("0 div 0", NAN),
        ("${empty} div 0", NAN),
        ("${age} div 0 > 1000", True),
        # mod keeps the sign of the dividend
        ("7 mod 3", 1),
        ("-7 mod 3", -1),
        ("7 mod -3", 1),
        ("-7 mod -3", -1),
        ("7.5 mod 2", 1.5),
        ("7 mod 0", NAN),
        ("${age} mod 2 = 0", True),
    ],
)
def test_arithmetic_is_xpaths(source, expected):
    assert same(parse(source).evaluate(ANSWERS), expected)


# --- functions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # logic
        ("if(${age} >= 18, 'adult', 'minor')", "adult"),
        ("if(${empty}, 'yes', 'no')", "no"),
        ("if(1, 2, 3) + 1", 3),
        ("coalesce(${empty}, 'none')", "none"),
        ("coalesce(${unanswered}, ${name})", "Ana"),
        ("coalesce(${name}, 'none')", "Ana"),
        ("coalesce(${empty} + 1, 0)", 0),  # NaN counts as empty
        ("coalesce(${empty}, ${unanswered})", ""),
        ("true()", True),
        ("false()", False),
        ("boolean('')", False),
        ("boolean('no')", True),
        ("boolean(0)", False),
        ("boolean(${langs})", True),
        ("boolean-from-string('true')", True),
        ("boolean-from-string('1')", True),
        ("boolean-from-string('yes')", False),
        ("once(${age})", 30),
        # select questions
        ("selected-at(${langs}, 0)", "es"),
        ("selected-at(${langs}, 1)", "pt"),
        ("selected-at(${langs}, 2)", ""),
        ("selected-at(${langs}, -1)", ""),
        ("selected-at(${langs}, ${empty})", ""),
        ("selected-at(${unanswered}, 0)", ""),
        ("selected-at('a b c', 2)", "c"),
        ("count-selected(${langs})", 2),
        # text
        ("string(${age})", "30"),
        ("string(2.50)", "2.5"),
        ("string(1 = 1)", "true"),
        ("string(1 div 0)", ""),
        ("concat('a', 'b', 1)", "ab1"),
        ("concat()", ""),
        ("concat(${name}, ': ', ${langs})", "Ana: es pt"),
        ("concat(${unanswered}, 0 div 0)", ""),
        ("join(', ', ${langs})", "es, pt"),
        ("join('-', 'a', ${langs}, 3)", "a-es-pt-3"),
        ("contains(${name}, 'n')", True),
        ("contains(${name}, 'x')", False),
        ("starts-with(${name}, 'An')", True),
        ("ends-with(${name}, 'na')", True),
        ("ends-with(${name}, 'A')", False),
        ("substr('hello', 1)", "ello"),
        ("substr('hello', 1, 3)", "el"),
        ("substr('hello', 0, 99)", "hello"),
        ("substr('hello', 9)", ""),
        ("substr('hello', 3, 1)", ""),
        ("substr('hello', -3)", "llo"),
        ("substr('hello', 0, -1)", "hell"),
        ("substr('hello', 1.9, 3.9)", "el"),
        ("substr(${empty}, 0, 2)", ""),
        ("substring-before(${started}, '-')", "2024"),
        ("substring-after(${started}, '-')", "03-01"),
        ("substring-before('abc', 'x')", ""),
        ("translate('abc', 'abc', 'AB')", "AB"),
        ("string-length(${name})", 3),
        ("string-length(${unanswered})", 0),
        ("normalize-space('  a \t b  ')", "a b"),
        # numbers
        ("number('12')", 12),
        ("number(' 2.5 ')", 2.5),
        ("number('abc')", NAN),
        ("number(${empty})", NAN),
        ("number(true())", 1),
        ("int(3.7)", 3),
        ("int(-3.7)", -3),
        ("int('12.9')", 12),
        ("int(${empty})", NAN),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),  # half away from zero
        ("round(2.4)", 2),
        ("round(1.005, 2)", 1.01),
        ("round(-1.005, 2)", -1.01),
        ("round(3.14159, 3)", 3.142),
        ("round(1234.5, -2)", 1200),
        ("round(2.5, 1000)", 2.5),
        ("round(2.5, ${empty})", 3),
        ("round(${empty})", NAN),
        ("floor(2.7)", 2),
        ("floor(-2.1)", -3),
        ("ceiling(2.1)", 3),
        ("ceiling(-2.7)", -2),
        ("floor(${empty})", NAN),
        ("abs(-4.5)", 4.5),
        ("abs(${empty})", NAN),
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("max('3', '10')", 10),
        ("min(${age}, ${unanswered})", 30),  # what is not a number is skipped, as in Collect
        ("max(${empty})", NAN),
        ("max(${scores})", 3),
        ("sum(${scores})", 6),
        ("sum(${unanswered})", 0),
        # dates
        ("date('2024-03-01')", "2024-03-01"),
        ("date('2024-03-01T10:30:00Z')", "2024-03-01"),
        ("date(0)", "1970-01-01"),
        ("date(19783)", "2024-03-01"),
        ("date(${empty})", ""),
        ("date('2024-02-30')", ""),
        ("date('soon')", ""),
        ("decimal-date-time('2024-03-01')", 19783),
        ("decimal-date-time('1970-01-02T12:00:00Z')", 1.5),
        ("decimal-date-time('1970-01-01T06:00:00+06:00')", 0),
        ("decimal-date-time(${empty})", NAN),
        ("date(decimal-date-time(${started}) + 30)", "2024-03-31"),
        ("format-date(${started}, '%Y-%m-%d')", "2024-03-01"),
        ("format-date(${started}, '%y %n %e')", "24 3 1"),
        ("format-date(${started}, '%a %e %b %Y')", "Fri 1 Mar 2024"),
        ("format-date('0987-11-30', '%Y %y %m %d')", "0987 87 11 30"),
        ("format-date(${started}, '100%%')", "100%"),
        ("format-date(${started}, '%q%')", "%q%"),  # unknown codes stay as written
        ("format-date('2024-12-25T08:00:00', '%d/%m')", "25/12"),
        ("format-date(${empty}, '%Y')", ""),
        ("format-date('soon', '%Y')", ""),
    ],
)
def test_functions_give_what_odk_gives(source, expected):
    assert same(parse(source).evaluate(ANSWERS), expected)


def test_today_is_the_servers_date(monkeypatch):
    monkeypatch.setattr(expression_functions, "_today", lambda: datetime.date(2024, 2, 29))
    assert parse("today()").evaluate({}) == "2024-02-29"
    assert parse("format-date(today(), '%e %b')").evaluate({}) == "29 Feb"
    assert parse("${started} > today()").is_true(ANSWERS)


def test_if_and_coalesce_evaluate_only_what_they_need():
    failing = "regex('x', ${pattern})"  # fails when evaluated: '(' is no pattern
    answers = {"pattern": "(", "name": "Ana"}
    assert parse(f"if(1 = 1, 'yes', {failing})").evaluate(answers) == "yes"
    assert parse(f"coalesce(${{name}}, {failing})").evaluate(answers) == "Ana"
    with pytest.raises(ExpressionError):
        parse(f"if(1 = 0, 'yes', {failing})").evaluate(answers)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${age} div 2", 15),
        ("${height} * 2", 3.5),
        ("number('3.0')", 3),
        ("round(2.567, 1)", 2.6),
        ("-0.0 * 1", 0),
        ("2 * 4503599627370496 * 2", 2.0**54),  # past 2**53 a float's digits are not exact
    ],
)
def test_a_whole_number_is_an_int(source, expected):
    assert same(parse(source).evaluate(ANSWERS), expected)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (3, 3),
        (3.0, 3),
        (2.5, 2.5),
        (NAN, ""),
        (math.inf, ""),
        (-math.inf, ""),
        (True, True),
        (False, False),
        ("text", "text"),
        (["a", "b"], ["a", "b"]),
        (("a", 1, 2.0), ["a", "1", "2"]),
        (None, ""),
        (datetime.date(2024, 3, 1), "2024-03-01"),
    ],
)
def test_to_answer_gives_what_json_stores(value, stored):
    result = to_answer(value)
    assert same(result, stored)
    json.dumps(result, allow_nan=False)


# --- the context: choice labels and choice columns -------------------------------------

LABELS = {("langs", "es"): "Spanish", ("langs", "pt"): "Portuguese"}


class Page:
    """What a page supplies: choice labels in its language, and the choice a filter tests."""

    def __init__(self, choice=None):
        self.choice = choice or {}

    def choice_label(self, question, code):
        return LABELS.get((question, code), code)

    def column(self, name):
        return self.choice.get(name)


@pytest.mark.parametrize(
    ("source", "with_context", "without"),
    [
        ("jr:choice-name('es', '${langs}')", "Spanish", "es"),
        ("jr:choice-name(selected-at(${langs}, 1), '${langs}')", "Portuguese", "pt"),
        ("jr:choice-name('es', ${langs})", "Spanish", "es"),
        ("jr:choice-name('es', ' ${langs} ')", "Spanish", "es"),
        ("jr:choice-name('zz', '${langs}')", "zz", "zz"),
        ("jr:choice-name(${empty}, '${langs}')", "", ""),
    ],
)
def test_choice_names_come_from_the_context(source, with_context, without):
    expression = parse(source)
    assert expression.evaluate(ANSWERS, None, Page()) == with_context
    assert expression.evaluate(ANSWERS) == without
    assert "langs" in expression.references


LISBON = {"name": "lisbon", "country": "pt", "population": "545000"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("country = ${country}", True),
        ("country = 'es'", False),
        ("name != 'porto'", True),
        ("population > 100000", True),
        ("population div 1000", 545),
        ("selected(${langs}, country)", True),
        ("unknown = ''", True),  # a column the choice lacks reads as ''
        ("country = ${country} and name != 'x'", True),
    ],
)
def test_bare_names_are_columns_of_the_choice_being_filtered(source, expected):
    answers = {**ANSWERS, "country": "pt"}
    assert same(parse(source).evaluate(answers, None, Page(LISBON)), expected)


def test_without_a_context_a_bare_name_is_empty():
    assert parse("country = ''").is_true({})
    assert parse("country").evaluate({}) == ""


def test_a_context_that_fails_fails_as_an_expression_error():
    class Broken:
        def choice_label(self, question, code):
            raise KeyError(code)

        def column(self, name):
            raise KeyError(name)

    for source in ("country = 1", "jr:choice-name('es', '${langs}')"):
        with pytest.raises(ExpressionError):
            parse(source).evaluate(ANSWERS, None, Broken())


@pytest.mark.parametrize(
    ("source", "columns"),
    [
        ("${a} div 2", ()),
        ("${a} mod 2 = 1", ()),
        ("x and y", ("x", "y")),
        ("x or not(y)", ("x", "y")),
        ("order = android and modulo = divide", ("order", "android", "modulo", "divide")),
        ("count-selected(${a}) = 1", ()),
        ("x-1 = x - 1", ("x-1", "x")),  # XPath: a name may hold '-'
        ("${x} = 1", ()),
    ],
)
def test_keywords_are_never_names_and_names_are_columns(source, columns):
    assert parse(source).columns == columns


def test_references_columns_and_dot_are_recorded():
    expression = parse(
        "jr:choice-name(selected-at(${langs}, 0), '${langs}') = country"
        " and name != ${b} or x > ${a-b} div 2"
    )
    assert expression.references == ("langs", "b", "a-b")
    assert expression.columns == ("country", "name", "x")
    assert not expression.uses_current
    assert parse("jr:choice-name(., '${q}')").references == ("q",)
    assert parse("string-length() <= 5").uses_current
    assert parse("normalize-space() != ''").uses_current
    assert parse("string-length() <= 5").is_true({}, "hello")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Foo(1)", "unknown function Foo(); known functions: not(), if(),"),
        ("uuid()", "unknown function uuid()"),
        ("if(1, 2)", "if() takes 3 arguments, not 2"),
        ("round()", "round() takes 1 or 2 arguments, not 0"),
        ("round(1, 2, 3)", "round() takes 1 or 2 arguments, not 3"),
        ("substr('a')", "substr() takes 2 or 3 arguments, not 1"),
        ("today(1)", "today() takes no arguments, not 1"),
        ("min()", "min() takes at least 1 argument, not 0"),
        ("join()", "join() takes at least 1 argument, not 0"),
        ("coalesce(1)", "coalesce() takes 2 arguments, not 1"),
        ("string-length(1, 2)", "string-length() takes 0 or 1 arguments, not 2"),
        ("jr:choice-name('a', 'langs')", "written '${name}'"),
        ("jr:choice-name('a', concat('${', 'q}'))", "written '${name}'"),
        ("${a} division 2", "unexpected 'division'"),
        ("${a} order", "unexpected 'order'"),
        ("x and and y", "unexpected 'and'"),
        ("and = 1", "unexpected 'and'"),
        ("${a} +", "ends too early"),
        ("1 + * 2", "unexpected '*'"),
        ("1e3", "unexpected 'e3'"),
        ("- " * 50 + "1", "nested too deeply"),
    ],
)
def test_bad_uses_of_functions_and_operators_say_what_is_wrong(source, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse(source)


def test_texts_that_functions_build_are_bounded():
    half = "x" * (MAX_TEXT // 2 + 1)
    twice = half * 2
    assert len(parse("concat(${t}, 'y')").evaluate({"t": half})) == len(half) + 1
    for source, answers in [
        ("concat(${t}, ${t})", {"t": half}),
        ("join(' ', ${t}, ${t})", {"t": half}),
        ("string(${t})", {"t": twice}),
        ("substr(${t}, 0)", {"t": twice}),
        ("normalize-space(${t})", {"t": twice}),
        ("translate(${t}, 'y', 'z')", {"t": twice}),
        ("format-date('2024-01-01', ${t})", {"t": "%Y" * (MAX_TEXT // 3)}),
    ]:
        with pytest.raises(ExpressionError, match=f"longer than {MAX_TEXT} characters"):
            parse(source).evaluate(answers)


def test_round_to_absurd_places_is_quick():
    started = time.monotonic()
    assert parse("round(1.5, 1000)").evaluate({}) == 1.5
    assert parse("round(123456.5, -1000)").evaluate({}) == 0
    largest = -1.7976931348623157e308
    assert parse("round(${x}, 15)").evaluate({"x": largest}) == largest
    assert parse("round(${x}, ${x})").evaluate({"x": 10**400}) == math.inf
    assert time.monotonic() - started < 0.5


# --- properties -------------------------------------------------------------------------

TOKENS = [
    "${age}",
    "${langs}",
    "${name}",
    "${nope}",
    ".",
    "1",
    "-2.5",
    "'a'",
    "'es'",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "and",
    "or",
    "(",
    ")",
    ",",
    "not(",
    "selected(",
    "count-selected(",
    "string-length(",
    "regex(",
    "'[a-z]+'",
    "'('",
    # arithmetic, bare names and the other functions
    "+",
    "-",
    "*",
    "div",
    "mod",
    "x",
    "name",
    "0",
    "'${langs}'",
    "'%Y %b %a %e'",
    "'2024-02-29'",
    *(f"{name}(" for name in FUNCTIONS),
]

LEAVES = [
    "${age}",
    "${langs}",
    "${name}",
    "${when}",
    "${nope}",
    ".",
    "x",
    "name",
    "0",
    "1",
    "2.5",
    "1000",
    "''",
    "'a b'",
    "'2024-02-29'",
    "'%Y %y %m %n %b %d %e %a %'",
    "'${langs}'",
]
OPERATORS = ["+", "-", "*", "div", "mod", "=", "!=", "<", ">=", "and", "or"]


def _calls(inner):
    def call(name):
        function = FUNCTIONS[name]
        most = function.maximum if function.maximum is not None else function.minimum + 3
        arguments = st.lists(inner, min_size=function.minimum, max_size=most)
        return arguments.map(lambda args: f"{name}({', '.join(args)})")

    return st.sampled_from(sorted(FUNCTIONS)).flatmap(call)


# Expressions that parse (mostly): every function with a right number of arguments, nested.
well_formed = st.recursive(
    st.sampled_from(LEAVES),
    lambda inner: (
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(lambda t: f"({' '.join(t)})")
        | inner.map(lambda e: f"-{e}")
        | _calls(inner)
    ),
    max_leaves=12,
)

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["2024-02-29", "1970-01-01T00:00:00Z", "0001-01-01", "9999-12-31T23:59"]),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=8,
)


class AnyContext:
    """A context that answers anything at all."""

    def __init__(self, columns, label):
        self.columns = columns
        self.label = label

    def choice_label(self, question, code):
        return self.label

    def column(self, name):
        return self.columns.get(name)


contexts = st.none() | st.builds(
    AnyContext, st.dictionaries(st.sampled_from(["x", "name"]), values), st.text(max_size=10)
)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_expression_error(source):
    with contextlib.suppress(ExpressionError):
        parse(source)


def _evaluates_to_an_answer_or_an_expression_error(source, answers, current, context):
    try:
        expression = parse(source)
    except ExpressionError:
        return
    try:
        result = expression.evaluate(answers, current, context)
    except ExpressionError:
        return
    assert isinstance(expression.is_true(answers, current, context), bool)
    assert result is not None
    json.dumps(to_answer(result), allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(" ".join),
    st.dictionaries(st.sampled_from(["age", "langs", "name"]), values),
    values,
    contexts,
)
def test_evaluating_anything_raises_only_expression_error(source, answers, current, context):
    _evaluates_to_an_answer_or_an_expression_error(source, answers, current, context)


@settings(max_examples=600, deadline=None)
@given(
    well_formed,
    st.dictionaries(st.sampled_from(["age", "langs", "name", "when"]), values),
    values,
    contexts,
)
def test_every_function_on_any_values_raises_only_expression_error(
    source, answers, current, context
):
    _evaluates_to_an_answer_or_an_expression_error(source, answers, current, context)


def test_every_function_is_documented():
    docs = (Path(__file__).parents[1] / "docs" / "definitions.md").read_text(encoding="utf-8")
    for name in FUNCTIONS:
        assert f"{name}(" in docs


# --- patterns that backtrack ------------------------------------------------------------

# Each added character (about) doubles the work of a backtracking matcher on these: at these
# lengths Python's `re` takes seconds.
CATASTROPHIC = [("^(a+)+$", 26), ("^(a|a)*$", 25), ("^(a|aa)+$", 36), ("^(\\w+\\s?)*$", 25)]


@pytest.mark.parametrize(("pattern", "length"), CATASTROPHIC)
def test_a_catastrophic_pattern_is_cut_short(pattern, length):
    expression = parse(f"regex(., '{pattern}')")
    started = time.monotonic()
    try:
        matched = expression.evaluate({}, "a" * length + "!")
    except ExpressionError as error:
        assert "too long" in str(error)
    else:
        assert matched is False
    assert time.monotonic() - started < 1.5


def test_a_pattern_must_be_written_in_the_definition():
    assert parse("regex(., '^[a-z]+$')").patterns_from_answers is False
    assert parse("regex(., ${pattern})").patterns_from_answers is True
    assert parse("regex(${a}, 'x') and regex(., ${b})").patterns_from_answers is True
