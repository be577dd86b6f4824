"""WCAG 1.4.10 reflow and 1.4.12 text spacing, measured in the browser on the page as it stands.

A page reflows when, at 320 CSS px wide (1280 px at 400 % zoom), nothing makes the whole page
scroll sideways and nothing is cut off. Content that needs two dimensions (a data table) may
scroll on its own, but only inside a region a keyboard user can reach and a screen reader can
name: `role="region"`, an accessible name and `tabindex="0"`, as GOV.UK pages do.

The check runs twice: with the page's own styles, and with WCAG 1.4.12's text spacing forced on
every element (letter spacing 0.12 em, word spacing 0.16 em, line height 1.5, paragraph spacing
2 em). The extra spacing widens every word by more than swapping one sans-serif font for another
does (DejaVu Sans is about 10 % wider than Arial's metrics; 0.12 em a letter is about 25 %), so a
page that passes both does not depend on which fonts the machine happens to have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, ViewportSize

REFLOW_WIDTH = 320
REFLOW_HEIGHT = 640
DESKTOP: ViewportSize = {"width": 1280, "height": 900}

#: WCAG 1.4.12's minimums, as in the W3C's text-spacing bookmarklet.
TEXT_SPACING_CSS = """
*, *::before, *::after {
  line-height: 1.5 !important;
  letter-spacing: 0.12em !important;
  word-spacing: 0.16em !important;
}
p { margin-bottom: 2em !important; }
"""

# Applied as a constructed stylesheet: it needs no inline <style>, so the page's CSP is untouched.
_ADD_SHEET = """css => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  window.__reflowTextSpacing = sheet;
}"""
_REMOVE_SHEET = """() => {
  document.adoptedStyleSheets = document.adoptedStyleSheets.filter(s => s !== window.__reflowTextSpacing);
  delete window.__reflowTextSpacing;
}"""

# Returns a list of problems (strings); empty when the page reflows. With `tablesFit` (a desktop
# screen) a region that has to scroll is a problem too: there is room to show the whole table,
# unless it is marked as having more columns than any screen shows (`app-table-wrapper--wide`).
_MEASURE = r"""tablesFit => {
  const problems = [];
  const root = document.documentElement;
  const width = root.clientWidth;
  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = [...el.classList].slice(0, 3).join('.');
    if (cls) s += '.' + cls;
    const text = (el.innerText || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return text ? `${s} ("${text}")` : s;
  };
  const hiddenToSight = el => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 && r.height <= 1) return true;          // govuk-visually-hidden and friends
    const cs = getComputedStyle(el);
    return cs.visibility === 'hidden' || cs.clipPath === 'inset(50%)';
  };
  const scrollers = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (['INPUT', 'TEXTAREA', 'SELECT', 'OPTION', 'SCRIPT', 'STYLE', 'svg'].includes(el.tagName)) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none') continue;
    const wide = el.scrollWidth > el.clientWidth + 1;
    const tall = el.scrollHeight > el.clientHeight + 1;
    if (!wide && !tall) continue;
    if (hiddenToSight(el)) continue;
    const clips = v => v === 'hidden' || v === 'clip';
    if ((wide && clips(cs.overflowX)) || (tall && clips(cs.overflowY))) {
      problems.push(`content cut off in ${describe(el)}: ${el.scrollWidth}x${el.scrollHeight}px of content`
                    + ` in a ${el.clientWidth}x${el.clientHeight}px box`);
    }
    if (wide && (cs.overflowX === 'auto' || cs.overflowX === 'scroll')) {
      scrollers.push(el);
      const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (el.getAttribute('role') !== 'region' || !named || el.tabIndex < 0) {
        problems.push(`${describe(el)} scrolls sideways but is not a focusable, named region`
                      + ' (role="region", aria-label, tabindex="0")');
      }
      if (tablesFit && !el.matches('.app-table-wrapper--wide')) {
        problems.push(`${describe(el)} needs ${el.scrollWidth}px but has ${el.clientWidth}px:`
                      + ' its last columns are cut off until scrolled');
      }
    }
  }
  const overflow = root.scrollWidth - width;
  if (overflow > 0) {
    // Name the widest things that stick out, innermost first, to say where to look.
    const culprits = [];
    for (const el of document.body.querySelectorAll('*')) {
      if (scrollers.some(s => s !== el && s.contains(el))) continue;
      const r = el.getBoundingClientRect();
      const sticksOut = e => e.getBoundingClientRect().right > width + 0.5;
      if (sticksOut(el) && ![...el.children].some(sticksOut)) {
        const hidden = hiddenToSight(el) ? ' (visually hidden)' : '';
        culprits.push(`${describe(el)}${hidden} ends at ${Math.round(r.right)}px`);
      }
    }
    problems.push(`page scrolls sideways by ${overflow}px at ${width}px wide; sticking out: `
                  + culprits.slice(0, 5).join('; '));
  }
  return problems;
}"""


def reflow_problems(page: Page, tables_fit: bool = False) -> list[str]:
    """What stops the page, at its current viewport size, from reflowing (empty list: nothing)."""
    problems: list[Any] = page.evaluate(_MEASURE, tables_fit)
    return [str(p) for p in problems]


def check_reflow(page: Page, context: str, screenshot_dir: Path | None = None) -> list[str]:
    """Reflow problems on a desktop screen and at 320 px, there also with WCAG text spacing.

    On the desktop (1280 px) tables must fit as well. The viewport and styles are put back
    afterwards and the page is not reloaded, so a journey carries on where it was, form input and
    focus included. On a problem, a screenshot of that state is saved in ``screenshot_dir`` as
    ``<context>-<width>px[-text-spacing].png``.
    """
    before = page.viewport_size
    small: ViewportSize = {"width": REFLOW_WIDTH, "height": REFLOW_HEIGHT}
    found: list[str] = []
    try:
        for size, spacing in ((DESKTOP, False), (small, False), (small, True)):
            page.set_viewport_size(size)
            label = f"{size['width']}px" + (" with text spacing" if spacing else "")
            if spacing:
                page.evaluate(_ADD_SHEET, TEXT_SPACING_CSS)
            try:
                problems = reflow_problems(page, tables_fit=size is DESKTOP)
                if problems and screenshot_dir is not None:
                    name = f"{context}-{size['width']}px" + ("-text-spacing" if spacing else "")
                    page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=True)
                found += [f"{label}: {p}" for p in problems]
            finally:
                if spacing:
                    page.evaluate(_REMOVE_SHEET)
    finally:
        if before is not None:
            page.set_viewport_size(before)
    return found
