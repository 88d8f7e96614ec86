"""Rate limits: misses never lock out a real link, attempts are counted before they are
checked (so sending in parallel gains nothing), visitors behind the load balancer are
counted by their own address, and counts in Redis are shared by every worker."""

from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.followups.links import new_link
from surveys.models import AuditEvent, Invitation
from tests.conftest import REQUIRE_POSTGRES, csrf_of
from tests.conftest import config_for as _config_for
from tests.test_followups import ALUMNI, PEOPLE, YEAR_AGO

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


# In CI (REQUIRE_POSTGRES) a skip fails the run, so Redis must be there.
needs_redis = pytest.mark.skipif(
    not redis_up() and not REQUIRE_POSTGRES, reason=f"no Redis at {REDIS_URL}"
)


def config_for(url: str, options: dict, **settings):
    """The test configuration with some of its fields set (trusted_proxies, …)."""
    config = _config_for(url, options)
    for name, value in settings.items():
        setattr(config, name, value)
    return config


def unique_address() -> str:
    """An address of its own per run: the counters of an earlier run cannot interfere."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250}"


@pytest.fixture
def link(app, runner, make_survey, tmp_path) -> str:
    """A personal link to a follow-up that is open now."""
    make_survey(ALUMNI)
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE)
    args = ["participants", "import", str(people), "--programme", "gsoc", "--term", "2025"]
    assert runner.invoke(args=[*args, "--term-end", YEAR_AGO.isoformat()]).exit_code == 0
    assert runner.invoke(args=["followups", "schedule"]).exit_code == 0
    with app.app_context():
        token = new_link(db.session.scalars(select(Invitation)).first())
        db.session.commit()
    return f"/f/{token}"


def misses(client, count: int, **environ) -> list[int]:
    return [client.get(f"/f/guess{i:040d}", environ_base=environ).status_code for i in range(count)]


def test_a_real_link_opens_from_an_address_that_missed_too_often(app, link):
    """An alumna who mistyped her link 31 times still gets in with the right one."""
    alumna = app.test_client()
    home = {"REMOTE_ADDR": "10.0.0.9"}
    assert misses(alumna, 31, **home) == [404] * 30 + [429]
    assert alumna.get(link, environ_base=home).status_code == 200
    assert alumna.get(f"{link}/opt-out", environ_base=home).status_code == 200


def test_behind_trusted_proxies_each_visitor_is_counted_by_their_own_address(
    app, app_factory, database, link
):
    balanced = app_factory(config_for(*database, trusted_proxies=1))
    balancer = "10.0.0.1"  # every request reaches Pathways from the load balancer
    guesser, visitor = balanced.test_client(), balanced.test_client()
    guessing = {"REMOTE_ADDR": balancer, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    visiting = {"REMOTE_ADDR": balancer, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert misses(guesser, 31, **guessing) == [404] * 30 + [429]
    # A mistyped link elsewhere is a plain 404, not the guesser's 429.
    assert misses(visitor, 1, **visiting) == [404]
    assert visitor.get(link, environ_base=visiting).status_code == 200


def test_forwarded_addresses_are_ignored_unless_proxies_are_trusted(app):
    """Without TRUSTED_PROXIES anyone could claim a new X-Forwarded-For per guess."""
    client = app.test_client()
    statuses = [
        client.get(
            f"/f/guess{i:040d}",
            environ_base={"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": f"192.0.2.{i}"},
        ).status_code
        for i in range(31)
    ]
    assert statuses == [404] * 30 + [429]


@pytest.mark.parametrize("storage", ["memory://", pytest.param(REDIS_URL, marks=needs_redis)])
def test_wrong_passwords_sent_in_parallel_are_refused(app, app_factory, database, staff, storage):
    """Sixty wrong passwords at once, as sixty browsers would send them: each is counted
    before its password is checked, so no more get through than one at a time would."""
    email = staff("admin")
    server = app_factory(
        config_for(
            *database,
            ratelimit_storage_uri=storage,
            extra={"RATELIMIT_KEY_PREFIX": f"pathways-test-{uuid.uuid4().hex}"},
        )
    )
    address = {"REMOTE_ADDR": unique_address()}
    browsers = [server.test_client() for _ in range(60)]
    tokens = [csrf_of(b.get("/admin/login", environ_base=address).text) for b in browsers]
    start = threading.Barrier(len(browsers))

    def attempt(i: int) -> int:
        start.wait()
        form = {"email": email, "password": f"guess {i}", "csrf_token": tokens[i]}
        return browsers[i].post("/admin/login", data=form, environ_base=address).status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        statuses = list(pool.map(attempt, range(len(browsers))))
    # 5 wrong passwords a minute per address and account; every other one is refused.
    assert sorted(set(statuses)) == [401, 429] and statuses.count(401) <= 5
    with server.app_context():
        failed = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "failed sign-in")
        )
    assert failed == statuses.count(401)
    if storage == REDIS_URL:
        store = redis.Redis.from_url(REDIS_URL)
        store.delete(*store.keys(f"*{address['REMOTE_ADDR']}*"))


@needs_redis
def test_token_guessing_is_counted_across_workers_in_redis(app_factory, database):
    prefix = f"pathways-test-{uuid.uuid4().hex}"
    workers = [
        app_factory(
            config_for(
                *database,
                ratelimit_storage_uri=REDIS_URL,
                extra={"RATELIMIT_KEY_PREFIX": prefix},
            )
        ).test_client()
        for _ in range(2)
    ]
    address = unique_address()
    guesser = {"REMOTE_ADDR": address}
    statuses = [
        workers[i % 2].get(f"/f/guess{i:040d}", environ_base=guesser).status_code for i in range(31)
    ]
    # 30 misses allowed per minute in all, not 30 per worker.
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
    store = redis.Redis.from_url(REDIS_URL)
    keys = store.keys(f"*/{address}/*")
    assert keys, "the limiter did not count in Redis"
    store.delete(*keys)
