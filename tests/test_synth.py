"""`dev synth`: realistic, skewed, deterministic synthetic data."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import Contact, Participant, Response


def answers(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [
            (wave, answers)
            for wave, answers in db.session.execute(
                select(Response.wave, Response.answers).order_by(Response.id)
            )
        ]


def test_synth_writes_skewed_intakes_and_followups(app, runner):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    result = runner.invoke(args=["dev", "synth", "--responses", "1500", "--seed", "4"])
    assert result.exit_code == 0, result.output
    rows = answers(app)
    assert len(rows) == 1500
    waves = Counter(wave for wave, _ in rows)
    assert waves["intake"] > 900 and waves["followup-1y"] > 100 and waves["followup-5y"] > 10
    assert waves["mentor"] > 30
    countries = Counter(a.get("country") for wave, a in rows if wave == "intake")
    assert countries.most_common(1)[0][0] == "IND"
    assert sum(1 for n in countries.values() if n == 1) >= 5  # a long tail of lone people
    assert any(a.get("age_range") == "pnts" for _, a in rows)
    with app.app_context():
        people = db.session.scalar(select(func.count()).select_from(Participant))
        contacts = db.session.scalar(select(func.count()).select_from(Contact))
        mentees = db.session.scalar(
            select(func.count()).select_from(Participant).where(Participant.role == "mentee")
        )
        emails = db.session.execute(
            select(Contact.email, func.count()).group_by(Contact.email)
        ).all()
        projects = db.session.scalar(
            select(func.count(Participant.project.distinct())).select_from(Participant)
        )
        statuses = set(db.session.scalars(select(Participant.status).distinct()))
    assert people == contacts
    # Every mentee answered the intake on a personal link; mentors the mentor survey.
    assert mentees == waves["intake"] and people - mentees > 30
    # Returning mentees: some addresses are a mentee's in two terms.
    assert any(n > 1 for _, n in emails)
    assert projects > 20 and {"failed", "withdrawn"} <= statuses
    followups = [a for wave, a in rows if wave.startswith("followup")]
    assert sum(a["still_contributing"] == ["no"] for a in followups) > 30
    # Contact details never sit in the answers.
    assert not any("@" in str(a) for _, a in rows)


def test_the_same_seed_gives_the_same_answers(app, runner, app_factory):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    runner.invoke(args=["dev", "synth", "--responses", "300", "--seed", "9"])
    first = answers(app)
    runner.invoke(args=["dev", "synth", "--responses", "300", "--seed", "9"])
    both = answers(app)
    assert [a for _, a in both[300:]] == [a for _, a in first]


def test_synth_needs_the_surveys_loaded(runner):
    result = runner.invoke(args=["dev", "synth", "--responses", "10"])
    assert result.exit_code == 1
    assert "load the surveys first" in result.output
