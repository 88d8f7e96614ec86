"""Codes that several parts of Pathways share: the definition language writes them, forms
offer them, answers store them, exports and the dashboard read them. Defined once here so
that a code means the same thing everywhere; nothing in this module imports anything."""

from __future__ import annotations

# The answer "Prefer not to say": every demographic list offers it, exports keep it apart
# from a real category, the dashboard labels it.
PREFER_NOT_TO_SAY = "pnts"
# A select question with `other: true` gets this code, and its free text is stored under
# the question's name with this suffix.
OTHER_CODE = "other"
OTHER_SUFFIX = "_other"

# A participant's role and status in a programme term: a definition's `schedule: for:`
# names them, the participants import checks them, the database constrains them, the
# dashboard counts them.
ROLES = ("mentee", "mentor")
STATUSES = ("active", "completed", "failed", "withdrawn")
