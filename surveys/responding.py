"""Answering a survey: drafts kept on the server, page checks, and the atomic submit.

A respondent's answers live in a Draft until the last page is submitted; then one
Response is stored and the draft deleted in the same transaction. Services flush,
the views commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict

from forms import build_page_form
from forms.builder import choice_options, fingerprint
from forms.types import FIELD_TYPES, OTHER_CODE, OTHER_SUFFIX, OTHER_TEXT

from .definitions.expressions import ExpressionError, parse
from .extensions import db
from .models import Draft, Response, SurveyVersion

# A text box people never see (hidden by CSS, from screen readers and from the keyboard)
# that bots fill in. The hyphen keeps it apart from every question name.
HONEYPOT = "your-website"
# Form keys that are not answers: Flask-WTF's token, the Back/Next/Submit button, the trap.
CONTROL_FIELDS = {"csrf_token", "action", HONEYPOT}
ACTIONS = {"back", "next", "submit"}
# The language switcher's buttons: "lang:es" saves the page and shows it in Spanish.
SWITCH_LANGUAGE = "lang:"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- walking the survey ---------------------------------------------------------------


@dataclass
class Walk:
    """The survey as seen from a set of raw answers: what is asked, answered and wrong."""

    answers: dict[str, Any] = field(default_factory=dict)
    relevant: set[str] = field(default_factory=set)
    errors: dict[str, list[str]] = field(default_factory=dict)
    forms: dict[int, Any] = field(default_factory=dict)

    def page_is_asked(self, definition: dict, index: int) -> bool:
        return any(q["name"] in self.relevant for q in definition["pages"][index]["questions"])

    def first_error_page(self, definition: dict) -> int | None:
        for index, page in enumerate(definition["pages"]):
            if any(_names_of(q) & self.errors.keys() for q in page["questions"]):
                return index
        return None


def _names_of(question: dict) -> set[str]:
    names = {question["name"]}
    if question["other"]:
        names.add(question["name"] + OTHER_SUFFIX)
    return names


def page_field_names(definition: dict, index: int) -> list[str]:
    names = []
    for question in definition["pages"][index]["questions"]:
        if FIELD_TYPES[question["type"]].field_class is not None:
            names.append(question["name"])
            if question["other"]:
                names.append(question["name"] + OTHER_SUFFIX)
    return names


def _is_relevant(question: dict, answers: dict[str, Any]) -> bool:
    if not question["relevant"]:
        return True
    try:
        return parse(question["relevant"]).is_true(answers)
    except ExpressionError:
        # Better to ask a question too many than to lose an answer silently.
        return True


def _chose_other(value: Any) -> bool:
    return value == OTHER_CODE or (isinstance(value, list) and OTHER_CODE in value)


def walk(
    definition: dict,
    raw: dict[str, list[str]],
    locale: str,
    validate: bool,
    content_key: str | None = None,
) -> Walk:
    """Go through every question in order, as the respondent would.

    A question is asked when its `relevant` is true for the answers before it; answers to
    questions not asked are left out, so later expressions see them as empty. With
    `validate`, every asked question is checked and its messages collected.
    """
    result = Walk()
    answers = result.answers
    # The stored version's content hash when the caller has it: hashing costs more than
    # building the forms it saves.
    key = content_key or fingerprint(definition)
    for index, page in enumerate(definition["pages"]):
        page_raw = MultiDict(
            [
                (name, value)
                for name in page_field_names(definition, index)
                for value in raw.get(name, [])
            ]
        )
        form = build_page_form(definition, index, locale, key)(formdata=page_raw)
        form.answers = answers
        result.forms[index] = form
        for question in page["questions"]:
            if not _is_relevant(question, answers):
                continue
            name = question["name"]
            result.relevant.add(name)
            ftype = FIELD_TYPES[question["type"]]
            if ftype.field_class is None:
                continue
            field_ = form[name]
            if validate and not field_.validate(form):
                result.errors[name] = list(field_.errors)
                continue
            value = ftype.to_answer(field_.data) if not field_.process_errors else None
            if value is None:
                continue
            answers[name] = value
            if question["other"] and _chose_other(value):
                other_name = name + OTHER_SUFFIX
                result.relevant.add(other_name)
                text = OTHER_TEXT.to_answer(form[other_name].data)
                if text:
                    answers[other_name] = text
                elif validate:
                    result.errors[other_name] = [_please_specify()]
    return result


def _please_specify() -> str:
    return _("Please say which other answer you mean.")


def next_asked_page(definition: dict, state: Walk, index: int, step: int) -> int | None:
    """The next page (step +1) or previous page (step -1) with a question to ask."""
    index += step
    while 0 <= index < len(definition["pages"]):
        if state.page_is_asked(definition, index):
            return index
        index += step
    return None


# --- tampering ----------------------------------------------------------------------


def tampering(definition: dict, index: int, formdata: MultiDict, locale: str) -> str | None:
    """Why a POST for page `index` cannot come from our own page, or None when it can."""
    allowed = set(page_field_names(definition, index)) | CONTROL_FIELDS
    for key in formdata:
        if key not in allowed:
            return f"unknown field {key[:40]!r}"
    actions = formdata.getlist("action")
    switches = {SWITCH_LANGUAGE + code for code in definition["languages"]}
    if len(actions) > 1 or (actions and actions[0] not in ACTIONS | switches):
        return "unknown action"
    for question in definition["pages"][index]["questions"]:
        ftype = FIELD_TYPES[question["type"]]
        if ftype.field_class is None:
            continue
        codes = {choice.value for choice in choice_options(definition, question, locale)}
        problem = ftype.tampering(formdata.getlist(question["name"]), codes)
        if problem is None and question["other"]:
            problem = OTHER_TEXT.tampering(formdata.getlist(question["name"] + OTHER_SUFFIX), set())
        if problem:
            return f"{question['name']}: {problem}"
    return None


def caught_in_honeypot(formdata: MultiDict) -> bool:
    """Whether the hidden field that only bots fill in has something in it."""
    return any(value.strip() for value in formdata.getlist(HONEYPOT))


# C0 controls but tab, line feed and carriage return (which a text area sends), and DEL:
# invisible, meaningless in an answer, and NUL cannot even be stored by PostgreSQL.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(
    definition: dict, index: int, formdata: MultiDict
) -> tuple[MultiDict, bool]:
    """The page's form data with control characters removed from its answers, and whether
    any were. Other keys are left as sent, for `tampering` to judge."""
    names = set(page_field_names(definition, index))
    cleaned: MultiDict = MultiDict()
    removed = False
    for key, value in formdata.items(multi=True):
        if key in names:
            value, count = CONTROL_CHARACTERS.subn("", value)
            removed = removed or count > 0
        cleaned.add(key, value)
    return cleaned, removed


# --- drafts and responses -------------------------------------------------------------


def find_draft(token: str) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.token_hash == token_hash(token)))


def find_submitted(token: str) -> Response | None:
    return find_submitted_key(token_hash(token))


def find_submitted_key(key: str) -> Response | None:
    return db.session.scalar(select(Response).where(Response.submission_key == key))


def start_draft(survey_version: SurveyVersion, locale: str) -> tuple[Draft, str]:
    """A new draft pinned to this version; the token goes to the browser, its hash is kept."""
    token = secrets.token_urlsafe(32)
    draft = Draft(
        token_hash=token_hash(token),
        survey_version=survey_version,
        locale=locale,
        raw={},
        furthest_page=0,
    )
    db.session.add(draft)
    db.session.flush()
    return draft, token


def invitation_key(invitation_id: int) -> str:
    """The draft and submission key of a personal link: one response per invitation."""
    return token_hash(f"invitation:{invitation_id}")


def find_invitation_draft(invitation_id: int) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.invitation_id == invitation_id))


def start_invitation_draft(
    survey_version: SurveyVersion, locale: str, invitation_id: int, known: dict[str, list[str]]
) -> Draft:
    """The draft of a personal link, pre-filled with what we already know of the person."""
    draft = Draft(
        token_hash=invitation_key(invitation_id),
        invitation_id=invitation_id,
        survey_version=survey_version,
        locale=locale,
        raw=dict(known),
        furthest_page=0,
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def save_page(draft: Draft, index: int, formdata: MultiDict) -> None:
    """Keep what the respondent typed on this page, valid or not, so nothing is lost."""
    raw = dict(draft.raw)
    for name in page_field_names(draft.survey_version.definition, index):
        raw[name] = formdata.getlist(name)
    draft.raw = raw


def wave_of(definition: dict) -> str:
    """The wave a survey's answers belong to: its schedule's, else its own id."""
    return (definition.get("schedule") or {}).get("wave") or definition["id"]


def submit(draft: Draft, answers: dict[str, Any], participant_id: int | None = None) -> Response:
    """Store the response and delete the draft, in the caller's transaction.

    The draft's token hash becomes the response's unique submission key: a second submit of
    the same draft, even a concurrent one, fails on that constraint instead of storing twice.
    """
    survey_version = db.session.get(SurveyVersion, draft.survey_version_id)
    response = Response(
        survey_version_id=draft.survey_version_id,
        locale=draft.locale,
        started_at=draft.started_at,
        answers=answers,
        submission_key=draft.token_hash,
        wave=wave_of(survey_version.definition),
        participant_id=participant_id,
    )
    db.session.add(response)
    db.session.flush()
    db.session.execute(delete(Draft).where(Draft.id == draft.id))
    return response
