"""Slowing down password guessing, shared by every worker, without letting a stranger lock anyone out.

Failed password checks (signing in, and the current password when changing it) are counted in a
:class:`ThrottleStore` that every worker shares: the database by default, Redis when the
installation has one. Three counters, each a fixed window that starts at its first failure:

- **per address** (``ip:``): failures from one IP address, whatever the email. Past
  ``per_ip`` failures in ``ip_window`` that address must wait for the window to end. This is what
  stops one machine trying many emails (the probe's 276 of 276).
- **per account and address** (``account-ip:``): after ``free_tries`` failures for one email from one
  address, each further try waits twice as long as the last (30 s, 1 min, 2 min … at most
  ``max_delay``). Only that address is slowed: the owner, elsewhere, is not.
- **per account** (``account:``): failures for one email from anywhere. Past ``per_account`` in
  ``account_window`` the same backoff applies to every address: guessing spread over many
  machines is slowed too, and it takes that many failures an hour to make the owner wait.

Nothing depends on whether the account exists: unknown emails are counted and answered exactly
like real ones, so the answers reveal nothing (the probe read 10 of 10 from "account locked").
A success clears that account's counters for that address.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from qaframework.operations.base import begin_writing
from qaframework.store import ThrottleCounter, utcnow

__all__ = [
    "Counter",
    "DatabaseThrottleStore",
    "PasswordThrottle",
    "RedisThrottleStore",
    "Refusal",
    "ThrottleLimits",
    "ThrottleStore",
]


@dataclass(frozen=True)
class Counter:
    """Failures counted under one key since ``first_at``; the last one at ``last_at``."""

    count: int
    first_at: datetime
    last_at: datetime


class ThrottleStore(Protocol):
    """Where failure counts live; shared by every worker of an installation."""

    def counters(self, keys: list[str], now: datetime) -> dict[str, Counter]:
        """The live counters among ``keys`` (expired ones are absent)."""

    def add(self, key: str, now: datetime, window: timedelta) -> Counter:
        """Count one failure under ``key``; a counter whose window has ended starts again at 1."""

    def clear(self, key: str) -> None:
        """Forget ``key`` (after a success)."""


@dataclass(frozen=True)
class ThrottleLimits:
    """The policy's numbers (settings; see docs/operations.md)."""

    per_ip: int = 50
    ip_window: timedelta = timedelta(minutes=15)
    free_tries: int = 5
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)
    per_account: int = 100
    account_window: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class Refusal:
    """Too many failures: try again after ``retry_after`` (the HTTP ``Retry-After``, whole seconds)."""

    retry_after: int

    @property
    def message(self) -> str:
        minutes = math.ceil(self.retry_after / 60)
        wait = f"{self.retry_after} seconds" if self.retry_after < 60 else (
            "1 minute" if minutes == 1 else f"{minutes} minutes")
        return f"Too many attempts. Wait {wait}, then try again."


def _backoff(failures: int, free: int, limits: ThrottleLimits) -> timedelta:
    """How long after the last failure the next try must wait: nothing for the first ``free``."""
    if failures < free:
        return timedelta(0)
    doublings = min(failures - free, 20)
    return min(limits.first_delay * (1 << doublings), limits.max_delay)


class PasswordThrottle:
    """The policy above, over any store. ``check`` before verifying a password; then ``failed`` or
    ``succeeded``."""

    def __init__(self, store: ThrottleStore, limits: ThrottleLimits | None = None) -> None:
        self.store = store
        self.limits = limits or ThrottleLimits()

    @staticmethod
    def _keys(email: str, ip: str) -> tuple[str, str, str]:
        email, ip = email.strip().lower()[:200], ip[:60]  # keys fit the 300-character column
        return f"ip:{ip}", f"account-ip:{email}|{ip}", f"account:{email}"

    def check(self, email: str, ip: str, now: datetime | None = None) -> Refusal | None:
        """None if a password may be tried now; otherwise how long to wait."""
        now = now or utcnow()
        ip_key, pair_key, account_key = self._keys(email, ip)
        found = self.store.counters([ip_key, pair_key, account_key], now)
        limits = self.limits
        waits: list[datetime] = []
        if (by_ip := found.get(ip_key)) and by_ip.count >= limits.per_ip:
            waits.append(by_ip.first_at + limits.ip_window)
        if pair := found.get(pair_key):
            waits.append(pair.last_at + _backoff(pair.count, limits.free_tries, limits))
        if (account := found.get(account_key)) and account.count >= limits.per_account:
            waits.append(account.last_at + _backoff(account.count, limits.per_account, limits))
        until = max(waits, default=now)
        if until <= now:
            return None
        return Refusal(retry_after=max(1, math.ceil((until - now).total_seconds())))

    def failed(self, email: str, ip: str, now: datetime | None = None) -> None:
        now = now or utcnow()
        ip_key, pair_key, account_key = self._keys(email, ip)
        self.store.add(ip_key, now, self.limits.ip_window)
        self.store.add(pair_key, now, self.limits.account_window)
        self.store.add(account_key, now, self.limits.account_window)

    def succeeded(self, email: str, ip: str) -> None:
        self.store.clear(self._keys(email, ip)[1])


class DatabaseThrottleStore:
    """Counters in the ``throttle_counters`` table: one atomic upsert per failure, so several workers
    (and several hosts on PostgreSQL) share exact counts. Each call commits on its own session, so a
    failure is counted even though the request that made it fails."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions

    def counters(self, keys: list[str], now: datetime) -> dict[str, Counter]:
        with self.sessions() as session:
            rows = session.scalars(
                select(ThrottleCounter).where(ThrottleCounter.key.in_(keys), ThrottleCounter.expires_at > now)
            )
            return {row.key: Counter(row.count, row.first_at, row.last_at) for row in rows}

    def add(self, key: str, now: datetime, window: timedelta) -> Counter:
        with self.sessions() as session:
            begin_writing(session)
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert(ThrottleCounter) if dialect == "postgresql" else sqlite_insert(ThrottleCounter)
            expired = ThrottleCounter.expires_at <= now
            upsert = insert.values(key=key, count=1, first_at=now, last_at=now, expires_at=now + window)
            upsert = upsert.on_conflict_do_update(
                index_elements=[ThrottleCounter.key],
                set_={
                    "count": case((expired, 1), else_=ThrottleCounter.count + 1),
                    "first_at": case((expired, now), else_=ThrottleCounter.first_at),
                    "expires_at": case((expired, now + window), else_=ThrottleCounter.expires_at),
                    "last_at": now,
                },
            )
            count, first_at, last_at = session.execute(
                upsert.returning(ThrottleCounter.count, ThrottleCounter.first_at, ThrottleCounter.last_at)
            ).one()
            session.execute(delete(ThrottleCounter).where(ThrottleCounter.expires_at < now - timedelta(days=1)))
            session.commit()
            return Counter(count, _aware(first_at), _aware(last_at))

    def clear(self, key: str) -> None:
        with self.sessions() as session:
            begin_writing(session)
            session.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))
            session.commit()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class RedisThrottleStore:
    """Counters in Redis (``REDIS_URL``): a hash per key that Redis expires with its window."""

    def __init__(self, client: Any, prefix: str = "qa:throttle:") -> None:
        self.client = client
        self.prefix = prefix

    def counters(self, keys: list[str], now: datetime) -> dict[str, Counter]:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(self.prefix + key)
        found: dict[str, Counter] = {}
        for key, values in zip(keys, pipe.execute(), strict=True):
            if values:
                found[key] = _counter_from(values)
        return found

    def add(self, key: str, now: datetime, window: timedelta) -> Counter:
        name = self.prefix + key
        stamp = repr(now.timestamp())
        pipe = self.client.pipeline(transaction=True)
        pipe.hincrby(name, "count", 1)
        pipe.hsetnx(name, "first_at", stamp)
        pipe.hset(name, "last_at", stamp)
        pipe.expire(name, max(1, math.ceil(window.total_seconds())), nx=True)
        pipe.hgetall(name)
        return _counter_from(pipe.execute()[-1])

    def clear(self, key: str) -> None:
        self.client.delete(self.prefix + key)


def _counter_from(values: dict[Any, Any]) -> Counter:
    def get(name: str) -> str:
        value = values.get(name, values.get(name.encode()))
        return value.decode() if isinstance(value, bytes) else str(value)

    return Counter(
        int(get("count")),
        datetime.fromtimestamp(float(get("first_at")), UTC),
        datetime.fromtimestamp(float(get("last_at")), UTC),
    )
