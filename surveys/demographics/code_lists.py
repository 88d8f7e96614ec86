"""A block's choice lists as a survey records them: generated entries, ids, hierarchies.

A demographic block names its code list (`code_list: {id, version}`); each of its lists is
recorded under that id (the first list) or `<id>.<list>` (the others), with the block's
version and an export hierarchy per list (how a code generalises). Some lists and
hierarchies are generated from data rather than written out: `source: iso3166` (every
country, named from CLDR), `source: cldr_languages` (the languages its `codes:` name,
named from CLDR) and the hierarchy `m49` (UN regions).

A generated entry may leave some of its codes out of what is offered (`not_offered:`):
they stay codes of the list, so answers given before keep their meaning, their hierarchy
and their place in the crosswalks; they are only no longer choices.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from ..vocabulary import OTHER_CODE, PREFER_NOT_TO_SAY
from .countries import country_choices, m49_hierarchy
from .language_names import language_choices

# source -> (the generated entry's keys, the survey's languages) -> every code of the list.
Generator = Callable[[Mapping[str, Any], list[str]], list[dict[str, Any]]]
GENERATED_LISTS: dict[str, Generator] = {
    "iso3166": country_choices,
    "cldr_languages": language_choices,
}
GENERATED_HIERARCHIES: dict[str, Callable[[], list[dict[str, Any]]]] = {"m49": m49_hierarchy}


def code_list_id(block: Mapping[str, Any], list_name: str) -> str:
    """The id a block's list is recorded under: the block's id for its first list.

    The stored definition's `code_lists` and `Response.code_list_versions` use these ids,
    and so do the crosswalks.
    """
    main = next(iter(block["choices"]))
    list_id: str = block["code_list"]["id"]
    return list_id if list_name == main else f"{list_id}.{list_name}"


def generated_codes(item: Mapping[str, Any]) -> list[str]:
    """Every code of a generated entry, offered or not: the codes of the list."""
    return [choice["code"] for choice in GENERATED_LISTS[item["source"]](item, [])]


def expand_generated(items: list[Any], languages: list[str]) -> tuple[list[Any], bool]:
    """The list with generated entries (`source: …`) expanded to the choices they offer;
    True if any were."""
    result: list[Any] = []
    generated = False
    for item in items:
        if isinstance(item, dict) and "source" in item:
            left_out = set(item.get("not_offered", ()))
            choices = GENERATED_LISTS[item["source"]](item, languages)
            result.extend(choice for choice in choices if choice["code"] not in left_out)
            generated = True
        else:
            result.append(item)
    return result, generated


def hierarchy(spec: Any, codes: list[str]) -> list[dict[str, Any]]:
    """A list's export hierarchy: written in the block, or the name of a generated one."""
    levels = GENERATED_HIERARCHIES[spec]() if isinstance(spec, str) else copy.deepcopy(spec)
    # Codes outside a generated hierarchy (Prefer not to say) stay themselves at every level.
    for level in levels:
        for code in codes:
            if code not in level["map"] and code in (PREFER_NOT_TO_SAY, OTHER_CODE):
                level["map"][code] = code
    return levels


def recorded(
    block: Mapping[str, Any], list_name: str, levels: list[dict[str, Any]]
) -> dict[str, Any]:
    """What a survey records of one list it uses: id, version, block and hierarchy."""
    return {
        "id": code_list_id(block, list_name),
        "version": block["code_list"]["version"],
        "block": block["block"],
        "hierarchy": levels,
    }
