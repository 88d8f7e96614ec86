"""k-anonymity over the quasi-identifiers, person by person (local recoding).

Each quasi-identifier (age range, country, gender, qualification, …) has levels along its
hierarchy (country -> M49 sub-region -> region of interest -> … -> suppressed). A *node*
picks one level per quasi-identifier. `best_node` finds the node that loses least
information (the purpose's weights times the share of each column's entropy removed)
under which at most a given number of people sit in classes smaller than k: a greedy
bound from the top, then a best-first walk from the most detailed node (a coarser node
never makes a class smaller, and loss never falls along the lattice, so the first
qualifying node it reaches is the least-loss one). Only the nodes that those already
counted do not settle by monotonicity have their classes counted (`lattice`). `recode`
applies it pass after pass to the people the previous pass left in small classes; what is
left at the end is suppressed, and `hide_among_k` makes sure the suppressed are k or more.

People, not responses, are counted: a person's intake and follow-ups form one record over
all their quasi-identifiers. All work happens on the distinct combinations of values with
their head counts, so the search costs little even for a million responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import add, getitem
from typing import TypedDict

import numpy as np
import pandas as pd

from . import refusals
from .columns import SUPPRESSED
from .definitions import HierarchyLevel
from .lattice import (
    SearchStats,
    Statuses,
    class_keys,
    compact,
    first_positions,
    level_dtype,
    walk_order,
)

MISSING = "missing"
# The most lattice nodes the exact best-first search looks at before it settles for the
# greedy bound (about a second at a thousand distinct combinations).
MAX_NODES = 5000
# Separators that no code can contain: between a multi-select's codes, between waves.
CODE_SEPARATOR = "\x1f"
WAVE_SEPARATOR = "\x1e"

# A node of the lattice: one level per quasi-identifier.
Node = tuple[int, ...]


@dataclass
class QuasiIdentifier:
    """One quasi-identifying question and its generalisation levels."""

    name: str
    # Level names: "original", the hierarchy's levels, then "suppressed".
    levels: list[str]
    # maps[i] takes an original code to its code at level i (maps[0] is the identity).
    maps: list[dict[str, str]]
    multi: bool = False
    # labels[i]: names of the codes of level i, where the hierarchy gives them.
    labels: list[dict[str, str]] = field(default_factory=list)
    # How much the purpose of a release values this column: its information loss counts
    # this many times.
    weight: float = 1.0
    # The coarsest level the purpose accepts (None: any, up to suppressed). Only people
    # left over at the very end may go above it (see `recode`).
    keep: int | None = None

    @classmethod
    def from_hierarchy(
        cls,
        name: str,
        hierarchy: Sequence[HierarchyLevel] | None,
        multi: bool = False,
        weight: float = 1.0,
        keep: str | None = None,
    ) -> QuasiIdentifier:
        """From a code list's hierarchy: each level maps the previous level's codes."""
        levels: list[str] = ["original"]
        maps: list[dict[str, str]] = [{}]
        labels: list[dict[str, str]] = [{}]
        current: dict[str, str] = {}
        for step in hierarchy or []:
            mapping = step["map"]
            if not current:
                current = {code: code for code in mapping}
            current = {code: mapping.get(value, value) for code, value in current.items()}
            levels.append(step["level"])
            maps.append(dict(current))
            labels.append(dict(step.get("labels", {})))
        levels.append(SUPPRESSED)
        maps.append({})
        labels.append({})
        kept = levels.index(keep) if keep in levels else None
        return cls(name, levels, maps, multi, labels, weight, kept)

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    def generalise(self, value: str, level: int) -> str:
        """A person's value at a level: one part per wave that asked it; a multi-select
        part is its set of codes."""
        if level == self.top:
            return SUPPRESSED
        if level == 0:
            return value
        return WAVE_SEPARATOR.join(
            self.code_at(part, level) for part in value.split(WAVE_SEPARATOR)
        )

    def code_at(self, value: str, level: int) -> str:
        """One answer's code (or multi-select code set) at a level below `top`."""
        if level == 0 or value == MISSING:
            return value
        mapping = self.maps[level]
        if self.multi:
            codes = {mapping.get(c, c) for c in value.split(CODE_SEPARATOR) if c}
            return CODE_SEPARATOR.join(sorted(codes))
        return mapping.get(value, value)


@dataclass
class Result:
    k: int
    levels: dict[str, str]  # quasi-identifier -> chosen level name
    level_index: dict[str, int]
    suppressed: set[str] = field(default_factory=set)  # person keys suppressed
    k_achieved: int = 0
    people: int = 0
    stats: SearchStats = field(default_factory=SearchStats)


class CannotAnonymise(refusals.Refusal):
    """k cannot be met: fewer than k people in all, or too many to suppress."""


def too_few(total: int, k: int) -> CannotAnonymise:
    """Fewer than k people in all: no generalisation can hide anyone."""
    return CannotAnonymise(
        f"only {refusals.people(total)}; k={k} needs at least {k}, "
        "so no generalisation can protect them",
        refusals.TOO_FEW_PEOPLE,
        people=total,
        k=k,
    )


# (quasi-identifier, level) -> a value per distinct row, or how many distinct values.
Codes = dict[tuple[str, int], np.ndarray]
Distinct = dict[tuple[str, int], int]


def _combinations(
    people: pd.DataFrame, qis: list[QuasiIdentifier]
) -> tuple[np.ndarray, np.ndarray, Codes, Distinct]:
    """The distinct combinations of values: each person's (numbered as first seen), the
    people holding each, and the integer codes of every combination at every level with
    how many distinct values each level has.

    Each column's values are listed once (numbered as first seen) and generalised level
    by level, never person by person; the combinations are found from those integers, not
    by grouping the texts again."""
    positions, values = [], []
    for qi in qis:
        position, distinct_values = numbered(people[qi.name])
        positions.append(position)
        values.append(distinct_values)
    combination = _classes(positions, [len(v) for v in values], len(people))
    weights = np.bincount(combination).astype(np.float64)
    first = first_positions(combination, len(weights))  # each combination's first person
    codes: Codes = {}
    distinct: Distinct = {}
    for qi, position, distinct_values in zip(qis, positions, values, strict=True):
        of_combination = position[first]
        for level in range(qi.top + 1):
            general = [qi.generalise(value, level) for value in distinct_values]
            encoded, uniques = pd.factorize(np.asarray(general, dtype=object))
            # A byte a row for most columns: at a million responses, int64 codes of every
            # level were a third of a gigabyte.
            codes[qi.name, level] = compact(encoded, len(uniques))[of_combination]
            distinct[qi.name, level] = len(uniques)
    return combination, weights, codes, distinct


def row_classes(frame: pd.DataFrame) -> np.ndarray:
    """Each row's class: equal rows share a number, numbered as first seen (as pandas'
    `groupby(sort=False).ngroup()` numbers them, without grouping the texts: each column
    is numbered once and the rows are told apart by those integers)."""
    positions, cardinalities = [], []
    for name in frame.columns:
        position, uniques = numbered(frame[name])
        positions.append(position)
        cardinalities.append(len(uniques))
    return _classes(positions, cardinalities, len(frame))


def numbered(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each value's number (equal values alike, numbered as first seen) and the distinct
    values as Python objects: `pd.factorize` of the values as objects, but for a
    categorical (as the people's table and the released values are held) worked on its
    integer codes, without an object per row."""
    if isinstance(values.dtype, pd.CategoricalDtype) and not values.isna().any():
        position, present = pd.factorize(values.cat.codes.to_numpy())
        return position, values.cat.categories.to_numpy(dtype=object)[present]
    position, distinct = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    return position, np.asarray(distinct, dtype=object)


def as_categorical(codes: np.ndarray, names: Sequence[str]) -> pd.Categorical:
    """Values given as codes into `names` (which may repeat a name: its codes merge), held
    as a categorical of Python strings: a code a row, each string once."""
    merged, distinct = pd.factorize(np.asarray(names, dtype=object))
    return pd.Categorical.from_codes(
        merged[codes], categories=pd.Index(np.asarray(distinct, dtype=object), dtype=object)
    )


def _classes(columns: Sequence[np.ndarray], cardinalities: Sequence[int], rows: int) -> np.ndarray:
    """Rows with equal codes in every column (columns[j] in range(cardinalities[j])) share
    a number, numbered as first seen."""
    return np.asarray(pd.factorize(class_keys(columns, cardinalities, rows)[0])[0])


def _class_sizes(
    node: Node,
    qis: Sequence[QuasiIdentifier],
    codes: Codes,
    distinct: Distinct,
    weights: np.ndarray,
) -> np.ndarray:
    """Size (people) of the class each distinct row falls in under this node."""
    columns = [codes[qi.name, level] for qi, level in zip(qis, node, strict=True)]
    cardinalities = [distinct[qi.name, level] for qi, level in zip(qis, node, strict=True)]
    dense = _classes(columns, cardinalities, len(weights))
    sizes: np.ndarray = np.bincount(dense, weights=weights)[dense]
    return sizes


def search(
    people: pd.DataFrame, qis: list[QuasiIdentifier], k: int, max_suppression: float
) -> Result:
    """The least-loss node with at most `max_suppression` of people in classes under k.

    `people` has one row per person: a column per quasi-identifier holding the person's
    original value ("missing" when not answered), and the index identifying the person.
    """
    total = len(people)
    if total < k:
        raise too_few(total, k)
    node, small, stats = best_node(people, qis, k, max_suppression * total)
    kept = _person_class_sizes(people, qis, node)[~small]
    return Result(
        k=k,
        levels={qi.name: qi.levels[level] for qi, level in zip(qis, node, strict=True)},
        level_index={qi.name: level for qi, level in zip(qis, node, strict=True)},
        suppressed=set(people.index[small]),
        k_achieved=int(kept.min()) if len(kept) else 0,
        people=total,
        stats=stats,
    )


def best_node(
    people: pd.DataFrame,
    qis: list[QuasiIdentifier],
    k: int,
    allowed: float,
    keep: frozenset[str] | None = None,
) -> tuple[tuple[int, ...], np.ndarray, SearchStats]:
    """The least-loss node under which at most `allowed` people sit in classes smaller
    than k: (the level of each quasi-identifier, which people are in small classes, what
    the search cost). The columns named in `keep` (all, when None) stay at or below the
    coarsest level their purpose accepts."""
    if not qis or not len(people):
        return tuple(0 for _ in qis), np.zeros(len(people), dtype=bool), SearchStats()
    combo_of_person, weights, codes, distinct = _combinations(people, qis)

    entropy = {
        key: _entropy(np.bincount(encoded, weights=weights)) for key, encoded in codes.items()
    }

    # Only levels that merge something in this data count: a level that leaves every
    # present value apart gives the same classes as the one below it (no plateaus to walk).
    steps = [_effective_levels(qi, distinct, keep is None or qi.name in keep) for qi in qis]
    statuses = Statuses(
        [[codes[qi.name, level] for level in step] for qi, step in zip(qis, steps, strict=True)],
        weights,
        k,
        allowed,
    )
    qualifies = statuses.qualifies

    def levels_of(node: Node) -> Node:
        return tuple(step[i] for step, i in zip(steps, node, strict=True))

    # Each column's share of the loss at each of its levels: the share of its information
    # the generalisation removes (Shannon entropy before minus after, over before),
    # weighted by what the release's purpose values. A node's loss is their sum: keeping a
    # column at half its detail costs half its weight, however many values it has, so the
    # weights alone say what matters more. Columns without information (one value) add
    # nothing.
    informative = [j for j, qi in enumerate(qis) if entropy[qi.name, 0] > 0]
    terms = [
        [qi.weight * (1 - entropy[qi.name, level] / entropy[qi.name, 0]) for level in step]
        if j in informative
        else []
        for j, (qi, step) in enumerate(zip(qis, steps, strict=True))
    ]

    # A column without information adds 0.0 at every level: the same sums, in the same
    # order, as over the informative columns alone, but summed in C (the walk computes
    # about half a million of them a search).
    rows = [row if j in informative else [0.0] * len(steps[j]) for j, row in enumerate(terms)]

    def loss(node: Node) -> float:
        # Added one term after another from 0.0, as `walk_order` adds them in arrays: the
        # same floats (Python 3.12's sum() would compensate, and ties could order apart).
        return reduce(add, map(getitem, rows, node), 0.0)

    # An upper bound first: from the top node (everyone alike), lower one column at a time,
    # always the one that keeps most information, while the node still qualifies. The
    # candidates are tried cheapest first, so the first that qualifies is the one taken
    # and the dearer ones need no counting; a column that could not be lowered never can
    # again (its next candidate lies below the one that failed), which `statuses` knows.
    top = tuple(len(step) - 1 for step in steps)
    bound = top
    if qualifies(top):
        while True:
            lower = [bound[:i] + (bound[i] - 1,) + bound[i + 1 :] for i in range(len(qis))]
            lower = [node for node in lower if min(node) >= 0]
            # sorted() is stable: among equal losses the first column wins, as min() did.
            fit = next((node for node in sorted(lower, key=loss) if qualifies(node)), None)
            if fit is None:
                break
            bound = fit
    # Then best-first from the most detailed node: the first qualifying node is the
    # least-loss one. It stops where the bound's loss is reached (nothing cheaper is left)
    # or after MAX_NODES nodes, keeping the bound: with many columns the lattice has
    # millions of nodes below it. The walk's order is listed first (`walk_order`); the
    # nodes under one that failed are known to fail without counting, and stretches of the
    # walk are settled by their joins (`Statuses.first_qualifying`): with many columns the
    # first MAX_NODES nodes seldom hold a qualifying one.
    walk = walk_order(rows, loss(bound), MAX_NODES)
    chosen = statuses.first_qualifying(walk) or bound
    small = _class_sizes(levels_of(chosen), qis, codes, distinct, weights) < k
    return levels_of(chosen), small[combo_of_person], statuses.stats


def _person_class_sizes(people: pd.DataFrame, qis: list[QuasiIdentifier], node: Node) -> np.ndarray:
    """Each person's class size under a node."""
    if not qis:
        return np.full(len(people), len(people))
    classes = row_classes(released(people, qis, np.tile(np.asarray(node), (len(people), 1))))
    sizes: np.ndarray = np.bincount(classes)[classes]
    return sizes


class RecodingPass(TypedDict):
    """One pass of local recoding: how many people it placed, at which levels."""

    people: int
    generalisation: dict[str, str]


@dataclass
class Recoding:
    """Local recoding: each person's level for every quasi-identifier.

    `levels[i, j]` is person i's level of quasi-identifier j; people with every
    quasi-identifier at its top level are the suppressed.
    """

    levels: np.ndarray
    passes: list[RecodingPass] = field(default_factory=list)
    # The lattice nodes all passes counted, and those they settled without counting.
    stats: SearchStats = field(default_factory=SearchStats)

    def suppressed(self, qis: Sequence[QuasiIdentifier]) -> np.ndarray:
        return at_top(self.levels, qis)


def at_top(levels: np.ndarray, qis: Sequence[QuasiIdentifier]) -> np.ndarray:
    """Which people (rows of `levels`) have every quasi-identifier at its top level: the
    suppressed."""
    tops = np.asarray([qi.top for qi in qis], dtype=np.int64)
    if not len(qis):
        return np.zeros(len(levels), dtype=bool)
    all_top: np.ndarray = (levels == tops).all(axis=1)
    return all_top


def recode(
    people: pd.DataFrame, qis: list[QuasiIdentifier], k: int, max_suppression: float
) -> Recoding:
    """Local recoding as ARX does it: the least-loss node for most people, then the people
    it leaves in classes under k anonymised again among themselves, repeatedly; only
    what is left at the end is suppressed (every quasi-identifier at its top level).

    Each pass takes the least-loss node that leaves at most half of the people still to
    place (or, while more are left than the budget of `max_suppression` of everybody, the
    budget when that is more) in small classes, until a pass places nobody; columns stay
    within what the purpose keeps until that places nobody, then the least valued of them
    is let go. Every pass's classes hold k or more people of that pass, so the release's
    classes — those of all passes side by side, which can only merge — do too.
    """
    total = len(people)
    if total < k:
        raise too_few(total, k)
    tops = np.asarray([qi.top for qi in qis], dtype=np.int64)
    # A byte per person and column where they fit: as int64, the levels of a million
    # responses' people were 110 MB, and again 150 MB per row when written.
    levels = np.tile(tops.astype(level_dtype(int(tops.max(initial=0)))), (total, 1))
    budget = max_suppression * total
    remaining = np.arange(total)
    recoding = Recoding(levels)
    keep = frozenset(qi.name for qi in qis if qi.keep is not None)
    while len(remaining) >= k and qis:
        # Within the budget, passes go on while they can place anyone: every person placed
        # is one fewer suppressed.
        half = len(remaining) // 2
        allowed = max(budget, half) if len(remaining) > budget else half
        node, small, stats = best_node(people.iloc[remaining], qis, k, allowed, keep)
        recoding.stats.add(stats)
        placed = remaining[~small]
        levels[placed] = node
        if len(placed):
            recoding.passes.append(
                {
                    "people": int(len(placed)),
                    "generalisation": {
                        qi.name: qi.levels[level] for qi, level in zip(qis, node, strict=True)
                    },
                }
            )
        elif keep:
            # What the purpose keeps cannot hide the people left: the least valued of the
            # kept columns may go higher for them, rather than all be suppressed.
            least = min((qi for qi in qis if qi.name in keep), key=lambda qi: qi.weight)
            keep = keep - {least.name}
            continue
        else:
            break
        remaining = remaining[small]
    return recoding


def released(people: pd.DataFrame, qis: list[QuasiIdentifier], levels: np.ndarray) -> pd.DataFrame:
    """Each person's value of each quasi-identifier at their level, as the release shows
    it: the top level is one value for everybody, and a multi-select's value names its
    level too, since each level writes its own 0/1 columns. Categoricals: each distinct
    value is generalised once per level, and people hold a code (a string per person was
    100 MB at a million)."""
    out = {}
    for j, qi in enumerate(qis):
        position, distinct = numbered(people[qi.name])
        code = np.empty(len(people), dtype=np.int64)
        names: list[str] = []
        for level in np.unique(levels[:, j]):
            mine = levels[:, j] == level
            if qi.multi and level == qi.top:
                general = [MISSING]  # all its 0/1 cells empty, as when not answered
                code[mine] = len(names)
            else:
                prefix = f"{level}:" if qi.multi else ""
                general = [prefix + qi.generalise(value, int(level)) for value in distinct]
                code[mine] = len(names) + position[mine]
            names.extend(general)
        out[qi.name] = as_categorical(code, names)
    return pd.DataFrame(out, index=people.index)


def hide_among_k(
    people: pd.DataFrame, qis: list[QuasiIdentifier], levels: np.ndarray, k: int
) -> np.ndarray:
    """Levels under which the suppressed, if any, are k or more: fewer would be a class of
    their own smaller than k. The extra people come from the classes with most people to
    spare (each keeps k or more), else whole classes, smallest first; returns new levels.

    Nobody's record leaves the release: a release that left out its rarest people would,
    beside any other release or its own tables, tell their answers by difference."""
    tops = np.asarray([qi.top for qi in qis], dtype=np.int64)
    suppressed = at_top(levels, qis)
    need = k - int(suppressed.sum())
    if not suppressed.any() or need <= 0:
        return levels
    classes = row_classes(released(people, qis, levels))
    sizes = np.bincount(classes)
    candidates = pd.DataFrame({"person": np.arange(len(people)), "cls": classes})[~suppressed]
    spare = np.maximum(sizes - k, 0)
    chosen: list[int] = []
    for cls in np.argsort(-spare, kind="stable"):
        if need <= len(chosen) or spare[cls] == 0:
            break
        members = candidates.loc[candidates["cls"] == cls, "person"].to_numpy()
        chosen.extend(members[: min(spare[cls], need - len(chosen))])
    if len(chosen) < need:
        chosen = []
        for cls in np.argsort(sizes, kind="stable"):
            members = candidates.loc[candidates["cls"] == cls, "person"].to_numpy()
            if len(members):
                chosen.extend(members)
            if len(chosen) >= need:
                break
    levels = levels.copy()
    levels[chosen] = tops
    return levels


def _effective_levels(qi: QuasiIdentifier, distinct: Distinct, keep: bool = True) -> list[int]:
    """The levels at which this column's present values merge further (0 always), up to
    the coarsest the purpose accepts when `keep`."""
    kept = [0]
    highest = qi.keep if keep and qi.keep is not None else qi.top
    for level in range(1, highest + 1):
        if distinct[qi.name, level] < distinct[qi.name, kept[-1]]:
            kept.append(level)
    return kept


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())
