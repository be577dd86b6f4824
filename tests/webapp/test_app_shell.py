"""The app shell: configuration, security headers, the layout, public pages and error pages."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask, abort, flash, render_template_string
from flask.testing import FlaskClient

from tests.webapp.pagecheck import check_page, csp_nonce_of
from webapp import create_app
from webapp.access import public
from webapp.config import SECRET_KEY_FILENAME

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "webapp" / "static" / "govuk"
SERVICE = "EHC plan quality assurance"
STRONG_KEY = "5f0c2b9e8d7a6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5"


def _h1(soup: BeautifulSoup) -> str:
    return soup.select_one("h1").get_text(" ", strip=True)


def _title(soup: BeautifulSoup) -> str:
    return soup.select_one("title").get_text(strip=True)


# --- security headers -------------------------------------------------------------------


def test_security_headers_and_nonce_match_inline_scripts(client: FlaskClient) -> None:
    response = client.get("/accessibility")
    soup = check_page(response)
    csp = response.headers["Content-Security-Policy"]
    nonce = csp_nonce_of(response)
    assert nonce and len(nonce) >= 16
    for directive in (
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    inline = [s for s in soup.find_all("script") if not s.get("src")]
    assert len(inline) == 2  # js-enabled class + initAll()
    assert all(s["nonce"] == nonce for s in inline)
    assert "initAll()" in (inline[-1].string or "")

    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # testing: no HSTS


def test_nonce_is_fresh_for_every_request(client: FlaskClient) -> None:
    nonces = {csp_nonce_of(client.get("/cookies")) for _ in range(3)}
    assert len(nonces) == 3


def test_production_app_sends_hsts_and_secure_cookies(instance_path: Path) -> None:
    app = create_app({"SECRET_KEY": STRONG_KEY})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600
    response = app.test_client().get("/healthz", base_url="https://qa.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_testing_app_relaxes_only_the_secure_flag(app: Flask) -> None:
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["WTF_CSRF_ENABLED"] is True  # on in tests too: the test client signs tokens
    assert create_app({"SECRET_KEY": "x", "TESTING": True}).config["WTF_CSRF_ENABLED"] is True


# --- configuration ------------------------------------------------------------------------


def test_secret_key_is_generated_once_and_kept_private(instance_path: Path) -> None:
    first = create_app({"TESTING": True})
    key_file = instance_path / SECRET_KEY_FILENAME
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) == 64

    second = create_app({"TESTING": True})
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert [p.name for p in instance_path.iterdir()] == [SECRET_KEY_FILENAME]  # no temp files


def test_configured_secret_key_is_not_written_to_disk(instance_path: Path) -> None:
    create_app({"TESTING": True, "SECRET_KEY": "configured"})
    assert not (instance_path / SECRET_KEY_FILENAME).exists()


def test_config_precedence(instance_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    instance_path.mkdir(parents=True)
    (instance_path / "config.py").write_text(
        'SERVICE_NAME = "From instance"\nORGANISATION_NAME = "Anytown Council"\n'
        'ACCESSIBILITY_STATEMENT_DATE = "1 April 2027"\n'
    )
    monkeypatch.setenv("QA_ORGANISATION_NAME", "Env Council")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "ACCESSIBILITY_STATEMENT_DATE": "2 May 2027"})
    assert app.instance_path == str(instance_path)
    assert app.config["SERVICE_NAME"] == "From instance"
    assert app.config["ORGANISATION_NAME"] == "Env Council"
    assert app.config["ACCESSIBILITY_STATEMENT_DATE"] == "2 May 2027"

    soup = check_page(app.test_client().get("/accessibility"))
    text = soup.get_text(" ", strip=True)
    assert "prepared on 2 May 2027" in text
    assert "run by Env Council" in text
    assert _title(soup) == "Accessibility statement – From instance"


def test_proxy_fix_trusts_only_the_configured_proxies(instance_path: Path) -> None:
    def remote(app: Flask) -> str:
        from flask import request

        app.add_url_rule("/test-remote", "remote", public(lambda: f"{request.remote_addr} {request.scheme}"))
        headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        return app.test_client().get("/test-remote", headers=headers).get_data(as_text=True)

    assert remote(create_app({"TESTING": True, "SECRET_KEY": "x"})) == "127.0.0.1 http"
    assert remote(create_app({"TESTING": True, "SECRET_KEY": "x", "PROXY_FIX_COUNT": 1})) == "203.0.113.9 https"


# --- public pages ---------------------------------------------------------------------------


def test_accessibility_statement(client: FlaskClient) -> None:
    soup = check_page(client.get("/accessibility"))
    assert _title(soup) == f"Accessibility statement – {SERVICE}"
    assert _h1(soup) == f"Accessibility statement for {SERVICE}"
    text = soup.get_text(" ", strip=True)
    for expected in (
        "version 2.2",
        "axe-core",
        "keyboard only",
        "Reporting accessibility problems with this service",
        "Equality and Human Rights Commission",
        "Equality Advisory and Support Service",
        "prepared on 22 November 2026",
    ):
        assert expected in text


def test_accessibility_statement_names_the_contact_email(instance_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "CONTACT_EMAIL": "send.qa@anytown.example"})
    soup = check_page(app.test_client().get("/accessibility"))
    assert soup.select('a[href="mailto:send.qa@anytown.example"]')


def test_cookies_page_lists_only_the_session_cookie(client: FlaskClient) -> None:
    soup = check_page(client.get("/cookies"))
    assert _h1(soup) == "Cookies"
    rows = soup.select("tbody tr")
    assert len(rows) == 1
    assert rows[0].find("th").get_text(strip=True) == "qa_session"
    assert "after 8 hours" in rows[0].get_text()


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json and response.get_json() == {"status": "ok", "checks": {"database": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # no session started for a probe


def test_healthz_is_503_naming_the_part_that_is_down(instance_path: Path, tmp_path: Path) -> None:
    """A database that cannot be opened and a Redis that refuses connections: 503, each named, and
    nothing about why (that is in the log)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'no-such-folder' / 'qa.sqlite'}",
                      "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "unavailable",
                                                                       "redis": "unavailable"}}


def test_layout_is_council_neutral_with_footer_links(client: FlaskClient) -> None:
    soup = check_page(client.get("/cookies"))
    header = soup.select_one("header.govuk-template__header")
    assert header.select_one(".govuk-generic-header__homepage-link").get_text(strip=True) == SERVICE
    assert header.select_one(".govuk-generic-header__homepage-link")["href"] == "/"
    assert not soup.select(".govuk-header, .govuk-logo, .govuk-footer__crown")
    assert "Crown copyright" not in soup.get_text()
    assert "Beta" in header.select_one(".govuk-phase-banner").get_text()
    assert not soup.select(".govuk-service-navigation")  # no nav_items: nothing rendered
    footer_links = {a.get_text(strip=True): a["href"] for a in soup.select("footer a")}
    assert footer_links == {"Accessibility statement": "/accessibility", "Cookies": "/cookies"}
    stylesheet = soup.select_one('link[rel="stylesheet"]')["href"]
    assert stylesheet.startswith("/static/govuk/app.min.css")


def test_navigation_and_flash_banners(app: Flask) -> None:
    @app.get("/test-nav")
    @public
    def nav_page() -> str:
        flash("Audit submitted", "success")
        flash("Something to know")
        return render_template_string(
            '{% extends "base.html" %}{% set page_title = "Dashboard" %}'
            '{% block content %}<h1 class="govuk-heading-l">Dashboard</h1>{% endblock %}',
            nav_items=[{"href": "/audits", "text": "Audits", "current": True}, {"href": "/x", "text": "X"}],
        )

    soup = check_page(app.test_client().get("/test-nav"))
    nav = soup.select_one(".govuk-service-navigation")
    assert [a.get_text(strip=True) for a in nav.select("a")] == ["Audits", "X"]
    assert nav.select_one('a[aria-current="page"]').get_text(strip=True) == "Audits"
    banners = soup.select(".govuk-notification-banner")
    assert len(banners) == 2  # and check_page has confirmed their title ids are unique
    assert "govuk-notification-banner--success" in banners[0]["class"]
    assert "govuk-notification-banner--success" not in banners[1]["class"]
    assert banners[1].get_text(" ", strip=True).startswith("Important")


def test_error_title_convention(app: Flask) -> None:
    page = (
        '{% extends "base.html" %}{% set page_title = "Start an audit" %}'
        "{% set has_errors = show %}"
        '{% from "govuk_frontend_jinja/components/error-summary/macro.html" import govukErrorSummary %}'
        "{% block content %}{% if show %}{{ govukErrorSummary({'titleText': 'There is a problem', "
        "'errorList': [{'text': 'Enter a case reference', 'href': '#case'}]}) }}{% endif %}"
        '<h1 class="govuk-heading-l">Start an audit</h1>{% endblock %}'
    )

    @app.get("/test-errors/<int:show>")

    @public
    def errors_page(show: int) -> str:
        return render_template_string(page, show=bool(show))

    client = app.test_client()
    assert _title(check_page(client.get("/test-errors/1"))) == f"Error: Start an audit – {SERVICE}"
    assert _title(check_page(client.get("/test-errors/0"))) == f"Start an audit – {SERVICE}"


def test_summary_list_macro(app: Flask) -> None:
    page = (
        '{% from "components/macros.html" import summary_list %}'
        '<h1 class="govuk-heading-l">Case ABC123</h1>'
        '{{ summary_list([("Phase", "Secondary", "/phase"), ("Primary need", none),'
        ' ("Team", "North", "/t", "team name")]) }}'
    )
    with app.test_request_context():
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(render_template_string(page), "html5lib")
    assert _h1(soup) == "Case ABC123"
    rows = soup.select(".govuk-summary-list__row")
    assert [r.select_one("dd").get_text(strip=True) for r in rows] == ["Secondary", "Not recorded", "North"]
    change = rows[0].select_one(".govuk-summary-list__actions a")
    assert change["href"] == "/phase" and change.get_text(" ", strip=True) == "Change Phase"
    assert rows[2].select_one(".govuk-summary-list__actions a").get_text(" ", strip=True) == "Change team name"
    assert rows[1].select_one(".govuk-summary-list__actions") is None


def test_error_summary_macro(app: Flask) -> None:
    """One macro for every page's error summary: from a mapping (in its order) or a list of links."""
    page = (
        '{% from "components/macros.html" import error_summary %}'
        '{{ error_summary({"owner": "Choose who will do this", "theme": "", "due_date-day": "Enter the date"}) }}'
        '{{ error_summary([{"text": "Autumn 2 must start after Autumn 1 ends", "href": "#half_term_2-start"}]) }}'
        '{{ error_summary({}) }}'
    )
    with app.test_request_context():
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(render_template_string(page), "html5lib")
    boxes = soup.select(".govuk-error-summary")
    assert len(boxes) == 2  # nothing at all for no errors
    assert [(a.get_text(strip=True), a["href"]) for a in boxes[0].select("a")] == [
        ("Choose who will do this", "#owner"),
        ("Enter the date", "#due_date-day"),
    ]
    assert boxes[0].select_one(".govuk-error-summary__title").get_text(strip=True) == "There is a problem"
    assert [a["href"] for a in boxes[1].select("a")] == ["#half_term_2-start"]


# --- error pages -----------------------------------------------------------------------------


def test_404_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    soup = check_page(response)
    assert _h1(soup) == "Page not found"
    assert _title(soup) == f"Page not found – {SERVICE}"
    assert response.headers["Cache-Control"] == "no-store"


def test_csrf_failure_page(instance_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})  # CSRF on, as in production

    @app.post("/test-form")
    @public
    def test_form() -> str:
        return "saved"

    client = app.test_client()
    response = client.post("/test-form", data={"evidence": "text"})
    assert response.status_code == 400
    soup = check_page(response)
    assert _h1(soup) == "Your form could not be sent"
    assert _title(soup) == f"Your form could not be sent – {SERVICE}"
    assert "has not been saved" in soup.get_text()
    assert soup.select_one("main a.govuk-link")["href"] == "/"

    response = client.post("/test-form", headers={"Referer": "http://localhost/audits/7/edit"})
    assert check_page(response).select_one("main a.govuk-link")["href"] == "http://localhost/audits/7/edit"
    response = client.post("/test-form", headers={"Referer": "https://evil.example/phish"})
    assert check_page(response).select_one("main a.govuk-link")["href"] == "/"


def test_500_page(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/test-boom")
    @public
    def boom() -> str:
        raise RuntimeError("boom")

    response = app.test_client().get("/test-boom")
    assert response.status_code == 500
    soup = check_page(response)
    assert _h1(soup) == "Sorry, there is a problem with the service"
    assert "boom" not in soup.get_text()


def test_403_shows_the_reason_only_when_one_was_given(app: Flask) -> None:
    @app.get("/test-403/<int:reason>")
    @public
    def forbidden(reason: int) -> str:
        if reason:
            abort(403, description="Only moderators can re-grade an audit.")
        abort(403)

    client = app.test_client()
    soup = check_page(client.get("/test-403/1"))
    text = soup.get_text(" ", strip=True)
    assert "Only moderators can re-grade an audit." in text
    assert "If you think you should have access, contact your QA administrator" in text

    response = client.get("/test-403/0")
    assert response.status_code == 403
    text = check_page(response).get_text(" ", strip=True)
    assert "read-protected" not in text  # Werkzeug's generic wording is not for users
    assert "If you think you should have access, contact your QA administrator" in text


@pytest.mark.parametrize(
    ("code", "heading"),
    [
        (400, "Sorry, there is a problem with the service"),
        (410, "Sorry, there is a problem with the service"),
        (429, "You have tried too many times"),
    ],
)
def test_other_error_pages(app: Flask, code: int, heading: str) -> None:
    @app.get("/test-abort")
    @public
    def aborted() -> str:
        abort(code)

    response = app.test_client().get("/test-abort")
    assert response.status_code == code
    soup = check_page(response)
    assert _h1(soup) == heading
    if code == 429:
        assert "wait" in soup.get_text().lower()


def test_405_keeps_the_allow_header(client: FlaskClient) -> None:
    response = client.post("/cookies")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    check_page(response)


def test_error_page_survives_a_broken_context(app: Flask) -> None:
    @app.context_processor
    def broken() -> dict[str, object]:
        raise RuntimeError("database is down")

    response = app.test_client().get("/no-such-page")
    assert response.status_code == 404
    soup = check_page(response)
    assert _h1(soup) == "Sorry, there is a problem with the service"


# --- page checker ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('<h1>A</h1><div class="govuk-error-summary"></div>', "must start with 'Error: '"),
        ("<h1>A</h1><p id=x></p><p id=x></p>", "duplicate ids"),
        ("<p>no heading</p>", "exactly one <h1>"),
        ('<h1>A</h1><form method="post" action="/x"></form>', "csrf_token"),
        ('<h1>A</h1><script src="https://cdn.example/x.js"></script>', "same-origin"),
        ('<h1>A</h1><script nonce="wrong">1</script>', "nonce does not match"),
    ],
)
def test_page_checker_catches_mistakes(app: Flask, body: str, message: str) -> None:
    page = '{% extends "base.html" %}{% set page_title = "T" %}{% block content %}' + body + "{% endblock %}"

    @app.get("/test-bad")
    @public
    def bad() -> str:
        return render_template_string(page)

    with pytest.raises(AssertionError, match=message):
        check_page(app.test_client().get("/test-bad"))


# --- built assets ----------------------------------------------------------------------------

needs_assets = pytest.mark.skipif(
    not (STATIC / "app.min.css").exists(),
    reason="front-end assets not built: run `bash scripts/build-assets.sh`",
)


@needs_assets
def test_css_is_the_pinned_govuk_frontend_without_gds_transport() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["govuk-frontend"]
    css = (STATIC / "app.min.css").read_text()
    assert f'--govuk-frontend-version: "{pinned}"' in css or f'--govuk-frontend-version:"{pinned}"' in css
    assert "GDS Transport" not in css
    assert "/assets/fonts" not in css
    assert (STATIC / "govuk-frontend.min.js").exists()
    assert (STATIC / "assets" / "manifest.json").exists()
    assert not (STATIC / "assets" / "fonts").exists()


@needs_assets
def test_static_files_are_cacheable_and_versioned(client: FlaskClient) -> None:
    soup = check_page(client.get("/cookies"))
    href = soup.select_one('link[rel="stylesheet"]')["href"]
    assert "?v=" in href
    response = client.get(href)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "no-store" not in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
