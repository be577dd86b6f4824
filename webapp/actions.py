"""Actions raised from audits: raise one from a question, list mine, record progress.

Who may raise, see and update an action is decided in ``qaframework.operations.actions``;
this module reads forms (including the GOV.UK day/month/year date) and shows the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from qaframework import permissions
from qaframework.numbers import whole_number
from qaframework.operations import actions as ops
from qaframework.operations.audits import get_audit
from qaframework.operations.base import InvalidInput
from qaframework.operations.submissions import FIELD as FORM_TOKEN
from qaframework.operations.users import list_agencies
from qaframework.permissions import CASEWORK_ROLES, can_update_action
from qaframework.store import Action, Audit
from webapp.access import current_actor, requires
from webapp.db import db_session

bp = Blueprint("actions", __name__)

#: Field order on the form, so the error summary lists problems in the order the page shows them.
FIELD_ORDER = ("question_id", "description", "owner", "agency", "due_date", "theme")
MONTHS = {
    name: n
    for n, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
DATE_PARTS = ("day", "month", "year")


@bp.app_template_global("action_overdue")
def action_overdue(action: Action) -> bool:
    """Overdue is derived from today, never stored (pages and partials share this rule)."""
    return action.is_overdue(date.today())


@bp.app_template_global("can_raise_action")
def can_raise_action(user: Any, audit: Audit) -> bool:
    """For pages: offer "Raise an action" only where :func:`ops.raise_action` would accept it."""
    return bool(getattr(user, "is_authenticated", False)) and permissions.can_raise_action(user, audit)


def parse_due_date(parts: Mapping[str, str], today: date) -> tuple[date | None, str | None, tuple[str, ...]]:
    """Read a GOV.UK day/month/year date: (the date, the error message, the parts in error).

    Messages follow the Design System's date input pattern, so people are told exactly what to fix.
    """
    raw = {p: (parts.get(p) or "").strip() for p in DATE_PARTS}
    missing = tuple(p for p in DATE_PARTS if not raw[p])
    if len(missing) == 3:
        return None, "Enter the date the action is due", DATE_PARTS
    if missing:
        return None, f"Due date must include a {' and '.join(missing)}", missing
    month = MONTHS.get(raw["month"].lower(), raw["month"])
    numbers = {"day": raw["day"], "month": str(month), "year": raw["year"]}
    not_numbers = tuple(p for p in DATE_PARTS if whole_number(numbers[p]) is None)
    if not_numbers:
        return None, "Due date must be a real date", not_numbers
    if len(numbers["year"]) != 4:
        return None, "Year must include 4 numbers", ("year",)
    try:
        due = date(int(numbers["year"]), int(numbers["month"]), int(numbers["day"]))
    except ValueError:
        return None, "Due date must be a real date", DATE_PARTS
    if due < today:
        return None, "Due date must be today or in the future", DATE_PARTS
    return due, None, ()


def _question_or_404(audit: Audit, question_id: str | None) -> Any:
    if not question_id:
        return None
    try:
        return audit.template.question(question_id)
    except KeyError:
        abort(404)


@bp.route("/actions")
@requires(*CASEWORK_ROLES)
def my_actions() -> Any:
    session, user = db_session(), current_actor()
    show_closed = request.args.get("show") == "all"
    return render_template(
        "actions/list.html",
        actions=ops.my_actions(session, user, include_closed=show_closed),
        show_closed=show_closed,
        today=date.today(),
    )


@bp.route("/audits/<int:audit_id>/actions/new", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def new_action(audit_id: int) -> Any:
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)
    question = _question_or_404(audit, request.args.get("question_id"))  # raised from that question's page
    question_id = question.id if question else request.form.get("question_id") or None
    values: Mapping[str, str] = request.form if request.method == "POST" else {"owner": str(user.id)}
    errors: dict[str, str] = {}
    bad_parts: tuple[str, ...] = ()
    if request.method == "POST" and "show_owners" not in request.form:
        due, date_error, bad_parts = parse_due_date(
            {p: values.get(f"due_date-{p}", "") for p in DATE_PARTS}, date.today()
        )
        owner = values.get("owner", "")
        try:
            ops.raise_action(
                session,
                user,
                audit_id=audit.id,
                question_id=question_id,
                description=values.get("description", ""),
                owner_id=whole_number(owner) or 0,
                due_date=due,
                agency_code=values.get("agency") or None,
                theme=values.get("theme"),
                form_token=values.get(FORM_TOKEN),
            )
        except InvalidInput as exc:
            found = {e.field: e.message for e in exc.errors}
            if date_error:
                found["due_date"] = date_error
            elif "due_date" in found:
                bad_parts = DATE_PARTS
            errors = {_element_id(f, bad_parts): found[f] for f in FIELD_ORDER if f in found}
            errors.update({_element_id(f, bad_parts): m for f, m in found.items() if f not in FIELD_ORDER})
        else:
            flash("Action raised" + (f" from question {question_id}." if question_id else "."), "success")
            return redirect(url_for("audits.show_audit", audit_id=audit.id))
    # Who will do it: people of one agency (or matching a search) at a time, so the list stays short.
    owner_agency = values.get("owner_agency", audit.agency_code or user.agency_code or ops.NO_AGENCY)
    owner_search = (values.get("owner_search") or "").strip()
    users = ops.owner_choices(session, agency_code=None if owner_search else owner_agency, search=owner_search)
    chosen = values.get("owner", "")
    if whole_number(chosen) is not None and all(str(u.id) != chosen for u in users):
        users += [u for u in ops.owner_choices(session, agency_code=None) if str(u.id) == chosen]
    return render_template(
        "actions/new.html",
        audit=audit,
        question=question,
        response=next((r for r in audit.responses if r.question_id == question_id), None),
        users=users,
        owner_agency=owner_agency,
        owner_search=owner_search,
        no_agency=ops.NO_AGENCY,
        agencies=list_agencies(session),
        values=values,
        errors=errors,
        bad_parts=bad_parts,
        example_due=date.today() + timedelta(days=28),
    )


def _element_id(field: str, bad_parts: tuple[str, ...]) -> str:
    """Where an error summary link should land: the first date part in error for the due date."""
    if field == "due_date":
        return f"due_date-{(bad_parts or DATE_PARTS)[0]}"
    return field


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def show_action(action_id: int) -> Any:
    session, user = db_session(), current_actor()
    action = ops.get_action(session, user, action_id)
    errors: dict[str, str] = {}
    status = request.form.get("status", action.status)
    if request.method == "POST":
        try:
            ops.update_action_status(
                session, user, action.id, status, request.form.get("closing_note", ""), request.form.get("outcome", "")
            )
        except InvalidInput as exc:
            errors = {e.field or "status": e.message for e in exc.errors}
        else:
            flash(f"Status updated to {ops.STATUSES[status].lower()}.", "success")
            return redirect(url_for("actions.show_action", action_id=action.id))
    return render_template(
        "actions/show.html",
        action=action,
        source=ops.action_source(session, user, action),
        raiser=ops.raised_by(session, action),
        chosen_status=status,
        closing_note=request.form.get("closing_note", action.closing_note or ""),
        outcome=request.form.get("outcome", action.outcome or ""),
        closed=ops.CLOSED,
        agencies={a.code: a.name for a in list_agencies(session, active_only=False)},
        statuses=ops.STATUSES,
        can_update=can_update_action(user, action),
        errors=errors,
        today=date.today(),
    )
