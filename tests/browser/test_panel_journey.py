"""The panel's half term in a real browser, keyboard only, axe and reflow on every page state.

A panel member opens the Panel pages, meets the draw form's error summary, draws a sample of the
half term's submitted audits, reads why each is in, gives the sample to themselves and takes it
back; then draws a sample of cases and finds the links to start a Tier 3 panel audit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserWorld, sign_in
from tests.browser.test_audit_journey import activate, tab_to, type_into

PLAN_CASES = ("BRPNL-1", "BRPNL-2", "BRPNL-3")


@pytest.fixture(scope="module")
def half_term(live_database: tuple[str, BrowserWorld]) -> None:
    """Three cases with a plan, and a submitted Tier 1 check on each, in this half term."""
    from sqlalchemy import select

    from qaframework.operations.cases import find_case, import_cases
    from qaframework.store import TemplateVersion, User
    from qaframework.store.db import make_engine, session_factory
    from tests.support import T1, submitted_check

    url, world = live_database
    today = date.today()
    issued, requested = today - timedelta(days=60), today - timedelta(days=60 + 7 * 15)
    rows = "\n".join(f"{ref},5,ASD,Mainstream school,North,{requested},{issued},issued" for ref in PLAN_CASES)
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            import_cases(session, None, "plans.csv", (
                "case_ref,year_group,primary_need,setting_type,team,request_date,final_issued_date,outcome\n"
                f"{rows}\n").encode())
            author = session.scalars(select(User).where(User.email == world.auditor_email)).one()
            tv = session.scalars(select(TemplateVersion).where(TemplateVersion.template_id == T1)
                                 .order_by(TemplateVersion.version.desc())).first()
            assert tv is not None
            for ref in PLAN_CASES:
                case = find_case(session, ref)
                assert case is not None
                submitted_check(session, author, case.id, tv.id)
    finally:
        engine.dispose()


def test_a_panel_member_draws_and_shares_a_sample_with_the_keyboard(
    page: Page, world: BrowserWorld, half_term: None, check_page: Callable[[Page, str], None]
) -> None:
    sign_in(page, world.panel_email, world.password)
    activate(page, "a.govuk-service-navigation__link[href='/panel']")
    expect(page.locator("h1")).to_have_text("Half terms")
    check_page(page, "panel-cycles")

    activate(page, "a.govuk-button[href^='/panel/samples/new']")
    expect(page.locator("h1")).to_have_text("Draw a sample")
    check_page(page, "panel-draw")
    activate(page, "form button.govuk-button")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose whether to sample cases or audits")
    check_page(page, "panel-draw-errors")

    tab_to(page, "input#kind")  # Audits for moderation
    page.keyboard.press("Space")
    tab_to(page, "input#size_by")  # A number: reveals the size box
    page.keyboard.press("Space")
    type_into(page, "input#size", "2")
    tab_to(page, "input[name=strata][value=team]")
    page.keyboard.press("Space")
    page.locator("input#seed").fill("")  # left blank: a new seed
    activate(page, "form button.govuk-button")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Sample drawn")
    rows = page.locator("tbody tr")
    # Two drawn at random. Other journeys share this database, so other auditors' submitted audits
    # may each add one row for their minimum; every row is one or the other.
    expect(rows.filter(has_text="Random draw")).to_have_count(2)
    expect(rows.filter(has_not_text="Random draw")).to_have_count(rows.filter(has_text="Auditor's minimum").count())
    expect(rows.first).to_contain_text("Random draw")
    check_page(page, "panel-sample-audits")

    # Other journeys share this database and may have added panel members: pick Pat by name.
    pat = page.locator("label", has_text="Pat Panel").first.get_attribute("for")
    tab_to(page, f"input[id='{pat}']")
    page.keyboard.press("Space")
    activate(page, "form[action$='/assign'] button.govuk-button")
    expect(page.locator("#assigned + ul")).to_contain_text("Pat Panel: the whole sample")
    check_page(page, "panel-sample-assigned")
    activate(page, "form[action*='/assignments/'] button")
    expect(page.locator("#assigned + p")).to_have_text("Nobody has been given this sample yet.")

    activate(page, "a.govuk-back-link")
    activate(page, "a.govuk-button[href^='/panel/samples/new']")
    tab_to(page, "input#kind")
    page.keyboard.press("ArrowDown")  # Cases, the second choice
    tab_to(page, "input#size_by")
    page.keyboard.press("ArrowDown")  # A proportion
    type_into(page, "input#proportion", "100%")
    activate(page, "form button.govuk-button")
    # Every case with a plan is drawn; other journeys sharing this database may have added more.
    for ref in PLAN_CASES:
        expect(page.locator("tbody tr", has_text=ref)).to_have_count(1)
    first_case_row = page.locator("tbody tr", has_text=PLAN_CASES[0])
    expect(first_case_row.locator("a[href^='/audits/new?case_id=']")).to_contain_text("Start a Tier 3 panel audit")
    check_page(page, "panel-sample-cases")
    start_href = first_case_row.locator("a[href^='/audits/new?case_id=']").get_attribute("href")
    activate(page, f"a[href='{start_href}']")
    expect(page.locator("input#case_ref")).to_have_value(PLAN_CASES[0])
