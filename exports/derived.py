"""Columns an export computes from answers rather than asks: the World Bank income group
of the country of residence.

The income group is coarser than the country, but not a generalisation of what the export
publishes about it: beside a region ("Sub-Saharan Africa") a rare group ("High income")
can single out one country. So it is a quasi-identifier of its own, with its own
hierarchy, and k-anonymity counts it together with the country.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .columns import Column
from .definitions import HierarchyLevel

INCOME_GROUP = "country_income_group"
COUNTRY = "country"
# The World Bank's four groups, as the codes our data files hold.
INCOME_GROUP_LABELS = {
    "L": "Low income",
    "LM": "Lower middle income",
    "UM": "Upper middle income",
    "H": "High income",
}
INCOME_GROUP_HIERARCHY: list[HierarchyLevel] = [
    {
        "level": "two_groups",
        "map": {"L": "L-LM", "LM": "L-LM", "UM": "UM-H", "H": "UM-H"},
        "labels": {"L-LM": "Low or lower middle income", "UM-H": "Upper middle or high income"},
    }
]
HIERARCHIES: dict[str, list[HierarchyLevel]] = {INCOME_GROUP: INCOME_GROUP_HIERARCHY}


def add_income_group(
    data: pd.DataFrame,
    columns: list[Column],
    groups: Mapping[str, str],
    fiscal_year: str,
) -> list[Column]:
    """Add the income group of each row's country (empty where the country is not
    answered or not classified); returns the columns with it after the country's."""
    if COUNTRY not in data or INCOME_GROUP in data:
        return columns
    data[INCOME_GROUP] = (
        data[COUNTRY].astype("object").map(dict(groups)).astype(pd.CategoricalDtype())
    )
    country = next(c for c in columns if c.name == COUNTRY)
    column = Column(
        INCOME_GROUP,
        f"World Bank income group of the country of residence ({fiscal_year})",
        "string",
        dict(INCOME_GROUP_LABELS),
        question=INCOME_GROUP,
        privacy="quasi_identifier",
        treatment=[
            f"computed from the country with the World Bank classification for {fiscal_year}"
        ],
    )
    at = columns.index(country) + 1
    return [*columns[:at], column, *columns[at:]]


PROGRAMME = "programme"


def add_programme(data: pd.DataFrame, columns: list[Column], first: np.ndarray) -> list[Column]:
    """The programme each person took part in — as registered for participants, as
    answered for anonymous intakes — once per person, in their first row.

    It replaces the intake's own programme answer: the registered programme is the fact
    that contributor lists make public, and giving it once per person (in the row of
    their first answers) keeps follow-up-only people in their programme too."""
    values = data["_programme"].astype(object).where(first)
    existing = next((c for c in columns if c.name == PROGRAMME), None)
    known = dict(existing.codes or {}) if existing else {}
    present = sorted(str(v) for v in values.dropna().unique())
    data[PROGRAMME] = pd.Categorical(values)
    column = Column(
        PROGRAMME,
        existing.title if existing else "Programme",
        "string",
        {code: known.get(code, code) for code in present},
        question=PROGRAMME,
        privacy="quasi_identifier",
        treatment=["the programme the person is registered in (else as answered), once"],
    )
    if existing is None:
        return [column, *columns]
    return [column if c is existing else c for c in columns]
