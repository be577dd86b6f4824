"""Public pages every user can reach without signing in: statements and the health check."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify, render_template

from qaframework.store.db import ping
from webapp.access import public
from webapp.db import db_session
from webapp.extensions import redis_client

bp = Blueprint("pages", __name__)


@bp.get("/accessibility")
@public
def accessibility_statement() -> str:
    """The accessibility statement the 2018 regulations require of a public sector service."""
    return render_template("pages/accessibility.html")


@bp.get("/cookies")
@public
def cookies() -> str:
    """Say which cookies the service sets; only the strictly necessary session cookie."""
    lifetime = current_app.permanent_session_lifetime
    return render_template(
        "pages/cookies.html",
        session_cookie_name=current_app.config["SESSION_COOKIE_NAME"],
        session_hours=int(lifetime.total_seconds() // 3600),
    )


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """Health check for load balancers and monitoring: can this worker reach the database and Redis?

    200 with ``"status": "ok"`` when both answer (Redis only if the installation has one); 503 with
    ``"status": "unavailable"`` and the part that failed otherwise. No login, no data, no cookie:
    the reason for a failure goes to the log, not the response.
    """
    checks = {"database": _check("database", lambda: ping(db_session()))}
    client = redis_client(current_app)
    if client is not None:
        checks["redis"] = _check("redis", client.ping)
    healthy = all(result == "ok" for result in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", checks=checks), 200 if healthy else 503


def _check(name: str, probe: Callable[[], object]) -> str:
    try:
        probe()
    except Exception:  # any failure means "not healthy"; the detail is for the log, not the caller
        current_app.logger.exception("Health check: %s unavailable", name)
        return "unavailable"
    return "ok"
