"""Public pages in a real browser: WCAG checks with axe, reflow, keyboard access, scripts under the CSP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect


@pytest.mark.parametrize(
    ("path", "name", "heading"),
    [
        ("/accessibility", "accessibility-statement", "Accessibility statement for EHC plan quality assurance"),
        ("/cookies", "cookies", "Cookies"),
        ("/no-such-page", "not-found", "Page not found"),
    ],
)
def test_public_page_is_accessible(
    page: Page, check_page: Callable[[Page, str], None], path: str, name: str, heading: str
) -> None:
    page.goto(path)
    expect(page.locator("h1")).to_have_text(heading)
    # The stylesheet loaded (axe's colour and target-size checks depend on it) ...
    expect(page.locator(".govuk-generic-header")).to_have_css("background-color", "rgb(11, 12, 12)")
    # ... and GOV.UK Frontend's module script ran despite the strict CSP.
    expect(page.locator("body")).to_have_class("govuk-template__body js-enabled govuk-frontend-supported")
    expect(page.locator(".govuk-skip-link")).to_have_attribute("data-govuk-skip-link-init", "")
    check_page(page, name)


def test_skip_link_is_first_tab_stop_and_moves_focus_to_main(page: Page) -> None:
    page.goto("/accessibility")
    page.keyboard.press("Tab")
    skip_link = page.locator(".govuk-skip-link")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    # The next Tab continues from the main content, not from the top of the page.
    page.keyboard.press("Tab")
    first_link_in_main = page.locator("main a").first
    expect(first_link_in_main).to_be_focused()


@pytest.mark.parametrize("path", ["/cookies", "/accessibility", "/sign-in", "/no-such-page"])
def test_public_page_reflows_on_a_small_screen(page: Page, check_page: Callable[[Page, str], None], path: str) -> None:
    """Opened at 320 px (a phone, or 1280 px at 400 % zoom), whatever fonts the machine has."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px at 320px wide (WCAG 1.4.10 reflow)"
    check_page(page, "public" + path.replace("/", "-") + "-320px")
