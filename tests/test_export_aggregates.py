"""Aggregate tables: small counts are hidden, and no hidden count can be worked back out."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exports.aggregates import MISSING, TOTAL, Table, count_multi, count_table

PROPERTY = settings(max_examples=300, deadline=None, database=None)


def people_from_grid(inner: list[list[int]]) -> pd.DataFrame:
    """One row per person, so that counting region by programme gives back `inner`."""
    regions, programmes = [], []
    for i, counts in enumerate(inner):
        for j, count in enumerate(counts):
            regions += [f"r{i}"] * count
            programmes += [f"p{j}"] * count
    levels_r = [f"r{i}" for i in range(len(inner))]
    levels_p = [f"p{j}" for j in range(len(inner[0]))]
    return pd.DataFrame(
        {
            "region": pd.Categorical(regions, categories=levels_r),
            "programme": pd.Categorical(programmes, categories=levels_p),
        }
    )


def lines_of(table: Table) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """Every published sum: each row adds up to its total, and each column does too when
    the rows are additive. Written out here from the table's meaning, not the module's."""
    n_rows, n_columns = table.counts.shape
    lines = []
    if n_columns > 1:
        lines += [
            ([(i, j) for j in range(n_columns - 1)], (i, n_columns - 1)) for i in range(n_rows)
        ]
    if table.rows_additive and n_rows > 1:
        lines += [([(i, j) for i in range(n_rows - 1)], (n_rows - 1, j)) for j in range(n_columns)]
    return lines


def derivable_cells(table: Table) -> list[tuple[int, int]]:
    """Hidden cells whose value follows from the published cells by any combination of the
    table's sums: cell x is derivable exactly when the unit vector for x lies in the row
    space of the sums restricted to the hidden cells."""
    hidden = [
        (int(i), int(j)) for i, j in zip(*np.nonzero(table.suppressed.to_numpy()), strict=True)
    ]
    lines = lines_of(table)
    if not hidden or not lines:
        return []
    position = {cell: n for n, cell in enumerate(hidden)}
    system = np.zeros((len(lines), len(hidden)))
    for n, (cells, total) in enumerate(lines):
        for cell in cells:
            if cell in position:
                system[n, position[cell]] = 1
        if total in position:
            system[n, position[total]] = -1
    rank = np.linalg.matrix_rank(system)
    derivable = []
    for cell, n in position.items():
        unit = np.zeros(len(hidden))
        unit[n] = 1
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            derivable.append(cell)
    return derivable


def assert_safe(table: Table) -> None:
    """The guarantees a published table must keep, whatever the counts."""
    counts = table.counts.to_numpy()
    hidden = table.suppressed.to_numpy()
    # The sums the reader is told about really hold.
    for cells, total in lines_of(table):
        assert sum(counts[c] for c in cells) == counts[total]
    # Primary: every count from 1 to k-1, totals included.
    assert (hidden | ~((counts > 0) & (counts < table.k))).all()
    # No line gives a hidden entry away as total minus the rest.
    for cells, total in lines_of(table):
        assert sum(bool(hidden[c]) for c in [*cells, total]) != 1
    # Nor does any combination of lines.
    assert derivable_cells(table) == []
    # What is shown is the count, or the marker where hidden.
    shown = table.to_display().to_numpy()
    assert (shown[hidden] == "suppressed").all()
    assert (shown[~hidden] == counts[~hidden]).all()


# --- known answers -------------------------------------------------------------------------

REGIONS = pd.DataFrame(
    {
        "region": ["Africa"] * 10 + ["Asia"] * 3 + ["Europe"] * 7 + [None] * 6,
        "year": [2023] * 5
        + [2024] * 5
        + [2023] * 2
        + [2024]
        + [2023] * 4
        + [2024] * 3
        + [2023] * 6,
    }
)


def test_one_way_hides_small_count_and_the_next_smallest_so_it_cannot_be_subtracted():
    table = count_table(REGIONS, "region", k=5)

    assert table.to_display()[TOTAL].to_dict() == {
        "Africa": 10,
        "Asia": "suppressed",
        "Europe": 7,
        MISSING: "suppressed",  # 6, hidden so Asia is not 26 - 10 - 7 - 6
        TOTAL: 26,
    }
    assert_safe(table)


def test_two_way_known_answer():
    table = count_table(REGIONS, "region", "year", k=5)

    assert table.counts.loc["Asia"].tolist() == [2, 1, 3]
    assert table.to_display().values.tolist() == [
        [5, 5, 10],
        ["suppressed", "suppressed", "suppressed"],
        ["suppressed", "suppressed", 7],
        # The row total 6 goes with Asia's total (column of totals), then 6 with it (row).
        ["suppressed", 0, "suppressed"],
        [17, 9, 26],
    ]
    assert_safe(table)


def test_zero_cells_are_published_and_row_total_under_k_is_hidden():
    people = people_from_grid([[0, 12, 9], [1, 2, 0], [0, 8, 11]])
    table = count_table(people, "region", "programme", k=5)
    shown = table.to_display()

    assert shown.loc["r0", "p0"] == 0
    assert shown.loc["r2", "p0"] == 0
    assert shown.loc["r1"].tolist() == ["suppressed", "suppressed", 0, "suppressed"]
    assert_safe(table)


def test_hidden_cell_that_several_lines_together_would_give_away_gets_a_partner():
    # With the line rule alone, Asia x p2 (3) is hidden beside another cell in each of its
    # lines, yet r0 and the column and totals sums still give 3 = 34 - 31. The bridge step
    # also hides 10 (r1 x p0).
    inner = [[20, 20, 1], [10, 8, 3], [0, 6, 0]]
    table = count_table(people_from_grid(inner), "region", "programme", k=5)

    assert table.suppressed.to_numpy().astype(int).tolist() == [
        [1, 0, 1, 0],
        [1, 1, 1, 1],
        [0, 1, 0, 1],
        [1, 0, 1, 0],
    ]
    assert_safe(table)


def test_grand_total_under_k_hides_every_non_zero_count():
    table = count_table(people_from_grid([[1, 0], [2, 1]]), "region", "programme", k=5)

    counts = table.counts.to_numpy()
    assert (table.suppressed.to_numpy() == (counts > 0)).all()
    assert_safe(table)


def test_k_of_one_hides_nothing():
    table = count_table(REGIONS, "region", "year", k=1)

    assert not table.suppressed.to_numpy().any()


def test_missing_values_are_a_category_on_both_axes():
    people = pd.DataFrame(
        {
            "age_range": ["18-24", None, "25-34", None, "18-24"],
            "year": pd.array([2023, 2023, None, 2024, 2024], dtype="Int64"),
        }
    )
    table = count_table(people, "age_range", "year", k=1)

    assert table.counts.index.tolist() == ["18-24", "25-34", MISSING, TOTAL]
    assert table.counts.columns.tolist() == [2023, 2024, MISSING, TOTAL]
    assert table.counts.loc[MISSING].tolist() == [1, 1, 0, 2]
    assert table.counts.loc[TOTAL, TOTAL] == 5


def test_categorical_order_is_kept_and_unobserved_levels_show_zero():
    people = pd.DataFrame(
        {"age_range": pd.Categorical(["25-34"] * 6, categories=["under-18", "18-24", "25-34"])}
    )
    table = count_table(people, "age_range", k=5)

    assert table.counts[TOTAL].to_dict() == {"under-18": 0, "18-24": 0, "25-34": 6, TOTAL: 6}


def test_empty_input_gives_a_zero_total():
    table = count_table(REGIONS.iloc[:0], "region", "year")

    assert table.counts.loc[TOTAL, TOTAL] == 0
    assert not table.suppressed.to_numpy().any()


def test_a_value_named_like_the_totals_is_refused():
    with pytest.raises(ValueError, match="Total"):
        count_table(pd.DataFrame({"region": ["Total", "Africa"]}), "region")


def test_k_below_one_is_refused():
    with pytest.raises(ValueError, match="k must be at least 1"):
        count_table(REGIONS, "region", k=0)


# --- select_multiple -------------------------------------------------------------------------

SKILLS = pd.DataFrame(
    {
        "skills__python": [1, 1, 1, 1, 1, 1, 1, 0, 1, None],
        "skills__docs": [1, 1, 1, 1, 1, 0, 1, 1, 1, None],
        "skills__design": [0, 0, 0, 0, 1, 0, 0, 0, 0, None],
        "programme": ["gsoc"] * 5 + ["lfx"] * 5,
    }
)
SKILL_COLUMNS = ["skills__python", "skills__docs", "skills__design"]


def test_multi_totals_row_counts_people_not_ticks():
    table = count_multi(SKILLS, SKILL_COLUMNS, "programme", k=1)

    assert table.rows_additive is False
    assert table.counts.index.tolist() == [*SKILL_COLUMNS, MISSING, TOTAL]
    assert table.counts.loc["skills__python"].tolist() == [5, 3, 8]
    assert table.counts.loc[MISSING].tolist() == [0, 1, 1]
    assert table.counts.loc[TOTAL].tolist() == [5, 5, 10]
    assert table.counts[TOTAL].iloc[:-1].sum() > table.counts.loc[TOTAL, TOTAL]


def test_multi_suppression_protects_each_row():
    table = count_multi(SKILLS, SKILL_COLUMNS, "programme", k=5)

    assert table.to_display().values.tolist() == [
        ["suppressed", "suppressed", 8],  # 3 in lfx, and 5 with it, or 3 would be 8 - 5
        ["suppressed", "suppressed", 8],
        ["suppressed", 0, "suppressed"],
        [0, "suppressed", "suppressed"],
        [5, 5, 10],  # people: not the sum of the rows above, so no column is a sum
    ]
    assert_safe(table)


def test_multi_without_column_hides_only_small_counts():
    table = count_multi(SKILLS, SKILL_COLUMNS, k=5)

    assert table.to_display()[TOTAL].tolist() == [8, 8, "suppressed", "suppressed", 10]
    assert_safe(table)


def test_multi_rejects_values_other_than_zero_one_or_na():
    people = pd.DataFrame({"skills__python": [1, 2]})
    with pytest.raises(ValueError, match="0, 1 or NA"):
        count_multi(people, ["skills__python"])


# --- output ----------------------------------------------------------------------------------


def test_csv_shows_the_marker_not_the_count():
    table = count_table(REGIONS, "region", k=5)

    assert (
        table.to_csv()
        == "region,Total\nAfrica,10\nAsia,suppressed\nEurope,7\nmissing,suppressed\nTotal,26\n"
    )
    buffer = io.StringIO()
    table.to_csv(buffer)
    assert buffer.getvalue() == table.to_csv()


def test_records_never_carry_a_hidden_count():
    table = count_table(REGIONS, "region", "year", k=5)
    records = table.to_records()

    assert [r["row"] for r in records] == ["Africa", "Asia", "Europe", MISSING, TOTAL]
    assert records[-1]["total"] is True
    asia = records[1]["cells"]
    assert asia[0] == {"column": 2023, "value": None, "suppressed": True, "display": "suppressed"}
    assert records[0]["cells"][0] == {
        "column": 2023,
        "value": 5,
        "suppressed": False,
        "display": "5",
    }
    hidden_values = [c["value"] for r in records for c in r["cells"] if c["suppressed"]]
    assert hidden_values and set(hidden_values) == {None}


# --- properties over random tables -----------------------------------------------------------

small_counts = st.one_of(st.just(0), st.integers(1, 6), st.integers(0, 40))


@st.composite
def grids(draw: st.DrawFn) -> list[list[int]]:
    n_rows = draw(st.integers(1, 6))
    n_columns = draw(st.integers(1, 5))
    return [[draw(small_counts) for _ in range(n_columns)] for _ in range(n_rows)]


@PROPERTY
@given(inner=grids(), k=st.integers(2, 6))
def test_two_way_tables_never_reveal_a_hidden_count(inner: list[list[int]], k: int):
    table = count_table(people_from_grid(inner), "region", "programme", k=k)

    assert table.counts.to_numpy()[:-1, :-1].tolist() == inner
    assert_safe(table)


@PROPERTY
@given(counts=st.lists(small_counts, min_size=1, max_size=8), k=st.integers(2, 6))
def test_one_way_tables_never_reveal_a_hidden_count(counts: list[int], k: int):
    people = people_from_grid([[c] for c in counts])
    table = count_table(people, "region", k=k)

    assert table.counts[TOTAL].tolist() == [*counts, sum(counts)]
    assert_safe(table)


@st.composite
def multi_people(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str]]:
    n_options = draw(st.integers(1, 4))
    options = [f"q__o{n}" for n in range(n_options)]
    answers = st.one_of(
        st.none(), st.tuples(*[st.integers(0, 1)] * n_options)
    )  # None: did not answer
    rows = draw(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), answers), max_size=60))
    people = pd.DataFrame(
        {
            option: pd.array(
                [None if ticks is None else ticks[n] for _, ticks in rows], dtype="Int64"
            )
            for n, option in enumerate(options)
        }
    )
    people["term"] = [group for group, _ in rows]
    return people, options


@pytest.mark.slow
@PROPERTY
@given(data=multi_people(), k=st.integers(2, 6), by_term=st.booleans())
def test_multi_tables_never_reveal_a_hidden_count(data: tuple[pd.DataFrame, list[str]], k, by_term):
    people, options = data
    table = count_multi(people, options, "term" if by_term else None, k=k)

    assert table.counts.loc[TOTAL].iloc[-1] == len(people)
    for option in options:
        assert table.counts.loc[option].iloc[-1] == int(people[option].fillna(0).sum())
    assert_safe(table)
