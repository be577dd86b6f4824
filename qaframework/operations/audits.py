"""The audit workflow: start, save responses (optimistically locked), submit, return."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from qaframework.checklists.model import Template
from qaframework.framework import AUDIT_TRANSITIONS, AuditStatus, Rating, RequestOutcome, Role, Subject
from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleEdit,
    WorkflowError,
    operation,
    record,
    require,
)
from qaframework.operations.settings import current_cycle
from qaframework.permissions import can_edit_audit, can_return_audit, can_use_template, can_view_audit, role_of
from qaframework.scoring import Answer, MissingItem, completeness, suggest_grades
from qaframework.store import (
    Audit,
    Case,
    ConsentRecord,
    Request,
    Response,
    SectionGrade,
    TemplateVersion,
    TrailEntry,
    User,
    utcnow,
)

MAX_TEXT = 10_000


@dataclass(frozen=True)
class ResponseInput:
    """One question's answer as submitted by a form or a script."""

    rating: str | None
    evidence: str = ""
    na_reason: str = ""


#: What every audit page and save needs, fetched up front instead of one lazy query at a time.
_AUDIT_PAGE_LOAD = (joinedload(Audit.case), selectinload(Audit.responses), selectinload(Audit.section_grades))


class IncompleteAudit(WorkflowError):
    """Submit refused: ``missing`` lists each unanswered or unexplained question."""

    def __init__(self, missing: list[MissingItem]) -> None:
        super().__init__(f"{len(missing)} question(s) need attention before you can submit")
        self.missing = missing


def get_audit(session: Session, actor: User, audit_id: int) -> Audit:
    audit = session.get(Audit, audit_id, options=_AUDIT_PAGE_LOAD)
    if audit is None:
        raise NotFound(f"There is no audit {audit_id}")
    if not can_view_audit(actor, audit):
        raise PermissionDenied("You can only see audits for your own agency.")
    return audit


def move_to(audit: Audit, status: AuditStatus) -> None:
    """Change an audit's workflow status, only along the moves ``AUDIT_TRANSITIONS`` allows."""
    current = AuditStatus(audit.status)
    if status not in AUDIT_TRANSITIONS[current]:
        raise WorkflowError(f"An audit that is {current.value} cannot become {status.value}.")
    audit.status = status.value


def answers_of(audit: Audit) -> dict[str, Answer]:
    return {
        r.question_id: Answer(Rating(r.rating) if r.rating else None, r.evidence, r.na_reason)
        for r in audit.responses
    }


def missing_items(audit: Audit, answers: Mapping[str, Answer] | None = None) -> list[MissingItem]:
    """What still stops submission; pass ``answers_of(audit)`` if already built (a page keeps it)."""
    return completeness(audit.template, answers_of(audit) if answers is None else answers)


def has_consent(session: Session, case_id: int) -> bool:
    """A Tier 4 review can start once the family's decision (given or refused) is on record."""
    return (
        session.scalar(
            select(ConsentRecord.id).where(ConsentRecord.case_id == case_id, ConsentRecord.withdrawn_at.is_(None))
        )
        is not None
    )


#: A decision not to assess or not to issue can be audited only on a request that ended that way.
REFUSED_OUTCOMES = frozenset({RequestOutcome.REFUSED_TO_ASSESS.value, RequestOutcome.REFUSED_TO_ISSUE.value})


def refused_request(case: Case) -> Request | None:
    """The case's latest request refused to assess or to issue: what a refusal audit looks at."""
    refused = [r for r in case.requests if r.outcome in REFUSED_OUTCOMES]
    return refused[-1] if refused else None


def subject_problem(case: Case, subject: str) -> str | None:
    """Why ``subject`` cannot be audited on this case, in words for the person starting the audit."""
    if subject == Subject.REFUSAL_DECISION and refused_request(case) is None:
        return (
            f"Case {case.case_ref} has no request that was refused to assess or to issue, so there is no "
            "refusal decision to audit. Choose what else you are auditing"
        )
    return None


@operation
def start_audit(
    session: Session,
    actor: User,
    *,
    case_id: int,
    template_version_id: int,
    subject: str,
    request_id: int | None = None,
    today: date | None = None,
) -> Audit:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"There is no case {case_id}")
    tv = session.get(TemplateVersion, template_version_id)
    if tv is None:
        raise NotFound(f"There is no checklist {template_version_id}")
    if tv.retired:
        raise WorkflowError(f"{tv.title} version {tv.version} is retired; choose the current version")
    template = tv.template
    require(can_use_template(actor, template), f"Your role and agency cannot use the checklist “{tv.title}”.")
    if subject not in {s.value for s in template.subjects}:
        allowed = ", ".join(Subject(s).label.lower() for s in template.subjects)
        raise InvalidInput([FieldError("subject", f"“{tv.title}” is for: {allowed}")])
    if request_id is not None:
        request = session.get(Request, request_id)
        if request is None or request.case_id != case.id:
            raise InvalidInput([FieldError("request", "That request does not belong to this case")])
        if subject == Subject.REFUSAL_DECISION and request.outcome not in REFUSED_OUTCOMES:
            message = "Only a request that was refused to assess or to issue has a refusal decision to audit"
            raise InvalidInput([FieldError("request", message)])
    elif subject == Subject.REFUSAL_DECISION:
        refused = refused_request(case)
        if refused is None:
            raise InvalidInput([FieldError("subject", subject_problem(case, subject) or "")])
        request_id = refused.id
    elif case.requests:
        request_id = case.requests[-1].id
    if template.requires_consent and not has_consent(session, case.id):
        raise WorkflowError("Record the family's consent decision before starting this review")
    audit = Audit(
        case_id=case.id,
        request_id=request_id,
        template_version_id=tv.id,
        subject=subject,
        tier=tv.tier,
        agency_code=actor.agency_code if role_of(actor) is Role.AUDITOR else None,
        auditor_id=actor.id,
        status=AuditStatus.DRAFT.value,
        cycle=current_cycle(session, today or date.today()).label,
        exemplary_sections=[],
    )
    session.add(audit)
    session.flush()
    record(session, actor, "audit.start", "audit", audit.id, after={
        "case_ref": case.case_ref, "template": tv.key, "subject": subject, "cycle": audit.cycle,
    })
    return audit


def _validate_responses(audit: Audit, responses: Mapping[str, ResponseInput]) -> list[FieldError]:
    template = audit.template
    known = {q.id: q for q in template.questions()}
    errors: list[FieldError] = []
    for question_id, given in responses.items():
        question = known.get(question_id)
        if question is None:
            errors.append(FieldError(question_id, f"{question_id} is not a question in {template.title}"))
            continue
        if given.rating is not None and given.rating not in {r.value for r in Rating}:
            errors.append(FieldError(question_id, f"{given.rating!r} is not a rating"))
        elif given.rating == Rating.NOT_APPLICABLE and not question.not_applicable.allowed:
            errors.append(FieldError(question_id, f"{question_id} cannot be answered “Not applicable”"))
        for name, text in (("evidence", given.evidence), ("na_reason", given.na_reason)):
            if len(text) > MAX_TEXT:
                message = f"Keep {name.replace('_', ' ')} to {MAX_TEXT:,} characters or fewer"
                errors.append(FieldError(f"{question_id}-{name}", message))
    return errors


def _check_version(session: Session, audit: Audit, expected_version: int) -> None:
    if audit.version_id != expected_version:
        editors = session.scalars(
            select(User.display_name)
            .join(TrailEntry, TrailEntry.actor_id == User.id)
            .where(TrailEntry.entity == "audit", TrailEntry.entity_id == str(audit.id))
            .order_by(TrailEntry.id.desc())
            .limit(5)
        )
        raise StaleEdit("audit", audit.id, expected_version, audit.version_id, list(dict.fromkeys(editors)))


def regrade(audit: Audit) -> None:
    """Recompute the suggested section and overall grades from the stored responses."""
    template = audit.template
    suggestion = suggest_grades(template, answers_of(audit), audit.exemplary_sections or [])
    by_section = {sg.section_id: sg for sg in audit.section_grades}
    for section in template.sections:
        grade = suggestion.sections.get(section.id)
        row = by_section.get(section.id)
        if row is None:
            audit.section_grades.append(
                SectionGrade(section_id=section.id, plan_sections=list(section.plan_sections), suggested_grade=grade)
            )
        else:
            row.suggested_grade = grade
    audit.suggested_grade = suggestion.overall


@operation
def save_responses(
    session: Session,
    actor: User,
    audit_id: int,
    expected_version: int,
    responses: Mapping[str, ResponseInput],
    *,
    exemplary_sections: list[str] | None = None,
    auditor_grade: str | None = None,
    override_rationale: str | None = None,
    summary: str | None = None,
    update_judgement: bool = False,
) -> Audit:
    """Save some or all answers as a draft. Refused if the audit changed since it was opened."""
    audit = get_audit(session, actor, audit_id)
    if not can_edit_audit(actor, audit):
        if audit.auditor_id != actor.id:
            raise PermissionDenied("Only the auditor who started this audit can change it.")
        raise WorkflowError(f"This audit is {audit.status} and can no longer be changed.")
    _check_version(session, audit, expected_version)
    errors = _validate_responses(audit, responses)
    template = audit.template
    if exemplary_sections is not None:
        unknown = set(exemplary_sections) - {s.id for s in template.sections}
        if unknown:
            errors.append(FieldError("exemplary", f"Unknown section(s): {', '.join(sorted(unknown))}"))
    if update_judgement:
        if auditor_grade and auditor_grade not in template.scale.codes:
            errors.append(FieldError("auditor_grade", f"{auditor_grade!r} is not a grade on this checklist's scale"))
        if summary is not None and len(summary) > MAX_TEXT:
            errors.append(FieldError("summary", f"Keep the summary to {MAX_TEXT:,} characters or fewer"))
    if errors:
        raise InvalidInput(errors)

    existing = {r.question_id: r for r in audit.responses}
    changed_before: dict[str, object] = {}
    changed_after: dict[str, object] = {}
    now = utcnow()
    for question_id, given in responses.items():
        rating = given.rating or None
        evidence, na_reason = given.evidence.strip(), given.na_reason.strip() if rating == Rating.NOT_APPLICABLE else ""
        row = existing.get(question_id)
        old = (row.rating, row.evidence, row.na_reason) if row else (None, "", "")
        new = (rating, evidence, na_reason)
        if old == new:
            continue
        if row is None:
            row = Response(question_id=question_id, section_id=template.section_of(question_id).id)
            audit.responses.append(row)
        row.rating, row.evidence, row.na_reason, row.updated_at = rating, evidence, na_reason, now
        changed_before[question_id] = dict(zip(("rating", "evidence", "na_reason"), old, strict=True))
        changed_after[question_id] = dict(zip(("rating", "evidence", "na_reason"), new, strict=True))

    judgement_before = {
        "exemplary_sections": list(audit.exemplary_sections or []),
        "auditor_grade": audit.auditor_grade,
        "override_rationale": audit.override_rationale,
        "summary": audit.summary,
    }
    if exemplary_sections is not None:
        audit.exemplary_sections = sorted(set(exemplary_sections))
    regrade(audit)
    if update_judgement:
        audit.auditor_grade = auditor_grade or None
        audit.override_rationale = (override_rationale or "").strip() or None
        audit.summary = (summary or "").strip() or None
    judgement_after = {
        "exemplary_sections": list(audit.exemplary_sections or []),
        "auditor_grade": audit.auditor_grade,
        "override_rationale": audit.override_rationale,
        "summary": audit.summary,
    }
    for key in list(judgement_after):
        if judgement_before[key] != judgement_after[key]:
            changed_before[key], changed_after[key] = judgement_before[key], judgement_after[key]

    if audit.status == AuditStatus.RETURNED and changed_after:
        move_to(audit, AuditStatus.DRAFT)
    audit.updated_at = now  # always bumps version_id, so a concurrent save is detected
    session.flush()
    if changed_after:
        changed_after["version"] = audit.version_id
        record(session, actor, "audit.save", "audit", audit.id, changed_before, changed_after)
    return audit


def judgement_problem(
    template: Template, auditor_grade: str | None, suggested_grade: str | None, rationale: str | None
) -> str | None:
    """A grade needs its reasons: why it differs from the suggestion, or (Tier 4, where there is no
    suggestion) how the reviewer reached the judgement, which is the narrative the board reads."""
    if not auditor_grade or (rationale or "").strip():
        return None
    if template.grading.mode == "judgement":
        return "Explain how you reached this judgement"
    if auditor_grade != suggested_grade:
        return "Explain why your overall grade differs from the suggested grade"
    return None


def override_problem(audit: Audit) -> str | None:
    return judgement_problem(audit.template, audit.auditor_grade, audit.suggested_grade, audit.override_rationale)


@operation
def submit_audit(session: Session, actor: User, audit_id: int, expected_version: int) -> Audit:
    """Submit a complete audit. Incomplete ones are refused with every missing item listed."""
    audit = get_audit(session, actor, audit_id)
    if not can_edit_audit(actor, audit):
        raise WorkflowError(f"This audit is {audit.status} and cannot be submitted again.")
    _check_version(session, audit, expected_version)
    missing = missing_items(audit)
    if missing:
        raise IncompleteAudit(missing)
    problem = override_problem(audit)
    if problem:
        raise InvalidInput([FieldError("override_rationale", problem)])
    if audit.template.grading.mode == "judgement" and not audit.auditor_grade:
        raise InvalidInput([FieldError("auditor_grade", "Choose an overall judgement before you submit")])
    before = {"status": audit.status}
    move_to(audit, AuditStatus.SUBMITTED)
    audit.submitted_at = audit.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "audit.submit",
        "audit",
        audit.id,
        before,
        {
            "status": audit.status,
            "suggested_grade": audit.suggested_grade,
            "auditor_grade": audit.auditor_grade,
            "version": audit.version_id,
        },
    )
    return audit


@operation
def return_audit(session: Session, actor: User, audit_id: int, comment: str) -> Audit:
    """A panel member sends a submitted audit back to its author with comments."""
    audit = get_audit(session, actor, audit_id)
    if not can_return_audit(actor, audit):
        raise PermissionDenied("Only a panel member can return a submitted audit.")
    if not comment.strip():
        raise InvalidInput([FieldError("comment", "Explain what the auditor needs to change")])
    before = {"status": audit.status, "return_comment": audit.return_comment}
    move_to(audit, AuditStatus.RETURNED)
    audit.return_comment = comment.strip()
    audit.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "audit.return",
        "audit",
        audit.id,
        before,
        {
            "status": audit.status,
            "return_comment": audit.return_comment,
            "version": audit.version_id,
        },
    )
    return audit
