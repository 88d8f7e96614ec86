"""k-anonymity search: properties over random data, and known answers."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.columns import SUPPRESSED
from exports.kanon import CannotAnonymise, QuasiIdentifier, search

AGE = QuasiIdentifier.from_hierarchy(
    "age",
    [
        {
            "level": "ten_year",
            "map": {
                "18-24": "18-24",
                "25-29": "25-34",
                "30-34": "25-34",
                "35-39": "35-44",
                "40-44": "35-44",
                "pnts": "pnts",
            },
        },
        {
            "level": "broad",
            "map": {"18-24": "18-34", "25-34": "18-34", "35-44": "35-54", "pnts": "pnts"},
        },
    ],
)
COUNTRY = QuasiIdentifier.from_hierarchy(
    "country",
    [
        {
            "level": "subregion",
            "map": {
                "KEN": "east_africa",
                "UGA": "east_africa",
                "NGA": "west_africa",
                "GHA": "west_africa",
                "BRA": "south_america",
                "ARG": "south_america",
                "MEX": "central_america",
            },
        },
        {
            "level": "region",
            "map": {
                "east_africa": "africa",
                "west_africa": "africa",
                "south_america": "americas",
                "central_america": "americas",
            },
        },
    ],
)
GENDER = QuasiIdentifier.from_hierarchy("gender", None, multi=True)
QIS = [AGE, COUNTRY, GENDER]

ages = st.sampled_from(["18-24", "25-29", "30-34", "35-39", "40-44", "pnts", "missing"])
countries = st.sampled_from(["KEN", "UGA", "NGA", "GHA", "BRA", "ARG", "MEX", "missing"])
genders = st.sampled_from(["woman", "man", "non_binary", "man\x1fwoman", "missing"])


def people(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["age", "country", "gender"], index=[f"p{i}" for i in range(len(rows))]
    )


def classes(table: pd.DataFrame, result) -> pd.Series:
    kept = table.drop(index=list(result.suppressed))
    keys = pd.Series("", index=kept.index)
    for qi in QIS:
        level = result.level_index[qi.name]
        keys = keys + "|" + kept[qi.name].map(lambda v, q=qi, lv=level: q.generalise(v, lv))
    return keys.value_counts()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(ages, countries, genders), min_size=0, max_size=80),
    k=st.integers(min_value=2, max_value=6),
    max_suppression=st.sampled_from([0.0, 0.05, 0.2]),
)
def test_every_published_class_has_k_people_or_the_export_refuses(rows, k, max_suppression):
    table = people(rows)
    if len(rows) < k:
        with pytest.raises(CannotAnonymise):
            search(table, QIS, k, max_suppression)
        return
    result = search(table, QIS, k, max_suppression)
    assert classes(table, result).min() >= k
    assert len(result.suppressed) <= max_suppression * len(rows)
    assert result.k_achieved >= k or not len(classes(table, result))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(ages, countries, genders), min_size=10, max_size=60))
def test_no_less_generalised_node_would_have_done(rows):
    """Optimality: lowering any one chosen level breaks the suppression limit."""
    table = people(rows)
    result = search(table, QIS, 3, 0.05)
    for qi in QIS:
        level = result.level_index[qi.name]
        if level == 0:
            continue
        finer = dict(result.level_index)
        finer[qi.name] = level - 1
        keys = pd.Series("", index=table.index)
        for other in QIS:
            keys = (
                keys
                + "|"
                + table[other.name].map(
                    lambda v, q=other, lv=finer[other.name]: q.generalise(v, lv)
                )
            )
        sizes = keys.map(keys.value_counts())
        assert (sizes < 3).sum() > 0.05 * len(table)


def test_a_lone_person_from_a_small_country_is_generalised():
    rows = [("25-29", "BRA", "woman")] * 6 + [("25-29", "ARG", "woman")] * 6
    rows += [("25-29", "MEX", "woman")]
    result = search(people(rows), QIS, 5, 0.0)
    assert result.levels["country"] == "region"  # Mexico hides among the Americas
    assert result.suppressed == set()
    assert result.k_achieved == 13


def test_with_room_to_suppress_the_lone_person_is_suppressed_instead():
    rows = [("25-29", "BRA", "woman")] * 30 + [("25-29", "ARG", "woman")] * 30
    rows += [("25-29", "MEX", "woman")]
    result = search(people(rows), QIS, 5, 0.05)
    assert result.levels == {"age": "original", "country": "original", "gender": "original"}
    assert result.suppressed == {"p60"}


def test_everyone_alike_needs_nothing():
    result = search(people([("18-24", "KEN", "man")] * 7), QIS, 5, 0.05)
    assert set(result.levels.values()) == {"original"} and result.k_achieved == 7


def test_levels_end_in_suppressed():
    assert AGE.levels == ["original", "ten_year", "broad", SUPPRESSED]
    assert AGE.generalise("30-34", 2) == "18-34"
    assert GENDER.generalise("man\x1fwoman", 1) == SUPPRESSED
