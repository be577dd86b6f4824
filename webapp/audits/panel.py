"""Tier 3 panel audits: who is at the panel, and each agency's contribution graded.

The members present all edit the one shared audit; recording them does not change the audit's
version. The agency grades are saved with the audit's version, so two members grading at once
get the same conflict page as the checklist, with only what each of them changed sent (a digest
of each agency's grade as shown travels with the form, as ``webapp.audits.merge`` does for answers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from qaframework.contributions import NOT_INVOLVED, ContributionInput, contribution_section, has_contributions
from qaframework.numbers import whole_number
from qaframework.operations.audits import get_audit
from qaframework.operations.base import InvalidInput, StaleEdit, WorkflowError
from qaframework.operations.panel_audits import (
    active_agencies,
    contributions_of,
    lower_tier_audits,
    panel_candidates,
    record_participant,
    remove_participant,
    save_contributions,
)
from qaframework.permissions import CASEWORK_ROLES, can_edit_audit, is_panel_audit
from qaframework.store import Agency, Audit
from webapp.access import current_actor, requires
from webapp.audits import bp
from webapp.audits.checklist_form import parse_version, textarea_value
from webapp.audits.merge import DIGEST_RE
from webapp.db import db_session
from webapp.presenters import grade_label

# --- Who is at the panel ------------------------------------------------------------------------


def _panel_audit_or_404(audit_id: int) -> Audit:
    audit = get_audit(db_session(), current_actor(), audit_id)
    if not is_panel_audit(audit):
        abort(404, description="Only Tier 3 panel audits record the members present.")
    return audit


def _render_panel(audit: Audit, errors: dict[str, str] | None = None, chosen: Mapping[str, str] | None = None) -> str:
    session = db_session()
    return render_template(
        "audits/panel.html",
        audit=audit,
        can_edit=can_edit_audit(current_actor(), audit),
        candidates=panel_candidates(session, audit),
        agencies=active_agencies(session),
        errors=errors or {},
        chosen=chosen or {},
        has_errors=bool(errors),
    )


@bp.route("/<int:audit_id>/panel", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def panel(audit_id: int) -> Any:
    """The members present, and a form to add one (with the agency they represent)."""
    session, user = db_session(), current_actor()
    audit = _panel_audit_or_404(audit_id)
    if request.method == "GET":
        return _render_panel(audit)
    chosen = {name: (request.form.get(name) or "").strip()[:40] for name in ("user_id", "agency_code")}
    member_id = whole_number(chosen["user_id"])
    if member_id is None:
        return _render_panel(audit, {"user_id": "Choose who was at the panel"}, chosen), 400
    try:
        member = record_participant(session, user, audit.id, member_id, chosen["agency_code"] or None)
    except InvalidInput as refused:
        errors = {e.field or "user_id": e.message for e in refused.errors}
        return _render_panel(get_audit(session, user, audit_id), errors, chosen), 400
    flash(f"{member.user.display_name} is recorded as present for {member.agency.name if member.agency else ''}.",
          "success")
    return redirect(url_for("audits.panel", audit_id=audit.id))


@bp.route("/<int:audit_id>/panel/<int:user_id>/agency", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def panel_agency(audit_id: int, user_id: int) -> Any:
    """Record or correct the agency one member present represents."""
    session, user = db_session(), current_actor()
    audit = _panel_audit_or_404(audit_id)
    member = next((p for p in audit.participants if p.user_id == user_id), None)
    if member is None:
        abort(404, description="That person is not recorded as present at this panel.")
    if not can_edit_audit(user, audit):
        return redirect(url_for("audits.panel", audit_id=audit.id))
    error, chosen = "", member.agency_code or ""
    if request.method == "POST":
        chosen = (request.form.get("agency_code") or "").strip()[:40]
        if not chosen:
            error = f"Choose the agency {member.user.display_name} represents"
        else:
            try:
                record_participant(session, user, audit.id, user_id, chosen)
            except InvalidInput as refused:
                error = refused.errors[0].message
            else:
                flash(f"The agency {member.user.display_name} represents has been saved.", "success")
                return redirect(url_for("audits.panel", audit_id=audit.id))
    return render_template(
        "audits/panel_agency.html", audit=audit, member=member, agencies=active_agencies(session),
        chosen=chosen, error=error, has_errors=bool(error),
    ), 400 if error else 200


@bp.route("/<int:audit_id>/panel/<int:user_id>/remove", methods=["POST"])
@requires(*CASEWORK_ROLES)
def remove_panel_member(audit_id: int, user_id: int) -> Any:
    session, user = db_session(), current_actor()
    audit = _panel_audit_or_404(audit_id)
    member = next((p for p in audit.participants if p.user_id == user_id), None)
    name = member.user.display_name if member else "That person"
    try:
        remove_participant(session, user, audit.id, user_id)
    except WorkflowError as refused:
        flash(refused.message, "important")
    else:
        flash(f"{name} is no longer recorded as present.", "success")
    return redirect(url_for("audits.panel", audit_id=audit.id))


# --- Each agency's contribution -------------------------------------------------------------------


def contribution_digest(value: ContributionInput | None) -> str:
    """A short fingerprint of one agency's contribution as the library would store it."""
    grade, involved, note = (value or ContributionInput(None)).normalised()
    return hashlib.sha1("\x1f".join((grade or "", "1" if involved else "0", note)).encode()).hexdigest()[:16]


def _agencies_shown(audit: Audit) -> list[Agency]:
    """The area's active agencies, and any since retired that this audit already graded."""
    agencies = active_agencies(db_session())
    graded = {c.agency_code: c.agency for c in audit.contributions}
    return agencies + [a for code, a in sorted(graded.items()) if code not in {x.code for x in agencies}]


def parse_contributions(form: Mapping[str, str], agencies: list[Agency]) -> dict[str, ContributionInput]:
    return {
        a.code: ContributionInput((form.get(f"choice-{a.code}") or "").strip() or None,
                                  textarea_value(form, f"note-{a.code}"))
        for a in agencies
    }


def _changed_only(given: Mapping[str, ContributionInput], form: Mapping[str, str]) -> dict[str, ContributionInput]:
    """Only the agencies this member changed since the page was shown (a three-way merge)."""
    changed = {}
    for code, value in given.items():
        base = (form.get(f"base-{code}") or "").strip()
        if not DIGEST_RE.match(base) or contribution_digest(value) != base:
            changed[code] = value
    return changed


def contribution_rows(audit: Audit) -> list[dict[str, Any]]:
    """What the section page, the overview, check page and report show: each agency's grade and note."""
    stored = {c.agency_code: c for c in audit.contributions}
    rows = []
    for agency in _agencies_shown(audit):
        row = stored.get(agency.code)
        if row is None:
            shown = "Not graded yet"
        elif not row.involved:
            shown = "Not involved"
        else:
            shown = grade_label(row.grade) if row.grade else "Not graded yet"
        rows.append({"agency": agency, "grade": row.grade if row and row.involved else None,
                     "involved": row.involved if row else True, "shown": shown, "note": row.note if row else ""})
    return rows


def _render_contributions(
    audit: Audit,
    values: Mapping[str, ContributionInput],
    errors: Mapping[str, str] | None = None,
    version: int | None = None,
    bases: Mapping[str, str] | None = None,
) -> str:
    return render_template(
        "audits/contributions.html", **_form_context(audit, values, errors, version, bases),
    )


def _form_context(
    audit: Audit,
    values: Mapping[str, ContributionInput],
    errors: Mapping[str, str] | None = None,
    version: int | None = None,
    bases: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    agencies = _agencies_shown(audit)
    stored = contributions_of(audit)
    return {
        "audit": audit,
        "template": audit.template,
        "agencies": agencies,
        "values": values,
        "bases": {a.code: (bases or {}).get(a.code) or contribution_digest(stored.get(a.code)) for a in agencies},
        "errors": errors or {},
        "error_list": [{"text": m, "href": f"#{f}"} for f, m in (errors or {}).items()],
        "has_errors": bool(errors),
        "version": audit.version_id if version is None else version,
        "not_involved": NOT_INVOLVED,
        "section": contribution_section(audit.template),
    }


def _field_errors(refused: InvalidInput) -> dict[str, str]:
    """Library fields (``contribution-<agency>[-note]``) → this form's ids (``choice-…``, ``note-…``)."""
    placed = {}
    for error in refused.errors:
        name = error.field.removeprefix("contribution-")
        placed[f"note-{name.removesuffix('-note')}" if name.endswith("-note") else f"choice-{name}"] = error.message
    return placed


@bp.route("/<int:audit_id>/agency-contributions", methods=["GET", "POST"])
@requires(*CASEWORK_ROLES)
def contributions(audit_id: int) -> Any:
    """Grade each agency's contribution on the checklist's scale, or mark it not involved and why."""
    session, user = db_session(), current_actor()
    audit = _panel_audit_or_404(audit_id)
    if not has_contributions(audit.template):
        abort(404)
    if request.method == "GET":
        if not can_edit_audit(user, audit):
            return redirect(url_for("audits.show_audit", audit_id=audit.id))
        return _render_contributions(audit, contributions_of(audit))
    version = parse_version(request.form)
    if version is None:
        abort(400, description="The form was missing its version. Reload the page and try again.")
    typed = parse_contributions(request.form, _agencies_shown(audit))
    given = _changed_only(typed, request.form)
    bases = {code: (request.form.get(f"base-{code}") or "").strip() for code in typed}
    try:
        if given:
            save_contributions(session, user, audit.id, version, given)
    except StaleEdit as stale:
        return _contributions_conflict(audit_id, given, stale.changed_by, None), 409
    except WorkflowError as closed:
        return _contributions_conflict(audit_id, given, [], closed.message), 409
    except InvalidInput as refused:
        fresh = get_audit(session, user, audit_id)
        return _render_contributions(fresh, typed, _field_errors(refused), version, bases), 400
    flash("The agencies' contributions have been saved." if given
          else "You had not changed anything, so nothing needed saving.", "success")
    if request.form.get("next") == "continue":
        section = contribution_section(audit.template)
        return redirect(url_for("audits.edit_section", audit_id=audit.id, section_id=section.id) if section
                        else url_for("audits.show_audit", audit_id=audit.id))
    return redirect(url_for("audits.contributions", audit_id=audit.id))


def _shown(value: ContributionInput | None) -> tuple[str, str]:
    grade, involved, note = (value or ContributionInput(None)).normalised()
    return ("Not involved" if not involved else grade_label(grade) if grade else "Not graded yet"), note


def _contributions_conflict(
    audit_id: int, given: Mapping[str, ContributionInput], changed_by: list[str], closed: str | None
) -> str:
    """Nothing was saved: compare the stored grades with this member's, and keep theirs in the form."""
    session, user = db_session(), current_actor()
    audit = get_audit(session, user, audit_id)  # fresh: the failed save rolled back
    stored = contributions_of(audit)
    names = {a.code: a.name for a in _agencies_shown(audit)}
    changes = []
    for code, mine in given.items():
        saved, yours = _shown(stored.get(code)), _shown(mine)
        if saved != yours:
            changes.append({"title": names.get(code, code), "id": None, "rows": [
                {"label": "Grade", "saved": saved[0], "yours": yours[0]},
                {"label": "Note", "saved": saved[1], "yours": yours[1]},
            ]})
    context = {**_form_context(audit, {**stored, **given}), "section": None}
    return render_template(
        "audits/conflict.html",
        **context,
        changes=changes,
        changed_by=changed_by,
        closed=closed,
        can_save=closed is None and can_edit_audit(user, audit),
        form_template="audits/_contributions_form.html",
        reload_url=url_for("audits.contributions", audit_id=audit.id),
        continue_label="Save my grades and continue",
        save_label="Save my grades",
        unsaved_from_start=True,
    )


def moderation_url(audit_id: int) -> str | None:
    """The blind moderation page of a lower-tier audit, once the moderation journey is installed."""
    if "moderation.audit" not in current_app.view_functions:
        return None
    return url_for("moderation.audit", audit_id=audit_id)


def panel_context(audit: Audit, lower_tier: bool = True) -> dict[str, Any] | None:
    """What the overview, section, check and report pages show of a panel audit (None for others)."""
    if not is_panel_audit(audit):
        return None
    rows = contribution_rows(audit) if has_contributions(audit.template) else []
    return {
        "members": audit.participants,
        "can_edit": can_edit_audit(current_actor(), audit),
        "contributions": rows,
        "graded": sum(1 for r in rows if r["grade"] or not r["involved"]),
        "ungraded": sum(1 for r in rows if not (r["grade"] or not r["involved"])),
        "unrecorded": [m for m in audit.participants if m.agency_code is None],
        "lower_tier": lower_tier_audits(db_session(), current_actor(), audit) if lower_tier else [],
        "moderation_url": moderation_url,
    }
