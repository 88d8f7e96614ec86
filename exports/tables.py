"""The bundle's summary tables: people by each demographic's original answer, and by region
of interest, × programme and year (`tables/*.csv`, docs/exports.md "Aggregate tables").

They count the answers as given, of everybody the survey's release is made from: the
same tables in every release of a survey, so none can be set against another.
`aggregates` does the counting and the small-cell suppression.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import aggregates, coarsen, derived, kanon
from .definitions import Hierarchies
from .lattice import first_positions

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
    person = pd.factorize(originals["_person"])[0]
    by_person = originals.assign(
        programme_year=_programme_year(originals["_programme"], originals[coarsen.PERIOD], person)
    )
    tables = {}
    regions = hierarchies.get(derived.COUNTRY, {}).get(REGION_OF_INTEREST)
    if derived.COUNTRY in by_person and regions:
        country = kanon.QuasiIdentifier.from_hierarchy(derived.COUNTRY, regions)
        level = country.levels.index(REGION_OF_INTEREST)
        people = _first_answers(by_person, [derived.COUNTRY], person)
        position, values = pd.factorize(people[derived.COUNTRY].astype(str))
        regions_of = np.asarray([country.code_at(c, level) for c in values], dtype=object)
        tables["region_of_interest_by_programme_year"] = aggregates.count_table(
            people.assign(region_of_interest=regions_of[position]),
            "region_of_interest",
            "programme_year",
            k,
        )
    for qi in qis:
        if qi.name in (coarsen.PERIOD, derived.PROGRAMME):
            continue
        names = [c for c in originals.columns if c == qi.name or c.startswith(qi.name + "__")]
        people = _first_answers(by_person, names, person)
        if qi.multi:
            table = aggregates.count_multi(people, names, "programme_year", k)
        else:
            table = aggregates.count_table(people, qi.name, "programme_year", k)
        tables[f"{qi.name}_by_programme_year"] = table
    return tables


def _programme_year(programme: pd.Series, period: pd.Series, person: np.ndarray) -> pd.Categorical:
    """Each row's "<programme> <year>", the year being the person's first: a categorical
    made from numbers (the texts of a million rows, joined and grouped, were seconds)."""
    years, year_of_period = _texts(period)
    year_text = np.asarray([str(text)[:4] for text in year_of_period], dtype=object)
    ordered, year = pd.factorize(year_text[years], sort=True)
    first_year = pd.Series(ordered).groupby(person).transform("min").to_numpy()
    programmes, names = _texts(programme, missing=aggregates.MISSING)
    pair, distinct = pd.factorize(programmes.astype(np.int64) * len(year) + first_year)
    texts = pd.Categorical([f"{names[p // len(year)]} {year[p % len(year)]}" for p in distinct])
    return pd.Categorical.from_codes(texts.codes[pair], categories=texts.categories)


def _texts(values: pd.Series, missing: str = "nan") -> tuple[np.ndarray, np.ndarray]:
    """Each row's value as a number, and the text of each number (`missing` for none)."""
    position, uniques = pd.factorize(values)
    names = np.asarray([str(value) for value in uniques] + [missing], dtype=object)
    return np.where(position < 0, len(uniques), position), names


def _first_answers(by_person: pd.DataFrame, names: list[str], person: np.ndarray) -> pd.DataFrame:
    """Each person's first row that answered any of the columns `names` (with the
    programme and year), the programme-years as those present."""
    answered = np.flatnonzero(by_person[names].notna().any(axis=1).to_numpy())
    first = first_positions(person[answered], int(person.max(initial=-1)) + 1)
    rows = np.zeros(len(by_person), dtype=bool)
    rows[answered[first[first >= 0]]] = True
    people = by_person[[*names, "programme_year"]][rows]
    return people.assign(programme_year=people["programme_year"].cat.remove_unused_categories())
