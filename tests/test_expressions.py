"""The expression language of `relevant` and `constraint`."""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.definitions.expressions import FUNCTIONS, ExpressionError, parse

ANSWERS = {
    "age": 30,
    "height": 1.75,
    "name": "Ana",
    "langs": ["es", "pt"],
    "member": "yes",
    "started": "2024-03-01",
    "consent": True,
    "empty": "",
}


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
        ("${age} + 1", "unexpected character '+'"),
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
]

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_expression_error(source):
    with contextlib.suppress(ExpressionError):
        parse(source)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(" ".join),
    st.dictionaries(st.sampled_from(["age", "langs", "name"]), values),
    values,
)
def test_evaluating_anything_raises_only_expression_error(source, answers, current):
    try:
        expression = parse(source)
    except ExpressionError:
        return
    try:
        result = expression.evaluate(answers, current)
    except ExpressionError:
        return
    assert isinstance(expression.is_true(answers, current), bool)
    assert result is not None


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
