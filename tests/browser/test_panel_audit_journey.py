"""A Tier 3 panel audit in a real browser, keyboard only, with axe and reflow on every page state.

A panel member starts a multi-agency audit of a plan that already has a Tier 1 check, records who
is at the panel (meeting its error first) and the agency they represent, is refused at submit
until every agency's contribution is graded, grades them (meeting that form's error), collides
with a colleague at the panel grading the same agency, submits, and reads the confirmation and
the report. The answers to the 39 questions are saved through the library: answering sections
by keyboard is the auditor's journey (test_audit_journey.py); this one is about the panel's pages.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.audits import save_answers
from qaframework.store import Audit, Case, TemplateVersion, User
from qaframework.store.db import make_engine, session_factory
from tests.browser.conftest import BrowserWorld, sign_in, watched_page
from tests.browser.test_audit_journey import activate, tab_to, type_into
from tests.support import T1, all_met, submitted_check

T3_TITLE = "Multi-agency audit of a new EHC plan"


def choose(page: Page, name: str, value: str) -> None:
    """Choose a radio as a keyboard user does: Tab into the group, then arrow keys to the option."""
    tab_to(page, f"input[name='{name}']")
    for _ in range(12):
        if page.evaluate("() => document.activeElement.value") == value:
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {value!r} in {name}")


def _in_live_database(url: str, work: Callable[[Session], None]) -> None:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            work(session)
    finally:
        engine.dispose()


def test_tier3_panel_audit_with_the_keyboard_only(
    page: Page, browser: Browser, live_server: str, live_database: tuple[str, BrowserWorld],
    check_page: Callable[[Page, str], None],
) -> None:
    url, world = live_database
    case_ref = world.case_refs[1]

    def tier1_check_first(session: Session) -> None:
        author = session.scalars(select(User).where(User.email == world.auditor_email)).one()
        case = session.scalars(select(Case).where(Case.case_ref == case_ref)).one()
        tv = session.scalars(select(TemplateVersion).where(TemplateVersion.template_id == T1)
                             .order_by(TemplateVersion.version.desc())).first()
        assert tv is not None
        submitted_check(session, author, case.id, tv.id)

    _in_live_database(url, tier1_check_first)

    sign_in(page, world.panel_email, world.password)
    page.goto(f"/audits/new?case_ref={case_ref}&subject=final_plan")  # as a sample's "Start a Tier 3 panel audit"
    label = page.locator("label", has_text=T3_TITLE)
    choose(page, "template_version_id", str(page.locator(f"input#{label.get_attribute('for')}").get_attribute("value")))
    activate(page, "form button.govuk-button")
    expect(page.get_by_role("heading", level=1)).to_have_text("Members present")
    check_page(page, "tier3-01-members-present")
    audit_path = page.url.split("/panel")[0].split(live_server)[-1]

    activate(page, "#add-member button.govuk-button")  # nobody chosen: the error state
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose who was at the panel")
    check_page(page, "tier3-02-members-error")
    tab_to(page, "select#user_id")
    names = page.eval_on_selector_all("select#user_id option", "os => os.map(o => o.textContent)")
    colleague = next(i for i, n in enumerate(names) if n.startswith("Robin Colleague"))
    for _ in range(colleague):
        page.keyboard.press("ArrowDown")
    activate(page, "#add-member button.govuk-button")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Robin Colleague")
    check_page(page, "tier3-03-member-added")

    activate(page, "a[href$='/agency']")  # Pat Panel, who has no agency of their own
    check_page(page, "tier3-04-agency")
    choose(page, "agency_code", "send_service")
    activate(page, "form button.govuk-button")
    expect(page.locator("#members-present")).to_contain_text("SEND and EHC service")

    def answer_everything(session: Session) -> None:
        member = session.scalars(select(User).where(User.email == world.panel_email)).one()
        audit = session.get(Audit, int(audit_path.rsplit("/", 1)[1]))
        assert audit is not None and member.role == Role.PANEL_MEMBER
        save_answers(session, member, audit.id, audit.version_id, all_met(audit.template))

    _in_live_database(url, answer_everything)

    page.goto(audit_path)
    expect(page.locator("#lower-tier-audits")).to_contain_text("EHC co-ordinator plan quality check")
    check_page(page, "tier3-05-overview")
    page.goto(audit_path + "/submit")
    check_page(page, "tier3-06-check")
    activate(page, "form button.govuk-button")  # refused: no agency graded yet
    expect(page.locator(".govuk-error-summary")).to_contain_text("Grade Health's contribution")
    check_page(page, "tier3-07-submit-errors")
    activate(page, ".govuk-error-summary a[href*='agency-contributions']")
    expect(page.get_by_role("heading", level=1)).to_have_text("Each agency's contribution")
    check_page(page, "tier3-08-contributions")

    # A colleague at the panel opens the same page before anything is saved.
    with watched_page(browser, live_server, {"width": 1280, "height": 900}) as other:
        sign_in(other, world.colleague_email, world.password)
        other.goto(audit_path + "/agency-contributions")

        choose(page, "choice-adult_social_care", "not_involved")
        activate(page, "button[value=stay]")  # no reason given: the error state
        expect(page.locator(".govuk-error-summary")).to_contain_text("Say why Adult social care was not involved")
        check_page(page, "tier3-09-contributions-error")
        type_into(page, "textarea#note-adult_social_care", "The child is in Year 9; no adult services yet.")
        for code in ("childrens_social_care", "education", "health", "send_service"):
            choose(page, f"choice-{code}", "good")
            type_into(page, f"textarea#note-{code}", "Specific advice, on time.")
        activate(page, "button[value=continue]")
        expect(page.locator("#agency-contributions")).to_contain_text("Not involved")
        check_page(page, "tier3-10-advice-section")

        choose(other, "choice-health", "inadequate")
        activate(other, "button[value=stay]")
        expect(other.get_by_role("heading", level=1)).to_have_text("This audit changed since you opened it")
        expect(other.locator("table.app-compare")).to_contain_text("Inadequate")
        check_page(other, "tier3-11-contributions-conflict")

    page.goto(audit_path + "/submit")
    activate(page, "form button.govuk-button")
    expect(page.locator(".govuk-panel")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("panel may sample")
    check_page(page, "tier3-12-submitted")
    activate(page, "a[href$='/report']")
    expect(page.locator("#members-present")).to_contain_text("Robin Colleague")
    check_page(page, "tier3-13-report")
