"""Template filters that turn stored codes into the words users read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from qaframework import limits
from qaframework.checklists.model import PLAN_SECTIONS
from qaframework.framework import (
    GRADE_SCALES,
    PHASES,
    PRIMARY_NEEDS,
    RATING_LABELS,
    ROLE_LABELS,
    ActionStatus,
    AuditStatus,
    CommentKind,
    PeerChallengeStatus,
    Rating,
    Role,
    Subject,
    Tier,
)
from qaframework.operations.submissions import new_form_token
from qaframework.permissions import can_start_audits, can_view_board_dashboard
from qaframework.scoring import explain_grading, grading_rule_name

UK = ZoneInfo("Europe/London")
GRADE_LABELS = {code: scale.label(code) for scale in GRADE_SCALES.values() for code in scale.codes}
GRADE_TAG_COLOURS = {"outstanding": "green", "good": "turquoise", "requires_improvement": "yellow", "inadequate": "red",
                     "positive": "green", "mixed": "yellow", "inconsistent": "yellow", "negative": "red"}
STATUS_TAG_COLOURS = {
    "draft": "grey",
    "submitted": "blue",
    "returned": "orange",
    "moderated": "purple",
    "closed": "green",
    "open": "blue",
    "in_progress": "light-blue",
    "done": "green",
    "cancelled": "grey",
    "requested": "blue",
    "agreed": "green",
    "challenged": "orange",
    "responded": "purple",
}
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
    return {
        "text": status.replace("_", " ").capitalize(),
        "classes": f"govuk-tag--{STATUS_TAG_COLOURS.get(status, 'grey')}",
    }


def rating_label(code: str | None) -> str:
    return RATING_LABELS[Rating(code)] if code else "Not answered"


def rating_tag(code: str | None) -> dict[str, Any]:
    return {"text": rating_label(code), "classes": f"govuk-tag--{RATING_TAG_COLOURS.get(code or '', 'grey')}"}


ACTIVITY = {
    "audit.start": "Started an audit",
    "audit.save": "Saved an audit",
    "audit.submit": "Submitted an audit",
    "audit.return": "Returned an audit",
    "audit.reopen": "Reopened an audit after peer challenge",
    "action.raise": "Raised an action",
    "action.update": "Updated an action",
    "peer.request": "Asked for peer challenge",
    "peer.review": "Reviewed a colleague's check",
    "peer.respond": "Responded to a peer challenge",
    "user.set_password": "Changed a password",
    "audit.discard": "Discarded a draft audit",
    "action.close": "Closed an action",
}


def activity_text(entry: Any, names: dict[tuple[str, str], str] | None = None) -> str:
    """What happened, naming the record as people know it (``operations.trail.record_names``)."""
    text = ACTIVITY.get(entry.action, entry.action.replace(".", " ").replace("_", " ").capitalize())
    name = (names or {}).get((entry.entity, entry.entity_id or ""))
    return f"{text}: {name}" if name else text


def plan_sections_text(codes: list[str]) -> str:
    """ "Plan sections B and F", or the words for a part that is not a lettered section
    ("Process and timeliness"), never the stored codes."""
    letters = [code for code in codes if len(code) <= 2]
    parts = [f"Plan section{'s' if len(letters) > 1 else ''} {and_list(letters)}"] if letters else []
    parts += [PLAN_SECTIONS.get(code, code) for code in codes if len(code) > 2]
    return "; ".join(parts)


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}" if items else ""


def in_sentence(label: str) -> str:
    """A label in the middle of a sentence: "Draft EHC plan" → "draft EHC plan" (acronyms kept)."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def submitted_next_steps(audit: Any) -> list[str]:
    """What happens after a submission, true to the audit's tier: only Tier 1 and 2 audits are
    sampled by a panel; a panel's own audit (Tier 3) and a system leader's review (Tier 4) are not."""
    tier = Tier(int(audit.tier))
    if tier in (Tier.AGENCY_CHECK, Tier.SINGLE_AGENCY):
        return [
            ("A multi-agency panel may sample it for moderation. A panel member can return it to you with "
            'comments if something needs to change; it will then appear under "Returned to you" on your home page.')
        ]
    if tier is Tier.MULTI_AGENCY:
        return [
            ("The panel's audit, with its grade of each agency's contribution, is kept with the case's other "
            "audits and counts in the area's results."),
            ("If something needs to change, a panel member or an administrator can return it to the panel with "
            'comments; it will then appear under "Returned to you" on the home page of every member recorded as '
            "present, and any of them can change it and submit it again."),
        ]
    return [
        ("Your review is kept with the case's other audits, and its judgement counts in the area's results "
        "that the board reads."),
        ('If something needs to change, it can be returned to you with comments; it will then appear under '
        '"Returned to you" on your home page.'),
    ]


#: Under every free-text box: these are children's records, and free text is where names slip in.
NO_IDENTIFIERS_HINT = "Do not enter names or other details that identify the child or family."
#: The status enums, so templates compare with ``AuditStatus.DRAFT`` rather than spelling the value.
STATUS_ENUMS = {e.__name__: e for e in (ActionStatus, AuditStatus, CommentKind, PeerChallengeStatus)}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["no_identifiers_hint"] = NO_IDENTIFIERS_HINT
    app.jinja_env.globals["limits"] = limits  # maxlength and character counts agree with the library
    app.jinja_env.globals["new_form_token"] = new_form_token  # one per drawing of a create form
    app.add_template_global(can_start_audits, "can_start_audits")
    app.add_template_global(can_view_board_dashboard, "can_view_board_dashboard")
    app.jinja_env.globals.update(STATUS_ENUMS)
    app.add_template_filter(plan_sections_text, "plan_sections_text")
    app.add_template_filter(explain_grading, "grading_sentences")
    app.add_template_filter(grading_rule_name, "grading_rule_name")
    app.add_template_filter(in_sentence, "in_sentence")
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
