"""Check a definition read from YAML and turn it into the normalised JSON that is stored.

The checks collect every problem instead of stopping at the first, each with its place
(page, question or choice list) and the YAML line, so an author fixes a file in one go.

- `survey`: the top-level keys, languages and includes, and the order of the checks
- `choices`: the choice lists; `questions`: the pages and their questions
- `references`: what `relevant` and `constraint` refer to
- `names`: the names a definition may give things; `context`: what every check shares
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..problems import Problem
from .context import Context
from .names import CHOICE_CODE, QUESTION_NAME, RESERVED_NAMES, SURVEY_ID
from .survey import check_survey

__all__ = [
    "CHOICE_CODE",
    "QUESTION_NAME",
    "RESERVED_NAMES",
    "SURVEY_ID",
    "check_definition",
]


def check_definition(
    data: object, file: str, strict: bool = False, programme_dir: Path | None = None
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Validate parsed YAML; return the normalised definition (None if any problem) and problems.

    `programme_dir` holds the programmes' configuration files, which decide which
    demographic blocks each programme's intake asks.
    """
    context = Context(file, strict)
    definition = check_survey(context, data, programme_dir)
    if context.problems:
        return None, sorted(context.problems, key=lambda p: p.line or 0)
    return definition, []
