"""The auditor's journey in a real browser, with the keyboard only, and axe on every page.

An EHC co-ordinator signs in, starts a Tier 1 check, completes every section, saves a draft,
comes back later, meets the submit error summary, fixes it, submits and reads the report.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserWorld

MAX_TABS = 400


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element matching ``selector`` has focus, as a keyboard user would."""
    for _ in range(MAX_TABS):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {selector} with the Tab key")


def activate(page: Page, selector: str) -> None:
    """Tab to a link or button and press Enter; wait for the page it leads to."""
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def answer_section(page: Page, skip: Set[str] = frozenset()) -> int:
    """Rate every question on the page Met (Space on the group's first radio) with evidence."""
    question_ids = page.eval_on_selector_all("div.app-question[id^=question-]", "els => els.map(e => e.id.slice(9))")
    for question_id in question_ids:
        if question_id in skip:
            continue
        tab_to(page, f"input[name='rating-{question_id}'][value=met]")
        page.keyboard.press("Space")
        type_into(page, f"textarea[name='evidence-{question_id}']", f"Seen in the plan ({question_id}).")
    return len(question_ids)


def test_tier1_check_with_the_keyboard_only(
    page: Page, world: BrowserWorld, axe_check: Callable[[Page, str], None]
) -> None:
    page.goto("/sign-in")
    axe_check(page, "journey-01-sign-in")
    activate(page, "button#submit")  # empty form: the error state
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    axe_check(page, "journey-02-sign-in-errors")
    type_into(page, "input#email", world.auditor_email)
    type_into(page, "input#password", world.password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page, "journey-03-home")

    activate(page, "a.govuk-button--start")
    axe_check(page, "journey-04-start")
    activate(page, "form button.govuk-button")  # nothing chosen: the error state
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    axe_check(page, "journey-05-start-errors")
    type_into(page, "input#case_ref", world.case_refs[0])
    tab_to(page, "input[name=subject]")
    page.keyboard.press("Space")  # Agency advice (first) ...
    page.keyboard.press("ArrowDown")  # ... then Draft EHC plan
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("checklist")
    axe_check(page, "journey-06-choose-checklist")
    tab_to(page, "input[name=template_version_id]")
    page.keyboard.press("Space")
    activate(page, "form button.govuk-button")
    expect(page.locator("main")).to_contain_text(world.case_refs[0])
    axe_check(page, "journey-07-overview")
    audit_url = page.url

    # The first section: answer it, save as draft, and leave.
    activate(page, "a.govuk-button:not(.govuk-button--secondary)")  # "Continue with <first section>"
    first_section = page.url
    answered = answer_section(page)
    assert answered >= 3
    axe_check(page, "journey-08-section-filled")
    activate(page, "button[value=stay]")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("saved")
    axe_check(page, "journey-09-section-saved")

    # Come back later: from home, through the draft, to where the work stopped.
    page.goto("/")
    activate(page, f"a[href='{urlsplit(audit_url).path}']")
    expect(page.locator("main")).to_contain_text(world.case_refs[0])
    activate(page, "a.govuk-button:not(.govuk-button--secondary)")
    assert page.url != first_section, "continuing should skip the completed section"

    # Every remaining section, leaving one question unanswered to meet the error summary.
    left_out = None
    section_number = 1
    while "/sections/" in page.url:
        section_number += 1
        axe_check(page, f"journey-section-{section_number:02d}")
        skip: set[str] = set()
        if left_out is None:
            left_out = page.eval_on_selector("div.app-question[id^=question-]", "e => e.id.slice(9)")
            skip = {left_out}
        answer_section(page, skip)
        activate(page, "button[value=continue]")
    assert page.url.endswith("/judgement")
    axe_check(page, "journey-10-judgement")
    activate(page, "button[value=continue]")
    axe_check(page, "journey-11-check-answers")

    activate(page, "form button.govuk-button")  # Submit audit: refused, one question missing
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(left_out or "")
    axe_check(page, "journey-12-submit-errors")
    activate(page, ".govuk-error-summary a")  # the link lands on the missing question
    assert f"#rating-{left_out}" in page.url or f"rating-{left_out}" in page.url
    tab_to(page, f"input[name='rating-{left_out}'][value=met]")
    page.keyboard.press("Space")
    type_into(page, f"textarea[name='evidence-{left_out}']", "Added after the check.")
    activate(page, "button[value=stay]")

    page.goto(audit_url + "/submit")
    axe_check(page, "journey-13-ready-to-submit")
    activate(page, "form button.govuk-button")
    expect(page.locator(".govuk-panel")).to_be_visible()
    axe_check(page, "journey-14-submitted")
    activate(page, "a[href$='/report']")
    expect(page.locator("h1")).to_be_visible()
    assert page.locator("text=Seen in the plan").count() >= 50
    axe_check(page, "journey-15-report")
