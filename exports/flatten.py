"""Answers (JSON per response) -> one flat table, and a `Column` for every column.

A select_multiple question becomes one 0/1 column per code, `<question>__<code>`, so any
tool can read it; the other questions keep their name. Questions with the same name in
several surveys (the 1- and 5-year follow-ups ask the same things) share a column, which
is what makes waves comparable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from .columns import Column

# The form layer's suffix for an "other, please say" text (kept in step with forms/types).
OTHER_SUFFIX = "_other"
# Question types that have no answer.
NO_ANSWER = {"note"}
TEXT_TYPES = {"text", "long_text"}


def _label(text_by_lang: dict | None, definition: dict) -> str:
    texts = text_by_lang or {}
    return texts.get(definition["default_language"]) or next(iter(texts.values()), "")


def _codes(definition: dict, question: dict) -> dict[str, str]:
    return {
        choice["code"]: _label(choice["label"], definition)
        for choice in definition["choices"].get(question["list"], [])
    }


def columns_of(definition: dict) -> list[Column]:
    """The columns one survey's answers flatten to, in the order the questions are asked."""
    columns: list[Column] = []
    for page in definition["pages"]:
        for question in page["questions"]:
            kind, name = question["type"], question["name"]
            if kind in NO_ANSWER:
                continue
            title = _label(question["label"], definition)
            privacy = "never" if question.get("export") == "never" else question["privacy"]
            common = {"question": name, "privacy": privacy}
            if kind == "select_multiple":
                for code, label in _codes(definition, question).items():
                    columns.append(
                        Column(
                            f"{name}__{code}",
                            f"{title}: {label}",
                            "integer",
                            codes={"0": "not chosen", "1": "chosen"},
                            **common,
                        )
                    )
            elif kind == "select_one":
                columns.append(
                    Column(name, title, "string", _codes(definition, question), **common)
                )
            elif kind == "integer":
                columns.append(Column(name, title, "integer", **common))
            elif kind == "decimal":
                columns.append(Column(name, title, "number", **common))
            elif kind == "date":
                columns.append(Column(name, title, "date", **common))
            elif kind == "consent":
                columns.append(Column(name, title, "boolean", **common))
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


def flat_row(answers: dict[str, Any], columns_by_question: dict[str, list[Column]]) -> dict:
    """One response's answers as {column: value}; multi-select codes as 0/1."""
    row: dict[str, Any] = {}
    for question, columns in columns_by_question.items():
        value = answers.get(question)
        for column in columns:
            if column.name == question:
                if value is not None:
                    row[question] = value
            elif column.name == question + OTHER_SUFFIX:
                if column.name in answers:
                    row[column.name] = answers[column.name]
            elif isinstance(value, list):  # <question>__<code>
                row[column.name] = int(column.name[len(question) + 2 :] in value)
    return row


def by_question(columns: list[Column]) -> dict[str, list[Column]]:
    grouped: dict[str, list[Column]] = {}
    for column in columns:
        if column.question is not None:
            grouped.setdefault(column.question, []).append(column)
    return grouped


def typed_frame(rows: list[dict], columns: list[Column]) -> pd.DataFrame:
    """A DataFrame with the columns in order and compact, nullable types."""
    frame = pd.DataFrame.from_records(rows, columns=[c.name for c in columns])
    for column in columns:
        series = frame[column.name]
        if column.type == "integer":
            frame[column.name] = pd.to_numeric(series, errors="coerce").astype(
                "Int8" if column.codes == {"0": "not chosen", "1": "chosen"} else "Int64"
            )
        elif column.type == "number":
            frame[column.name] = pd.to_numeric(series, errors="coerce").astype("Float64")
        elif column.type == "boolean":
            frame[column.name] = series.astype("boolean")
        elif column.codes is not None:
            frame[column.name] = series.astype("category")
        else:
            frame[column.name] = series.astype("string")
    return frame
