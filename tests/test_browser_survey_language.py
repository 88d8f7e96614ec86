"""Calculations, cascading choices, defaults, read-only questions and piping in real
Chromium with JavaScript off, in English then Spanish (issue 17)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.test_survey_language import CONTRIBUTIONS, HISTORY

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says so: a skip, or a failure in CI
    expect = None

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser


def test_programme_history_with_javascript_off_in_english_then_spanish(
    live_server, make_survey, new_context, screenshot, responses_of
):
    make_survey(HISTORY)
    page = new_context(javascript=False).new_page()
    page.goto(f"{live_server}/s/history")
    expect(page.locator("h1")).to_have_text("About you")
    # No country yet: the filtered region is not asked.
    expect(page.locator("#q-region")).to_have_count(0)
    page.locator("#first_name").fill("Ana")
    page.locator("#birth_year").fill("1999")
    page.get_by_label("Kenya").check()
    page.get_by_role("button", name="Next").click()

    # The page comes back once with the region, its label piped and its choices filtered.
    expect(page.locator("#q-region legend")).to_contain_text("Region of Kenya")
    expect(page.locator("#q-region input")).to_have_count(2)
    screenshot(page, "history-region-nojs")
    # Switch to Spanish: what was typed stays, the piped label follows the language.
    page.get_by_role("button", name="español").click()
    expect(page.locator("#q-region legend")).to_contain_text("Región de Kenia")
    expect(page.locator("#birth_year")).to_have_value("1999")
    page.get_by_label("Mombasa").check()
    page.get_by_role("button", name="Siguiente").click()

    expect(page.locator("h1")).to_have_text("Tu programa, Ana")
    expect(page.locator("#q-thanks")).to_contain_text("Vives en Mombasa, Kenia.")
    expect(page.locator("#joined")).to_have_value(date.today().isoformat())
    expect(page.locator("#source")).to_be_disabled()
    expect(page.locator("#source")).to_have_value("public link")
    # Born in 1999: under 30 by the calculation, so this is asked.
    expect(page.locator("#q-young_mentor")).to_have_count(1)
    screenshot(page, "history-programme-nojs")
    page.locator("#projects").fill("2")
    page.get_by_role("button", name="Atrás").click()
    expect(page.locator("#q-region input:checked")).to_have_value("mombasa")
    page.get_by_role("button", name="Siguiente").click()
    expect(page.locator("#projects")).to_have_value("2")
    page.get_by_role("button", name="Enviar").click()
    expect(page.locator("h1")).to_contain_text("Gracias")

    [(locale, answers)] = responses_of("history")
    assert locale == "es"
    assert answers["age_band"] == "under_30"
    assert answers["region"] == "mombasa"
    assert answers["source"] == "public link"
    assert answers["joined"] == date.today().isoformat()
    assert answers["projects"] == 2


def test_a_repeat_with_javascript_off_in_spanish(
    live_server, make_survey, new_context, screenshot, responses_of
):
    make_survey(CONTRIBUTIONS)
    page = new_context(javascript=False, locale="es-ES").new_page()
    page.goto(f"{live_server}/s/contributions")
    page.locator("#mentors").fill("1")
    page.get_by_role("button", name="Siguiente").click()
    expect(page.locator("h1")).to_have_text("Proyectos")
    page.locator("#projects-0-project").fill("Kuma")
    page.get_by_role("button", name="Añadir otra").click()
    expect(page.locator("#q-projects .repetition")).to_have_count(2)
    expect(page.locator("#projects-0-project")).to_have_value("Kuma")
    page.locator("#projects-1-project").fill("Zulip")
    # Remove the first entry: the second moves up with what was typed in it.
    page.get_by_role("button", name="Quitar la entrada 1").click()
    expect(page.locator("#q-projects .repetition")).to_have_count(1)
    expect(page.locator("#projects-0-project")).to_have_value("Zulip")
    expect(page.locator("#q-projects-0-role legend")).to_contain_text("Tu papel en Zulip")
    page.get_by_label("Mantenedora").check()
    page.get_by_label("Sí").check()
    screenshot(page, "contributions-repeat-nojs")
    # Enter in a text box goes forward (the hidden default button), never removes.
    page.locator("#projects-0-project").press("Enter")
    # The page comes back once: the role opened the years as maintainer.
    expect(page.locator("#projects-0-maintainer_years")).to_have_count(1)
    page.locator("#projects-0-maintainer_years").fill("3")
    page.get_by_role("button", name="Enviar").click()
    expect(page.locator("h1")).to_contain_text("Gracias")

    [(locale, answers)] = responses_of("contributions")
    assert locale == "es"
    assert answers["projects"] == [
        {"project": "Zulip", "role": "maintainer", "maintainer_years": 3, "project_upper": "#Zulip"}
    ]
    assert answers["mentor_list"] == [{"mentor_helped": "yes"}]


def test_the_programme_history_example_in_chromium_english_then_spanish(
    live_server, make_survey, new_context, screenshot, responses_of
):
    from tests.test_programme_history_example import EXAMPLE

    make_survey(EXAMPLE.read_text(encoding="utf-8"), name="programme-history.yaml")
    page = new_context(javascript=False).new_page()
    page.goto(f"{live_server}/s/programme-history")
    page.locator("#first_name").fill("Amina")
    page.locator("#first_year").fill("2019")
    page.get_by_label("Latin America").check()
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#q-region legend")).to_contain_text("Which part of Latin America?")
    page.get_by_role("button", name="español").click()
    expect(page.locator("#q-region legend")).to_contain_text("¿Qué parte de América Latina?")
    page.get_by_label("América del Sur").check()
    page.get_by_role("button", name="Siguiente").click()

    expect(page.locator("h1")).to_have_text("Tus programas, Amina")
    page.locator("#how_many_mentors").fill("1")
    page.locator("#q-programmes_taken-0-programme").get_by_label("Outreachy").check()
    page.locator("#q-programmes_taken-0-outcome").get_by_label("Lo terminé").check()
    page.get_by_role("button", name="Añadir otra").click()
    expect(page.locator("#q-programmes_taken .repetition")).to_have_count(2)
    page.locator("#q-programmes_taken-1-programme").get_by_label("Mentoría LFX").check()
    page.locator("#q-programmes_taken-1-outcome").get_by_label("Me retiré").check()
    page.locator("#q-programmes_taken-0-would_recommend").get_by_label("Sí").check()
    screenshot(page, "programme-history-repeat-es-nojs")
    page.get_by_role("button", name="Siguiente").click()

    expect(page.locator("#q-mentor_notes .repetition")).to_have_count(1)
    expect(page.locator("#answered_on")).to_be_disabled()
    page.get_by_label("Mucho").check()
    page.get_by_role("button", name="Enviar").click()
    expect(page.locator("h1")).to_contain_text("Gracias")

    [(locale, answers)] = responses_of("programme-history")
    assert locale == "es"
    assert answers["region"] == "south_america"
    assert [p["programme"] for p in answers["programmes_taken"]] == ["outreachy", "lfx"]
    assert answers["programmes_taken"][0]["would_recommend"] == "yes"
    assert answers["mentor_notes"] == [{"mentor_helped": "a_lot"}]
