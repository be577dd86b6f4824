""""What good looks like": anonymised extracts of plan sections a panel agreed were Good or better.

A section is eligible once its grade was moderated (``SectionGrade.moderated_grade``) and the
agreed grade is Good or better. Anyone who may read the audit nominates it with an extract they
anonymise, confirming each item of the checklist below; a panel lead approves it, or turns it
down with a reason. Auditors then browse approved exemplars by plan section (A-K).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from qaframework import limits
from qaframework.framework import GOOD_OR_BETTER, ExemplarStatus
from qaframework.operations.audits import get_audit
from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    WorkflowError,
    operation,
    record,
    snapshot,
)
from qaframework.operations.themes import visible_audits
from qaframework.permissions import (
    can_decide_exemplar,
    can_nominate_exemplar,
    can_view_exemplar,
    can_view_learning,
)
from qaframework.store import Audit, Case, Exemplar, SectionGrade, User, utcnow

#: What the nominator confirms about the extract before anyone else reads it (code → statement).
ANONYMISATION_CHECKS: dict[str, str] = {
    "no_names": "No names of the child or young person, their family, school, setting or staff",
    "no_case_reference": "No case reference, date of birth, address or NHS number",
    "no_dates_places": "No exact dates or places that would identify the child (a key stage, not a year group)",
    "no_rare_details": "No rare condition or unusual detail that would identify the child in this area",
    "no_quotes": "No word-for-word quotation from the family or child",
}
EXTRACT_MIN, EXTRACT_MAX = 40, limits.EXEMPLAR_EXTRACT
REASON_MAX = limits.EXEMPLAR_REASON
#: A written date (12/03/2025, 12-3-25) or a date of birth: something the anonymising missed.
_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_FIELDS = ("status", "decided_by_id", "decision_reason")


def _eligible_grade(row: SectionGrade) -> bool:
    return row.moderated_grade is not None and row.moderated_grade in GOOD_OR_BETTER


@dataclass(frozen=True)
class Candidate:
    """A moderated section graded Good or better that is not yet put forward."""

    audit_id: int
    case_ref: str
    checklist: str
    cycle: str
    section_id: str
    section_title: str
    plan_sections: tuple[str, ...]
    grade: str


def candidates(session: Session, actor: User, limit: int = 100) -> list[Candidate]:
    """Sections the actor may nominate: moderated Good or better, in audits they may read, with no
    nomination waiting or approved. Newest audits first."""
    if not can_view_learning(actor):
        raise PermissionDenied("Exemplars are casework; board viewers see the themes' figures only.")
    taken = select(Exemplar.id).where(
        Exemplar.audit_id == SectionGrade.audit_id,
        Exemplar.section_id == SectionGrade.section_id,
        Exemplar.status != ExemplarStatus.REJECTED.value,
    )
    rows = session.execute(
        select(SectionGrade, Audit, Case.case_ref)
        .join(Audit, Audit.id == SectionGrade.audit_id)
        .join(Case, Case.id == Audit.case_id)
        .where(SectionGrade.moderated_grade.in_(sorted(GOOD_OR_BETTER)), ~taken.exists(), visible_audits(actor))
        .order_by(Audit.id.desc(), SectionGrade.id)
        .limit(limit)
    ).all()
    found = []
    for grade_row, audit, case_ref in rows:
        section = next((s for s in audit.template.sections if s.id == grade_row.section_id), None)
        if section is None or grade_row.moderated_grade is None:
            continue
        found.append(Candidate(audit.id, case_ref, audit.template_version.title, audit.cycle, section.id,
                               section.title, tuple(grade_row.plan_sections or section.plan_sections),
                               grade_row.moderated_grade))
    return found


def _check_extract(extract: str, confirmed: Collection[str], case_ref: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if len(extract) < EXTRACT_MIN:
        errors.append(FieldError("extract", f"Enter the extract: at least {EXTRACT_MIN} characters of the section"))
    elif len(extract) > EXTRACT_MAX:
        errors.append(FieldError("extract", f"Keep the extract to {EXTRACT_MAX:,} characters or fewer"))
    elif case_ref and case_ref.lower() in extract.lower():
        errors.append(FieldError("extract", f"Take the case reference {case_ref} out of the extract"))
    elif written_date := _DATE.search(extract):
        errors.append(FieldError("extract", f"Take the date ‘{written_date.group()}’ out of the extract"))
    missing = [code for code in ANONYMISATION_CHECKS if code not in set(confirmed)]
    if missing:
        errors.append(FieldError("checks", "Confirm every item of the anonymisation checklist"))
    return errors


@operation
def nominate(
    session: Session, actor: User, *, audit_id: int, section_id: str, extract: str, confirmed: Collection[str]
) -> Exemplar:
    """Put a moderated Good-or-better section forward as an exemplar, with an anonymised extract."""
    audit = get_audit(session, actor, audit_id)
    if not can_nominate_exemplar(actor, audit):
        raise PermissionDenied("Board viewers see the figures only; they cannot nominate exemplars.")
    section = next((s for s in audit.template.sections if s.id == section_id), None)
    grade_row = next((g for g in audit.section_grades if g.section_id == section_id), None)
    if section is None or grade_row is None:
        raise NotFound(f"There is no section {section_id} in this audit")
    if not _eligible_grade(grade_row):
        raise WorkflowError("Only a section a panel moderated and graded Good or better can be an exemplar.")
    existing = session.scalar(
        select(Exemplar).where(Exemplar.audit_id == audit.id, Exemplar.section_id == section_id,
                               Exemplar.status != ExemplarStatus.REJECTED.value)
    )
    if existing is not None:
        raise WorkflowError("This section has already been put forward as an exemplar.")
    text = (extract or "").strip()
    errors = _check_extract(text, confirmed, audit.case.case_ref)
    if errors:
        raise InvalidInput(errors)
    assert grade_row.moderated_grade is not None
    exemplar = Exemplar(
        audit_id=audit.id,
        section_id=section.id,
        section_title=section.title,
        plan_sections=list(grade_row.plan_sections or section.plan_sections),
        template_id=audit.template_version.template_id,
        grade=grade_row.moderated_grade,
        extract=text,
        checks=sorted(ANONYMISATION_CHECKS),
        status=ExemplarStatus.NOMINATED.value,
        nominated_by_id=actor.id,
    )
    session.add(exemplar)
    session.flush()
    record(session, actor, "exemplar.nominate", "exemplar", exemplar.id,
           after=snapshot(exemplar, "audit_id", "section_id", "grade", "status"))
    return exemplar


def get_exemplar(session: Session, actor: User, exemplar_id: int) -> Exemplar:
    exemplar = session.get(Exemplar, exemplar_id)
    if exemplar is None:
        raise NotFound(f"There is no exemplar {exemplar_id}")
    if not can_view_exemplar(actor, exemplar):
        raise PermissionDenied("Only approved exemplars are shown to everyone; this one is still with the panel.")
    return exemplar


@operation
def decide(session: Session, actor: User, exemplar_id: int, *, approve: bool, reason: str = "") -> Exemplar:
    """A panel lead approves a nomination, or turns it down saying why (so it can be put right)."""
    exemplar = get_exemplar(session, actor, exemplar_id)
    if not can_decide_exemplar(actor):
        raise PermissionDenied("Only a panel lead can approve exemplars.")
    if exemplar.status != ExemplarStatus.NOMINATED:
        raise WorkflowError("This exemplar has already been decided.")
    why = (reason or "").strip()
    if not approve and not why:
        raise InvalidInput([FieldError("reason", "Say why it is not approved, so the nominator can put it right")])
    if len(why) > REASON_MAX:
        raise InvalidInput([FieldError("reason", f"Keep the reason to {REASON_MAX:,} characters or fewer")])
    before = snapshot(exemplar, *_FIELDS)
    exemplar.status = (ExemplarStatus.APPROVED if approve else ExemplarStatus.REJECTED).value
    exemplar.decided_by_id = actor.id
    exemplar.decided_at = utcnow()
    exemplar.decision_reason = why or None
    record(session, actor, "exemplar.approve" if approve else "exemplar.reject", "exemplar", exemplar.id, before,
           snapshot(exemplar, *_FIELDS))
    return exemplar


def approved_by_plan_section(session: Session, actor: User, plan_section: str | None = None
                             ) -> dict[str, list[Exemplar]]:
    """Approved exemplars under each plan section they cover (one may sit under several), A to K.
    Only the extract is shown to readers, so no audit scope applies beyond casework."""
    if not can_view_learning(actor):
        raise PermissionDenied("Exemplars are casework; board viewers see the themes' figures only.")
    rows = session.scalars(
        select(Exemplar).where(Exemplar.status == ExemplarStatus.APPROVED.value).order_by(Exemplar.decided_at.desc(),
                                                                                          Exemplar.id.desc())
    )
    grouped: dict[str, list[Exemplar]] = {}
    for exemplar in rows:
        for letter in exemplar.plan_sections or ["Other"]:
            if plan_section is None or letter == plan_section:
                grouped.setdefault(letter, []).append(exemplar)
    return dict(sorted(grouped.items(), key=lambda kv: (len(kv[0]) > 2, kv[0])))


def waiting(session: Session, actor: User) -> list[Exemplar]:
    """Nominations not yet decided: all of them for the panel and administrators (panel leads decide),
    the actor's own for anyone else; and the actor's own that were turned down, with the reason."""
    if not can_view_learning(actor):
        raise PermissionDenied("Exemplars are casework; board viewers see the themes' figures only.")
    query = select(Exemplar).options(joinedload(Exemplar.nominated_by)).order_by(Exemplar.nominated_at, Exemplar.id)
    rows = session.scalars(query.where(Exemplar.status != ExemplarStatus.APPROVED.value)).all()
    return [e for e in rows if can_view_exemplar(actor, e)
            and (e.status == ExemplarStatus.NOMINATED or e.nominated_by_id == actor.id)]
