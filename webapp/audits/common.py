"""Helpers shared by the audit views: small facts the pages keep asking."""

from __future__ import annotations

from flask import url_for
from werkzeug.exceptions import NotFound

from qaframework.checklists.model import Section, Template
from qaframework.scoring import suggests_grades
from qaframework.store import Audit


def section_or_404(template: Template, section_id: str) -> tuple[int, Section]:
    for index, section in enumerate(template.sections):
        if section.id == section_id:
            return index, section
    raise NotFound()


def section_grade(audit: Audit, section_id: str) -> str | None:
    """The stored suggested grade of one section (kept up to date at every save)."""
    return next((g.suggested_grade for g in audit.section_grades if g.section_id == section_id), None)


def after_section(audit: Audit, index: int) -> str:
    """Where "Save and continue" goes: the next section, then the overall judgement."""
    sections = audit.template.sections
    if index + 1 < len(sections):
        return url_for("audits.edit_section", audit_id=audit.id, section_id=sections[index + 1].id)
    return url_for("audits.judgement", audit_id=audit.id)


def rules_mode(audit: Audit) -> bool:
    """False for checklists (Tier 4) that leave every grade to the reviewer's judgement."""
    return suggests_grades(audit.template)
