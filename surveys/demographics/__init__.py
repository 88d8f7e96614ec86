"""The library of blocks surveys include: demographic questions, and the follow-ups' own.

A block is definition data: questions, choice lists with stable codes and, for the
demographic blocks (`blocks/<name>.yaml`), "Prefer not to say", a privacy class per
question, the code list's id and version, and an export hierarchy per list. A survey
includes one with `- include: demographics/<name>` (or `followup/<name>`) in a page's
questions and may reword it, choose and order its questions, drop options or add its own
(docs/demographics.md).

- `blocks`: the library's folders, and reading one block
- `includes`: expanding a definition's includes (`expand_includes`)
- `code_lists`: what a survey records of a block's lists (ids, versions, hierarchies)
- `programmes`: which blocks each programme's intake asks
- `crosswalks`, `derived`, `countries`, `language_names`, `income_groups`: code list
  history, values computed from answers, countries (named from CLDR) and regions, spoken
  languages named from CLDR, World Bank income groups

The library sits below the definition language and imports nothing of it.
"""

from ..vocabulary import OTHER_CODE, PREFER_NOT_TO_SAY
from .blocks import BLOCKS_DIR, PREFIX, SHELVES, Shelf, block_names, load_block
from .code_lists import GENERATED_HIERARCHIES, GENERATED_LISTS
from .includes import INCLUDE_KEYS, OVERRIDE_KEYS, LineOf, expand_includes
from .programmes import Report, programme_rules

__all__ = [
    "BLOCKS_DIR",
    "GENERATED_HIERARCHIES",
    "GENERATED_LISTS",
    "INCLUDE_KEYS",
    "OTHER_CODE",
    "OVERRIDE_KEYS",
    "PREFER_NOT_TO_SAY",
    "PREFIX",
    "SHELVES",
    "LineOf",
    "Report",
    "Shelf",
    "block_names",
    "expand_includes",
    "load_block",
    "programme_rules",
]
