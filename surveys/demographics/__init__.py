"""The library of demographic blocks, and their inclusion in survey definitions.

A block (`blocks/<name>.yaml`) is definition data: questions, choice lists with stable
codes and "Prefer not to say", a privacy class per question, the code list's id and
version, and an export hierarchy per list (how a code generalises). A survey includes a
block with `- include: demographics/<name>` in a page's questions and may reword it,
choose and order its questions, drop options or add its own (see docs/demographics.md).

Expansion runs before the definition is checked, so included questions and lists go
through the same validation as any other, and the normalised definition records the code
lists (id, version, hierarchy) that its answers use.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..vocabulary import OTHER_CODE, PREFER_NOT_TO_SAY
from .countries import country_choices, m49_hierarchy

BLOCKS_DIR = Path(__file__).parent / "blocks"
PREFIX = "demographics/"
INCLUDE_KEYS = {"include", "questions", "label", "hint", "override", "drop", "add", "relevant"}
OVERRIDE_KEYS = {"label", "hint"}
GENERATED_LISTS = {"iso3166": country_choices}
GENERATED_HIERARCHIES = {"m49": m49_hierarchy}

Report = Callable[[str, str, Any], None]
# The YAML line of a mapping, or of one of its keys (or items), when the reader kept it.
LineOf = Callable[[Any, Any], int | None]


def block_names() -> list[str]:
    return sorted(path.stem for path in BLOCKS_DIR.glob("*.yaml"))


@cache
def _read_block(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((BLOCKS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def load_block(name: str) -> dict[str, Any] | None:
    """A fresh copy of a block's data, or None when there is no such block.

    Only a name from the library is looked up, never a path made from the text of an
    include: `../`, `./` or an absolute name can reach no other file, and whether such a
    file exists makes no difference to the answer."""
    if name not in block_names():
        return None
    return copy.deepcopy(_read_block(name))


def _choices(items: list, languages: list[str]) -> tuple[list, bool]:
    """The list with generated entries (`source: iso3166`) expanded; True if any were."""
    result, generated = [], False
    for item in items:
        if isinstance(item, dict) and "source" in item:
            result.extend(GENERATED_LISTS[item["source"]](languages))
            generated = True
        else:
            result.append(item)
    return result, generated


def _hierarchy(spec: Any, codes: list[str]) -> list[dict]:
    levels = GENERATED_HIERARCHIES[spec]() if isinstance(spec, str) else copy.deepcopy(spec)
    # Codes outside a generated hierarchy (Prefer not to say) stay themselves at every level.
    for level in levels:
        for code in codes:
            if code not in level["map"] and code in (PREFER_NOT_TO_SAY, OTHER_CODE):
                level["map"][code] = code
    return levels


class _Expander:
    def __init__(self, report: Report, languages: list[str], programme_rules: dict[str, str]):
        self.report = report
        self.languages = languages
        # block name -> extra relevance from the programmes' configuration files
        self.programme_rules = programme_rules
        self.lists: dict[str, list] = {}
        self.code_lists: dict[str, dict] = {}
        self.sorted_lists: list[str] = []

    def expand(self, node: dict, line_of: Any) -> list[CommentedMap]:
        reference = node.get("include")
        place = f"include {reference!r}"
        for key in node:
            if key not in INCLUDE_KEYS:
                self.report(place, f"unknown key {key!r} in an include", line_of(key))
        if not isinstance(reference, str) or not reference.startswith(PREFIX):
            self.report(
                place,
                f"include must name a block as '{PREFIX}NAME'; blocks: {', '.join(block_names())}",
                line_of("include"),
            )
            return []
        name = reference[len(PREFIX) :]
        block = load_block(name)
        if block is None:
            self.report(
                place,
                f"no demographic block {name!r}; blocks: {', '.join(block_names())}",
                line_of("include"),
            )
            return []
        self._keep_survey_languages(block)
        questions = {q["name"]: q for q in block["questions"]}
        chosen = node.get("questions", list(questions))
        if not isinstance(chosen, list) or any(q not in questions for q in chosen):
            self.report(
                place,
                f"questions must be a list of this block's questions: {', '.join(questions)}",
                line_of("questions"),
            )
            chosen = [q for q in chosen if q in questions] if isinstance(chosen, list) else []
        selected = [questions[q] for q in chosen]

        self._reword(node, selected, place, line_of)
        lists = self._lists(block, node, place, line_of)
        extra = self.programme_rules.get(name)
        for question in selected:
            conditions = [c for c in (question.get("relevant"), node.get("relevant"), extra) if c]
            if conditions:
                question["relevant"] = (
                    " and ".join(f"({c})" for c in conditions)
                    if len(conditions) > 1
                    else conditions[0]
                )
        for list_name in lists:
            if any(q["type"].split()[-1] == list_name for q in selected):
                self.lists[list_name] = lists[list_name]
        return [_commented(q, line_of(None)) for q in selected]

    def _keep_survey_languages(self, block: dict) -> None:
        """Blocks speak every language we ship; a survey keeps only the ones it offers."""

        def trim(text: Any) -> Any:
            if isinstance(text, dict):
                return {lang: value for lang, value in text.items() if lang in self.languages}
            return text

        for question in block["questions"]:
            for key in ("label", "hint", "constraint_message"):
                if key in question:
                    question[key] = trim(question[key])
        for items in block["choices"].values():
            for choice in items:
                if isinstance(choice, dict) and "label" in choice:
                    choice["label"] = trim(choice["label"])

    def _reword(self, node: dict, selected: list[dict], place: str, line_of: Any) -> None:
        for key in ("label", "hint"):
            if key in node:
                if len(selected) != 1:
                    self.report(
                        place,
                        f"{key} applies to a block of one question; use "
                        "override: {QUESTION: {label: …}}",
                        line_of(key),
                    )
                else:
                    selected[0][key] = node[key]
        overrides = node.get("override", {})
        if not isinstance(overrides, dict):
            self.report(
                place, "override must map question names to label and hint", line_of("override")
            )
            return
        by_name = {q["name"]: q for q in selected}
        for name, changes in overrides.items():
            if name not in by_name or not isinstance(changes, dict):
                self.report(
                    place,
                    f"override names {name!r}, which is not one of the included questions",
                    line_of("override"),
                )
                continue
            for key, value in changes.items():
                if key not in OVERRIDE_KEYS:
                    self.report(
                        place,
                        f"override can change label and hint, not {key!r}",
                        line_of("override"),
                    )
                else:
                    by_name[name][key] = value

    def _lists(self, block: dict, node: dict, place: str, line_of: Any) -> dict[str, list]:
        lists: dict[str, list] = {}
        code_list = block["code_list"]
        for list_name, items in block["choices"].items():
            choices, generated = _choices(items, self.languages)
            if generated:
                self.sorted_lists.append(list_name)
            lists[list_name] = choices
        main = next(iter(lists))
        drop = node.get("drop", [])
        if not isinstance(drop, list):
            self.report(place, "drop must be a list of codes", line_of("drop"))
            drop = []
        for code in drop:
            if code == PREFER_NOT_TO_SAY:
                self.report(
                    place,
                    "'Prefer not to say' (pnts) is always offered: demographic "
                    "questions must never force an answer",
                    line_of("drop"),
                )
            elif not any(c.get("code") == code for items in lists.values() for c in items):
                self.report(
                    place,
                    f"drop names {code!r}, which is not a code of this block",
                    line_of("drop"),
                )
        for list_name, items in lists.items():
            lists[list_name] = [
                c for c in items if c.get("code") not in drop or c.get("code") == PREFER_NOT_TO_SAY
            ]
        added = node.get("add", [])
        if not isinstance(added, list):
            self.report(place, "add must be a list of choices with code and label", line_of("add"))
            added = []
        # The programme's own choices go before "Prefer not to say", which stays last.
        tail = [c for c in lists[main] if c.get("code") == PREFER_NOT_TO_SAY]
        lists[main] = [c for c in lists[main] if c.get("code") != PREFER_NOT_TO_SAY]
        lists[main] += [_commented(c, line_of("add")) for c in added] + tail
        retired = set(block.get("retired", {}).get(main, []))
        for choice in added:
            if isinstance(choice, dict) and choice.get("code") in retired:
                self.report(
                    place,
                    f"code {choice.get('code')!r} was retired from "
                    f"{code_list['id']} and can never be used again",
                    line_of("add"),
                )
        for list_name, items in lists.items():
            codes = [c.get("code") for c in items]
            spec = block.get("hierarchy", {}).get(list_name)
            if spec is None:
                self.report(
                    place, f"block has no hierarchy for list {list_name!r}", line_of("include")
                )
                continue
            hierarchy = _hierarchy(spec, codes)
            for choice in added if list_name == main else []:
                for level in hierarchy:
                    level["map"].setdefault(str(choice.get("code")), str(choice.get("code")))
            self.code_lists[list_name] = {
                "id": code_list["id"] if list_name == main else f"{code_list['id']}.{list_name}",
                "version": code_list["version"],
                "block": block["block"],
                "hierarchy": hierarchy,
            }
        return lists


def _commented(data: dict, line: int | None) -> CommentedMap:
    """A mapping that reports `line` (the include's) for any problem found in it."""
    mapping = CommentedMap(data)
    if line:
        mapping.lc.line = line - 1
        mapping.lc.col = 0
    return mapping


def programme_rules(config_dir: Path, programme_question: str, report: Report) -> dict[str, str]:
    """For each block, the relevance that leaves it out for programmes that do not ask it.

    A programme's configuration (`programmes/<code>.yaml` beside the survey) lists the
    demographic blocks its intake asks; a programme without one asks every block.
    """
    excluded: dict[str, list[str]] = {}
    if not config_dir.is_dir():
        return {}
    for path in sorted(config_dir.glob("*.yaml")):
        try:
            config = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        except Exception as error:  # noqa: BLE001 - any YAML problem is reported as one
            report(f"programme file {path.name}", f"cannot be read: {error}", None)
            continue
        code = config.get("programme") if isinstance(config, dict) else None
        asked = (
            (config.get("intake") or {}).get("demographics") if isinstance(config, dict) else None
        )
        if not isinstance(code, str) or not isinstance(asked, list):
            report(
                f"programme file {path.name}",
                "needs 'programme: CODE' and 'intake: {demographics: [BLOCK, …]}'",
                None,
            )
            continue
        for name in asked:
            if name not in block_names():
                report(f"programme file {path.name}", f"no demographic block {name!r}", None)
        for name in block_names():
            if name not in asked:
                excluded.setdefault(name, []).append(code)
    return {
        name: "not("
        + " or ".join(f"selected(${{{programme_question}}}, '{code}')" for code in codes)
        + ")"
        for name, codes in excluded.items()
    }


def expand_includes(
    data: dict,
    languages: list[str],
    report: Report,
    programme_dir: Path | None,
    *,
    line_of: LineOf,
) -> tuple[dict[str, dict], list[str]]:
    """Replace every include in `data`'s pages by the block's questions; add their lists.

    Returns the code lists used (list name -> id, version, block, hierarchy) and the
    names of lists to sort by label in each language. Problems go to `report`, placed by
    the definition reader's `line_of`: the block library is below the definition language
    and knows nothing of how it reads files.
    """
    pages = data.get("pages")
    if not isinstance(pages, list):
        return {}, []
    programme_question = data.get("programme_question")
    rules = (
        programme_rules(programme_dir, programme_question, report)
        if programme_question and programme_dir
        else {}
    )
    expander = _Expander(report, languages, rules)
    for page in pages:
        questions = page.get("questions") if isinstance(page, dict) else None
        if not isinstance(questions, list):
            continue
        expanded = CommentedSeq()
        for index, node in enumerate(questions):
            if isinstance(node, dict) and "include" in node:

                def include_line(
                    key: Any, node: Any = node, index: int = index, siblings: list = questions
                ) -> int | None:
                    return line_of(node, key) if key else line_of(siblings, index)

                expanded.extend(expander.expand(node, include_line))
            else:
                expanded.append(node)
        page["questions"] = expanded
    if expander.lists:
        choices = data.get("choices")
        if choices is None:
            choices = data["choices"] = CommentedMap()
        for list_name, items in expander.lists.items():
            if list_name in choices:
                report(
                    "choices",
                    f"list {list_name!r} comes from a demographic block; rename your own list",
                    None,
                )
            else:
                choices[list_name] = items
    return expander.code_lists, expander.sorted_lists
