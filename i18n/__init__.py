"""Babel wiring and the lookup of survey text in the respondent's language.

Interface strings go through Flask-Babel catalogs; survey text is data, stored per
language in the definition, and read with `localized`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from flask import Flask, g


def localized(text_by_lang: Mapping[str, str] | None, locale: str, default: str = "en") -> str:
    """The text in `locale`, else in the survey's default language, else any; '' when none."""
    if not text_by_lang:
        return ""
    for candidate in (locale, locale.split("_")[0], default):
        if text_by_lang.get(candidate):
            return text_by_lang[candidate]
    return next(iter(text_by_lang.values()))


def collation_key(text: str) -> str:
    """Sort key that orders accented letters with their base letter (Åland near Albania)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def select_locale() -> str:
    """The locale for this request: the one a survey view chose, else English."""
    return getattr(g, "locale", None) or "en"


def text_direction(locale: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(locale).text_direction
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"


def init_app(app: Flask) -> None:
    from pathlib import Path

    from surveys.extensions import babel

    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations")
    )
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def locale_context() -> dict:
        locale = select_locale()
        return {"html_lang": html_lang(locale), "text_dir": text_direction(locale)}


def html_lang(locale: str) -> str:
    """BCP 47 form for <html lang>: pt_BR -> pt-BR."""
    return locale.replace("_", "-")
