"""Fixtures in the flaskr manner: `app` (a clean database per test), `client`, `runner`,
and small factories. Every test that uses `app` runs on SQLite, and on PostgreSQL too
when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, text

from i18n import compile_catalogs
from surveys import Config, create_app
from surveys.definitions import read_definition
from surveys.extensions import db
from surveys.survey_versions import store_definition

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
# One schema per test run, so two runs against the same database never collide.
TEST_SCHEMA = f"pathways_test_{os.getpid()}"


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_POSTGRES and not POSTGRES_URL:
        raise pytest.UsageError("REQUIRE_POSTGRES=1 needs TEST_DATABASE_URL to be set.")
    # `make test` compiles the catalogs; this covers running pytest directly.
    compile_catalogs()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if REQUIRE_POSTGRES and skipped:
        reporter.write_line(f"REQUIRE_POSTGRES: {len(skipped)} skipped test(s) count as failures")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _drop_schema(schema: str, create: bool) -> None:
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


def postgres_schema_url(schema: str, request: pytest.FixtureRequest) -> tuple[str, dict]:
    """The PostgreSQL test URL with an empty schema of its own, dropped after the test(s)."""
    _drop_schema(schema, create=True)
    request.addfinalizer(lambda: _drop_schema(schema, create=False))
    return POSTGRES_URL, {"connect_args": {"options": f"-c search_path={schema}"}}


@pytest.fixture(scope="session", params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(url, engine options) of a database whose tables exist; shared by the session."""
    if request.param == "sqlite":
        url, options = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}", {}
    else:
        url, options = postgres_schema_url(TEST_SCHEMA, request)
    app = create_app(config_for(url, options))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url, options


def config_for(url: str, options: dict | None = None, **extra) -> Config:
    return Config(
        environment="testing",
        database_url=url,
        secret_key="test-secret-key-not-for-production",
        engine_options=options or {},
        # Background jobs run inside the request that starts them (Huey's immediate
        # mode); tests/test_jobs_worker.py runs them in real workers on real queues.
        task_queue_url="memory://",
        extra=extra,
    )


@pytest.fixture
def app(database, tmp_path: Path):
    url, options = database
    app = create_app(config_for(url, options))
    app.config["PATHWAYS"].bundles_dir = tmp_path / "bundles"
    with app.app_context():
        # Start every test from empty tables, children before parents.
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    # No app context stays pushed: each test-client request gets its own, as in production
    # (a shared one would share `g` and the database session between requests).
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app_factory():
    """create_app for tests that need their own configuration; engines closed afterwards."""
    made = []

    def make(config: Config):
        app = create_app(config)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_survey(app, tmp_path: Path):
    """Store a definition given as YAML text; return the SurveyVersion's id."""

    def make(yaml_text: str, name: str = "survey.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(yaml_text))
        definition, problems = read_definition(path)
        assert not problems, [str(p) for p in problems]
        with app.app_context():
            survey_version, _ = store_definition(definition)
            db.session.commit()
            return survey_version.id

    return make


class Respondent:
    """A person filling a survey through the test client, as a browser would."""

    def __init__(self, client, survey_id: str, base: str | None = None) -> None:
        self.client = client
        self.survey_id = survey_id
        # The survey's address: the public link, or a personal link /f/<token>.
        self.base = base or f"/s/{survey_id}"
        self.csrf_token: str | None = None
        self.last = None

    def open(self, url: str | None = None):
        self.last = self.client.get(url or self.base, follow_redirects=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.last.text)
        if match:
            self.csrf_token = match.group(1)
        return self.last

    @property
    def page(self) -> BeautifulSoup:
        return BeautifulSoup(self.last.text, "html.parser")

    def post(self, page: int, data: dict, action: str = "next", follow: bool = True):
        if self.csrf_token is None:
            self.open()
        form = {"csrf_token": self.csrf_token, "action": action, **data}
        self.last = self.client.post(f"{self.base}?page={page}", data=form, follow_redirects=follow)
        return self.last

    def errors(self) -> dict[str, str]:
        """Messages shown beside fields, by question id."""
        return {
            div["id"].removeprefix("q-"): " ".join(p.get_text() for p in div.select(".error"))
            for div in self.page.select(".question.has-error")
        }

    def questions(self) -> list[str]:
        return [div["id"].removeprefix("q-") for div in self.page.select(".question, .note")]


@pytest.fixture
def respondent(app):
    """Each respondent is a browser of their own, with its own cookies."""
    return lambda survey_id, base=None: Respondent(app.test_client(), survey_id, base)


@pytest.fixture
def mailbox(app):
    """A real SMTP server on loopback that the app sends to; yields what it received."""
    from surveys.config import MailSettings
    from tests.mailbox import SMTPServer

    server = SMTPServer()
    with server as box:
        config = app.config["PATHWAYS"]
        config.mail = MailSettings(
            server="127.0.0.1", port=server.port, sender="Pathways <surveys@pathways.test>"
        )
        config.public_url = "http://pathways.test"
        yield box


@pytest.fixture
def responses_of(app):
    """(locale, answers) of a survey's stored responses, oldest first."""
    from sqlalchemy import select

    from surveys.models import Response, SurveyVersion

    def read(survey_id: str) -> list[tuple[str, dict]]:
        with app.app_context():
            rows = db.session.execute(
                select(Response.locale, Response.answers)
                .join(SurveyVersion)
                .where(SurveyVersion.survey_id == survey_id)
                .order_by(Response.id)
            )
            return [(locale, answers) for locale, answers in rows]

    return read


STAFF_PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(app):
    """Create a staff user; returns its email."""
    from werkzeug.security import generate_password_hash

    from surveys.models import User

    def make(role: str = "admin", email: str | None = None) -> str:
        email = email or f"{role}@pathways.test"
        with app.app_context():
            db.session.add(
                User(email=email, password_hash=generate_password_hash(STAFF_PASSWORD), role=role)
            )
            db.session.commit()
        return email

    return make


@pytest.fixture
def signed_in(app, staff):
    """A test client signed in as a new user of this role (admin or analyst)."""

    def make(role: str = "admin"):
        email = staff(role)
        client = app.test_client()
        client.get("/admin/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/admin/login").text)
        answer = client.post(
            "/admin/login",
            data={"email": email, "password": STAFF_PASSWORD, "csrf_token": token.group(1)},
        )
        assert answer.status_code == 302, answer.text
        return client

    return make


def csrf_of(page_text: str) -> str:
    """The CSRF token in a page's form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text)
    assert match, "no csrf_token on the page"
    return match.group(1)
