"""What `methodology.json` says about a release, and the measures it reports beside the
search's own: the level each quasi-identifier reached, and the information kept.

The pipeline fills a `Methodology`; the bundle adds what `exports.verify` counted on the
written file (`k_achieved`, `l_diversity`) before anything is released.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import pandas as pd

from .kanon import QuasiIdentifier, RecodingPass

# What never leaves, whatever the purpose, besides the columns `dropped` names.
ALWAYS_DROPPED = ("response ids", "participant ids", "submission times", "locale")
SUPPRESSION = (
    "people still in classes smaller than k after local recoding have every "
    "quasi-identifier suppressed: 'suppressed' in their first row's single-choice "
    "cells, multi-select cells left empty; when fewer than k people are left, more "
    "are suppressed with them, taken from the classes with people to spare, so "
    "that nobody's record leaves the release"
)


class Subset(TypedDict):
    selection: str
    people_left_out: int


class RepeatReport(TypedDict):
    """What methodology.json says of one repeat's table, `data_<repeat>`."""

    table: str
    title: str
    rows: int
    people: int
    # The people's table's column holding each response's number of entries, in bins (a
    # quasi-identifier); None when it is suppressed for everybody, so no entry leaves.
    count_column: str | None
    count_bins: list[str]
    entries_per_response_at_most: int
    entries_kept: str
    sensitive: list[str]
    dropped: list[str]


class Methodology(TypedDict):
    """methodology.json as the pipeline writes it, in this order (docs/exports.md)."""

    k: int
    # As planned; the bundle replaces it with what exports.verify counts on the file.
    k_achieved: int
    max_suppression: float
    purpose: str | None
    quasi_identifiers: list[str]
    # Quasi-identifiers at the top level for everybody, so not written at all.
    quasi_identifiers_removed: list[str]
    sensitive: list[str]
    weights: dict[str, float]
    hierarchies: dict[str, str]
    records: int
    people: int
    records_suppressed: int
    people_suppressed: int
    suppression: str
    records_removed: int
    # A level name, or people per level.
    generalisation: dict[str, str | dict[str, int]]
    # The passes over the whole survey, of which a subset is a selection.
    local_recoding: list[RecodingPass]
    lattice_nodes_evaluated: int
    information_kept: dict[str, float]
    # Counted on the written file by the bundle.
    l_diversity: dict[str, int] | None
    dropped: list[str]
    # The first and last year-quarter.
    period: list[str] | None
    rows_shuffled: bool
    with_followups: bool
    income_groups: str | None
    programme: str | None
    term: str | None
    subset: Subset | None
    created: str
    tables: list[str]
    # Each repeat's table, by the repeat's name.
    repeats: dict[str, RepeatReport]


def level_summary(qi: QuasiIdentifier, levels: np.ndarray) -> str | dict[str, int]:
    """The level everybody's values were generalised to, or people per level."""
    names, counts = np.unique(levels, return_counts=True)
    if len(names) == 1:
        return qi.levels[int(names[0])]
    return {qi.levels[int(n)]: int(c) for n, c in zip(names, counts, strict=True)}


def information_kept(
    people: pd.DataFrame, released: pd.DataFrame, qis: Sequence[QuasiIdentifier]
) -> dict[str, float]:
    """Per quasi-identifier, the normalised mutual information between each person's
    original and released value, I(original; released) / H(original) — 1 when the
    release tells everything the answers did, 0 when nothing — and their average under
    the purpose's weights."""
    kept = {}
    for qi in qis:
        # Values as numbers, the pair of them as one: joining the texts of every person
        # was 300 MB and seconds at a million responses.
        before, _ = _numbered(people[qi.name])
        after, n_after = _numbered(released[qi.name])
        h_before = _entropy_of(before)
        both = (before >= 0) & (after >= 0)
        pairs = np.where(both, pd.factorize(before * n_after + after)[0], -1)
        mutual = h_before + _entropy_of(after) - _entropy_of(pairs)
        kept[qi.name] = round(max(mutual, 0.0) / h_before, 4) if h_before else 1.0
    total = sum(qi.weight for qi in qis)
    kept["weighted"] = (
        round(sum(kept[qi.name] * qi.weight for qi in qis) / total, 4) if total else 1.0
    )
    return kept


def _numbered(values: pd.Series) -> tuple[np.ndarray, int]:
    """Each value's number (equal values alike, -1 where missing), and how many there are
    (a categorical's codes as they are: only equality counts here)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), len(values.cat.categories)
    numbers, uniques = pd.factorize(values.to_numpy(dtype=object))
    return numbers.astype(np.int64), len(uniques)


def _entropy_of(numbers: np.ndarray) -> float:
    """Shannon entropy of the values numbered (missing ones left out)."""
    # Largest first, as value_counts lists them: the same sum, float for float.
    counts = -np.sort(-np.bincount(numbers[numbers >= 0]).astype(np.float64))
    counts = counts[counts > 0]
    p = counts / counts.sum() if counts.sum() else counts
    return float(-(p[p > 0] * np.log2(p[p > 0])).sum())
