"""Moderation pages: a panel member's blind re-grade of a sampled audit, the side-by-side comparison
where the panel agrees grades, and agreement figures per cycle.

What each role may see is the library's (``qaframework.permissions`` via ``operations.moderation``
and ``operations.agreement``); these views read the form, call it and render.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from qaframework.exports import csv_text
from qaframework.framework import RATING_LABELS, Rating, Role
from qaframework.numbers import whole_number
from qaframework.operations import agreement as figures
from qaframework.operations.base import InvalidInput, StaleEdit
from qaframework.operations.moderation import (
    AgreedGrades,
    BlindRegrade,
    comparison,
    moderation_state,
    record_agreement,
    save_blind_regrade,
)
from qaframework.permissions import AGREEMENT_ROLES, can_view_agreement_detail, can_view_auditor_agreement
from qaframework.store import Audit
from webapp.access import current_actor, requires
from webapp.audits.checklist_form import textarea_value
from webapp.db import db_session

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

RATING_CHOICES = [(r.value, RATING_LABELS[r]) for r in Rating]


def _blind_from(form: Mapping[str, str], audit: Audit) -> BlindRegrade:
    template = audit.template
    return BlindRegrade(
        ratings={q.id: form.get(f"rating-{q.id}", "") for q in template.questions()},
        sections={s.id: form.get(f"section-{s.id}", "") for s in template.sections},
        overall=form.get("overall", ""),
    )


def _agreed_from(form: Mapping[str, str], audit: Audit) -> AgreedGrades:
    version = form.get("version", "")
    return AgreedGrades(
        sections={
            s.id: (form.get(f"agreed-{s.id}", ""), textarea_value(form, f"reason-{s.id}"))
            for s in audit.template.sections
        },
        overall=form.get("agreed-overall", ""),
        reason=textarea_value(form, "reason-overall"),
        expected_version=-1 if (number := whole_number(version)) is None else number,
    )


@bp.route("/audits/<int:audit_id>", methods=["GET", "POST"])
@requires(Role.PANEL_MEMBER)
def audit(audit_id: int) -> Any:
    """The blind re-grade until this panel member has saved it; then both side by side."""
    session, user = db_session(), current_actor()
    state = moderation_state(session, user, audit_id)
    if state.blind:
        errors: dict[str, str] = {}
        given = BlindRegrade({}, {}, "")
        if request.method == "POST":
            given = _blind_from(request.form, state.audit)
            try:
                save_blind_regrade(session, user, audit_id, given)
            except InvalidInput as refused:
                errors = {e.field: e.message for e in refused.errors}
            else:
                flash("Your grades are saved. The auditor's grades are now shown beside yours.", "success")
                return redirect(url_for("moderation.audit", audit_id=audit_id))
        return render_template(
            "moderation/blind.html", audit=state.audit, template=state.audit.template, errors=errors, given=given,
            ratings=RATING_CHOICES, has_errors=bool(errors),
        )
    return _comparison_page(audit_id)


def _comparison_page(
    audit_id: int, errors: dict[str, str] | None = None, given: AgreedGrades | None = None, stale: bool = False
) -> Any:
    session, user = db_session(), current_actor()
    view = comparison(session, user, audit_id)
    state = moderation_state(session, user, audit_id)
    return render_template(
        "moderation/compare.html", view=view, audit=view.audit, template=view.audit.template,
        can_agree=state.can_agree, errors=errors or {}, given=given, stale=stale, has_errors=bool(errors),
    ), 409 if stale else 200


@bp.route("/audits/<int:audit_id>/agree", methods=["POST"])
@requires(Role.PANEL_MEMBER)
def agree(audit_id: int) -> Any:
    session, user = db_session(), current_actor()
    state = moderation_state(session, user, audit_id)
    given = _agreed_from(request.form, state.audit)
    try:
        record_agreement(session, user, audit_id, given)
    except StaleEdit:
        return _comparison_page(audit_id, {"agreed-overall": (
            "Someone recorded agreed grades for this audit after you opened this page. The grades now agreed are "
            "shown below; check them and save yours again if they should change."
        )}, stale=True)
    except InvalidInput as refused:
        return _comparison_page(audit_id, {e.field: e.message for e in refused.errors}, given)
    flash("The agreed grades are saved. The audit is now moderated; the original grades are kept beside them.",
          "success")
    return redirect(url_for("moderation.audit", audit_id=audit_id))


def _cycle_choice(session: Any) -> tuple[str | None, list[str]]:
    cycles = figures.moderated_cycles(session)
    chosen = (request.args.get("cycle") or "").strip()[:30]
    if chosen not in cycles:
        chosen = cycles[-1] if cycles else ""
    return chosen or None, cycles


@bp.route("/agreement")
@requires(*AGREEMENT_ROLES)
def agreement() -> Any:
    """Agreement for one cycle: exact and within-one first, then kappa with its interval, AC2 and
    alpha, the confusion matrix, and breakdowns each role may read."""
    session, user = db_session(), current_actor()
    cycle, cycles = _cycle_choice(session)
    detail = can_view_agreement_detail(user)
    lead = can_view_auditor_agreement(user)
    headline = figures.overall(session, user, cycle)
    return render_template(
        "moderation/agreement.html",
        cycle=cycle,
        cycles=cycles,
        headline=headline,
        interval_linear=headline.interval("linear"),
        interval_quadratic=headline.interval("quadratic"),
        blind=figures.blind_agreement(session, user, cycle),
        pairs=figures.moderator_pair_agreement(session, user, cycle),
        trend=figures.trend(session, user, cycle),
        by_agency=figures.agreement_by(session, user, figures.GroupBy.AGENCY, cycle),
        by_section=figures.section_agreement(session, user, cycle) if detail else None,
        by_auditor=figures.agreement_by(session, user, figures.GroupBy.AUDITOR, cycle) if lead else None,
        detail=detail,
        scale=figures.SCALE,
    )


@bp.route("/agreement/questions")
@requires(*AGREEMENT_ROLES)
def questions() -> Any:
    """Question by question, lowest agreement first (casework roles only: the library refuses the board)."""
    session, user = db_session(), current_actor()
    cycle, cycles = _cycle_choice(session)
    rows = figures.question_agreement(session, user, cycle)
    return render_template("moderation/questions.html", cycle=cycle, cycles=cycles, rows=rows)


@bp.route("/agreement.csv")
@requires(*AGREEMENT_ROLES)
def agreement_csv() -> Any:
    """The same columns as ``qa moderation agreement --format csv``, grouped as asked."""
    session, user = db_session(), current_actor()
    by = request.args.get("by", "cycle")
    group = figures.GroupBy(by) if by in {g.value for g in figures.GroupBy} else figures.GroupBy.CYCLE
    cycle = (request.args.get("cycle") or "").strip()[:30] or None
    rows = figures.agreement_by(session, user, group, cycle)
    body = csv_text(figures.CSV_HEADER, (row.csv_row() for row in rows))
    name = f"agreement-by-{group.value}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={name}"})
