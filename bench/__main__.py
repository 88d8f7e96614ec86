"""`make bench`: the load and fault checks, the submission benchmark, then the commands'
start-up; writes bench/results.md.

    python -m bench [--clients 50] [--surveys 1000] [--bench-clients 20] [--bench-surveys 300]

Exits 1 when a check fails (a submission lost or stored twice, no friendly 503, no
recovery). A benchmark below its target is reported in the table and results.md, not as a
failure: speed on a shared machine is a figure to watch, not a pass/fail gate.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from . import faults, load, startup, submission

RESULTS = Path(__file__).parent / "results.md"


def machine() -> list[str]:
    """Enough about the machine to tell whether two results files can be compared."""
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    return [
        f"- machine: `{uname}`",
        f"- cores: {os.cpu_count()}; load average at the end: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        f"- Python {platform.python_version()}, gunicorn {version('gunicorn')} "
        f"(2 sync workers), Flask {version('flask')}, SQLAlchemy {version('sqlalchemy')}",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    ]


def run_checks(args: argparse.Namespace, lines: list[str]) -> dict[str, list[str]]:
    """The Trust checks; each one's problems (none: passed), its figures logged in `lines`."""

    def log(line: str) -> None:
        print(line, flush=True)
        lines.append(f"- {line}")

    return {
        "load": load.check_load("postgresql", args.clients, args.surveys, log=log),
        "kill": faults.check_kill(args.clients, args.surveys, log=log),
        "outage": faults.check_outage(log=log),
    }


def results_text(checks, check_lines, figures, page, problems, args, started) -> str:
    verdicts = [
        f"- {name}: {'passed' if not found else 'FAILED: ' + '; '.join(found[:5])}"
        for name, found in checks.items()
    ]
    sections = [
        "# Pathways benchmarks",
        "Written by `make bench` (`python -m bench`); figures from one run, on loopback.",
        "## Machine",
        *machine(),
        f"## Load and faults (PostgreSQL, {args.clients} clients, {args.surveys} surveys)",
        *check_lines,
        *verdicts,
        f"## Submissions ({args.bench_clients} clients, {args.bench_surveys} complete intakes;"
        f" the baseline {submission.BASELINE_TIMES}× as many one-POST submissions)",
        "A Pathways submission is the whole intake as a browser sends it: the first GET, "
        "then for each of the 5 pages a POST and the GET it redirects to. Latency is the "
        "time of that whole submission; requests/s counts every HTTP request.",
        submission.table(figures),
        f"Ratios to the baseline, and the target (per HTTP request ≥ {submission.TARGET_RATIO}"
        " of the baseline's rate):",
        *submission.ratio_lines(figures),
        *([f"- stored check FAILED: {p}" for p in problems[:5]] or ["- stored check: passed"]),
        "## Page",
        *(submission.page_lines(page) if page else ["- not measured"]),
        *startup.section(started, args.startup_repeat),
    ]
    return "\n\n".join(_join_lists(sections)) + "\n"


def _join_lists(sections: list[str]) -> list[str]:
    """Consecutive list items stay one Markdown list (no blank line between them)."""
    joined: list[str] = []
    for section in sections:
        if section.startswith("- ") and joined and joined[-1].startswith("- "):
            joined[-1] += "\n" + section
        else:
            joined.append(section)
    return joined


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--surveys", type=int, default=1000)
    parser.add_argument("--bench-clients", type=int, default=20)
    parser.add_argument("--bench-surveys", type=int, default=300)
    parser.add_argument("--startup-repeat", type=int, default=7)
    args = parser.parse_args(argv)
    check_lines: list[str] = []
    checks = run_checks(args, check_lines)
    figures, page, problems = submission.benchmark(
        ["sqlite", "postgresql"], args.bench_clients, args.bench_surveys
    )
    started = startup.measure(args.startup_repeat)
    text = results_text(checks, check_lines, figures, page, problems, args, started)
    RESULTS.write_text(text)
    print()
    print(submission.table(figures))
    print(
        "\n".join(submission.ratio_lines(figures) + (submission.page_lines(page) if page else []))
    )
    print("\n".join(startup.table(started)))
    failed = [name for name, found in checks.items() if found] + (["stored"] if problems else [])
    for name, found in checks.items():
        print(f"{name}: " + ("passed" if not found else "FAILED\n  " + "\n  ".join(found[:20])))
    print(f"wrote {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
