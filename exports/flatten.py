"""Answers (JSON per response) -> one flat table, and a `Column` for every column.

A select_multiple question becomes one 0/1 column per code, `<question>__<code>`, so any
tool can read it; the other questions keep their name. Questions with the same name in
several surveys (the 1- and 5-year follow-ups ask the same things) share a column, which
is what makes waves comparable. A repeat's entries flatten the same way to a table of
their own, one row per entry (`repeat_columns_of`, `split_repeats`); the people's table
keeps the repeat's number of entries (`count_column`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from .columns import Column
from .definitions import Definition, Question, Text

# The compact, nullable pandas dtype of each kind of column.
Dtype = Literal["Int8", "Int64", "Float64", "boolean", "category", "string"]

# The form layer's code of an "other, please say" choice and the suffix of its text (kept
# in step with surveys/vocabulary).
OTHER_CODE = "other"
OTHER_SUFFIX = "_other"
# Question types that have no answer column of their own (a repeat's answers are a list
# of entries: a table of their own, with their number in the people's table).
REPEAT = "repeat"
NO_ANSWER = {"note", REPEAT}
TEXT_TYPES = {"text", "long_text"}
# A repeat's entries in a batch of responses: each entry's response (its index in the
# batch), its 1-based position, its answers.
Entries = tuple[list[int], list[int], list[dict[str, Any]]]


def _label(text_by_lang: Text | None, definition: Definition) -> str:
    texts = text_by_lang or {}
    return texts.get(definition["default_language"]) or next(iter(texts.values()), "")


def _codes(definition: Definition, question: Question) -> dict[str, str]:
    return {
        choice["code"]: _label(choice["label"], definition)
        for choice in definition["choices"].get(question["list"] or "", [])
    }


def columns_of(definition: Definition) -> list[Column]:
    """The columns one survey's answers flatten to, in the order the questions are asked.

    A repeat gives one column here, its number of entries (`count_column`); its entries
    flatten to a table of their own (`repeat_columns_of`)."""
    columns: list[Column] = []
    for page in definition["pages"]:
        for question in page["questions"]:
            if question["type"] == REPEAT:
                columns.append(count_column(definition, question))
            elif question["type"] not in NO_ANSWER:
                columns.extend(question_columns(definition, question))
    return columns


def repeat_columns_of(definition: Definition) -> dict[str, list[Column]]:
    """Each repeat's name -> the columns its entries flatten to, exactly as questions
    outside a repeat do (a select_multiple as 0/1 columns, an "other" text beside)."""
    return {
        question["name"]: [
            column
            for inner in question.get("questions", [])
            if inner["type"] not in NO_ANSWER
            for column in question_columns(definition, inner)
        ]
        for page in definition["pages"]
        for question in page["questions"]
        if question["type"] == REPEAT
    }


def count_column(definition: Definition, repeat: Question) -> Column:
    """A repeat's column in the people's table: how many entries the response has (empty
    where the repeat was not asked). Someone who lists many projects is rare, so the
    number is a quasi-identifier; nothing of a repeat marked `export: never` leaves."""
    title = _label(repeat["label"], definition) or repeat["name"]
    return Column(
        repeat["name"],
        f"{title}: number of entries",
        "integer",
        question=repeat["name"],
        privacy="never" if repeat.get("export") == "never" else "quasi_identifier",
    )


def question_columns(definition: Definition, question: Question) -> list[Column]:
    """The columns of one question (not a note or a repeat)."""
    kind, name = question["type"], question["name"]
    title = _label(question["label"], definition)
    privacy = "never" if question.get("export") == "never" else question["privacy"]
    columns: list[Column] = []
    if kind == "select_multiple":
        for code, label in _codes(definition, question).items():
            columns.append(
                Column(
                    f"{name}__{code}",
                    f"{title}: {label}",
                    "integer",
                    codes={"0": "not chosen", "1": "chosen"},
                    question=name,
                    privacy=privacy,
                )
            )
    elif kind == "select_one":
        codes = _codes(definition, question)
        if question.get("other"):
            # The form offers it beside the list's codes: a code the column may hold.
            codes.setdefault(OTHER_CODE, "Other")
        columns.append(Column(name, title, "string", codes, question=name, privacy=privacy))
    elif kind == "integer":
        columns.append(Column(name, title, "integer", question=name, privacy=privacy))
    elif kind == "decimal":
        columns.append(Column(name, title, "number", question=name, privacy=privacy))
    elif kind == "date":
        columns.append(Column(name, title, "date", question=name, privacy=privacy))
    elif kind == "consent":
        columns.append(Column(name, title, "boolean", question=name, privacy=privacy))
    elif kind == "calculate":
        # Worked out from other answers, with the privacy of the strictest of them (the
        # validator's) unless the definition says; text, as it may be either.
        columns.append(Column(name, title or name, "string", question=name, privacy=privacy))
    else:  # text, long_text: free text by nature, whatever the definition says
        free = "never" if privacy == "never" else "free_text"
        columns.append(Column(name, title, "string", question=name, privacy=free))
    if question.get("other"):
        columns.append(
            Column(
                name + OTHER_SUFFIX,
                f"{title} (other, in their words)",
                "string",
                question=name,
                privacy="free_text",
            )
        )
    return columns


def split_repeats(
    answers: list[dict[str, Any]], repeats: Iterable[str]
) -> tuple[list[dict[str, Any]], dict[str, Entries]]:
    """Each response's answers with every repeat's list of entries replaced by how many
    there are (what `count_column` holds), and per repeat its entries: for each, the
    response it belongs to (its index in `answers`), its 1-based position and its answers.
    An entry that is not an object (never stored so) counts, with no answers."""
    repeats = list(repeats)
    if not repeats:
        return answers, {}
    counted: list[dict[str, Any]] = []
    entries: dict[str, Entries] = {name: ([], [], []) for name in repeats}
    for row, given in enumerate(answers):
        lengths: dict[str, int | None] = {}
        for name in repeats:
            value = given.get(name)
            if not isinstance(value, list):
                lengths[name] = None
                continue
            lengths[name] = len(value)
            rows, positions, answered = entries[name]
            for position, entry in enumerate(value, start=1):
                rows.append(row)
                positions.append(position)
                answered.append(entry if isinstance(entry, dict) else {})
        counted.append({**given, **lengths})
    return counted, entries


def merge_columns(per_survey: Iterable[list[Column]]) -> list[Column]:
    """One list for several surveys: a name seen again keeps its first description, with
    the codes of both (a later version may add codes)."""
    merged: dict[str, Column] = {}
    for columns in per_survey:
        for column in columns:
            known = merged.get(column.name)
            if known is None:
                merged[column.name] = column
            elif known.codes is not None and column.codes:
                known.codes = {**column.codes, **known.codes}
    return list(merged.values())


def flat_frame(answers: list[dict[str, Any]], columns: list[Column]) -> pd.DataFrame:
    """Responses to one survey version as a typed table with `columns`, in that order.

    Multi-select codes become 0/1 where the question was answered (an empty choice is all
    0) and stay empty where it was not.
    """
    return frame_of([flat_columns(answers, columns)], [len(answers)], columns)


def flat_columns(answers: list[dict[str, Any]], columns: list[Column]) -> dict[str, Any]:
    """`flat_frame`'s columns as {name: Series or array}; None for a column nobody answered.

    Works column by column over the whole batch: a Python loop per response and question
    was most of an export's time.
    """
    count = len(answers)
    raw = pd.DataFrame.from_records(answers) if answers else pd.DataFrame()
    raw.index = pd.RangeIndex(count)
    out: dict[str, Any] = {}
    for question, mine in by_question(columns).items():
        for column in mine:
            if column.name in (question, question + OTHER_SUFFIX):
                out[column.name] = raw.get(column.name)
        codes = [c.name for c in mine if c.name not in (question, question + OTHER_SUFFIX)]
        if codes:
            out.update(_code_columns(raw.get(question), question, codes, count))
    return out


def joined(pieces: list[Any], sizes: list[int]) -> pd.Series | None:
    """One column from the same column of several batches (None where a batch lacks it);
    None when every batch lacks it."""
    if all(piece is None for piece in pieces):
        return None
    flags = all(p is None or isinstance(p, pd.arrays.IntegerArray) for p in pieces)

    def empty(size: int) -> Any:
        if flags:  # 0/1 columns stay 0/1 columns
            return pd.array([pd.NA] * size, dtype="Int8")
        return np.full(size, None, dtype=object)

    series = [
        pd.Series(piece if piece is not None else empty(size))
        for piece, size in zip(pieces, sizes, strict=True)
    ]
    return series[0] if len(series) == 1 else pd.concat(series, ignore_index=True)


def _code_columns(
    values: pd.Series | None, question: str, names: list[str], count: int
) -> dict[str, pd.arrays.IntegerArray]:
    """`<question>__<code>` 0/1 columns from each response's list of chosen codes."""
    chosen = np.zeros((count, len(names)), dtype=np.int8)
    if values is None:  # nobody was asked it
        answered = np.zeros(count, dtype=bool)
    else:
        # Each pick's row, and its column (-1: a code the version does not list has none;
        # None, no pick), looked up in C: pandas' map, explode and text conversion, then a
        # Python expression per pick, were each a tenth of loading.
        cells = values.to_numpy(dtype=object)
        answered = np.fromiter(
            map(isinstance, cells, itertools.repeat(list)), dtype=bool, count=count
        )
        lists = cells[answered]
        rows = np.repeat(np.flatnonzero(answered), list(map(len, lists)))
        picks = np.fromiter(itertools.chain.from_iterable(lists), dtype=object, count=len(rows))
        codes = [name[len(question) + 2 :] for name in names]
        which = pd.Index(codes, dtype=object).get_indexer(pd.Index(picks, dtype=object))
        # A pick stored as a number (never by this version's forms) is looked up as text.
        for at in np.flatnonzero(which < 0):
            pick = picks[at]
            if pick is not None and type(pick) is not str and str(pick) in codes:
                which[at] = codes.index(str(pick))
        known = which >= 0
        chosen[rows[known], which[known]] = 1
    return {
        name: pd.arrays.IntegerArray(chosen[:, i].copy(), ~answered) for i, name in enumerate(names)
    }


def by_question(columns: list[Column]) -> dict[str, list[Column]]:
    grouped: dict[str, list[Column]] = {}
    for column in columns:
        if column.question is not None:
            grouped.setdefault(column.question, []).append(column)
    return grouped


def frame_of(parts: list[dict[str, Any]], sizes: list[int], columns: list[Column]) -> pd.DataFrame:
    """Batches of `flat_columns` (with `sizes` rows each) as one table with `columns`, in
    that order, each in its compact, nullable dtype."""
    return pd.DataFrame(series_of(parts, sizes, columns), index=pd.RangeIndex(sum(sizes)))


def series_of(
    parts: list[dict[str, Any]], sizes: list[int], columns: list[Column]
) -> dict[str, pd.Series]:
    """`frame_of`'s columns, by name."""
    return {
        column.name: typed_series(
            joined([part.get(column.name) for part in parts], sizes), column, sum(sizes)
        )
        for column in columns
    }


def typed_series(series: pd.Series | None, column: Column, count: int = 0) -> pd.Series:
    """One column in the compact, nullable dtype its type promises; `count` empty values
    when there is no series (nobody in this batch was asked the question)."""
    dtype = dtype_of(column)
    if series is None:
        return pd.Series(pd.NA, index=pd.RangeIndex(count), dtype=dtype)
    if column.type in ("integer", "number"):
        return pd.to_numeric(series, errors="coerce").astype(dtype)
    return series.astype(dtype)


def dtype_of(column: Column) -> Dtype:
    if column.type == "integer":
        return "Int8" if column.codes == {"0": "not chosen", "1": "chosen"} else "Int64"
    if column.type == "number":
        return "Float64"
    if column.type == "boolean":
        return "boolean"
    return "category" if column.codes is not None else "string"
