"""A problem found in a definition file, with the place a person should look."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    place: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.place}: {self.message}" if self.place else f"{where}: {self.message}"
        )


def yaml_line(node: object, key: object = None) -> int | None:
    """1-based YAML line of a mapping (or of one of its keys), when the loader kept it."""
    # ruamel's line and column record (`LineCol`), which ruamel types as Any.
    lc: Any = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is None:
            return int(lc.line) + 1
        return int((lc.key(key) if isinstance(key, str) else lc.item(key))[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return int(lc.line) + 1
