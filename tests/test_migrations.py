"""The committed migrations create exactly the schema the models describe, and the
database itself refuses a role or status outside the list."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from surveys.extensions import db
from surveys.models import Participant, Programme, StatusChange, Term, User
from tests.conftest import DATABASES, config_for, postgres_schema_url


@pytest.mark.parametrize("database", DATABASES)
def test_db_upgrade_builds_the_models_schema(database, tmp_path, app_factory, request):
    if database == "sqlite":
        url, options = f"sqlite:///{tmp_path / 'fresh.db'}", {}
    else:
        url, options = postgres_schema_url(f"pathways_migrations_{os.getpid()}", request)
    runner = app_factory(config_for(url, options)).test_cli_runner()
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    check = runner.invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output  # exits 1 when models and migrations differ
    # And the fresh schema works: a survey loads into it.
    load = runner.invoke(args=["surveys", "load"])
    assert load.exit_code == 0, load.output
    downgrade = runner.invoke(args=["db", "downgrade", "base"])
    assert downgrade.exit_code == 0, downgrade.output


# (table, column, every code it takes, a value outside them) — written out here, apart
# from the models, so the test says what the database must hold.
VOCABULARIES = [
    ("users", "role", ["admin", "analyst"], "owner"),
    ("participants", "role", ["mentee", "mentor"], "admin"),
    ("participants", "status", ["active", "completed", "failed", "withdrawn"], "dropped"),
    ("status_changes", "status", ["active", "completed", "failed", "withdrawn"], "Failed"),
]


def _add_row(table: str, column: str, value: str) -> None:
    """Add a row of `table` whose `column` holds `value`, every other column valid."""
    if table == "users":
        db.session.add(User(email=f"{value}@pathways.test", password_hash="x", role=value))
        return
    programme = db.session.scalar(select(Programme)) or Programme(code="gsoc", name="GSoC")
    term = db.session.scalar(select(Term)) or Term(
        programme=programme, name="2025", end=date(2025, 9, 1)
    )
    fields = {"role": "mentee", "status": "active"}
    if table == "participants":
        fields[column] = value
    person = Participant(term=term, status_changed_on=date(2025, 9, 1), **fields)
    if table == "status_changes":
        db.session.add(StatusChange(participant=person, status=value, changed_on=date(2025, 9, 2)))
    db.session.add(person)


def _add_row_at_0006(status: str) -> None:
    """A participant with `status`, written in SQL with the columns revision 0006 has: the
    models have columns added since, which the downgraded table lacks."""
    db.session.execute(
        text(
            "INSERT INTO participants (public_id, term_id, role, status, status_changed_on, "
            "created_at) VALUES (:public_id, (SELECT MIN(id) FROM terms), 'mentee', :status, "
            ":day, :now)"
        ),
        {
            "public_id": "at-0006",
            "status": status,
            "day": date(2025, 9, 1),
            "now": datetime(2025, 9, 1, tzinfo=UTC),
        },
    )


def assert_vocabularies_enforced(app) -> None:
    """Every code is stored, and the database itself refuses a value outside them."""
    with app.app_context():
        for table, column, codes, unknown in VOCABULARIES:
            for code in codes:
                _add_row(table, column, code)
            db.session.commit()
            _add_row(table, column, unknown)
            with pytest.raises(IntegrityError, match=f"ck_{table}_{column}"):
                db.session.commit()
            db.session.rollback()


@pytest.mark.parametrize("database", DATABASES)
def test_migrations_refuse_roles_and_statuses_outside_the_list(
    database, tmp_path, app_factory, request
):
    if database == "sqlite":
        url, options = f"sqlite:///{tmp_path / 'fresh.db'}", {}
    else:
        url, options = postgres_schema_url(f"pathways_vocabularies_{os.getpid()}", request)
    app = app_factory(config_for(url, options))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert_vocabularies_enforced(app)

    # Downgraded, the same values go in; upgrading again names the rows to fix first.
    downgrade = runner.invoke(args=["db", "downgrade", "0006"])
    assert downgrade.exit_code == 0, downgrade.output
    with app.app_context():
        _add_row_at_0006("dropped")
        db.session.commit()
    refused = runner.invoke(args=["db", "upgrade"])
    assert refused.exit_code != 0
    assert "participants.status holds dropped" in refused.output, refused.output
    with app.app_context():
        db.session.execute(text("DELETE FROM participants WHERE status = 'dropped'"))
        db.session.commit()
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    with app.app_context():
        _add_row("participants", "status", "dropped")
        with pytest.raises(IntegrityError, match="ck_participants_status"):
            db.session.commit()
    downgrade = runner.invoke(args=["db", "downgrade", "base"])
    assert downgrade.exit_code == 0, downgrade.output


def test_models_refuse_roles_and_statuses_outside_the_list(app):
    """The tables the models create (every other test's) hold the same constraints."""
    assert_vocabularies_enforced(app)
