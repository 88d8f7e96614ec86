"""Answers released coarser than they were given: numbers in the bins their definition
declares, submission times as year-quarters. Both are quasi-identifiers: an outsider
knows roughly how long someone has programmed and in which year they took part.

Each comes with a generated hierarchy (wider bins, years, spans of years), so that the
search for a safe generalisation can coarsen them further like any code list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .columns import Column
from .definitions import HierarchyLevel

PERIOD = "period"
# Years of submission grouped in spans of this many years at the coarsest period level.
YEAR_SPAN = 3


def bin_codes(edges: Sequence[float], integer: bool) -> list[str]:
    """The codes of the bins that lower `edges` make: "0-1", "2-4", …, "20+" for integers
    (both ends included), "[0,2)" … "20+" for decimals; values under the first edge get
    "<first"."""
    bounds = [*edges, math.inf]
    return [f"<{_number(edges[0])}"] + [
        _label(low, high, integer) for low, high in zip(bounds, bounds[1:], strict=False)
    ]


def binned(values: pd.Series, edges: Sequence[float], integer: bool) -> pd.Series:
    """Each number as the code of its bin (empty stays empty)."""
    codes = bin_codes(edges, integer)
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    position = np.searchsorted(np.asarray(edges, dtype="float64"), numbers, side="right")
    out = np.asarray(codes, dtype=object)[position]
    out[np.isnan(numbers)] = None
    return pd.Series(pd.Categorical(out, categories=codes), index=values.index)


def bin_hierarchy(edges: Sequence[float], integer: bool) -> list[HierarchyLevel]:
    """One level that merges neighbouring bins pairwise (the bin under the lowest edge
    stays apart)."""
    codes = bin_codes(edges, integer)
    bounds = [*edges, math.inf]
    mapping = {codes[0]: codes[0]}
    for i in range(len(edges)):
        start = i - i % 2  # bins 0 and 1 together, 2 and 3, …
        high = bounds[min(start + 2, len(edges))]
        mapping[codes[i + 1]] = _label(bounds[start], high, integer)
    return [{"level": "wider_bins", "map": mapping}]


def _label(low: float, high: float, integer: bool) -> str:
    if math.isinf(high):
        return f"{_number(low)}+"
    if integer:
        return f"{_number(low)}-{_number(high - 1)}"
    return f"[{_number(low)},{_number(high)})"


def period_column(times: pd.Series, first: np.ndarray) -> tuple[pd.Series, Column]:
    """When each person first answered, as year and quarter ('2026-Q3'), in the row of
    those first answers only, and its column.

    One value per person: a later wave's quarter follows from the first and the wave
    (a 1-year follow-up is a year on), and repeating it in every row would tell people
    with follow-ups apart from those without — a difference no outsider knows."""
    periods = pd.to_datetime(times, utc=True).dt.tz_convert(None).dt.to_period("Q")
    values = periods.astype("string").str.replace("Q", "-Q", regex=False)
    values = values.where(first)
    column = Column(
        PERIOD,
        "Year and quarter of the person's first answers (in that row only)",
        question=PERIOD,
        privacy="quasi_identifier",
        treatment=["submission time coarsened to year-quarter, given once per person"],
    )
    return values.astype("category"), column


def period_hierarchy(values: pd.Series) -> list[HierarchyLevel]:
    """Year-quarter -> year -> spans of YEAR_SPAN years."""
    present = sorted(str(v) for v in values.dropna().unique())
    years = {v: v.split("-")[0] for v in present}
    first = min((int(y) for y in years.values()), default=0)
    spans = {}
    for year in set(years.values()):
        start = first + (int(year) - first) // YEAR_SPAN * YEAR_SPAN
        spans[year] = f"{start}-{start + YEAR_SPAN - 1}"
    return [{"level": "year", "map": years}, {"level": f"{YEAR_SPAN}_years", "map": spans}]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and not math.isinf(value) else str(value)
