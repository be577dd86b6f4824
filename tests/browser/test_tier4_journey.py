"""A system leader's Tier 4 review in a real browser, keyboard only, with axe and reflow on every
new page state: record the family's consent on the case, start the review, record the
conversation, write the board summary; the QA lead reads it and approves it; the board reads it.
A declined consent makes a paper review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserWorld, sign_in
from tests.browser.test_audit_journey import activate, tab_to, type_into
from tests.support import TEST_PASSWORD

LEADER, LEAD, BOARD = "leader@example.test", "tier4.lead@example.test", "board@example.test"
T4_TITLE = "System-leader review and conversation with the family"


@pytest.fixture(scope="module")
def tier4_people(live_database: tuple[str, BrowserWorld]) -> None:
    from qaframework.operations.users import add_user
    from qaframework.store import User
    from qaframework.store.db import make_engine, session_factory

    engine = make_engine(live_database[0])
    try:
        with session_factory(engine)() as session:
            add_user(session, None, email=LEADER, display_name="Lee Leader", password=TEST_PASSWORD,
                     role="system_leader")
            add_user(session, None, email=LEAD, display_name="Lou Lead", password=TEST_PASSWORD,
                     role="panel_member")
            add_user(session, None, email=BOARD, display_name="Bo Board", password=TEST_PASSWORD,
                     role="board_viewer")
            lead = session.query(User).filter_by(email=LEAD).one()
            lead.leads_panel = True
            session.commit()
    finally:
        engine.dispose()


def _choose(page: Page, selector: str) -> None:
    """Tick a checkbox: Tab to it, press Space."""
    tab_to(page, selector)
    page.keyboard.press("Space")


def _radio(page: Page, name: str, value: str) -> None:
    """Choose a radio as a keyboard user does: Tab into the group, arrow to the option."""
    tab_to(page, f"input[name='{name}']")
    for _ in range(12):
        if page.evaluate("() => document.activeElement.value") == value:
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {value!r} in {name}")


def _open_case(page: Page, case_ref: str) -> None:
    page.goto(f"/cases?search={case_ref}")
    href = page.locator("main a", has_text=case_ref).first.get_attribute("href")
    activate(page, f"main a[href='{href}']")


def _record_consent(page: Page, check_page: Callable[[Page, str], None], *, agreed: bool, name: str) -> None:
    activate(page, "a[href$='/consent']")
    check_page(page, f"tier4-{name}-consent-form")
    activate(page, "#form button")  # empty: the error state
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, f"tier4-{name}-consent-errors")
    _radio(page, "given_by", "parent_carer")
    _radio(page, "decision", "given" if agreed else "refused")
    if agreed:
        for scope in ("conversation", "notes"):
            _choose(page, f"input[name=scope][value={scope}]")
    type_into(page, "input#asked_on", f"{date.today() - timedelta(days=2):%d/%m/%Y}")
    type_into(page, "input#method", "Phone call, then a letter")
    if agreed:
        type_into(page, "input#expires_on", f"{date.today() + timedelta(days=120):%d/%m/%Y}")
    activate(page, "#form button")
    expect(page.locator("#consent-table")).to_be_visible()
    check_page(page, f"tier4-{name}-case-with-consent")


def _start_review(page: Page) -> None:
    activate(page, "a[href^='/audits/new?case_id=']")
    _radio(page, "subject", "final_plan")
    activate(page, "form[method=get] button.govuk-button")
    if not page.locator("input[name=template_version_id]:checked").count():
        first = page.locator("input[name=template_version_id]").first.get_attribute("value") or ""
        _radio(page, "template_version_id", first)
    activate(page, "form[method=post] button.govuk-button")
    expect(page.locator("h1")).to_have_text(T4_TITLE)


def test_tier4_review_with_the_keyboard_only(
    page: Page, world: BrowserWorld, tier4_people: None, check_page: Callable[[Page, str], None]
) -> None:
    sign_in(page, LEADER, TEST_PASSWORD)
    case_ref = world.case_refs[0]
    _open_case(page, case_ref)
    _record_consent(page, check_page, agreed=True, name="agreed")
    _start_review(page)
    check_page(page, "tier4-review-overview")
    activate(page, "a[href$='/conversation']")
    check_page(page, "tier4-conversation-form")
    type_into(page, "input#held_on", f"{date.today() - timedelta(days=1):%d/%m/%Y}")
    _choose(page, "input[name=participants][value=child]")
    _choose(page, "input[name=participants][value=parent_carer]")
    for question in ("T4-02", "T4-04", "T4-05", "T4-06", "T4-07", "T4-08", "T4-09"):
        _radio(page, f"rating-{question}", "positive")
    _radio(page, "rating-T4-17", "not_applicable")
    type_into(page, "textarea[name='words-T4-04']", "Yes, that's her.")
    type_into(page, "textarea#notes", "Met at home after school.")
    type_into(page, "textarea#reflection", "Therapy workforce gap.")
    activate(page, "#form button")  # T4-17 has no reason: the error state
    expect(page.locator(".govuk-error-summary a[href='#na_reason-T4-17']")).to_be_visible()
    check_page(page, "tier4-conversation-errors")
    type_into(page, "textarea[name='na_reason-T4-17']", "The child communicates verbally.")
    activate(page, "#form button")
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    check_page(page, "tier4-conversation-saved")
    page.goto(page.url.replace("/conversation", "/sections/family-experience"))
    expect(page.locator("#question-T4-04")).to_contain_text("Answered on the conversation page")
    check_page(page, "tier4-checklist-answered-elsewhere")
    page.goto(page.url.split("/sections/")[0] + "/board-summary")
    check_page(page, "tier4-board-summary-form")
    type_into(page, "textarea#board_summary", f"Case {case_ref}, Year 4.")
    activate(page, "#form button")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Remove the case reference")
    check_page(page, "tier4-board-summary-errors")
    tab_to(page, "textarea#board_summary")
    page.keyboard.press("Control+A")
    page.keyboard.type("A Key Stage 2 child with communication and interaction needs; therapy stopped.")
    activate(page, "#form button")
    expect(page.locator("#summary-status")).to_contain_text("Waiting for the QA lead")
    check_page(page, "tier4-board-summary-waiting")
    summary_url = page.url

    page.context.clear_cookies()
    sign_in(page, LEAD, TEST_PASSWORD)
    page.goto(summary_url)
    expect(page.locator("#board-summary-text")).to_contain_text("Key Stage 2")
    check_page(page, "tier4-board-summary-approval")
    for box in ("checks", "checks-2", "checks-3", "checks-4", "checks-5", "checks-6"):
        _choose(page, f"#{box}")
    activate(page, "#approve button")
    expect(page.locator("#summary-status")).to_contain_text("Approved")
    check_page(page, "tier4-board-summary-approved")
    page.goto(summary_url.replace("/board-summary", "/conversation"))
    expect(page.locator("body")).to_contain_text("Met at home after school.")
    check_page(page, "tier4-conversation-read-by-qa-lead")

    page.context.clear_cookies()
    sign_in(page, BOARD, TEST_PASSWORD)
    page.goto("/board-summaries")
    check_page(page, "tier4-board-summaries")


def test_declined_consent_is_a_paper_review(
    page: Page, world: BrowserWorld, tier4_people: None, check_page: Callable[[Page, str], None]
) -> None:
    sign_in(page, LEADER, TEST_PASSWORD)
    case_ref = world.case_refs[1]
    _open_case(page, case_ref)
    _record_consent(page, check_page, agreed=False, name="declined")
    _start_review(page)
    activate(page, "a[href$='/conversation']")
    expect(page.locator("#consent-state")).to_contain_text("There is no conversation: Parent or carer declined")
    check_page(page, "tier4-paper-review-conversation")
    page.goto(page.url.replace("/conversation", "/sections/family-experience"))
    expect(page.locator("#question-T4-04")).to_contain_text("Not applicable")
    check_page(page, "tier4-paper-review-checklist")
