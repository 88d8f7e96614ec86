"""A definition's `schedule:`: when a survey is due, and for whom.

    schedule:
      wave: followup-1y          # the moment in a participant's path it measures
      from: term_end             # term_start | term_end
      after: 1y                  # 0d, 14d, 2w, 6m, 1y, 5y …
      open_for: 60d              # how long the personal link answers (default 60d)
      for: {role: mentee, status: completed}   # role and/or status, one or a list

This is the language: checking the key and reading durations. Making the invitations that
a schedule calls for is `surveys.followups.schedule`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypedDict

from dateutil.relativedelta import relativedelta

from ..vocabulary import ROLES, STATUSES

WAVE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
DURATION = re.compile(r"^(\d{1,4})([dwmy])$")
ANCHORS = ("term_start", "term_end")
SCHEDULE_KEYS = {"wave", "from", "after", "open_for", "for"}
DEFAULT_OPEN_FOR = "60d"

Problem = Callable[[str, str, int | None], None]

# A schedule as stored in the normalised definition ("from" is a keyword, hence this form).
Schedule = TypedDict(
    "Schedule",
    {
        "wave": str,
        "from": str,
        "after": str,
        "open_for": str,
        "roles": list[str],
        "statuses": list[str],
    },
)


def duration(text: str) -> relativedelta | None:
    """'14d', '2w', '6m', '1y' as a relativedelta (calendar months and years), else None."""
    match = DURATION.match(str(text).strip())
    if not match:
        return None
    amount, unit = int(match.group(1)), match.group(2)
    return {
        "d": relativedelta(days=amount),
        "w": relativedelta(weeks=amount),
        "m": relativedelta(months=amount),
        "y": relativedelta(years=amount),
    }[unit]


def _one_or_list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def read_schedule(
    node: object, problem: Problem, line: Callable[..., int | None]
) -> Schedule | None:
    """Check a definition's `schedule:` and return it normalised, or None (problems noted)."""
    place = "schedule"
    if not isinstance(node, dict):
        problem(place, "schedule must be a mapping with wave, from, after and for", line(node))
        return None
    ok = True
    for key in node:
        if key not in SCHEDULE_KEYS:
            problem(
                place,
                f"unknown key {key!r} (use {', '.join(sorted(SCHEDULE_KEYS))})",
                line(node, key),
            )
            ok = False
    wave = node.get("wave")
    if not isinstance(wave, str) or not WAVE.match(wave):
        problem(place, "wave must be a short name like followup-1y", line(node, "wave"))
        ok = False
        wave = ""  # never stored: not ok
    anchor = node.get("from", "term_end")
    if anchor not in ANCHORS:
        problem(
            place, f"from must be one of {', '.join(ANCHORS)}, not {anchor!r}", line(node, "from")
        )
        ok = False
    for key, default in (("after", None), ("open_for", DEFAULT_OPEN_FOR)):
        value = node.get(key, default)
        if value is None or duration(value) is None:
            problem(
                place,
                f"{key} must be a duration like 14d, 2w, 6m or 1y, not {value!r}",
                line(node, key) if key in node else line(node),
            )
            ok = False
    audience = node.get("for", {})
    if audience == "all":
        audience = {}
    if not isinstance(audience, dict):
        problem(place, "for must be all, or a mapping with role and/or status", line(node, "for"))
        return None
    roles, statuses = _one_or_list(audience.get("role")), _one_or_list(audience.get("status"))
    for key in audience:
        if key not in ("role", "status"):
            problem(place, f"for: unknown key {key!r} (use role, status)", line(audience, key))
            ok = False
    for value, allowed, what in ((roles, ROLES, "role"), (statuses, STATUSES, "status")):
        for item in value:
            if item not in allowed:
                problem(
                    place,
                    f"for: {what} {item!r} is not one of {', '.join(allowed)}",
                    line(audience, what),
                )
                ok = False
    if not ok:
        return None
    return {
        "wave": wave,
        "from": anchor,
        "after": str(node["after"]).strip(),
        "open_for": str(node.get("open_for", DEFAULT_OPEN_FOR)).strip(),
        "roles": roles or list(ROLES),
        "statuses": statuses or list(STATUSES),
    }
