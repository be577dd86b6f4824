"""The Learning and Improvement Group's pages: actions across agencies, training needs, themes and
"what good looks like" exemplars.

Every rule (who sees which action, which section may be an exemplar, who approves) lives in
``qaframework.operations``; these views read the query string or form, call them and render.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from qaframework import permissions
from qaframework.framework import ExemplarStatus
from qaframework.numbers import whole_number
from qaframework.operations import action_lists, exemplars, themes, training
from qaframework.operations.actions import NO_AGENCY, get_action
from qaframework.operations.audits import get_audit
from qaframework.operations.base import FieldError, InvalidInput
from qaframework.operations.users import list_agencies
from qaframework.permissions import CASEWORK_ROLES
from qaframework.store import Action
from webapp.access import ALL_ROLES, current_actor, requires
from webapp.db import db_session

bp = Blueprint("learning", __name__, url_prefix="/learning")

DATE_PARTS = ("day", "month", "year")


@bp.app_template_filter("exemplar_status")
def exemplar_status(code: str) -> str:
    return ExemplarStatus(code).label


@bp.app_template_global("can_manage_training")
def can_manage_training(user: Any, action: Action) -> bool:
    """For pages: offer the training form only where the library would accept it."""
    return bool(getattr(user, "is_authenticated", False)) and permissions.can_manage_training(user, action)


@bp.route("")
@requires(*ALL_ROLES)
def index() -> Any:
    user = current_actor()
    return render_template("learning/index.html", casework=permissions.can_view_learning(user))


# --- Actions ------------------------------------------------------------------------------------


@bp.route("/actions")
@requires(*CASEWORK_ROLES)
def actions() -> Any:
    session, user = db_session(), current_actor()
    filters, problems = action_lists.ActionFilters.parse(request.args)
    found = action_lists.filtered_actions(session, user, filters, date.today())
    return render_template(
        "learning/actions.html",
        filters=filters,
        found=found,
        errors={e.field: e.message for e in problems},
        choices=action_lists.filter_choices(session, user),
        agencies=list_agencies(session, active_only=False),
        no_agency=NO_AGENCY,
        statuses=action_lists.STATUS_CHOICES,
        whole_area=permissions.is_learning_group(user),
    )


# --- Training needs ------------------------------------------------------------------------------


@bp.route("/training")
@requires(*CASEWORK_ROLES)
def training_needs() -> Any:
    session, user = db_session(), current_actor()
    return render_template("learning/training.html", by_agency=training.training_by_agency(session, user))


def _parse_date(prefix: str) -> tuple[date | None, str | None]:
    """A GOV.UK day/month/year date from the form: (the date, or the message saying what to fix)."""
    raw = {p: (request.form.get(f"{prefix}-{p}") or "").strip() for p in DATE_PARTS}
    if not any(raw.values()):
        return None, None  # the library says it is needed
    missing = [p for p in DATE_PARTS if not raw[p]]
    if missing:
        return None, f"The date must include a {' and '.join(missing)}"
    if any(whole_number(v) is None for v in raw.values()) or len(raw["year"]) != 4:
        return None, "The date must be a real date, like 14 10 2026"
    try:
        return date(int(raw["year"]), int(raw["month"]), int(raw["day"])), None
    except ValueError:
        return None, "The date must be a real date, like 14 10 2026"


@bp.route("/actions/<int:action_id>/training", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def action_training(action_id: int) -> Any:
    session, user = db_session(), current_actor()
    action = get_action(session, user, action_id)
    if not permissions.can_manage_training(user, action):
        abort(403, description="Only the Learning and Improvement Group, or the action's owner or raiser, can do this.")
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        found: dict[str, str] = {}
        if form.get("step") == "need":
            need = form.get("training_need") == "yes"
            try:
                training.set_training_need(session, user, action.id, need=need, area=form.get("training_area", ""))
            except InvalidInput as exc:
                found = {e.field: e.message for e in exc.errors}
            else:
                flash("Training need saved." if need else "The action is no longer a training need.", "success")
        else:
            delivered, date_error = _parse_date("delivered_on")
            try:  # a date that could not be read is None here, which the library refuses
                training.record_training_delivered(
                    session, user, action.id, delivered_on=delivered, attendees=form.get("attendees", "")
                )
            except InvalidInput as exc:
                found = {e.field: e.message for e in exc.errors}
                if date_error:
                    found["delivered_on"] = date_error
            else:
                flash("Training delivered recorded.", "success")
        if not found:
            return redirect(url_for("learning.action_training", action_id=action.id))
        order = ("training_need", "training_area", "delivered_on", "attendees")
        errors = {("delivered_on-day" if f == "delivered_on" else f): found[f] for f in order if f in found}
    return render_template("learning/action_training.html", action=action, errors=errors, form=form)


# --- Themes ---------------------------------------------------------------------------------------


@bp.route("/themes")
@requires(*ALL_ROLES)
def theme_list() -> Any:
    session, user = db_session(), current_actor()
    cycles = themes.theme_cycles(session)
    cycle = request.args.get("cycle") or (cycles[0] if cycles else "")
    if cycle and cycle not in cycles:
        cycle = cycles[0] if cycles else ""
    agencies = list_agencies(session, active_only=False)
    agency = request.args.get("agency") or None
    if agency and agency not in {a.code for a in agencies}:
        agency = None
    plan_section = (request.args.get("plan_section") or "").strip()[:10] or None
    return render_template(
        "learning/themes.html",
        cycles=cycles,
        cycle=cycle,
        previous=themes.previous_cycle(cycle) if cycle else None,
        agency=agency,
        agencies=agencies,
        plan_section=plan_section,
        plan_sections=PLAN_SECTION_CHOICES,
        found=themes.themes(session, user, cycle=cycle, agency=agency, plan_section=plan_section) if cycle else [],
        can_see_evidence=permissions.can_view_theme_evidence(user),
    )


#: The lettered sections of an EHC plan (SEND Regulations 2014 reg 12), for the filters.
PLAN_SECTION_CHOICES = tuple("ABCDEFGHIJK")


@bp.route("/themes/evidence")
@requires(*CASEWORK_ROLES)
def theme_evidence() -> Any:
    session, user = db_session(), current_actor()
    template_id, question_id = request.args.get("template", ""), request.args.get("question", "")
    cycle = request.args.get("cycle", "")
    agency = request.args.get("agency") or None
    if not (template_id and question_id and cycle):
        abort(404)
    theme = next(
        (t for t in themes.themes(session, user, cycle=cycle, agency=agency, limit=10_000)
         if t.template_id == template_id and t.question_id == question_id),
        None,
    )
    if theme is None:
        abort(404)
    return render_template(
        "learning/theme_evidence.html",
        theme=theme,
        cycle=cycle,
        agency=agency,
        agencies={a.code: a.name for a in list_agencies(session, active_only=False)},
        evidence=themes.theme_evidence(session, user, template_id=template_id, question_id=question_id,
                                       cycle=cycle, agency=agency),
    )


# --- "What good looks like" exemplars -------------------------------------------------------------


@bp.route("/exemplars")
@requires(*CASEWORK_ROLES)
def exemplar_list() -> Any:
    session, user = db_session(), current_actor()
    plan_section = (request.args.get("plan_section") or "").strip()[:10] or None
    return render_template(
        "learning/exemplars.html",
        grouped=exemplars.approved_by_plan_section(session, user, plan_section),
        plan_section=plan_section,
        plan_sections=PLAN_SECTION_CHOICES,
        waiting=len(exemplars.waiting(session, user)),
    )


@bp.route("/exemplars/sections")
@requires(*CASEWORK_ROLES)
def exemplar_candidates() -> Any:
    session, user = db_session(), current_actor()
    return render_template("learning/exemplar_candidates.html", found=exemplars.candidates(session, user))


@bp.route("/exemplars/waiting")
@requires(*CASEWORK_ROLES)
def exemplars_waiting() -> Any:
    session, user = db_session(), current_actor()
    return render_template("learning/exemplars_waiting.html", found=exemplars.waiting(session, user),
                           can_decide=permissions.can_decide_exemplar(user))


@bp.route("/exemplars/nominate/<int:audit_id>/<section_id>", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def nominate_exemplar(audit_id: int, section_id: str) -> Any:
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    section = next((s for s in audit.template.sections if s.id == section_id), None)
    if section is None:
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            exemplar = exemplars.nominate(session, user, audit_id=audit.id, section_id=section.id,
                                          extract=request.form.get("extract", ""),
                                          confirmed=request.form.getlist("checks"))
        except InvalidInput as exc:
            found = {e.field: e.message for e in exc.errors}
            errors = {f: found[f] for f in ("extract", "checks") if f in found}
        else:
            flash("Exemplar put forward. A panel lead will approve it, or say what to change.", "success")
            return redirect(url_for("learning.show_exemplar", exemplar_id=exemplar.id))
    grade = next((g.moderated_grade for g in audit.section_grades if g.section_id == section.id), None)
    return render_template("learning/nominate.html", audit=audit, section=section, grade=grade, errors=errors,
                           checks=exemplars.ANONYMISATION_CHECKS, form=request.form)


@bp.route("/exemplars/<int:exemplar_id>", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def show_exemplar(exemplar_id: int) -> Any:
    session, user = db_session(), current_actor()
    exemplar = exemplars.get_exemplar(session, user, exemplar_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        decision = request.form.get("decision")
        try:
            if decision not in ("approve", "reject"):
                raise InvalidInput([FieldError("decision", "Choose whether to approve it")])
            exemplars.decide(session, user, exemplar.id, approve=decision == "approve",
                             reason=request.form.get("reason", ""))
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
        else:
            flash("Exemplar approved: auditors can now read it." if decision == "approve"
                  else "Exemplar not approved; the nominator has been told why.", "success")
            return redirect(url_for("learning.show_exemplar", exemplar_id=exemplar.id))
    return render_template(
        "learning/exemplar.html",
        exemplar=exemplar,
        errors=errors,
        form=request.form,
        can_decide=permissions.can_decide_exemplar(user) and exemplar.status == ExemplarStatus.NOMINATED,
        can_open_audit=permissions.can_view_audit(user, exemplar.audit),
        checks=exemplars.ANONYMISATION_CHECKS,
    )
