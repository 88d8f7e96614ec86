"""`maintenance purge-drafts`: abandoned drafts and drafts of expired invitations go."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import Draft, Invitation, Participant, Programme, Term, utcnow

CLUB = """
id: club
version: 1
title: Club
pages:
  - title: One
    questions:
      - {name: why, type: long_text, label: Why?}
"""


@pytest.fixture
def drafts(app, make_survey):
    """Drafts by name, of various ages, public or of an open or expired invitation."""
    version_id = make_survey(CLUB)
    now = utcnow()
    today = date.today()
    with app.app_context():
        term = Term(programme=Programme(code="p", name="P"), name="2024", end=date(2024, 9, 1))

        def invitation(expires_on: date) -> Invitation:
            person = Participant(term=term, role="mentee", status_changed_on=term.end)
            made = Invitation(
                participant=person,
                survey_id="club",
                wave="club",
                due_on=term.end,
                expires_on=expires_on,
            )
            db.session.add(made)
            db.session.flush()
            return made

        ages = {
            "abandoned": (now - timedelta(days=31), None),
            "long_abandoned": (now - timedelta(days=400), None),
            "recent": (now - timedelta(days=29), None),
            "fresh": (now, None),
            "expired_invitation": (now, invitation(today)),
            "open_invitation": (now - timedelta(days=10), invitation(today + timedelta(days=1))),
        }
        for name, (updated_at, invited) in ages.items():
            db.session.add(
                Draft(
                    token_hash=name,
                    survey_version_id=version_id,
                    locale="en",
                    invitation_id=invited.id if invited else None,
                    raw={"why": ["a free-text answer of " + name]},
                    started_at=now - timedelta(days=500),
                    updated_at=updated_at,
                )
            )
        db.session.commit()
    return app


def kept(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Draft.token_hash)))


def test_purge_drafts_removes_the_abandoned_and_the_expired(drafts, runner):
    result = runner.invoke(args=["maintenance", "purge-drafts"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("removed 3 draft(s)")
    assert kept(drafts) == {"recent", "fresh", "open_invitation"}
    # Nothing left to do: a second run (cron runs it daily) removes nothing.
    again = runner.invoke(args=["maintenance", "purge-drafts"])
    assert again.exit_code == 0 and again.output.startswith("removed 0 draft(s)")


def test_purge_drafts_takes_the_age_from_older_than(drafts, runner):
    result = runner.invoke(args=["maintenance", "purge-drafts", "--older-than", "1w"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("removed 5 draft(s)")
    assert kept(drafts) == {"fresh"}


@pytest.mark.parametrize("value", ["30", "thirty days", "0d", "-5d", "30x", ""])
def test_a_bad_age_is_one_sentence_and_removes_nothing(drafts, runner, value):
    result = runner.invoke(args=["maintenance", "purge-drafts", "--older-than", value])
    assert result.exit_code in (1, 2)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "--older-than" in lines[0], result.output
    assert len(kept(drafts)) == 6
