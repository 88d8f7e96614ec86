"""k-anonymity over the quasi-identifiers: choose how far to generalise each, then suppress.

Each quasi-identifier (age range, country, gender, qualification, …) has levels along its
code list's hierarchy (country -> M49 sub-region -> M49 region -> suppressed). A *node*
picks one level per quasi-identifier. A coarser node never makes an equivalence class
smaller (monotonicity), and our information loss never decreases along the lattice, so a
best-first walk from the most detailed node — always expanding the node that loses least —
stops at the first node under which at most `max_suppression` of people sit in classes
smaller than k: no node with less loss can qualify, or it would have been reached first.
Those remaining people are then suppressed.

People, not responses, are counted: a person's intake and follow-ups form one record over
all their quasi-identifiers. All work happens on the distinct combinations of values with
their head counts, so the search costs little even for a million responses.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .columns import SUPPRESSED

MISSING = "missing"
# Separators that no code can contain: between a multi-select's codes, between waves.
CODE_SEPARATOR = "\x1f"
WAVE_SEPARATOR = "\x1e"


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

    @classmethod
    def from_hierarchy(cls, name: str, hierarchy: list[dict] | None, multi: bool = False):
        """From a code list's hierarchy: each level maps the previous level's codes."""
        levels, maps, labels, current = ["original"], [{}], [{}], {}
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
        return cls(name, levels, maps, multi, labels)

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

    def generalise_all(self, values: pd.Series, level: int) -> np.ndarray:
        """`generalise` over many values, computed once per distinct value."""
        position, distinct = pd.factorize(values.to_numpy(dtype=object))
        general = [self.generalise(value, level) for value in distinct]
        return np.asarray(general, dtype=object)[position]

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
    suppressed: set = field(default_factory=set)  # person keys suppressed
    k_achieved: int = 0
    people: int = 0
    evaluated: int = 0  # lattice nodes looked at


class CannotAnonymise(Exception):
    """Fewer than k people in all: no generalisation can hide anyone."""


def _encodings(people: pd.DataFrame, qis: list[QuasiIdentifier]) -> dict:
    """Integer codes of every distinct row at every level, and how many distinct values."""
    codes, distinct = {}, {}
    for qi in qis:
        for level in range(qi.top + 1):
            encoded, uniques = pd.factorize(qi.generalise_all(people[qi.name], level))
            codes[qi.name, level] = encoded
            distinct[qi.name, level] = len(uniques)
    return {"codes": codes, "distinct": distinct}


def _class_sizes(node: tuple, qis, codes, distinct, weights) -> np.ndarray:
    """Size (people) of the class each distinct row falls in under this node."""
    key = np.zeros(len(weights), dtype=np.int64)
    radix = 1
    for qi, level in zip(qis, node, strict=True):
        cardinality = distinct[qi.name, level]
        if radix * cardinality > 2**62:  # re-number densely before the key overflows
            key = pd.factorize(key)[0].astype(np.int64)
            radix = int(key.max()) + 1
        key += codes[qi.name, level].astype(np.int64, copy=False) * radix
        radix *= cardinality
    dense = pd.factorize(key)[0]
    totals = np.bincount(dense, weights=weights)
    return totals[dense]


def search(
    people: pd.DataFrame, qis: list[QuasiIdentifier], k: int, max_suppression: float
) -> Result:
    """The least-loss node with at most `max_suppression` of people in classes under k.

    `people` has one row per person: a column per quasi-identifier holding the person's
    original value ("missing" when not answered), and the index identifying the person.
    """
    total = len(people)
    if total < k:
        raise CannotAnonymise(f"only {total} people; k={k} needs at least {k}")
    if not qis:
        return Result(k, {}, {}, set(), total, total)
    combos = people.groupby([qi.name for qi in qis], sort=False).size().reset_index()
    weights = combos[0].to_numpy(dtype=np.float64)
    enc = _encodings(combos, qis)
    codes = enc["codes"]

    entropy = {
        key: _entropy(np.bincount(encoded, weights=weights)) for key, encoded in codes.items()
    }

    # Only levels that merge something in this data count: a level that leaves every
    # present value apart gives the same classes as the one below it (no plateaus to walk).
    steps = [_effective_levels(qi, enc["distinct"]) for qi in qis]

    def levels_of(node: tuple) -> tuple:
        return tuple(step[i] for step, i in zip(steps, node, strict=True))

    def loss(node: tuple) -> float:
        """Bits of information the generalisation removes, summed over the columns
        (Shannon entropy before minus after): coarsening a column that tells people apart
        costs more than coarsening one nearly everybody answers alike."""
        return sum(
            entropy[qi.name, 0] - entropy[qi.name, level]
            for qi, level in zip(qis, levels_of(node), strict=True)
        )

    allowed = max_suppression * total
    start = tuple(0 for _ in qis)
    heap = [(loss(start), 0, start)]
    seen = {start}
    evaluated = 0
    while heap:
        _, height, node = heapq.heappop(heap)
        evaluated += 1
        sizes = _class_sizes(levels_of(node), qis, codes, enc["distinct"], weights)
        small = sizes < k
        if weights[small].sum() <= allowed:
            break
        for i in range(len(qis)):
            if node[i] + 1 < len(steps[i]):
                child = node[:i] + (node[i] + 1,) + node[i + 1 :]
                if child not in seen:
                    seen.add(child)
                    heapq.heappush(heap, (loss(child), height + 1, child))
    node = levels_of(node)
    # The node with every quasi-identifier suppressed puts everyone in one class of
    # `total` >= k people, so the loop always breaks with a qualifying node.
    level_index = {qi.name: level for qi, level in zip(qis, node, strict=True)}
    suppressed_rows = combos.loc[small, [qi.name for qi in qis]]
    person_values = people[[qi.name for qi in qis]]
    suppressed = set(
        person_values.index[
            person_values.merge(suppressed_rows, how="left", indicator=True)["_merge"].to_numpy()
            == "both"
        ]
    )
    kept = sizes[~small]
    return Result(
        k=k,
        levels={qi.name: qi.levels[level] for qi, level in zip(qis, node, strict=True)},
        level_index=level_index,
        suppressed=suppressed,
        k_achieved=int(kept.min()) if len(kept) else 0,
        people=total,
        evaluated=evaluated,
    )


def _effective_levels(qi: QuasiIdentifier, distinct: dict) -> list[int]:
    """The levels at which this column's present values merge further (0 always)."""
    kept = [0]
    for level in range(1, qi.top + 1):
        if distinct[qi.name, level] < distinct[qi.name, kept[-1]]:
            kept.append(level)
    return kept


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def l_diversity(classes: pd.Series, sensitive: pd.DataFrame) -> dict[str, int]:
    """Distinct l-diversity per sensitive column: the fewest distinct answered values
    any equivalence class has (1 means someone's class all share one answer)."""
    result = {}
    for name in sensitive.columns:
        answered = sensitive[name].notna()
        if not answered.any():
            continue
        per_class = sensitive.loc[answered, name].astype(str).groupby(classes[answered]).nunique()
        result[name] = int(per_class.min())
    return result
