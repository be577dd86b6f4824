"""Browser test harness: a live server in a thread and Debian's Chromium driven by Playwright.

Written by hand rather than with pytest-playwright so that Playwright never downloads a
browser and the suite needs no plugin. Every test in this directory is marked `browser`.
"""

from __future__ import annotations

import shutil
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, ViewportSize, sync_playwright
from werkzeug.serving import make_server

from tests.browser.reflow import check_reflow
from tests.support import TEST_PASSWORD, scratch_database
from webapp import create_app

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-results" / "screenshots"
HERE = Path(__file__).resolve().parent

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Console errors and uncaught exceptions seen by each page (CSP violations show up here).
_page_problems: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything under tests/browser so `-m "not browser"` skips the slow tests."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class BrowserWorld:
    """What the browser tests can sign in as and work on."""

    auditor_email: str
    colleague_email: str
    panel_email: str
    case_refs: tuple[str, ...]
    password: str = TEST_PASSWORD


@pytest.fixture(scope="session")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, BrowserWorld]]:
    """A migrated database of its own (the server runs in another thread), with people and cases."""
    from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_directory
    from qaframework.operations.cases import import_cases
    from qaframework.operations.templates import sync_templates
    from qaframework.operations.users import add_user, ensure_default_agencies
    from qaframework.store.db import make_engine, session_factory
    from qaframework.store.migrate import upgrade

    with scratch_database(tmp_path_factory.mktemp("browser-db"), "qa_browser") as url:
        engine = make_engine(url)
        upgrade(engine)
        world = BrowserWorld("coordinator@example.test", "colleague@example.test", "panel@example.test",
                             ("BR0001", "BR0002", "BR0003"))
        with session_factory(engine)() as session:
            ensure_default_agencies(session)
            sync_templates(session, None, load_directory(DEFAULT_TEMPLATE_DIR))
            for email, name in ((world.auditor_email, "Casey Coordinator"), (world.colleague_email, "Robin Colleague")):
                add_user(session, None, email=email, display_name=name, password=TEST_PASSWORD, role="auditor",
                         agency_code="send_service", team="North")
            add_user(
                session,
                None,
                email=world.panel_email,
                display_name="Pat Panel",
                password=TEST_PASSWORD,
                role="panel_member",
            )
            rows = "\n".join(
                f"{ref},{yg},ASD,Mainstream school,North,2026-0{n + 3}-02"
                for n, (ref, yg) in enumerate(zip(world.case_refs, ("4", "9", "11"), strict=False))
            )
            import_cases(
                session,
                None,
                "cases.csv",
                f"case_ref,year_group,primary_need,setting_type,team,request_date\n{rows}\n".encode(),
            )
        engine.dispose()
        yield url, world


@pytest.fixture(scope="session")
def world(live_database: tuple[str, BrowserWorld]) -> BrowserWorld:
    return live_database[1]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, live_database: tuple[str, BrowserWorld]) -> Iterator[Flask]:
    """The app under test, on its own database, with CSRF on as in production."""
    instance = tmp_path_factory.mktemp("browser-instance")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QA_INSTANCE_PATH", str(instance))
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "browser-tests",
                "DATABASE_URL": live_database[0],
            }
        )
    yield app
    app.extensions["qa_engine"].dispose()  # close pooled connections before the database is dropped


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve `app` on a free local port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """Serve `live_app` on a free local port for the session; yields its base URL."""
    with serve(live_app) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium; skips the browser tests when it is not installed."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); browser tests skipped")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def watched_page(browser: Browser, base_url: str, viewport: ViewportSize) -> Iterator[Page]:
    """A page in a fresh browser context, relative URLs resolved on `base_url`, errors collected."""
    context = browser.new_context(base_url=base_url, viewport=viewport)
    page = context.new_page()
    _page_problems[page] = _watch_for_problems(page)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh browser context and page per test, with relative URLs resolved on the live server."""
    with watched_page(browser, live_server, {"width": 1280, "height": 900}) as page:
        yield page


def _watch_for_problems(page: Page) -> list[str]:
    """Collect script errors, CSP violations and failed sub-resources (CSS, JS, images).

    The document itself may be an error page on purpose (a 404), so its status is not a problem;
    Chromium's console line for it ("Failed to load resource") is ignored in favour of checking
    each sub-resource's response.
    """
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(f"console error: {msg.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            problems.append(f"HTTP {response.status} for {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", on_response)
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url} {req.failure}"))
    return problems


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in through the real form (one helper for every journey that doesn't test sign-in itself)."""
    page.goto("/sign-in")
    page.fill("input#email", email)
    page.fill("input#password", password)
    with page.expect_navigation():
        page.click("button#submit")


def axe_check(page: Page, context: str) -> None:
    """Fail if axe finds WCAG 2.2 A/AA violations or the page logged errors; save a screenshot.

    `context` names the page state (e.g. "cookies", "start-audit-errors") and is the screenshot's
    file name, so a failing run leaves a picture of what was checked.
    """
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{context}.png"), full_page=True)
    problems = _page_problems.get(page, [])
    assert not problems, f"{context}: browser reported errors:\n" + "\n".join(problems)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = [v for v in results.response["violations"] if not _known_upstream(v)]
    if violations:
        print(results.generate_report())
    assert not violations, f"{context}: {len(violations)} axe violation(s), report above"


def page_opens(page: Page, context: str) -> None:
    """The part of `check_page` that depends on the database: the page's sub-resources loaded and
    its scripts ran without errors. (A crawl checks the document's own status itself.)"""
    problems = _page_problems.get(page, [])
    assert not problems, f"{context}: browser reported errors:\n" + "\n".join(problems)


def check_page(page: Page, context: str) -> None:
    """Every page state a browser test reaches: axe and errors at the current size, then reflow.

    Reflow (tests/browser/reflow.py): on a 1280 px screen, and at 320 px wide with and without
    WCAG text spacing, nothing scrolls the whole page sideways or is cut off; a table that needs
    more than 320 px scrolls in a focusable, named region, and on the desktop every table fits.
    The viewport is restored afterwards, so a journey can call this at every step and carry on.
    """
    axe_check(page, context)
    problems = check_reflow(page, context, SCREENSHOTS)
    assert not problems, f"{context}: does not reflow (WCAG 1.4.10/1.4.12):\n" + "\n".join(problems)


def _known_upstream(violation: dict[str, Any]) -> bool:
    """GOV.UK Frontend's radios JavaScript sets aria-expanded on a radio that reveals a conditional
    question; axe 4.12 reports it (aria-allowed-attr). It is the Design System's deliberate,
    researched choice (alphagov/govuk-frontend#979), so exactly that, and nothing else, is allowed."""
    if violation.get("id") != "aria-allowed-attr":
        return False
    return all(
        "govuk-radios__input" in node.get("html", "")
        and "aria-controls=" in node.get("html", "")
        and all("aria-expanded" in check.get("message", "") for check in node.get("any", []) + node.get("all", []))
        for node in violation.get("nodes", [])
    )


@pytest.fixture(name="check_page")
def check_page_fixture() -> Callable[[Page, str], None]:
    """`check_page` as a fixture, so tests need not import from a conftest."""
    return check_page


@pytest.fixture(name="axe_check")
def axe_check_fixture() -> Callable[[Page, str], None]:
    """The same full check under the older name, so journeys written with it get reflow too."""
    return check_page
