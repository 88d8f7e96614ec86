"""k-anonymity search: properties over random data, and known answers."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.columns import SUPPRESSED
from exports.kanon import CannotAnonymise, QuasiIdentifier, best_node, recode, search

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


def test_a_hierarchy_deeper_than_a_byte_still_suppresses_the_lone_person():
    """Levels are held in a byte where they fit; a code list with more levels than that
    (none ships with Pathways) still reaches its top, suppressed."""
    steps = [{"level": f"step_{i}", "map": {"a": "a", "b": "b"}} for i in range(130)]
    deep = QuasiIdentifier.from_hierarchy("code", steps)
    table = pd.DataFrame({"code": ["a"] * 6 + ["b"]}, index=[f"p{i}" for i in range(7)])
    recoding = recode(table, [deep], 5, 0.5)
    assert deep.top == 131
    assert recoding.suppressed([deep]).tolist() == [False] * 6 + [True]


def test_levels_end_in_suppressed():
    assert AGE.levels == ["original", "ten_year", "broad", SUPPRESSED]
    assert AGE.generalise("30-34", 2) == "18-34"
    assert GENDER.generalise("man\x1fwoman", 1) == SUPPRESSED


# The search against every node counted by hand --------------------------------------------

PERIOD = QuasiIdentifier.from_hierarchy(
    "period",
    [
        {
            "level": "two_years",
            "map": {"2019": "2019-20", "2020": "2019-20", "2021": "2021-22", "2022": "2021-22"},
        },
        {"level": "four_years", "map": {"2019-20": "2019-22", "2021-22": "2019-22"}},
    ],
)
LATTICE_QIS = [AGE, COUNTRY, GENDER, PERIOD]
LATTICE_CODES = [
    ["18-24", "25-29", "30-34", "35-39", "40-44", "pnts", "missing"],
    ["KEN", "UGA", "NGA", "GHA", "BRA", "ARG", "MEX", "missing"],
    ["woman", "man", "non_binary", "man\x1fwoman", "missing"],
    ["2019", "2020", "2021", "2022", "missing"],
]


def generalised(table: pd.DataFrame, qi: QuasiIdentifier, level: int) -> pd.Series:
    return table[qi.name].map(lambda value: qi.generalise(value, level))


def entropy(values: pd.Series) -> float:
    p = values.value_counts(normalize=True).to_numpy()
    return float(-(p * np.log2(p)).sum())


def walked_levels(table: pd.DataFrame, qi: QuasiIdentifier, kept: bool) -> list[int]:
    """The levels of one column the lattice has: those at which the values present merge
    further, up to what the purpose keeps."""
    highest = qi.keep if kept and qi.keep is not None else qi.top
    levels = [0]
    for level in range(1, highest + 1):
        if generalised(table, qi, level).nunique() < generalised(table, qi, levels[-1]).nunique():
            levels.append(level)
    return levels


def in_small_classes(table: pd.DataFrame, qis, node, k: int) -> np.ndarray:
    keys = pd.Series("", index=table.index)
    for qi, level in zip(qis, node, strict=True):
        keys = keys + "|" + generalised(table, qi, level)
    return (keys.map(keys.value_counts()) < k).to_numpy()


def least_loss_nodes(table: pd.DataFrame, qis, k: int, allowed: float, keep) -> list[tuple]:
    """Every node counted: the qualifying ones of least loss (several when losses tie),
    or the top node when none qualifies."""
    axes = [walked_levels(table, qi, keep is None or qi.name in keep) for qi in qis]
    before = {qi.name: entropy(table[qi.name]) for qi in qis}

    def loss(node) -> float:
        return sum(
            qi.weight * (1 - entropy(generalised(table, qi, level)) / before[qi.name])
            for qi, level in zip(qis, node, strict=True)
            if before[qi.name] > 0
        )

    fits = [
        node
        for node in itertools.product(*axes)
        if table.index[in_small_classes(table, qis, node, k)].size <= allowed
    ]
    if not fits:
        return [tuple(levels[-1] for levels in axes)]
    losses = {node: loss(node) for node in fits}
    least = min(losses.values())
    return [node for node in fits if losses[node] <= least + 1e-9]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    # Each column's values drawn with skewed frequencies (a few common codes, some rare
    # ones), so that classes of every size occur and the least-loss node lies anywhere in
    # the lattice.
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    size=st.integers(min_value=5, max_value=150),
    k=st.integers(min_value=2, max_value=5),
    share=st.sampled_from([0.0, 0.05, 0.2, 0.5]),
    weights=st.lists(st.sampled_from([1.0, 2.0, 3.5, 8.0]), min_size=4, max_size=4),
    keeps=st.lists(st.sampled_from([None, None, 0, 1, 2]), min_size=4, max_size=4),
    # Which columns stay within what the purpose keeps (None: all), as recode lets go of
    # them one by one.
    kept=st.none() | st.sets(st.sampled_from([qi.name for qi in LATTICE_QIS])),
)
def test_the_search_takes_the_node_counting_every_node_would(
    seed, size, k, share, weights, keeps, kept
):
    """The pruned search chooses what an exhaustive search chooses: the least-loss node
    under which at most `allowed` people are in classes under k (the same node when one
    alone has the least loss), and the same people in small classes."""
    qis = [
        replace(qi, weight=weight, keep=None if level is None else min(level, qi.top - 1))
        for qi, weight, level in zip(LATTICE_QIS, weights, keeps, strict=True)
    ]
    rng = np.random.default_rng(seed)
    rows = {
        qi.name: rng.choice(codes, size=size, p=rng.dirichlet(np.full(len(codes), 0.4)))
        for qi, codes in zip(qis, LATTICE_CODES, strict=True)
    }
    table = pd.DataFrame(rows).astype(object)
    keep = None if kept is None else frozenset(kept)
    allowed = share * len(table)

    node, small, stats = best_node(table, qis, k, allowed, keep)

    least = least_loss_nodes(table, qis, k, allowed, keep)
    if len(least) == 1:
        assert node == least[0]
    else:
        assert node in least
    assert small.tolist() == in_small_classes(table, qis, node, k).tolist()
    lattice = np.prod(
        [len(walked_levels(table, qi, keep is None or qi.name in keep)) for qi in qis]
    )
    assert stats.counted <= lattice
