"""The exports page: the CLI's options as a form, the bundle as a download, the history."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from io import BytesIO

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from exports import refusals
from exports.purposes import read as read_purposes
from surveys.extensions import db
from surveys.models import AuditEvent, Programme, Term
from tests.conftest import csrf_of
from tests.test_export_pipeline import one_mentee_answered, programme_data  # noqa: F401

GOOD = {
    "survey": "intake",
    "purpose": "full",
    "format": "csv",
    "k": "5",
    "max_suppression": "0.05",
    "programme": "",
    "term": "",
}


def post_export(client, **changes):
    token = csrf_of(client.get("/admin/exports").text)
    return client.post("/admin/exports", data={**GOOD, **changes, "csrf_token": token})


def export_job(client, **changes):
    """Start an export from the form; return its job's page (in tests the job runs inside
    the request that starts it, so the page shows how it ended)."""
    answer = post_export(client, **changes)
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["Location"].startswith("/admin/jobs/")
    return client.get(answer.headers["Location"])


def download(client, job_page):
    """The bundle behind the job page's download link."""
    link = BeautifulSoup(job_page.text, "html.parser").select_one("a#download")
    assert link is not None, job_page.text[:2000]
    answer = client.get(link["href"])
    answer.get_data()  # read whole, and the file closed: it is served from the disk
    answer.close()
    return answer


def refusal_on(page) -> str:
    return BeautifulSoup(page.text, "html.parser").select_one(".flash.error").get_text()


def history(page_text: str) -> list[list[str]]:
    soup = BeautifulSoup(page_text, "html.parser")
    return [
        [cell.get_text(" ", strip=True) for cell in row.select("td")]
        for row in soup.select("table#history tbody tr")
    ]


def test_an_analyst_downloads_a_csv_bundle_and_it_shows_in_the_history(
    programme_data,  # noqa: F811
    signed_in,
):
    analyst = signed_in("analyst")
    job_page = export_job(analyst, with_followups="y")
    assert job_page.status_code == 200
    state = BeautifulSoup(job_page.text, "html.parser").select_one("#job-state")
    assert state["data-state"] == "done" and state.get_text(strip=True) == "Done"
    answer = download(analyst, job_page)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.mimetype == "application/zip"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"intake-{date.today().isoformat()}.zip" in disposition
    names = zipfile.ZipFile(BytesIO(answer.data)).namelist()
    assert "data.csv" in names and "methodology.json" in names

    rows = history(analyst.get("/admin/exports").text)
    assert len(rows) == 1
    when, who, survey, options, k, k_achieved, records = rows[0]
    assert (who, survey, k) == ("analyst@pathways.test", "intake", "5")
    assert "csv" in options and "with follow-ups" in options
    assert int(k_achieved) >= 5 and int(records) > 70


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"k": "1"}, "Number must be between 2 and 1000."),
        ({"k": "9" * 400}, "Number must be between 2 and 1000."),
        ({"l_diversity": "9" * 400}, "Number must be between 2 and 1000."),
        ({"k": "x"}, "Not a valid integer value."),
        ({"max_suppression": "2"}, "Number must be between 0 and 0.5."),
        ({"max_suppression": "nan"}, "Number must be between 0 and 0.5."),
        ({"max_suppression": "lots"}, "Not a valid float value."),
        ({"k": ""}, "This field is required."),
        ({"format": "exe"}, "Not a valid choice."),
        ({"survey": "nope"}, "Not a valid choice."),
        ({"purpose": "nope"}, "Not a valid choice."),
        ({"programme": "nope"}, "Not a valid choice."),
        ({"term": "1999"}, "Not a valid choice."),
    ],
)
def test_bad_options_show_the_form_again(runner, signed_in, changes, message):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    answer = post_export(signed_in("analyst"), **changes)
    assert answer.status_code == 422
    errors = BeautifulSoup(answer.text, "html.parser").select(".has-error .error")
    assert [e.get_text() for e in errors] == [message]


def test_too_few_people_is_refused_with_the_reason(runner, signed_in):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    admin = signed_in("admin")
    refusal = refusal_on(export_job(admin))
    assert refusal == (
        "Nothing exported: there are only 0 people, and k=5 needs at least 5, "
        "so no generalisation can protect them."
    )
    row = history(admin.get("/admin/exports").text)[0]
    assert row[1:3] == ["admin@pathways.test", "intake"] and "refused" in row[5]
    # The history words it in its reader's language too, not in the audit log's English.
    french = history(admin.get("/admin/exports", headers={"Accept-Language": "fr"}).text)[0]
    assert "Rien n’a été exporté : il n’y a que 0 personne, et k=5" in french[5], french[5]


def test_without_surveys_the_page_says_so(signed_in):
    page = signed_in("analyst").get("/admin/exports")
    assert page.status_code == 200 and "No survey is loaded yet." in page.text


@pytest.mark.slow
def test_a_release_the_file_cannot_back_is_refused_with_the_reason_and_registered_otherwise(
    app, runner, signed_in
):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    assert runner.invoke(args=["dev", "synth", "--responses", "300"]).exit_code == 0
    admin = signed_in("admin")
    refused = export_job(admin, l_diversity="9")
    (reason,) = BeautifulSoup(refused.text, "html.parser").select("p.flash.error")
    assert not BeautifulSoup(refused.text, "html.parser").select("a#download")
    assert "where l=9 was asked, so it was not released" in reason.text
    assert refused.headers["Content-Type"].startswith("text/html")
    with app.app_context():
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith("export"))
        ).all()
    assert event.action == "export refused" and "l=9" in event.details["reason"]
    released = download(admin, export_job(admin, purpose="diversity"))
    assert released.headers["Content-Type"] == "application/zip"
    page = BeautifulSoup(admin.get("/admin/exports").text, "html.parser")
    (row,) = page.select("#releases tbody tr")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[2:4] == ["intake", "diversity"] and "country:" in cells[5]
    assert int(cells[6]) >= 5
    options = [o["value"] for o in page.select("select[name=purpose] option")]
    assert options == ["diversity", "outcomes", "full"]


def select_of(page_text: str, name: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(the values selected, every option as (value, label)) of a form's select."""
    select = BeautifulSoup(page_text, "html.parser").select_one(f"select[name={name}]")
    assert select is not None, f"no select named {name}"
    options = [(o["value"], o.get_text(strip=True)) for o in select.select("option")]
    return [o["value"] for o in select.select("option[selected]")], options


def add_terms(app) -> None:
    with app.app_context():
        gsoc = Programme(code="gsoc", name="Google Summer of Code")
        lfx = Programme(code="lfx", name="LFX Mentorship")
        db.session.add_all(
            [
                Term(programme=gsoc, name="2024", end=date(2024, 9, 1)),
                Term(programme=gsoc, name="2025", end=date(2025, 9, 1)),
                Term(programme=lfx, name="2025", end=date(2025, 8, 31)),
                Term(programme=lfx, name="Spring 2026", end=date(2026, 5, 31)),
            ]
        )
        db.session.commit()


def test_the_form_offers_the_surveys_purposes_programmes_and_terms_there_are(
    app, runner, signed_in
):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    add_terms(app)
    with app.app_context():
        db.session.add(Programme(code="omc", name="Open Mentors Club"))
        db.session.commit()
    page = signed_in("analyst").get("/admin/exports").text
    chosen, surveys = select_of(page, "survey")
    # The intake first offered, not the first by name.
    assert chosen == ["intake"]
    assert [value for value, _ in surveys] == ["followup-1y", "followup-5y", "intake", "mentor"]
    chosen, purposes = select_of(page, "purpose")
    assert chosen == ["full"] and [v for v, _ in purposes] == ["diversity", "outcomes", "full"]
    chosen, programmes = select_of(page, "programme")
    assert chosen == [""]
    # The registered programmes, and those the public intake's respondents may name.
    assert programmes == [
        ("", "All programmes"),
        ("gsod", "Google Season of Docs (gsod)"),
        ("gsoc", "Google Summer of Code (gsoc)"),
        ("lfx", "LFX Mentorship (lfx)"),
        ("omc", "Open Mentors Club (omc)"),
        ("outreachy", "Outreachy (outreachy)"),
    ]
    chosen, terms = select_of(page, "term")
    # Each name once (gsoc and lfx both have a 2025), the newest first.
    assert chosen == [""]
    assert terms == [("", "All terms"), *((t, t) for t in ["Spring 2026", "2025", "2024"])]
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.select("input[name=programme], input[name=term]")


PUBLIC = """\
id: {id}
version: 1
public: {public}
title: {id}
pages:
  - title: Only
    questions:
      - {{name: q, type: text, label: Q}}
"""


@pytest.mark.parametrize(
    ("stored", "offered"),
    [
        ({"alpha": False, "zeta": True, "omega": True}, "omega"),
        ({"alpha": False, "zeta": False}, "alpha"),
    ],
)
def test_without_an_intake_the_first_public_survey_is_offered_first(
    make_survey, signed_in, stored, offered
):
    for survey_id, public in stored.items():
        make_survey(
            PUBLIC.format(id=survey_id, public=str(public).lower()), name=f"{survey_id}.yaml"
        )
    chosen, _ = select_of(signed_in("analyst").get("/admin/exports").text, "survey")
    assert chosen == [offered]


def test_a_choice_from_outside_the_lists_is_refused_in_the_readers_language(app, runner, signed_in):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    add_terms(app)
    analyst = signed_in("analyst")
    token = csrf_of(analyst.get("/admin/exports").text)
    answer = analyst.post(
        "/admin/exports",
        data={**GOOD, "programme": "gsoc-typo", "term": "2025", "csrf_token": token},
        headers={"Accept-Language": "fr-FR,fr;q=0.9"},
    )
    assert answer.status_code == 422
    soup = BeautifulSoup(answer.text, "html.parser")
    errors = [
        (e.find_parent("div").select_one("select")["name"], e.get_text())
        for e in soup.select(".has-error .error")
    ]
    assert errors == [("programme", "N'est pas un choix valide.")]
    # What was chosen stays chosen.
    assert select_of(answer.text, "term")[0] == ["2025"]


def test_one_person_is_one_person_in_the_refusal(app, runner, signed_in):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    one_mentee_answered(app)
    admin = signed_in("admin")
    refusal = refusal_on(export_job(admin))
    assert refusal == (
        "Nothing exported: there is only 1 person, and k=5 needs at least 5, "
        "so no generalisation can protect them."
    )
    row = history(admin.get("/admin/exports").text)[0]
    assert row[5] == "refused: " + refusal


def test_a_programme_and_term_chosen_narrow_the_release(programme_data, signed_in):  # noqa: F811
    analyst = signed_in("analyst")
    answer = download(analyst, export_job(analyst, programme="gsoc", term="2025"))
    assert answer.mimetype == "application/zip", answer.text[:500]
    with zipfile.ZipFile(BytesIO(answer.data)) as bundle:
        methodology = json.loads(bundle.read("methodology.json"))
    assert (methodology["programme"], methodology["term"]) == ("gsoc", "2025")
    (row,) = history(analyst.get("/admin/exports").text)
    assert "programme gsoc, term 2025" in row[3]


@pytest.mark.parametrize(
    ("reason", "values", "one", "two"),
    [
        (
            refusals.SUBSET_SPLIT,
            {},
            "Nothing exported: the only person of the programme or term selected shares a "
            "group of the survey's release with people outside it, so they cannot be "
            "released apart.",
            "Nothing exported: each of the 2 people of the programme or term selected shares "
            "a group of the survey's release with people outside it, so none can be released "
            "apart.",
        ),
        (
            refusals.GROUP_UNDER_K,
            {"k": 5},
            "Nothing exported: the written file has a group of only 1 person where k=5 was "
            "promised, so it was not released.",
            "Nothing exported: the written file has a group of only 2 people where k=5 was "
            "promised, so it was not released.",
        ),
        (
            refusals.TOO_MUCH_SUPPRESSION,
            {"k": 5, "suppressed": 1, "max_suppression": 0.05},
            "Nothing exported: k=5 would suppress the demographics of 1 of 1 person (100%), "
            "more than the largest share allowed (5%).",
            "Nothing exported: k=5 would suppress the demographics of 1 of 2 people (50%), "
            "more than the largest share allowed (5%).",
        ),
    ],
)
def test_refusals_say_person_or_people_as_their_number_asks(app, reason, values, one, two):
    """The refusals a small page test cannot bring about, worded from their data."""
    from surveys.exporting.wording import refusal_text

    with app.test_request_context("/admin/exports"):
        assert refusal_text(reason, {"people": 1, **values}) == one
        assert refusal_text(reason, {"people": 2, **values}) == two


def test_too_few_distinct_answers_are_counted_in_words(app):
    from surveys.exporting.wording import refusal_text

    with app.test_request_context("/admin/exports"):
        texts = [
            refusal_text(refusals.TOO_FEW_ANSWERS, {"question": "income", "distinct": n, "l": 3})
            for n in (1, 2)
        ]
    assert texts == [
        "Nothing exported: in the written file, some group's answers to income take only "
        "1 value where l=3 was asked, so it was not released.",
        "Nothing exported: in the written file, some group's answers to income take only "
        "2 different values where l=3 was asked, so it was not released.",
    ]


@pytest.mark.parametrize(
    ("language", "full_title"),
    [
        ("en", "Every answer that can be released safely"),
        ("es-ES,es;q=0.9", "Todas las respuestas que pueden publicarse sin riesgo"),
        ("pt-BR", "Todas as respostas que podem ser divulgadas com segurança"),
        ("ar", "كل إجابة يمكن نشرها بأمان"),
    ],
)
def test_the_purposes_are_titled_in_the_readers_language(runner, signed_in, language, full_title):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    page = signed_in("analyst").get("/admin/exports", headers={"Accept-Language": language})
    _, purposes = select_of(page.text, "purpose")
    assert dict(purposes)["full"] == full_title
    # Every purpose has its own title in that language (none fell back to English).
    if not language.startswith("en"):
        titles = [title for _, title in purposes]
        english = [p.title for p in read_purposes().values()]
        assert not set(titles) & set(english)
