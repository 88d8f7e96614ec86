"""The `flask --app wsgi` command line as an operator runs it: a process of its own.

A command builds the app without its pages and imports its own group only (surveys/
commands.py); `flask run`, `routes` and gunicorn get every page. Each case runs the real
`flask` executable, so it checks what an operator's shell gets, not a test client.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from surveys.commands import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"
# A script that runs one `flask` command in this process, then prints which of Pathways'
# heavier modules it imported.
PROBE = """
import sys
from flask.cli import main
sys.argv = ["flask", "--app", "wsgi", *sys.argv[1:]]
try:
    main()
except SystemExit as stop:
    assert not stop.code, stop.code
heavy = ["surveys.admin.views", "surveys.blueprints.public", "huey", "alembic", "pandas",
         "surveys.exporting.service", "lark"]
print("imported:", " ".join(name for name in heavy if name in sys.modules))
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("commands")
    values = dict(os.environ)
    values.update(
        DATABASE_URL=f"sqlite:///{folder / 'commands.db'}",
        SECRET_KEY="commands-test-secret-key-0123456789",
    )
    upgrade = _flask(values, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    return values


def _flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FLASK), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_every_group_of_commands(env):
    listed = _flask(env, "--help")
    assert listed.returncode == 0, listed.stderr
    for name in [*COMMANDS, "db"]:
        assert f"\n  {name} " in listed.stdout
    # A group's own help comes from its own module, options and all.
    export = _flask(env, "export", "--help")
    assert export.returncode == 0 and "--format" in export.stdout


def test_a_command_loads_only_what_it_needs(env):
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, "followups", "send", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    assert "would send 0 invitation(s)" in probe.stdout
    assert probe.stdout.splitlines()[-1].strip() == "imported:"


def test_migrations_load_alembic_when_asked(env):
    current = _flask(env, "db", "current")
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout


def test_commands_that_serve_or_show_pages_get_every_page(env):
    routes = _flask(env, "routes")
    assert routes.returncode == 0, routes.stderr
    for path in ("/s/<survey_id>", "/admin/", "/healthz"):
        assert path in routes.stdout


def test_a_failing_command_still_says_why(env):
    missing = _flask(env, "surveys", "validate", "/nonexistent/nope.yaml")
    assert missing.returncode == 1
    assert "no such file" in missing.stderr


def test_a_command_on_a_database_never_upgraded_says_what_to_run(tmp_path):
    """An operator who forgot `db upgrade` reads one sentence, not a traceback."""
    fresh = dict(os.environ)
    fresh.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'never-upgraded.db'}",
        SECRET_KEY="commands-test-secret-key-0123456789",
    )
    for args in (["surveys", "list"], ["followups", "send", "--dry-run"]):
        ran = _flask(fresh, *args)
        assert ran.returncode == 1
        assert "Traceback" not in ran.stderr
        assert "run `flask --app wsgi db upgrade` first" in ran.stderr
    # Once upgraded, the same command runs.
    assert _flask(fresh, "db", "upgrade").returncode == 0
    listed = _flask(fresh, "surveys", "list")
    assert listed.returncode == 0 and "no surveys loaded" in listed.stdout
