"""GOV.UK-style error pages.

Each page says what happened and what the user can do next, in plain English. Rendering an
error page must not itself fail: if the layout cannot be rendered (say a context processor
needs a database that is down) a bare page is returned instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import Forbidden, HTTPException

from qaframework.operations.base import NotFound, OperationError, PermissionDenied
from qaframework.operations.blinding import BlindModeration
from qaframework.operations.submissions import AlreadySubmitted
from webapp.security import csp_nonce

# Headers of an HTTP exception worth passing on (e.g. Allow on a 405, Retry-After on a 429).
_KEPT_HEADERS = {"allow", "retry-after", "www-authenticate"}

_FALLBACK_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><a class="govuk-skip-link" href="#main-content">Skip to main content</a>
<main id="main-content"><h1>{title}</h1><p>Try again later.</p></main></body></html>
"""

_TEMPLATES = {
    400: "errors/400.html",
    403: "errors/403.html",
    404: "errors/404.html",
    405: "errors/405.html",
    429: "errors/429.html",
    500: "errors/500.html",
}


def _kept_headers(error: HTTPException) -> list[tuple[str, str]]:
    """Headers from the exception that still matter when we replace its body."""
    return [(k, v) for k, v in error.get_headers() if k.lower() in _KEPT_HEADERS]


def render_error(
    template: str,
    status: int,
    headers: Iterable[tuple[str, str]] = (),
    **context: Any,
) -> tuple[str, int, list[tuple[str, str]]]:
    """Render an error template, falling back to a bare page if the layout itself fails."""
    kept = list(headers)
    try:
        return render_template(template, **context), status, kept
    except Exception:
        current_app.logger.exception("Could not render error page %s", template)
        csp_nonce()  # keep the CSP header consistent even for the bare page
        title = "Sorry, there is a problem with the service"
        return _FALLBACK_PAGE.format(title=title), status, kept


def _user_facing_description(error: HTTPException) -> str | None:
    """The description passed to `abort()`, or None when it is Werkzeug's generic text."""
    description = error.description
    if isinstance(description, str) and description != type(error).description:
        return description
    return None


def _same_host_referrer() -> str | None:
    """The referring page if it is on this service, so "go back" never leaves the site."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.scheme in ("http", "https") and parts.netloc == request.host:
        return referrer
    return None


def handle_http_error(error: HTTPException) -> Any:
    """Render the page for a 4xx/5xx; any code without its own page gets the generic one."""
    if error.code is None or error.code < 400:
        return error
    template = _TEMPLATES.get(error.code, "errors/generic.html")
    context: dict[str, Any] = {"error": error}
    if isinstance(error, Forbidden):
        context["reason"] = _user_facing_description(error)
    return render_error(template, error.code, _kept_headers(error), **context)


def handle_csrf_error(error: CSRFError) -> Any:
    """Explain an expired or missing form token without blaming the user."""
    current_app.logger.info("CSRF failure on %s: %s", request.path, error.description)
    return render_error(
        "errors/csrf.html",
        400,
        back_url=_same_host_referrer(),
    )


def handle_server_error(error: HTTPException) -> Any:
    """500 page; Flask has already logged the original exception."""
    return render_error("errors/500.html", 500)


def handle_operation_error(error: OperationError) -> Any:
    """The library refused: permission → 403 with its reason, missing → 404, anything else → 400."""
    if isinstance(error, BlindModeration):
        return render_error("errors/403.html", 403, reason=error.message,
                            moderate_url=url_for("moderation.audit", audit_id=error.audit_id))
    if isinstance(error, PermissionDenied):
        return render_error("errors/403.html", 403, reason=error.message)
    if isinstance(error, NotFound):
        return render_error("errors/404.html", 404)
    return render_error("errors/generic.html", 400, error={"code": 400, "name": "Bad request"}, message=error.message)


#: Where to show what a create form made when the same form is sent again (``AlreadySubmitted``).
RESULT_PAGES = {
    "action": ("actions.show_action", "action_id"),
    "peer_challenge": ("peer.show_challenge", "challenge_id"),
    "audit": ("audits.show_audit", "audit_id"),
}


def handle_already_submitted(error: AlreadySubmitted) -> Any:
    """A create form sent twice: show what the first one made, and say that nothing was added."""
    flash("You already sent this form, so nothing was added again. This is what it saved.", "info")
    endpoint, argument = RESULT_PAGES.get(error.kind, ("home.index", ""))
    if error.entity_id is None or not argument:
        return redirect(url_for("home.index"), 303)
    values: dict[str, Any] = {argument: error.entity_id}
    return redirect(url_for(endpoint, **values), 303)


def handle_data_error(error: DataError) -> Any:
    """A value the database cannot hold (too long, out of range): the input's fault, so a 400.

    A safety net only: ids, numbers, NUL characters and field lengths are checked before they
    reach the database (``webapp.security``, ``qaframework.numbers``, the forms and operations).
    This catches what a new field forgets, with a warning in the log to fix it properly.
    """
    current_app.logger.warning("Database refused a value on %s %s: %s", request.method, request.path, error.orig)
    return render_error("errors/generic.html", 400, error={"code": 400, "name": "Bad request"},
                        message="Something you entered is too long or not allowed here. Check it and try again.")


def init_app(app: Flask) -> None:
    """Register the handlers; CSRFError is more specific than 400 so Flask prefers it."""
    app.register_error_handler(OperationError, handle_operation_error)
    app.register_error_handler(AlreadySubmitted, handle_already_submitted)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
