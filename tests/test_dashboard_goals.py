"""The goal cards at the top of the dashboard, checked against numbers counted here
independently: plain SQL over the tables and a few lines of Python, sharing no code with
surveys.dashboard (nor with surveys.participants.returning)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import text

from surveys.extensions import db
from surveys.models import Participant, Programme, Response, SurveyVersion, Term

M49 = Path(__file__).parent.parent / "surveys" / "demographics" / "data" / "m49.csv"


@pytest.fixture
def synthetic(app, runner):
    """The bundled surveys and 3,000 synthetic responses: enough people per year that
    every card's figure is shown rather than suppressed."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    result = runner.invoke(args=["dev", "synth", "--responses", "3000", "--seed", "5"])
    assert result.exit_code == 0, result.output
    return app


def cards(client, query: str = "") -> dict[str, dict]:
    answer = client.get(f"/admin/dashboard{query}")
    assert answer.status_code == 200, answer.text[:500]
    soup = BeautifulSoup(answer.text, "html.parser")
    found = {}
    for card in soup.select("#goals > li"):
        trend = card.select_one(".trend")
        found[card["id"].removeprefix("goal-")] = {
            "figure": card.select_one(".figure").get_text(strip=True),
            "text": card.get_text(" ", strip=True),
            "trend": trend.get_text(" ", strip=True) if trend else None,
            "links": [a["href"] for a in card.select("a")],
        }
    return {**found, "_soup": soup}


def pct(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%"


# --- independent counting -----------------------------------------------------------------


def rows(sql: str) -> list:
    return list(db.session.execute(text(sql)))


def answers_of(value) -> dict:
    """A JSON column as the driver returns it (a dict from PostgreSQL, text from SQLite)."""
    return json.loads(value) if isinstance(value, str) else value


def day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def m49() -> dict[str, dict]:
    with M49.open(encoding="utf-8") as handle:
        return {
            row["iso3"]: row
            for row in csv.DictReader(line for line in handle if not line.startswith("#"))
        }


def counted() -> dict:
    """Every card's figure, computed from the tables with nothing from the application."""
    people = rows(
        'SELECT p.id, p.role, p.status, p.project, p.consent_withdrawn_at, t."end", c.email '
        "FROM participants p JOIN terms t ON t.id = p.term_id "
        "LEFT JOIN contacts c ON c.participant_id = p.id"
    )
    mentees = [p for p in people if p.role == "mentee"]
    year = max(day(p.end).year for p in mentees)
    result: dict = {"year": year}

    def in_year(y):
        return [p for p in mentees if day(p.end).year == y]

    result["mentees"] = (len(in_year(year)), len(in_year(year - 1)))
    failures = {}
    for y in (year, year - 1):
        group = in_year(y)
        failures[y] = pct(sum(p.status in ("failed", "withdrawn") for p in group), len(group))
    result["failure"] = failures

    # Intakes: personal links (the participant's term year) and the public link (the year
    # it was submitted); a country in the M49 file counts toward the regions' shares.
    regions = m49()
    kept = {p.id: p for p in mentees if p.consent_withdrawn_at is None}
    intakes = defaultdict(list)  # year -> [(source, country)]
    for response in rows(
        "SELECT participant_id, answers, submitted_at FROM responses WHERE wave = 'intake'"
    ):
        answers = answers_of(response.answers)
        if response.participant_id is None:
            intakes[day(response.submitted_at).year].append(("public", answers.get("country")))
        elif response.participant_id in kept:
            y = day(kept[response.participant_id].end).year
            intakes[y].append(("personal", answers.get("country")))

    def share(y, test):
        told = [c for _, c in intakes[y] if c in regions]
        return pct(sum(test(regions[c]) for c in told), len(told)), len(told)

    for name, test in (
        ("latin-america", lambda row: row["subregion_code"] == "419"),
        ("africa", lambda row: row["region_code"] == "002"),
    ):
        result[name] = (share(year, test), share(year - 1, test))
    result["sources"] = (
        sum(s == "personal" for s, _ in intakes[year]),
        sum(s == "public" for s, _ in intakes[year]),
    )

    # Follow-ups: contributing when either "yes" is ticked; the response rate over the
    # completed mentees whose follow-up was due by today.
    today = date.today()
    for wave, years in (("followup-1y", 1), ("followup-5y", 5)):
        answered = {}
        for response in rows(
            f"SELECT participant_id, answers FROM responses WHERE wave = '{wave}' ORDER BY id"
        ):
            if response.participant_id in kept:
                answered[response.participant_id] = answers_of(response.answers)
        ticked = [a["still_contributing"] for a in answered.values() if a.get("still_contributing")]
        yes = sum(bool({"same_project", "other_projects"} & set(t)) for t in ticked)
        asked = [
            p
            for p in kept.values()
            if p.status == "completed"
            and date(day(p.end).year + years, day(p.end).month, day(p.end).day) <= today
        ]
        done = sum(p.id in answered for p in asked)
        result[wave] = (pct(yes, len(ticked)), len(ticked), pct(done, len(asked)), done, len(asked))

    mentors = {p.id for p in people if p.role == "mentor" and p.consent_withdrawn_at is None}
    review = [
        answers_of(r.answers).get("used_in_review")
        for r in rows("SELECT participant_id, answers FROM responses WHERE wave = 'mentor'")
        if r.participant_id in mentors
    ]
    review = [answer for answer in review if answer]
    result["mentors"] = (pct(review.count("yes"), len(review)), len(review))

    def projects(y):
        return len(
            {p.project.strip().casefold() for p in people if p.project and day(p.end).year == y}
        )

    result["projects"] = (projects(year), projects(year - 1))

    # Returning: a mentee with the email of a mentee whose term ended earlier.
    def returning(y):
        return sum(
            any(
                o.email == p.email and o.id != p.id and day(o.end) < day(p.end)
                for o in mentees
                if o.email
            )
            for p in in_year(y)
            if p.email
        )

    result["returning"] = (returning(year), returning(year - 1))
    return result


def direction(now, before, shown) -> str:
    if now > before:
        return f"▲ up from {shown} last year"
    if now < before:
        return f"▼ down from {shown} last year"
    return f"▬ the same as last year ({shown})"


# --- the tests ----------------------------------------------------------------------------


def test_every_goal_card_shows_the_number_counted_independently(synthetic, signed_in):
    shown = cards(signed_in("analyst"))
    with synthetic.app_context():
        expected = counted()
    year = expected["year"]
    assert f"Goals — {year}" in shown["_soup"].get_text()

    now, before = expected["mentees"]
    assert shown["participants"]["figure"] == str(now)
    assert "of a target of 150" in shown["participants"]["text"]
    assert shown["participants"]["trend"] == direction(now, before, str(before))

    failure = expected["failure"]
    assert shown["failure"]["figure"] == failure[year]
    assert f"Last year: {failure[year - 1]}" in shown["failure"]["text"]
    assert "target: under 5%" in shown["failure"]["text"]
    assert shown["failure"]["trend"] == direction(
        float(failure[year][:-1]), float(failure[year - 1][:-1]), failure[year - 1]
    )
    # The synthetic programme fails fewer mentees than it used to, as the organisers hope.
    rates = [
        row.find_all("td")[2].get_text(strip=True)
        for row in shown["_soup"].select("#goal-rates tbody tr")
    ]
    assert float(rates[0][:-1]) > 9 and float(rates[-1][:-1]) < 5

    # Synthetic intakes are all personal links' (the public link is counted in the test
    # below, with rows of its own).
    personal, public = expected["sources"]
    for key in ("latin-america", "africa"):
        (share, told), (share_before, _) = expected[key]
        card = shown[key]
        assert card["figure"] == share, key
        assert f"of {told} intakes that gave a country" in card["text"]
        assert f"{personal} from personal links, {public} from the public link" in card["text"]
        now_value, before_value = float(share[:-1]), float(share_before[:-1])
        assert card["trend"] == direction(now_value, before_value, share_before), key

    for key, wave in (("contributing-1y", "followup-1y"), ("contributing-5y", "followup-5y")):
        share, answered, rate, done, asked = expected[wave]
        card = shown[key]
        assert card["figure"] == share, key
        assert f"of {answered} who answered" in card["text"]
        assert f"Response rate: {rate} ({done} of {asked} asked)" in card["text"]
        # Some alumni stopped contributing: the share is not everyone.
        assert share != "100.0%"

    share, answered = expected["mentors"]
    assert shown["mentors"]["figure"] == share
    assert f"of {answered} mentors who answered" in shown["mentors"]["text"]

    now, before = expected["projects"]
    assert shown["projects"]["figure"] == str(now)
    assert shown["projects"]["trend"] == direction(now, before, str(before))

    now, before = expected["returning"]
    assert now > 0
    assert shown["returning"]["figure"] == str(now)
    assert shown["returning"]["trend"] == direction(now, before, str(before))


def test_each_card_links_to_its_table_on_the_page(synthetic, signed_in):
    shown = cards(signed_in("analyst"))
    soup = shown.pop("_soup")
    assert set(shown) == {
        "participants",
        "failure",
        "latin-america",
        "africa",
        "contributing-1y",
        "contributing-5y",
        "mentors",
        "projects",
        "returning",
    }
    for key, card in shown.items():
        assert card["links"], key
        for link in card["links"]:
            target = soup.select_one(link)
            assert target is not None, (key, link)
            # The table it links to has rows, not "No answers yet".
            assert target.select("tbody tr"), (key, link)
    # Arrows are for the eye; the words say the same to a screen reader.
    for arrow in soup.select("#goals .trend span"):
        assert arrow["aria-hidden"] == "true"


def test_the_regions_share_of_latin_america_and_africa_grows_over_the_years(synthetic, signed_in):
    soup = cards(signed_in("analyst"))["_soup"]
    table = soup.select_one("table.counts[data-table=region_goals]")
    header = [th.get_text(strip=True) for th in table.select("thead th")][1:]
    body = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in table.select("tbody tr")
    }
    first, last = header.index(header[0]), header.index("Total") - 1
    for region in ("Latin America and the Caribbean", "Africa"):
        early = int(body[region][first]) / int(body["Total"][first])
        late = int(body[region][last]) / int(body["Total"][last])
        assert late > early, region


def test_public_and_personal_intakes_both_count_and_the_card_says_how(app, runner, signed_in):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    with app.app_context():
        version = db.session.query(SurveyVersion).filter_by(survey_id="intake").one()
        programme = Programme(code="gsoc", name="Google Summer of Code")
        term = Term(programme=programme, name="2024", end=date(2024, 9, 1))
        at = datetime(2024, 6, 1, tzinfo=UTC)

        def intake(key: str, country: str, participant=None):
            db.session.add(
                Response(
                    survey_version_id=version.id,
                    locale="en",
                    started_at=at,
                    submitted_at=at,
                    answers={"consent": True, "programme": "gsoc", "country": country},
                    submission_key=key,
                    wave="intake",
                    participant_id=participant,
                )
            )

        for i in range(10):
            mentee = Participant(
                term=term, role="mentee", status="completed", status_changed_on=term.end
            )
            db.session.add(mentee)
            db.session.flush()
            intake(f"personal-{i}", "BRA" if i < 5 else "IND", mentee.id)
        for i in range(6):
            intake(f"public-{i}", "KEN")
        # Another programme's public answers are not this programme's.
        for i in range(7):
            db.session.add(
                Response(
                    survey_version_id=version.id,
                    locale="en",
                    started_at=at,
                    submitted_at=at,
                    answers={"consent": True, "programme": "lfx", "country": "KEN"},
                    submission_key=f"lfx-{i}",
                    wave="intake",
                    participant_id=None,
                )
            )
        db.session.commit()
        term_id = term.id
    analyst = signed_in("analyst")
    shown = cards(analyst, "?programme=gsoc")
    # 5 Brazil, 5 India (personal) and 6 Kenya (public): 16 told a country.
    assert shown["latin-america"]["figure"] == pct(5, 16)
    assert shown["africa"]["figure"] == pct(6, 16)
    assert "10 from personal links, 6 from the public link" in shown["africa"]["text"]
    everyone = cards(analyst)
    assert everyone["africa"]["figure"] == pct(13, 23)
    # A public answer belongs to no term: with a term chosen only personal links count.
    one_term = cards(analyst, f"?term={term_id}")
    assert one_term["africa"]["figure"] == "0.0%"
    assert "0 from the public link" in one_term["africa"]["text"]
    assert "not counted when a term is chosen" in one_term["africa"]["text"]


def test_the_cards_stay_readable_without_mentees(app, signed_in):
    analyst = signed_in("analyst")
    soup = cards(analyst)["_soup"]
    assert "No mentees yet" in soup.get_text()
    assert not soup.select("#goals > li")
    for name in ("returning", "projects", "region_goals", "intake_sources", "contributing"):
        assert analyst.get(f"/admin/dashboard/chart/{name}.svg").status_code == 200, name
        assert analyst.get(f"/admin/dashboard.csv?table={name}").status_code == 200, name
