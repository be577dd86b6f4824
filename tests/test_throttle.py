"""The password throttle's policy and its shared stores (security review, findings 4 and 6).

The database store runs on SQLite and PostgreSQL with the rest of the suite; the Redis store runs
against the suite's throwaway ``redis-server`` (``redis_url`` in tests/conftest.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection

from qaframework.store import utcnow
from qaframework.throttle import (
    DatabaseThrottleStore,
    PasswordThrottle,
    RedisThrottleStore,
    ThrottleLimits,
    ThrottleStore,
)
from tests.support import savepoint_session

LIMITS = ThrottleLimits(per_ip=8, ip_window=timedelta(minutes=15), free_tries=3, first_delay=timedelta(seconds=30),
                        max_delay=timedelta(minutes=15), per_account=6, account_window=timedelta(hours=1))


@pytest.fixture(params=["database", "redis"])
def stores(request: pytest.FixtureRequest, connection: Connection) -> tuple[ThrottleStore, ThrottleStore]:
    """Two stores over the same storage, as two workers would have."""
    if request.param == "database":
        return (DatabaseThrottleStore(lambda: savepoint_session(connection)),
                DatabaseThrottleStore(lambda: savepoint_session(connection)))
    import redis

    url = request.getfixturevalue("redis_url")
    client = redis.Redis.from_url(url)
    client.flushall()
    return RedisThrottleStore(redis.Redis.from_url(url)), RedisThrottleStore(redis.Redis.from_url(url))


def test_backoff_per_account_and_address_doubles_and_is_shared_by_workers(
        stores: tuple[ThrottleStore, ThrottleStore]) -> None:
    worker_a, worker_b = PasswordThrottle(stores[0], LIMITS), PasswordThrottle(stores[1], LIMITS)
    now = utcnow()
    for n in range(LIMITS.free_tries):
        assert worker_a.check("jo@example.test", "10.0.0.1", now) is None
        (worker_a if n % 2 else worker_b).failed("jo@example.test", "10.0.0.1", now)
    refused = worker_b.check("JO@example.test ", "10.0.0.1", now)  # the same account, however typed
    assert refused is not None and refused.retry_after == 30
    assert refused.message == "Too many attempts. Wait 30 seconds, then try again."
    assert worker_a.check("jo@example.test", "10.0.0.9", now) is None  # the owner, elsewhere, is not slowed
    later = now + timedelta(seconds=30)
    assert worker_a.check("jo@example.test", "10.0.0.1", later) is None
    worker_a.failed("jo@example.test", "10.0.0.1", later)
    refused = worker_b.check("jo@example.test", "10.0.0.1", later)
    assert refused is not None and refused.retry_after == 60
    assert refused.message.endswith("Wait 1 minute, then try again.")
    worker_b.succeeded("jo@example.test", "10.0.0.1")
    assert worker_a.check("jo@example.test", "10.0.0.1", later) is None


def test_one_address_trying_many_emails_is_stopped(stores: tuple[ThrottleStore, ThrottleStore]) -> None:
    throttle = PasswordThrottle(stores[0], LIMITS)
    now = utcnow()
    for n in range(LIMITS.per_ip):
        assert throttle.check(f"person{n}@example.test", "10.0.0.1", now) is None
        throttle.failed(f"person{n}@example.test", "10.0.0.1", now + timedelta(seconds=n))
    refused = throttle.check("someone.new@example.test", "10.0.0.1", now + timedelta(minutes=5))
    assert refused is not None and refused.retry_after == 10 * 60
    assert throttle.check("someone.new@example.test", "10.0.0.2", now) is None
    assert throttle.check("someone.new@example.test", "10.0.0.1", now + timedelta(minutes=15)) is None


def test_guessing_one_account_from_many_addresses_is_slowed_everywhere(
        stores: tuple[ThrottleStore, ThrottleStore]) -> None:
    throttle = PasswordThrottle(stores[0], LIMITS)
    now = utcnow()
    for n in range(LIMITS.per_account):
        throttle.failed("jo@example.test", f"10.0.1.{n}", now)
    refused = throttle.check("jo@example.test", "10.0.2.1", now + timedelta(seconds=10))
    assert refused is not None and refused.retry_after == 20
    assert throttle.check("jo@example.test", "10.0.2.1", now + timedelta(seconds=30)) is None
    assert throttle.check("someone.else@example.test", "10.0.2.1", now) is None


def test_the_backoff_never_exceeds_its_cap(stores: tuple[ThrottleStore, ThrottleStore]) -> None:
    throttle = PasswordThrottle(stores[0], LIMITS)
    now = utcnow()
    for n in range(20):
        throttle.failed("jo@example.test", "10.0.0.1", now + timedelta(seconds=n))
    refused = throttle.check("jo@example.test", "10.0.0.1", now + timedelta(seconds=19))
    assert refused is not None and refused.retry_after == 15 * 60
