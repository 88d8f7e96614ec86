"""The invitation and reminder messages: plain text plus HTML, in the participant's language.

Rendered from `templates/mail/` under the participant's locale, so the wording comes from
the same gettext catalogs as the pages; the survey's own title and description come from
its definition. Carries RFC 8058 one-click unsubscribe headers pointing at the opt-out.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from i18n import html_lang, localized, negotiate, text_direction

from ..config import MailSettings
from .mail_texts import Wording, fill, html_paragraphs


@dataclass
class Letter:
    """What one message says and to whom; built by `sending` from the database rows."""

    to_name: str | None
    to_email: str
    language: str | None
    definition: dict
    programme: str
    term: str
    link: str
    opt_out_link: str
    expires_on: str
    reminder: bool
    # The programme's own wording of this message in its language; None: the built-in one.
    wording: Wording | None = None


def message_locale(language: str | None, definition: dict) -> str:
    return negotiate([language or ""], definition["languages"]) or definition["default_language"]


def recipient(email: str) -> str:
    """The address to send to: its ASCII form when it has one (an international domain in
    punycode, which every server takes), else the UTF-8 form, which needs SMTPUTF8.
    Raises EmailNotValidError for an address no server could deliver to."""
    # Imported here: a fiftieth of a second at every start of a command that sends nothing.
    from email_validator import validate_email

    valid = validate_email(email, check_deliverability=False)
    return valid.ascii_email or valid.normalized


def compose(letter: Letter, settings: MailSettings) -> EmailMessage:
    definition = letter.definition
    locale = message_locale(letter.language, definition)
    with force_locale(locale):
        title = localized(definition["title"], locale, definition["default_language"])
        context = {
            "letter": letter,
            "title": title,
            "description": localized(
                definition.get("description"), locale, definition["default_language"]
            ),
            "html_lang": html_lang(locale),
            "text_dir": text_direction(locale),
        }
        if letter.wording is not None:
            subject, text, html = _own_wording(letter, letter.wording, title, context)
        else:
            if letter.reminder:
                subject = _("Reminder: %(title)s", title=title)
            else:
                subject = _("%(programme)s: %(title)s", programme=letter.programme, title=title)
            text = render_template("mail/invitation.txt", **context)
            html = render_template("mail/invitation.html", **context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    # By parts: Address(addr_spec=...) and formataddr refuse a non-ASCII local part, which
    # smtplib's send_message sends with SMTPUTF8, writing the headers as UTF-8.
    username, domain = recipient(letter.to_email).rsplit("@", 1)
    message["To"] = Address(display_name=letter.to_name or "", username=username, domain=domain)
    message["Date"] = formatdate(localtime=False)
    sender_domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=sender_domain)
    message["List-Unsubscribe"] = f"<{letter.opt_out_link}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    # After the content: set_content clears every Content-* header.
    message["Content-Language"] = html_lang(locale)
    return message


def letter_title(letter: Letter) -> str:
    """The survey's title in the message's language."""
    definition = letter.definition
    locale = message_locale(letter.language, definition)
    return localized(definition["title"], locale, definition["default_language"])


def placeholder_values(letter: Letter, title: str) -> dict[str, str]:
    """What each placeholder of a wording stands for in this letter."""
    return {
        "link": letter.link,
        "survey": title,
        "programme": letter.programme,
        "term": letter.term,
        "expires_on": letter.expires_on,
        "name": letter.to_name or "",
    }


def _own_wording(
    letter: Letter, wording: Wording, title: str, context: dict
) -> tuple[str, str, str]:
    """Subject, text and HTML of a programme's own wording, the opt-out line added."""
    values = placeholder_values(letter, title)
    subject = fill(wording.subject, values)
    text = render_template("mail/own_wording.txt", body=fill(wording.body, values), **context)
    html = render_template(
        "mail/own_wording.html", paragraphs=html_paragraphs(wording.body, values), **context
    )
    return subject, text, html


def connect(settings: MailSettings) -> smtplib.SMTP:
    """An SMTP connection, with STARTTLS and login when configured."""
    smtp = smtplib.SMTP(settings.server, settings.port, timeout=30)
    if settings.use_tls:
        smtp.starttls()
    if settings.username:
        smtp.login(settings.username, settings.password or "")
    return smtp
