"""What is erased or purged does not linger in the database's own files.

SQLite keeps deleted rows' bytes in free space unless `secure_delete` is on, and whether it
is on by default depends on how SQLite was built; PostgreSQL keeps them as dead tuples
until a VACUUM.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from surveys.extensions import db
from tests.conftest import POSTGRES_URL, config_for, postgres_schema_url

PEOPLE = "email,name,role,language,status\nerin.zarquon@example.org,Erin Zarquon,mentee,en,active\n"
ERASED_TABLES = {
    "contacts",
    "drafts",
    "invitations",
    "participants",
    "personal_links",
    "responses",
    "status_changes",
}


def connections_with_secure_delete_off(path: Path):
    """Connections as a SQLite built without SQLITE_SECURE_DELETE opens them."""

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, check_same_thread=False)
        connection.execute("PRAGMA secure_delete=OFF")
        return connection

    return connect


def import_and_erase(app, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE)
    runner = app.test_cli_runner()
    args = ["participants", "import", str(people), "--programme", "gsoc", "--term", "2024"]
    result = runner.invoke(args=[*args, "--term-end", "2024-09-01"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["participants", "erase", "erin.zarquon@example.org"])
    assert result.exit_code == 0, result.output


def test_sqlite_overwrites_erased_rows_whatever_its_build(app_factory, tmp_path):
    path = tmp_path / "pathways.db"
    options = {"creator": connections_with_secure_delete_off(path)}
    app = app_factory(config_for(f"sqlite:///{path}", options))
    with app.app_context():
        db.create_all()
        assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        db.session.commit()
    import_and_erase(app, tmp_path)
    with app.app_context():
        db.engine.dispose()
    # The bytes on disk, read back by name: neither the email nor the name survives.
    stored = path.read_bytes().lower()
    assert b"zarquon" not in stored
    assert not Path(f"{path}-wal").exists()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_postgresql_vacuums_the_tables_an_erasure_touched(app_factory, tmp_path, request):
    schema = f"pathways_erasure_{os.getpid()}"
    url, options = postgres_schema_url(schema, request)
    app = app_factory(config_for(url, options))
    with app.app_context():
        db.create_all()
        db.session.commit()
    import_and_erase(app, tmp_path)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            vacuumed = connection.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables "
                    "WHERE schemaname = :schema AND vacuum_count > 0"
                ),
                {"schema": schema},
            )
            assert set(vacuumed.scalars()) >= ERASED_TABLES
    finally:
        engine.dispose()
