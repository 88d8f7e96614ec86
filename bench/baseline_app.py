"""The baseline: the least a web app can do to take a survey submission.

One POST of the answers as JSON, one INSERT of the same JSON row (answers, times, a unique
key) into the same database, a 201. Served by the same gunicorn settings as Pathways, it
tells how much of a submission's cost is Pathways and how much is Python, WSGI and the
database.

    gunicorn bench.baseline_app:app     (DATABASE_URL from the environment)
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime

from flask import Flask, request
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
# The same column types as Pathways' `responses`, so the database does the same work.
baseline_responses = Table(
    "baseline_responses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("locale", String(16)),
    Column("started_at", DateTime(timezone=True)),
    Column("submitted_at", DateTime(timezone=True)),
    Column("answers", JSON().with_variant(JSONB(), "postgresql")),
    Column("submission_key", String(64), unique=True),
)


def create_tables(database_url: str) -> None:
    """Called by the bench before the server starts: workers must not race to create it."""
    engine = create_engine(database_url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def create_baseline_app(database_url: str) -> Flask:
    app = Flask(__name__)
    engine = create_engine(database_url, pool_pre_ping=True)

    @app.post("/submit")
    def submit_answers():
        now = datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(
                insert(baseline_responses).values(
                    locale="en",
                    started_at=now,
                    submitted_at=now,
                    answers=request.get_json(),
                    submission_key=secrets.token_hex(32),
                )
            )
        return {"status": "stored"}, 201

    return app


app = create_baseline_app(os.environ["DATABASE_URL"]) if "DATABASE_URL" in os.environ else None
