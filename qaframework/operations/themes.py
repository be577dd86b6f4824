"""Themes for the Learning and Improvement Group: the questions most often rated Not met or
Partially met in a cycle, beside the previous cycle, and the audits behind each.

The counting is one GROUP BY over responses (both cycles at once); Python only joins the counts
to the checklist wording, which lives in the templates, not the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from qaframework.checklists.model import Template
from qaframework.framework import HALF_TERMS, AuditStatus, Rating, Role
from qaframework.operations.base import PermissionDenied
from qaframework.operations.blinding import not_blind
from qaframework.permissions import CROSS_AGENCY_ROLES, can_view_theme_evidence, can_view_themes, role_of
from qaframework.store import Audit, Case, Response, SectionGrade, TemplateVersion, User

#: Audits whose answers count: finished ones (a draft's answers may still change).
COUNTED_STATUSES = (AuditStatus.SUBMITTED.value, AuditStatus.MODERATED.value, AuditStatus.CLOSED.value)
SHORTFALL = (Rating.NOT_MET.value, Rating.PARTIALLY_MET.value)
RATED = (Rating.MET.value, Rating.PARTIALLY_MET.value, Rating.NOT_MET.value)
#: How many questions a themes page lists, worst first.
TOP = 25


def cycle_key(label: str) -> tuple[str, int]:
    """Sort key of a cycle label ("2024-25 Autumn 1"): academic year, then half term."""
    year, _, half = label.partition(" ")
    return year, HALF_TERMS.index(half) if half in HALF_TERMS else -1


def previous_cycle(label: str) -> str | None:
    """The half term before ``label`` ("2024-25 Autumn 1" → "2023-24 Summer 2"); None if unreadable."""
    year, _, half = label.partition(" ")
    if half not in HALF_TERMS or len(year) != 7 or not (year[:4].isascii() and year[:4].isdigit()):
        return None
    index = HALF_TERMS.index(half)
    if index:
        return f"{year} {HALF_TERMS[index - 1]}"
    start = int(year[:4]) - 1
    return f"{start}-{str(start + 1)[-2:]} {HALF_TERMS[-1]}"


def theme_cycles(session: Session) -> list[str]:
    """Cycles with finished audits, newest first: the choices of the cycle filter."""
    labels = session.scalars(select(Audit.cycle).where(Audit.status.in_(COUNTED_STATUSES)).distinct())
    return sorted(labels, key=cycle_key, reverse=True)


@dataclass(frozen=True)
class QuestionCounts:
    not_met: int = 0
    partially_met: int = 0
    rated: int = 0
    #: Of the shortfalls, how many are in audits a panel moderated (so the evidence was checked).
    moderated: int = 0

    @property
    def shortfall(self) -> int:
        return self.not_met + self.partially_met

    @property
    def percent(self) -> int | None:
        """Share of rated answers that fell short, rounded; None when nothing was rated."""
        return round(100 * self.shortfall / self.rated) if self.rated else None


@dataclass(frozen=True)
class Theme:
    template_id: str
    checklist: str
    question_id: str
    question_text: str
    section_title: str
    plan_sections: tuple[str, ...]
    current: QuestionCounts
    previous: QuestionCounts

    @property
    def change(self) -> int | None:
        """Percentage points since the previous cycle (positive: more answers fell short)."""
        if self.current.percent is None or self.previous.percent is None:
            return None
        return self.current.percent - self.previous.percent


def visible_audits(actor: User) -> ColumnElement[bool]:
    """Audits the actor may read (``permissions.can_view_audit``), as a WHERE condition."""
    role = role_of(actor)
    if role in CROSS_AGENCY_ROLES:
        return true()
    if role is Role.AUDITOR:
        own_agency = and_(Audit.agency_code.is_not(None), Audit.agency_code == actor.agency_code)
        return or_(Audit.auditor_id == actor.id, own_agency)
    return false()


def _latest_templates(session: Session, template_ids: Sequence[str]) -> dict[str, Template]:
    """The newest stored version of each checklist, for its wording (ids are stable across versions)."""
    if not template_ids:
        return {}
    newest = (
        select(TemplateVersion.template_id, func.max(TemplateVersion.version).label("version"))
        .where(TemplateVersion.template_id.in_(template_ids))
        .group_by(TemplateVersion.template_id)
        .subquery()
    )
    versions = session.scalars(
        select(TemplateVersion).join(
            newest,
            and_(TemplateVersion.template_id == newest.c.template_id, TemplateVersion.version == newest.c.version),
        )
    )
    return {tv.template_id: tv.template for tv in versions}


def themes(
    session: Session,
    actor: User,
    *,
    cycle: str,
    agency: str | None = None,
    plan_section: str | None = None,
    limit: int = TOP,
) -> list[Theme]:
    """The questions with the most Not met or Partially met answers in ``cycle`` (counted in every
    agency's finished audits, or one agency's), with the previous cycle's figures beside them.

    Counts carry no case, so every signed-in role may read them (the board included).
    """
    if not can_view_themes(actor):
        raise PermissionDenied("Your account cannot see themes.")
    before = previous_cycle(cycle)
    cycles = [cycle] + ([before] if before else [])
    moderated = or_(Audit.status == AuditStatus.MODERATED.value, Audit.moderated_grade.is_not(None))
    query = (
        select(
            Audit.cycle,
            TemplateVersion.template_id,
            Response.question_id,
            func.sum(case((Response.rating == Rating.NOT_MET.value, 1), else_=0)),
            func.sum(case((Response.rating == Rating.PARTIALLY_MET.value, 1), else_=0)),
            func.sum(case((Response.rating.in_(RATED), 1), else_=0)),
            func.sum(case((and_(Response.rating.in_(SHORTFALL), moderated), 1), else_=0)),
        )
        .join(Audit, Audit.id == Response.audit_id)
        .join(TemplateVersion, TemplateVersion.id == Audit.template_version_id)
        .where(Audit.status.in_(COUNTED_STATUSES), Audit.cycle.in_(cycles))
        .group_by(Audit.cycle, TemplateVersion.template_id, Response.question_id)
    )
    if agency:
        query = query.where(Audit.agency_code == agency)
    counts: dict[tuple[str, str], dict[str, QuestionCounts]] = {}
    for row_cycle, template_id, question_id, not_met, partial, rated, in_moderated in session.execute(query):
        counts.setdefault((template_id, question_id), {})[row_cycle] = QuestionCounts(
            int(not_met or 0), int(partial or 0), int(rated or 0), int(in_moderated or 0)
        )
    templates = _latest_templates(session, sorted({t for t, _ in counts}))
    found: list[Theme] = []
    for (template_id, question_id), by_cycle in counts.items():
        current = by_cycle.get(cycle, QuestionCounts())
        template = templates.get(template_id)
        if current.shortfall == 0 or template is None:
            continue
        section = next((s for s in template.sections if any(q.id == question_id for q in s.questions)), None)
        if section is None:
            continue  # a question retired from the newest version: its wording is no longer shown
        question = next(q for q in section.questions if q.id == question_id)
        letters = tuple(question.plan_sections or section.plan_sections)
        if plan_section and plan_section not in letters:
            continue
        found.append(
            Theme(template_id, template.title, question_id, question.text, section.title, letters, current,
                  by_cycle.get(before or "", QuestionCounts()))
        )
    found.sort(key=lambda t: (-t.current.shortfall, -(t.current.percent or 0), t.template_id, t.question_id))
    return found[:limit]


@dataclass(frozen=True)
class Evidence:
    """One answer behind a theme, from an audit the viewer may open."""

    audit_id: int
    case_ref: str
    section_id: str
    rating: str | None
    evidence: str
    agency_code: str | None
    #: The grade reported for the audit: moderated where the panel agreed one.
    reported_grade: str | None
    moderated: bool
    #: The section's moderated grade, where the panel agreed one.
    section_moderated_grade: str | None


def theme_evidence(
    session: Session,
    actor: User,
    *,
    template_id: str,
    question_id: str,
    cycle: str,
    agency: str | None = None,
    limit: int = 200,
) -> list[Evidence]:
    """The Not met and Partially met answers to one question in a cycle, moderated audits first."""
    if not can_view_theme_evidence(actor):
        raise PermissionDenied("The audits behind a theme are case records; board viewers see the figures only.")
    reported = func.coalesce(Audit.moderated_grade, Audit.auditor_grade, Audit.suggested_grade)
    is_moderated = Audit.moderated_grade.is_not(None)
    query = (
        select(
            Audit.id, Case.case_ref, Response.section_id, Response.rating, Response.evidence, Audit.agency_code,
            reported, is_moderated, SectionGrade.moderated_grade,
        )
        .join(Audit, Audit.id == Response.audit_id)
        .join(Case, Case.id == Audit.case_id)
        .join(TemplateVersion, TemplateVersion.id == Audit.template_version_id)
        .outerjoin(
            SectionGrade, and_(SectionGrade.audit_id == Audit.id, SectionGrade.section_id == Response.section_id)
        )
        .where(
            TemplateVersion.template_id == template_id,
            Response.question_id == question_id,
            Response.rating.in_(SHORTFALL),
            Audit.status.in_(COUNTED_STATUSES),
            Audit.cycle == cycle,
        )
        .order_by(is_moderated.desc(), Response.rating, Audit.id)  # moderated first, then Not met
        .limit(limit)
    )
    if agency:
        query = query.where(Audit.agency_code == agency)
    # A panel member re-grading a sampled audit blind must not read its answers here either.
    return [Evidence(*row) for row in session.execute(query.where(visible_audits(actor), not_blind(actor)))]
