"""`- include: <prefix>/NAME` in a page's questions, replaced by the block's questions.

An include may choose and order the block's questions (`questions:`), reword them
(`label:`/`hint:` for a block of one question, `override:` for any), drop options
(never "Prefer not to say"), add its own (`add:`, before "Prefer not to say") and ask the
block only when an expression holds (`relevant:`). The lists the chosen questions use join
the survey's `choices`; a demographic block's lists are also recorded in `code_lists` (id,
version, hierarchy), so that the stored definition says which codes its answers use.

Expansion runs before the definition is checked, so included questions and lists go
through the same validation as any other. Problems are placed by the definition reader's
`line_of`: the library is below the definition language and knows nothing of how it
reads files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..vocabulary import PREFER_NOT_TO_SAY
from .blocks import DEMOGRAPHICS, SHELVES, Shelf
from .code_lists import code_list_id, expand_generated, hierarchy, recorded
from .programmes import Report, programme_rules

INCLUDE_KEYS = {"include", "questions", "label", "hint", "override", "drop", "add", "relevant"}
OVERRIDE_KEYS = {"label", "hint"}

# The YAML line of a mapping, or of one of its keys (or items), when the reader kept it.
LineOf = Callable[[Any, Any], int | None]
# The line of one include, or of one of its keys (None: the include itself).
IncludeLine = Callable[[Any], int | None]


def _shelf_of(reference: Any) -> tuple[Shelf, str] | None:
    """The library folder an include names, and the block's name in it."""
    if not isinstance(reference, str):
        return None
    prefix, slash, name = reference.partition("/")
    shelf = SHELVES.get(prefix)
    return (shelf, name) if slash and shelf else None


def _all_blocks() -> str:
    return ", ".join(
        f"{shelf.prefix}/{name}" for shelf in SHELVES.values() for name in shelf.names()
    )


class _Expander:
    """One definition's includes, expanded in order, and the lists they bring with them."""

    def __init__(self, report: Report, languages: list[str], programme_rules: dict[str, str]):
        self.report = report
        self.languages = languages
        # demographic block name -> extra relevance from the programmes' configuration files
        self.programme_rules = programme_rules
        self.lists: dict[str, list[Any]] = {}
        self.code_lists: dict[str, dict[str, Any]] = {}
        self.sorted_lists: list[str] = []
        # A block's lists join the survey block by block, each in the block's own order,
        # however many includes (one per page, say) each choose some of its questions.
        self.blocks_seen: dict[tuple[str, str], int] = {}
        self.list_rank: dict[str, tuple[int, int]] = {}
        self.list_block: dict[str, str] = {}

    def expand(self, node: dict[str, Any], line_of: IncludeLine) -> list[CommentedMap]:
        reference = node.get("include")
        place = f"include {reference!r}"
        for key in node:
            if key not in INCLUDE_KEYS:
                self.report(place, f"unknown key {key!r} in an include", line_of(key))
        found = _shelf_of(reference)
        if found is None:
            forms = " or ".join(f"'{prefix}/NAME'" for prefix in SHELVES)
            self.report(
                place,
                f"include must name a block as {forms}; blocks: {_all_blocks()}",
                line_of("include"),
            )
            return []
        shelf, name = found
        block = shelf.load(name)
        if block is None:
            self.report(
                place,
                f"no {shelf.noun} block {name!r}; blocks: {', '.join(shelf.names())}",
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
        extra = self.programme_rules.get(name) if shelf is DEMOGRAPHICS else None
        for question in selected:
            conditions = [c for c in (question.get("relevant"), node.get("relevant"), extra) if c]
            if conditions:
                question["relevant"] = (
                    " and ".join(f"({c})" for c in conditions)
                    if len(conditions) > 1
                    else conditions[0]
                )
        order = self.blocks_seen.setdefault((shelf.prefix, name), len(self.blocks_seen))
        for position, list_name in enumerate(lists):
            if any(q["type"].split()[-1] == list_name for q in selected):
                self.lists[list_name] = lists[list_name]
                self.list_rank.setdefault(list_name, (order, position))
                self.list_block.setdefault(list_name, f"{shelf.prefix}/{name}")
        return [_commented(q, line_of(None)) for q in selected]

    def ordered_lists(self) -> list[tuple[str, list[Any]]]:
        return sorted(self.lists.items(), key=lambda item: self.list_rank[item[0]])

    def _keep_survey_languages(self, block: dict[str, Any]) -> None:
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

    def _reword(
        self, node: dict[str, Any], selected: list[dict[str, Any]], place: str, line_of: IncludeLine
    ) -> None:
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

    def _lists(
        self, block: dict[str, Any], node: dict[str, Any], place: str, line_of: IncludeLine
    ) -> dict[str, list[Any]]:
        lists: dict[str, list[Any]] = {}
        # Codes of the block that it no longer offers: a survey that dropped one before
        # stays valid (dropping it changes nothing).
        not_offered: set[str] = set()
        for list_name, items in block["choices"].items():
            choices, generated = expand_generated(items, self.languages)
            if generated and list_name not in self.sorted_lists:
                self.sorted_lists.append(list_name)
            lists[list_name] = choices
            for item in items:
                not_offered.update(item.get("not_offered", ()) if isinstance(item, dict) else ())
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
            elif code not in not_offered and not any(
                c.get("code") == code for items in lists.values() for c in items
            ):
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
        if "code_list" in block:
            self._record_code_lists(block, lists, added, place, line_of)
        return lists

    def _record_code_lists(
        self,
        block: dict[str, Any],
        lists: dict[str, list[Any]],
        added: list[Any],
        place: str,
        line_of: IncludeLine,
    ) -> None:
        """A versioned block's lists, with their hierarchies, into `code_lists`.

        Blocks without `code_list:` (the follow-up questions) record nothing: their lists
        are plain survey lists."""
        main = next(iter(lists))
        retired = set(block.get("retired", {}).get(main, []))
        for choice in added:
            if isinstance(choice, dict) and choice.get("code") in retired:
                self.report(
                    place,
                    f"code {choice.get('code')!r} was retired from "
                    f"{code_list_id(block, main)} and can never be used again",
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
            levels = hierarchy(spec, codes)
            for choice in added if list_name == main else []:
                for level in levels:
                    level["map"].setdefault(str(choice.get("code")), str(choice.get("code")))
            self.code_lists[list_name] = recorded(block, list_name, levels)


def _commented(data: dict[str, Any], line: int | None) -> CommentedMap:
    """A mapping that reports `line` (the include's) for any problem found in it."""
    mapping = CommentedMap(data)
    if line:
        mapping.lc.line = line - 1
        mapping.lc.col = 0
    return mapping


def expand_includes(
    data: dict[str, Any],
    languages: list[str],
    report: Report,
    programme_dir: Path | None,
    *,
    line_of: LineOf,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Replace every include in `data`'s pages by the block's questions; add their lists.

    Returns the code lists used (list name -> id, version, block, hierarchy) and the
    names of lists to sort by label in each language. Problems go to `report`, placed by
    the definition reader's `line_of`.
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
        found = page.get("questions") if isinstance(page, dict) else None
        if not isinstance(found, list):
            continue
        questions: list[Any] = found
        expanded = CommentedSeq()
        for index, node in enumerate(questions):
            if isinstance(node, dict) and "include" in node:

                def include_line(
                    key: Any, node: Any = node, index: int = index, siblings: list[Any] = questions
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
        for list_name, items in expander.ordered_lists():
            if list_name in choices:
                report(
                    "choices",
                    f"list {list_name!r} comes from the block {expander.list_block[list_name]}; "
                    "rename your own list",
                    None,
                )
            else:
                choices[list_name] = items
    return expander.code_lists, expander.sorted_lists
