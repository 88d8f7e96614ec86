"""Country and language names as a respondent reads them on the intake's page, in each
interface language: CLDR's names, in the language's alphabetical order, "Prefer not to
say" first, and no place where nobody lives.

The order is checked with rules written here (first letters along each alphabet, and
neighbours picked by hand), never with the collation the application sorts by."""

from __future__ import annotations

import unicodedata

import pytest

from surveys.demographics import block_names, load_block
from surveys.demographics.code_lists import generated_codes
from surveys.demographics.crosswalks import read_lists
from surveys.survey_versions import latest_version
from tests.test_public_survey import at_the_country_question

NOT_OFFERED = {"ATA", "ATF", "BVT", "HMD", "IOT", "SGS", "UMI"}
# Countries and territories of the M49 file (250), less those nobody lives in.
OFFERED = 250 - len(NOT_OFFERED)
ARABIC_ALPHABET = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
# Forms of a letter that sort with it: alef with hamza or madda, teh marbuta, alef maqsura.
ARABIC_BASE = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"}

# Names a reader of each language expects, in the words of the issue that asked for them.
EXPECTED_COUNTRIES = {
    "en": ["Burkina Faso", "Côte d’Ivoire", "Tunisia", "United States", "Kosovo"],
    "es": ["Burkina Faso", "Côte d’Ivoire", "Túnez", "Surinam", "Estados Unidos"],
    "pt_BR": ["Costa do Marfim", "Tunísia", "Estados Unidos", "Alemanha"],
    "fr": ["Burkina Faso", "Côte d’Ivoire", "Tunisie", "États-Unis", "Allemagne"],
    "sw": ["Marekani", "Ujerumani", "Tunisia", "Afrika Kusini"],
    "ar": ["تونس", "الولايات المتحدة", "ساحل العاج", "بوركينا فاسو"],
}
EXPECTED_LANGUAGES = {
    "en": ["Arabic", "Spanish", "Swahili"],
    "es": ["Árabe", "Español", "Suajili"],
    "pt_BR": ["Árabe", "Espanhol", "Suaíli"],
    "fr": ["Arabe", "Espagnol", "Swahili"],
    "sw": ["Kiarabu", "Kihispania", "Kiswahili"],
    "ar": ["العربية", "الإسبانية", "السواحلية"],
}
# Neighbours that only a collation puts in this order: an accented letter sorts with its
# base letter, not after z as its code point would have it.
NEIGHBOURS = {
    "es": [("Baréin", "Bélgica", "Belice"), ("Trinidad y Tobago", "Túnez", "Turkmenistán")],
    "fr": [("Estonie", "États-Unis", "Éthiopie", "Fidji"), ("Égypte", "Émirats arabes unis")],
    "pt_BR": [("Austrália", "Áustria", "Azerbaijão"), ("Hungria", "Iêmen", "Índia", "Indonésia")],
    "en": [("Afghanistan", "Åland Islands", "Albania")],
}
SPANISH_LANGUAGES = [
    "Alemán", "Árabe", "Bengalí", "Chino", "Coreano", "Español", "Francés", "Hausa",
    "Hindi", "Indonesio", "Inglés", "Italiano", "Japonés", "Portugués", "Ruso", "Suajili",
    "Turco", "Urdu", "Vietnamita", "Yoruba",
]  # fmt: skip


def first_letter_rank(name: str, language: str) -> int:
    letter = next(c for c in name if c.isalpha())
    if language == "ar":
        return ARABIC_ALPHABET.index(ARABIC_BASE.get(letter, letter))
    base = unicodedata.normalize("NFKD", letter)[0].casefold()
    return ord(base) - ord("a")


def is_arabic_script(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all("ARABIC" in unicodedata.name(c) for c in letters)


def intake_page_four(runner, respondent, language: str):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    return at_the_country_question(respondent, f"/s/intake?lang={language}").page


@pytest.mark.parametrize("language", list(EXPECTED_COUNTRIES))
def test_countries_are_named_and_sorted_in_the_readers_language(app, runner, respondent, language):
    page = intake_page_four(runner, respondent, language)
    options = [(o["value"], o.get_text()) for o in page.select("select[name=country] option")]
    assert options[0][0] == ""  # "Choose…"
    assert options[1][0] == "pnts"  # then "Prefer not to say", not after 250 names
    countries = options[2:]
    codes = [code for code, _ in countries]
    names = [name for _, name in countries]
    assert len(codes) == len(set(codes)) == OFFERED
    assert not NOT_OFFERED & set(codes)
    assert set(EXPECTED_COUNTRIES[language]) <= set(names)
    ranks = [first_letter_rank(name, language) for name in names]
    assert ranks == sorted(ranks), "first letters out of alphabetical order"
    for run in NEIGHBOURS.get(language, []):
        places = [names.index(name) for name in run]
        assert places == sorted(places), run
    if language == "ar":
        assert [name for name in names if not is_arabic_script(name)] == []
        assert is_arabic_script(options[1][1])


@pytest.mark.parametrize("language", list(EXPECTED_LANGUAGES))
def test_spoken_languages_are_named_and_sorted_in_the_readers_language(
    app, runner, respondent, language
):
    page = intake_page_four(runner, respondent, language)
    boxes = page.select("#q-languages_spoken .choices li")
    values = [li.select_one("input")["value"] for li in boxes]
    labels = [li.select_one("label").get_text().strip() for li in boxes]
    assert values[0] == "pnts"
    assert values[-1] == "other"
    names = labels[1:-1]
    assert len(names) == 20
    assert set(EXPECTED_LANGUAGES[language]) <= set(names)
    # Every Arabic name starts with the article, so its letter after it sorts the list.
    ranks = [first_letter_rank(name.removeprefix("ال"), language) for name in names]
    assert ranks == sorted(ranks)
    if language == "es":
        assert names == SPANISH_LANGUAGES
    if language == "ar":
        assert all(is_arabic_script(label) for label in labels[:-1])
        assert names.index("الإسبانية") < names.index("العربية") < names.index("اليابانية")


def test_places_not_offered_stay_codes_of_the_country_list(app, runner):
    """Answers given when they were offered keep their code and their region."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    assert set(read_lists()["country"].codes) >= NOT_OFFERED
    with app.app_context():
        intake = latest_version("intake")
        assert intake is not None
        definition = intake.definition
    offered = {c["code"] for c in definition["choices"]["country"]}
    assert not NOT_OFFERED & offered
    subregions = definition["code_lists"]["country"]["hierarchy"][0]["map"]
    assert subregions["ATA"] == "m49_010" and subregions["SGS"] == "m49_419"


def test_a_survey_that_dropped_a_place_no_longer_offered_stays_valid(make_survey):
    # Programmes' own surveys may have dropped Antarctica themselves before.
    make_survey(
        """
        id: where
        version: 1
        title: Where
        pages:
          - title: Country
            questions:
              - include: demographics/country
                drop: [ATA, FRA]
        """
    )


def test_every_code_not_offered_is_a_code_of_its_list():
    blocks = {name: load_block(name) for name in block_names()}
    for name, block in blocks.items():
        for list_name, items in block["choices"].items():
            left_out = {c for item in items for c in item.get("not_offered", ())}
            generated = {c for item in items if "source" in item for c in generated_codes(item)}
            assert left_out <= generated, (name, list_name)
