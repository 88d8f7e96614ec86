"""A programme's own wording of the invitation and the reminder, per language.

The built-in messages (`templates/mail/`, worded by the gettext catalogs) are what every
programme sends until an admin writes its own: a subject and a body per kind of message
and language, stored in `mail_texts`, with `{placeholders}` filled in for each person.
A wording is checked before it is stored: only the placeholders below, braces closed, and
the body must carry `{link}` — a message without the person's link asks for an answer
nobody can give. The opt-out line is never part of the wording: `mail.compose` adds it to
every message, so no programme can leave it out.

Placeholders are filled in here, not by `str.format` (which would also read attributes
and indexes, `{link.__class__}`): each part of the text between placeholders is copied
as written, escaped for the HTML part, and each placeholder's value escaped too.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from ..audit_log import ANONYMOUS, audit
from ..extensions import db
from ..models import MAIL_KINDS, MailText, Programme

# name -> what it stands for, as the admin page explains it.
PLACEHOLDERS = {
    "link": _l("the person's own link to the survey"),
    "survey": _l("the survey's title, in the message's language"),
    "programme": _l("the programme's name"),
    "term": _l("the term's name"),
    "expires_on": _l("the last day the link is open, written in the message's language"),
    "name": _l("the person's name, or nothing when it is not known"),
}
# The body must carry these (the subject may, but need not).
REQUIRED_IN_BODY = ("link",)
SUBJECT_MAX = 300
BODY_MAX = 10_000

_FORMATTER = string.Formatter()
# Control characters but the line breaks and tabs a message may hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Wording:
    """A programme's subject and body for one kind of message in one language."""

    subject: str
    body: str


def problems(subject: str, body: str) -> list[str]:
    """What is wrong with a wording, in the reader's language; empty when it may be stored."""
    found: list[str] = []
    if not subject.strip():
        found.append(_("Write a subject."))
    if "\n" in subject or "\r" in subject:
        found.append(_("The subject must be one line."))
    if len(subject) > SUBJECT_MAX:
        found.append(_("The subject is longer than %(max)d characters.", max=SUBJECT_MAX))
    if len(body) > BODY_MAX:
        found.append(_("The message is longer than %(max)d characters.", max=BODY_MAX))
    if _CONTROL.search(subject) or _CONTROL.search(body):
        # A NUL cannot even be stored on PostgreSQL; the others have no place in mail.
        found.append(_("The subject or the message holds a control character; remove it."))
    used: set[str] = set()
    for part, text in (("subject", subject), ("body", body)):
        try:
            names = _placeholders(text)
        except ValueError:
            found.append(
                _("The subject has a { or } that is not closed; write {{ or }} for a brace.")
                if part == "subject"
                else _("The message has a { or } that is not closed; write {{ or }} for a brace.")
            )
            continue
        used |= names
        for name in sorted(names - PLACEHOLDERS.keys()):
            found.append(
                _(
                    "{%(name)s} is not a placeholder; use %(known)s.",
                    name=name,
                    known=", ".join(f"{{{known}}}" for known in PLACEHOLDERS),
                )
            )
    body_names = _safe_placeholders(body)
    for required in REQUIRED_IN_BODY:
        if body_names is not None and required not in body_names:
            found.append(
                _(
                    "The message must contain {%(name)s}, the person's own link to the "
                    "survey: without it nobody could answer.",
                    name=required,
                )
            )
    return found


def _placeholders(text: str) -> set[str]:
    """Every placeholder written in `text`, as written (with any `.attr`, `[i]`, `!r` or
    `:spec`, which are refused). ValueError when a brace is not closed."""
    names = set()
    for _literal, field, spec, conversion in _FORMATTER.parse(text):
        if field is None:
            continue
        written = field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        names.add(written)
    return names


def _safe_placeholders(text: str) -> set[str] | None:
    try:
        return _placeholders(text)
    except ValueError:
        return None


def fill(text: str, values: Mapping[str, str], escape_text: Callable[[str], str] = str) -> str:
    """`text` with each placeholder replaced by its value; the text around them (and each
    value) passed through `escape_text`. Only for a wording that `problems` accepted."""
    out = []
    for literal, field, spec, conversion in _FORMATTER.parse(text):
        out.append(escape_text(literal))
        if field is not None:
            if spec or conversion or field not in PLACEHOLDERS:
                raise ValueError(f"not a placeholder: {field!r}")
            out.append(escape_text(values.get(field, "")))
    return "".join(out)


def html_paragraphs(body: str, values: Mapping[str, str]) -> list[Markup]:
    """The body as HTML paragraphs: text and values escaped, a blank line between
    paragraphs, a line break kept, and the link (only it) made a link."""
    linked = dict(values)
    link = values.get("link", "")
    # A marker no escaping changes, replaced by the <a> after the text is escaped.
    marker = "\x00link\x00"
    linked["link"] = marker
    anchor = Markup('<a href="{0}">{0}</a>').format(link)
    paragraphs = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        if not chunk.strip():
            continue
        escaped = fill(chunk.strip("\n"), linked, lambda text: str(escape(text)))
        html = escaped.replace(marker, str(anchor)).replace("\n", "<br>\n")
        paragraphs.append(Markup(html))  # noqa: S704  # built from escaped parts only
    return paragraphs


# --- stored wordings ---------------------------------------------------------------------


def wording_for(programme_id: int, kind: str, language: str) -> Wording | None:
    """The programme's own wording of this message in this language, if it has one."""
    row = db.session.scalar(
        select(MailText).where(
            MailText.programme_id == programme_id,
            MailText.kind == kind,
            MailText.language == language,
        )
    )
    return Wording(row.subject, row.body) if row else None


def wordings_of(programme_id: int) -> dict[tuple[str, str], MailText]:
    """(kind, language) -> the programme's stored wording."""
    rows = db.session.scalars(select(MailText).where(MailText.programme_id == programme_id))
    return {(row.kind, row.language): row for row in rows}


def programme_by_code(code: str) -> Programme | None:
    return db.session.scalar(select(Programme).where(Programme.code == code))


def save_wording(programme: Programme, kind: str, language: str, wording: Wording) -> None:
    """Store (or replace) a wording that `problems` accepted, and audit it (the caller
    commits). The audit log records which message changed, never what it says."""
    if kind not in MAIL_KINDS:
        raise ValueError(f"not a kind of message: {kind!r}")
    if problems(wording.subject, wording.body):
        raise ValueError("a wording is checked before it is saved")
    row = db.session.scalar(
        select(MailText).where(
            MailText.programme_id == programme.id,
            MailText.kind == kind,
            MailText.language == language,
        )
    )
    actor = _actor()
    if row is None:
        row = MailText(programme_id=programme.id, kind=kind, language=language)
        db.session.add(row)
    row.subject, row.body, row.updated_by = wording.subject, wording.body, actor
    db.session.flush()
    audit("mail text saved", programme=programme.code, kind=kind, language=language)


def remove_wording(programme: Programme, kind: str, language: str) -> bool:
    """Go back to the built-in text; audited when there was a wording to remove."""
    row = wordings_of(programme.id).get((kind, language))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    audit("mail text removed", programme=programme.code, kind=kind, language=language)
    return True


def _actor() -> str:
    return current_user.email if current_user.is_authenticated else ANONYMOUS
