"""Derived values: first-generation status from each parent's highest ISCED level."""

from __future__ import annotations

import itertools

import pytest

from surveys.demographics import load_block
from surveys.demographics.derived import (
    NOT_TERTIARY,
    TERTIARY,
    UNDECIDED,
    first_generation,
    first_generation_of,
)

BLOCK_CODES = [c["code"] for c in load_block("first_generation")["choices"]["parent_isced_2011"]]
ANSWERS = [*BLOCK_CODES, None]  # None: the question was skipped or not asked


def test_the_rule_knows_exactly_the_codes_of_the_block():
    assert TERTIARY | NOT_TERTIARY | (UNDECIDED - {None}) == set(BLOCK_CODES)
    assert not TERTIARY & NOT_TERTIARY and not (TERTIARY | NOT_TERTIARY) & UNDECIDED
    # The block's own export hierarchy agrees on what counts as tertiary.
    (level,) = load_block("first_generation")["hierarchy"]["parent_isced_2011"]
    assert {code for code, group in level["map"].items() if group == "tertiary"} == TERTIARY


@pytest.mark.parametrize(("parent_1", "parent_2"), list(itertools.product(ANSWERS, repeat=2)))
def test_every_combination_of_answers(parent_1, parent_2):
    result = first_generation(parent_1, parent_2)
    if parent_1 in TERTIARY or parent_2 in TERTIARY:
        assert result == "no"
    elif parent_1 in NOT_TERTIARY and parent_2 in NOT_TERTIARY:
        assert result == "yes"
    else:
        assert result == "unknown"
    assert first_generation(parent_2, parent_1) == result  # the order of parents is no matter
    assert (
        first_generation_of(
            {"parent_1_qualification": parent_1, "parent_2_qualification": parent_2}
        )
        == result
    )


@pytest.mark.parametrize(
    ("parent_1", "parent_2", "expected"),
    [
        ("ED3-4", "ED0-2", "yes"),  # neither parent completed tertiary education
        ("ED3-4", "no_parent", "yes"),  # one parent, without a tertiary qualification
        ("ED5", "ED0-2", "no"),  # short-cycle tertiary counts as tertiary
        ("ED8", "dont_know", "no"),  # one tertiary parent decides it
        ("dont_know", "pnts", "unknown"),
        ("ED3-4", "dont_know", "unknown"),  # the other parent might hold a degree
        ("ED0-2", None, "unknown"),
        (None, None, "unknown"),  # not asked (a programme without the block)
    ],
)
def test_first_generation_reads_as_a_person_would(parent_1, parent_2, expected):
    assert first_generation(parent_1, parent_2) == expected


def test_missing_answers_count_as_not_given():
    assert first_generation_of({}) == "unknown"
    assert first_generation_of({"parent_1_qualification": "ED6"}) == "no"


def test_an_unknown_code_is_an_error_not_a_guess():
    with pytest.raises(ValueError, match="'ED4' is not a code of parent_isced_2011"):
        first_generation("ED4", "ED0-2")
