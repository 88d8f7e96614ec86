"""Code list versions and the crosswalks between them, so answers stay comparable over time.

A block's list changes only by a new version: a code is never reused with a new meaning,
so a code that leaves a list is *retired* for good. Each step from one version to the next
has a crosswalk file (`crosswalks/<list id>-<from>-to-<to>.yaml`) that names the older
version's codes and maps each retired code to its codes in the newer version (one code,
several, or null for "no equivalent"). `check_library` proves the history is complete;
`harmonise` rewrites stored answers to one version for analysis. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from .blocks import BLOCKS_DIR
from .code_lists import code_list_id, generated_codes

CROSSWALKS_DIR = Path(__file__).parent / "crosswalks"
CROSSWALK_KEYS = {"list", "from", "to", "from_codes", "map"}
SELECT_TYPES = ("select_one", "select_multiple")


@dataclass(frozen=True)
class Crosswalk:
    """One version step of a list: the older version's codes and where its retired ones go."""

    list_id: str
    from_version: int
    from_codes: tuple[str, ...]
    # retired code -> its codes in the next version; () when it has no equivalent
    map: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class CodeList:
    """A block's list as it is now: its id, current version, codes and retired codes."""

    list_id: str
    block: str
    version: int
    codes: tuple[str, ...]
    retired: frozenset[str]
    # A select_one answer holds one code, so a crosswalk cannot split one of its codes.
    select_one: bool


@dataclass
class Library:
    """The current code lists and every crosswalk step, keyed by (list id, from version)."""

    lists: dict[str, CodeList] = field(default_factory=dict)
    crosswalks: dict[tuple[str, int], Crosswalk] = field(default_factory=dict)

    def current_versions(self) -> dict[str, int]:
        return {list_id: code_list.version for list_id, code_list in self.lists.items()}

    def codes(self, list_id: str, version: int) -> tuple[str, ...] | None:
        """The codes of one version of a list, or None when that version is not known."""
        code_list = self.lists[list_id]
        if version == code_list.version:
            return code_list.codes
        step = self.crosswalks.get((list_id, version))
        return step.from_codes if step else None

    def translate(self, list_id: str, code: str, source: int, target: int) -> list[str]:
        """A code given under version `source` as codes of version `target` (1→2→3…)."""
        if target < source:
            raise ValueError(f"{list_id}: cannot harmonise version {source} back to {target}")
        if target > self.lists[list_id].version:
            raise ValueError(f"{list_id} has no version {target}")
        codes = [code]
        for version in range(source, target):
            step = self.crosswalks[(list_id, version)]
            codes = [new for old in codes for new in step.map.get(old, (old,))]
        return list(dict.fromkeys(codes))


def _codes(items: list[Any]) -> tuple[str, ...]:
    codes: list[str] = []
    for item in items:
        if "source" in item:
            codes.extend(generated_codes(item))
        else:
            codes.append(item["code"])
    return tuple(codes)


def read_lists(blocks_dir: Path = BLOCKS_DIR) -> dict[str, CodeList]:
    """Every list of every block in `blocks_dir`, by code list id."""
    lists = {}
    for path in sorted(blocks_dir.glob("*.yaml")):
        block = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        for list_name, items in block["choices"].items():
            list_id = code_list_id(block, list_name)
            lists[list_id] = CodeList(
                list_id=list_id,
                block=block["block"],
                version=block["code_list"]["version"],
                codes=_codes(items),
                retired=frozenset((block.get("retired") or {}).get(list_name) or ()),
                select_one=any(q["type"] == f"select_one {list_name}" for q in block["questions"]),
            )
    return lists


def _targets(value: Any) -> tuple[str, ...] | None:
    """A map entry's new codes: a code, a non-empty list of codes, or null; None if bad."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def read_crosswalks(
    directory: Path = CROSSWALKS_DIR,
) -> tuple[dict[tuple[str, int], Crosswalk], list[str]]:
    """The crosswalk files of `directory` by (list id, from version), and their problems."""
    crosswalks: dict[tuple[str, int], Crosswalk] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        try:
            data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        except Exception as error:  # noqa: BLE001 - any YAML problem is reported as one
            problems.append(f"{path.name}: cannot be read: {error}")
            continue
        if not isinstance(data, dict) or set(data) != CROSSWALK_KEYS:
            problems.append(
                f"{path.name}: needs exactly the keys {', '.join(sorted(CROSSWALK_KEYS))}"
            )
            continue
        list_id, old, new = data["list"], data["from"], data["to"]
        if f"{list_id}-{old}-to-{new}" != path.stem:
            problems.append(f"{path.name}: must be named {list_id}-{old}-to-{new}.yaml")
            continue
        if not isinstance(old, int) or new != old + 1 or old < 1:
            problems.append(f"{path.name}: goes from one version to the next (from: N, to: N+1)")
            continue
        from_codes, mapping = data["from_codes"], data["map"] or {}
        if not isinstance(from_codes, list) or not all(isinstance(c, str) for c in from_codes):
            problems.append(f"{path.name}: from_codes must list version {old}'s codes as strings")
            continue
        if not isinstance(mapping, dict):
            problems.append(f"{path.name}: map must map retired codes to their new codes")
            continue
        steps = {}
        for code, value in mapping.items():
            targets = _targets(value)
            if not isinstance(code, str) or targets is None:
                problems.append(
                    f"{path.name}: map: {code!r} must be a code (quoted if it looks like a "
                    "number) mapped to a code, a list of codes, or null"
                )
                continue
            steps[code] = targets
        crosswalks[(list_id, old)] = Crosswalk(list_id, old, tuple(from_codes), steps)
    return crosswalks, problems


def _check_list(library: Library, code_list: CodeList) -> list[str]:
    problems = []
    list_id, place = code_list.list_id, f"code list {code_list.list_id}"
    retired_so_far: dict[str, int] = {}  # retired code -> the version that dropped it
    missing = [v for v in range(1, code_list.version) if (list_id, v) not in library.crosswalks]
    for version in missing:
        problems.append(
            f"{place}: no crosswalk {list_id}-{version}-to-{version + 1}.yaml "
            f"(the list is at version {code_list.version})"
        )
    # The steps can only be followed when the chain is whole.
    for version in () if missing else range(1, code_list.version):
        step = library.crosswalks[(list_id, version)]
        name = f"{list_id}-{version}-to-{version + 1}.yaml"
        older, newer = set(step.from_codes), set(library.codes(list_id, version + 1) or ())
        for code in sorted(newer & set(retired_so_far)):
            problems.append(
                f"{name}: code {code!r} of version {version + 1} was retired in version "
                f"{retired_so_far[code]} and can never be used again"
            )
        for code in step.from_codes:
            if code not in newer and code not in step.map:
                problems.append(f"{name}: retired code {code!r} is not mapped")
        for code, targets in step.map.items():
            if code not in older:
                problems.append(f"{name}: map: {code!r} is not a code of version {version}")
            elif code in newer:
                problems.append(
                    f"{name}: map: {code!r} is still a code of version {version + 1}; "
                    "a code keeps its meaning, only retired codes are mapped"
                )
            for target in targets:
                if target not in newer:
                    problems.append(
                        f"{name}: map: {code!r} -> {target!r}, which is not a code of "
                        f"version {version + 1}"
                    )
            if code_list.select_one and len(targets) > 1:
                problems.append(
                    f"{name}: map: {code!r} -> several codes, but {list_id} is asked as "
                    "select_one; map it to one code or null"
                )
        retired_so_far.update({code: version + 1 for code in older - newer})
    for code in sorted(set(retired_so_far) - code_list.retired):
        problems.append(
            f"block {code_list.block}: code {code!r} of {list_id} was dropped; list it "
            "under retired: so no survey adds it back"
        )
    for code in sorted(code_list.retired & set(code_list.codes)):
        problems.append(
            f"block {code_list.block}: code {code!r} of {list_id} is retired but still offered"
        )
    for code in sorted(code_list.retired - set(retired_so_far) - set(code_list.codes)):
        problems.append(
            f"block {code_list.block}: retired code {code!r} of {list_id} is not mapped by "
            "any crosswalk; raise the list's version and add a crosswalk"
        )
    return problems


def check_library(
    blocks_dir: Path = BLOCKS_DIR, crosswalks_dir: Path = CROSSWALKS_DIR
) -> tuple[Library, list[str]]:
    """The library of lists and crosswalks, and every problem with its version history.

    Every step 1→2→…→current has a crosswalk; every code a step drops is mapped (to codes
    of the newer version, or to null) and listed under the block's `retired:`; every
    retired code is mapped; no retired code comes back in a later version.
    """
    crosswalks, problems = read_crosswalks(crosswalks_dir)
    library = Library(read_lists(blocks_dir), crosswalks)
    for (list_id, version), _step in sorted(crosswalks.items()):
        code_list = library.lists.get(list_id)
        if code_list is None:
            problems.append(f"{list_id}-{version}-to-{version + 1}.yaml: no code list {list_id!r}")
        elif version >= code_list.version:
            problems.append(
                f"{list_id}-{version}-to-{version + 1}.yaml: {list_id} is only at version "
                f"{code_list.version}"
            )
    for code_list in library.lists.values():
        problems.extend(_check_list(library, code_list))
    return library, problems


@cache
def bundled_library() -> Library:
    """The library shipped with Pathways; refuses to harmonise through a broken history."""
    library, problems = check_library()
    if problems:
        raise ValueError("the code list history is broken:\n" + "\n".join(problems))
    return library


def harmonise(
    answers: Mapping[str, Any],
    code_list_versions: Mapping[str, int],
    to_versions: Mapping[str, int] | None = None,
    *,
    definition: Mapping[str, Any],
    library: Library | None = None,
) -> dict[str, Any]:
    """`answers` with every code of a versioned list rewritten to the target version.

    `code_list_versions` (list id -> version) are the versions the answers were given
    under (`Response.code_list_versions`); the target is `to_versions[list id]` or the
    list's current version. `definition` is the stored survey definition the answers
    belong to: it says which question uses which list. A code with no equivalent is
    dropped (a select_one answer, or a select_multiple one left with no code, becomes
    None); codes a survey added itself, and answers to other questions, are kept as they are.
    """
    library = library or bundled_library()
    targets = {**library.current_versions(), **(to_versions or {})}
    lists = definition.get("code_lists") or {}
    result = dict(answers)
    for page in definition["pages"]:
        for question in page["questions"]:
            info = lists.get(question.get("list"))
            value = result.get(question["name"])
            if info is None or question["type"] not in SELECT_TYPES or value is None:
                continue
            list_id = info["id"]
            source = code_list_versions.get(list_id, info["version"])
            if list_id not in library.lists or source == targets[list_id]:
                continue
            codes = value if isinstance(value, list) else [value]
            new = [
                c
                for old in codes
                for c in library.translate(list_id, old, source, targets[list_id])
            ]
            new = list(dict.fromkeys(new))
            if question["type"] == "select_multiple":
                result[question["name"]] = new or None
            else:
                # Several codes cannot be one answer; the check forbids such a map anyway.
                result[question["name"]] = new[0] if len(new) == 1 else None
    return result
