"""Flask extensions as module globals, bound to an app in `create_app`.

Module level so that views can use them (e.g. `login_manager` in webapp.auth) without importing the
app.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
# Off: Flask-Login's IP and user-agent check does nothing for permanent sessions (it only marks them
# "not fresh"). Sessions are checked on the server instead (webapp.auth, user_sessions), so signing
# out, timing out and "sign out everywhere" really end them.
login_manager.session_protection = None

#: A hung Redis must not hang requests: give up on it after this many seconds.
REDIS_TIMEOUT_SECONDS = 2


def redis_url(app: Flask) -> str | None:
    """``REDIS_URL`` (a setting, or the environment variable), or None without Redis."""
    url = app.config.get("REDIS_URL") or os.environ.get("REDIS_URL")
    return str(url) if url else None


def redis_client(app: Flask) -> Any | None:
    """The installation's Redis client, one per app (its connection pool is per process), or None."""
    if "qa_redis" not in app.extensions:
        url = redis_url(app)
        client = None
        if url:
            import redis  # only installations with Redis need the client

            client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                          socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        app.extensions["qa_redis"] = client
    return app.extensions["qa_redis"]
