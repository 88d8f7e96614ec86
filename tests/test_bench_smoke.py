"""The bench scripts on a tiny size, so they cannot rot: real gunicorn servers on SQLite,
a few browsers completing the intake, the stored check, the baseline and the proxy.
Nothing here asserts on speed."""

from __future__ import annotations

import socket

import pytest

from bench import submission
from bench.faults import TcpProxy
from bench.load import run_load, stored_problems
from bench.servers import SECRET_KEY, database, serving
from surveys import Config, create_app
from surveys.extensions import db
from tests.conftest import REQUIRE_POSTGRES

# Real gunicorn servers and load runs: seconds each.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench_database():
    """A SQLite database with the bundled surveys, made with the same two commands as
    bench.servers.prepare but in this process (two fresh interpreters cost seconds)."""
    with database("sqlite") as url:
        app = create_app(Config(environment="production", database_url=url, secret_key=SECRET_KEY))
        runner = app.test_cli_runner()
        for args in (["db", "upgrade"], ["surveys", "load"]):
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
        with app.app_context():
            db.engine.dispose()
        yield url


@pytest.fixture(scope="module")
def pathways(bench_database):
    """Pathways under gunicorn; one worker, because starting each costs a second or two."""
    with serving(bench_database, workers=1) as server:
        yield server


def test_browsers_complete_the_intake_and_each_is_stored_once(bench_database, pathways):
    run = run_load(pathways.url, clients=3, surveys=6)
    assert [s.error for s in run.failed] == []
    assert len(run.acknowledged) == 6
    assert len({s.key for s in run.acknowledged}) == 6
    assert stored_problems(bench_database, run) == []


def test_the_baseline_and_the_page_figures_can_be_measured(bench_database, pathways):
    baseline = submission.measure_baseline("sqlite", bench_database, clients=2, surveys=2)
    page = submission.measure_page(pathways, repeats=1)
    assert baseline.submissions == 2 * submission.BASELINE_TIMES and baseline.failed == 0
    assert page.requests >= 2 and set(page.render_ms) == {1, 2, 3, 4, 5}
    assert "| sqlite | baseline |" in submission.table([baseline])


def test_the_proxy_relays_and_can_be_cut_and_restored():
    with socket.create_server(("127.0.0.1", 0)) as echo:
        proxy = TcpProxy(echo.getsockname())
        with proxy:
            for _ in range(2):
                with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as client:
                    server_side, _ = echo.accept()
                    with server_side:
                        client.sendall(b"ping")
                        assert server_side.recv(4) == b"ping"
                proxy.stop()
                try:
                    socket.create_connection(("127.0.0.1", proxy.port), timeout=2).close()
                    refused = False
                except OSError:
                    refused = True
                assert refused
                proxy.start()


def postgres_up() -> bool:
    import psycopg

    from bench.servers import ADMIN_POSTGRES_URL

    try:
        psycopg.connect(ADMIN_POSTGRES_URL.replace("+psycopg", ""), connect_timeout=2).close()
        return True
    except psycopg.Error:
        return False


# These two need PostgreSQL; in CI (REQUIRE_POSTGRES) a skip fails the run.
needs_postgres = pytest.mark.skipif(
    not REQUIRE_POSTGRES and not postgres_up(), reason="no PostgreSQL for the fault checks"
)


@needs_postgres
def test_a_server_killed_mid_load_loses_nothing_and_doubles_nothing():
    """The crash check of `make bench`, small: SIGKILL gunicorn on PostgreSQL mid-run."""
    from bench import faults

    assert faults.check_kill(clients=4, surveys=16, log=lambda *a: None) == []


@needs_postgres
def test_a_database_outage_answers_503_and_recovers_by_itself():
    """The outage check of `make bench`: friendly 503 while down, 200 again without restart."""
    from bench import faults

    assert faults.check_outage(log=lambda *a: None) == []


def test_the_export_benchmark_measures_both_sides():
    """`bench.export` on a tiny database: both commands run and are measured."""
    from bench import export

    rows = export.measure(300, ["csv"], log=lambda *a: None, repeat=1)
    assert len(rows) == 1
    size, fmt, export_seconds, export_mb, raw_seconds, raw_mb, ratio = rows[0]
    assert (size, fmt) == (300, "csv") and export_seconds > 0 and raw_seconds > 0
    assert export_mb > 0 and raw_mb > 0 and ratio > 0


def test_the_anonymisation_benchmark_times_the_search_and_counts_its_nodes():
    """`bench.anonymisation` on a tiny database, without ANJANA (its own virtualenv): the
    export is checked from outside and the search alone is timed beside its nodes."""
    from bench import anonymisation

    row = anonymisation.measure(150, 5, log=lambda *a: None, repeat=1, anjana=False)
    search = row["search"]
    assert search["counted"] == row["ours"]["nodes"] > 0 and search["seconds"] > 0
    if anonymisation.CHECK_BUNDLE.exists():  # the workplace's tool, outside the repository
        assert "0 people in classes smaller than 5" in row["ours"]["check"]
    else:
        assert row["ours"]["check"].startswith("not counted")
    assert f"| {row['people']} | {search['counted']} ({search['counted']}) |" in "\n".join(
        anonymisation.search_table([row])
    )


def test_the_startup_benchmark_measures_commands_beside_the_bare_imports():
    """`bench.startup`: each command and the bare imports measured, with their ratio."""
    from bench import startup

    rows = startup.measure(repeat=1)
    assert [row[0] for row in rows] == list(startup.COMMANDS)
    for _name, command, baseline, ratio in rows:
        assert command > 0 and baseline > 0 and ratio == command / baseline
    assert "≤ 1.3×" in "\n".join(startup.table(rows))
