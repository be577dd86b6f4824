"""Every page each role can reach, opened in a real browser at 320 px wide, reflows and passes axe.

The area is the demo one (`qa demo`): realistic names, emails, long checklist wording, every
audit state, actions, peer challenges and a full audit trail, so pages carry the kind of content
that pushes a narrow screen sideways. Each role signs in and follows every link from Home, one
page per kind of URL, and each page gets the suite's full check (tests/browser/reflow.py and
axe). The pages each role must have reached are listed, so a crawl that silently stopped short
fails instead of passing on less.

Every page must open: a server error (5xx) is a failure wherever the crawl meets it. Axe and
reflow measure the HTML and CSS, which the database does not change, so they run on SQLite; on
PostgreSQL the crawl opens every page again and checks only what the database can break (the
status, the page's resources and scripts), which keeps `make test` inside CI's time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, FilePayload, Page
from werkzeug.exceptions import HTTPException

from tests.browser.conftest import page_opens, serve, watched_page
from tests.browser.reflow import REFLOW_HEIGHT, REFLOW_WIDTH
from tests.support import on_postgres, scratch_database
from webapp import create_app

DEMO_DAY = date(2026, 11, 20)
MAX_PAGES = 80

# Links that lead somewhere other than a page of the app.
NOT_PAGES = re.compile(r"^/static/|\.csv$|/sign-out$")


@dataclass(frozen=True)
class Role:
    email: str
    must_reach: frozenset[str]
    extra_paths: tuple[str, ...] = ()


# Pages no link leads to for every role: error pages, and changing one's password.
ERRORS = ("/no-such-page", "/account/password")
AUDITOR_PAGES = frozenset({
    "home.index", "cases.list_cases", "cases.show_case", "audits.list_audits", "audits.show_audit",
    "audits.edit_section", "audits.edit_checklist", "audits.judgement", "audits.check_answers",
    "audits.report", "audits.new_audit", "actions.my_actions", "actions.show_action", "auth.change_password",
    "pages.accessibility_statement", "pages.cookies",
})
LEARNING_PAGES = frozenset({
    "learning.index", "learning.actions", "learning.training_needs", "learning.theme_list", "learning.theme_evidence",
    "learning.exemplar_list", "learning.exemplar_candidates", "learning.exemplars_waiting",
})
READER_PAGES = frozenset({"home.index", "audits.list_audits", "audits.show_audit", "audits.report"})
PANEL_PAGES = frozenset({"panels.cycles", "panels.draw", "panels.show_sample"})
ROLES = {
    "auditor": Role("priya.shah@qa-demo.example",
                    AUDITOR_PAGES | {"peer.show_challenge", "learning.index", "learning.actions", "learning.theme_list",
                                     "learning.exemplar_list", "learning.show_exemplar"}, (*ERRORS, "/admin")),
    "team-manager": Role("grace.okafor@qa-demo.example", AUDITOR_PAGES | {"oversight.team"}, ERRORS),
    "panel-member": Role("panel.chair@qa-demo.example",
                         READER_PAGES | PANEL_PAGES | LEARNING_PAGES | {"learning.show_exemplar"}
                         | {"moderation.agreement", "moderation.questions", "moderation.audit"}, ERRORS),
    "system-leader": Role("system.leader@qa-demo.example",
                          READER_PAGES | PANEL_PAGES | {"reports.index", "board.dashboard"}, ERRORS),
    "parent-forum": Role("parent.forum@qa-demo.example",
                         READER_PAGES | {"reviews.conversation", "reviews.board_summary"}, ERRORS),
    "board-viewer": Role("board.viewer@qa-demo.example",
                         frozenset({"home.index", "moderation.agreement", "learning.index", "learning.theme_list",
                                    "reports.index", "board.dashboard"}),
                         (*ERRORS, "/cases", "/learning/actions", "/board?cycle=Autumn+1&phase=primary",
                          "/board?year=1999-00")),
    "admin": Role("admin@qa-demo.example", frozenset({
        "home.index", "admin.index", "admin.users", "admin.show_user", "admin.add_user", "admin.edit_user",
        "admin.reset_password", "admin.deactivate_user", "admin.list_templates", "admin.show_template",
        "admin.term_dates", "admin.edit_term_dates", "admin.edit_target", "admin.case_import",
        "admin.preview_import", "admin.audit_trail", "auth.change_password", "admin.edit_notes_retention",
        "reports.index", "board.dashboard", "admin.find_case_to_erase", "admin.case_retention",
        "admin.erase_case_page",
    }), (*ERRORS, "/admin/erase-case/1")),
}


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on a database of its own holding the demo area."""
    from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_directory
    from qaframework.demo import load_demo
    from qaframework.operations.templates import sync_templates
    from qaframework.operations.users import ensure_default_agencies
    from qaframework.store.db import make_engine, session_factory
    from qaframework.store.migrate import upgrade

    with scratch_database(tmp_path_factory.mktemp("reflow-db"), "qa_browser_reflow") as url:
        engine = make_engine(url)
        upgrade(engine)
        with session_factory(engine)() as session:
            ensure_default_agencies(session)
            sync_templates(session, None, load_directory(DEFAULT_TEMPLATE_DIR))
            load_demo(session, case_total=40, today=DEMO_DAY)
        engine.dispose()
        instance = tmp_path_factory.mktemp("reflow-instance")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("QA_INSTANCE_PATH", str(instance))
            app = create_app({"TESTING": True, "SECRET_KEY": "reflow-tests", "DATABASE_URL": url})
        yield app
        app.extensions["qa_engine"].dispose()


@pytest.fixture(scope="module")
def demo_server(demo_app: Flask) -> Iterator[str]:
    with serve(demo_app) as base_url:
        yield base_url


@dataclass
class Crawl:
    """Pages visited (one per kind of URL) and what was wrong with them."""

    endpoints: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)


def kind_of(url: str) -> str:
    """Pages of one kind share a route: numbers, section ids, page numbers and query values don't matter."""
    parts = urlsplit(url)
    path = re.sub(r"/sections/[^/]+", "/sections/S", re.sub(r"\d+", "N", parts.path))
    return path + "?" + "&".join(sorted({key for key, _ in parse_qsl(parts.query) if key != "page"}))


def endpoint_of(app: Flask, path: str) -> str:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return "error"
    return str(endpoint)


def visit(page: Page, app: Flask, url: str, name: str, crawl: Crawl, check_page: Callable[[Page, str], None]) -> bool:
    """Open one page and check it; False when it is not an HTML page of the app."""
    response = page.goto(url)
    if response is None or "text/html" not in response.headers.get("content-type", ""):
        return False
    if response.status >= 500:
        crawl.problems.append(f"{page.url}: the server answered {response.status}")
    check(page, app, name, crawl, check_page)
    return True


def links_on(page: Page, base_url: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    return [h.split("#")[0] for h in hrefs if h.startswith(base_url) and not NOT_PAGES.search(urlsplit(h).path)]


def crawl_as(page: Page, app: Flask, base_url: str, role_name: str, role: Role,
             check_page: Callable[[Page, str], None]) -> Crawl:
    crawl = Crawl()
    queue = [base_url + "/"] + [base_url + p for p in role.extra_paths]
    while queue and len(crawl.visited) < MAX_PAGES:
        url = queue.pop(0)
        kind = kind_of(url)
        if kind in crawl.kinds:
            continue
        crawl.kinds.add(kind)
        name = f"every-page-{role_name}-{len(crawl.visited) + 1:02d}"
        if visit(page, app, url, name, crawl, check_page) and urlsplit(page.url).path != "/sign-in":
            queue += links_on(page, base_url)
    return crawl


def user_id(app: Flask, email: str) -> int:
    from sqlalchemy import select

    from qaframework.store import User
    from qaframework.store.db import session_factory

    with session_factory(app.extensions["qa_engine"])() as session:
        return int(session.scalars(select(User.id).where(User.email == email)).one())


def sign_in(page: Page, email: str) -> None:
    from qaframework.demo import DEMO_PASSWORD

    page.goto("/sign-in")
    page.fill("input#email", email)
    page.fill("input#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button#submit")
    assert urlsplit(page.url).path == "/", f"{email} did not sign in"


def upload(page: Page, name: str, content: bytes) -> None:
    page.goto("/admin/case-import")
    file: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": content}
    page.set_input_files("input[type=file]", files=[file])
    with page.expect_navigation():
        page.click("main form button.govuk-button")


def check_case_import(page: Page, app: Flask, crawl: Crawl, check_page: Callable[[Page, str], None]) -> None:
    """The case import's problem list and preview exist only after an upload: one bad file, one good."""
    example = page.request.get("/admin/case-import/example.csv").body()
    header, *rows = example.decode("utf-8-sig").splitlines()
    too_long = rows[0].replace("EHC-000123", "EHC-000123-a-reference-far-too-long-for-any-system")
    bad = f"{header}\n{too_long}".encode()
    upload(page, "cases-exported-from-the-case-management-system-on-a-friday.csv", bad)
    assert page.locator(".govuk-error-summary").is_visible(), "the bad file was not refused"
    check(page, app, "every-page-admin-import-problems", crawl, check_page)
    upload(page, "cases-exported-from-the-case-management-system.csv", example)
    check(page, app, "every-page-admin-import-preview", crawl, check_page)


def check(page: Page, app: Flask, name: str, crawl: Crawl, check_page: Callable[[Page, str], None]) -> None:
    """The full check on the page as it stands, its problems collected rather than raised."""
    path = urlsplit(page.url).path
    crawl.visited.append(path)
    crawl.endpoints.add(endpoint_of(app, path))
    try:
        check_page(page, name)
    except AssertionError as failure:
        crawl.problems.append(f"{page.url}:\n  {failure}")


@pytest.fixture
def small_page(browser: Browser, demo_server: str) -> Iterator[Page]:
    with watched_page(browser, demo_server, {"width": REFLOW_WIDTH, "height": REFLOW_HEIGHT}) as page:
        yield page


@pytest.mark.parametrize("role_name", list(ROLES))
def test_every_page_reflows_at_320px(small_page: Page, demo_app: Flask, demo_server: str,
                                     check_page: Callable[[Page, str], None], role_name: str) -> None:
    role = ROLES[role_name]
    if on_postgres():
        check_page = page_opens
    sign_in(small_page, role.email)
    if role_name == "admin":  # the first user in the list is the admin, who can't deactivate themself
        colleague = user_id(demo_app, ROLES["auditor"].email)
        role = replace(role, extra_paths=(*role.extra_paths, f"/admin/users/{colleague}/deactivate",
                                          f"/admin/users/{colleague}/password"))
    crawl = crawl_as(small_page, demo_app, demo_server, role_name, role, check_page)
    if role_name == "admin":
        check_case_import(small_page, demo_app, crawl, check_page)
    failed = f"{len(crawl.problems)} of {len(crawl.visited)} pages fail:\n"
    assert not crawl.problems, failed + "\n".join(crawl.problems)
    missing = role.must_reach - crawl.endpoints
    assert not missing, f"the crawl as {role_name} never reached {sorted(missing)}; visited {crawl.visited}"
    assert "error" in crawl.endpoints, "the error page was not checked"
