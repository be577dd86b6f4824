"""Importing a SEN2 return in a real browser: the problem list by person and element, the preview, the result."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.conftest import BrowserWorld, sign_in
from tests.sen2_files import Sen2Person, Sen2Request, sen2_return

ADMIN = "sen2.admin@example.test"


@pytest.fixture(scope="module")
def admin(live_database: tuple[str, BrowserWorld]) -> str:
    from qaframework.operations.users import add_user
    from qaframework.store.db import make_engine, session_factory

    engine = make_engine(live_database[0])
    try:
        with session_factory(engine)() as session:
            add_user(session, None, email=ADMIN, display_name="Sam Admin", password=live_database[1].password,
                     role="admin")
    finally:
        engine.dispose()
    return ADMIN


def _upload(page: Page, name: str, content: str) -> None:
    page.goto("/admin/case-import")
    file: FilePayload = {"name": name, "mimeType": "text/xml", "buffer": content.encode()}
    page.set_input_files("input[type=file]", files=[file])
    with page.expect_navigation():
        page.click("main form button.govuk-button")


def test_a_sen2_return_is_checked_previewed_and_imported(
    page: Page, world: BrowserWorld, admin: str, check_page: Callable[[Page, str], None]
) -> None:
    sign_in(page, admin, world.password)
    page.goto("/admin/case-import")
    page.get_by_text("Importing a SEN2 return").click()
    expect(page.get_by_text("Names, dates of birth, UPNs")).to_be_visible()
    check_page(page, "sen2-upload-page")

    people = [
        Sen2Person("Browserton", "Ariadne", "2015-03-03", upn="K123456789012", requests=[
            Sen2Request("2025-02-03", "Y", "2025-03-10", "Y", "2025-05-19", week20="0", plan_start="2025-06-16",
                        active_plans=True, need="SLCN", urn="100003")]),
        Sen2Person("Browserton", "Benedikt", "2016-04-04", upn="L123456789012",
                   requests=[Sen2Request("2025-09-01", "A")]),
    ]
    bad = [*people, Sen2Person("Browserton", "Casimir", "2017-05-05", upn="M12",
                                requests=[Sen2Request("2025-13-01", "A")])]
    _upload(page, "sen2-return-2026-with-a-rather-long-exported-file-name.xml", sen2_return(2026, bad))
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    headings = page.locator("#problems ~ .app-table-wrapper th[scope=col]")
    expect(headings).to_have_text(["Person", "Element", "Problem"])
    rows = page.locator("#problems ~ .app-table-wrapper tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("is not a UPN")
    expect(rows.nth(1)).to_contain_text("Requests/ReceivedDate")
    check_page(page, "sen2-import-problems")

    _upload(page, "sen2-return-2026.xml", sen2_return(2026, people))
    expect(page.locator("h1")).to_have_text("Check the file before you import it")
    expect(page.locator("#sen2-summary")).to_contain_text("2 people")
    expect(page.locator("main")).not_to_contain_text("Browserton")
    check_page(page, "sen2-import-preview")
    with page.expect_navigation():
        page.get_by_role("button", name="Import 2 rows").click()
    expect(page.locator(".govuk-panel")).to_contain_text("2 people from sen2-return-2026.xml")
    check_page(page, "sen2-import-done")
