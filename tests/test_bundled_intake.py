"""The bundled intake as a mentee meets it: a welcome that says what must be answered, and
a term that has a year."""

from __future__ import annotations

import copy
import json
import zipfile
from datetime import UTC, date, datetime

import pytest

from exports import pipeline
from surveys.config import BUNDLED_SURVEYS_DIR
from surveys.definitions import read_definition
from surveys.extensions import db
from surveys.models import Participant, Programme, Response, Term
from surveys.survey_versions import latest_version, store_definition

# What the welcome text names, in each language, for each question one cannot skip.
NAMED = {
    "en": ("consent", "programme", "contributed to open source"),
    "es": ("consentimiento", "programa", "contribuido al código abierto"),
    "pt_BR": ("consentimento", "programa", "contribuído com código aberto"),
    "fr": ("consentement", "programme", "contributions à l’open source"),
    "sw": ("ridhaa", "mpango", "umechangia miradi ya chanzo huria"),
    "ar": ("موافقتك", "برنامجك", "مساهمتك في المشاريع مفتوحة المصدر"),
}


def required_questions() -> set[str]:
    definition, problems = read_definition(BUNDLED_SURVEYS_DIR / "intake.yaml")
    assert problems == []
    return {
        question["name"]
        for page in definition["pages"]
        for question in page["questions"]
        if question.get("required")
    }


def test_the_welcome_names_every_question_that_cannot_be_skipped():
    # When this fails, a question became required (or optional): say so in the welcome.
    assert required_questions() == {"consent", "programme", "prior_contributions"}


@pytest.mark.parametrize("language", list(NAMED))
def test_the_welcome_says_what_is_required_in_every_language(app, runner, respondent, language):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    person = respondent("intake")
    person.open(f"/s/intake?lang={language}")
    welcome = person.page.select_one("p.description").get_text()
    for words in NAMED[language]:
        assert words in welcome, words
    assert "Only the consent question" not in welcome


def test_the_term_is_asked_with_its_year(app, runner, respondent, responses_of):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    person = respondent("intake")
    person.open("/s/intake?lang=fr")
    person.post(1, {"consent": "y"})
    years = [o["value"] for o in person.page.select("select[name=term_year] option")]
    assert years[0] == ""  # "Choose…": nobody's year is chosen for them
    # When this fails, add the coming years to the intake's `term_years` (a new version).
    this_year = date.today().year
    assert {str(this_year), str(this_year + 1)} <= set(years[1:])
    assert years[1:] == sorted(years[1:])
    label = person.page.find("label", {"for": person.page.select_one("[name=term_year]")["id"]})
    assert "année" in label.get_text()
    person.post(2, {"programme": "lfx", "term_year": str(this_year), "term": "winter"})
    person.post(3, {"prior_contributions": "once"})
    person.post(4, {})
    person.post(5, {}, action="submit")
    [(locale, answers)] = responses_of("intake")
    assert locale == "fr"
    assert (answers["term_year"], answers["term"]) == (str(this_year), "winter")


def version_6_like(definition: dict) -> dict:
    """The intake as version 6 had it, where this test needs it: no year of the term,
    and Antarctica still offered."""
    older = copy.deepcopy(definition)
    older["version"] = 6
    for page in older["pages"]:
        page["questions"] = [q for q in page["questions"] if q["name"] != "term_year"]
    del older["choices"]["term_years"]
    older["choices"]["country"].insert(0, {"code": "ATA", "label": {"en": "Antarctica"}})
    return older


def test_answers_to_the_older_intake_export_beside_the_new_ones(app, runner, tmp_path):
    """Exports read every version: a term without a year and a country no longer offered
    stay readable, and the new year is a column of its own."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    with app.app_context():
        new = latest_version("intake")
        assert new is not None and new.version == 7
        old, _ = store_definition(version_6_like(new.definition))
        gsoc = Programme(code="gsoc", name="Google Summer of Code")
        term = Term(programme=gsoc, name="2025", end=date(2025, 9, 1))
        for i in range(24):
            person = Participant(
                term=term, role="mentee", status="active", status_changed_on=date(2025, 5, 1)
            )
            answers = {"consent": True, "programme": "gsoc", "term": "summer"}
            answers["country"] = "ATA" if i == 0 else "KEN"
            if i >= 12:
                answers["term_year"] = "2025"
            db.session.add(person)
            db.session.flush()
            db.session.add(
                Response(
                    survey_version_id=(old if i < 12 else new).id,
                    locale="en",
                    started_at=datetime(2025, 6, 1, tzinfo=UTC),
                    submitted_at=datetime(2025, 6, 1, 10, tzinfo=UTC),
                    answers=answers,
                    submission_key=f"key-{i}",
                    wave="intake",
                    participant_id=person.id,
                )
            )
        db.session.commit()
        with db.engine.connect() as connection:
            data, columns, _ = pipeline.load_table(connection, "intake", pipeline.Options())
    by_name = {column.name: column for column in columns}
    assert by_name["country"].codes is not None and by_name["country"].codes["ATA"] == "Antarctica"
    assert by_name["term_year"].privacy == "quasi_identifier"
    assert data["country"].astype(object).tolist().count("ATA") == 1
    assert data["term_year"].isna().sum() == 12
    assert set(data["term_year"].dropna().astype(object)) == {"2025"}

    out = tmp_path / "intake.zip"
    result = runner.invoke(args=["export", "intake", "--k", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as bundle:
        methodology = json.loads(bundle.read("methodology.json"))
        codebook = bundle.read("codebook.csv").decode()
    assert methodology["records"] + methodology["records_removed"] == 24
    assert "term_year" in methodology["quasi_identifiers"]
    assert "term_year" in codebook
