"""The one-page checklist keeps work safe: a Save after every section, and a warning before
leaving with unsaved answers (but never when saving)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import BrowserWorld, sign_in


def start_check(page: Page, case_ref: str) -> str:
    """Start a Tier 1 check of a draft plan through the pages; returns the audit's overview URL."""
    page.goto(f"/audits/new?case_ref={case_ref}&subject=draft_plan")
    page.check("input[name=template_version_id] >> nth=0")
    with page.expect_navigation():
        page.click("form button.govuk-button")
    assert re.search(r"/audits/\d+$", page.url), page.url
    return page.url


def test_whole_checklist_saves_per_section_and_warns_before_losing_answers(
    page: Page, world: BrowserWorld, axe_check: Callable[[Page, str], None]
) -> None:
    sign_in(page, world.colleague_email, world.password)
    overview = start_check(page, world.case_refs[2])
    page.goto(overview + "/checklist")
    dialogs: list[str] = []

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # "Stay on this page"

    page.on("dialog", answer)

    # A Save button after every section, not only at the very bottom.
    sections = page.locator("h2[id^=section-]").count()
    assert sections >= 5
    expect(page.locator("button[name=next][value^=section-]")).to_have_count(sections)

    # Nothing changed: leaving is silent.
    with page.expect_navigation():
        page.click("a.govuk-back-link")
    assert dialogs == []
    page.go_back()
    page.wait_for_load_state()

    # A rating changed and not saved: leaving asks first, and staying keeps the answer.
    second = page.locator("h2[id^=section-]").nth(1).get_attribute("id") or ""
    question = page.locator(f"h2#{second} ~ div.app-question").first.get_attribute("id") or ""
    question_id = question.removeprefix("question-")
    page.check(f"input[name='rating-{question_id}'][value=not_met]")
    page.click("a.govuk-back-link")
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/checklist")
    expect(page.locator(f"input[name='rating-{question_id}'][value=not_met]")).to_be_checked()
    axe_check(page, "checklist-unsaved")

    # Saving from the section's own button is not leaving: no warning, and it comes back there.
    with page.expect_navigation():
        page.click(f"button[name=next][value={second}]")
    assert dialogs == ["beforeunload"], "saving must not warn"
    assert page.url.endswith(f"/checklist#{second}")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("saved")
    expect(page.locator(f"input[name='rating-{question_id}'][value=not_met]")).to_be_checked()
    axe_check(page, "checklist-saved-from-a-section")

    # Saved: leaving is silent again.
    with page.expect_navigation():
        page.click("a.govuk-back-link")
    assert dialogs == ["beforeunload"]
