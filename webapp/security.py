"""Security headers set by hand on every response, as GOV.UK Notify does.

The app holds children's data, so pages are never cached, scripts run only from our own
origin or with this request's nonce, and nothing may frame the service.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request

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


def init_app(app: Flask) -> None:
    """Register the header hook and the `csp_nonce()` template global."""
    app.after_request(set_security_headers)
    app.add_template_global(csp_nonce, "csp_nonce")
