"""Tier 4 reviews: the family's consent (on the case), the conversation, and the board summary.

Every rule (who may record consent, what it allows, who reads the notes, when a summary may be
read) is in ``qaframework.operations.tier4``; these views read forms and show the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from qaframework.consent import ConsentState, conversation_ids, conversation_questions
from qaframework.framework import (
    CONVERSATION_ROLES,
    ROLE_TIERS,
    Capacity,
    ConsentDecision,
    ConsentParty,
    ConsentScope,
    Tier,
)
from qaframework.numbers import whole_number
from qaframework.operations import tier4 as ops
from qaframework.operations.audits import get_audit, review_consent
from qaframework.operations.base import InvalidInput, WorkflowError
from qaframework.operations.cases import audits_of_case, get_case
from qaframework.permissions import CASEWORK_ROLES
from qaframework.store import Audit, Case
from webapp.access import current_actor, requires
from webapp.admin.dates import parse_date_text
from webapp.db import db_session

bp = Blueprint("reviews", __name__)

#: Who carries out Tier 4 reviews (system leaders and parent carer forum representatives).
TIER4_ROLES = frozenset(role for role, tiers in ROLE_TIERS.items() if Tier.SYSTEM_LEADER in tiers)


def _errors(error: InvalidInput) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors:
        found.setdefault(item.field or "form", item.message)
    return found


def _date(form: Mapping[str, str], name: str, what: str, errors: dict[str, str]) -> date | None:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    try:
        return parse_date_text(text, what)
    except ValueError as problem:
        errors[name] = str(problem)
        return None


# --- Consent ----------------------------------------------------------------------------------------


def _other_reviews(case: Case) -> list[Any]:
    """Tier 4 reviews of this case the person may see, so a second one is started knowingly."""
    return [a for a in audits_of_case(db_session(), current_actor(), case) if a.tier == Tier.SYSTEM_LEADER]


@bp.route("/cases/<int:case_id>/consent", methods=["GET", "POST"])
@requires(*TIER4_ROLES)
def record_consent(case_id: int) -> Any:
    """Record one person's decision for the case's next Tier 4 review (or a review under way)."""
    session, user = db_session(), current_actor()
    case = get_case(session, user, case_id)
    audit_id = request.values.get("audit_id", "")
    audit = get_audit(session, user, number) if (number := whole_number(audit_id)) is not None else None
    values: dict[str, Any] = {"scope": []}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        values = {key: form.get(key, "") for key in ("given_by", "decision", "asked_on", "method", "expires_on",
                                                     "capacity")}
        values["scope"] = form.getlist("scope")
        asked = _date(form, "asked_on", "date they were asked", errors)
        expires = _date(form, "expires_on", "date the consent ends", errors)
        given = ops.ConsentInput(values["given_by"], values["decision"], asked, values["method"],
                                 tuple(values["scope"]), expires, values["capacity"])
        if not errors:
            try:
                ops.record_consent(session, user, case.id, given, audit_id=audit.id if audit else None)
            except InvalidInput as refused:
                errors = _errors(refused)
            except WorkflowError as closed:
                errors = {"form": closed.message}
            else:
                decision = ConsentDecision(given.decision).label.lower()
                flash(f"Decision recorded: {ConsentParty(given.given_by).label.lower()} said {decision}.", "success")
                if audit is not None:
                    return redirect(url_for("reviews.conversation", audit_id=audit.id))
                return redirect(url_for("cases.show_case", case_id=case.id) + "#tier4-consent")
    return render_template(
        "reviews/consent.html", case=case, audit=audit, values=values, errors=errors,
        parties=ConsentParty, decisions=ConsentDecision, scopes=ConsentScope, capacities=Capacity,
        other_reviews=[] if audit else _other_reviews(case),
    ), (400 if errors else 200)


@bp.route("/consent/<int:consent_id>/withdraw", methods=["GET", "POST"])
@requires(*TIER4_ROLES)
def withdraw_consent(consent_id: int) -> Any:
    """Confirm, then withdraw: the conversation is locked and its notes deleted."""
    session, user = db_session(), current_actor()
    consent = ops.consent_record(session, user, consent_id)
    if request.method == "POST":
        try:
            ops.withdraw_consent(session, user, consent_id)
        except WorkflowError as refused:
            flash(refused.message, "error")
        else:
            flash("Consent withdrawn. The conversation is locked and its notes were deleted.", "success")
        return redirect(url_for("cases.show_case", case_id=consent.case_id) + "#tier4-consent")
    return render_template("reviews/withdraw.html", consent=consent, case=get_case(session, user, consent.case_id))


# --- The conversation --------------------------------------------------------------------------------


def _parse_conversation(
    form: MultiDict[str, str], questions: list[Any], errors: dict[str, str]
) -> ops.ConversationInput:
    held_on = _date(form, "held_on", "date of the conversation", errors)
    ratings = {q.id: {"rating": form.get(f"rating-{q.id}", ""), "na_reason": form.get(f"na_reason-{q.id}", "")}
               for q in questions}
    return ops.ConversationInput(
        held_on=held_on,
        participants=tuple(form.getlist("participants")),
        ratings={k: v for k, v in ratings.items() if v["rating"]},
        family_words={q.id: form.get(f"words-{q.id}", "") for q in questions},
        notes=form.get("notes", ""),
        reflection=form.get("reflection", ""),
        system_actions=form.get("system_actions", ""),
    )


@bp.route("/audits/<int:audit_id>/conversation", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def conversation(audit_id: int) -> Any:
    """The conversation with the family: the reviewer records it; others read what they may."""
    session, user = db_session(), current_actor()
    view = ops.conversation_view(session, user, audit_id)
    questions = conversation_questions(view.audit.template)
    errors: dict[str, str] = {}
    typed: ops.ConversationInput | None = None
    if request.method == "POST":
        typed = _parse_conversation(request.form, questions, errors)
        if not errors:
            try:
                ops.save_conversation(session, user, audit_id, typed)
            except InvalidInput as refused:
                errors = _errors(refused)
            except WorkflowError as closed:
                errors = {"form": closed.message}
            else:
                flash("The conversation has been saved.", "success")
                return redirect(url_for("reviews.conversation", audit_id=audit_id))
        view = ops.conversation_view(session, user, audit_id)
    return render_template(
        "reviews/conversation.html", view=view, audit=view.audit, questions=questions, errors=errors,
        values=_conversation_values(view, typed), roles=CONVERSATION_ROLES, ratings=ops.CONVERSATION_RATINGS,
    ), (400 if errors else 200)


def _conversation_values(view: ops.ConversationView, typed: ops.ConversationInput | None) -> dict[str, Any]:
    """What the form shows: what was just typed (after a refusal), else what is saved, raw notes
    only for those who may read them."""
    if typed is not None:
        return {"held_on": request.form.get("held_on", ""), "participants": list(typed.participants),
                "ratings": typed.ratings, "words": typed.family_words, "notes": typed.notes,
                "reflection": typed.reflection, "system_actions": typed.system_actions}
    saved = view.conversation
    if saved is None:
        return {"held_on": "", "participants": [], "ratings": {}, "words": {}, "notes": "", "reflection": "",
                "system_actions": ""}
    return {
        "held_on": f"{saved.held_on:%-d/%-m/%Y}" if saved.held_on else "",
        "participants": list(saved.participants or []),
        "ratings": dict(saved.ratings or {}),
        "words": dict(saved.family_words or {}) if view.can_read_notes else {},
        "notes": (saved.notes or "") if view.can_read_notes else "",
        "reflection": saved.reflection or "",
        "system_actions": saved.system_actions or "",
    }


# --- The board summary -------------------------------------------------------------------------------


@bp.route("/audits/<int:audit_id>/board-summary", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def board_summary(audit_id: int) -> Any:
    """The reviewer writes it; the QA lead approves it against the anonymisation checklist."""
    session, user = db_session(), current_actor()
    view = ops.conversation_view(session, user, audit_id)
    errors: dict[str, str] = {}
    text = None
    if request.method == "POST":
        try:
            if request.form.get("action") == "approve":
                ops.approve_board_summary(session, user, audit_id, request.form.getlist("checks"))
                flash("Board summary approved: it may now be read beyond the reviewer and the QA lead.", "success")
            else:
                text = request.form.get("board_summary", "")
                ops.save_board_summary(session, user, audit_id, text)
                flash("Board summary saved. The QA lead needs to approve it before others can read it.", "success")
        except InvalidInput as refused:
            found: dict[str, list[str]] = {}
            for item in refused.errors:
                found.setdefault(item.field or "form", []).append(item.message)
            errors = {field: ". ".join(messages) for field, messages in found.items()}
        except WorkflowError as closed:
            errors = {"form": closed.message}
        else:
            return redirect(url_for("reviews.board_summary", audit_id=audit_id))
        view = ops.conversation_view(session, user, audit_id)
    saved = view.conversation.board_summary if view.conversation and view.can_read_summary else None
    return render_template(
        "reviews/board_summary.html", view=view, audit=view.audit, errors=errors,
        text=saved or "" if text is None else text, checks=ops.BOARD_CHECKS,
        is_author=view.audit.auditor_id == user.id,
    ), (400 if errors else 200)


@bp.route("/board-summaries")
@requires()
def board_summaries() -> Any:
    """Approved Tier 4 board summaries: no case, no names; for everyone, the board included."""
    return render_template("reviews/summaries.html", summaries=ops.approved_summaries(db_session(), current_actor()))



@bp.app_template_filter("consent_party")
def consent_party(value: str) -> str:
    return ConsentParty(value).label


@bp.app_template_filter("conversation_role")
def conversation_role(value: str) -> str:
    return CONVERSATION_ROLES.get(value, value)


@bp.app_template_filter("consent_scope")
def consent_scope(value: str) -> str:
    return {"conversation": "conversation", "notes": "notes", "case_study": "anonymised case study"}.get(value, value)


@dataclass(frozen=True)
class ChecklistConversation:
    """For the checklist pages: which questions the conversation page answers, and why."""

    ids: frozenset[str] = frozenset()
    consent: ConsentState | None = None


@bp.app_template_global("tier4_conversation")
def tier4_conversation(audit: Audit) -> ChecklistConversation:
    """A Tier 4 review's conversation questions are never answered on the checklist (the library
    refuses them there): the pages show them as answered on the conversation page, or as not
    applicable with the reason. Costs nothing for any other checklist."""
    ids = conversation_ids(audit.template)
    if not ids:
        return ChecklistConversation()
    return ChecklistConversation(ids, review_consent(audit))
