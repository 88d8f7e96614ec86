"""Configuration read from the environment.

Every setting is checked when the application starts: a missing or bad value raises
`ConfigError` with one sentence that says what to fix, and `wsgi.py` prints it instead
of a traceback.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

BUNDLED_SURVEYS_DIR = Path(__file__).parent / "definitions"
ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one sentence for the operator."""


@dataclass
class Config:
    """Settings the application needs. `from_env` builds one from environment variables."""

    environment: str = "development"
    # None means: a SQLite file in the instance folder, decided once the app exists.
    database_url: str | None = None
    # None means: generated once and kept in the instance folder (development only).
    secret_key: str | None = None
    surveys_dir: Path = BUNDLED_SURVEYS_DIR
    max_content_length: int = 512 * 1024
    engine_options: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        environment = env.get("PATHWAYS_ENV", "development").strip() or "development"
        config = cls(
            environment=environment,
            database_url=env.get("DATABASE_URL") or None,
            secret_key=env.get("SECRET_KEY") or None,
            surveys_dir=Path(env["SURVEYS_DIR"]) if env.get("SURVEYS_DIR") else BUNDLED_SURVEYS_DIR,
        )
        if env.get("MAX_CONTENT_LENGTH"):
            try:
                config.max_content_length = int(env["MAX_CONTENT_LENGTH"])
            except ValueError:
                raise ConfigError(
                    "MAX_CONTENT_LENGTH must be a whole number of bytes, "
                    f"not {env['MAX_CONTENT_LENGTH']!r}."
                ) from None
        return config

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def check(self) -> None:
        """Raise ConfigError on the first setting that cannot work."""
        if self.environment not in ENVIRONMENTS:
            raise ConfigError(
                f"PATHWAYS_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.environment!r}."
            )
        if self.is_production and not self.secret_key:
            raise ConfigError(
                "SECRET_KEY must be set in production: use a long random value, "
                "the same on every server."
            )
        if self.secret_key is not None and len(self.secret_key) < 16:
            raise ConfigError("SECRET_KEY is too short: use at least 16 random characters.")
        if self.database_url is not None:
            try:
                url = make_url(self.database_url)
            except ArgumentError:
                raise ConfigError(
                    "DATABASE_URL is not a database URL; expected something like "
                    "postgresql+psycopg://user@host/dbname or sqlite:///path/to/file.db."
                ) from None
            if url.get_backend_name() not in ("sqlite", "postgresql"):
                raise ConfigError(
                    f"DATABASE_URL names the {url.get_backend_name()!r} database; "
                    "Pathways runs on sqlite or postgresql."
                )
            if url.get_backend_name() == "postgresql":
                if "+" not in url.drivername:
                    # A plain postgresql:// URL means psycopg 3, whatever SQLAlchemy's default.
                    self.database_url = url.set(drivername="postgresql+psycopg").render_as_string(
                        hide_password=False
                    )
                elif url.get_driver_name() != "psycopg":
                    raise ConfigError(
                        "DATABASE_URL for PostgreSQL must use the psycopg 3 driver: "
                        "start it with postgresql+psycopg://."
                    )
        if not self.surveys_dir.is_dir():
            raise ConfigError(f"SURVEYS_DIR {str(self.surveys_dir)!r} is not a folder.")
        if self.max_content_length < 1024:
            raise ConfigError("MAX_CONTENT_LENGTH must be at least 1024 bytes.")


def instance_secret_key(instance_path: Path) -> str:
    """The development secret key: generated on first start, then read from the instance folder."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with owner-only permissions: the key signs sessions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
