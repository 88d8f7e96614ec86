"""XLSForm question types as ours, read with pyxform's own tables of types and aliases.

A type is a question of one of our types (text, integer, decimal, date, note, consent,
calculate, select_one, select_multiple), the begin or end of a group, repeat (with its
aliases: `begin_repeat`, `begin looped group`, ...) or loop over a choice list, unsupported
(in XLSForm but not something our surveys can do: GPS, media, external or rank selects,
choices from a previous answer, form metadata) or unknown (a typo).
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

# Our question types, and the pyxform type each corresponds to.
OUR_TYPES = {
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
    "acknowledge": "consent",
    "calculate": "calculate",  # and its alias 'hidden'
}
BIND_TYPES = {"string": "text", "int": "integer", "decimal": "decimal", "date": "date"}
# In pyxform's type table, but only as the inner form of select_one_external.
NOT_TYPES = {"select one external"}


@dataclass
class RowType:
    """What the type column of a survey row says."""

    kind: str  # begin, end, question, unsupported, unknown
    control: str | None = None  # group, repeat or loop, for begin/end
    name: str | None = None  # our type
    list_name: str | None = None
    other: bool = False
    constraint: str | None = None  # implied by the type, e.g. phone number
    why: str | None = None  # for an unknown or unsupported type, when more can be said


def parse_type(text: str) -> RowType:
    """The type column of a row, as ours."""
    text = " ".join(text.split())
    control_aliases, select_aliases, from_file, type_table = _pyxform_tables()
    control_re, select_re = _type_patterns()
    control = control_re.fullmatch(text)
    if control:
        return RowType(
            "begin" if control.group("end").lower() == "begin" else "end",
            control=control_aliases[control.group("control").lower()],
        )
    select = select_re.fullmatch(text)
    if select:
        command = select.group("command").lower()
        list_name = select.group("list")
        if command in from_file or "external" in command:
            return RowType("unsupported", why=FROM_A_FILE)
        if "rank" in command:
            return RowType("unsupported", why="Pathways has no ranking question")
        if list_name.startswith("${"):
            return RowType("unsupported", why="its choices come from an earlier answer")
        multiple = select_aliases[command] != select_aliases["select_one"]
        return RowType(
            "question",
            name="select_multiple" if multiple else "select_one",
            list_name=list_name,
            other=bool(select.group("other")),
        )
    entry = type_table.get(text) or type_table.get(text.lower())
    if text.lower() in select_aliases:
        return RowType("unknown", why=f"{text!r} needs a choice list: '{text} LIST_NAME'")
    if entry is None:
        first = type_table.get(text.split()[0].lower())
        return RowType("unknown") if first is None else RowType("unsupported", why=_why(first))
    if text.lower() in NOT_TYPES:
        return RowType("unsupported", why=FROM_A_FILE)
    for pyxform_name, ours in OUR_TYPES.items():
        if entry == type_table[pyxform_name]:
            return RowType("question", name=ours)
    bind = entry.get("bind", {})
    if (
        entry.get("control") == {"tag": "input"}
        and bind.get("type") in BIND_TYPES
        and set(bind) <= {"type", "constraint"}
    ):  # e.g. 'phone number': text that must be digits
        return RowType("question", name=BIND_TYPES[bind["type"]], constraint=bind.get("constraint"))
    return RowType("unsupported", why=_why(entry))


FROM_A_FILE = "its choices come from a file or an external list"


def _why(entry: Mapping[str, Any]) -> str | None:
    """Why Pathways cannot ask a question of a pyxform type, in a few words."""
    bind = entry.get("bind", {})
    control = entry.get("control", {})
    if "jr:preload" in bind:
        return "form metadata (device, user, times) is not collected"
    if bind.get("type") in ("geopoint", "geotrace", "geoshape"):
        return "Pathways records no locations"
    if control.get("tag") == "upload" or bind.get("type") == "binary":
        return "Pathways takes no photos, recordings or files"
    if bind.get("type") in ("dateTime", "time"):
        return "Pathways asks dates, not times"
    if bind.get("type") == "barcode":
        return "Pathways scans no barcodes"
    if control.get("tag") == "range":
        return "Pathways has no range question (an integer with a constraint asks the same)"
    if not entry:
        return FROM_A_FILE
    return None


def type_suggestion(text: str) -> str:
    """'; did you mean ...?' for an unknown type close to one we know, else ''."""
    known = [*OUR_TYPES, "select_one", "select_multiple", "begin group", "end group"]
    hint = difflib.get_close_matches(text.split()[0] if text.split() else text, known, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""


class _PyxformTables(NamedTuple):
    """pyxform's own tables (pyxform ships no type information)."""

    control: Mapping[str, str]  # "begin ..." alias -> group, repeat or loop
    select: Mapping[str, str]  # select command alias -> select one / select all that apply
    select_from_file: Mapping[str, str]
    types: Mapping[str, Mapping[str, Any]]  # type name -> its XForm control and bind


@lru_cache(maxsize=1)
def _pyxform_tables() -> _PyxformTables:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyxform import aliases
        from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
    return _PyxformTables(
        aliases.control, aliases.select, aliases.select_from_file, QUESTION_TYPE_DICT
    )


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _type_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    control, select, _, _ = _pyxform_tables()
    control_re = re.compile(
        rf"(?P<end>begin|end)[ _](?P<control>{_alternatives(control)})(?: .*)?", re.IGNORECASE
    )
    select_re = re.compile(
        rf"(?P<command>{_alternatives(select)}) (?P<list>\S+)"
        r"(?: (?P<other>or specify other|or_other|or other))?",
        re.IGNORECASE,
    )
    return control_re, select_re
