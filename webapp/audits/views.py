"""Audit pages around the checklist: the list, starting an audit, the overview, the printable
report, the submitted confirmation and a panel member's return."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from qaframework.compliance import date_checks_for
from qaframework.framework import SUBJECT_LABELS, AuditStatus, Subject, Tier
from qaframework.numbers import whole_number
from qaframework.operations.actions import actions_for_audit
from qaframework.operations.audit_queries import (
    SCOPES,
    AuditListFilters,
    answered_by_section,
    can_list_all_audits,
    month_start,
    status_counts,
    team_members,
)
from qaframework.operations.audit_queries import (
    list_audits as query_audits,
)
from qaframework.operations.audits import answers_of, get_audit, missing_items, start_audit, subject_problem
from qaframework.operations.audits import return_audit as return_to_author
from qaframework.operations.base import InvalidInput, WorkflowError
from qaframework.operations.blinding import blind_audit_ids
from qaframework.operations.cases import find_case, get_case
from qaframework.operations.compliance import standing_of
from qaframework.operations.drafts import discard_draft, unfinished_like
from qaframework.operations.panel_audits import lower_tier_audits
from qaframework.operations.peer import challenges_for_audit, request_refusal
from qaframework.operations.templates import templates_for
from qaframework.operations.users import list_agencies
from qaframework.permissions import (
    AUDITING_ROLES,
    CASEWORK_ROLES,
    RETURN_ROLES,
    can_discard_audit,
    can_edit_audit,
    can_return_audit,
    is_author,
    is_panel_audit,
    is_participant,
)
from qaframework.scoring import MissingItem
from qaframework.store import Audit
from webapp.access import current_actor, requires
from webapp.audits import bp
from webapp.audits.checklist_form import textarea_value
from webapp.audits.common import rules_mode
from webapp.audits.panel import panel_context
from webapp.cases import page_number, pagination
from webapp.db import db_session
from webapp.presenters import submitted_next_steps

PER_PAGE = 25


@bp.route("")
@requires(*CASEWORK_ROLES)
def list_audits() -> Any:
    session, user = db_session(), current_actor()
    can_all = can_list_all_audits(user)
    scope = request.args.get("scope", "mine")
    scope = scope if scope in SCOPES else "mine"
    args = {name: (request.args.get(name) or "").strip()[:40] for name in ("status", "tier", "agency")}
    if scope != "all":
        args["agency"] = ""
    team_args = {name: (request.args.get(name) or "").strip()[:20] for name in ("auditor", "month", "peer")} \
        if scope == "team" else {}
    auditor = team_args.get("auditor", "")
    filters = AuditListFilters(scope=scope, **args, auditor_id=whole_number(auditor),
                               month=team_args.get("month", ""), peer_open=team_args.get("peer") == "open")
    page = page_number(request.args.get("page"))
    audits, total = query_audits(session, user, filters, page, PER_PAGE)
    members = {m.id: m for m in team_members(session, user)} if scope == "team" else {}
    month = month_start(filters.month)
    return render_template(
        "audits/list.html",
        audits=audits,
        blind_ids=blind_audit_ids(session, user, (a.id for a in audits)),
        total=total,
        scope=scope,
        can_all=can_all,
        args=args,
        team_args=team_args,
        team_member=members.get(filters.auditor_id) if filters.auditor_id else None,
        team_month=month,
        peer_open=filters.peer_open,
        counts=status_counts(session, user, filters),
        statuses=[s.value for s in AuditStatus],
        tiers=list(Tier),
        agencies=list_agencies(session) if scope == "all" else [],
        pagination=pagination(
            page, total, PER_PAGE, "audits.list_audits",
            {"scope": scope if scope != "mine" else "", **args, **team_args},
        ),
    )


def _new_audit_step_one(case_ref: str, subject: str, errors: dict[str, str]) -> Any:
    return render_template(
        "audits/new_case.html",
        case_ref=case_ref,
        subject=subject,
        errors=errors,
        subjects=SUBJECT_LABELS,
        has_errors=bool(errors),
    )


def _new_audit_step_two(case: Any, subject: str, error: str | None = None, chosen: str = "") -> Any:
    offered = templates_for(db_session(), current_actor(), subject)
    return render_template(
        "audits/new_template.html",
        case=case,
        subject=subject,
        templates=offered,
        error=error,
        chosen=chosen,
        has_errors=bool(error),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(*AUDITING_ROLES)
def new_audit() -> Any:
    """Two steps: which case and what is audited (a GET form), then which checklist (POST)."""
    session, user = db_session(), current_actor()
    if request.method == "POST":
        return _start(request.form)
    subject = request.args.get("subject", "")
    if "case_ref" not in request.args:
        case_id = request.args.get("case_id", "")
        case_number = whole_number(case_id)
        case_ref = get_case(session, user, case_number).case_ref if case_number is not None else ""
        return _new_audit_step_one(case_ref, subject if subject in SUBJECT_LABELS else "", {})
    case_ref = request.args["case_ref"].strip()[:40]
    errors: dict[str, str] = {}
    case = find_case(session, case_ref) if case_ref else None
    if not case_ref:
        errors["case_ref"] = "Enter the case reference"
    elif case is None:
        errors["case_ref"] = (
            f"There is no case with reference {case_ref}. Check the reference, or find the case in the case list"
        )
    if subject not in {s.value for s in Subject}:
        errors["subject"] = "Select what you are auditing"
    elif case is not None and (problem := subject_problem(case, subject)):
        errors["subject"] = problem
    if errors:
        return _new_audit_step_one(case_ref, subject, errors)
    assert case is not None
    return _new_audit_step_two(get_case(session, user, case.id), subject)


def _start(form: Any) -> Any:
    session, user = db_session(), current_actor()
    case_id, subject, chosen = form.get("case_id", ""), form.get("subject", ""), form.get("template_version_id", "")
    case_number = whole_number(case_id)
    if case_number is None or subject not in {s.value for s in Subject}:
        return redirect(url_for("audits.new_audit"))
    case = get_case(session, user, case_number)
    offered = {str(tv.id) for tv in templates_for(session, user, subject)}
    if chosen not in offered:
        return _new_audit_step_two(case, subject, "Select the checklist you will use")
    existing = unfinished_like(session, user, case.id, int(chosen))
    if existing and form.get("start_anyway") != "yes":
        return render_template("audits/duplicate.html", case=case, subject=subject, chosen=chosen, existing=existing)
    try:
        audit = start_audit(session, user, case_id=case.id, template_version_id=int(chosen), subject=subject)
    except (InvalidInput, WorkflowError) as refused:
        return _new_audit_step_two(case, subject, refused.message, chosen)
    if is_panel_audit(audit):
        flash("Panel audit started. Record who is at the panel and the agency each represents; every member "
              "present can then work on the audit.", "success")
        return redirect(url_for("audits.panel", audit_id=audit.id))
    flash(
        "Audit started. Work through the sections in any order; your answers are saved as a draft each time you save.",
        "success",
    )
    return redirect(url_for("audits.show_audit", audit_id=audit.id))


def _section_rows(audit: Audit, missing: list[MissingItem]) -> list[dict[str, Any]]:
    """Task-list rows: progress and suggested grade of each section, counted in SQL."""
    answered = answered_by_section(db_session(), audit.id)
    to_fix = Counter(item.section_id for item in missing)
    grades = {g.section_id: g.suggested_grade for g in audit.section_grades}
    rows = []
    for section in audit.template.sections:
        done, total = answered.get(section.id, 0), len(section.questions)
        unanswered = total - done
        problems = to_fix.get(section.id, 0) - unanswered
        if problems > 0:
            status = "Needs attention"
        elif done == total:
            status = "Completed"
        elif done:
            status = "In progress"
        else:
            status = "Not started"
        rows.append(
            {
                "section": section,
                "done": done,
                "total": total,
                "problems": max(problems, 0),
                "status": status,
                "grade": grades.get(section.id),
                "href": url_for("audits.edit_section", audit_id=audit.id, section_id=section.id),
            }
        )
    return rows


@bp.route("/<int:audit_id>")
@requires(*CASEWORK_ROLES)
def show_audit(audit_id: int) -> Any:
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    can_edit = can_edit_audit(user, audit)
    missing = missing_items(audit)
    return render_template(
        "audits/show.html",
        audit=audit,
        template=audit.template,
        sections=_section_rows(audit, missing),
        missing_count=len(missing),
        can_edit=can_edit,
        can_return=can_return_audit(user, audit),
        can_discard=can_discard_audit(user, audit),
        rules_mode=rules_mode(audit),
        standing=standing_of(audit, date.today()),
        actions=actions_for_audit(session, user, audit.id),
        challenges=challenges_for_audit(session, audit),
        panel=panel_context(audit),
    )


@bp.route("/<int:audit_id>/report")
@requires(*CASEWORK_ROLES)
def report(audit_id: int) -> Any:
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    return render_template(
        "audits/report.html",
        audit=audit,
        template=audit.template,
        answers=answers_of(audit),
        grades={g.section_id: g.suggested_grade for g in audit.section_grades},
        agreed={g.section_id: (g.moderated_grade, g.moderation_reason) for g in audit.section_grades
                if g.moderated_grade},
        actions=actions_for_audit(session, user, audit.id),
        rules_mode=rules_mode(audit),
        standing=standing_of(audit, date.today()),
        panel=panel_context(audit),
    )


@bp.route("/<int:audit_id>/grading")
@requires(*CASEWORK_ROLES)
def grading_guide(audit_id: int) -> Any:
    """How this audit's checklist version suggests grades and finds statutory breaches."""
    audit = get_audit(db_session(), current_actor(), audit_id)
    template = audit.template
    return render_template(
        "audits/grading.html",
        audit=audit,
        template=template,
        breach_questions=[q for q in template.questions() if q.breach is not None],
        date_checks=date_checks_for(audit.subject),
    )


@bp.route("/<int:audit_id>/submitted")
@requires(*CASEWORK_ROLES)
def submitted(audit_id: int) -> Any:
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    if audit.status != AuditStatus.SUBMITTED or not (is_author(user, audit) or is_participant(user, audit)):
        return redirect(url_for("audits.show_audit", audit_id=audit.id))
    challenges = challenges_for_audit(session, audit)
    return render_template("audits/submitted.html", audit=audit, challenge=challenges[-1] if challenges else None,
                           can_ask_peer=request_refusal(user, audit, challenges) is None,
                           next_steps=submitted_next_steps(audit),
                           lower_tier=len(lower_tier_audits(session, user, audit)))


@bp.route("/<int:audit_id>/return", methods=["GET", "POST"])
@requires(*RETURN_ROLES)
def return_audit(audit_id: int) -> Any:
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    comment, errors = "", {}
    if request.method == "POST":
        comment = textarea_value(request.form, "comment")
        try:
            return_to_author(session, user, audit.id, comment)
        except InvalidInput as refused:
            errors = {e.field or "comment": e.message for e in refused.errors}
        else:
            flash(f"Audit returned to {audit.auditor.display_name} with your comments.", "success")
            return redirect(url_for("audits.show_audit", audit_id=audit.id))
    return render_template(
        "audits/return.html",
        audit=audit,
        comment=comment,
        errors=errors,
        can_return=can_return_audit(user, audit),
        has_errors=bool(errors),
    )


@bp.route("/<int:audit_id>/discard", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def discard(audit_id: int) -> Any:
    """Confirm, then discard a draft (the library keeps all of it in the audit trail)."""
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    if not can_discard_audit(user, audit):
        abort(403, description="Only the auditor who started a draft, or an administrator, can discard it.")
    if request.method == "POST":
        case_ref = audit.case.case_ref
        try:
            discard_draft(session, user, audit.id)
        except WorkflowError as refused:
            flash(refused.message, "important")
            return redirect(url_for("audits.show_audit", audit_id=audit_id))
        flash(f"The draft audit of case {case_ref} has been discarded.", "success")
        return redirect(url_for("home.index"))
    return render_template("audits/discard.html", audit=audit)
