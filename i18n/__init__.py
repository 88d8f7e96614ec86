"""Babel wiring and the lookup of survey text in the respondent's language.

Interface strings go through Flask-Babel catalogs; survey text is data, stored per
language in the definition, and read with `localized`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from flask import Flask, g, request, session
from flask_babel import Babel
from pyuca import Collator


def localized(text_by_lang: Mapping[str, str] | None, locale: str, default: str = "en") -> str:
    """The text in `locale`, else in the survey's default language, else any; '' when none."""
    if not text_by_lang:
        return ""
    for candidate in (locale, locale.split("_")[0], default):
        if text_by_lang.get(candidate):
            return text_by_lang[candidate]
    return next(iter(text_by_lang.values()))


def collation_key(text: str) -> tuple[int, ...]:
    """Sort key of the Unicode Collation Algorithm (pyuca, with its default table, the
    DUCET that CLDR's root collation is built on): accents and case after the base
    letter (Åland near Albania, Österreich among the O), Arabic letters in their
    alphabetical order, punctuation and spaces before letters.

    No locale's tailoring: of our interface languages only Spanish has one that could
    matter (ñ as a letter after n), and no name in our lists depends on it; ICU would
    bring it, at the price of a compiled library on every machine.
    """
    return tuple(_collator().sort_key(unicodedata.normalize("NFC", text)))


@cache
def _collator() -> Collator:
    # Reading the table takes a fifth of a second: once per process, when first needed.
    return Collator()


# The interface languages Pathways ships catalogs for.
SUPPORTED_LOCALES = ("en", "es", "pt_BR", "fr", "sw", "ar")


# Every page negotiates its language and names the survey's languages: parsing the same
# few tags again on each request was a visible share of a page's server time.
@lru_cache(maxsize=512)
def _parse(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


def negotiate(preferred: Iterable[str], available: Sequence[str]) -> str | None:
    """The first of `available` that matches a `preferred` tag, exactly or by language.

    `pt-BR` matches pt_BR, and plain `pt` matches pt_BR too when it is the only Portuguese
    on offer (Babel's own aliases would send `pt` to pt_PT).
    """
    offered = [(code, _parse(code)) for code in available]
    for tag in preferred:
        wanted = _parse(tag)
        if wanted is None:
            continue
        for code, locale in offered:
            if locale and (locale.language, locale.territory) == (
                wanted.language,
                wanted.territory,
            ):
                return code
        for code, locale in offered:
            if locale and locale.language == wanted.language:
                return code
    return None


def browser_languages() -> list[str]:
    """Accept-Language tags in order of preference (Werkzeug ignores malformed parts)."""
    return [tag for tag, _quality in request.accept_languages if tag != "*"]


def choose_locale(available: Sequence[str], default: str, preferred: str | None = None) -> str:
    """The respondent's language among `available`.

    In order: `?lang=`, the choice saved in the session, the participant's preferred
    language (personal links), the browser's Accept-Language, the survey's default.
    An unknown `?lang=` is ignored quietly.
    """
    asked = request.args.get("lang", "")
    if asked in available:
        session["lang"] = asked
        return asked
    for candidate in (session.get("lang"), preferred):
        if isinstance(candidate, str) and candidate in available:
            return candidate
    return negotiate(browser_languages(), available) or default


@lru_cache(maxsize=512)
def language_name(code: str) -> str:
    """The language's name in itself: español, português (Brasil), العربية."""
    locale = _parse(code)
    # Babel has a name for every locale it parses; the code itself is the fallback.
    return (locale.get_display_name(locale) if locale else None) or code


def select_locale() -> str:
    """Babel's locale: the one a survey view chose, else the browser's among our catalogs."""
    chosen = getattr(g, "locale", None)
    if chosen:
        return chosen
    try:
        return negotiate(browser_languages(), SUPPORTED_LOCALES) or "en"
    except RuntimeError:  # outside a request, as in CLI commands
        return "en"


@lru_cache(maxsize=512)
def text_direction(locale: str) -> str:
    try:
        return Locale.parse(locale).text_direction
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"


def init_app(app: Flask, babel: Babel) -> None:
    """Bind the application's Babel (created with the other extensions) to our catalogs."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def locale_context() -> dict:
        locale = select_locale()
        return {"html_lang": html_lang(locale), "text_dir": text_direction(locale)}


def html_lang(locale: str) -> str:
    """BCP 47 form for <html lang>: pt_BR -> pt-BR."""
    return locale.replace("_", "-")


TRANSLATIONS_DIR = Path(__file__).parent / "translations"


def compile_catalogs() -> None:
    """Compile every .po catalog whose .mo is missing or older (as `pybabel compile`)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog)
