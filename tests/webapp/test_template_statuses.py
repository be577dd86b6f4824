"""Templates compare statuses with the enums (``AuditStatus.DRAFT``), never with spelled-out values.

A misspelt string ("submited") is silently never equal; a misspelt enum member fails the page.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, render_template_string

from qaframework.framework import ActionStatus, AuditStatus, PeerChallengeStatus

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"
#: ``audit.status == "draft"``, ``challenge.status != 'agreed'``, ``action.status in ("done", ...)``.
SPELLED = re.compile(r"""\b(?:audit|challenge|action)\.status\s*(?:==|!=|in|not in)\s*\(?\s*["']""")


def test_no_template_compares_a_status_with_a_string() -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SPELLED.search(line)
    ]
    assert found == []


def test_the_status_enums_are_template_globals_and_equal_the_stored_values(app: Flask) -> None:
    with app.test_request_context():
        html = render_template_string(
            "{{ status == AuditStatus.SUBMITTED }} {{ peer == PeerChallengeStatus.RESPONDED }} "
            "{{ ActionStatus(action).label }}",
            status="submitted",
            peer="responded",
            action="in_progress",
        )
    assert html == "True True In progress"
    assert AuditStatus("submitted") is AuditStatus.SUBMITTED
    assert PeerChallengeStatus("agreed") is PeerChallengeStatus.AGREED
    assert ActionStatus.IN_PROGRESS.label == "In progress"
