"""Filling a survey through the public pages, as a respondent with JavaScript off."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from surveys.answering.drafts import submit
from surveys.extensions import db
from surveys.models import Draft, Response

SURVEY = """
id: club
version: 1
public: true
title: Club survey
description: A short survey.
default_language: en
languages: [en]
pages:
  - name: start
    title: Start
    questions:
      - name: consent
        type: consent
        label: I agree.
        required: true
      - name: member
        type: select_one yes_no
        label: Are you a member?
        required: true
      - name: member_years
        type: integer
        label: For how many years?
        relevant: "${member} = 'yes'"
        required: true
        constraint: ". >= 0 and . <= 60"
        constraint_message: From 0 to 60, please.
  - name: details
    title: Details
    questions:
      - name: why_not
        type: long_text
        label: Why not?
        relevant: "${member} = 'no'"
      - name: languages
        type: select_multiple langs
        label: Which languages do you speak?
        other: true
      - name: email
        type: email
        label: Your email
  - name: veterans
    title: Veterans only
    questions:
      - name: veteran_story
        type: text
        label: Tell us a story
        relevant: "${member_years} >= 10"
  - name: end
    title: End
    questions:
      - name: rating
        type: decimal
        label: Rate us from 0 to 5
        constraint: ". <= 5"
choices:
  yes_no:
    - {code: "yes", label: "Yes"}
    - {code: "no", label: "No"}
  langs:
    - {code: en, label: English}
    - {code: es, label: Spanish}
"""


@pytest.fixture
def club(make_survey):
    return make_survey(SURVEY)


@pytest.fixture
def responses(app):
    """The stored responses as (version, locale, answers), oldest first."""

    def read() -> list[tuple[int, str, dict]]:
        with app.app_context():
            return [
                (r.survey_version.version, r.locale, r.answers)
                for r in db.session.scalars(select(Response).order_by(Response.id))
            ]

    return read


@pytest.fixture
def drafts(app):
    def count() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(Draft))

    return count


def test_unknown_survey_is_a_404_page(client):
    page = client.get("/s/nope")
    assert page.status_code == 404
    assert "Page not found" in page.text
    assert "Traceback" not in page.text


def post_everywhere(person, survey_id: str) -> list:
    """Every public address of a survey, as a browser that holds a CSRF token would try."""
    token = {"csrf_token": person.csrf_token}
    return [
        person.client.get(f"/s/{survey_id}"),
        person.client.post(f"/s/{survey_id}?page=1", data={**token, "consent": "y"}),
        person.client.get(f"/s/{survey_id}/thanks"),
        person.client.post(f"/s/{survey_id}/new", data=token),
    ]


def test_a_survey_is_public_only_when_its_definition_says_so(
    club, make_survey, respondent, drafts, responses
):
    closed = SURVEY.replace("public: true\n", "").replace("id: club", "id: closed")
    make_survey(closed, name="closed.yaml")
    person = respondent("club")
    assert person.open().status_code == 200
    for answer in post_everywhere(person, "closed"):
        assert answer.status_code == 404
        assert "Page not found" in answer.text
    assert drafts() == 0 and responses() == []


@pytest.mark.parametrize("survey_id", ["followup-1y", "followup-5y", "mentor"])
def test_bundled_surveys_for_personal_links_cannot_be_answered_anonymously(
    runner, respondent, drafts, responses, survey_id
):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    person = respondent("intake")
    assert person.open().status_code == 200
    assert [a.status_code for a in post_everywhere(person, survey_id)] == [404] * 4
    assert drafts() == 0 and responses() == []


def test_a_version_that_is_no_longer_public_closes_the_drafts_begun(
    club, make_survey, respondent, drafts, responses
):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "no"})
    assert drafts() == 1
    make_survey(SURVEY.replace("public: true\n", "").replace("version: 1", "version: 2"), "v2.yaml")
    assert person.post(2, {}).status_code == 404
    assert person.client.get("/s/club?page=2").status_code == 404
    assert responses() == []


def test_first_page_renders_with_progress_and_only_relevant_questions(club, respondent):
    person = respondent("club")
    page = person.open()
    assert page.status_code == 200
    assert "Page 1 of 4" in page.text
    assert "A short survey." in page.text
    assert person.questions() == ["consent", "member"]  # member_years waits for member
    html = person.page
    assert html.find("html")["lang"] == "en"
    assert html.find("button", attrs={"value": "next"}) is not None
    assert html.find("button", attrs={"value": "back"}) is None


def test_whole_submission_with_back_next_and_relevance(club, respondent, responses, drafts):
    person = respondent("club")
    person.open()
    # Answering "yes" reveals a question on the same page: the page comes back with it.
    page = person.post(1, {"consent": "y", "member": "yes"})
    assert "member_years" in person.questions()
    assert "opened more questions" in page.text
    page = person.post(1, {"consent": "y", "member": "yes", "member_years": "12"})
    assert "Page 2 of 4" in page.text
    assert "why_not" not in person.questions()  # only for non-members

    person.post(2, {"languages": ["en", "other"], "languages_other": "Quechua"})
    assert "Page 3 of 4" in person.last.text and "veteran_story" in person.questions()
    # Back keeps what was typed, without validating it.
    person.post(3, {"veteran_story": "Long ago"}, action="back")
    assert "Page 2 of 4" in person.last.text
    checked = [i["value"] for i in person.page.select("input[name=languages][checked]")]
    assert checked == ["en", "other"]
    assert person.page.find("input", attrs={"name": "languages_other"})["value"] == "Quechua"
    person.post(2, {"languages": ["en", "other"], "languages_other": "Quechua"})
    assert person.page.find("input", attrs={"name": "veteran_story"})["value"] == "Long ago"
    person.post(3, {"veteran_story": "Long ago"})
    page = person.post(4, {"rating": "4.5"}, action="submit")
    assert page.status_code == 200 and "Thank you" in page.text

    [(version, locale, answers)] = responses()
    assert answers == {
        "consent": True,
        "member": "yes",
        "member_years": 12,
        "languages": ["en", "other"],
        "languages_other": "Quechua",
        "veteran_story": "Long ago",
        "rating": 4.5,
    }
    assert (version, locale) == (1, "en")
    assert drafts() == 0


def test_changing_an_earlier_answer_drops_answers_no_longer_asked(club, respondent, responses):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "yes"})
    person.post(1, {"consent": "y", "member": "yes", "member_years": "20"})
    person.post(2, {})
    person.post(3, {"veteran_story": "War stories"})
    # Back to the start: now not a member any more.
    person.post(4, {}, action="back")
    person.post(3, {"veteran_story": "War stories"}, action="back")
    person.post(2, {}, action="back")
    assert "Page 1 of 4" in person.last.text
    person.post(1, {"consent": "y", "member": "no", "member_years": "20"})
    assert "why_not" in person.questions()
    person.post(2, {"why_not": "Too far away"})
    # The veterans page asks nothing now and is skipped.
    assert "Page 4 of 4" in person.last.text
    person.post(4, {}, action="submit")
    [(_, _, answers)] = responses()
    assert answers == {"consent": True, "member": "no", "why_not": "Too far away"}


def test_errors_are_shown_beside_fields_and_in_a_summary_and_answers_kept(
    club, respondent, responses
):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "yes"})
    page = person.post(1, {"member": "yes", "member_years": "99"})
    assert page.status_code == 422
    assert person.errors() == {
        "consent": "Please tick the box to give your consent.",
        "member_years": "From 0 to 60, please.",
    }
    summary = person.page.select_one(".error-summary")
    assert summary is not None and "From 0 to 60, please." in summary.get_text()
    assert person.page.find("input", attrs={"name": "member_years"})["value"] == "99"
    assert person.page.find("input", attrs={"name": "member", "value": "yes"}).has_attr("checked")
    page = person.post(1, {"consent": "y", "member": "yes", "member_years": "abc"})
    assert page.status_code == 422
    assert "member_years" in person.errors()
    assert responses() == []


def test_required_question_left_empty(club, respondent):
    person = respondent("club")
    page = person.post(1, {"consent": "y"})
    assert page.status_code == 422
    assert person.errors() == {"member": "Please answer this question."}


def test_other_needs_its_text(club, respondent):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "no"})
    page = person.post(2, {"languages": ["other"]})
    assert page.status_code == 422
    assert "Please say which other answer you mean." in page.text


def test_email_and_decimal_are_checked(club, respondent, responses):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "no"})
    page = person.post(2, {"email": "not an email"})
    assert page.status_code == 422 and "name@example.org" in person.errors()["email"]
    person.post(2, {"email": "ana@example.org"})
    page = person.post(4, {"rating": "7"}, action="submit")
    assert page.status_code == 422 and "rating" in person.errors()
    assert responses() == []
    person.post(4, {"rating": "3"}, action="submit")
    assert responses()[0][2]["email"] == "ana@example.org"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-inf", "1e400", "1e16", "sNaN"])
def test_numbers_json_cannot_hold_are_refused_politely(club, respondent, responses, number):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "no"})
    person.post(2, {})
    page = person.post(4, {"rating": number}, action="submit")
    assert page.status_code == 422
    assert person.errors()["rating"] in (
        "Please enter a number.",
        "Please enter a smaller number.",
        "Not a valid decimal value.",
    )
    assert responses() == []


def test_double_submit_and_back_after_submit_store_one_response(club, respondent, responses):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "no"})
    person.post(2, {})
    first = person.post(4, {"rating": "1"}, action="submit", follow=False)
    second = person.post(4, {"rating": "2"}, action="submit", follow=False)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == "/s/club/thanks"
    # Back to an earlier page and submit again: still the same single response.
    person.open("/s/club?page=2")
    assert "Thank you" in person.last.text
    person.post(2, {"why_not": "again"})
    assert len(responses()) == 1
    assert responses()[0][2]["rating"] == 1


def test_start_again_on_a_shared_device(club, respondent, responses):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "no"})
    person.post(2, {})
    person.post(4, {}, action="submit")
    page = person.client.post(
        "/s/club/new", data={"csrf_token": person.csrf_token}, follow_redirects=True
    )
    assert "Page 1 of 4" in page.text
    person.post(1, {"consent": "y", "member": "no"})
    person.post(2, {})
    person.post(4, {}, action="submit")
    assert len(responses()) == 2


def test_pages_not_reached_cannot_be_opened(club, respondent):
    person = respondent("club")
    page = person.open("/s/club?page=3")
    assert "Page 1 of 4" in page.text
    assert person.post(3, {}, follow=False).status_code == 400


def test_a_draft_keeps_the_version_it_started_with(club, respondent, make_survey, responses):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "no"})
    make_survey(SURVEY.replace("version: 1", "version: 2"), name="v2.yaml")
    person.post(2, {})
    person.post(4, {}, action="submit")
    assert responses()[0][0] == 1
    other = respondent("club")
    other.post(1, {"consent": "y", "member": "no"})
    other.post(2, {})
    other.post(4, {}, action="submit")
    assert [version for version, _, _ in responses()] == [1, 2]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"consent": "y", "member": "yes", "admin": "1"}, "unknown field"),
        ({"consent": "y", "member": "maybe"}, "code not in the list"),
        ({"consent": "y", "member": ["yes", "no"]}, "two values for one answer"),
        ({"consent": "y", "member": "yes", "member_years": "1" * 200}, "over-long value"),
        ({"consent": "y", "member": "yes", "action": "delete"}, "unknown action"),
    ],
)
def test_tampered_posts_are_refused_and_nothing_stored(
    club, respondent, data, reason, responses, drafts
):
    person = respondent("club")
    person.open()
    form = {"csrf_token": person.csrf_token, "action": "next", **data}
    page = person.client.post("/s/club?page=1", data=form)
    assert page.status_code == 400, reason
    assert "Something is wrong with this request" in page.text
    assert drafts() == 0
    assert responses() == []


def test_tampered_codes_on_a_multiple_choice(club, respondent):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "no"})
    assert person.post(2, {"languages": ["en", "xx"]}).status_code == 400
    assert person.post(2, {"languages": ["en", "en"]}).status_code == 400
    assert person.post(2, {"languages_other": "x" * 501}).status_code == 400


def test_missing_csrf_token_is_refused(club, client, responses):
    page = client.post("/s/club?page=1", data={"consent": "y", "member": "no"})
    assert page.status_code == 400
    assert "This form has expired" in page.text
    assert responses() == []


def test_oversized_body_is_refused(club, respondent):
    person = respondent("club")
    person.open()
    page = person.client.post(
        "/s/club?page=1", data={"csrf_token": person.csrf_token, "why_not": "x" * 600_000}
    )
    assert page.status_code == 413
    assert "Too much data" in page.text


def test_bundled_intake_can_be_filled(app, runner, respondent, responses):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    person = respondent("intake")
    assert "Page 1 of 5" in person.open().text
    person.post(1, {"consent": "y"})
    person.post(
        2, {"programme": "gsoc", "term_year": "2026", "term": "summer", "project_area": ["docs"]}
    )
    person.post(3, {"prior_contributions": "never", "years_programming": "3"})
    assert "Page 4 of 5" in person.last.text
    person.post(4, {"age_range": "18-24", "gender": ["woman"], "country": "KEN"})
    assert "Page 5 of 5" in person.last.text
    page = person.post(
        5, {"qualification_earned": "ED6", "relative_income": "below"}, action="submit"
    )
    assert "Thank you" in page.text
    [(version, _, answers)] = responses()
    assert version == 7
    assert answers == {
        "consent": True,
        "programme": "gsoc",
        "term_year": "2026",
        "term": "summer",
        "project_area": ["docs"],
        "prior_contributions": "never",
        "years_programming": 3,
        "age_range": "18-24",
        "gender": ["woman"],
        "country": "KEN",
        "qualification_earned": "ED6",
        "relative_income": "below",
    }


def test_concurrent_submits_of_one_draft_store_one_response(club, app, respondent, responses):
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "no"})
    person.post(2, {})
    # A second tab of the same browser: the same session cookie, submitting at once.
    twin = app.test_client()
    twin.set_cookie("session", person.client.get_cookie("session").value)
    start = threading.Barrier(2)
    statuses = []

    def submit(client):
        start.wait()
        page = client.post(
            "/s/club?page=4", data={"csrf_token": person.csrf_token, "action": "submit"}
        )
        statuses.append((page.status_code, page.headers.get("Location")))

    threads = [threading.Thread(target=submit, args=(c,)) for c in (person.client, twin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [(302, "/s/club/thanks")] * 2
    assert len(responses()) == 1


def test_the_losing_submit_of_a_race_stores_nothing(club, app, respondent, responses):
    """Both requests read the draft before either commits: the unique key decides."""
    person = respondent("club")
    person.post(1, {"consent": "y", "member": "no"})
    with app.app_context():
        draft = db.session.scalar(select(Draft))
        # What the slower request read before the faster one committed.
        stale = Draft(
            id=draft.id,
            token_hash=draft.token_hash,
            survey_version_id=draft.survey_version_id,
            locale=draft.locale,
            started_at=draft.started_at,
        )
        submit(draft, {"member": "no"})
        db.session.commit()
    with app.app_context():
        with pytest.raises(IntegrityError):
            submit(stale, {"member": "yes"})
        db.session.rollback()
    assert [answers for _, _, answers in responses()] == [{"member": "no"}]


def test_a_required_checkbox_group_does_not_ask_the_browser_for_every_box(
    app, make_survey, respondent
):
    """On checkboxes, HTML `required` means *this* box must be ticked: a required
    multi-select is checked on the server instead, and says so next to its legend."""
    make_survey(
        """
        id: boxes
        version: 1
        public: true
        title: Boxes
        pages:
          - title: Languages
            questions:
              - name: langs
                type: select_multiple langs
                label: Languages?
                required: true
        choices:
          langs:
            - {code: en, label: English}
            - {code: es, label: Spanish}
        """
    )
    person = respondent("boxes")
    page = person.open()
    boxes = person.page.select('input[name="langs"]')
    assert len(boxes) == 2 and not any(box.has_attr("required") for box in boxes)
    assert "(required)" in page.text
    person.post(1, {}, action="submit")
    assert person.last.status_code == 422 and "langs" in person.errors()
    assert "Thank you" in person.post(1, {"langs": ["es"]}, action="submit").text


def at_the_country_question(respondent, url: str | None = None):
    """A respondent on the bundled intake's page 4, where the country drop-down is."""
    person = respondent("intake")
    person.open(url)
    person.post(1, {"consent": "y"})
    person.post(2, {"programme": "gsoc"})
    person.post(3, {"prior_contributions": "never"})
    return person


def test_a_drop_down_question_has_a_label_tied_to_it(app, runner, respondent):
    """Screen readers announce a select by its label: found by axe in Chromium."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    person = at_the_country_question(respondent)
    select = person.page.find("select", {"name": "country"})
    label = person.page.find("label", {"for": select["id"]})
    assert label is not None and label.get_text(strip=True)


def test_page_forms_are_built_once_per_content_page_and_locale(app):
    from forms.builder import build_page_form
    from surveys.config import BUNDLED_SURVEYS_DIR
    from surveys.definitions import read_definition
    from surveys.definitions.model import read_survey

    definition, _ = read_definition(BUNDLED_SURVEYS_DIR / "followup-1y.yaml")
    survey = read_survey(definition)
    with app.test_request_context("/"):
        first = build_page_form(survey, 0, "es")
        # Another model of the same content shares the forms: they are cached by content.
        assert build_page_form(read_survey(definition), 0, "es") is first
        assert build_page_form(survey, 0, "fr") is not first
        assert build_page_form(survey, 1, "es") is not first
        changed = read_survey({**definition, "title": {"en": "Another"}})
        assert build_page_form(changed, 0, "es") is not first


def test_the_country_drop_down_keeps_the_choice_and_speaks_the_language(app, runner, respondent):
    """Its options are rendered once and reused: the choice and the language must still
    be each respondent's own."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    person = at_the_country_question(respondent)
    person.post(4, {"age_range": "18-24", "country": "KEN"})
    person.post(5, {}, action="back")
    chosen = person.page.find("select", {"name": "country"}).find_all("option", selected=True)
    assert [option["value"] for option in chosen] == ["KEN"]

    other = at_the_country_question(respondent, "/s/intake?lang=fr")
    select = other.page.find("select", {"name": "country"})
    assert select.find_all("option", selected=True) == []
    assert select.find("option", {"value": "DEU"}).get_text() == "Allemagne"


HANDLE = """
id: handle
version: 1
public: true
title: Handle
pages:
  - title: One
    questions:
      - name: handle
        type: text
        label: Your handle
        constraint: "regex(., '^(a|a)*$')"
        constraint_message: The letter a only, please.
"""


def test_a_pattern_that_backtracks_is_a_message_not_a_hung_worker(
    make_survey, respondent, responses
):
    make_survey(HANDLE)
    person = respondent("handle")
    started = time.monotonic()
    page = person.post(1, {"handle": "a" * 25 + "!"}, action="submit")
    assert time.monotonic() - started < 3
    assert page.status_code == 422
    assert person.errors() == {"handle": "The letter a only, please."}
    assert responses() == []
