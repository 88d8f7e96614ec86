"""Load: N concurrent browsers complete the intake against gunicorn; every acknowledged
submission must be stored exactly once.

    python -m bench.load [--clients 50] [--surveys 1000] [--database postgresql|sqlite]

Exits 1 when a submission was lost, stored twice, stored with other answers, or when a
healthy server failed a request.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

from .browser import Browser, Submission, expected_answers, fill_intake
from .servers import SECRET_KEY, database, prepare, serving


@dataclass
class LoadRun:
    """What the browsers saw: one Submission per survey started, and the wall time."""

    submissions: list[Submission] = field(default_factory=list)
    seconds: float = 0.0
    # Requests repeated after a dropped connection or a 5xx (only when retrying is allowed).
    retries: int = 0
    requests: int = 0

    @property
    def acknowledged(self) -> list[Submission]:
        return [s for s in self.submissions if s.acknowledged]

    @property
    def failed(self) -> list[Submission]:
        return [s for s in self.submissions if not s.acknowledged]

    @property
    def rate(self) -> float:
        return len(self.acknowledged) / self.seconds if self.seconds else 0.0


def run_load(
    base_url: str,
    clients: int,
    surveys: int,
    retry_for: float = 0.0,
    fill: Callable[[Browser, int], Submission] | None = None,
) -> LoadRun:
    """`clients` threads share `surveys` numbered surveys, each filled in a fresh session.

    Threads, not processes: the work is the server's, the client only waits on sockets.
    """
    fill = fill or (lambda browser, number: fill_intake(browser, number, SECRET_KEY))
    numbers: Iterator[int] = iter(range(surveys))
    lock = threading.Lock()
    run = LoadRun()

    def client() -> None:
        browser = Browser(base_url, retry_for=retry_for)
        try:
            while True:
                with lock:
                    number = next(numbers, None)
                if number is None:
                    return
                submission = fill(browser, number)
                with lock:
                    run.submissions.append(submission)
        finally:
            browser.close()
            with lock:
                run.retries += browser.retries
                run.requests += browser.requests

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - started
    run.submissions.sort(key=lambda s: s.number)
    return run


def stored_problems(database_url: str, run: LoadRun) -> list[str]:
    """Every acknowledged submission stored once with its answers; nothing stored twice
    nor from nowhere. An unacknowledged one may or may not be there (the reply was lost)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT submission_key, answers FROM responses"))
            stored: dict[str, list] = {}
            for key, answers in rows:
                stored.setdefault(key, []).append(answers)
    finally:
        engine.dispose()
    problems = []
    by_key = {s.key: s for s in run.submissions if s.key}
    for submission in run.acknowledged:
        copies = stored.get(submission.key, [])
        if len(copies) != 1:
            problems.append(f"survey {submission.number}: acknowledged, stored {len(copies)}×")
        elif _decoded(copies[0]) != expected_answers(submission.number):
            problems.append(f"survey {submission.number}: stored with other answers")
    for key, copies in stored.items():
        if key not in by_key:
            problems.append(f"a response no browser started is stored {len(copies)}×")
        elif len(copies) > 1 and not by_key[key].acknowledged:
            problems.append(f"survey {by_key[key].number}: stored {len(copies)}×")
    return problems


def _decoded(answers) -> dict:
    """SQLite hands JSON back as text through a plain query, PostgreSQL as a dict."""
    import json

    return json.loads(answers) if isinstance(answers, str) else answers


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0 for no values, so an empty run still prints."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(run: LoadRun) -> str:
    seconds = [s.seconds for s in run.acknowledged]
    median = statistics.median(seconds) if seconds else 0.0
    return (
        f"{len(run.acknowledged)}/{len(run.submissions)} acknowledged in {run.seconds:.1f} s "
        f"({run.rate:.1f}/s), per survey p50 {median * 1000:.0f} ms, "
        f"p95 {percentile(seconds, 0.95) * 1000:.0f} ms, {run.retries} requests retried"
    )


def check_load(kind: str, clients: int, surveys: int, log=print) -> list[str]:
    """The whole check on a fresh database; returns the problems found (none: passed)."""
    with database(kind) as url:
        prepare(url)
        with serving(url) as server:
            run = run_load(server.url, clients, surveys)
        log(f"load ({kind}, {clients} clients): {summary(run)}")
        problems = stored_problems(url, run)
    problems += [f"survey {s.number} failed: {s.error}" for s in run.failed[:10]]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--surveys", type=int, default=1000)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args(argv)
    problems = check_load(args.database, args.clients, args.surveys)
    for problem in itertools.islice(problems, 20):
        print(f"  FAIL {problem}")
    print("load: FAILED" if problems else "load: passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
