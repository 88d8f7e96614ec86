"""Databases and gunicorn servers for the bench scripts, always cleaned up afterwards.

Each run gets its own database (a SQLite file in a temporary folder, or a PostgreSQL
database named after the process) so runs never see each other's rows, and each server
binds 127.0.0.1 on a free port in a process group of its own, so it can be killed whole
(master and workers) without touching anything else on the machine.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET_KEY = "bench-secret-key-not-for-production-use"
ADMIN_POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class BenchError(Exception):
    """A server or database the bench needs could not be set up; the message says which."""


def free_port() -> int:
    """A port nothing listens on now; the kernel picks it so parallel runs do not collide."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _psycopg_dsn(url: str) -> str:
    """psycopg wants postgresql://, SQLAlchemy's URL names the driver."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def postgres_database(name: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database for one run; yields its SQLAlchemy URL, drops it after."""
    import psycopg

    name = name or f"pathways_bench_{os.getpid()}"
    admin = _psycopg_dsn(ADMIN_POSTGRES_URL)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    base, _, _ = ADMIN_POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    """A SQLite file in a temporary folder; yields its URL, removes the folder after."""
    with tempfile.TemporaryDirectory(prefix="pathways-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    """`sqlite` or `postgresql`: the URL of an empty database of that kind."""
    manager = sqlite_database() if kind == "sqlite" else postgres_database()
    with manager as url:
        yield url


def app_env(database_url: str) -> dict[str, str]:
    """The environment a production server gets: its own database and a fixed secret key."""
    env = dict(os.environ)
    # A deployment keeps compiled bytecode; these machines set PYTHONDONTWRITEBYTECODE,
    # which would make every measured process compile all of Pathways again (the
    # baselines' libraries are compiled at install either way).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        PATHWAYS_ENV="production",
        PYTHONUNBUFFERED="1",
        # Every load client comes from 127.0.0.1: the per-address limits would measure
        # themselves, not the app.
        RATELIMIT_ENABLED="false",
    )
    return env


def prepare(database_url: str) -> None:
    """Create the tables and load the bundled surveys, as an operator would."""
    for args in (["db", "upgrade"], ["surveys", "load"]):
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=app_env(database_url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise BenchError(f"flask {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")


def _temporary_file(prefix: str, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    os.close(handle)
    return Path(name)


@dataclass
class Gunicorn:
    """A gunicorn serving `app` (wsgi:app or the baseline) on 127.0.0.1:port."""

    database_url: str
    app: str = "wsgi:app"
    workers: int = 2
    port: int = field(default_factory=free_port)
    log_path: Path = field(default_factory=lambda: _temporary_file("gunicorn-", ".log"))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_for: str = "/healthz", timeout: float = 60) -> None:
        """Start and wait until `wait_for` answers at all (any status: the database may be
        down on purpose)."""
        command = [
            str(BIN / "gunicorn"),
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            self.app,
        ]
        log = self.log_path.open("ab")
        try:
            # A session of its own: SIGKILL to the group reaches master and workers only.
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=app_env(self.database_url),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        self._wait_until_answering(wait_for, timeout)

    def _wait_until_answering(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited at start:\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                try:
                    connection.request("GET", path)
                    connection.getresponse().read()
                    return
                finally:
                    connection.close()
            time.sleep(0.1)
        raise BenchError(f"gunicorn did not answer {path} within {timeout:.0f} s")

    def kill(self) -> None:
        """SIGKILL to master and workers at once: a crash, no chance to finish anything."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """A graceful stop, and a kill when it takes too long; safe to call twice."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            self.log_path.unlink()


@contextlib.contextmanager
def serving(database_url: str, app: str = "wsgi:app", workers: int = 2) -> Iterator[Gunicorn]:
    """A started gunicorn, stopped and its log removed whatever happens."""
    with Gunicorn(database_url, app=app, workers=workers) as server:
        server.start()
        yield server
