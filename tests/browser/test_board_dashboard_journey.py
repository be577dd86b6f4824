"""A board viewer, keyboard only, goes from Home to the board dashboard, reads it, and narrows it to
a year and a phase; axe and reflow at 320 px on every state."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserWorld, sign_in

#: A year no other journey writes audits in, so the shared database's other rows don't change these figures.
YEAR = "2019-20"
VIEWER = "board.journey@example.test"


@pytest.fixture(scope="module")
def board_area(live_database: tuple[str, BrowserWorld]) -> str:
    """Tier 2 audits in Autumn 1 of YEAR: health's of primary-age children (6 good, 5 requires
    improvement), education's of secondary-age children (7 outstanding, 5 inadequate)."""
    from sqlalchemy import select

    from qaframework.operations.cases import import_cases
    from qaframework.operations.users import add_user
    from qaframework.store import Audit, Case, TemplateVersion
    from qaframework.store.db import make_engine, session_factory

    world = live_database[1]
    groups = [("good", "health", "4", 6), ("requires_improvement", "health", "4", 5),
              ("outstanding", "education", "9", 7), ("inadequate", "education", "9", 5)]
    rows = [f"BRBOARD-{grade[:2]}{n},{year_group},ASD,Mainstream school,North,2019-09-02"
            for grade, _, year_group, count in groups for n in range(count)]
    engine = make_engine(live_database[0])
    try:
        with session_factory(engine)() as session:
            add_user(session, None, email=VIEWER, display_name="Bea Board", password=world.password,
                     role="board_viewer")
            auditor = add_user(session, None, email="board.auditor@example.test", display_name="Ali Auditor",
                               password=world.password, role="auditor", agency_code="health", team="North")
            import_cases(session, None, "board.csv",
                         ("case_ref,year_group,primary_need,setting_type,team,request_date\n" + "\n".join(rows)
                          + "\n").encode())
            version = session.scalars(select(TemplateVersion).where(
                TemplateVersion.template_id == "t2-health-advice-audit")).first()
            assert version is not None
            for grade, agency, _, count in groups:
                for n in range(count):
                    case = session.scalars(select(Case).where(Case.case_ref == f"BRBOARD-{grade[:2]}{n}")).one()
                    session.add(Audit(case_id=case.id, template_version_id=version.id, subject="advice", tier=2,
                                      agency_code=agency, auditor_id=auditor.id, status="submitted",
                                      cycle=f"{YEAR} Autumn 1", auditor_grade=grade, suggested_grade=grade))
            session.commit()
    finally:
        engine.dispose()
    return YEAR


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never received the focus in {limit} presses of Tab")


def tier2_grades(page: Page) -> list[str]:
    cells = page.locator("#grades-table tr[data-key='2'] td")
    return [text.split(" (")[0].strip() for text in cells.all_inner_texts()]


def test_a_board_viewer_reads_and_filters_the_dashboard_by_keyboard(
    page: Page, board_area: str, check_page: Callable[[Page, str], None]
) -> None:
    sign_in(page, VIEWER, BrowserWorld.password)
    tab_to(page, "#board-dashboard-link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Board dashboard")
    board_link = page.get_by_role("link", name="Board", exact=True)
    expect(board_link).to_have_attribute("aria-current", re.compile(r"page|true"))
    check_page(page, "board-dashboard")

    # The year, by typing its name into the focused select, then the form's button.
    tab_to(page, "#year")
    page.keyboard.type(board_area)
    tab_to(page, "#show-figures")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(f"Board dashboard: {board_area}")
    assert tier2_grades(page) == ["7", "6", "5", "5", "23"]
    expect(page.locator("#grades-chart .app-chart__value")).to_have_text(["7", "6", "5", "5"])
    expect(page.get_by_role("img", name=f"Grades by tier, {board_area}")).to_be_visible()
    check_page(page, "board-dashboard-year")

    # Then only primary-age children: health's audits.
    tab_to(page, "#phase")
    page.keyboard.type("Primary")
    tab_to(page, "#show-figures")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "phase=primary" in page.url and f"year={board_area}" in page.url
    assert tier2_grades(page) == ["0", "6", "5", "0", "11"]
    expect(page.locator("#grades-chart .app-chart__value")).to_have_text(["6", "5"])
    expect(page.locator("#filters-in-use")).to_contain_text("Phase: Primary")
    expect(page.locator("#phase")).to_have_value("primary")
    check_page(page, "board-dashboard-primary")

    # The data tables scroll in named regions a keyboard user can reach.
    tab_to(page, "[role=region][aria-label='Grades by tier (table)']")
    # Clear filters goes back to the whole area.
    tab_to(page, "#clear-filters")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#phase")).to_have_value("")
