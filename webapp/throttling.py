"""The password throttle this app uses: its store (the database, or Redis when ``REDIS_URL`` is set)
and its limits (settings), built once per app.

The policy itself is ``qaframework.throttle``; views call ``qaframework.operations.users``'
``throttled_sign_in`` and ``throttled_password_change`` with :func:`password_throttle` and
:func:`client_address`.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, request

from qaframework.throttle import (
    DatabaseThrottleStore,
    PasswordThrottle,
    RedisThrottleStore,
    ThrottleLimits,
    ThrottleStore,
)
from webapp.extensions import redis_client


def limits_from(config: dict[str, object]) -> ThrottleLimits:
    def number(name: str) -> float:
        return float(str(config[name]))

    return ThrottleLimits(
        per_ip=int(number("THROTTLE_PER_IP")),
        ip_window=timedelta(minutes=number("THROTTLE_IP_WINDOW_MINUTES")),
        free_tries=int(number("THROTTLE_FREE_TRIES")),
        max_delay=timedelta(minutes=number("THROTTLE_MAX_DELAY_MINUTES")),
        per_account=int(number("THROTTLE_PER_ACCOUNT")),
    )


def _store(app: Flask) -> ThrottleStore:
    client = redis_client(app)
    if client is not None:
        return RedisThrottleStore(client)
    return DatabaseThrottleStore(app.extensions["qa_session_factory"])


def init_app(app: Flask) -> None:
    """Build the throttle (after ``webapp.db``, whose session factory the database store uses)."""
    app.extensions["qa_password_throttle"] = PasswordThrottle(_store(app), limits_from(app.config))


def password_throttle() -> PasswordThrottle:
    throttle: PasswordThrottle = current_app.extensions["qa_password_throttle"]
    throttle.limits = limits_from(current_app.config)  # settings may change in tests; cheap to read
    return throttle


def client_address() -> str:
    """The client's IP address (behind a proxy, set PROXY_FIX_COUNT so it is not the proxy's)."""
    return request.remote_addr or "unknown"
