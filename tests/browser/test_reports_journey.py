"""A board viewer makes the board pack with the keyboard only: asks for it on /reports, follows its
progress page (refreshed by its script while the job worker runs), downloads the workbook; axe and
reflow on every state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from qaframework.jobs.queue import JobQueue
from tests.browser.conftest import BrowserWorld, sign_in
from tests.browser.test_audit_journey import activate, tab_to
from tests.support import TEST_PASSWORD
from webapp.jobs import queue_of

BOARD_VIEWER = "reports.board@example.test"


@pytest.fixture(scope="module")
def board_viewer(live_database: tuple[str, BrowserWorld]) -> str:
    from qaframework.operations.users import add_user
    from qaframework.store.db import make_engine, session_factory

    engine = make_engine(live_database[0])
    try:
        with session_factory(engine)() as session:
            add_user(session, None, email=BOARD_VIEWER, display_name="Rene Reports", password=TEST_PASSWORD,
                     role="board_viewer")
    finally:
        engine.dispose()
    return BOARD_VIEWER


def test_a_board_viewer_makes_and_downloads_the_board_pack_with_the_keyboard_only(
        page: Page, live_app: Flask, board_viewer: str, check_page: Callable[[Page, str], None],
        tmp_path: Path) -> None:
    queue: JobQueue = queue_of(live_app)
    sign_in(page, board_viewer, TEST_PASSWORD)
    activate(page, ".govuk-service-navigation a[href='/reports']")
    expect(page.locator("h1")).to_have_text("Reports")
    expect(page.get_by_text("You have not asked for any reports yet.")).to_be_visible()
    check_page(page, "reports-01-forms")

    year = page.locator("#board_pack-year").input_value()  # this academic year, chosen already
    tab_to(page, "#board_pack-cycle")
    page.keyboard.press("ArrowDown")  # the whole year -> Autumn 1
    expect(page.locator("#board_pack-cycle")).to_have_value("Autumn 1")
    activate(page, "form[action$='/reports/board_pack'] button")
    expect(page.locator("h1")).to_have_text(f"Board pack, {year} Autumn 1")
    expect(page.locator("#job-progress-text")).to_contain_text("Waiting to start")  # no worker running yet
    check_page(page, "reports-02-waiting")

    with queue.running():
        # The page's script sees the job finish and reloads the page with the download.
        expect(page.locator(".govuk-panel__title")).to_have_text("Ready to download", timeout=60_000)
    check_page(page, "reports-03-ready")

    tab_to(page, "a.govuk-button[href$='/download']")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename == f"board-pack-{year}-autumn-1.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    workbook = load_workbook(saved)
    assert workbook.sheetnames[0] == "Summary" and "Definitions" in workbook.sheetnames

    activate(page, "main a.govuk-link[href='/reports']")  # "Make another report"
    expect(page.locator("#recent-reports")).to_contain_text(f"Board pack, {year} Autumn 1")
    expect(page.locator("#recent-reports")).to_contain_text("Ready")
    check_page(page, "reports-04-recent")
