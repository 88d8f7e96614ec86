"""Why an export released nothing, as data as well as words.

The pipeline speaks English only: `str()` of a refusal is one English sentence, for the
command line and the audit log. An application that shows refusals in its user's language
reads `reason` (one of the names below) and `values` (the numbers and names the sentence
holds) and words them itself, with the plural forms of that language.
"""

from __future__ import annotations

# Fewer people in all than k: values people, k.
TOO_FEW_PEOPLE = "too_few_people"
# A --programme/--term subset nobody of the survey's release is in.
SUBSET_EMPTY = "subset_empty"
# Every person of a subset shares a group with people outside it: values people.
SUBSET_SPLIT = "subset_split"
# k would suppress more people than allowed: values suppressed, people, k, max_suppression.
TOO_MUCH_SUPPRESSION = "too_much_suppression"
# The written file has a group under k: values people (the group's size), k.
GROUP_UNDER_K = "group_under_k"
# The written file has a group under l: values question, distinct (its answers), l.
TOO_FEW_ANSWERS = "too_few_answers"
# The written files failed another of verify's checks: values problem (English).
FILE_CHECK = "file_check"
# Anything else; the English sentence is all there is.
OTHER = "other"


class Refusal(Exception):
    """Nothing is released, for `reason`; `str()` says why in one English sentence."""

    def __init__(self, message: str, reason: str = OTHER, **values: int | float | str) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values


def people(number: int) -> str:
    """The English the refusals are written in: 1 person, 2 people."""
    return f"{number} person" if number == 1 else f"{number} people"
