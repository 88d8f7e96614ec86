"""The exports page: the CLI's options as a form, the bundle as a download, the history."""

from __future__ import annotations

import zipfile
from datetime import date
from io import BytesIO

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditEvent
from tests.conftest import csrf_of
from tests.test_export_pipeline import programme_data  # noqa: F401

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
    answer = post_export(analyst, with_followups="y")
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
    answer = post_export(admin)
    assert answer.status_code == 422
    refusal = BeautifulSoup(answer.text, "html.parser").select_one(".flash.error").get_text()
    assert refusal.startswith("nothing exported:")
    row = history(admin.get("/admin/exports").text)[0]
    assert row[1:3] == ["admin@pathways.test", "intake"] and "refused" in row[5]


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
    refused = post_export(admin, l_diversity="9")
    assert refused.status_code == 422
    (reason,) = BeautifulSoup(refused.text, "html.parser").select("p.flash.error")
    assert "where l=9 was asked, so it was not released" in reason.text
    assert refused.headers["Content-Type"].startswith("text/html")
    with app.app_context():
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith("export"))
        ).all()
    assert event.action == "export refused" and "l=9" in event.details["reason"]
    released = post_export(admin, purpose="diversity")
    assert released.headers["Content-Type"] == "application/zip"
    page = BeautifulSoup(admin.get("/admin/exports").text, "html.parser")
    (row,) = page.select("#releases tbody tr")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[2:4] == ["intake", "diversity"] and "country:" in cells[5]
    assert int(cells[6]) >= 5
    options = [o["value"] for o in page.select("select[name=purpose] option")]
    assert options == ["diversity", "outcomes", "full"]
