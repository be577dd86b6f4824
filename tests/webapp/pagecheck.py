"""Page-level checks run on every HTML response a test fetches (after Notify's `client_request`).

Catching these on every page, rather than in one test per rule, is what keeps titles, ids,
CSRF fields and script nonces right as the number of pages grows.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from werkzeug.test import TestResponse

_NONCE_RE = re.compile(r"'nonce-([^']+)'")


def csp_nonce_of(response: TestResponse) -> str | None:
    """The script nonce from the response's Content-Security-Policy header, if any."""
    match = _NONCE_RE.search(response.headers.get("Content-Security-Policy", ""))
    return match.group(1) if match else None


def check_page(response: TestResponse) -> BeautifulSoup:
    """Assert the page-level rules every HTML page must meet; return the parsed page."""
    assert 200 <= response.status_code < 300 or 400 <= response.status_code < 600, (
        f"expected a page, got HTTP {response.status_code}"
    )
    assert response.mimetype == "text/html", f"expected HTML, got {response.mimetype}"
    soup = BeautifulSoup(response.get_data(as_text=True), "html5lib")

    html = soup.find("html")
    assert html is not None and html.get("lang") == "en", '<html lang="en"> is missing'

    titles = soup.find_all("title")
    assert len(titles) == 1, f"expected one <title>, found {len(titles)}"
    title = titles[0].get_text(strip=True)
    assert title, "<title> is empty"
    has_error_summary = soup.select_one(".govuk-error-summary") is not None
    assert title.startswith("Error: ") == has_error_summary, (
        f"<title> {title!r} must start with 'Error: ' exactly when the page has an error summary "
        f"(error summary present: {has_error_summary})"
    )

    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    duplicates = sorted(i for i, n in ids.items() if n > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"

    headings = soup.find_all("h1")
    assert len(headings) == 1, f"expected exactly one <h1>, found {len(headings)}"

    skip_link = soup.select_one("a.govuk-skip-link")
    assert skip_link is not None, "skip link is missing"
    target = skip_link.get("href", "")
    assert target.startswith("#") and soup.find(id=target[1:]) is not None, (
        f"skip link points at {target!r}, which is not on the page"
    )

    for form in soup.find_all("form"):
        if form.get("method", "get").lower() != "post":
            continue
        assert form.get("action"), f"POST form without an action: {_snippet(form)}"
        assert form.find("input", attrs={"type": "hidden", "name": "csrf_token"}), (
            f"POST form without a csrf_token field: {_snippet(form)}"
        )

    nonce = csp_nonce_of(response)
    for script in soup.find_all("script"):
        if script.get("nonce"):
            assert script["nonce"] == nonce, f"script nonce does not match the CSP: {_snippet(script)}"
        else:
            src = script.get("src")
            assert isinstance(src, str) and _same_origin(src), (
                f"script with neither the CSP nonce nor a same-origin src: {_snippet(script)}"
            )
    return soup


def _same_origin(url: str) -> bool:
    """True for root-relative or relative URLs; absolute ones would need a host allowlist."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def _snippet(tag: object) -> str:
    return str(tag)[:200]
