"""Compliance beside the grade and the grading guide in a real browser: axe, 320 px, keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserWorld, sign_in

LATE_CASE = "BRGRD-1"


@pytest.fixture(scope="module")
def late_case(live_database: tuple[str, BrowserWorld]) -> str:
    """A case whose final plan was issued on day 210 (week 30)."""
    from qaframework.operations.cases import import_cases
    from qaframework.store.db import make_engine, session_factory

    asked = date.today() - timedelta(days=400)

    def d(days: int) -> str:
        return (asked + timedelta(days=days)).isoformat()

    header = "case_ref,year_group,team,request_date,decision_to_assess_date,final_issued_date,outcome"
    row = f"{LATE_CASE},6,North,{d(0)},{d(40)},{d(210)},issued"
    engine = make_engine(live_database[0])
    try:
        with session_factory(engine)() as session:
            import_cases(session, None, "late.csv", f"{header}\n{row}\n".encode())
    finally:
        engine.dispose()
    return LATE_CASE


def test_compliance_and_the_grading_guide_pass_axe_reflow_and_keyboard(
    page: Page, world: BrowserWorld, late_case: str, axe_check: Callable[[Page, str], None]
) -> None:
    sign_in(page, world.auditor_email, world.password)
    page.goto(f"/audits/new?case_ref={late_case}&subject=final_plan")
    page.locator("input[name=template_version_id]").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Start")).click()
    compliance = page.locator("#statutory-compliance")
    expect(compliance).to_contain_text("Statutory compliance: 1 breach")
    expect(compliance).to_contain_text("final plan issued on day 210 (week 30)")
    expect(page.locator("#grading-rule")).to_contain_text("How grades are suggested for this checklist")
    axe_check(page, "grading-audit-page")

    # From a section page to the guide, by keyboard.
    page.locator(".govuk-task-list__link").first.click()
    link = page.locator("#grading-guide-link a")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("How grades are suggested")
    expect(page.locator("#rules-in-full li").first).to_contain_text("Each section you answer starts at Good.")
    axe_check(page, "grading-guide")

    for path in (page.url, page.url.removesuffix("/grading")):
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways at 320 px by {overflow}px"
