"""Template filters that turn stored codes into the words users read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from qaframework.framework import GRADE_SCALES, PHASES, PRIMARY_NEEDS, ROLE_LABELS, RATING_LABELS, Rating, Role, Subject, Tier

UK = ZoneInfo("Europe/London")
GRADE_LABELS = {code: scale.label(code) for scale in GRADE_SCALES.values() for code in scale.codes}
GRADE_TAG_COLOURS = {"outstanding": "green", "good": "turquoise", "requires_improvement": "yellow", "inadequate": "red",
                     "positive": "green", "mixed": "yellow", "negative": "red"}
STATUS_TAG_COLOURS = {"draft": "grey", "submitted": "blue", "returned": "orange", "moderated": "purple", "closed": "green",
                      "open": "blue", "in_progress": "light-blue", "done": "green", "cancelled": "grey",
                      "requested": "blue", "agreed": "green", "challenged": "orange", "responded": "purple"}
RATING_TAG_COLOURS = {"met": "green", "partially_met": "yellow", "not_met": "red", "not_applicable": "grey"}


def uk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return f"{value.day} {value:%B %Y}"


def uk_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(UK)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def grade_label(code: str | None) -> str:
    return GRADE_LABELS.get(code or "", "Not graded")


def grade_tag(code: str | None) -> dict[str, Any]:
    return {"text": grade_label(code), "classes": f"govuk-tag--{GRADE_TAG_COLOURS.get(code or '', 'grey')}"}


def status_tag(status: str) -> dict[str, Any]:
    return {"text": status.replace("_", " ").capitalize(), "classes": f"govuk-tag--{STATUS_TAG_COLOURS.get(status, 'grey')}"}


def rating_label(code: str | None) -> str:
    return RATING_LABELS[Rating(code)] if code else "Not answered"


def rating_tag(code: str | None) -> dict[str, Any]:
    return {"text": rating_label(code), "classes": f"govuk-tag--{RATING_TAG_COLOURS.get(code or '', 'grey')}"}


ACTIVITY = {
    "audit.start": "Started an audit", "audit.save": "Saved an audit", "audit.submit": "Submitted an audit",
    "audit.return": "Returned an audit", "audit.reopen": "Reopened an audit after peer challenge",
    "action.raise": "Raised an action", "action.update": "Updated an action",
    "peer.request": "Asked for peer challenge", "peer.review": "Reviewed a colleague's check",
    "peer.respond": "Responded to a peer challenge", "user.set_password": "Changed a password",
}


def activity_text(entry: Any) -> str:
    text = ACTIVITY.get(entry.action, entry.action.replace(".", " ").replace("_", " ").capitalize())
    return f"{text} ({entry.entity.replace('_', ' ')} {entry.entity_id})" if entry.entity_id and entry.entity in {"audit", "action"} else text


def init_app(app: Flask) -> None:
    app.add_template_filter(activity_text, "activity_text")
    app.add_template_filter(uk_date, "uk_date")
    app.add_template_filter(uk_datetime, "uk_datetime")
    app.add_template_filter(grade_label, "grade_label")
    app.add_template_filter(grade_tag, "grade_tag")
    app.add_template_filter(status_tag, "status_tag")
    app.add_template_filter(rating_label, "rating_label")
    app.add_template_filter(rating_tag, "rating_tag")
    app.add_template_filter(lambda s: Subject(s).label if s else "", "subject_label")
    app.add_template_filter(lambda t: Tier(int(t)).label, "tier_label")
    app.add_template_filter(lambda r: ROLE_LABELS[Role(r)], "role_label")
    app.add_template_filter(lambda n: f"{n} – {PRIMARY_NEEDS[n]}" if n in PRIMARY_NEEDS else (n or ""), "need_label")
    app.add_template_filter(lambda p: PHASES.get(p or "", "Not known"), "phase_label")
