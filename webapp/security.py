"""Security headers set by hand on every response, as GOV.UK Notify does, and the checks every
request passes before any view sees it.

The app holds children's data, so pages are never cached, scripts run only from our own
origin or with this request's nonce, and nothing may frame the service. Malformed input is refused
here, once, rather than in each view: an id too big for the database is a 404 (the ``int`` URL
converter), a NUL character anywhere in the request is a 400 (PostgreSQL cannot store one).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from werkzeug.routing import IntegerConverter, Map

from qaframework.numbers import MAX_ID

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """Return this request's CSP nonce, creating it on first use.

    Lazy rather than set in `before_request` so that error pages rendered before (or instead of)
    the request hooks still get a nonce that matches the header.
    """
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    """Build the CSP: same-origin everything, inline scripts only with the nonce."""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        )
    )


def set_security_headers(response: Response) -> Response:
    """Add the security and caching headers to a response (an `after_request` hook)."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if not (current_app.debug or current_app.testing):
        headers["Strict-Transport-Security"] = HSTS

    if request.endpoint == "static" and response.status_code < 400:
        # Static files keep Flask's long max-age; their URLs carry a content hash (asset_url).
        return response
    # Pages and downloads may hold personal data about children: keep them out of every cache.
    headers["Cache-Control"] = "no-store"
    headers.pop("Expires", None)
    return response


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits only, and no bigger than any table's id can be.

    Werkzeug's own converter takes any length of ``\\d`` (which includes non-ASCII digits) and
    hands 2^63 to SQLite (OverflowError) or 2^31 to PostgreSQL (out of range): a 500 instead of
    the 404 an id that cannot exist deserves.
    """

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def _has_nul(values: Any) -> bool:
    """True if any key or value of a MultiDict holds a NUL character."""
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def refuse_nul_characters() -> None:
    """A ``before_request`` hook: 400 for a NUL in the path, query or form (names, values, filenames).

    No one types a NUL; PostgreSQL refuses to store or even compare one (a 500 on every text
    query, sign-in included), and SQLite would store it silently.
    """
    in_body = request.method in {"POST", "PUT", "PATCH"} and (
        _has_nul(request.form) or any("\x00" in (f.filename or "") for f in request.files.values())
    )
    if in_body or "\x00" in request.path or _has_nul(request.args):
        abort(400)


def init_app(app: Flask) -> None:
    """Register the id converter, the request checks, the header hook and the `csp_nonce()` global.

    Called before the extensions and blueprints: routes are compiled with the converter in place,
    and the NUL check runs before any other hook reads the request.
    """
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
    app.add_template_global(csp_nonce, "csp_nonce")
