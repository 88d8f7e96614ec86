"""Which row a problem names. Our validator checks the YAML as written and names a place in
it ('question "age"', 'choice list "yes_no", choice "y"', 'page "about_you"'); each such
place is remembered with the sheet, row and headers it came from, so that the problem is
reported at the cell to fix in the workbook."""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML

from ..validator import check_definition
from .columns import CHOICE_COLUMNS, SURVEY_COLUMNS
from .messages import Message, Report
from .names import our_name

# The first word of a validator message -> the column it is about, when not the word itself.
COLUMN_OF_WORD = {"unknown": "type", "duplicate": "name", "other": "type", "code": "name"}


class Places:
    """Validator place -> (sheet, row, field -> header of that row's column)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.rows: dict[str, tuple[str, int, dict[str, str]]] = {}

    def add(self, place: str, sheet: str, row: int, headers: dict[str, str]) -> None:
        self.rows[place] = (sheet, row, headers)

    def add_first(self, place: str, sheet: str, row: int) -> None:
        """The place's first row, for a place several rows make (a choice list)."""
        self.rows.setdefault(place, (sheet, row, {}))

    def placed(self, place: str, message: str) -> Message:
        where = self.rows.get(place)
        if where is None:
            prefix = f"{place}: " if place else ""
            return Message(self.file, f"{prefix}{message}")
        sheet, row, headers = where
        first = message.split()[0].rstrip(":") if message.split() else ""
        column = COLUMN_OF_WORD.get(first, first)
        if first == "a" and " required" in message:
            column = "required"
        elif first == "a" and " constraint" in message:
            column = "constraint"
        known = SURVEY_COLUMNS | CHOICE_COLUMNS | {"list_name"}
        header = headers.get(column, column) if column in known else None
        return Message(self.file, f"{place}: {message}", sheet, row, header)


def validate(
    yaml_text: str,
    places: Places,
    report: Report,
    *,
    id_given: bool,
    has_pages: bool,
    refused_lists: set[str],
    said: set[tuple[str, int, str]],
    calculations_refused: set[int],
) -> dict[str, Any] | None:
    """Our own validator on the YAML as written, its problems placed in the workbook; the
    normalised definition, or None when there are problems. `said` holds the references
    (sheet, row, name) already said to be to a question left out, `calculations_refused`
    the survey rows whose calculation was said to be a problem (and is not written)."""
    data = YAML(typ="rt").load(yaml_text)
    definition, problems = check_definition(data, places.file)
    for problem in problems:
        if id_given and problem.message.startswith("id must be"):
            continue  # said already, about --id
        if not has_pages and problem.message.startswith("pages must be"):
            continue  # said already: no questions left to import
        if any(
            problem.message == f"unknown choice list {our_name(name)!r}" for name in refused_lists
        ):
            continue  # said already: each of its choices is a problem
        placed = places.placed(problem.place, problem.message)
        if (
            problem.message == "a calculate question needs a calculation"
            and placed.sheet == "survey"
            and placed.row in calculations_refused
        ):
            continue  # said already: what is wrong with it
        if any(
            (placed.sheet, placed.row) == (sheet, row) and f"${{{ref}}}" in problem.message
            for sheet, row, ref in said
        ):
            continue  # said already: the question it refers to is not imported
        report.problems.append(placed)
    return definition
