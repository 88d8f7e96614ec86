"""The bundle's summary tables: people by each demographic's original answer, and by region
of interest, × programme and year (`tables/*.csv`, docs/exports.md "Aggregate tables").

They count the answers as given, of everybody the survey's release is made from: the
same tables in every release of a survey, so none can be set against another.
`aggregates` does the counting and the small-cell suppression.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from . import aggregates, coarsen, derived, kanon
from .definitions import Hierarchies

# The country hierarchy's level that keeps Latin America and Africa apart (docs/exports.md).
REGION_OF_INTEREST = "region_of_interest"


def summary_tables(
    originals: pd.DataFrame,
    qis: Sequence[kanon.QuasiIdentifier],
    k: int,
    hierarchies: Hierarchies,
) -> dict[str, aggregates.Table]:
    """People by each demographic's original answer × programme and year, counted once
    each from the first row that answered it, with small-cell and complementary
    suppression; and people by region of interest × programme and year. Counted from
    the answers as given, the tables keep what the micro-data must coarsen."""
    if originals["_programme"].isna().all():
        return {}
    year = originals[coarsen.PERIOD].astype(str).str.slice(0, 4)
    by_person = originals.assign(
        programme_year=originals["_programme"].astype(object).fillna(aggregates.MISSING)
        + " "
        + year.groupby(originals["_person"].astype(object)).transform("min")
    )
    tables = {}
    regions = hierarchies.get(derived.COUNTRY, {}).get(REGION_OF_INTEREST)
    if derived.COUNTRY in by_person and regions:
        country = kanon.QuasiIdentifier.from_hierarchy(derived.COUNTRY, regions)
        level = country.levels.index(REGION_OF_INTEREST)
        people = by_person[by_person[derived.COUNTRY].notna()].drop_duplicates("_person")
        region = people[derived.COUNTRY].astype(str).map(lambda c: country.code_at(c, level))
        tables["region_of_interest_by_programme_year"] = aggregates.count_table(
            people.assign(region_of_interest=region),
            "region_of_interest",
            "programme_year",
            k,
        )
    for qi in qis:
        if qi.name in (coarsen.PERIOD, derived.PROGRAMME):
            continue
        names = [c for c in originals.columns if c == qi.name or c.startswith(qi.name + "__")]
        people = by_person[by_person[names].notna().any(axis=1)].drop_duplicates("_person")
        if qi.multi:
            table = aggregates.count_multi(people, names, "programme_year", k)
        else:
            table = aggregates.count_table(people, qi.name, "programme_year", k)
        tables[f"{qi.name}_by_programme_year"] = table
    return tables
