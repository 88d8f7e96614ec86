"""The steps that make the flat table ready for the search (docs/exports.md, steps 3 to 5):
drop what never leaves, release numbers only in bins, keep what the purpose needs, make a
quasi-identifier of every question asked after one, and build each quasi-identifier with
the hierarchy and weight its purpose chose.

Each step that drops columns deletes them from `data` in place and returns the columns
left with the names it dropped, for `methodology.json`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from . import coarsen, derived, kanon, purposes
from .columns import Column
from .definitions import Definition, Hierarchies, HierarchyLevel, Question

DROPPED_CLASSES = ("identifier", "free_text", "never")
# A reference to an answer in an expression: ${name}.
REFERENCE = re.compile(r"\$\{(\w+)\}")


def own_copies(columns: list[Column]) -> list[Column]:
    """Copies of the columns whose codes and treatments the steps may rewrite."""
    return [
        dataclasses.replace(
            c, codes=dict(c.codes) if c.codes else c.codes, treatment=list(c.treatment)
        )
        for c in columns
    ]


def drop_identifying(data: pd.DataFrame, columns: list[Column]) -> tuple[list[Column], list[str]]:
    """Identifiers, free text and anything marked `export: never` leave the table."""
    dropped = [c.name for c in columns if c.privacy in DROPPED_CLASSES]
    return _without(data, columns, dropped), dropped


def _without(data: pd.DataFrame, columns: list[Column], names: list[str]) -> list[Column]:
    for name in names:
        if name in data:  # identifying columns are not even read (load.Source.unread)
            del data[name]
    return [c for c in columns if c.name not in names]


def bin_numbers(
    data: pd.DataFrame, columns: list[Column], questions: Mapping[str, Question]
) -> tuple[list[Column], list[str], dict[str, list[HierarchyLevel]]]:
    """Numbers leave in the bins their question declares, as quasi-identifiers unless the
    definition put them in another class; a number without bins does not leave at all.
    Returns the columns, the dropped ones, and each binned column's hierarchy."""
    dropped: list[str] = []
    hierarchies: dict[str, list[HierarchyLevel]] = {}
    for column in columns:
        if column.type not in ("integer", "number") or column.codes is not None:
            continue
        question = questions.get(column.question or "")
        edges = question.get("bins") if question else None
        if not edges:
            dropped.append(column.name)
            continue
        integer = column.type == "integer"
        data[column.name] = coarsen.binned(data[column.name], edges, integer)
        codes = coarsen.bin_codes(edges, integer)
        column.type, column.codes = "string", {code: code for code in codes}
        if column.privacy == "none":
            column.privacy = "quasi_identifier"
        column.treatment.append(f"in bins from {', '.join(map(str, edges))}")
        hierarchies[column.name] = coarsen.bin_hierarchy(edges, integer)
    return _without(data, columns, dropped), dropped, hierarchies


def for_purpose(
    data: pd.DataFrame,
    columns: list[Column],
    purpose: purposes.Purpose | None,
    extra: Hierarchies,
    known: frozenset[str] | None = None,
) -> tuple[list[Column], list[str]]:
    """Only the columns the release's purpose needs (pid, wave and period always)."""
    if purpose is None:
        return columns, []
    questions = {c.question for c in columns if c.question}
    purpose.check(
        questions, {name: list(options) for name, options in extra.items()}, known or questions
    )
    unneeded = [
        c.name
        for c in columns
        if c.question and c.question != coarsen.PERIOD and not purpose.keeps(c.question)
    ]
    return _without(data, columns, unneeded), unneeded


def follow_relevance(columns: list[Column], definitions: Mapping[int, Definition]) -> list[str]:
    """Make a quasi-identifier of every exported question asked only when a
    quasi-identifier's answer says so: whether it was answered tells that answer (a job's
    category is asked of the employed only), so it must be generalised and suppressed
    with the rest. Returns the questions so marked."""
    asks: dict[str, set[str]] = {}
    for definition in definitions.values():
        for page in definition["pages"]:
            for question in page["questions"]:
                relevant = question.get("relevant")
                if isinstance(relevant, str):
                    asks.setdefault(question["name"], set()).update(REFERENCE.findall(relevant))
    marked: list[str] = []
    while True:
        identifying = {c.question for c in columns if c.privacy == "quasi_identifier"}
        more = [
            c
            for c in columns
            if c.question
            and c.privacy != "quasi_identifier"
            and asks.get(c.question, set()) & identifying
        ]
        if not more:
            return marked
        for column in more:
            column.privacy = "quasi_identifier"
            column.treatment.append("a quasi-identifier: asked only after one")
            if column.question and column.question not in marked:
                marked.append(column.question)


def questions_of(definitions: Mapping[int, Definition]) -> dict[str, Question]:
    """Every question of the exported surveys by name, the newest version's first."""
    questions: dict[str, Question] = {}
    for version in sorted(definitions, reverse=True):
        for page in definitions[version]["pages"]:
            for question in page["questions"]:
                questions.setdefault(question["name"], question)
    return questions


def quasi_identifiers(
    columns: list[Column],
    definitions: Mapping[int, Definition],
    purpose: purposes.Purpose | None = None,
    extra: Hierarchies | None = None,
) -> list[kanon.QuasiIdentifier]:
    """One per quasi-identifying question, with the hierarchy its purpose chose (its code
    list's by default) and the purpose's weight."""
    questions = questions_of(definitions)
    hierarchies: dict[str, Sequence[HierarchyLevel] | None] = dict(derived.HIERARCHIES)
    for version in sorted(definitions, reverse=True):
        definition = definitions[version]
        for name, question in questions.items():
            info = definition.get("code_lists", {}).get(question.get("list") or "")
            if info and name not in hierarchies:
                hierarchies[name] = info.get("hierarchy")
    extra = extra or {}
    names = list(
        dict.fromkeys(c.question for c in columns if c.privacy == "quasi_identifier" and c.question)
    )
    if purpose is not None:
        for name, level in purpose.keep.items():
            levels = ["original", *(step["level"] for step in hierarchies.get(name) or [])]
            if name in names and level not in levels and level not in _extra_levels(extra, name):
                raise purposes.PurposeError(
                    f"purpose {purpose.name!r} keeps {name!r} at {level!r}, which is not one "
                    f"of its levels ({', '.join(levels)})"
                )
    chosen = []
    for name in names:
        wanted = purpose.hierarchy(name) if purpose else purposes.DEFAULT_HIERARCHY
        # A generated hierarchy (bins, periods) is the column's default one.
        hierarchy = extra.get(name, {}).get(wanted) or hierarchies.get(name)
        chosen.append(
            kanon.QuasiIdentifier.from_hierarchy(
                name,
                hierarchy,
                multi=name in questions and questions[name]["type"] == "select_multiple",
                weight=purpose.weight(name) if purpose else 1.0,
                keep=purpose.keep.get(name) if purpose else None,
            )
        )
    return chosen


def _extra_levels(extra: Hierarchies, name: str) -> set[str]:
    return {step["level"] for levels in extra.get(name, {}).values() for step in levels}
