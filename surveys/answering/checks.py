"""What a POST for a page may carry: anything our own page cannot produce is tampering;
the honeypot that only bots fill; control characters no answer needs."""

from __future__ import annotations

import re
from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from forms.builder import choice_options
from forms.types import FIELD_TYPES, OTHER_TEXT

from ..definitions.model import Survey
from ..vocabulary import OTHER_CODE, OTHER_SUFFIX
from .walk import Walk, page_posted_names, slots

# A text box people never see (hidden by CSS, from screen readers and from the keyboard)
# that bots fill in. The hyphen keeps it apart from every question name.
HONEYPOT = "your-website"
# Form keys that are not answers: Flask-WTF's token, the Back/Next/Submit button, the trap.
CONTROL_FIELDS = {"csrf_token", "action", HONEYPOT}
ACTIONS = {"back", "next", "submit"}
# The language switcher's buttons: "lang:es" saves the page and shows it in Spanish.
SWITCH_LANGUAGE = "lang:"
# A repeat's buttons: "add:projects" adds a repetition, "remove:projects:2" removes the third.
ADD = "add:"
REMOVE = "remove:"


def repeat_actions(survey: Survey, index: int, counts: Mapping[str, int]) -> set[str]:
    """The add and remove buttons page `index` shows, given its repeats' counts."""
    actions = set()
    for question in survey.pages[index].questions:
        if not question.is_repeat or question.repeat_count is not None:
            continue  # a fixed number of repetitions has no buttons
        count = counts.get(question.name, 0)
        if count < question.max_count:
            actions.add(ADD + question.name)
        if count > question.min_count:
            actions |= {f"{REMOVE}{question.name}:{i}" for i in range(count)}
    return actions


def tampering(
    survey: Survey, index: int, formdata: MultiDict, locale: str, shown: Walk | None = None
) -> str | None:
    """Why a POST for page `index` cannot come from our own page, or None when it can.

    `shown` is the walk of the survey as the page was shown (before this POST): the codes
    each filtered select offered and the repetitions of each repeat. A code of the list
    that the page did not offer, or a field of a repetition it did not show, is tampering."""
    counts = shown.counts if shown else {}
    offered = shown.options if shown else {}
    allowed = set(page_posted_names(survey, index, counts)) | CONTROL_FIELDS
    read_only = {s.name for s in slots(survey, index, counts) if s.question.read_only}
    for key in formdata:
        if key in read_only:
            return f"{key[:40]!r} is read-only and was posted"
        if key not in allowed:
            return f"unknown field {key[:40]!r}"
    actions = formdata.getlist("action")
    switches = {SWITCH_LANGUAGE + code for code in survey.languages}
    known = ACTIONS | switches | repeat_actions(survey, index, counts)
    if len(actions) > 1 or (actions and actions[0] not in known):
        return "unknown action"
    for slot in slots(survey, index, counts):
        question = slot.question
        ftype = FIELD_TYPES[question.type]
        if not question.is_posted:
            continue
        codes = {o.value for o in choice_options(survey, question, locale)}
        if slot.name in offered:
            codes = {c for c in codes if c in offered[slot.name] or c in ("", OTHER_CODE)}
        problem = ftype.tampering(formdata.getlist(slot.name), codes)
        if problem is None and question.other:
            problem = OTHER_TEXT.tampering(formdata.getlist(slot.name + OTHER_SUFFIX), set())
        if problem:
            return f"{slot.name}: {problem}"
    return None


def caught_in_honeypot(formdata: MultiDict) -> bool:
    """Whether the hidden field that only bots fill in has something in it."""
    return any(value.strip() for value in formdata.getlist(HONEYPOT))


# C0 controls but tab, line feed and carriage return (which a text area sends), and DEL:
# invisible, meaningless in an answer, and NUL cannot even be stored by PostgreSQL.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(
    survey: Survey, index: int, formdata: MultiDict, counts: Mapping[str, int] | None = None
) -> tuple[MultiDict, bool]:
    """The page's form data with control characters removed from its answers, and whether
    any were. Other keys are left as sent, for `tampering` to judge."""
    names = set(page_posted_names(survey, index, counts))
    cleaned: MultiDict = MultiDict()
    removed = False
    for key, value in formdata.items(multi=True):
        if key in names:
            value, count = CONTROL_CHARACTERS.subn("", value)
            removed = removed or count > 0
        cleaned.add(key, value)
    return cleaned, removed
