"""The bundled follow-ups (1 and 5 years) carry the outcome fields, and behave as asked:
still contributing (same project / other projects / no), how often, occupation and job,
whether the mentorship helped, recommending the programme, mentoring now."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from ruamel.yaml import YAML

from surveys.config import BUNDLED_SURVEYS_DIR
from surveys.definitions import read_definition
from surveys.demographics import block_names, load_block
from surveys.demographics.blocks import FOLLOWUP
from surveys.extensions import db
from surveys.followups.links import new_link
from surveys.models import Invitation, Participant, Programme, Term
from surveys.survey_versions import content_hash, store_definition

FOLLOWUPS = ["followup-1y", "followup-5y"]
LANGUAGES = ["en", "es", "pt_BR", "fr", "sw", "ar"]


def bundled(survey_id: str) -> dict:
    definition, problems = read_definition(BUNDLED_SURVEYS_DIR / f"{survey_id}.yaml", strict=True)
    assert problems == [], [str(p) for p in problems]
    return definition


def questions_of(definition: dict) -> dict[str, dict]:
    return {q["name"]: q for page in definition["pages"] for q in page["questions"]}


@pytest.fixture(params=FOLLOWUPS)
def followup(request, app) -> str:
    """A bundled follow-up stored as a survey version; its id."""
    with app.app_context():
        store_definition(bundled(request.param))
        db.session.commit()
    return request.param


@pytest.fixture
def start(app, respondent):
    """An alumnus opening their personal link to a follow-up: the only way to answer one."""

    def open_link(survey_id: str, lang: str | None = None):
        with app.app_context():
            programme = Programme(code="gsoc", name="Google Summer of Code")
            term = Term(programme=programme, name="2020", end=date(2020, 9, 1))
            alumnus = Participant(
                term=term, role="mentee", status="completed", status_changed_on=term.end
            )
            invitation = Invitation(
                participant=alumnus,
                survey_id=survey_id,
                wave=survey_id,
                due_on=date.today(),
                expires_on=date.today() + timedelta(days=60),
            )
            db.session.add(invitation)
            db.session.flush()
            link = f"/f/{new_link(invitation)}"
            db.session.commit()
        person = respondent(survey_id, base=link)
        person.open(link + (f"?lang={lang}" if lang else ""))
        return person

    return open_link


# --- the definitions ----------------------------------------------------------------


@pytest.mark.parametrize("survey_id", FOLLOWUPS)
def test_followups_carry_the_outcome_fields_and_no_demographics(survey_id):
    definition = bundled(survey_id)
    assert definition["version"] == 4
    assert definition["languages"] == LANGUAGES
    # Completed mentees get it one or five years after their term's end.
    schedule = definition["schedule"]
    assert (schedule["wave"], schedule["from"], schedule["after"]) == (
        survey_id,
        "term_end",
        survey_id.removeprefix("followup-"),
    )
    assert (schedule["roles"], schedule["statuses"]) == (["mentee"], ["completed"])
    questions = questions_of(definition)
    assert list(questions) == [
        "still_contributing",
        "contribution_frequency",
        "not_contributing_reasons",
        "occupation",
        "job_category",
        "mentorship_helped_job",
        "recommend",
        "mentoring_now",
        "would_mentor",
        "comments",
    ]
    still = questions["still_contributing"]
    assert (still["type"], still["list"], still["required"]) == (
        "select_multiple",
        "contribution_places",
        True,
    )
    codes = [c["code"] for c in definition["choices"]["contribution_places"]]
    assert codes == ["same_project", "other_projects", "no"]
    assert set(still["constraint_message"]) == set(LANGUAGES)
    assert (questions["mentoring_now"]["type"], questions["mentoring_now"]["list"]) == (
        "select_one",
        "yes_no",
    )

    # What people type is held back; what someone does now is on their public profile,
    # so it is a quasi-identifier (docs/exports.md, the threat model); the rest is harmless.
    privacy = {name: q["privacy"] for name, q in questions.items()}
    assert privacy.pop("comments") == "free_text"
    assert privacy.pop("occupation") == privacy.pop("job_category") == "quasi_identifier"
    assert set(privacy.values()) == {"none"}

    # Follow-ups never ask demographics again: that was the intake's job.
    demographic = {q["name"] for b in block_names() for q in load_block(b)["questions"]}
    assert not demographic & set(questions)
    assert definition["code_lists"] == {}


@pytest.mark.parametrize(
    ("survey_id", "digest"),
    [
        ("followup-1y", "94907a342f69833ed642bd36f64a33d49ba209d24e8fa7e4ee55971adde9c212"),
        ("followup-5y", "0f5b41bcd1286bca01cdd8a9c578ccb58fa41c7a544c76720befa54c29861cb4"),
    ],
)
def test_version_4_reads_as_it_was_stored(survey_id, digest):
    # Version 4 is loaded and answered: loading it again with other content is refused,
    # and its answers mean what they meant. Changing the shared outcome block (or how
    # includes expand) must come with a new version, and a new line here.
    definition = bundled(survey_id)
    assert definition["version"] == 4
    assert content_hash(definition) == digest


def test_both_waves_ask_the_same_outcome_questions_with_the_same_codes():
    # Written once (followup/outcomes) so that 1-year and 5-year answers compare.
    one, five = bundled("followup-1y"), bundled("followup-5y")
    assert one["pages"] == five["pages"]
    assert one["choices"] == five["choices"]
    outcomes = YAML(typ="safe").load((FOLLOWUP.folder / "outcomes.yaml").read_text("utf-8"))
    assert list(questions_of(one)) == [q["name"] for q in outcomes["questions"]]
    assert list(one["choices"]) == list(outcomes["choices"])
    for survey_id in FOLLOWUPS:
        text = (BUNDLED_SURVEYS_DIR / f"{survey_id}.yaml").read_text("utf-8")
        assert "choices:" not in text and "type:" not in text


# --- answering them -----------------------------------------------------------------


def test_an_alumnus_who_no_longer_contributes_is_asked_why_not_how_often(
    followup, start, responses_of
):
    person = start(followup)
    assert "Page 1 of 3" in person.last.text
    assert person.questions() == ["still_contributing"]

    page = person.post(1, {"still_contributing": "no"})
    assert page.status_code == 200 and "opened more questions" in page.text
    assert "not_contributing_reasons" in person.questions()
    assert "contribution_frequency" not in person.questions()

    person.post(
        1,
        {
            "still_contributing": "no",
            "not_contributing_reasons": ["time", "other"],
            "not_contributing_reasons_other": "Caring for my family",
        },
    )
    assert "Page 2 of 3" in person.last.text
    person.post(2, {"occupation": "student"})
    assert "Page 3 of 3" in person.last.text
    assert "would_mentor" in person.questions()
    page = person.post(
        3,
        {"recommend": "probably", "mentoring_now": "no", "would_mentor": "maybe"},
        action="submit",
    )
    assert page.status_code == 200 and "Thank you" in page.text

    [(locale, answers)] = responses_of(followup)
    assert locale == "en"
    assert answers == {
        "still_contributing": ["no"],
        "not_contributing_reasons": ["time", "other"],
        "not_contributing_reasons_other": "Caring for my family",
        "occupation": "student",
        "recommend": "probably",
        "mentoring_now": "no",
        "would_mentor": "maybe",
    }


def test_contributors_are_asked_how_often_and_mentors_not_whether_they_would(
    followup, start, responses_of
):
    person = start(followup)
    contributing = {"still_contributing": ["same_project", "other_projects"]}
    person.post(1, contributing)
    assert "contribution_frequency" in person.questions()
    assert "not_contributing_reasons" not in person.questions()
    person.post(1, {**contributing, "contribution_frequency": "monthly"})

    person.post(2, {"occupation": "employed"})
    assert {"job_category", "mentorship_helped_job"} <= set(person.questions())
    person.post(
        2,
        {
            "occupation": "employed",
            "job_category": "software_engineering",
            "mentorship_helped_job": "a_lot",
        },
    )
    assert "Page 3 of 3" in person.last.text
    # Someone who mentors now is not asked whether they would like to: a stale answer
    # sent anyway is dropped.
    page = person.post(
        3,
        {"recommend": "definitely", "mentoring_now": "yes", "would_mentor": "no"},
        action="submit",
    )
    assert page.status_code == 200 and "Thank you" in page.text

    [(_, answers)] = responses_of(followup)
    assert answers == {
        "still_contributing": ["same_project", "other_projects"],
        "contribution_frequency": "monthly",
        "occupation": "employed",
        "job_category": "software_engineering",
        "mentorship_helped_job": "a_lot",
        "recommend": "definitely",
        "mentoring_now": "yes",
    }


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Please choose “No” on its own, or one or both “Yes” answers."),
        ("es", "Elige solo “No”, o bien una o las dos respuestas con “Sí”."),
    ],
)
def test_no_cannot_be_combined_with_a_yes(followup, start, responses_of, lang, message):
    person = start(followup, lang)
    page = person.post(1, {"still_contributing": ["same_project", "no"]})
    assert page.status_code == 422
    assert person.errors() == {"still_contributing": message}
    # The answers are kept on the page to be corrected.
    checked = [i["value"] for i in person.page.select("input[name=still_contributing][checked]")]
    assert checked == ["same_project", "no"]
    assert responses_of(followup) == []


def test_still_contributing_is_required(followup, start):
    person = start(followup)
    page = person.post(1, {})
    assert page.status_code == 422
    assert list(person.errors()) == ["still_contributing"]
