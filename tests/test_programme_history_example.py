"""The bundled example of the grown survey language, filled to the end with the test
client in English and in Spanish, as a respondent with JavaScript off (issue 17)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from surveys.definitions import read_definition

EXAMPLE = Path(__file__).parents[1] / "surveys" / "bundled" / "examples" / "programme-history.yaml"


@pytest.fixture
def example(make_survey):
    make_survey(EXAMPLE.read_text(encoding="utf-8"), name="programme-history.yaml")
    return "programme-history"


def test_the_example_is_valid_and_fully_translated():
    definition, problems = read_definition(EXAMPLE, strict=True)
    assert problems == []
    types = {q["type"] for page in definition["pages"] for q in page["questions"]}
    assert {"calculate", "repeat", "note", "date"} <= types


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            {"region": "Which part of Africa?", "outcome": "How did LFX Mentorship end for you?"},
        ),
        (
            "es",
            {"region": "¿Qué parte de África?", "outcome": "¿Cómo terminó Mentoría LFX para ti?"},
        ),
    ],
)
def test_the_example_filled_to_the_end(example, respondent, responses_of, language, words):
    person = respondent(example)
    person.open(f"/s/{example}?lang={language}")
    about = {"first_name": "Amina", "first_year": "2019", "continent": "africa"}
    if language != "en":
        person.post(1, about, action=f"lang:{language}")
    person.post(1, about)
    # The continent opened the region, its choices filtered and its label piped.
    assert words["region"] in person.page.get_text()
    regions = [i["value"] for i in person.page.select('input[name="region"]')]
    assert regions == ["east_africa", "west_africa", "other_africa"]
    # The required message shows the name.
    response = person.post(1, {**about, "first_year": "", "region": "east_africa"})
    assert response.status_code == 422
    assert "Amina" in person.errors()["first_year"]
    person.post(1, {**about, "region": "east_africa"})

    # Page 2: the default of how many mentors, one programme entry to start with.
    assert person.page.select_one("#how_many_mentors")["value"] == "1"
    entry = {"how_many_mentors": "2", "programmes_taken-0-programme": "lfx"}
    entry["programmes_taken-0-outcome"] = "completed"
    person.post(2, entry, action="add:programmes_taken")
    person.open(f"/s/{example}?page=2")
    assert words["outcome"] in person.page.get_text()
    assert len(person.page.select("#q-programmes_taken .repetition")) == 2
    second = {
        **entry,
        "programmes_taken-1-programme": "other",
        "programmes_taken-1-programme_other": "Hacktoberfest",
        "programmes_taken-1-outcome": "withdrew",
    }
    # Completed LFX (saved with Add another): asked whether they would recommend it,
    # in that entry only.
    assert "programmes_taken-0-would_recommend" in person.questions()
    assert "programmes_taken-1-would_recommend" not in person.questions()
    person.post(2, {**second, "programmes_taken-0-would_recommend": "yes"})

    # Page 3: as many mentor entries as mentors; the read-only date; the piped note.
    assert len(person.page.select("#q-mentor_notes .repetition")) == 2
    assert person.page.select_one("#answered_on").has_attr("disabled")
    years = date.today().year - 2019
    assert f"{years}" in person.page.select_one("#q-thanks").get_text()
    done = person.post(
        3,
        {"mentor_notes-0-mentor_helped": "a_lot", "mentor_notes-1-mentor_helped": "some"},
        action="submit",
    )
    assert done.status_code == 200

    [(locale, answers)] = responses_of(example)
    assert locale == language
    assert answers["years_since"] == years
    assert answers["region"] == "east_africa"
    assert answers["answered_on"] == date.today().isoformat()
    assert answers["programmes_taken"] == [
        {
            "programme": "lfx",
            "outcome": "completed",
            "would_recommend": "yes",
            # Calculated in the survey's default language, whatever the page's.
            "programme_summary": "LFX Mentorship: completed",
        },
        {
            "programme": "other",
            "programme_other": "Hacktoberfest",
            "outcome": "withdrew",
            "programme_summary": "other: withdrew",
        },
    ]
    assert answers["mentor_notes"] == [{"mentor_helped": "a_lot"}, {"mentor_helped": "some"}]
