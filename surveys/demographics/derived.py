"""Values derived from demographic answers rather than asked, computed the same way everywhere.

First-generation status is derived from each parent's highest ISCED level (block
`first_generation`, list `parent_isced_2011`), so "first generation at university" means
the same in every country and no respondent has to know what the phrase means. Pure
functions over current-version codes: harmonise older answers first (`crosswalks.harmonise`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..vocabulary import PREFER_NOT_TO_SAY

FIRST_GENERATION_QUESTIONS = ("parent_1_qualification", "parent_2_qualification")
# Codes of parent_isced_2011 v1: completed tertiary (ISCED 5-8), or an answer that rules it out.
TERTIARY = frozenset({"ED5", "ED6", "ED7", "ED8"})
NOT_TERTIARY = frozenset({"ED0-2", "ED3-4", "no_parent"})
# "I don't know", "Prefer not to say" and no answer (None) leave the level open.
UNDECIDED = frozenset({"dont_know", PREFER_NOT_TO_SAY, None})

YES, NO, UNKNOWN = "yes", "no", "unknown"


def first_generation(*parent_levels: str | None) -> str:
    """`yes` when no parent completed tertiary education, `no` when one did, else `unknown`.

    One parent with a tertiary qualification decides `no` whatever the other answers;
    `yes` needs every parent's answer to rule tertiary out ("I have no second parent"
    does). A code this rule does not know is an error rather than a guess.
    """
    unknown = [level for level in parent_levels if level not in TERTIARY | NOT_TERTIARY | UNDECIDED]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a code of parent_isced_2011 version 1")
    if any(level in TERTIARY for level in parent_levels):
        return NO
    if parent_levels and all(level in NOT_TERTIARY for level in parent_levels):
        return YES
    return UNKNOWN


def first_generation_of(answers: Mapping[str, Any]) -> str:
    """First-generation status of one response's answers (parent questions of the block)."""
    return first_generation(*(answers.get(name) for name in FIRST_GENERATION_QUESTIONS))
