"""The statutory clocks in a real browser: the case page and the at-risk page pass axe, read at 320 px,
and work from the keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserWorld, sign_in

CLOCK_CASE = "BRCLK-1"


@pytest.fixture(scope="module")
def clock_case(live_database: tuple[str, BrowserWorld]) -> str:
    """A case with every kind of clock: a plan with advice, a review awaiting its decision, a move next year."""
    from qaframework.operations.cases import import_cases
    from qaframework.store.db import make_engine, session_factory

    today = date.today()

    def d(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    header = ("case_ref,year_group,team,request_date,decision_to_assess_date,assessment_outcome_date,draft_issued_date,"
              "final_issued_date,outcome,advice_agency,advice_requested_date,advice_received_date,review_meeting_date,"
              "next_phase,phase_transfer_date")
    move = date(today.year + 1, 9, 1).isoformat()
    rows = [
        (
            f"{CLOCK_CASE},6,North,{d(420)},{d(385)},{d(340)},{d(320)},{d(290)},issued,health,{d(383)},{d(330)},{d(10)},"
            f"primary_to_secondary,{move}"
        ),
        (
            f"{CLOCK_CASE},6,North,{d(420)},{d(385)},{d(340)},{d(320)},{d(290)},issued,education,{d(383)},{d(350)},"
            f"{d(10)},primary_to_secondary,{move}"
        ),
    ]
    engine = make_engine(live_database[0])
    try:
        with session_factory(engine)() as session:
            import_cases(session, None, "clocks.csv", ("\n".join([header, *rows]) + "\n").encode())
    finally:
        engine.dispose()
    return CLOCK_CASE


def test_at_risk_and_case_clocks_pass_axe_reflow_and_keyboard(
    page: Page, world: BrowserWorld, clock_case: str, axe_check: Callable[[Page, str], None]
) -> None:
    sign_in(page, world.auditor_email, world.password)
    page.goto("/cases/at-risk")
    expect(page.locator("h1")).to_have_text("At risk")
    # The browser world's requests were made in March to May 2026 and are still open: all overdue.
    expect(page.locator("#at-risk-requests tbody tr").first).to_contain_text("Overdue: week")
    axe_check(page, "at-risk")

    page.goto("/cases?q=" + clock_case)
    page.get_by_role("link", name=clock_case).click()
    expect(page.locator("h1")).to_have_text(clock_case)
    summary = page.locator("#clock-summary")
    expect(summary).to_contain_text("Advice from Health")
    expect(summary).to_contain_text("Received late")
    expect(summary).to_contain_text("Awaiting decision")
    expect(summary).to_contain_text("Phase transfer review")
    axe_check(page, "case-clocks")

    # Keyboard: the summary's links jump to the clock's details.
    link = page.get_by_role("link", name="Annual review")
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#annual-review$"))

    for path in ("/cases/at-risk", page.url.split("#")[0]):
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways at 320 px by {overflow}px"
