"""What the search knows of the lattice: every answer `Statuses` gives, whether counted,
rolled up from another node or inferred by monotonicity, is what counting the rows says."""

from __future__ import annotations

import functools
import heapq
import operator

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.lattice import Statuses, nested, walk_order


def column_levels(rng: np.random.Generator, rows: int, nest: bool) -> list[np.ndarray]:
    """One column's codes at 1-4 levels: each level merges the one below at random
    (nesting), or is drawn anew (not nesting, as a broken hierarchy would be)."""
    levels = [rng.integers(0, 6, size=rows)]
    for _ in range(rng.integers(0, 4)):
        below = levels[-1]
        if nest:
            merge = rng.integers(0, max(1, int(below.max())), size=int(below.max()) + 1)
            levels.append(pd.factorize(merge[below])[0])
        else:
            levels.append(pd.factorize(rng.integers(0, 3, size=rows))[0])
    return [pd.factorize(levels[0])[0], *levels[1:]]


def counted_by_hand(codes, weights, node, k: int, allowed: float) -> bool:
    table = pd.DataFrame({j: codes[j][p] for j, p in enumerate(node)})
    sizes = table.assign(people=weights).groupby(list(range(len(node))))["people"].sum()
    return bool(sizes[sizes < k].sum() <= allowed)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    rows=st.integers(min_value=1, max_value=60),
    width=st.integers(min_value=1, max_value=4),
    nest=st.booleans(),
    dense=st.booleans(),
    k=st.integers(min_value=2, max_value=6),
    allowed=st.sampled_from([0.0, 2.0, 10.0]),
)
def test_every_answer_is_what_counting_the_rows_says(seed, rows, width, nest, dense, k, allowed):
    rng = np.random.default_rng(seed)
    codes = [column_levels(rng, rows, nest) for _ in range(width)]
    weights = rng.integers(1, 4, size=rows).astype(np.float64)
    statuses = Statuses(codes, weights, k, allowed, dense_limit=2**22 if dense else 0)
    nodes = [tuple(int(rng.integers(0, len(levels))) for levels in codes) for _ in range(40)]
    for node in nodes:
        assert statuses.qualifies(node) == counted_by_hand(codes, weights, node, k, allowed)
    assert statuses.stats.counted + statuses.stats.inferred == len(nodes)
    if nest:
        # Whatever monotonicity settles is not counted again: a node asked twice is
        # counted once at most.
        counted = statuses.stats.counted
        for node in nodes:
            statuses.qualifies(node)
        assert statuses.stats.counted == counted


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    rows=st.integers(min_value=1, max_value=60),
    width=st.integers(min_value=1, max_value=5),
    nest=st.booleans(),
    k=st.integers(min_value=2, max_value=6),
    allowed=st.sampled_from([0.0, 2.0, 10.0]),
    asked=st.integers(min_value=0, max_value=120),
    repeats=st.integers(min_value=1, max_value=12),
    dense=st.booleans(),
)
def test_the_first_qualifying_node_is_the_first_counting_finds(
    seed, rows, width, nest, k, allowed, asked, repeats, dense
):
    """Settling stretches of the walk by their joins finds the node that counting each
    node in turn finds, and counts no node twice."""
    rng = np.random.default_rng(seed)
    codes = [column_levels(rng, rows, nest) for _ in range(width)]
    weights = rng.integers(1, 4, size=rows).astype(np.float64)
    # Nodes roughly from the bottom up, as the walk lists them; some asked many times.
    drawn = [tuple(int(rng.integers(0, len(levels))) for levels in codes) for _ in range(asked)]
    nodes = sorted(drawn + drawn[:1] * repeats, key=sum)
    expected = next(
        (node for node in nodes if counted_by_hand(codes, weights, node, k, allowed)), None
    )
    statuses = Statuses(codes, weights, k, allowed, dense_limit=2**22 if dense else 0)
    assert statuses.first_qualifying(nodes) == expected
    # Every node up to the one found was asked about, in turn; the joins besides.
    asked = nodes.index(expected) + 1 if expected is not None else len(nodes)
    assert statuses.stats.asked == asked
    if nest:  # without nesting nothing is known of one node from another
        lattice = int(np.prod([len(levels) for levels in codes]))
        assert statuses.stats.counted <= lattice


def test_levels_that_split_what_they_should_merge_do_not_nest():
    assert nested([np.array([0, 1, 2]), np.array([0, 0, 1]), np.array([0, 0, 0])])
    # rows 0 and 1 share a code below, not above: a hierarchy mapping an unchanged code
    assert not nested([np.array([0, 0, 1]), np.array([0, 1, 1])])


def walked_by_heap(terms, below: float, limit: int) -> list[tuple]:
    """The nodes a best-first walk from the bottom pops, in order: a heap of (loss, height,
    node), children pushed as each node is popped, as the search walked before."""
    start = tuple(0 for _ in terms)

    def loss(node):  # one term after another, as the search adds them
        return functools.reduce(
            operator.add, (row[level] for row, level in zip(terms, node, strict=True)), 0.0
        )

    heap, seen, popped = [(loss(start), 0, start)], {start}, []
    while heap and len(popped) < limit:
        cost, height, node = heapq.heappop(heap)
        if cost >= below:
            break
        popped.append(node)
        for i, row in enumerate(terms):
            if node[i] + 1 < len(row):
                child = node[:i] + (node[i] + 1,) + node[i + 1 :]
                if child not in seen:
                    seen.add(child)
                    heapq.heappush(heap, (loss(child), height + 1, child))
    return popped


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    # Losses as the search makes them: 0 at a column's first level, growing level by level,
    # often tied (columns without information add 0 at every level).
    columns=st.lists(
        st.lists(st.sampled_from([0.0, 0.1, 0.25, 1 / 3, 0.5, 2.0, 3.5]), max_size=4),
        min_size=1,
        max_size=7,
    ),
    limit=st.integers(min_value=1, max_value=60),
    below=st.sampled_from([0.3, 1.0, 2.5, 100.0]),
)
def test_the_walk_order_is_the_heap_walks(columns, limit, below):
    terms = [[0.0, *np.cumsum(steps).tolist()] for steps in columns]
    assert walk_order(terms, below, limit) == walked_by_heap(terms, below, limit)
