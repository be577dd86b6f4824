"""Admin: erase one case and everything about it, and the case retention report with bulk deletion.

Both delete for good, so each asks for confirmation on a page that says what will go; the work is
``qaframework.operations.erasure``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from qaframework.framework import Role
from qaframework.numbers import whole_number
from qaframework.operations.base import InvalidInput, NotFound
from qaframework.operations.cases import find_case
from qaframework.operations.erasure import (
    RETENTION_MAX,
    RETENTION_MIN,
    cases_past_retention,
    erase_case,
    erase_past_retention,
    preview_erasure,
    retention_months,
    set_retention_months,
)
from webapp.access import current_actor, requires
from webapp.admin.blueprint import bp
from webapp.db import db_session

#: Table names in the words of the confirmation page.
ROW_LABELS = {
    "cases": "case record", "requests": "request for assessment", "advice_requests": "advice request",
    "case_needs": "recorded need", "placements": "placement", "reviews": "annual review",
    "audits": "audit", "responses": "answer", "section_grades": "section grade", "actions": "action",
    "peer_challenges": "peer challenge", "peer_comments": "peer comment", "moderation_records": "moderation",
    "moderation_ratings": "moderation rating", "moderation_section_grades": "moderation section grade",
    "sample_items": "place in a sample", "sample_assignments": "sample assignment",
    "consent_records": "consent record", "review_conversations": "Tier 4 conversation",
    "audit_participants": "panel member present", "agency_contributions": "agency contribution",
    "exemplars": "exemplar",
}


def _label(table: str, count: int) -> str:
    word = ROW_LABELS.get(table, table.replace("_", " "))
    return f"{count} {word}{'' if count == 1 else 's'}"


@bp.route("/erase-case", methods=["GET", "POST"])
@requires(Role.ADMIN)
def find_case_to_erase() -> Any:
    error, value = None, ""
    if request.method == "POST":
        value = (request.form.get("case_ref") or "").strip()[:40]
        case = find_case(db_session(), value) if value else None
        if case is not None:
            return redirect(url_for("admin.erase_case_page", case_id=case.id))
        error = "Enter the case reference" if not value else f"There is no case {value}"
    return render_template("admin/erase_find.html", error=error, value=value)


@bp.route("/erase-case/<int:case_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def erase_case_page(case_id: int) -> Any:
    session, actor = db_session(), current_actor()
    try:
        preview = preview_erasure(session, actor, case_id)
    except NotFound:
        abort(404)
    if request.method == "POST":
        ref = preview.case.case_ref
        erase_case(session, actor, case_id)
        flash(f"Case {ref} and everything about it has been erased.", "success")
        return redirect(url_for("admin.index"))
    rows = [_label(table, count) for table, count in preview.rows.items() if table != "cases"]
    return render_template("admin/erase_confirm.html", preview=preview, rows=rows)


@bp.route("/case-retention", methods=["GET", "POST"])
@requires(Role.ADMIN)
def case_retention() -> Any:
    session, actor = db_session(), current_actor()
    value, error = str(retention_months(session)), None
    if request.method == "POST":
        value = (request.form.get("months") or "").strip()[:10]
        try:
            number = whole_number(value)
            set_retention_months(session, actor, number if number is not None else value)
        except InvalidInput as invalid:
            error = invalid.errors[0].message
        else:
            flash(f"Cases are now kept {value} months after their last activity.", "success")
            return redirect(url_for("admin.case_retention"))
    past = cases_past_retention(session, actor)
    return render_template("admin/case_retention.html", value=value, error=error, past=past,
                           minimum=RETENTION_MIN, maximum=RETENTION_MAX, months=retention_months(session))


@bp.route("/case-retention/delete", methods=["GET", "POST"])
@requires(Role.ADMIN)
def delete_past_retention() -> Any:
    session, actor = db_session(), current_actor()
    if request.method == "POST":
        ids = [n for raw in request.form.getlist("case_id")[:10_000] if (n := whole_number(raw)) is not None]
        try:
            erased = erase_past_retention(session, actor, ids)
        except InvalidInput as invalid:
            flash(invalid.errors[0].message, "error")
            return redirect(url_for("admin.case_retention"))
        flash(f"{erased} {'case' if erased == 1 else 'cases'} past the retention period "
              f"{'was' if erased == 1 else 'were'} erased with everything about {'it' if erased == 1 else 'them'}.",
              "success")
        return redirect(url_for("admin.case_retention"))
    past = cases_past_retention(session, actor)
    if not past:
        return redirect(url_for("admin.case_retention"))
    return render_template("admin/case_retention_delete.html", past=past, months=retention_months(session))
