"""A panel member moderates a sampled check blind, with the keyboard only, and reads the agreement:
every page state is checked (axe, reflow at 320 px, text spacing)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import BrowserWorld, sign_in
from tests.browser.test_audit_journey import activate, tab_to, type_into

T1 = "t1-coordinator-plan-check"


def _sampled_check(app: Flask, world: BrowserWorld) -> int:
    """A submitted Tier 1 check by the world's auditor, drawn into a moderation sample."""
    from qaframework.operations.audits import answers_of
    from qaframework.store import Case, Sample, SampleItem, TemplateVersion, User
    from qaframework.store.db import session_factory
    from tests.support import submitted_check

    with session_factory(app.extensions["qa_engine"])() as session:
        auditor = session.scalars(select(User).where(User.email == world.colleague_email)).one()
        case = session.scalars(select(Case).where(Case.case_ref == world.case_refs[2])).one()
        version = session.scalars(
            select(TemplateVersion).where(TemplateVersion.template_id == T1).order_by(TemplateVersion.version.desc())
        ).first()
        assert version is not None
        audit = submitted_check(session, auditor, case.id, version.id)
        assert answers_of(audit)
        sample = Sample(cycle=audit.cycle, kind="audits", seed=3, size=1, criteria={}, created_by_id=auditor.id)
        sample.items = [SampleItem(audit_id=audit.id)]
        session.add(sample)
        session.commit()
        return audit.id


def test_blind_moderation_with_the_keyboard_only(
    page: Page, live_app: Flask, world: BrowserWorld, check_page: Callable[[Page, str], None]
) -> None:
    audit_id = _sampled_check(live_app, world)
    sign_in(page, world.panel_email, world.password)
    page.goto(f"/audits/{audit_id}")  # the audit itself is withheld until the blind grades are saved
    expect(page.locator("h1")).to_have_text("You do not have permission to see this page")
    check_page(page, "moderation-01-audit-withheld")
    activate(page, f"a[href='/moderation/audits/{audit_id}']")
    expect(page.locator("h1")).to_have_text("Re-grade this audit blind")
    check_page(page, "moderation-02-blind")

    activate(page, f"form[action$='/moderation/audits/{audit_id}'] button[type=submit]")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "moderation-03-blind-errors")

    names: list[str] = page.eval_on_selector_all(
        "input.govuk-radios__input", "els => [...new Set(els.map(e => e.name))]"
    )
    for name in names:
        tab_to(page, f"input[name='{name}']")
        page.keyboard.press("ArrowDown" if not name.startswith("rating-") else "Space")  # Good for grades
    activate(page, f"form[action$='/moderation/audits/{audit_id}'] button[type=submit]")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your grades are saved")
    expect(page.locator("#overall-grades")).to_be_visible()
    check_page(page, "moderation-04-side-by-side")

    for select_id in page.eval_on_selector_all("select[id^=agreed-]", "els => els.map(e => e.id)"):
        tab_to(page, f"select#{select_id}")
        page.keyboard.type("Good")
    activate(page, "form[action$='/agree'] button[type=submit]")
    errors = page.locator(".govuk-error-summary")
    if errors.count():  # the original grades differ from Good somewhere: reasons are needed there
        check_page(page, "moderation-05-agree-errors")
        for box in page.eval_on_selector_all("textarea[id^=reason-]", "els => els.map(e => e.id)"):
            type_into(page, f"textarea#{box}", "The plan quantifies provision clearly.")
        activate(page, "form[action$='/agree'] button[type=submit]")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("The agreed grades are saved")
    expect(page.locator("#agreed-grade")).to_contain_text("Good")
    check_page(page, "moderation-06-agreed")

    activate(page, "a[href^='/moderation/agreement?cycle=']")
    expect(page.locator("#headline")).to_contain_text("Moderated audits")
    check_page(page, "moderation-07-agreement")
    activate(page, "a[href^='/moderation/agreement/questions']")
    expect(page.locator("#questions")).to_be_visible()
    check_page(page, "moderation-08-questions")
    page.goto(f"/audits/{audit_id}")
    expect(page.locator("#moderated-grade")).to_contain_text("Good")
    check_page(page, "moderation-09-audit-moderated")
