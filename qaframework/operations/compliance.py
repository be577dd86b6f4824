"""Statutory compliance of audits, read from their answers and their case's recorded dates.

The pages show one audit's breaches beside its grade; the board pack asks for every finished
audit's result (compliant or not, and which breaches) to put beside "% good or better".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from qaframework.compliance import CaseDates, Compliance, assess_compliance
from qaframework.framework import AuditStatus, Role, Subject
from qaframework.operations.audits import answers_of, get_audit
from qaframework.operations.base import require
from qaframework.permissions import can_view_compliance_figures, role_of
from qaframework.scoring import grading_rule_name, suggest_grades
from qaframework.store import Audit, Case, Request, User

#: Audits whose answers are final enough to count in figures.
FINISHED = (AuditStatus.SUBMITTED, AuditStatus.MODERATED, AuditStatus.CLOSED)


def case_dates(audit: Audit) -> CaseDates:
    """The recorded dates compliance judges for one audit: its request's, and the case's reviews."""
    request = audit.request
    facts = None
    if request is not None:
        try:
            facts = request.facts()
        except ValueError:
            facts = None  # contradictory dates are shown as a problem on the case page, not judged here
    advice = []
    for asked in request.advice if request is not None else []:
        try:
            advice.append(asked.facts())
        except ValueError:
            continue  # advice "received" before it was asked for: a recording error, not a breach
    case = audit.case
    decisions = tuple(sorted(r.decision_date for r in case.reviews if r.decision_date is not None))
    return CaseDates(
        request=facts,
        plan_issued=case.plan_issued_date,
        review_decisions=decisions,
        advice=tuple(advice),
    )


def judged_on(audit: Audit, today: date) -> date:
    """A submitted audit is judged as it stood when submitted; a draft as it stands today."""
    return audit.submitted_at.date() if audit.submitted_at is not None else today


def compliance_of(audit: Audit, today: date) -> Compliance:
    """The statutory-compliance result of an audit the caller has already been allowed to see."""
    agency = audit.agency_code if Subject(audit.subject) is Subject.ADVICE else None
    return assess_compliance(
        audit.template, answers_of(audit), audit.subject, case_dates(audit), judged_on(audit, today), agency
    )


def audit_compliance(session: Session, actor: User, audit_id: int, today: date) -> Compliance:
    """One audit's breaches, for anyone who may see the audit."""
    return compliance_of(get_audit(session, actor, audit_id), today)


@dataclass(frozen=True)
class Standing:
    """What the audit, check and report pages show beside the grades: the rule that suggested
    the grade, why the overall suggestion was held down, and the statutory compliance result."""

    rule_name: str
    rule_summary: str | None
    held_by: tuple[str, ...]
    compliance: Compliance


def standing_of(audit: Audit, today: date) -> Standing:
    """For an audit the caller has already been allowed to see."""
    template = audit.template
    suggestion = suggest_grades(template, answers_of(audit), audit.exemplary_sections or [])
    rule = template.grading.rule
    return Standing(
        rule_name=grading_rule_name(template),
        rule_summary=rule.summary if rule else None,
        held_by=tuple(f.describe(template.scale) for f in suggestion.held_by),
        compliance=compliance_of(audit, today),
    )


@dataclass(frozen=True)
class AuditCompliance:
    """One finished audit's compliance beside its grade: what the board pack counts (no case ref)."""

    audit_id: int
    tier: int
    template: str
    grading_rule: str | None
    subject: str
    agency_code: str | None
    cycle: str
    status: str
    grade: str | None
    compliant: bool
    breaches: tuple[str, ...]


def compliance_by_audit(
    session: Session,
    actor: User,
    today: date,
    *,
    cycles: Collection[str] = (),
    tiers: Collection[int] = (),
    statuses: Collection[AuditStatus] = FINISHED,
) -> list[AuditCompliance]:
    """Every finished audit's compliance (optionally for some half terms or tiers), oldest first.

    Auditors see only their own agency's audits; the board, panel, leaders and admins see all.
    """
    require(can_view_compliance_figures(actor), "You cannot see audit figures.")
    query = (
        select(Audit)
        .where(Audit.status.in_([AuditStatus(s).value for s in statuses]))
        .options(
            selectinload(Audit.responses),
            joinedload(Audit.template_version),
            joinedload(Audit.case).selectinload(Case.reviews),
            joinedload(Audit.case).selectinload(Case.requests),
            joinedload(Audit.request).selectinload(Request.advice),
        )
        .order_by(Audit.id)
    )
    if cycles:
        query = query.where(Audit.cycle.in_(list(cycles)))
    if tiers:
        query = query.where(Audit.tier.in_(list(tiers)))
    if role_of(actor) is Role.AUDITOR:
        query = query.where(Audit.agency_code == actor.agency_code)
    rows = []
    for audit in session.scalars(query).unique():
        result = compliance_of(audit, today)
        rule = audit.template.grading.rule
        rows.append(
            AuditCompliance(
                audit_id=audit.id,
                tier=audit.tier,
                template=audit.template_version.key,
                grading_rule=rule.key if rule else None,
                subject=audit.subject,
                agency_code=audit.agency_code,
                cycle=audit.cycle,
                status=audit.status,
                grade=audit.reported_grade,
                compliant=result.compliant,
                breaches=tuple(result.codes),
            )
        )
    return rows
