"""Every free-text box warns against entering names (issue 10; docs/dpia.md): children's records,
and free text is where names slip in. Templates are read, not rendered, so a box on a page no
test reaches is still checked."""

from __future__ import annotations

import re
from pathlib import Path

from webapp.presenters import NO_IDENTIFIERS_HINT

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"
#: A GOV.UK free-text component called in a template (not its import line).
CALL = re.compile(r"\b(govukTextarea|govukCharacterCount)\(")
#: Words that say the same as the shared hint, for boxes whose own hint is more specific.
SAME_WARNING = re.compile(r"no names of the child|do not enter names", re.IGNORECASE)


def _calls(text: str) -> list[tuple[int, str]]:
    """Each call's arguments (balanced parentheses), with its line number."""
    found = []
    for match in CALL.finditer(text):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
        found.append((text.count("\n", 0, match.start()) + 1, text[match.start():end + 1]))
    return found


def _raw_textareas(text: str) -> list[tuple[int, str]]:
    """Hand-written <textarea> elements, with the 600 characters before them (their label and hint)."""
    return [(text.count("\n", 0, m.start()) + 1, text[max(0, m.start() - 600):m.end() + 200])
            for m in re.finditer(r"<textarea\b", text)]


def test_every_free_text_box_warns_against_names() -> None:
    missing = []
    boxes = 0
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for line, call in _calls(text) + _raw_textareas(text):
            boxes += 1
            if "no_identifiers_hint" not in call and not SAME_WARNING.search(call):
                missing.append(f"{path.relative_to(TEMPLATES)}:{line}")
    assert boxes >= 15  # the scan found the service's text boxes
    assert missing == [], f"free-text boxes without the hint {NO_IDENTIFIERS_HINT!r}: {missing}"


def test_the_hint_says_what_not_to_enter() -> None:
    assert "names" in NO_IDENTIFIERS_HINT and "child or family" in NO_IDENTIFIERS_HINT
