"""The outcomes dashboard: goals, diversity, response rates and outcomes, never a small count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup

from surveys.extensions import db
from surveys.models import Participant, Programme, Response, SurveyVersion, Term

K = 5


@pytest.fixture
def synthetic(app, runner):
    """The bundled surveys and 800 synthetic responses (seeded, so the numbers repeat)."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    result = runner.invoke(args=["dev", "synth", "--responses", "800", "--seed", "3"])
    assert result.exit_code == 0, result.output
    return app


def page(answer) -> BeautifulSoup:
    assert answer.status_code == 200, answer.text[:500]
    return BeautifulSoup(answer.text, "html.parser")


def count_tables(soup: BeautifulSoup) -> dict[str, list[list[str]]]:
    """Each count table's body as rows of cell texts (the row label first)."""
    return {
        table["data-table"]: [
            [cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
            for row in table.select("tbody tr")
        ]
        for table in soup.select("table.counts")
    }


def assert_no_small_count(tables: dict[str, list[list[str]]]) -> None:
    for name, rows in tables.items():
        for row in rows:
            for cell in row[1:]:
                # 0 describes nobody, so it is published; anything else is k or more.
                assert cell == "suppressed" or int(cell) == 0 or int(cell) >= K, (name, row)


def test_the_dashboard_shows_every_goal_to_an_analyst(synthetic, signed_in):
    soup = page(signed_in("analyst").get("/admin/dashboard"))
    goals = soup.select_one("#goals").get_text(" ", strip=True)
    assert "of a target of 150" in goals
    assert "Failed or withdrew" in goals and "target: under 5%" in goals
    assert "Last year:" in goals
    tables = count_tables(soup)
    for name in [
        "participants",
        "region",
        "gender",
        "age_range",
        "qualification_earned",
        "relative_income",
        "responses_followup-1y",
        "responses_followup-5y",
        "still_contributing",
        "occupation",
        "job_category",
    ]:
        assert tables.get(name), name
    # Labels come from the survey definitions, not codes.
    assert any(row[0] == "Sub-Saharan Africa" for row in tables["region"])
    assert any(
        row[0] == "Bachelor’s or equivalent" or "Bachelor" in row[0]
        for row in tables["qualification_earned"]
    )
    assert [row[0] for row in tables["participants"]][-1] == "Total"
    assert (
        soup.select_one("table.counts[data-table=still_contributing] thead")
        .get_text(" ", strip=True)
        .startswith("After 1 year After 5 years")
    )
    rates = soup.select_one("table.rates[data-table='responses_followup-1y-rates']")
    assert "Response rate" in rates.get_text()
    assert "%" in rates.get_text()
    # Synthetic mentors answered the mentor survey: its tables are there too.
    for name in ["mentor_mentor_again", "mentor_used_in_review", "mentor_hours"]:
        assert tables.get(name), name
    assert_no_small_count(tables)
    for image in soup.select("img.chart"):
        assert image["alt"] and image["src"].startswith("/admin/dashboard/chart/")
    assert not soup.find("script") and not soup.select("[style]")


def test_rates_appear_only_when_their_counts_do(synthetic, signed_in):
    soup = page(signed_in("analyst").get("/admin/dashboard"))
    goal_rows = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in soup.select("#goal-rates tbody tr")
    }
    participants = {row[0]: row for row in count_tables(soup)["participants"]}
    header = [
        th.get_text(strip=True)
        for th in soup.select("table[data-table=participants] th[scope=col]")
    ]
    failed, total = header.index("Failed or withdrew"), header.index("Total")
    for year, (mentees, _target, failure, _rate_target) in goal_rows.items():
        counts = participants[year]
        assert mentees == counts[total]
        if "suppressed" in (counts[failed], counts[total]):
            assert failure == "suppressed", year
        else:
            share = int(counts[failed]) / int(counts[total])
            assert failure == f"{share * 100:.1f}%"
    assert any(row[2].endswith("%") for row in goal_rows.values())


def test_a_tiny_programme_shows_only_suppressed_counts_and_draws_no_bar(app, signed_in):
    with app.app_context():
        programme = Programme(code="tiny", name="Tiny programme")
        term = Term(programme=programme, name="2024", end=date(2024, 9, 1))
        statuses = ["completed", "completed", "failed"]
        db.session.add_all(
            Participant(term=term, role="mentee", status=status, status_changed_on=term.end)
            for status in statuses
        )
        db.session.commit()
    analyst = signed_in("analyst")
    soup = page(analyst.get("/admin/dashboard?programme=tiny"))
    rows = count_tables(soup)["participants"]
    assert rows == [
        ["2024", "suppressed", "suppressed", "0", "suppressed"],
        ["Total", "suppressed", "suppressed", "0", "suppressed"],
    ]
    assert "3" not in soup.select_one("#goals").get_text()
    assert "suppressed" in soup.select_one("#goal-participants").get_text()
    assert "suppressed" in soup.select_one("#goal-failure").get_text()
    chart = analyst.get("/admin/dashboard/chart/participants.svg?programme=tiny")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert bars(chart.data) == []
    csv_answer = analyst.get("/admin/dashboard.csv?table=participants&programme=tiny")
    assert "3" not in csv_answer.text.split("\n", 1)[1].replace("2024", "")


def bars(svg: bytes) -> list[str]:
    """The positions of the bars a bar chart draws (charts name each one bar-<position>)."""
    root = ElementTree.fromstring(svg)
    return [
        g.get("id").removeprefix("bar-")
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if g.get("id", "").startswith("bar-")
    ]


def test_charts_are_svg_and_leave_out_suppressed_values(synthetic, signed_in):
    analyst = signed_in("analyst")
    soup = page(analyst.get("/admin/dashboard"))
    shown = [row for row in count_tables(soup)["participants"] if row[0] != "Total"]
    visible_totals = [str(i) for i, row in enumerate(shown) if row[-1] != "suppressed"]
    chart = analyst.get("/admin/dashboard/chart/participants.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert chart.data.lstrip().startswith(b"<?xml") and b"<svg" in chart.data
    assert bars(chart.data) == visible_totals
    for image in soup.select("img.chart"):
        answer = analyst.get(image["src"])
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml", image["src"]
    assert analyst.get("/admin/dashboard/chart/nothing.svg").status_code == 404


def test_the_csv_of_a_table_has_the_cells_of_the_page(synthetic, signed_in):
    analyst = signed_in("analyst")
    soup = page(analyst.get("/admin/dashboard?year=2023"))
    link = soup.select_one("#table-region a[download]")["href"]
    assert "year=2023" in link
    answer = analyst.get(link)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[1:] == count_tables(soup)["region"]
    assert analyst.get("/admin/dashboard.csv?table=secret").status_code == 404


def test_filters_change_the_numbers(synthetic, signed_in):
    analyst = signed_in("analyst")
    everyone = count_tables(page(analyst.get("/admin/dashboard")))
    gsoc = count_tables(page(analyst.get("/admin/dashboard?programme=gsoc")))
    one_year = count_tables(page(analyst.get("/admin/dashboard?year=2022")))
    assert everyone["participants"] != gsoc["participants"]
    assert everyone["age_range"] != gsoc["age_range"]
    # With a year chosen, breakdowns have that year's column and the total only.
    assert len(one_year["age_range"][0]) == 3
    assert one_year["age_range"] != everyone["age_range"]
    # The goals table keeps every year, so last year's figure is there to compare.
    assert one_year["participants"] == everyone["participants"]
    with analyst.application.app_context():
        term = db.session.query(Term).join(Programme).filter(Programme.code == "lfx").first()
        term_id = term.id
    one_term = count_tables(page(analyst.get(f"/admin/dashboard?term={term_id}")))
    assert [row[0] for row in one_term["participants"]] == [str(term.end.year), "Total"]


@pytest.mark.parametrize(
    "query",
    [
        "year=nineteen",
        "programme=nope",
        "term=999999",
        "term=abc",
        "year=1900",
        "programme=gsoc&term=-1",
    ],
)
def test_unknown_filters_are_ignored_with_a_notice(synthetic, signed_in, query):
    analyst = signed_in("analyst")
    soup = page(analyst.get(f"/admin/dashboard?{query}"))
    if query != "year=1900":  # a well-formed year simply has nobody in it
        assert soup.select_one(".flash.error")
    assert analyst.get(f"/admin/dashboard.csv?table=gender&{query}").status_code == 200
    assert analyst.get(f"/admin/dashboard/chart/gender.svg?{query}").status_code == 200


def test_an_empty_database_still_shows_the_page(app, signed_in):
    analyst = signed_in("analyst")
    soup = page(analyst.get("/admin/dashboard"))
    assert "No mentees yet" in soup.get_text()
    for name in ["participants", "failure", "region", "gender", "responses_followup-1y"]:
        assert analyst.get(f"/admin/dashboard/chart/{name}.svg").status_code == 200, name
    assert analyst.get("/admin/dashboard.csv?table=region").status_code == 200


def test_mentor_answers_are_counted_with_suppression(app, runner, signed_in):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    with app.app_context():
        version = db.session.query(SurveyVersion).filter_by(survey_id="mentor").one()
        term = Term(programme=Programme(code="m", name="M"), name="2024", end=date(2024, 9, 1))
        answers = ["yes"] * 7 + ["no"] * 2
        for i, again in enumerate(answers):
            mentor = Participant(
                term=term, role="mentor", status="completed", status_changed_on=term.end
            )
            db.session.add(mentor)
            db.session.flush()
            db.session.add(
                Response(
                    survey_version_id=version.id,
                    locale="en",
                    started_at=datetime(2024, 9, 2, tzinfo=UTC),
                    answers={
                        "hours_per_week": 3,
                        "mentor_again": again,
                        "skills_gained": ["teaching"],
                    },
                    submission_key=f"key-{i}",
                    wave="mentor",
                    participant_id=mentor.id,
                )
            )
        db.session.commit()
    tables = count_tables(page(signed_in("analyst").get("/admin/dashboard")))
    again = {row[0]: row[1:] for row in tables["mentor_mentor_again"]}
    # 2 "no" are hidden, and so is "yes", or 9 - 7 would give them away.
    assert again["Yes"] == ["suppressed", "suppressed"]
    assert again["No"] == ["suppressed", "suppressed"]
    assert {row[0]: row[1:] for row in tables["mentor_hours"]}["2 to 5 hours"] == ["9", "9"]
    assert_no_small_count(tables)


def test_k_comes_from_the_configuration(synthetic, signed_in):
    synthetic.config["PATHWAYS"].dashboard_k = 50
    tables = count_tables(page(signed_in("analyst").get("/admin/dashboard")))
    for rows in tables.values():
        for row in rows:
            for cell in row[1:]:
                assert cell == "suppressed" or int(cell) == 0 or int(cell) >= 50


FORMULA_LABELS = """
id: mentor
version: 1
title: Mentors
pages:
  - title: One
    questions:
      - {name: mentor_again, type: select_one again, label: Again?}
choices:
  again:
    - {code: "yes", label: '=HYPERLINK("http://evil.example","Yes")'}
    - {code: "no", label: "@SUM(1+1)"}
    - {code: maybe, label: "-2+3"}
"""


def test_dashboard_csv_cells_cannot_run_as_spreadsheet_formulas(app, make_survey, signed_in):
    # Choice labels are survey text, written by whoever uploads a definition.
    make_survey(FORMULA_LABELS)
    with app.app_context():
        programme = Programme(code="=cmd", name="=cmd|' /C calc'!A0")
        db.session.add(Term(programme=programme, name="2024", end=date(2024, 9, 1)))
        db.session.commit()
    analyst = signed_in("analyst")
    for query in ("table=mentor_mentor_again", "table=participants&programme=%3Dcmd"):
        answer = analyst.get(f"/admin/dashboard.csv?{query}")
        assert answer.status_code == 200, query
        rows = list(csv.reader(io.StringIO(answer.text)))
        cells = [cell for row in rows for cell in row]
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert "cmd" not in answer.headers["Content-Disposition"]
    labels = [row[0] for row in rows_of(analyst, "table=mentor_mentor_again")]
    assert '\'=HYPERLINK("http://evil.example","Yes")' in labels
    assert "'@SUM(1+1)" in labels and "'-2+3" in labels


def rows_of(client, query: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(f"/admin/dashboard.csv?{query}").text)))


def test_a_past_term_imported_today_counts_in_its_own_year(app, runner, signed_in, tmp_path):
    """Last year's mentees imported now: their statuses are dated in their term, and the
    dashboard counts them in the term's year, not in the year of the import."""
    rows = [f"done{i}@example.org,completed" for i in range(10)]
    rows += [f"left{i}@example.org,withdrawn" for i in range(5)]
    people = tmp_path / "2019.csv"
    people.write_text("email,status\n" + "\n".join(rows) + "\n")
    result = runner.invoke(
        args=[
            "participants",
            "import",
            str(people),
            "--programme",
            "gsoc",
            "--term",
            "2019",
            "--term-start",
            "2019-05-27",
            "--term-end",
            "2019-09-01",
        ]
    )
    assert result.exit_code == 0, result.output
    analyst = signed_in("analyst")
    soup = page(analyst.get("/admin/dashboard"))
    assert count_tables(soup)["participants"] == [
        ["2019", "10", "5", "0", "15"],
        ["Total", "10", "5", "0", "15"],
    ]
    assert "2019" in [o["value"] for o in soup.select("select[name=year] option")]
    assert (
        count_tables(page(analyst.get("/admin/dashboard?year=2019")))["participants"][0][0]
        == "2019"
    )
    admin = signed_in("admin")
    assert "completed since 2019-09-01" in admin.get("/admin/participants?q=done0").text
    assert "withdrawn since 2019-09-01" in admin.get("/admin/participants?q=left0").text
