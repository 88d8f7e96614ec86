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

BUNDLED_SURVEYS_DIR = Path(__file__).parent / "bundled"
BUNDLED_DATA_DIR = Path(__file__).parent / "demographics" / "data"
# The purposes exports are made for (exports/purposes.yaml); a programme may use its own.
BUNDLED_PURPOSES_FILE = Path(__file__).parents[1] / "exports" / "purposes.yaml"
ENVIRONMENTS = ("development", "production", "testing")
TASK_QUEUE_SCHEMES = ("redis://", "rediss://", "unix://", "sqlite:///", "memory://")


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one sentence for the operator."""


@dataclass
class MailSettings:
    """SMTP for follow-up invitations (the organisation's relay in production)."""

    server: str = "localhost"
    port: int = 25
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "Pathways <pathways@localhost>"
    # Days after the first message on which a reminder goes out, while unanswered.
    reminder_days: tuple[int, ...] = (14, 28)
    # Where people write to ask for a new link; the sender's address when not set.
    contact: str | None = None


def _whole_number(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None


def _share(env: dict[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise ConfigError(f"{name} must be a share between 0 and 1, like 0.05, not {value!r}.")
    return share


def _flag(env: dict[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be true or false, not {value!r}.")


def _mail_from_env(env: dict[str, str]) -> MailSettings:
    days = env.get("REMINDER_DAYS", ",".join(map(str, MailSettings.reminder_days))).strip()
    try:
        reminder_days = tuple(int(d) for d in days.split(",") if d.strip())
    except ValueError:
        raise ConfigError(
            f"REMINDER_DAYS must be whole numbers of days separated by commas, not {days!r}."
        ) from None
    if any(d < 1 for d in reminder_days) or list(reminder_days) != sorted(set(reminder_days)):
        raise ConfigError("REMINDER_DAYS must be increasing numbers of days, like 14,28.")
    return MailSettings(
        server=env.get("MAIL_SERVER", "").strip() or MailSettings.server,
        port=_whole_number(env, "MAIL_PORT", MailSettings.port),
        use_tls=_flag(env, "MAIL_USE_TLS"),
        username=env.get("MAIL_USERNAME") or None,
        password=env.get("MAIL_PASSWORD") or None,
        sender=env.get("MAIL_FROM", "").strip() or MailSettings.sender,
        reminder_days=reminder_days,
        contact=env.get("CONTACT_EMAIL", "").strip() or None,
    )


@dataclass
class Config:
    """Settings the application needs. `from_env` builds one from environment variables."""

    environment: str = "development"
    # None means: a SQLite file in the instance folder, decided once the app exists.
    database_url: str | None = None
    # None means: generated once and kept in the instance folder (development only).
    secret_key: str | None = None
    surveys_dir: Path = BUNDLED_SURVEYS_DIR
    # Where the World Bank income-group files (wb_income_FY<year>.csv) are.
    income_groups_dir: Path = BUNDLED_DATA_DIR
    export_purposes_file: Path = BUNDLED_PURPOSES_FILE
    max_content_length: int = 512 * 1024
    # The address people reach Pathways at, for links in mail: https://surveys.example.org
    public_url: str | None = None
    mail: MailSettings = field(default_factory=MailSettings)
    # Where Flask-Limiter counts: memory by default, redis://… shared by all workers.
    ratelimit_storage_uri: str = "memory://"
    # Off only for load tests from one address (bench/); never in production.
    ratelimit_enabled: bool = True
    # Proxies in front of the app (load balancer: 1) whose X-Forwarded-For/-Proto are
    # believed; with 0 anyone could claim any address and escape the rate limits.
    trusted_proxies: int = 0
    # The programme goals the dashboard measures against.
    target_participants: int = 150
    target_failure_rate: float = 0.05
    # The dashboard's smallest count shown: a cell under it is suppressed.
    dashboard_k: int = 5
    # Where long work from the admin area (exports, sends) is queued: None is a SQLite
    # file in the instance folder, for one host; redis://… is shared by workers on many
    # hosts; sqlite:///path a file of one's own; memory:// runs each job inside the
    # request that starts it (Huey's immediate mode: tests and debugging only).
    task_queue_url: str | None = None
    # The queue's name: installations sharing one Redis keep apart by it.
    task_queue_name: str = "pathways"
    # Where finished export bundles wait for their download; None: the instance folder's
    # `bundles`. Shared storage when workers and web servers are on several hosts.
    bundles_dir: Path | None = None
    # How long a finished bundle may be downloaded before it is deleted.
    bundle_hours: int = 24
    # A running job not heard of for this long (its worker died) may be retried.
    job_stale_minutes: int = 10
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
            income_groups_dir=(
                Path(env["INCOME_GROUPS_DIR"]) if env.get("INCOME_GROUPS_DIR") else BUNDLED_DATA_DIR
            ),
            export_purposes_file=(
                Path(env["EXPORT_PURPOSES_FILE"])
                if env.get("EXPORT_PURPOSES_FILE")
                else BUNDLED_PURPOSES_FILE
            ),
            public_url=env.get("PUBLIC_URL", "").strip().rstrip("/") or None,
            mail=_mail_from_env(env),
            ratelimit_storage_uri=(
                env.get("RATELIMIT_STORAGE_URI", "").strip() or cls.ratelimit_storage_uri
            ),
            ratelimit_enabled=_flag(env, "RATELIMIT_ENABLED", default=True),
            trusted_proxies=_whole_number(env, "TRUSTED_PROXIES", cls.trusted_proxies),
            target_participants=_whole_number(env, "TARGET_PARTICIPANTS", cls.target_participants),
            target_failure_rate=_share(env, "TARGET_FAILURE_RATE", cls.target_failure_rate),
            max_content_length=_whole_number(env, "MAX_CONTENT_LENGTH", cls.max_content_length),
            task_queue_url=env.get("TASK_QUEUE_URL", "").strip() or None,
            task_queue_name=env.get("TASK_QUEUE_NAME", "").strip() or cls.task_queue_name,
            bundles_dir=Path(env["BUNDLES_DIR"]) if env.get("BUNDLES_DIR") else None,
            bundle_hours=_whole_number(env, "BUNDLE_HOURS", cls.bundle_hours),
            job_stale_minutes=_whole_number(env, "JOB_STALE_MINUTES", cls.job_stale_minutes),
        )
        return config

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def link_base(self) -> str | None:
        """The start of links in mail; a guess is good enough only outside production."""
        if self.public_url:
            return self.public_url
        return None if self.is_production else "http://127.0.0.1:5000"

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
        if not self.income_groups_dir.is_dir():
            raise ConfigError(f"INCOME_GROUPS_DIR {str(self.income_groups_dir)!r} is not a folder.")
        if not self.export_purposes_file.is_file():
            raise ConfigError(
                f"EXPORT_PURPOSES_FILE {str(self.export_purposes_file)!r} is not a file."
            )
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise ConfigError(
                "PUBLIC_URL must start with https:// (or http://), like https://surveys.example.org."
            )
        if self.task_queue_url is not None and not self.task_queue_url.startswith(
            TASK_QUEUE_SCHEMES
        ):
            raise ConfigError(
                "TASK_QUEUE_URL must be a redis:// URL (like redis://127.0.0.1:6379/0), "
                "sqlite:///path/to/queue.db or memory://, not "
                f"{self.task_queue_url.split('@')[-1]!r}."
            )
        if not 1 <= self.bundle_hours <= 24 * 90:
            raise ConfigError(
                "BUNDLE_HOURS must be the hours a finished export may be downloaded, "
                f"between 1 and 2160, not {self.bundle_hours}."
            )
        if self.job_stale_minutes < 0:
            raise ConfigError(
                f"JOB_STALE_MINUTES must be 0 or more minutes, not {self.job_stale_minutes}."
            )
        if self.max_content_length < 1024:
            raise ConfigError("MAX_CONTENT_LENGTH must be at least 1024 bytes.")
        if self.trusted_proxies < 0:
            raise ConfigError(
                "TRUSTED_PROXIES must be the number of proxies in front of Pathways "
                f"(0 when none), not {self.trusted_proxies}."
            )


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
