"""Start-up benchmark: how long a `flask` command takes that needs no pandas, on an empty
database, beside a bare import of the stack it is built on, measured in the same run.

    python -m bench.startup [--repeat 7]

The baseline is `python -c "import flask, sqlalchemy, flask_sqlalchemy, flask_wtf,
flask_babel, flask_login, flask_limiter"`: what any app on this stack pays before it does
anything. Runs are interleaved (baseline, command, baseline, …) so that a busy moment of
this shared machine falls on both; the median of each is reported. Prints a table and
returns its lines.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from .servers import BIN, ROOT, app_env, database

BARE = (
    "import flask, sqlalchemy, flask_sqlalchemy, flask_wtf, flask_babel, flask_login, flask_limiter"
)
# From issue 19: a command that needs no pandas finishes within 1.3× the bare imports.
TARGET_RATIO = 1.3
COMMANDS = {
    "surveys list": ["surveys", "list"],
    "followups send --dry-run": ["followups", "send", "--dry-run"],
}


def _seconds(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[-3:])} failed: {done.stderr[-800:]}")
    return seconds


def measure(repeat: int = 7) -> list[tuple[str, float, float, float]]:
    """Rows (command, its median seconds, the bare imports' median seconds, ratio)."""
    rows = []
    with database("sqlite") as url:
        env = app_env(url)
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        # An empty database: the tables, no survey loaded.
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
        bare = [sys.executable, "-c", BARE]
        # One run of each first, unmeasured: bytecode written, files in the page cache.
        for args in [bare, *([*flask, *a] for a in COMMANDS.values())]:
            _seconds(args, env)
        for name, args in COMMANDS.items():
            ours, theirs = [], []
            for _ in range(repeat):
                theirs.append(_seconds(bare, env))
                ours.append(_seconds([*flask, *args], env))
            command, baseline = statistics.median(ours), statistics.median(theirs)
            rows.append((name, command, baseline, command / baseline))
    return rows


def table(rows: list[tuple[str, float, float, float]]) -> list[str]:
    lines = [
        "| command | seconds | bare imports s | ratio | target |",
        "|---|---|---|---|---|",
    ]
    for name, command, baseline, ratio in rows:
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        lines.append(
            f"| `flask {name}` | {command:.2f} | {baseline:.2f} | {ratio:.2f}× | "
            f"≤ {TARGET_RATIO}×: {verdict} |"
        )
    return lines


def section(rows: list[tuple[str, float, float, float]], repeat: int) -> list[str]:
    """The part of bench/results.md about start-up."""
    return [
        "## Command start-up (SQLite, empty database)",
        f"Each a process of its own, the median of {repeat} runs interleaved with the "
        "baseline: a bare `python -c` import of flask, sqlalchemy, flask_sqlalchemy, "
        "flask_wtf, flask_babel, flask_login and flask_limiter.",
        "\n".join(table(rows)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    print("\n".join(table(measure(args.repeat))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
