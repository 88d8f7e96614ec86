"""Calculations, cascading choices, defaults, read-only questions and answers piped into
texts, filled through the public pages as a respondent with JavaScript off (issue 17)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from sqlalchemy import func, select

from surveys.definitions.validator import check_definition
from surveys.extensions import db
from surveys.models import Draft, Response

HISTORY = """
id: history
version: 1
public: true
title: {en: Programme history, es: Historia en el programa}
default_language: en
languages: [en, es]
pages:
  - name: about
    title: {en: About you, es: Sobre ti}
    questions:
      - name: first_name
        type: text
        label: {en: Your first name, es: Tu nombre}
        privacy: identifier
      - name: birth_year
        type: integer
        label: {en: Year of birth, es: Año de nacimiento}
        required: true
        constraint: ". >= 1900 and . <= 2020"
        privacy: quasi_identifier
      - name: age_band
        type: calculate
        calculation: "if(2026 - ${birth_year} < 30, 'under_30', '30_plus')"
      - name: greeting
        type: calculate
        calculation: "concat('Hello ', ${first_name})"
      - name: band_declared
        type: calculate
        calculation: "if(${birth_year} < 1996, 'before_1996', '1996_on')"
        privacy: quasi_identifier
      - name: country
        type: select_one countries
        label: {en: Country, es: País}
        required: true
      - name: region
        type: select_one regions
        label: {en: "Region of ${country}", es: "Región de ${country}"}
        choice_filter: "country = ${country}"
        required: true
  - name: programme
    title: {en: "Your programme, ${first_name}", es: "Tu programa, ${first_name}"}
    questions:
      - name: thanks
        type: note
        label:
          en: "Thanks, ${first_name}. You live in ${region}, ${country}."
          es: "Gracias, ${first_name}. Vives en ${region}, ${country}."
      - name: joined
        type: date
        label: {en: When did you join?, es: ¿Cuándo te uniste?}
        default: today()
      - name: programme
        type: select_one programmes
        label: {en: Programme, es: Programa}
        default: gsoc
      - name: source
        type: text
        label: {en: How this survey reached you, es: Cómo te llegó esta encuesta}
        read_only: true
        default: public link
      - name: young_mentor
        type: select_one yes_no
        label: {en: "Did you mentor others before turning 30?", es: "¿Fuiste mentor antes de los 30?"}
        relevant: "${age_band} = 'under_30'"
      - name: projects
        type: integer
        label: {en: "How many projects in ${programme}?", es: "¿Cuántos proyectos en ${programme}?"}
        hint: {en: "Since ${joined}", es: "Desde ${joined}"}
choices:
  countries:
    - {code: KEN, label: {en: Kenya, es: Kenia}}
    - {code: BRA, label: {en: Brazil, es: Brasil}}
  regions:
    - {code: nairobi, label: Nairobi, filter: {country: KEN}}
    - {code: mombasa, label: Mombasa, filter: {country: KEN}}
    - {code: sao_paulo, label: São Paulo, filter: {country: BRA}}
    - {code: bahia, label: Bahia, filter: {country: BRA}}
  programmes:
    - {code: gsoc, label: "Google Summer of Code"}
    - {code: outreachy, label: "Outreachy (${first_name}'s pick?)"}
  yes_no:
    - {code: "yes", label: {en: "Yes", es: "Sí"}}
    - {code: "no", label: {en: "No", es: "No"}}
"""


@pytest.fixture
def history(make_survey):
    make_survey(HISTORY)
    return "history"


def _first_page(person, **extra):
    answers = {"first_name": "Ana", "birth_year": "2000", "country": "KEN"}
    answers.update(extra)
    return answers


def _option_values(person, name):
    return [i["value"] for i in person.page.select(f'input[name="{name}"]')]


def test_a_choice_filter_asks_once_the_filter_has_an_answer_and_offers_only_its_choices(
    history, respondent
):
    person = respondent(history)
    person.open()
    # Nothing chosen yet: a filter that leaves no choice asks nothing.
    assert "region" not in person.questions()
    response = person.post(1, _first_page(person))
    # The answer on this page opened the region: the page comes back once, with it.
    assert response.status_code == 200
    assert "region" in person.questions()
    assert _option_values(person, "region") == ["nairobi", "mombasa"]
    assert person.errors() == {}
    # Piped: the country's label, not its code.
    assert person.page.select_one("#q-region legend").get_text().startswith("Region of Kenya")


def test_a_code_the_filter_never_offered_is_tampering(history, respondent):
    person = respondent(history)
    person.open()
    person.post(1, _first_page(person))
    response = person.post(1, _first_page(person, region="sao_paulo"), follow=False)
    assert response.status_code == 400


def test_changing_the_filter_on_the_same_page_asks_again(history, respondent, responses_of):
    person = respondent(history)
    person.open()
    person.post(1, _first_page(person))
    # Kenya was shown, so Nairobi was offered; Brazil now leaves it out.
    response = person.post(1, _first_page(person, country="BRA", region="nairobi"))
    assert response.status_code == 422
    assert "choose again" in person.errors()["region"]
    assert _option_values(person, "region") == ["sao_paulo", "bahia"]
    person.post(1, _first_page(person, country="BRA", region="bahia"))
    assert "joined" in person.questions()


def test_calculations_defaults_read_only_and_piping_end_in_the_stored_answers(
    history, respondent, responses_of
):
    person = respondent(history)
    person.open()
    person.post(1, _first_page(person, first_name="<b>Ana</b>"))
    person.post(1, _first_page(person, first_name="<b>Ana</b>", region="mombasa"))
    page = person.page
    # Piped into the page title and a note, escaped like any answer.
    assert "<b>Ana</b>" in page.select_one("h1").get_text()
    assert page.select_one("h1 b") is None
    assert "You live in Mombasa, Kenya." in page.select_one("#q-thanks").get_text()
    # Defaults shown: today's date, the programme ticked; the read-only answer disabled.
    assert page.select_one('input[name="joined"]')["value"] == date.today().isoformat()
    assert page.select_one('input[name="programme"][value="gsoc"]').has_attr("checked")
    source = page.select_one('input[name="source"]')
    assert source.has_attr("disabled") and source["value"] == "public link"
    # A calculation feeds relevance: born in 2000, under 30.
    assert "young_mentor" in person.questions()
    # Choice labels and hints piped too.
    assert "Outreachy (<b>Ana</b>'s pick?)" in page.get_text()
    assert "How many projects in Google Summer of Code?" in page.get_text()

    # As a browser posts the page: the defaults as shown, the read-only answer not at all.
    shown = {"joined": date.today().isoformat(), "programme": "gsoc", "projects": "3"}
    response = person.post(2, shown, action="submit")
    assert response.status_code == 200
    ((_, answers),) = responses_of("history")
    assert answers["age_band"] == "under_30"
    assert answers["greeting"] == "Hello <b>Ana</b>"
    assert answers["joined"] == date.today().isoformat()
    assert answers["programme"] == "gsoc"
    assert answers["source"] == "public link"
    assert answers["region"] == "mombasa"
    assert "young_mentor" not in answers  # asked, not answered


def test_a_calculation_follows_a_changed_answer(history, respondent, responses_of):
    person = respondent(history)
    person.open()
    person.post(1, _first_page(person))
    person.post(1, _first_page(person, birth_year="1980", region="nairobi"))
    assert "young_mentor" not in person.questions()
    person.post(2, {"projects": "1"}, action="submit")
    ((_, answers),) = responses_of("history")
    assert answers["age_band"] == "30_plus"


def test_a_posted_read_only_answer_is_tampering_and_stores_nothing(history, respondent, app):
    person = respondent(history)
    person.open()
    person.post(1, _first_page(person))
    person.post(1, _first_page(person, region="nairobi"))
    response = person.post(2, {"source": "forged"}, follow=False)
    assert response.status_code == 400
    with app.app_context():
        (raw,) = db.session.scalars(select(Draft.raw)).all()
        assert "source" not in raw


def test_spanish_pipes_labels_of_the_spanish_page(history, respondent):
    person = respondent(history)
    person.open()
    person.post(1, _first_page(person), action="lang:es")
    person.post(1, _first_page(person))
    assert person.page.select_one("#q-region legend").get_text().startswith("Región de Kenia")
    person.post(1, _first_page(person, region="nairobi"))
    assert "Vives en Nairobi, Kenia." in person.page.select_one("#q-thanks").get_text()


def test_calculations_take_the_strictest_privacy_of_what_they_read(history, app):
    from surveys.models import SurveyVersion

    with app.app_context():
        survey = db.session.scalars(select(SurveyVersion)).one().survey
        # Declared a quasi-identifier: generalised like one, so the author may.
        assert survey.question("band_declared").privacy == "quasi_identifier"
        # Read from a number without bins, which never leaves: as strict as free text.
        assert survey.question("age_band").privacy == "free_text"
        assert survey.question("greeting").privacy == "identifier"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    region=st.lists(st.sampled_from(["nairobi", "bahia", "", "x" * 200, "other"]), max_size=3),
    country=st.lists(st.sampled_from(["KEN", "BRA", "", "ZZZ"]), max_size=2),
    source=st.one_of(st.none(), st.text(max_size=5)),
)
def test_arbitrary_posts_to_a_filtered_page_never_fail_or_store_half(
    history, respondent, app, region, country, source
):
    person = respondent(history)
    person.open()
    data = {"first_name": "Ana", "birth_year": "2000", "country": country, "region": region}
    if source is not None:
        data["source"] = source
    with app.app_context():
        responses_before = db.session.scalar(select(func.count()).select_from(Response))
    response = person.post(1, data, follow=False)
    assert response.status_code in (200, 302, 400, 422)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == responses_before
        if response.status_code == 400:
            # Nothing of a refused POST is kept.
            for raw in db.session.scalars(select(Draft.raw)):
                assert raw.get("region") in (None, [], ["nairobi"], ["bahia"], [""])


def _load(text: str):
    return YAML(typ="rt").load(text)


def _problems(question: dict) -> list[str]:
    base = _load(HISTORY)
    base["pages"][0]["questions"][2] = question
    _, problems = check_definition(base, "test.yaml")
    return [p.message for p in problems]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ({"name": "age_band", "type": "calculate"}, "needs a calculation"),
        (
            {"name": "age_band", "type": "integer", "label": "x", "calculation": "1"},
            "calculation only applies to type calculate",
        ),
        (
            {"name": "age_band", "type": "calculate", "calculation": "1", "required": True},
            "required does not apply to a calculate question",
        ),
        (
            {"name": "age_band", "type": "calculate", "calculation": "${projects} + 1"},
            "calculation refers to ${projects}, which is asked later",
        ),
        (
            {"name": "age_band", "type": "calculate", "calculation": "${nobody}"},
            "calculation refers to ${nobody}, no question",
        ),
        (
            {
                "name": "age_band",
                "type": "calculate",
                "calculation": "concat(${first_name}, '')",
                "privacy": "quasi_identifier",
            },
            "privacy quasi_identifier is laxer than what the calculation reads (identifier)",
        ),
        (
            {
                "name": "age_band",
                "type": "calculate",
                "calculation": "${birth_year} * 1",
                "privacy": "none",
            },
            "privacy none is laxer than what the calculation reads (free_text)",
        ),
        (
            {"name": "age_band", "type": "text", "label": "x", "choice_filter": "country = 'KEN'"},
            "choice_filter only applies to select_one and select_multiple",
        ),
        (
            {
                "name": "region",
                "type": "select_one regions",
                "label": "x",
                "choice_filter": "continent = ${country}",
            },
            "choice_filter reads 'continent', which no choice of the list has",
        ),
        (
            {"name": "age_band", "type": "integer", "label": "x", "relevant": "country = 'KEN'"},
            "'country' is a bare name",
        ),
        (
            {"name": "age_band", "type": "select_one countries", "label": "x", "default": "PER"},
            "default 'PER' is not a code of the question's choice list",
        ),
        ({"name": "age_band", "type": "integer", "label": "x", "default": "1.5"}, "whole number"),
        (
            {"name": "age_band", "type": "date", "label": "x", "default": "31/12/2024"},
            "is not a date written YYYY-MM-DD",
        ),
        ({"name": "age_band", "type": "consent", "label": "x", "default": "true"}, "consent"),
        (
            {"name": "age_band", "type": "text", "label": "x", "read_only": True, "required": True},
            "a read-only question cannot be required",
        ),
        (
            {"name": "age_band", "type": "text", "label": "Hello ${nobody}"},
            "label (piped) refers to ${nobody}, no question",
        ),
        (
            {"name": "age_band", "type": "text", "label": "About ${projects}"},
            "label (piped) refers to ${projects}, which is asked later",
        ),
    ],
)
def test_the_validator_names_each_misuse(question, expected):
    problems = _problems(question)
    assert any(expected in p for p in problems), problems


def test_the_history_survey_is_valid():
    definition, problems = check_definition(_load(HISTORY), "history.yaml")
    assert problems == []
    assert definition is not None
    regions = definition["choices"]["regions"]
    assert regions[0]["filter"] == {"country": "KEN"}
    age_band = definition["pages"][0]["questions"][2]
    assert age_band["privacy"] == "free_text"
    joined = definition["pages"][1]["questions"][1]
    assert (joined["default"], joined["default_is_expression"]) == ("today()", True)


# --- repeats --------------------------------------------------------------------------

CONTRIBUTIONS = """
id: contributions
version: 1
public: true
title: {en: Contributions, es: Contribuciones}
default_language: en
languages: [en, es]
pages:
  - name: count
    title: {en: How many, es: Cuántos}
    questions:
      - name: mentors
        type: integer
        label: {en: How many mentors did you have?, es: ¿Cuántos mentores tuviste?}
        required: true
        constraint: ". >= 0 and . <= 3"
  - name: projects_page
    title: {en: Projects, es: Proyectos}
    questions:
      - name: projects
        type: repeat
        label: {en: Projects you contributed to, es: Proyectos en los que contribuiste}
        max_count: 3
        questions:
          - name: project
            type: text
            label: {en: Project, es: Proyecto}
            required: true
          - name: role
            type: select_one roles
            label: {en: "Your role in ${project}", es: "Tu papel en ${project}"}
            other: true
          - name: maintainer_years
            type: integer
            label: {en: Years as maintainer, es: Años como mantenedor}
            relevant: "${role} = 'maintainer'"
          - name: project_upper
            type: calculate
            calculation: "concat('#', ${project})"
      - name: mentor_list
        type: repeat
        label: {en: Your mentors, es: Tus mentores}
        repeat_count: "${mentors}"
        questions:
          - name: mentor_helped
            type: select_one yes_no
            label: {en: Did this mentor help?, es: ¿Te ayudó?}
            required: true
choices:
  roles:
    - {code: coder, label: {en: Coder, es: Programadora}}
    - {code: maintainer, label: {en: Maintainer, es: Mantenedora}}
  yes_no:
    - {code: "yes", label: {en: "Yes", es: "Sí"}}
    - {code: "no", label: {en: "No", es: "No"}}
"""


@pytest.fixture
def contributions(make_survey):
    make_survey(CONTRIBUTIONS)
    return "contributions"


def test_a_repeat_adds_removes_and_stores_a_list_of_answers(
    contributions, respondent, responses_of
):
    person = respondent(contributions)
    person.open()
    person.post(1, {"mentors": "2"})
    # One empty entry to start with; the mentors' repeat has as many as the answer says.
    assert "projects-0-project" in person.questions()
    assert len(person.page.select("#q-projects .repetition")) == 1
    assert len(person.page.select("#q-mentor_list .repetition")) == 2
    assert person.page.select('button[value^="remove:mentor_list"]') == []
    # Add another keeps what was typed, unchecked.
    typed = {"projects-0-project": "Kuma", "projects-0-role": "maintainer"}
    response = person.post(2, typed, action="add:projects", follow=False)
    assert response.status_code == 302
    person.open(response.headers["Location"])
    assert person.page.select_one("#projects-0-project")["value"] == "Kuma"
    assert len(person.page.select("#q-projects .repetition")) == 2
    # The role made years as maintainer relevant: asked in that repetition only.
    assert "projects-0-maintainer_years" in person.questions()
    assert "projects-1-maintainer_years" not in person.questions()
    # Piped from the same repetition.
    assert "Your role in Kuma" in person.page.get_text()
    page = {
        **typed,
        "projects-0-maintainer_years": "4",
        "projects-1-project": "Zulip",
        "projects-1-role": "other",
        "projects-1-role_other": "Translator",
        "mentor_list-0-mentor_helped": "yes",
        "mentor_list-1-mentor_helped": "no",
    }
    # Remove the first: the second moves up, with what was typed in it.
    response = person.post(2, page, action="remove:projects:0", follow=False)
    person.open(response.headers["Location"])
    assert person.page.select_one("#projects-0-project")["value"] == "Zulip"
    assert len(person.page.select("#q-projects .repetition")) == 1
    response = person.post(
        2,
        {
            "projects-0-project": "Zulip",
            "projects-0-role": "other",
            "projects-0-role_other": "Translator",
            "mentor_list-0-mentor_helped": "yes",
            "mentor_list-1-mentor_helped": "no",
        },
        action="submit",
    )
    assert response.status_code == 200, response.text
    ((_, answers),) = responses_of("contributions")
    assert answers["projects"] == [
        {"project": "Zulip", "role": "other", "role_other": "Translator", "project_upper": "#Zulip"}
    ]
    assert answers["mentor_list"] == [{"mentor_helped": "yes"}, {"mentor_helped": "no"}]


def test_a_required_question_in_a_repetition_is_named_in_the_errors(contributions, respondent):
    person = respondent(contributions)
    person.open()
    person.post(1, {"mentors": "1"})
    response = person.post(2, {"projects-0-project": "", "mentor_list-0-mentor_helped": "yes"})
    assert response.status_code == 422
    assert "projects-0-project" in person.errors()
    assert person.page.select_one(".error-summary a[href='#q-projects-0-project']")


@pytest.mark.parametrize(
    ("data", "action"),
    [
        ({"projects-1-project": "not shown"}, "next"),  # a repetition the page did not show
        ({"mentor_list-2-mentor_helped": "yes"}, "next"),
        ({}, "remove:mentor_list:0"),  # a fixed count has no buttons
        ({}, "remove:projects:5"),
        ({}, "add:mentor_list"),
    ],
)
def test_posts_a_repeat_page_cannot_produce_are_refused(
    contributions, respondent, app, data, action
):
    person = respondent(contributions)
    person.open()
    person.post(1, {"mentors": "1"})
    with app.app_context():
        (raw_before,) = db.session.scalars(select(Draft.raw)).all()
    response = person.post(2, data, action=action, follow=False)
    assert response.status_code == 400
    with app.app_context():
        (raw_after,) = db.session.scalars(select(Draft.raw)).all()
    assert raw_after == raw_before


def test_no_more_repetitions_than_max_count(contributions, respondent):
    person = respondent(contributions)
    person.open()
    person.post(1, {"mentors": "0"})
    for _ in range(2):
        response = person.post(2, {}, action="add:projects", follow=False)
        assert response.status_code == 302
    person.open(response.headers["Location"])
    assert len(person.page.select("#q-projects .repetition")) == 3
    assert person.page.select('button[value="add:projects"]') == []
    assert person.post(2, {}, action="add:projects", follow=False).status_code == 400


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    keys=st.lists(
        st.sampled_from(
            [
                "projects-0-project",
                "projects-0-role",
                "projects-1-project",
                "projects-0-role_other",
                "mentor_list-0-mentor_helped",
                "projects",
                "projects-0-project_upper",
            ]
        ),
        max_size=4,
    ),
    value=st.sampled_from(["", "coder", "other", "yes", "x" * 600, "\x00"]),
    action=st.sampled_from(
        ["next", "add:projects", "remove:projects:0", "remove:projects:1", "back"]
    ),
)
def test_arbitrary_posts_to_a_repeat_page_never_fail_or_store_half(
    contributions, respondent, app, keys, value, action
):
    person = respondent(contributions)
    person.open()
    person.post(1, {"mentors": "1"})
    latest = select(Draft.raw).order_by(Draft.id.desc()).limit(1)
    responses = select(func.count()).select_from(Response)
    with app.app_context():
        raw_before, responses_before = db.session.scalar(latest), db.session.scalar(responses)
    response = person.post(2, {key: value for key in keys}, action=action, follow=False)
    assert response.status_code in (200, 302, 400, 422)
    with app.app_context():
        raw_after, responses_after = db.session.scalar(latest), db.session.scalar(responses)
    if response.status_code == 400:
        # Refused whole: nothing of it kept.
        assert (raw_after, responses_after) == (raw_before, responses_before)
    else:
        # Kept whole, or submitted whole: a response, and its draft gone.
        assert responses_after in (responses_before, responses_before + 1)


def test_the_validator_refuses_what_a_repeat_cannot_do():
    definition = _load(CONTRIBUTIONS)
    inner = definition["pages"][1]["questions"][0]["questions"]
    inner.append({"name": "started", "type": "date", "label": "Started"})
    inner.append(
        {
            "name": "nested",
            "type": "repeat",
            "label": "N",
            "questions": [{"name": "deep", "type": "text", "label": "D"}],
        }
    )
    definition["pages"][0]["questions"].append(
        {"name": "peek", "type": "integer", "label": "Peek", "relevant": "${project} = 'x'"}
    )
    _, problems = check_definition(definition, "c.yaml")
    messages = " | ".join(p.message for p in problems)
    assert "a quasi-identifier inside a repeat cannot be anonymised yet" in messages
    assert "a repeat cannot be inside another repeat" in messages
    assert "asked in repeat 'projects'" in messages or "asked later" in messages


def test_a_read_only_default_that_does_not_fit_never_blocks_the_page(
    make_survey, respondent, responses_of
):
    make_survey(
        """
        id: halves
        version: 1
        public: true
        title: Halves
        pages:
          - name: one
            title: One
            questions:
              - name: n
                type: integer
                label: N
          - name: two
            title: Two
            questions:
              - name: half
                type: integer
                label: Half of N
                read_only: true
                default: "${n} div 2"
        """
    )
    person = respondent("halves")
    person.open()
    person.post(1, {"n": "5"})
    assert person.page.select_one("#half")["value"] == "2.5"
    response = person.post(2, {}, action="submit")
    assert response.status_code == 200
    ((_, answers),) = responses_of("halves")
    assert answers == {"n": 5}


LATER = """
id: later
version: 1
public: true
title: Later
pages:
  - name: one
    title: One
    questions:
      - name: first_name
        type: text
        label: First name
        privacy: identifier
      - name: member
        type: select_one yes_no
        label: Member?
      - name: since
        type: integer
        label: Since which year?
        relevant: "${member} = 'yes'"
        default: 2020
        required: true
        required_message: "Please say since when, ${first_name}."
      - name: club
        type: select_one clubs
        label: Club
        appearance: dropdown
choices:
  yes_no:
    - {code: "yes", label: "Yes"}
    - {code: "no", label: "No"}
  clubs:
    - {code: a, label: "${first_name}'s club"}
    - {code: b, label: "Another club"}
"""


def test_a_question_made_relevant_later_starts_with_its_default(make_survey, respondent):
    make_survey(LATER)
    person = respondent("later")
    person.open()
    person.post(1, {"first_name": "Ana", "member": "yes"})
    # Revealed by the answer: shown with its default, not empty.
    assert person.page.select_one("#since")["value"] == "2020"
    # Its required message shows the answer too.
    response = person.post(1, {"first_name": "Ana", "member": "yes", "since": ""})
    assert response.status_code == 422
    assert person.errors()["since"] == "Please say since when, Ana."


def test_piped_choice_labels_never_enter_the_process_wide_option_cache(make_survey, respondent):
    from forms.types import _option_html

    make_survey(LATER)
    person = respondent("later")
    person.open()
    _option_html.cache_clear()
    person.post(1, {"first_name": "Secret Name", "member": "no"}, action="lang:en")
    person.open()
    assert "Secret Name's club" in person.page.select_one("#club").get_text()
    assert _option_html.cache_info().currsize == 0


def test_filtered_choices_are_remembered_by_a_digest_never_by_the_answers(history, respondent):
    from surveys.definitions import evaluation

    evaluation._FILTERED.clear()
    person = respondent(history)
    person.open()
    person.post(1, _first_page(person, country="BRA"))
    assert _option_values(person, "region") == ["sao_paulo", "bahia"]
    assert evaluation._FILTERED  # remembered ...
    assert not any("BRA" in str(key) for key in evaluation._FILTERED)  # ... not as typed
    person.post(1, _first_page(person, country="KEN", region="sao_paulo"))
    assert _option_values(person, "region") == ["nairobi", "mombasa"]


def test_a_calculation_in_a_repeat_that_would_be_a_quasi_identifier_is_left_out_instead():
    definition = _load(CONTRIBUTIONS)
    inner = definition["pages"][1]["questions"][0]["questions"]
    inner.append({"name": "when", "type": "calculate", "calculation": "today()"})
    checked, problems = check_definition(definition, "c.yaml")
    assert problems == []
    (projects,) = [q for q in checked["pages"][1]["questions"] if q["name"] == "projects"]
    assert projects["questions"][-1]["privacy"] == "free_text"
