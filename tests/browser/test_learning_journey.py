"""The learning loop in a real browser, with the keyboard only, and the full page check (axe and
reflow at 320 px) on every page state.

An auditor filters the actions, marks one as a training need and records the training delivered,
closes it saying what changed, reads the themes and the evidence behind one, and puts a moderated
section forward as an exemplar; a panel lead turns down, then approves it; the checklist section
links to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserWorld, sign_in
from tests.browser.test_audit_journey import activate, tab_to, type_into
from tests.support import TEST_PASSWORD


@dataclass(frozen=True)
class LearningWorld:
    auditor: str
    lead: str
    audit_id: int
    section_id: str
    plan_section: str
    question_id: str


@pytest.fixture(scope="module")
def learning_world(live_database: tuple[str, BrowserWorld]) -> LearningWorld:
    """An auditor's two submitted checks (one moderated Good), an action raised from one, a panel lead."""
    from sqlalchemy import select

    from qaframework.framework import Rating
    from qaframework.operations.actions import raise_action
    from qaframework.operations.audits import ResponseInput, save_answers, start_audit, submit_audit
    from qaframework.operations.cases import import_cases
    from qaframework.operations.users import add_user
    from qaframework.store import Case, TemplateVersion
    from qaframework.store.db import make_engine, session_factory
    from tests.support import T1, all_met

    engine = make_engine(live_database[0])
    try:
        with session_factory(engine)() as session:
            auditor = add_user(session, None, email="learner@example.test", display_name="Lee Learner",
                               password=TEST_PASSWORD, role="auditor", agency_code="send_service", team="South")
            lead = add_user(session, None, email="lead@example.test", display_name="Lou Lead",
                            password=TEST_PASSWORD, role="panel_member")
            lead.leads_panel = True
            session.commit()
            import_cases(session, None, "learning.csv",
                         b"case_ref,year_group,primary_need,setting_type,team,request_date\n"
                         b"BRLRN-1,5,ASD,Mainstream school,South,2026-03-02\n"
                         b"BRLRN-2,7,SEMH,Special school,South,2026-03-09\n")
            tv = session.scalars(select(TemplateVersion).where(TemplateVersion.template_id == T1)
                                 .order_by(TemplateVersion.version.desc())).first()
            assert tv is not None
            question = tv.template.questions()[0].id
            audits = []
            for ref in ("BRLRN-1", "BRLRN-2"):
                case = session.scalars(select(Case).where(Case.case_ref == ref)).one()
                audit = start_audit(session, auditor, case_id=case.id, template_version_id=tv.id,
                                    subject="final_plan")
                answers = all_met(audit.template)
                if ref == "BRLRN-2":
                    answers[question] = ResponseInput(Rating.NOT_MET.value, "The child's views are not recorded.")
                save_answers(session, auditor, audit.id, audit.version_id, answers)
                submit_audit(session, auditor, audit.id, audit.version_id)
                audits.append(audit)
            good = audits[0]
            for row in good.section_grades:
                row.moderated_grade = "good"
            good.moderated_grade = "good"
            session.commit()
            raise_action(session, auditor, audit_id=audits[1].id, question_id=question,
                         description="Record the child's views in section A before the draft plan.",
                         owner_id=auditor.id, due_date=date.today() + timedelta(days=10), theme="Child's voice")
            section = good.section_grades[0]
            return LearningWorld("learner@example.test", "lead@example.test", good.id, section.section_id,
                                 section.plan_sections[0], question)
    finally:
        engine.dispose()


def sign_out(page: Page) -> None:
    activate(page, "a[href='/sign-out']")
    activate(page, "form[action='/sign-out'] [type=submit]")


EXTRACT = ("The young person describes what a good day looks like and what they want to do after school, in "
           "their own words, and each view is carried into the outcomes in section E.")


def test_the_learning_loop_with_the_keyboard_only(
    page: Page, learning_world: LearningWorld, check_page: Callable[[Page, str], None]
) -> None:
    world = learning_world
    sign_in(page, world.auditor, TEST_PASSWORD)
    activate(page, "a[href='/learning']")
    expect(page.locator("h1")).to_have_text("Learning and improvement")
    check_page(page, "learning-index")

    # Actions, filtered: the filters land in the address.
    activate(page, "#learning-pages a[href='/learning/actions']")
    check_page(page, "learning-actions")
    tab_to(page, "#theme")
    page.keyboard.type("Child")
    tab_to(page, "#status")
    page.keyboard.type("Open or")
    activate(page, "#action-filters button")
    assert "theme=Child" in page.url and "status=still_open" in page.url
    expect(page.locator("#action-count")).to_have_text("1 action matching the filters.")
    check_page(page, "learning-actions-filtered")

    # The action: mark it a training need, record the training delivered (an error first).
    activate(page, "table a[href^='/actions/']")
    activate(page, "a[href$='/training']")
    check_page(page, "learning-training-need")
    tab_to(page, "input[name=training_need]:checked")  # "No": a radio group is one Tab stop
    page.keyboard.press("ArrowUp")  # "Yes", which reveals the service area
    type_into(page, "#training_area", "South team co-ordinators")
    activate(page, "#training-need-form button")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Training need saved.")
    today = date.today()
    type_into(page, "#delivered_on-day", str(today.day))
    type_into(page, "#delivered_on-month", str(today.month))
    type_into(page, "#delivered_on-year", str(today.year))
    activate(page, "#training-delivered-form button")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter how many people were trained")
    check_page(page, "learning-training-errors")
    type_into(page, "#attendees", "12")
    activate(page, "#training-delivered-form button")
    expect(page.locator(".govuk-summary-list").first).to_contain_text("12")
    activate(page, "a[href='/learning/training']")
    expect(page.locator("#training-summary")).to_contain_text("12")
    check_page(page, "learning-training")

    # Close the action as Done: what was done and what changed as a result.
    activate(page, "table a[href^='/actions/']")
    tab_to(page, "input[name=status]:checked")  # Open
    page.keyboard.press("ArrowDown")  # In progress
    page.keyboard.press("ArrowDown")  # Done
    type_into(page, "#closing_note", "Views gathered with the family before the draft.")
    activate(page, "form button.govuk-button")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say what changed as a result")
    check_page(page, "learning-action-outcome-error")
    expect(page.locator("input[name=status][value=done]")).to_be_checked()  # the choice is kept
    type_into(page, "#outcome", "Section A of the team's new plans now quotes the child.")
    activate(page, "form button.govuk-button")
    expect(page.locator(".govuk-summary-list").first).to_contain_text("Section A of the team's new plans now quotes")
    check_page(page, "learning-action-done")

    # Themes, and the evidence behind the question that fell short.
    activate(page, "a[href='/learning']")
    activate(page, "#learning-pages a[href='/learning/themes']")
    expect(page.locator("#themes-table")).to_contain_text(world.question_id)
    check_page(page, "learning-themes")
    activate(page, f"#themes-table a[href*='question={world.question_id}']")
    expect(page.locator("#evidence-table")).to_contain_text("BRLRN-2")
    check_page(page, "learning-theme-evidence")

    # Put the moderated section forward as an exemplar (the checklist refused first).
    activate(page, "a[href='/learning']")
    activate(page, "#learning-pages a[href='/learning/exemplars']")
    check_page(page, "learning-exemplars-empty")
    activate(page, "a[href='/learning/exemplars/sections']")
    check_page(page, "learning-exemplar-candidates")
    activate(page, f"a[href='/learning/exemplars/nominate/{world.audit_id}/{world.section_id}']")
    type_into(page, "#extract", EXTRACT)
    activate(page, "form button.govuk-button")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm every item of the anonymisation checklist")
    check_page(page, "learning-nominate-errors")
    for box in page.locator("input[name=checks]").all():
        tab_to(page, f"#{box.get_attribute('id')}")
        page.keyboard.press("Space")
    activate(page, "form button.govuk-button")
    expect(page.locator("main .govuk-tag")).to_contain_text("Waiting for a panel lead")
    check_page(page, "learning-exemplar-nominated")
    exemplar_path = urlsplit(page.url).path
    sign_out(page)

    # The panel lead turns it down without a reason (refused), then approves it.
    sign_in(page, world.lead, TEST_PASSWORD)
    page.goto("/learning/exemplars/waiting")
    check_page(page, "learning-exemplars-waiting")
    activate(page, f"#waiting-table a[href='{exemplar_path}']")
    check_page(page, "learning-exemplar-decide")
    tab_to(page, "input[name=decision][value=approve]")  # none chosen yet: the first is the Tab stop
    page.keyboard.press("ArrowDown")  # "No, not yet"
    activate(page, "form button.govuk-button")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say why it is not approved")
    check_page(page, "learning-exemplar-decide-error")
    tab_to(page, "input[name=decision]:checked")
    page.keyboard.press("ArrowUp")  # "Yes, approve it"
    activate(page, "form button.govuk-button")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Exemplar approved")
    check_page(page, "learning-exemplar-approved")
    sign_out(page)

    # The auditor's checklist section links to the approved exemplars for its plan section.
    sign_in(page, world.auditor, TEST_PASSWORD)
    page.goto(f"/audits/{world.audit_id}/sections/{world.section_id}")
    activate(page, "#exemplars-link a")
    expect(page.locator("#exemplar-extract, ul.govuk-list--spaced").first).to_contain_text("good day")
    check_page(page, "learning-exemplars-by-section")
