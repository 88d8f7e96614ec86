"""Aggregate count tables with small-cell suppression, for the export bundle and the dashboard.

A count under k can single a person out ("the one mentee aged 55+ from Central Africa in
Outreachy 2024"), so every such cell is hidden, and enough other cells are hidden with it
that no hidden cell can be worked back out of the published cells and totals.

The table is a grid whose last row and last column hold the totals. Each *line* is a set of
cells that add up to a total cell: every row (the totals row too) adds up to its cell in the
totals column, and, when the rows are additive, every column (the totals column too) adds up
to its cell in the totals row.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import IO, Any

import numpy as np
import pandas as pd

from .columns import SUPPRESSED

TOTAL = "Total"
# The category NA values are counted under: a missing answer is still a person.
MISSING = "missing"

Cell = tuple[int, int]
# (the cells that add up, the cell holding their sum)
Line = tuple[list[Cell], Cell]


@dataclass(eq=False)
class Table:
    """Counts and the mask of cells that must not be published.

    `counts` still holds the true small numbers, so only `to_display`, `to_csv` and
    `to_records` are safe to show to anyone.
    """

    counts: pd.DataFrame  # last row and last column are the totals, labelled TOTAL
    suppressed: pd.DataFrame  # same shape and labels as counts, True where hidden
    k: int
    # False for select_multiple tables: one person can tick several options, so the option
    # rows do not add up to the totals row (which counts people); each row still adds up
    # across the columns, because every person is in exactly one column.
    rows_additive: bool = True

    @property
    def marker(self) -> str:
        """What a hidden cell shows instead of its count. Not "<k": a cell hidden only to
        protect another may hold k or more, and a different mark would show which."""
        return SUPPRESSED

    def to_display(self) -> pd.DataFrame:
        """The table as it may be shown: hidden cells replaced by the marker."""
        return self.counts.astype(object).mask(self.suppressed, self.marker)

    def to_csv(self, path_or_buffer: str | PathLike[str] | IO[str] | None = None) -> str | None:
        """`to_display` as CSV; returns the text when no path or buffer is given."""
        return self.to_display().to_csv(path_or_buffer)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row for templates, with its cells in column order.

        A hidden cell carries `value=None`, so a template cannot print the true count by
        mistake.
        """
        counts = self.counts.to_numpy()
        hidden = self.suppressed.to_numpy()
        records = []
        for i, label in enumerate(self.counts.index):
            cells = []
            for j, column in enumerate(self.counts.columns):
                value = None if hidden[i, j] else int(counts[i, j])
                cells.append(
                    {
                        "column": column,
                        "value": value,
                        "suppressed": bool(hidden[i, j]),
                        "display": self.marker if value is None else str(value),
                    }
                )
            records.append({"row": label, "total": label == TOTAL, "cells": cells})
        return records


def count_table(people: pd.DataFrame, row: str, column: str | None = None, k: int = 5) -> Table:
    """Count people by `row` (and by `column` when given), with totals, suppressed at k.

    `people` has one row per person (the caller deduplicates). NA values are counted under
    MISSING. Levels follow a categorical's categories (so unobserved ones show as 0),
    otherwise sorted values.
    """
    _check_k(k)
    row_positions, row_levels = _levels(people[row])
    if column is None:
        inner = np.bincount(row_positions, minlength=len(row_levels)).astype("int64")[:, None]
        column_levels: list[Hashable] = []
    else:
        column_positions, column_levels = _levels(people[column])
        inner = np.zeros((len(row_levels), len(column_levels)), dtype="int64")
        np.add.at(inner, (row_positions, column_positions), 1)
    grid = _with_totals(inner, column_totals=inner.sum(axis=0))
    if column is None:
        grid = grid[:, -1:]  # the single count column is its own row total
    lines = _row_lines(grid.shape) + _column_lines(grid.shape)
    # With only a totals column there are no row equations, so the cell graph does not apply.
    hidden = suppress(grid, lines, k, two_way=column is not None)
    return _table(grid, hidden, k, [*row_levels, TOTAL], [*column_levels, TOTAL], row, column)


def count_multi(
    people: pd.DataFrame, prefix_columns: Sequence[str], column: str | None = None, k: int = 5
) -> Table:
    """Count people who ticked each option of a select_multiple question, suppressed at k.

    Each 0/1 column in `prefix_columns` becomes a row labelled with its name. A person whose
    options are all NA did not answer and is counted in a MISSING row; a single NA among
    answered options counts as not ticked. The totals row counts people, so it is not the
    sum of the rows above it (`rows_additive` is False); row totals do add up across columns.
    """
    _check_k(k)
    flags = people[list(prefix_columns)].to_numpy(dtype="float64", na_value=np.nan)
    answered = ~np.isnan(flags)
    if not np.isin(flags[answered], (0.0, 1.0)).all():
        raise ValueError(f"select_multiple columns must hold 0, 1 or NA: {list(prefix_columns)}")
    ticked = np.where(answered, flags, 0.0).astype("int64")
    no_answer = ~answered.any(axis=1)
    row_labels: list[Hashable] = list(prefix_columns)
    if no_answer.any():
        ticked = np.column_stack([ticked, no_answer.astype("int64")])
        row_labels.append(MISSING)

    if column is None:
        column_levels: list[Hashable] = []
        groups = np.zeros(len(people), dtype="int64")
        n_groups = 1
    else:
        groups, column_levels = _levels(people[column])
        n_groups = len(column_levels)
    inner = np.zeros((ticked.shape[1], n_groups), dtype="int64")
    np.add.at(inner.T, groups, ticked)
    people_per_column = np.bincount(groups, minlength=n_groups)

    grid = _with_totals(inner, column_totals=people_per_column)
    if column is None:
        grid = grid[:, -1:]
    # Only rows add up, and no two row lines share a cell, so the line rule alone protects.
    hidden = suppress(grid, _row_lines(grid.shape), k, two_way=False)
    return _table(
        grid,
        hidden,
        k,
        [*row_labels, TOTAL],
        [*column_levels, TOTAL],
        None,
        column,
        rows_additive=False,
    )


def suppress(values: np.ndarray, lines: list[Line], k: int, *, two_way: bool) -> np.ndarray:
    """Return the mask of cells to hide in `values` so no hidden cell can be derived.

    Primary: every count with 0 < count < k, totals included. A zero is published because it
    describes no person, so there is nobody to protect; but a total under k is itself
    hidden, since it counts the few people its cells would have shown.

    Complementary, repeated until nothing changes: a line with exactly one hidden entry
    would give it away as total minus the rest, so the smallest non-zero visible entry of
    that line is hidden too. For a two-way table (every row and every column adds up) that
    is not quite enough: the hidden cells form a bipartite graph (row and column lines as
    nodes, hidden cells as edges) and a hidden cell is derivable by combining several lines
    exactly when its edge is a bridge, so each remaining bridge gets a second path by
    hiding the smallest visible cell joining its two sides.
    """
    hidden = (values > 0) & (values < k)
    while True:
        _close_lines(values, hidden, lines)
        if not two_way:
            return hidden
        sides = _find_bridge(hidden)
        if sides is None:
            return hidden
        hidden[_cheapest(values, _crossing_cells(hidden, *sides))] = True


def _close_lines(values: np.ndarray, hidden: np.ndarray, lines: list[Line]) -> None:
    """Hide a second entry in every line that has exactly one hidden entry, until stable."""
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            entries = [*cells, total]
            if sum(bool(hidden[cell]) for cell in entries) == 1:
                hidden[_cheapest(values, [c for c in entries if not hidden[c]])] = True
                changed = True


def _cheapest(values: np.ndarray, candidates: list[Cell]) -> Cell:
    """The candidate whose hiding loses least: non-zero first, then the smallest count,
    then an inner cell rather than a total, then the first in reading order."""
    last_row, last_column = values.shape[0] - 1, values.shape[1] - 1

    def cost(cell: Cell) -> tuple[bool, int, bool, Cell]:
        count = int(values[cell])
        return count == 0, count, cell[0] == last_row or cell[1] == last_column, cell

    return min(candidates, key=cost)


def _find_bridge(hidden: np.ndarray) -> tuple[set[int], set[int]] | None:
    """The node sets either side of a bridge of the hidden-cell graph, or None if it has no
    bridge (row nodes are 0..n_rows-1, column nodes follow)."""
    n_rows = hidden.shape[0]
    edges = [(int(i), int(j)) for i, j in zip(*np.nonzero(hidden), strict=True)]
    adjacency: dict[int, set[int]] = {node: set() for node in range(sum(hidden.shape))}
    for i, j in edges:
        adjacency[i].add(n_rows + j)
        adjacency[n_rows + j].add(i)
    # The first bridge in reading order, as a search edge by edge would find it; finding
    # them all at once is linear, where searching the graph once per edge was a quarter of
    # a 100,000-response export.
    bridges = _bridges(adjacency)
    for i, j in edges:
        if frozenset((i, n_rows + j)) in bridges:
            cut = (i, n_rows + j)
            return _reachable(adjacency, i, cut), _reachable(adjacency, n_rows + j, cut)
    return None


def _bridges(adjacency: dict[int, set[int]]) -> set[frozenset[int]]:
    """Every bridge of a graph without parallel edges (an edge on no cycle): Tarjan's
    low-link numbers, by a depth-first walk with a stack of its own."""
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    bridges: set[frozenset[int]] = set()
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[int, int | None, Iterator[int]]] = [(root, None, iter(adjacency[root]))]
        while stack:
            node, parent, neighbours = stack[-1]
            for neighbour in neighbours:
                if neighbour == parent:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = len(order)
                    stack.append((neighbour, node, iter(adjacency[neighbour])))
                    break
            else:
                stack.pop()
                if parent is not None:
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        bridges.add(frozenset((parent, node)))
    return bridges


def _reachable(adjacency: dict[int, set[int]], start: int, cut: tuple[int, int]) -> set[int]:
    """Nodes reachable from `start` without using the edge `cut`."""
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        for neighbour in adjacency[node]:
            if {node, neighbour} == set(cut) or neighbour in seen:
                continue
            seen.add(neighbour)
            stack.append(neighbour)
    return seen


def _crossing_cells(hidden: np.ndarray, side_a: set[int], side_b: set[int]) -> list[Cell]:
    """Visible cells joining the two sides of a bridge; hiding any one puts it on a cycle.

    There is always one once the line rule has run: each side then holds a row and a column
    node, and the grid has a cell for every row-column pair.
    """
    n_rows = hidden.shape[0]
    return [
        (i, j)
        for i in range(n_rows)
        for j in range(hidden.shape[1])
        if not hidden[i, j]
        and ((i in side_a and n_rows + j in side_b) or (i in side_b and n_rows + j in side_a))
    ]


def _row_lines(shape: tuple[int, int]) -> list[Line]:
    """Each row, the totals row included, adds up to its cell in the totals column."""
    n_rows, n_columns = shape
    if n_columns < 2:
        return []
    return [([(i, j) for j in range(n_columns - 1)], (i, n_columns - 1)) for i in range(n_rows)]


def _column_lines(shape: tuple[int, int]) -> list[Line]:
    """Each column, the totals column included, adds up to its cell in the totals row."""
    n_rows, n_columns = shape
    if n_rows < 2:
        return []
    return [([(i, j) for i in range(n_rows - 1)], (n_rows - 1, j)) for j in range(n_columns)]


def _with_totals(inner: np.ndarray, column_totals: np.ndarray) -> np.ndarray:
    """`inner` with a totals column (row sums) and a totals row (`column_totals`, then
    their sum)."""
    inner = inner.astype("int64")
    column_totals = np.asarray(column_totals, dtype="int64")
    body = np.column_stack([inner, inner.sum(axis=1)])
    return np.vstack([body, [*column_totals, column_totals.sum()]]).astype("int64")


def _levels(values: pd.Series) -> tuple[np.ndarray, list[Hashable]]:
    """Where each value sits among its levels (NA under MISSING), and the levels in
    display order. Positions come from integer codes, never by hashing each value: a
    million people are counted in every table."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels: list[Hashable] = values.cat.categories.tolist()
        positions = values.cat.codes.to_numpy().astype(np.int64)
    else:
        observed = values.dropna().unique().tolist()
        try:
            levels = sorted(observed)
        except TypeError:  # mixed types cannot be ordered: keep the order first seen
            levels = observed
        positions = pd.Index(levels, dtype=object).get_indexer(pd.Index(values.astype(object)))
    if TOTAL in levels:
        raise ValueError(f"{values.name!r} has a value {TOTAL!r}, which would clash with totals")
    missing = positions < 0
    if missing.any():
        levels.append(MISSING)
        positions = np.where(missing, len(levels) - 1, positions)
    return positions, levels


def _table(
    grid: np.ndarray,
    hidden: np.ndarray,
    k: int,
    row_labels: list[Hashable],
    column_labels: list[Hashable],
    row_name: str | None,
    column_name: str | None,
    *,
    rows_additive: bool = True,
) -> Table:
    index = pd.Index(row_labels, dtype=object, name=row_name)
    columns = pd.Index(column_labels, dtype=object, name=column_name)
    return Table(
        counts=pd.DataFrame(grid, index=index, columns=columns),
        suppressed=pd.DataFrame(hidden, index=index, columns=columns),
        k=k,
        rows_additive=rows_additive,
    )


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
