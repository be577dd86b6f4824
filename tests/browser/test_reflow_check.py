"""The reflow check itself: it finds what breaks reflow and passes what GOV.UK's patterns allow.

Plain HTML in the browser, no app: each case is the smallest page showing one way a page fails
(or passes) at 320 px, so a check that quietly stopped finding problems would fail here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.reflow import check_reflow

WIDE_TABLE = "<table><tr>" + "".join(f"<td>Column&nbsp;heading&nbsp;{n}</td>" for n in range(5)) + "</tr></table>"
REGION = '<div role="region" aria-label="Cases" tabindex="0" style="overflow-x:auto;position:relative">{}</div>'


@pytest.fixture
def bare_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def problems_in(page: Page, body: str) -> list[str]:
    page.set_content(f"<!doctype html><html><body style='margin:8px;font:19px sans-serif'>{body}</body></html>")
    return check_reflow(page, "reflow-check")


def test_a_wide_table_on_its_own_makes_the_page_scroll(bare_page: Page) -> None:
    problems = problems_in(bare_page, WIDE_TABLE)
    assert any(p.startswith("320px: page scrolls sideways by") and "Column heading" in p for p in problems), problems


def test_a_wide_table_in_a_named_focusable_region_reflows(bare_page: Page) -> None:
    assert problems_in(bare_page, REGION.format(WIDE_TABLE)) == []


def test_a_scroll_box_without_name_or_focus_is_reported(bare_page: Page) -> None:
    problems = problems_in(bare_page, f'<div style="overflow-x:auto">{WIDE_TABLE}</div>')
    assert any("is not a focusable, named region" in p for p in problems), problems


def test_content_cut_off_by_overflow_hidden_is_reported(bare_page: Page) -> None:
    problems = problems_in(bare_page, f'<div style="overflow:hidden">{WIDE_TABLE}</div>')
    assert any("content cut off in div" in p for p in problems), problems


def test_text_that_fits_only_without_text_spacing_is_caught(bare_page: Page) -> None:
    # 55 narrow letters of 19px text fit in 304 px, but not with 0.12 em (2.3 px) after each one.
    word = "l" * 55
    width = bare_page.evaluate("""word => {
        const s = document.createElement('span');
        s.style.font = '19px sans-serif';
        s.textContent = word;
        document.body.append(s);
        const w = s.getBoundingClientRect().width;
        s.remove();
        return w;
    }""", word)
    assert width < 300, f"test word too wide for this font ({width}px)"
    problems = problems_in(bare_page, f"<p style='white-space:nowrap'>{word}</p>")
    assert problems and all(p.startswith("320px with text spacing:") for p in problems), problems


def test_visually_hidden_text_escaping_an_unpositioned_scroller_is_caught(bare_page: Page) -> None:
    hidden = '<span style="position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)">more</span>'
    cells = "".join(f"<td>Column&nbsp;heading&nbsp;{n}{hidden}</td>" for n in range(5))
    table = f"<table><tr>{cells}</tr></table>"
    unpositioned = REGION.replace(";position:relative", "").format(table)
    assert any("page scrolls sideways" in p for p in problems_in(bare_page, unpositioned))
    assert problems_in(bare_page, REGION.format(table)) == []


def test_a_table_cut_off_on_the_desktop_is_reported_unless_marked_wide(bare_page: Page) -> None:
    very_wide = "<table><tr>" + "".join(f"<td>Column&nbsp;heading&nbsp;{n}</td>" for n in range(14)) + "</tr></table>"
    problems = problems_in(bare_page, REGION.format(very_wide))
    assert any(p.startswith("1280px:") and "cut off until scrolled" in p for p in problems), problems
    marked = REGION.replace('<div ', '<div class="app-table-wrapper--wide" ').format(very_wide)
    assert problems_in(bare_page, marked) == []


def test_the_viewport_and_styles_are_put_back(bare_page: Page) -> None:
    bare_page.set_viewport_size({"width": 1000, "height": 700})
    problems_in(bare_page, "<p>Text</p>")
    assert bare_page.viewport_size == {"width": 1000, "height": 700}
    assert bare_page.evaluate("getComputedStyle(document.querySelector('p')).letterSpacing") == "normal"
