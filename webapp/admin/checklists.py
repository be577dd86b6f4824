"""Checklist template versions: which exist, which is current, what each asks; retire and restore.

Versions are immutable (a change is a new file and a new version), so there is nothing to edit
here. Retiring only stops a version starting new audits; audits already using it keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, url_for

from qaframework.checklists.model import PLAN_SECTIONS
from qaframework.framework import GRADE_SCALES, Role
from qaframework.operations.templates import all_versions, current_versions, get_version, set_retired
from qaframework.operations.users import list_agencies
from qaframework.store import TemplateVersion
from webapp.access import current_actor, requires
from webapp.admin.blueprint import bp
from webapp.admin.common import ConfirmForm
from webapp.db import db_session

STATUS_TAGS = {
    "current": {"text": "Current", "classes": "govuk-tag--green"},
    "superseded": {"text": "Superseded", "classes": "govuk-tag--grey"},
    "retired": {"text": "Retired", "classes": "govuk-tag--red"},
}


@dataclass(frozen=True)
class VersionRow:
    version: TemplateVersion
    status: str
    question_count: int

    @property
    def tag(self) -> dict[str, str]:
        return STATUS_TAGS[self.status]


def _rows(versions: list[TemplateVersion], current: list[TemplateVersion]) -> list[VersionRow]:
    current_ids = {tv.id for tv in current}

    def status(tv: TemplateVersion) -> str:
        return "retired" if tv.retired else "current" if tv.id in current_ids else "superseded"

    return [VersionRow(tv, status(tv), len(tv.template.questions())) for tv in versions]


def _row_for(version_id: int) -> tuple[VersionRow, list[VersionRow]]:
    """The version asked for, and every version of the same checklist (newest first)."""
    session = db_session()
    tv = get_version(session, version_id)
    siblings = [v for v in all_versions(session) if v.template_id == tv.template_id]
    rows = _rows(siblings, current_versions(session))
    return next(r for r in rows if r.version.id == tv.id), rows


@bp.route("/templates")
@requires(Role.ADMIN)
def list_templates() -> Any:
    session = db_session()
    rows = _rows(all_versions(session), current_versions(session))
    tiers = sorted({r.version.tier for r in rows})
    return render_template("admin/templates/list.html", rows=rows, tiers=tiers,
                           current_count=sum(r.status == "current" for r in rows))


@bp.route("/templates/<int:version_id>")
@requires(Role.ADMIN)
def show_template(version_id: int) -> Any:
    row, siblings = _row_for(version_id)
    agencies = {a.code: a.name for a in list_agencies(db_session(), active_only=False)}
    template = row.version.template
    return render_template(
        "admin/templates/show.html", row=row, siblings=siblings, template=template,
        agency_names=[agencies.get(code, code) for code in template.agencies],
        scale=GRADE_SCALES[template.grading.scale], plan_sections=PLAN_SECTIONS,
    )


def _consequence(row: VersionRow, siblings: list[VersionRow], retire: bool) -> str:
    """What changes for new audits, in words, so the administrator knows before confirming."""
    title, number = row.version.title, row.version.version
    if retire:
        if row.status != "current":
            return f"Version {number} is not the current version, so new audits are not affected."
        fallback = next((r for r in siblings if r.version.id != row.version.id and not r.version.retired), None)
        if fallback is None:
            return (f"No version of “{title}” will be left for new audits: nobody will be able to start one "
                    "until a version is restored or a new one is loaded.")
        return f"Version {fallback.version.version} will become the current version again: new audits will use it."
    current = next((r for r in siblings if r.status == "current"), None)
    if current is None or current.version.version < number:
        return f"Version {number} will become the current version: new audits will use it."
    return f"Version {current.version.version} stays the current version, so new audits are not affected."


@bp.route("/templates/<int:version_id>/retire", methods=["GET", "POST"])
@requires(Role.ADMIN)
def retire_template(version_id: int) -> Any:
    return _set_retired(version_id, retire=True)


@bp.route("/templates/<int:version_id>/restore", methods=["GET", "POST"])
@requires(Role.ADMIN)
def restore_template(version_id: int) -> Any:
    return _set_retired(version_id, retire=False)


def _set_retired(version_id: int, retire: bool) -> Any:
    row, siblings = _row_for(version_id)
    if row.version.retired == retire:
        flash(
            f"Version {row.version.version} of “{row.version.title}” is already {'retired' if retire else 'in use'}.",
            "info",
        )
        return redirect(url_for("admin.show_template", version_id=version_id))
    form = ConfirmForm()
    if form.validate_on_submit():
        set_retired(db_session(), current_actor(), version_id, retire)
        flash(
            f"Version {row.version.version} of “{row.version.title}” has been {'retired' if retire else 'restored'}.",
            "success",
        )
        return redirect(url_for("admin.show_template", version_id=version_id))
    return render_template(
        "admin/templates/confirm_retire.html",
        form=form,
        row=row,
        retire=retire,
        consequence=_consequence(row, siblings, retire),
    )
