"""Rate limits counted in Redis are shared by every worker (here: two app instances)."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from tests.conftest import REQUIRE_POSTGRES, config_for

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


# In CI (REQUIRE_POSTGRES) a skip fails the run, so Redis must be there.
pytestmark = pytest.mark.skipif(
    not redis_up() and not REQUIRE_POSTGRES, reason=f"no Redis at {REDIS_URL}"
)


def test_token_guessing_is_counted_across_workers_in_redis(app_factory, database):
    url, options = database
    prefix = f"pathways-test-{uuid.uuid4().hex}"
    workers = []
    for _ in range(2):
        config = config_for(url, options, RATELIMIT_KEY_PREFIX=prefix)
        config.ratelimit_storage_uri = REDIS_URL
        workers.append(app_factory(config).test_client())
    # An address of its own per run: the counters of an earlier run cannot interfere.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    guesser = {"REMOTE_ADDR": address}
    statuses = [
        workers[i % 2].get(f"/f/guess{i:040d}", environ_base=guesser).status_code for i in range(31)
    ]
    # 30 misses allowed per minute in all, not 30 per worker.
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
    store = redis.Redis.from_url(REDIS_URL)
    # (The key prefix is set by the first app in a process; the address is ours alone.)
    keys = store.keys(f"*/{address}/*")
    assert keys, "the limiter did not count in Redis"
    store.delete(*keys)
