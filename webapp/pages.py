"""Public pages every user can reach without signing in: statements and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template

from webapp.access import public

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
def healthz() -> Response:
    """Liveness probe for load balancers; says nothing about the installation."""
    return jsonify(status="ok")
