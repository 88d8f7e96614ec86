"""Every page in the respondent's language: catalogs, language choice, direction, numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from i18n import SUPPORTED_LOCALES, TRANSLATIONS_DIR, negotiate

ROOT = Path(__file__).parents[1]

SURVEY = """
id: multi
version: 1
public: true
title: {en: Languages, pt_BR: Idiomas, ar: اللغات}
default_language: en
languages: [en, pt_BR, ar]
pages:
  - title: {en: One, pt_BR: Um, ar: واحد}
    questions:
      - name: hours
        type: decimal
        label: {en: Hours, pt_BR: Horas, ar: الساعات}
        required: true
      - name: city
        type: text
        label: {en: City, pt_BR: Cidade, ar: المدينة}
  - title: {en: Two, pt_BR: Dois, ar: اثنان}
    questions:
      - name: started
        type: date
        label: {en: Started, pt_BR: Início, ar: البداية}
"""


def catalog(locale: str):
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def test_the_template_catalog_is_not_stale(tmp_path):
    fresh = tmp_path / "messages.pot"
    # The same extraction as `make i18n`.
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "i18n/babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    with (ROOT / "i18n" / "messages.pot").open("rb") as handle:
        committed = {m.id for m in read_po(handle) if m.id}
    assert extracted == committed, "run `make i18n` and translate the new strings"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_catalog_is_complete(locale):
    with (ROOT / "i18n" / "messages.pot").open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    messages = {m.id: m for m in catalog(locale) if m.id}
    assert set(messages) == wanted, "run `make i18n`"
    untranslated = [m.id for m in messages.values() if not m.string]
    fuzzy = [m.id for m in messages.values() if m.fuzzy]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("pt-BR,pt;q=0.9,en;q=0.8", "pt_BR"),
        ("pt", "pt_BR"),
        ("ar-EG", "ar"),
        ("de-DE,de;q=0.9", None),
        ("fr;q=0.5, en;q=0.9", "en"),
        ("", None),
        (";;;,q=zz,*", None),
    ],
)
def test_negotiation(header, expected, app):
    with app.test_request_context(headers={"Accept-Language": header}):
        from i18n import browser_languages

        assert negotiate(browser_languages(), ["en", "pt_BR", "ar"]) == expected


@pytest.fixture
def multi(make_survey):
    return make_survey(SURVEY)


def html_of(page):
    from bs4 import BeautifulSoup

    return BeautifulSoup(page.text, "html.parser")


def test_the_browser_language_is_used_without_doing_anything(multi, client):
    page = client.get("/s/multi", headers={"Accept-Language": "pt-BR,pt;q=0.9"})
    html = html_of(page).find("html")
    assert (html["lang"], html["dir"]) == ("pt-BR", "ltr")
    assert "Página 1 de 2" in page.text and "Horas" in page.text


def test_arabic_is_right_to_left(multi, client):
    page = client.get("/s/multi?lang=ar")
    html = html_of(page).find("html")
    assert (html["lang"], html["dir"]) == ("ar", "rtl")
    assert "الساعات" in page.text


def test_lang_parameter_wins_and_is_remembered(multi, client):
    client.get("/s/multi?lang=ar", headers={"Accept-Language": "pt-BR"})
    page = client.get("/s/multi", headers={"Accept-Language": "pt-BR"})
    assert html_of(page).find("html")["lang"] == "ar"


def test_unknown_lang_and_malformed_header_fall_back_quietly(multi, client):
    page = client.get("/s/multi?lang=xx_YY", headers={"Accept-Language": "@@@;q=abc"})
    assert page.status_code == 200
    assert html_of(page).find("html")["lang"] == "en"
    page = client.get("/s/multi?lang=de")  # a real language the survey does not offer
    assert html_of(page).find("html")["lang"] == "en"


def test_only_the_surveys_languages_are_offered(multi, respondent):
    person = respondent("multi")
    person.open()
    offered = [b["value"] for b in person.page.select("nav.languages button")]
    assert offered == ["lang:pt_BR", "lang:ar"]


def test_the_switcher_keeps_answers_typed_on_the_page(multi, respondent):
    person = respondent("multi")
    person.open()
    page = person.post(1, {"hours": "", "city": "Nairobi"}, action="lang:pt_BR")
    assert html_of(page).find("html")["lang"] == "pt-BR"
    assert person.page.find("input", attrs={"name": "city"})["value"] == "Nairobi"
    assert person.errors() == {}  # switching language does not check the page


def test_a_decimal_comma_is_accepted_in_portuguese(multi, respondent, responses_of):
    person = respondent("multi")
    person.open("/s/multi?lang=pt_BR")
    person.post(1, {"hours": "1,5"})
    person.post(2, {"started": "2024-03-31"}, action="submit")
    assert responses_of("multi") == [("pt_BR", {"hours": 1.5, "started": "2024-03-31"})]


def test_a_plain_decimal_point_is_accepted_everywhere(multi, respondent, responses_of):
    person = respondent("multi")
    person.open("/s/multi?lang=pt_BR")
    person.post(1, {"hours": "2.5"})
    person.post(2, {}, action="submit")
    assert responses_of("multi")[0][1]["hours"] == 2.5


def test_validation_messages_are_in_the_respondents_language(multi, respondent):
    person = respondent("multi")
    person.open("/s/multi?lang=pt_BR")
    person.post(1, {"hours": ""})
    english = "Please answer this question."
    message = person.errors()["hours"]
    assert message and message != english
    person.post(1, {"hours": "muito"})
    assert person.errors()["hours"] != "Please enter a number, like 2.5."


def test_error_pages_follow_the_browser(client):
    page = client.get("/s/nothing", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert page.status_code == 404
    assert html_of(page).find("html")["lang"] == "fr"
    assert "Page not found" not in page.text


@pytest.fixture
def bundled(runner):
    result = runner.invoke(args=["surveys", "load"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("locale", "lang", "direction", "next_button"),
    [
        ("en", "en", "ltr", "Next"),
        ("es", "es", "ltr", "Siguiente"),
        ("pt_BR", "pt-BR", "ltr", "Próximo"),
        ("fr", "fr", "ltr", "Suivant"),
        ("sw", "sw", "ltr", "Endelea"),
        ("ar", "ar", "rtl", None),
    ],
)
def test_the_intake_renders_in_every_language(
    bundled, client, locale, lang, direction, next_button
):
    page = client.get(f"/s/intake?lang={locale}")
    html = html_of(page)
    assert (html.find("html")["lang"], html.find("html")["dir"]) == (lang, direction)
    button = html.find("button", attrs={"value": "next"}).get_text()
    if next_button:
        assert button == next_button
    if locale != "en":
        assert "Before we start" not in page.text  # the page title is translated too
        assert button != "Next"


def fill_intake(person, locale: str) -> None:
    person.open(f"/s/intake?lang={locale}")
    person.post(1, {"consent": "y"})
    person.post(2, {"programme": "outreachy"})
    person.post(3, {"prior_contributions": "once", "years_programming": "2"})
    person.post(4, {"age_range": "25-29", "country": "BRA" if locale == "pt_BR" else "EGY"})
    person.post(5, {"relative_income": "average"}, action="submit")


@pytest.mark.parametrize("locale", ["ar", "pt_BR"])
def test_an_intake_submission_end_to_end(bundled, respondent, responses_of, locale):
    person = respondent("intake")
    fill_intake(person, locale)
    assert person.last.request.path == "/s/intake/thanks"
    assert html_of(person.last).find("html")["lang"] == locale.replace("_", "-")
    [(stored_locale, answers)] = responses_of("intake")
    assert stored_locale == locale
    assert answers["programme"] == "outreachy" and answers["relative_income"] == "average"


def test_a_portuguese_browser_sees_the_intake_in_portuguese(bundled, client):
    page = client.get("/s/intake", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})
    assert html_of(page).find("html")["lang"] == "pt-BR"
    assert "Antes de começar" in page.text and "Página 1 de 5" in page.text
