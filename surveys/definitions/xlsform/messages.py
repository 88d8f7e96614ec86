"""What an import tells a person: each problem or warning with the sheet, row and column of
the workbook to look at, collected in the order found and handed back sorted by place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHEET_ORDER = {"survey": 0, "choices": 1, "settings": 2}


@dataclass(frozen=True)
class Message:
    """A problem or a warning, with the place in the workbook a person should look."""

    file: str
    text: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.sheet and self.row:
            where.append(f"{self.sheet} row {self.row}")
        elif self.sheet:
            where.append(f"{self.sheet} sheet")
        if self.column:
            where.append(f"column {self.column}")
        place = ", ".join(where)
        return f"{self.file}: {place}: {self.text}" if place else f"{self.file}: {self.text}"

    def sort_key(self) -> tuple[int, int]:
        return (SHEET_ORDER.get(self.sheet or "", -1 if self.sheet is None else 3), self.row or 0)


@dataclass
class ImportResult:
    """The YAML text and its normalised definition, or the problems that prevent them."""

    yaml_text: str | None = None
    definition: dict[str, Any] | None = None
    problems: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)


class Report:
    """The problems and warnings of one import. What Pathways cannot do is a problem, or a
    warning when the person asked to skip unsupported rows."""

    def __init__(self, file: str, skip_unsupported: bool) -> None:
        self.file = file
        self.skip = skip_unsupported
        self.problems: list[Message] = []
        self.warnings: list[Message] = []

    def problem(
        self, text: str, sheet: str | None = None, row: int | None = None, column: str | None = None
    ) -> None:
        self.problems.append(Message(self.file, text, sheet, row, column))

    def warn(
        self, text: str, sheet: str | None = None, row: int | None = None, column: str | None = None
    ) -> None:
        self.warnings.append(Message(self.file, text, sheet, row, column))

    def unsupported(self, text: str, row: int, column: str, skipped: str = "row skipped") -> None:
        """A survey row Pathways cannot import."""
        if self.skip:
            self.warn(f"{text}; {skipped}", "survey", row, column)
        else:
            self.problem(text, "survey", row, column)

    def unsupported_sheet(self, sheet: str, text: str) -> None:
        if self.skip:
            self.warn(f"{text}; sheet ignored", sheet)
        else:
            self.problem(text, sheet)

    def sorted_problems(self) -> list[Message]:
        return _in_workbook_order(self.problems)

    def sorted_warnings(self) -> list[Message]:
        return _in_workbook_order(self.warnings)


def _in_workbook_order(messages: list[Message]) -> list[Message]:
    """Each message once, sheet by sheet and row by row; the order found within a row."""
    return sorted(dict.fromkeys(messages), key=Message.sort_key)
