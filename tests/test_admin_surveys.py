"""Admin surveys page: the list, and upload → check → preview in each language → publish."""

from __future__ import annotations

import io
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import AuditEvent, Response, SurveyVersion
from surveys.survey_versions import latest_version
from tests.conftest import csrf_of
from tests.test_xlsform import swollen_workbook

FIXTURES = Path(__file__).parent / "fixtures" / "xlsform"
BUNDLED = Path(__file__).resolve().parents[1] / "surveys" / "bundled"

WELCOME = textwrap.dedent(
    """\
    id: welcome
    version: 2
    title: {en: Welcome survey, es: Encuesta de bienvenida}
    default_language: en
    languages: [en, es]
    pages:
      - name: about
        title: {en: About you, es: Sobre ti}
        questions:
          - name: programme
            type: select_one programmes
            label: {en: Which programme are you in?, es: ¿En qué programa estás?}
            hint: {en: Pick one.}
            required: true
          - name: hours
            type: decimal
            label: {en: How many hours a week?, es: ¿Cuántas horas por semana?}
    choices:
      programmes:
        - {code: gsoc, label: Google Summer of Code}
        - {code: outreachy, label: {en: Outreachy, es: Outreachy ES}}
    """
)


def upload(client, name: str, content: bytes, **extra):
    token = csrf_of(client.get("/admin/surveys").text)
    data = {"csrf_token": token, "definition": (io.BytesIO(content), name), **extra}
    return client.post("/admin/surveys/upload", data=data, content_type="multipart/form-data")


def hidden_fields(page_text: str) -> dict[str, str]:
    form = BeautifulSoup(page_text, "html.parser").select_one("form[action$='/publish']")
    return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}


def problems(page_text: str) -> list[str]:
    page = BeautifulSoup(page_text, "html.parser")
    return [li.get_text(" ", strip=True) for li in page.select(".problems li")]


def rows(page_text: str) -> dict[str, list[str]]:
    page = BeautifulSoup(page_text, "html.parser")
    return {
        tr.td.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in page.select("table.data tbody tr")
    }


def versions_of(app, survey_id: str) -> list[int]:
    with app.app_context():
        return db.session.scalars(
            select(SurveyVersion.version)
            .where(SurveyVersion.survey_id == survey_id)
            .order_by(SurveyVersion.version)
        ).all()


def test_the_list_shows_the_bundled_surveys_with_their_counts(app, runner, signed_in):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    with app.app_context():
        mentor = latest_version("mentor")
        mentor_version = mentor.version
        for key in ("a", "b"):
            db.session.add(
                Response(
                    survey_version_id=mentor.id,
                    locale="en",
                    started_at=datetime(2025, 1, 1, tzinfo=UTC),
                    answers={},
                    submission_key=key,
                )
            )
        db.session.commit()
    answer = signed_in("admin").get("/admin/surveys")
    assert answer.status_code == 200
    table = rows(answer.text)
    assert set(table) == {"intake", "followup-1y", "followup-5y", "mentor"}
    survey_id, _title, version, versions, languages, responses, link, see = table["mentor"]
    assert (version, versions, responses) == (str(mentor_version), "1", "2")
    assert "en 100%" in languages and "ar " in languages
    # Mentors answer through personal links only: the mentor survey has no public link.
    assert link == "personal links only"
    assert see == f"Preview version {mentor_version} Responses"
    assert table["intake"][6] == "http://localhost/s/intake"
    assert table["intake"][5] == "0"


def test_an_invalid_upload_lists_its_problems_and_stores_nothing(app, signed_in):
    broken = WELCOME.replace("type: decimal", "type: decimall")
    answer = upload(signed_in("admin"), "welcome.yaml", broken.encode())
    assert answer.status_code == 422
    found = problems(answer.text)
    assert len(found) == 1 and found[0].startswith("welcome.yaml:")
    assert "question 'hours'" in found[0] and "decimall" in found[0]
    assert "/tmp" not in answer.text  # named by the upload, not by the temporary file
    assert versions_of(app, "welcome") == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("welcome.txt", "Upload a .yaml, .yml, .xlsx or .xls file."),
        ("welcome.csv", "Upload a .yaml, .yml, .xlsx or .xls file."),
    ],
)
def test_other_kinds_of_file_are_refused(app, signed_in, name, message):
    answer = upload(signed_in("admin"), name, WELCOME.encode())
    assert answer.status_code == 422
    assert problems(answer.text) == [message]
    assert versions_of(app, "welcome") == []


def test_a_yaml_upload_previews_in_each_language_then_publishes(app, signed_in, make_survey):
    make_survey(WELCOME.replace("version: 2", "version: 1"))
    admin = signed_in("admin")
    preview = upload(admin, "welcome.yaml", WELCOME.encode())
    assert preview.status_code == 200
    page = BeautifulSoup(preview.text, "html.parser")
    assert page.select_one(".preview h2").get_text() == "Welcome survey"
    assert (
        page.select_one("#q-programme")
        .get_text(" ", strip=True)
        .startswith("Which programme are you in? (required) Pick one.")
    )
    assert "Google Summer of Code" in page.select_one("#q-programme").get_text()
    assert "The latest published version is 1." in preview.text
    # Completeness per language, and a button per other language.
    assert "es" in [b["formaction"].split("lang=")[1] for b in page.select("button[formaction]")]
    completeness = [td.get_text() for td in page.select("caption + thead + tbody td.number")]
    assert completeness == ["100%", "7/7", "71%", "5/7"]  # es misses a hint and a choice

    hidden = hidden_fields(preview.text)
    spanish = admin.post("/admin/surveys/preview?lang=es", data=hidden)
    assert spanish.status_code == 200
    page = BeautifulSoup(spanish.text, "html.parser")
    assert page.select_one(".preview")["lang"] == "es"
    assert page.select_one(".preview h2").get_text() == "Encuesta de bienvenida"
    question = page.select_one("#q-programme").get_text(" ", strip=True)
    assert "¿En qué programa estás?" in question and "Pick one." in question  # falls back
    assert "Outreachy ES" in question

    published = admin.post("/admin/surveys/publish", data=hidden_fields(spanish.text))
    assert published.status_code == 302 and published.headers["Location"] == "/admin/surveys"
    listing = admin.get("/admin/surveys").text
    assert "Published welcome version 2." in listing
    assert rows(listing)["welcome"][2:4] == ["2", "2"]
    with app.app_context():
        assert latest_version("welcome").version == 2
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "survey published")
        ).all()
        assert [e.details for e in events] == [{"survey": "welcome", "version": 2}]
        assert events[0].actor == "admin@pathways.test"


def test_a_tampered_hidden_field_is_checked_again_and_refused(app, signed_in):
    admin = signed_in("admin")
    hidden = hidden_fields(upload(admin, "welcome.yaml", WELCOME.encode()).text)
    hidden["yaml_text"] = hidden["yaml_text"].replace("languages: [en, es]", "languages: [en]")
    answer = admin.post("/admin/surveys/publish", data=hidden)
    assert answer.status_code == 422
    assert any("'es'" in p and "languages" in p for p in problems(answer.text)), problems(
        answer.text
    )
    hidden["yaml_text"] = ""
    assert admin.post("/admin/surveys/publish", data=hidden).status_code == 422
    assert versions_of(app, "welcome") == []
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "survey published")
            )
            == 0
        )


def test_the_same_version_with_other_content_is_a_conflict(app, signed_in, make_survey):
    make_survey(WELCOME)
    admin = signed_in("admin")
    changed = WELCOME.replace("How many hours a week?", "Hours a week?")
    answer = admin.post(
        "/admin/surveys/publish",
        data=hidden_fields(upload(admin, "welcome.yaml", changed.encode()).text),
    )
    assert answer.status_code == 409
    assert "raise the version" in answer.text
    with app.app_context():
        stored = latest_version("welcome")
        assert stored.version == 2 and "How many hours a week?" in str(stored.definition)


def test_the_bundled_intake_uploads_as_it_loads(app, runner, signed_in):
    """The programme rules beside SURVEYS_DIR apply to uploads too: same content, no conflict."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    admin = signed_in("admin")
    preview = upload(admin, "intake.yaml", (BUNDLED / "intake.yaml").read_bytes())
    assert preview.status_code == 200
    answer = admin.post("/admin/surveys/publish", data=hidden_fields(preview.text))
    assert answer.status_code == 302
    assert "already published with this content" in admin.get("/admin/surveys").text
    assert len(versions_of(app, "intake")) == 1


def test_an_xlsform_uploads_and_previews(app, signed_in):
    admin = signed_in("admin")
    preview = upload(admin, "group.xlsx", (FIXTURES / "group.xlsx").read_bytes())
    assert preview.status_code == 200, problems(preview.text)
    page = BeautifulSoup(preview.text, "html.parser")
    assert [h.get_text() for h in page.select(".preview h3")][1] == "2. Father"
    assert page.select_one("#q-phone_number") and page.select_one("#q-age")
    hidden = hidden_fields(preview.text)
    assert hidden["file_name"] == "group.yaml" and "phone_number" in hidden["yaml_text"]
    assert admin.post("/admin/surveys/publish", data=hidden).status_code == 302
    survey_id = hidden["yaml_text"].split("id: ", 1)[1].split()[0]
    assert versions_of(app, survey_id) == [1]


def test_an_xlsform_with_two_languages_previews_in_both(signed_in):
    admin = signed_in("admin")
    preview = upload(admin, "field-list.xlsx", (FIXTURES / "field-list.xlsx").read_bytes())
    assert preview.status_code == 200, problems(preview.text)
    assert "the group has no label" in preview.text  # the importer's warning
    chinese = admin.post("/admin/surveys/preview?lang=zh", data=hidden_fields(preview.text))
    assert chinese.status_code == 200
    assert "是" in BeautifulSoup(chinese.text, "html.parser").select_one(".preview").get_text()


def test_an_unsupported_xlsform_lists_its_problems(app, signed_in):
    form = FIXTURES / "unknown_question_type.xls"
    answer = upload(signed_in("admin"), form.name, form.read_bytes())
    assert answer.status_code == 422
    found = problems(answer.text)
    assert found and all(p.startswith("unknown_question_type.xls: ") for p in found)


@pytest.mark.parametrize("depth", [60, pytest.param(100_000, marks=pytest.mark.slow)])
def test_deeply_nested_yaml_is_one_problem_not_a_crash(app, signed_in, depth):
    nested = WELCOME + "extra: " + "[" * depth + "]" * depth + "\n"
    answer = upload(signed_in("admin"), "welcome.yaml", nested.encode())
    assert answer.status_code == 422
    assert problems(answer.text) == ["welcome.yaml: the file is nested more than 50 levels deep"]
    assert versions_of(app, "welcome") == []


def test_an_xlsform_that_unpacks_to_too_much_is_refused_before_it_is_read(signed_in, tmp_path):
    bomb = swollen_workbook(tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < 200_000
    started = time.monotonic()
    answer = upload(signed_in("admin"), "bomb.xlsx", bomb.read_bytes())
    assert time.monotonic() - started < 5
    assert answer.status_code == 422
    assert problems(answer.text) == [
        "bomb.xlsx: the workbook unpacks to more than 20 MB, the most a survey form may take"
    ]


def test_an_analyst_cannot_see_or_publish_surveys(signed_in):
    analyst = signed_in("analyst")
    assert analyst.get("/admin/surveys").status_code == 403
    token = csrf_of(analyst.get("/admin/").text)
    data = {"csrf_token": token, "yaml_text": WELCOME, "file_name": "welcome.yaml"}
    assert analyst.post("/admin/surveys/publish", data=data).status_code == 403


def test_the_preview_shows_each_repeats_questions_and_each_questions_logic(app, signed_in):
    admin = signed_in("admin")
    example = BUNDLED / "examples" / "programme-history.yaml"
    preview = upload(admin, "programme-history.yaml", example.read_bytes())
    assert preview.status_code == 200
    page = BeautifulSoup(preview.text, "html.parser")
    inner = page.select_one("#q-outcome")
    assert "in-repeat" in inner["class"]
    assert "programmes_taken" in inner.get_text()
    logic = {
        row["id"]: {
            dt.get_text(): dd.get_text()
            for dt, dd in zip(row.select("dt"), row.select("dd"), strict=True)
        }
        for row in page.select("tr[id^='q-']")
    }
    assert logic["q-region"] == {"choice_filter": "continent = ${continent}"}
    assert logic["q-years_since"]["calculation"].startswith("int(format-date(today()")
    assert logic["q-mentor_notes"]["repeat_count"] == "${how_many_mentors}"
    assert logic["q-programmes_taken"]["entries"] == "0–6"
    assert logic["q-answered_on"] == {"default": "today()", "read_only": "true"}


def test_every_published_version_can_be_previewed_and_nothing_is_stored(
    app, make_survey, signed_in
):
    make_survey(WELCOME, "v2.yaml")
    make_survey(
        WELCOME.replace("version: 2", "version: 3").replace(
            "How many hours a week?", "How many hours a month?"
        ),
        "v3.yaml",
    )
    admin = signed_in("admin")
    listing = BeautifulSoup(admin.get("/admin/surveys").text, "html.parser")
    link = listing.select_one("#survey-welcome a[href*='/versions/']")
    assert link.get_text(strip=True) == "Preview version 3"

    latest = admin.get(link["href"])
    assert latest.status_code == 200
    page = BeautifulSoup(latest.text, "html.parser")
    assert page.h1.get_text(strip=True) == "Preview: welcome version 3"
    assert "How many hours a month?" in latest.text
    assert page.select_one("form[action$='/publish']") is None  # published already
    # The other versions are a link away; the one shown is marked.
    versions = page.select_one("nav[aria-label='Versions']")
    assert versions.select_one("[aria-current]").get_text(strip=True) == "3"
    older = versions.select_one("a")
    assert older.get_text(strip=True) == "2"

    second = admin.get(older["href"])
    assert "How many hours a week?" in second.text
    assert "How many hours a month?" not in second.text
    spanish = BeautifulSoup(
        admin.get("/admin/surveys/welcome/versions/2?lang=es").text, "html.parser"
    )
    preview = spanish.select_one("section.preview")
    assert preview["lang"] == "es"
    assert "¿Cuántas horas por semana?" in preview.get_text()
    assert "Outreachy ES" in preview.get_text()

    assert admin.get("/admin/surveys/welcome/versions/9").status_code == 404
    assert admin.get("/admin/surveys/nothing/versions/1").status_code == 404
    assert versions_of(app, "welcome") == [2, 3]
    assert signed_in("analyst").get("/admin/surveys/welcome/versions/2").status_code == 403
