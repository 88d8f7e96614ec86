"""Configuration from the environment: bad settings stop start-up with one sentence."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from surveys import Config, ConfigError, create_app
from surveys.config import BUNDLED_SURVEYS_DIR, instance_secret_key

ROOT = Path(__file__).parents[1]


def test_defaults():
    config = Config.from_env({})
    assert config.environment == "development"
    assert config.database_url is None
    assert config.surveys_dir == BUNDLED_SURVEYS_DIR
    config.check()


def test_the_environment_is_read():
    config = Config.from_env(
        {
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "SECRET_KEY": "k" * 32,
            "SURVEYS_DIR": str(BUNDLED_SURVEYS_DIR),
            "PATHWAYS_ENV": "production",
            "MAX_CONTENT_LENGTH": "2048",
        }
    )
    config.check()
    assert (config.database_url, config.is_production, config.max_content_length) == (
        "postgresql+psycopg://u@h/db",
        True,
        2048,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PATHWAYS_ENV": "production"}, "SECRET_KEY must be set in production"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "Pathways runs on sqlite or postgresql"),
        ({"DATABASE_URL": "postgresql+psycopg2://u@h/db"}, "must use the psycopg 3 driver"),
        ({"SURVEYS_DIR": "/no/such/folder"}, "SURVEYS_DIR '/no/such/folder' is not a folder"),
        ({"PATHWAYS_ENV": "staging"}, "PATHWAYS_ENV must be one of"),
        ({"MAX_CONTENT_LENGTH": "lots"}, "MAX_CONTENT_LENGTH must be a whole number"),
        ({"TRUSTED_PROXIES": "one"}, "TRUSTED_PROXIES must be a whole number"),
        ({"TRUSTED_PROXIES": "-1"}, "TRUSTED_PROXIES must be the number of proxies"),
        ({"TASK_QUEUE_URL": "amqp://h/"}, "TASK_QUEUE_URL must be a redis:// URL"),
        ({"BUNDLE_HOURS": "0"}, "BUNDLE_HOURS must be the hours a finished export"),
        ({"BUNDLE_HOURS": "a day"}, "BUNDLE_HOURS must be a whole number"),
        ({"JOB_STALE_MINUTES": "-5"}, "JOB_STALE_MINUTES must be 0 or more minutes"),
    ],
)
def test_bad_settings_are_refused_with_one_sentence(env, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_env(env).check()
    with pytest.raises(ConfigError):
        create_app(Config.from_env(env))


def test_a_plain_postgresql_url_means_psycopg_3():
    config = Config.from_env({"DATABASE_URL": "postgresql://u:p%40ss@h:5433/db"})
    config.check()
    assert config.database_url == "postgresql+psycopg://u:p%40ss@h:5433/db"


def test_production_sends_cookies_only_over_https(app_factory):
    config = Config.from_env(
        {"PATHWAYS_ENV": "production", "SECRET_KEY": "s" * 40, "DATABASE_URL": "sqlite://"}
    )
    app = app_factory(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SECRET_KEY"] == "s" * 40


def test_development_secret_key_is_made_once_and_kept(tmp_path):
    first = instance_secret_key(tmp_path)
    assert len(first) >= 32
    assert instance_secret_key(tmp_path) == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_wsgi_prints_one_sentence_instead_of_a_traceback():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env["PATHWAYS_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Pathways cannot start: SECRET_KEY must be set in production: use a long random "
        "value, the same on every server."
    )


def test_dashboard_targets_are_read_and_checked():
    config = Config.from_env({"TARGET_PARTICIPANTS": "200", "TARGET_FAILURE_RATE": "0.04"})
    assert (config.target_participants, config.target_failure_rate) == (200, 0.04)
    with pytest.raises(ConfigError, match="TARGET_FAILURE_RATE must be a share between 0 and 1"):
        Config.from_env({"TARGET_FAILURE_RATE": "5%"})
    with pytest.raises(ConfigError, match="TARGET_PARTICIPANTS must be a whole number"):
        Config.from_env({"TARGET_PARTICIPANTS": "lots"})


def test_rate_limits_are_on_unless_switched_off_for_a_load_test():
    assert Config.from_env({}).ratelimit_enabled is True
    assert Config.from_env({"RATELIMIT_ENABLED": "false"}).ratelimit_enabled is False


def test_forwarded_addresses_are_trusted_only_from_the_configured_proxies():
    assert Config.from_env({}).trusted_proxies == 0
    assert Config.from_env({"TRUSTED_PROXIES": "2"}).trusted_proxies == 2


def test_starting_the_app_does_not_load_the_data_libraries():
    """pandas, pyarrow and matplotlib are for exports and the dashboard only: loading them
    at start-up would slow every worker and every `flask` command by a second or more."""
    code = (
        "import sys, wsgi; "
        "print(sorted(m for m in ('pandas', 'pyarrow', 'matplotlib', 'openpyxl') "
        "if m in sys.modules))"
    )
    env = {**os.environ, "PATHWAYS_ENV": "development"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"
