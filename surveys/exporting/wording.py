"""An export's refusal worded in the reader's language, from its reason and values as
data (`exports/refusals.py`, `ExportRefused`): the page that shows it counts people with
the language's plural forms."""

from __future__ import annotations

from typing import Any

from flask_babel import format_percent, ngettext
from flask_babel import gettext as _

from exports import refusals


def refusal_text(reason: str, values: dict[str, Any]) -> str:
    """Why nothing was exported, in the reader's language, from the refusal's data (an
    `ExportRefused`'s reason and values, as a failed export job keeps them)."""
    count = int(values.get("people", 0))
    match reason:
        case refusals.TOO_FEW_PEOPLE:
            return ngettext(
                "Nothing exported: there is only %(num)d person, and k=%(k)d needs at least "
                "%(k)d, so no generalisation can protect them.",
                "Nothing exported: there are only %(num)d people, and k=%(k)d needs at least "
                "%(k)d, so no generalisation can protect them.",
                count,
                k=values["k"],
            )
        case refusals.SUBSET_EMPTY:
            return _(
                "Nothing exported: nobody who answered this survey is in the programme or "
                "term selected."
            )
        case refusals.SUBSET_SPLIT:
            return ngettext(
                "Nothing exported: the only person of the programme or term selected shares a "
                "group of the survey's release with people outside it, so they cannot be "
                "released apart.",
                "Nothing exported: each of the %(num)d people of the programme or term "
                "selected shares a group of the survey's release with people outside it, so "
                "none can be released apart.",
                count,
            )
        case refusals.TOO_MUCH_SUPPRESSION:
            return ngettext(
                "Nothing exported: k=%(k)d would suppress the demographics of %(suppressed)d "
                "of %(num)d person (%(share)s), more than the largest share allowed "
                "(%(allowed)s).",
                "Nothing exported: k=%(k)d would suppress the demographics of %(suppressed)d "
                "of %(num)d people (%(share)s), more than the largest share allowed "
                "(%(allowed)s).",
                count,
                k=values["k"],
                suppressed=values["suppressed"],
                share=format_percent(values["suppressed"] / max(count, 1)),
                allowed=format_percent(values["max_suppression"], "#,##0.#%"),
            )
        case refusals.GROUP_UNDER_K:
            return ngettext(
                "Nothing exported: the written file has a group of only %(num)d person where "
                "k=%(k)d was promised, so it was not released.",
                "Nothing exported: the written file has a group of only %(num)d people where "
                "k=%(k)d was promised, so it was not released.",
                count,
                k=values["k"],
            )
        case refusals.TOO_FEW_ANSWERS:
            return ngettext(
                "Nothing exported: in the written file, some group's answers to %(question)s "
                "take only %(num)d value where l=%(l)d was asked, so it was not released.",
                "Nothing exported: in the written file, some group's answers to %(question)s "
                "take only %(num)d different values where l=%(l)d was asked, so it was not "
                "released.",
                int(values["distinct"]),
                question=values["question"],
                l=values["l"],
            )
    # The rest name files, columns and purposes as the purpose file and the checks do.
    return _("Nothing exported: %(reason)s", reason=values.get("detail") or reason)
