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
    followed from those already counted without counting."""

    counted: int = 0
    inferred: int = 0

    def add(self, other: SearchStats) -> None:
        self.counted += other.counted
        self.inferred += other.inferred


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
# most recent, which lie beside the nodes the walk reaches next.
KEPT_CLASSES = 16


class Classes:
    """The classes of one node: each class's code per column (at that node's levels) and
    how many people it holds."""

    def __init__(self, columns: list[np.ndarray], sizes: np.ndarray) -> None:
        self.columns = columns  # per column, each class's integer code
        self.sizes = sizes  # per class, its people

    @classmethod
    def grouped(
        cls, columns: list[np.ndarray], cardinalities: list[int], sizes: np.ndarray
    ) -> Classes:
        """Rows with equal codes (columns[j] in range(cardinalities[j])) merged into one
        class, their people added."""
        space = math.prod(cardinalities)
        if space <= DIRECT_COUNT * (len(sizes) + 1):
            # Few possible classes: count them by their key directly, and read each
            # present class's codes back from its key (every row holds a person).
            key = np.zeros(len(sizes), dtype=np.int64)
            radix = 1
            for column, cardinality in zip(columns, cardinalities, strict=True):
                key += column.astype(np.int64, copy=False) * radix
                radix *= cardinality
            counts = np.bincount(key, weights=sizes, minlength=space)
            present = np.flatnonzero(counts)
            codes, radix = [], 1
            for cardinality in cardinalities:
                codes.append(present // radix % cardinality)
                radix *= cardinality
            return cls(codes, counts[present])
        key = np.zeros(len(sizes), dtype=np.int64)
        radix = 1
        for column, cardinality in zip(columns, cardinalities, strict=True):
            if radix * cardinality > 2**62:  # re-number densely before the key overflows
                key = pd.factorize(key)[0].astype(np.int64)
                radix = int(key.max()) + 1
            key += column.astype(np.int64, copy=False) * radix
            radix *= cardinality
        dense, uniques = pd.factorize(key)
        # Each class's first row, without sorting: the last write of a position wins.
        first = np.empty(len(uniques), dtype=np.int64)
        first[dense[::-1]] = np.arange(len(dense) - 1, -1, -1)
        return cls([column[first] for column in columns], np.bincount(dense, weights=sizes))

    def people_in_classes_under(self, k: int) -> float:
        return float(self.sizes[self.sizes < k].sum())

    def roll_up(self, maps: list[np.ndarray | None], cardinalities: list[int]) -> Classes:
        """The classes of a coarser node: each column's codes mapped up (None: the same
        level), then equal rows merged."""
        columns = [
            column if mapping is None else mapping[column]
            for column, mapping in zip(self.columns, maps, strict=True)
        ]
        return Classes.grouped(columns, cardinalities, self.sizes)


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
        self.codes, self.weights = codes, weights
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
        self.bottom: Node = tuple(0 for _ in codes)
        self.rows = Classes([levels[0] for levels in codes], weights)
        # The classes of recently counted nodes, to roll the next ones up from.
        self.recent: dict[Node, Classes] = {}
        # up[j][(p, q)]: column j's codes at position p mapped to position q.
        self.up: list[dict[tuple[int, int], np.ndarray]] = [{} for _ in codes]

    def known(self, node: Node) -> bool | None:
        """What monotonicity says of a node from those counted: True, False or None."""
        if not self.monotone:
            return None
        if self.lattice is not None:
            status = self.lattice[node]
            return None if status == UNKNOWN else bool(status == QUALIFIES)
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
        if len(self.recent) > KEPT_CLASSES:
            del self.recent[next(iter(self.recent))]
        return classes

    def _map(self, column: int, below: int, above: int) -> np.ndarray:
        """Column's codes at position `below` -> its codes at position `above` (a
        function, since the levels nest)."""
        key = (below, above)
        if key not in self.up[column]:
            source, target = self.codes[column][below], self.codes[column][above]
            mapping = np.zeros(int(source.max()) + 1 if len(source) else 0, dtype=np.int64)
            mapping[source] = target
            self.up[column][key] = mapping
        return self.up[column][key]
