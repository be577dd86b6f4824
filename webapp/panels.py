"""The panel's half term: the cycle page, drawing a sample, a sample's items and who has them.

The draw, the rules of who may do what and the counts live in ``qaframework.operations.samples``;
these views read the form, call it and show the result.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from qaframework.framework import Role, SampleKind
from qaframework.numbers import whole_number
from qaframework.operations.base import InvalidInput, NotFound
from qaframework.operations.samples import (
    FIELD_LABELS,
    GRADE_RISKS,
    HELD_BACK_REASON,
    RISK_RULES,
    STRATA_FIELDS,
    RawParameters,
    RiskRule,
    SampleParameters,
    agency_names,
    assign,
    assignable_people,
    cycle_progress,
    draw_sample_from,
    get_sample,
    moderation_states,
    reasons_shown_to,
    recent_cycles,
    sample_items,
    stratum_label,
    template_titles,
    unassign,
)
from qaframework.operations.settings import current_cycle
from qaframework.permissions import PANEL_PAGE_ROLES, can_assign_sample, can_draw_sample
from qaframework.store import Sample
from webapp.access import current_actor, requires
from webapp.db import db_session

bp = Blueprint("panels", __name__, url_prefix="/panel")

#: The form's field ids, by the parameter the library names in its errors.
FORM_FIELDS = {"strata": "strata", "risk": "risk", "size": "size", "proportion": "proportion", "kind": "kind",
               "cycle": "cycle", "minimum_per_auditor": "minimum_per_auditor", "exclude_cycles": "exclude_cycles",
               "risk_limit": "risk_limit", "seed": "seed", "as_of": "cycle"}


@bp.app_template_global("sample_audit_url")
def sample_audit_url(audit_id: int) -> str:
    """Where an audit item leads: the blind moderation page once it exists, else the audit."""
    if "moderation.audit" in current_app.view_functions:
        return url_for("moderation.audit", audit_id=audit_id)
    return url_for("audits.show_audit", audit_id=audit_id)


@bp.route("")
@requires(*PANEL_PAGE_ROLES)
def cycles() -> Any:
    """This half term and the five before it: what was sampled, moderated and agreed, what is left."""
    session, user = db_session(), current_actor()
    today = date.today()
    recent = recent_cycles(session, user, today)
    chosen = request.args.get("cycle", "").strip()
    shown = next((c for c in recent if c.cycle.label == chosen), None) if chosen else recent[0]
    if chosen and shown is None:
        try:
            shown = cycle_progress(session, user, chosen)
        except NotFound:
            shown = None
    return render_template(
        "panels/cycles.html",
        recent=recent,
        shown=shown,
        chosen=chosen,
        current=current_cycle(session, today),
        may_draw=any(can_draw_sample(user, kind) for kind in SampleKind),
    )


def _raw(form: MultiDict[str, str]) -> RawParameters:
    size_by = form.get("size_by", "")
    return RawParameters(
        cycle=form.get("cycle", ""),
        kind=form.get("kind", ""),
        size=form.get("size", "") if size_by != "proportion" else "",
        proportion=form.get("proportion", "") if size_by != "number" else "",
        strata=tuple(form.getlist("strata")),
        # The box is there for both kinds; a case sample has no auditors, so its value is not read.
        minimum_per_auditor=form.get("minimum_per_auditor", "") if form.get("kind") != SampleKind.CASES else "",
        exclude_cycles=form.get("exclude_cycles", ""),
        risks=tuple(form.getlist("risk")),
        risk_limit=form.get("risk_limit", ""),
        seed=form.get("seed", ""),
    )


@bp.route("/samples/new", methods=["GET", "POST"])
@requires(Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN)
def draw() -> Any:
    session, user = db_session(), current_actor()
    today = date.today()
    kinds = [kind for kind in (SampleKind.AUDITS, SampleKind.CASES) if can_draw_sample(user, kind)]
    errors: dict[str, str] = {}
    values: MultiDict[str, str] = MultiDict(request.form) if request.method == "POST" else MultiDict()
    if request.method == "POST":
        if len(kinds) == 1:
            values["kind"] = kinds[0].value
        try:
            sample = draw_sample_from(session, user, _raw(values), today)
        except InvalidInput as exc:
            for error in exc.errors:
                key = FORM_FIELDS.get(error.field, error.field)
                if key in ("size", "proportion") and values.get("size_by") not in ("number", "proportion"):
                    key = "size_by"
                errors[key] = f"{errors[key]}. {error.message}" if key in errors else error.message
        else:
            flash(f"Sample drawn: {sample.size} {'cases' if sample.kind == SampleKind.CASES else 'audits'} "
                  f"for {sample.cycle}.", "success")
            return redirect(url_for("panels.show_sample", sample_id=sample.id))
    recent = recent_cycles(session, user, today)
    return render_template(
        "panels/draw.html",
        kinds=kinds,
        errors=errors,
        values=values,
        cycle_labels=[c.cycle.label for c in recent],
        current=current_cycle(session, today),
        field_labels=FIELD_LABELS,
        strata_fields=STRATA_FIELDS,
        risk_rules=RISK_RULES,
        all_risks=list(RiskRule),
    )


@bp.route("/samples/<int:sample_id>")
@requires(*PANEL_PAGE_ROLES)
def show_sample(sample_id: int) -> Any:
    session, user = db_session(), current_actor()
    sample = get_sample(session, user, sample_id)
    return _sample_page(sample, {}, MultiDict())


def _sample_page(sample: Sample, errors: dict[str, str], values: MultiDict[str, str]) -> Any:
    session, user = db_session(), current_actor()
    items = sample_items(session, sample.id)
    audit_ids = [i.audit_id for i in items if i.audit_id is not None]
    reasons = reasons_shown_to(session, user, sample, items)
    progress = next(p for p in cycle_progress(session, user, sample.cycle).samples if p.sample.id == sample.id)
    moderation = moderation_states(session, audit_ids)
    agencies = agency_names(session)
    rows = [{
        "item": item,
        "reason": reasons[item.id],
        "stratum": stratum_label(item.stratum, agencies),
        "state": moderation.get(item.audit_id or 0, "Not moderated yet"),
    } for item in items]
    kind = SampleKind(sample.kind)
    item_labels = {item.id: f"audit {item.audit_id}" if kind is SampleKind.AUDITS else
                   f"case {item.case.case_ref if item.case else item.case_id}" for item in items}
    return render_template(
        "panels/sample.html",
        sample=sample,
        kind=kind,
        rows=rows,
        item_labels=item_labels,
        titles=template_titles(session, audit_ids),
        progress=progress,
        criteria=_criteria_rows(sample, hide_grade_rules=HELD_BACK_REASON in reasons.values()),
        may_assign=can_assign_sample(user, kind),
        people=assignable_people(session, kind) if can_assign_sample(user, kind) else [],
        errors=errors,
        values=values,
        agencies=agencies,
    )


def _criteria_rows(sample: Sample, hide_grade_rules: bool) -> list[tuple[str, str]]:
    """How the sample was drawn, in words. Rules that name a grade are not named to a moderator who
    still has items of them to grade blind."""
    params = SampleParameters.of_sample(sample)
    c = sample.criteria or {}
    if params.size is not None:
        how = f"{params.size} drawn at random"
    else:
        share = params.proportion or 0
        how = f"{float(share) * 100:g}% drawn at random"
    rows = [
        ("Half term", sample.cycle),
        ("What was sampled", SampleKind(sample.kind).label),
        ("Size", how),
        ("Stratified by", ", ".join(FIELD_LABELS[f].lower() for f in params.strata).capitalize() or "Not stratified"),
    ]
    if sample.kind == SampleKind.AUDITS:
        rows.append(("Minimum per auditor", str(params.minimum_per_auditor)))
    rows.append(("Left out", f"Cases sampled in the {params.exclude_cycles} half terms before"
                 if params.exclude_cycles else "Nothing"))
    shown_rules = [r for r in params.risk_rules if not (hide_grade_rules and r in GRADE_RISKS)]
    risks = ", ".join(r.label for r in shown_rules) or "None"
    if len(shown_rules) < len(params.risk_rules):
        held = "risks read from the auditor's grade (named once you have graded their audits blind)"
        risks = f"{risks}, and {held}" if shown_rules else held
    if shown_rules and params.risk_limit:
        risks += f" (at most {params.risk_limit} each)"
    rows += [
        ("Risk-targeted additions", risks),
        ("Eligible", f"{c.get('population', 0)}, of which {c.get('excluded', 0)} left out"),
        ("Seed", str(sample.seed)),
        ("Risks judged on", params.as_of.strftime("%-d %B %Y") if params.as_of else "Not recorded"),
        ("Drawn by", sample.created_by.display_name if sample.created_by else "The qa command"),
    ]
    return rows


@bp.route("/samples/<int:sample_id>/assign", methods=["POST"])
@requires(*PANEL_PAGE_ROLES)
def assign_people(sample_id: int) -> Any:
    session, user = db_session(), current_actor()
    sample = get_sample(session, user, sample_id)
    form = MultiDict(request.form)
    item = form.get("item", "")
    people = [n for n in (whole_number(p) for p in form.getlist("people")) if n is not None]
    try:
        added = assign(session, user, sample.id, people, whole_number(item))
    except InvalidInput as exc:
        errors = {("people" if e.field in ("people", "") else e.field): e.message for e in exc.errors}
        return _sample_page(sample, errors, form), 400
    names = ", ".join(a.user.display_name for a in added)
    flash(f"Given to {names}." if added else "They already had it, so nothing changed.", "success")
    return redirect(url_for("panels.show_sample", sample_id=sample.id) + "#assigned")


@bp.route("/samples/<int:sample_id>/assignments/<int:assignment_id>/remove", methods=["POST"])
@requires(*PANEL_PAGE_ROLES)
def remove_assignment(sample_id: int, assignment_id: int) -> Any:
    session, user = db_session(), current_actor()
    removed = unassign(session, user, sample_id, assignment_id)
    flash(f"{removed.user.display_name} no longer has this.", "success")
    return redirect(url_for("panels.show_sample", sample_id=sample_id) + "#assigned")
