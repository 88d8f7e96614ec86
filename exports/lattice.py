"""What the k-anonymity search knows of the generalisation lattice, and how it counts a node.

A node picks one level per quasi-identifier. When every column's levels nest (each level's
code a function of the code below it), a coarser node only merges classes: its classes
are never smaller, so fewer people sit in classes under k. Hence monotonicity: above a
node that qualifies every node qualifies, below a node that fails every node fails.
`Statuses` answers from the nodes already counted wherever that settles it, and counts
only the others — each from the grouped counts of the finest counted node below it (a
roll-up over its classes, not over every distinct row).

Levels that do not nest (a hierarchy whose later step maps a code that an earlier step
left alone) break monotonicity; the data are checked once, and without nesting every
node is counted from the rows, as the search always did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# A node of the lattice, as positions along each column's effective levels.
Node = tuple[int, ...]


@dataclass
class SearchStats:
    """What a search cost: nodes whose classes were counted, and nodes whose answer
    followed from those already counted without counting. Of the nodes counted, `joins`
    were not asked about: they were counted to settle many of those asked at once (so the
    search asked about counted - joins + inferred nodes)."""

    counted: int = 0
    inferred: int = 0
    joins: int = 0

    @property
    def asked(self) -> int:
        return self.counted - self.joins + self.inferred

    def add(self, other: SearchStats) -> None:
        self.counted += other.counted
        self.inferred += other.inferred
        self.joins += other.joins


def nested(codes: Sequence[np.ndarray]) -> bool:
    """Whether each array of codes (one per level, over the same rows; codes count from 0)
    is a function of the one before it: equal codes below stay equal above."""
    for below, above in zip(codes, codes[1:], strict=False):
        if not len(below):
            continue
        image = np.zeros(int(below.max()) + 1, dtype=np.int64)
        image[below] = above  # one of the codes above each code below...
        if not (image[below] == above).all():  # ...and every row agrees with it
            return False
    return True


# The most nodes a lattice may have for what is known of it to be kept in an array, one byte
# a node; a larger one keeps lists of the nodes counted.
DENSE_LATTICE = 2**22
UNKNOWN, QUALIFIES, FAILS = 0, 1, -1
# Count classes in an array indexed by their key when there are at most this many possible
# keys per row counted (cheaper than hashing the keys).
DIRECT_COUNT = 8
# How many counted nodes' classes are kept to roll up from (besides the distinct rows): the
# most recent, which lie beside the nodes the walk reaches next; fewer when they would hold
# more than KEPT_BYTES (at a million responses a node's classes are most of the rows).
KEPT_CLASSES = 16
KEPT_BYTES = 64 * 2**20
# Groups of the walk's nodes at most this large are asked node by node rather than settled
# by their join (a join that qualifies settles nothing, and a few nodes are cheap to ask).
JOINED_FEWEST = 8


def first_positions(labels: np.ndarray, count: int) -> np.ndarray:
    """Where each label 0 .. count - 1 first occurs in `labels` (-1 where it does not),
    without sorting: of several writes to one place the last wins, so writing the labels
    backwards leaves each one's first position."""
    first = np.full(count, -1, dtype=np.int64)
    first[labels[::-1]] = np.arange(len(labels) - 1, -1, -1)
    return first


def compact(codes: np.ndarray, cardinality: int) -> np.ndarray:
    """Codes (0 to cardinality - 1) in the smallest unsigned integer type that holds them:
    a byte for most columns, where int64 made the search's arrays eight times as large."""
    return codes.astype(np.min_scalar_type(max(cardinality - 1, 0)), copy=False)


def class_keys(
    columns: Sequence[np.ndarray], cardinalities: Sequence[int], rows: int
) -> tuple[np.ndarray, int]:
    """Each row's codes as one integer (the first column the lowest digit), and how many
    keys are possible; re-numbered densely before the key would overflow (classes are
    numbered by first appearance, so any key that tells them apart gives the same ones).
    Columns of one code add nothing and are skipped. Horner's rule, from the last column:
    two passes over the key a column and no temporary array."""
    key = np.zeros(rows, dtype=np.int64)
    radix = 1
    for column, cardinality in zip(columns[::-1], cardinalities[::-1], strict=True):
        if cardinality <= 1:
            continue
        if radix * cardinality > 2**62:
            key = pd.factorize(key)[0].astype(np.int64)
            radix = int(key.max()) + 1
        key *= cardinality
        key += column
        radix *= cardinality
    return key, radix


class Classes:
    """The classes of one node: each class's code per column (at that node's levels) and
    how many people it holds.

    A node counted by hashing learns its classes' codes only when another node is rolled
    up from it (most never are): until then it keeps the class of each of the classes it
    was rolled up from, and the maps."""

    def __init__(
        self,
        columns: list[np.ndarray] | None,
        sizes: np.ndarray,
        origin: tuple[Classes, list[np.ndarray | None], np.ndarray] | None = None,
    ) -> None:
        self._columns = columns  # per column, each class's integer code
        self.sizes = sizes  # per class, its people
        self._origin = origin

    @property
    def columns(self) -> list[np.ndarray]:
        if self._columns is None:
            assert self._origin is not None
            below, maps, dense = self._origin
            first = first_positions(dense, len(self.sizes))  # each class's first row below
            self._columns = [
                column[first] if mapping is None else mapping[column[first]]
                for column, mapping in zip(below.columns, maps, strict=True)
            ]
            self._origin = None
        return self._columns

    @property
    def nbytes(self) -> int:
        held = [*(self._columns or []), *(self._origin[2:] if self._origin else [])]
        return self.sizes.nbytes + sum(column.nbytes for column in held)

    @classmethod
    def grouped(
        cls, columns: list[np.ndarray], cardinalities: list[int], sizes: np.ndarray
    ) -> Classes:
        """Rows with equal codes (columns[j] in range(cardinalities[j])) merged into one
        class, their people added."""
        identity: list[np.ndarray | None] = [None] * len(columns)
        return cls([*columns], sizes)._merged(columns, identity, cardinalities)

    def people_in_classes_under(self, k: int) -> float:
        return float(self.sizes[self.sizes < k].sum())

    def roll_up(self, maps: list[np.ndarray | None], cardinalities: list[int]) -> Classes:
        """The classes of a coarser node: each column's codes mapped up (None: the same
        level), then equal rows merged."""
        columns = [
            column if mapping is None or cardinality <= 1 else mapping[column]
            for column, mapping, cardinality in zip(self.columns, maps, cardinalities, strict=True)
        ]
        return self._merged(columns, maps, cardinalities)

    def _merged(
        self,
        columns: list[np.ndarray],
        maps: list[np.ndarray | None],
        cardinalities: list[int],
    ) -> Classes:
        """This node's classes (`columns` are their codes at the coarser levels) merged
        where equal."""
        space = math.prod(cardinalities)
        if space <= DIRECT_COUNT * (len(self.sizes) + 1):
            # Few possible classes: count them by their key directly, and read each
            # present class's codes back from its key (every row holds a person).
            key, _ = class_keys(columns, cardinalities, len(self.sizes))
            counts = np.bincount(key, weights=self.sizes, minlength=space)
            present = np.flatnonzero(counts)
            codes, radix = [], 1
            for cardinality in cardinalities:
                codes.append(compact(present // radix % cardinality, cardinality))
                radix *= cardinality
            return Classes(codes, counts[present])
        key, _ = class_keys(columns, cardinalities, len(self.sizes))
        dense, _ = pd.factorize(key)
        return Classes(None, np.bincount(dense, weights=self.sizes), (self, maps, dense))


def level_dtype(highest: int) -> np.dtype:
    """The integer type levels up to `highest` are held in: a byte where they fit (any
    hierarchy of a real code list), else 64 bits."""
    return np.dtype(np.int8 if highest <= np.iinfo(np.int8).max else np.int64)


def walk_order(terms: Sequence[Sequence[float]], below: float, limit: int) -> list[Node]:
    """The nodes a best-first walk up from the bottom node reaches first, in its order: those
    whose loss (the sum of terms[j][node[j]] added in column order) is under
    `below`, cheapest first, ties by height and then by the node itself (the order of the
    walk's heap, since loss never falls along the lattice), at most `limit` of them.

    A heap walk spent some 50 µs of Python per node, a quarter of a second a pass and
    most of a small export. Here the nodes are built a column at a time in arrays: a prefix
    is dropped once `limit` others are sure to come before every node it could start (the
    sums only grow, and `margin` covers the rounding of a sum that differs by a hair); among
    prefixes of exactly equal loss, those of lower height and then order come first."""
    margin = 1e-9 * max(1.0, sum(max(row, default=0.0) for row in terms))
    # A byte a level where they fit: the prefixes are copied at every column.
    level = level_dtype(max((len(row) for row in terms), default=0))
    nodes = np.zeros((1, 0), dtype=level)
    losses = np.zeros(1)
    heights = np.zeros(1, dtype=np.int64)
    for row in terms:
        count = len(row)
        losses = (losses[:, None] + np.asarray(row, dtype=np.float64)[None, :]).ravel()
        heights = (heights[:, None] + np.arange(count)[None, :]).ravel()
        nodes = np.column_stack(
            [np.repeat(nodes, count, axis=0), np.tile(np.arange(count, dtype=level), len(nodes))]
        )
        under = losses < below + margin
        nodes, losses, heights = nodes[under], losses[under], heights[under]
        if len(losses) > limit:
            kept = _first_prefixes(nodes, losses, heights, limit, margin)
            nodes, losses, heights = nodes[kept], losses[kept], heights[kept]
    # The sums were added column by column in the order `loss` adds them, so they are
    # its very floats; sorted in arrays rather than recomputed node by node (a third of a
    # second a search).
    under = losses < below
    nodes, losses, heights = nodes[under], losses[under], heights[under]
    order = np.lexsort([*nodes.T[::-1], heights, losses])[:limit]
    return list(map(tuple, nodes[order].tolist()))


def _first_prefixes(
    nodes: np.ndarray, losses: np.ndarray, heights: np.ndarray, limit: int, margin: float
) -> np.ndarray:
    """Which prefixes may start one of the first `limit` nodes: those clearly cheaper than
    the limit-th, and of those tied with it, the first by height and order (or all near
    it, when the tie is not exact)."""
    tie = np.partition(losses, limit - 1)[limit - 1]
    kept: np.ndarray = losses < tie - margin
    near: np.ndarray = ~kept & (losses <= tie + margin)
    if (losses[near] != tie).any():
        either: np.ndarray = kept | near
        return either
    tied = np.flatnonzero(near)
    first = np.lexsort([*nodes[tied].T[::-1], heights[tied]])
    kept[tied[first[: limit - int(kept.sum())]]] = True
    return kept


class Statuses:
    """Whether nodes qualify (at most `allowed` people in classes under k), counted only
    when the nodes already counted do not settle it.

    `codes[j][p]` are column j's codes over the distinct rows at its p-th effective level,
    `weights` the people on each distinct row."""

    def __init__(
        self,
        codes: Sequence[Sequence[np.ndarray]],
        weights: np.ndarray,
        k: int,
        allowed: float,
        dense_limit: int = DENSE_LATTICE,
    ) -> None:
        self.k, self.allowed = k, allowed
        self.weights = weights
        self.stats = SearchStats()
        self.monotone = all(nested(levels) for levels in codes)
        # What is known of each node: in an array over the whole lattice when it is small
        # enough, else as the lists of nodes counted that failed and that qualified.
        shape = tuple(len(levels) for levels in codes)
        self.lattice = np.zeros(shape, dtype=np.int8) if math.prod(shape) <= dense_limit else None
        self.failing = np.empty((0, len(codes)), dtype=np.int64)
        self.qualifying = np.empty((0, len(codes)), dtype=np.int64)
        self.cardinalities = [
            [int(c.max()) + 1 if len(c) else 1 for c in levels] for levels in codes
        ]
        self.codes = [
            [compact(c, n) for c, n in zip(levels, cards, strict=True)]
            for levels, cards in zip(codes, self.cardinalities, strict=True)
        ]
        self.bottom: Node = tuple(0 for _ in codes)
        self.rows = Classes([levels[0] for levels in self.codes], weights)
        # The classes of recently counted nodes, to roll the next ones up from.
        self.recent: dict[Node, Classes] = {}
        # up[j][(p, q)]: column j's codes at position p mapped to position q.
        self.up: list[dict[tuple[int, int], np.ndarray]] = [{} for _ in codes]

    def known(self, node: Node) -> bool | None:
        """What monotonicity says of a node from those counted: True, False or None."""
        if not self.monotone:
            return None
        if self.lattice is not None:
            status = self.lattice.item(node)
            return None if status == UNKNOWN else status == QUALIFIES
        point = np.asarray(node, dtype=np.int64)
        if len(self.qualifying) and (self.qualifying <= point).all(axis=1).any():
            return True
        if len(self.failing) and (self.failing >= point).all(axis=1).any():
            return False
        return None

    def qualifies(self, node: Node) -> bool:
        settled = self.known(node)
        if settled is not None:
            self.stats.inferred += 1
            return settled
        return self._count(node)

    def _count(self, node: Node) -> bool:
        """Count the node's classes, and note what that says of the nodes above or below."""
        self.stats.counted += 1
        fits = self.classes(node).people_in_classes_under(self.k) <= self.allowed
        if self.lattice is not None:
            # Everything above a qualifying node qualifies, everything below a failing one
            # fails: one slice of the lattice each.
            if fits:
                self.lattice[tuple(slice(p, None) for p in node)] = QUALIFIES
            else:
                self.lattice[tuple(slice(0, p + 1) for p in node)] = FAILS
        elif fits:
            self.qualifying = np.concatenate([self.qualifying, [node]])
        else:
            self.failing = np.concatenate([self.failing, [node]])
        return fits

    def first_qualifying(self, nodes: list[Node]) -> Node | None:
        """The first of `nodes` that qualifies, as asking `qualifies` of each in turn
        would find it.

        With nesting levels, groups of alike nodes are first settled by their joins
        (`_settle_by_joins`); then the nodes are asked in turn, most of them already
        known."""
        if not nodes:
            return None
        points = np.asarray(nodes, dtype=np.int64)
        if self.monotone:
            self._settle_by_joins(points)
        return self._first_in_turn(nodes, points)

    def _settle_by_joins(self, points: np.ndarray) -> None:
        """Count the join of the nodes (each column at the highest level any of them has):
        it lies above every one of them, so when it fails they all fail, for one count.
        When it qualifies, the nodes are split in two along the column whose levels differ
        most among them, and each half is settled alike, its join lower than theirs
        together. With twenty quasi-identifiers the walk's first 5,000 nodes often hold no
        qualifying node at all: a hundred joins settle what was a thousand counts of nearly
        every row, and the same node is found (the walk's order matters only among the
        nodes left unsettled, which are asked in turn)."""
        if len(points) <= JOINED_FEWEST:
            return
        join: Node = tuple(points.max(axis=0).tolist())
        fits = self.known(join)
        if fits is None:
            self.stats.joins += 1
            fits = self._count(join)
        if not fits:
            return
        spread = np.ptp(points, axis=0)
        if not spread.any():  # one node, asked more than once: its join is itself
            return
        column = points[:, int(spread.argmax())]
        low = column <= np.median(column)
        if low.all():
            low = column < column.max()
        self._settle_by_joins(points[low])
        self._settle_by_joins(points[~low])

    def _first_in_turn(self, nodes: list[Node], points: np.ndarray) -> Node | None:
        """The first of `nodes` that qualifies, asking of each in turn as `qualifies`
        would (the same nodes counted, the same inferred), but inferring in one step over
        all of them: from the nodes counted so far at the start, then from each node
        counted that fails."""
        status = self._known_all(points)
        position = 0
        while True:
            open_ = np.flatnonzero(status[position:] != FAILS)
            if not len(open_):
                self.stats.inferred += len(nodes) - position
                return None
            at = position + int(open_[0])
            self.stats.inferred += at - position
            if status[at] == QUALIFIES:
                self.stats.inferred += 1
                return nodes[at]
            if self.qualifies(nodes[at]):
                return nodes[at]
            if self.monotone:
                status[at + 1 :][(points[at + 1 :] <= points[at]).all(axis=1)] = FAILS
            position = at + 1

    def _known_all(self, points: np.ndarray) -> np.ndarray:
        """`known` of many nodes at once, as UNKNOWN, QUALIFIES or FAILS."""
        if not self.monotone:
            return np.full(len(points), UNKNOWN, dtype=np.int8)
        if self.lattice is not None:
            return np.asarray(self.lattice[tuple(points.T)], dtype=np.int8)
        status = np.full(len(points), UNKNOWN, dtype=np.int8)
        for failing in self.failing:
            status[(points <= failing).all(axis=1)] = FAILS
        for qualifying in self.qualifying:  # as `known`: qualifying is asked first
            status[(points >= qualifying).all(axis=1)] = QUALIFIES
        return status

    def classes(self, node: Node) -> Classes:
        """The node's classes, rolled up from the kept node below it with fewest classes,
        or from the distinct rows (always, when levels do not nest)."""
        cardinalities = [self.cardinalities[j][p] for j, p in enumerate(node)]
        if not self.monotone:
            columns = [levels[p] for levels, p in zip(self.codes, node, strict=True)]
            return Classes.grouped(columns, cardinalities, self.weights)
        below, source = self.bottom, self.rows
        for other, classes in self.recent.items():
            finer = all(b <= n for b, n in zip(other, node, strict=True))
            if finer and len(classes.sizes) < len(source.sizes):
                below, source = other, classes
        maps = [
            None if b == n else self._map(j, b, n)
            for j, (b, n) in enumerate(zip(below, node, strict=True))
        ]
        classes = source.roll_up(maps, cardinalities)
        self.recent[node] = classes
        while len(self.recent) > 1 and (
            len(self.recent) > KEPT_CLASSES
            or sum(kept.nbytes for kept in self.recent.values()) > KEPT_BYTES
        ):
            del self.recent[next(iter(self.recent))]
        return classes

    def _map(self, column: int, below: int, above: int) -> np.ndarray:
        """Column's codes at position `below` -> its codes at position `above` (a
        function, since the levels nest)."""
        key = (below, above)
        if key not in self.up[column]:
            source, target = self.codes[column][below], self.codes[column][above]
            mapping = np.zeros(int(source.max()) + 1 if len(source) else 0, dtype=target.dtype)
            mapping[source] = target
            self.up[column][key] = mapping
        return self.up[column][key]
