"""The invitation and reminder as someone would receive them, for the admin's mail page:
built by the same `mail.compose` as every message sent, for a sample person with a sample
link, and never sent or stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from markupsafe import Markup

from i18n import SUPPORTED_LOCALES

from ..survey_versions import latest_version, survey_ids
from . import mail
from .mail_texts import Wording, html_paragraphs

# What the sample is sent "for": a follow-up, the survey most messages invite to.
SAMPLE_SURVEY = "followup-1y"
SAMPLE_LINK = "/f/sample-link-not-a-real-one"
OPEN_FOR_DAYS = 60


@dataclass(frozen=True)
class Sample:
    subject: str
    text: str
    # The HTML part's paragraphs, for a programme's own wording (the page cannot show the
    # message's own HTML, whose inline styles the Content-Security-Policy refuses).
    paragraphs: list[Markup]


def mail_languages() -> list[str]:
    """The languages a message may be written in: the interface's, then any other that a
    published survey is offered in."""
    found = list(SUPPORTED_LOCALES)
    for survey_id in survey_ids():
        version = latest_version(survey_id)
        if version is not None:
            found.extend(lang for lang in version.languages if lang not in found)
    return found


def _definition(language: str) -> dict:
    """The follow-up's definition when it is published, else a stand-in with a title."""
    version = latest_version(SAMPLE_SURVEY)
    if version is not None and language in version.languages:
        return version.definition
    with force_locale(language):
        title = _("Your follow-up survey")
    return {"title": {language: title}, "languages": [language], "default_language": language}


def sample(kind: str, language: str, programme: str, wording: Wording | None = None) -> Sample:
    """The message of this kind in this language for a sample person of `programme`."""
    config = current_app.config["PATHWAYS"]
    base = config.link_base or "https://pathways.example"
    with force_locale(language):
        expires = format_date(date.today() + timedelta(days=OPEN_FOR_DAYS - 1), format="long")
        name = _("Alex Example")
    letter = mail.Letter(
        to_name=name,
        to_email="alex@example.org",
        language=language,
        definition=_definition(language),
        programme=programme,
        term=str(date.today().year),
        link=f"{base}{SAMPLE_LINK}",
        opt_out_link=f"{base}{SAMPLE_LINK}/opt-out",
        expires_on=expires,
        reminder=kind == "reminder",
        wording=wording,
    )
    message = mail.compose(letter, config.mail)
    text_part = message.get_body(preferencelist=("plain",))
    text = text_part.get_content() if text_part is not None else ""
    paragraphs: list[Markup] = []
    if wording is not None:
        title = mail.letter_title(letter)
        paragraphs = html_paragraphs(wording.body, mail.placeholder_values(letter, title))
    return Sample(subject=str(message["Subject"]), text=text, paragraphs=paragraphs)
