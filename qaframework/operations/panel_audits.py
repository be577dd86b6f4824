"""Tier 3 panel audits: who is at the panel, each agency's contribution graded, and the lower-tier
audits of the same plan the panel may moderate.

A panel audit is one shared audit that every member present may edit (``permissions.can_edit_audit``).
Recording who is present does not change the audit's version: it is not part of what the panel
judged, and a colleague filling in a section must not be sent to a conflict page by it. The agency
grades are part of the judgement, so they are saved with the audit's version like its answers.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from qaframework.contributions import (
    NOT_INVOLVED,
    ContributionInput,
    contribution_field,
    contribution_problem,
    has_contributions,
)
from qaframework.framework import AuditStatus, Tier
from qaframework.operations.audits import _apply_and_record, _open_for_edit, get_audit
from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    WorkflowError,
    operation,
    record,
)
from qaframework.permissions import PANEL_PARTICIPANT_ROLES, can_edit_audit, can_join_panel, is_panel_audit
from qaframework.store import Agency, AgencyContribution, Audit, AuditParticipant, User, utcnow

#: Lower-tier audits a panel can moderate: finished ones (a draft is still its auditor's).
MODERATABLE_STATUSES = (AuditStatus.SUBMITTED.value, AuditStatus.MODERATED.value, AuditStatus.CLOSED.value)


def own_or_present(actor: User) -> ColumnElement[bool]:
    """Audits that are the user's: started by them, or a panel audit they are recorded as present at
    (so a shared panel audit is on every member's home page and in their own list)."""
    present = select(AuditParticipant.audit_id).where(AuditParticipant.user_id == actor.id)
    return or_(Audit.auditor_id == actor.id, Audit.id.in_(present))


def active_agencies(session: Session) -> list[Agency]:
    """The area's agencies whose contribution a panel grades, by name."""
    return list(session.scalars(select(Agency).where(Agency.active).order_by(Agency.name)))


def panel_candidates(session: Session, audit: Audit) -> list[User]:
    """Active people who may be recorded as present and are not yet, by name."""
    present = {p.user_id for p in audit.participants}
    users = session.scalars(
        select(User)
        .where(User.active, User.role.in_([r.value for r in PANEL_PARTICIPANT_ROLES]))
        .order_by(User.display_name, User.id)
    )
    return [u for u in users if u.id not in present]


def _open_panel(session: Session, actor: User, audit_id: int) -> Audit:
    audit = get_audit(session, actor, audit_id)
    if not is_panel_audit(audit):
        raise WorkflowError("Only a Tier 3 panel audit records the members present.")
    if not can_edit_audit(actor, audit):
        if audit.status in (AuditStatus.DRAFT.value, AuditStatus.RETURNED.value):
            raise PermissionDenied("Only the members recorded as present at the panel can change who was there.")
        raise WorkflowError(f"This audit is {audit.status}, so who was present can no longer be changed.")
    return audit


@operation
def record_participant(
    session: Session, actor: User, audit_id: int, user_id: int, agency_code: str | None = None
) -> AuditParticipant:
    """Record someone as present, or correct the agency of someone already recorded.

    The agency is the one chosen, else the person's own; a person without an agency of their own
    (a panel member, say) needs one chosen.
    """
    audit = _open_panel(session, actor, audit_id)
    member = session.get(User, user_id)
    if member is None or not can_join_panel(member):
        raise InvalidInput([FieldError("user_id", "Choose a panel member, auditor or system leader from the list")])
    code = agency_code or member.agency_code
    if code is None:
        message = f"{member.display_name} has no agency of their own: choose the agency they represent"
        raise InvalidInput([FieldError("agency_code", message)])
    agency = session.get(Agency, code)
    if agency is None or not agency.active:
        raise InvalidInput([FieldError("agency_code", "Choose an agency from the list")])
    existing = next((p for p in audit.participants if p.user_id == member.id), None)
    before = {"user_id": member.id, "agency_code": existing.agency_code} if existing else None
    if existing is None:
        existing = AuditParticipant(user_id=member.id, agency_code=code, added_by_id=actor.id)
        audit.participants.append(existing)
    elif existing.agency_code == code:
        return existing
    existing.agency_code = code
    session.flush()
    record(session, actor, "audit.participant", "audit", audit.id, before,
           {"user_id": member.id, "name": member.display_name, "agency_code": code})
    return existing


@operation
def remove_participant(session: Session, actor: User, audit_id: int, user_id: int) -> None:
    """Take someone off the members present (recorded by mistake, or they left before the audit)."""
    audit = _open_panel(session, actor, audit_id)
    if user_id == audit.auditor_id:
        raise WorkflowError(f"{audit.auditor.display_name} started this audit, so stays recorded as present.")
    found = next((p for p in audit.participants if p.user_id == user_id), None)
    if found is None:
        raise NotFound("That person is not recorded as present at this panel.")
    before = {"user_id": found.user_id, "name": found.user.display_name, "agency_code": found.agency_code}
    audit.participants.remove(found)
    session.flush()
    record(session, actor, "audit.participant_remove", "audit", audit.id, before, None)


def contributions_of(audit: Audit) -> dict[str, ContributionInput]:
    """The stored contributions in input form, so stored and typed ones compare like for like."""
    return {
        c.agency_code: ContributionInput(c.grade if c.involved else NOT_INVOLVED, c.note)
        for c in audit.contributions
    }


@operation
def save_contributions(
    session: Session, actor: User, audit_id: int, expected_version: int, given: Mapping[str, ContributionInput]
) -> Audit:
    """Save the panel's grade (or "not involved" and why) and note for some or all agencies.

    Refused, like a save of answers, if anyone saved the audit since ``expected_version``.
    """
    audit = _open_for_edit(session, actor, audit_id, expected_version)
    if not has_contributions(audit.template):
        raise WorkflowError("This checklist does not grade agencies' contributions.")
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    existing = {c.agency_code: c for c in audit.contributions}
    errors: list[FieldError] = []
    for code, value in given.items():
        agency = agencies.get(code)
        if agency is None or (not agency.active and code not in existing):
            errors.append(FieldError(f"contribution-{code}", f"{code} is not one of the area's agencies"))
            continue
        problem = contribution_problem(value, audit.template.scale, agency.name)
        if problem:
            errors.append(FieldError(contribution_field(code, problem[0]), problem[1]))
    if errors:
        raise InvalidInput(errors)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    now = utcnow()
    for code, value in given.items():
        row = existing.get(code)
        old = (row.grade, row.involved, row.note) if row else (None, True, "")
        new = value.normalised()
        if old == new:
            continue
        if row is None:
            row = AgencyContribution(agency_code=code)
            audit.contributions.append(row)
        row.grade, row.involved, row.note = new
        row.updated_at = now
        fields = ("grade", "involved", "note")
        before[f"contribution:{code}"] = dict(zip(fields, old, strict=True))
        after[f"contribution:{code}"] = dict(zip(fields, new, strict=True))
    return _apply_and_record(session, actor, audit, before, after)


def lower_tier_audits(session: Session, actor: User, audit: Audit) -> list[Audit]:
    """The finished Tier 1 and Tier 2 audits of the same case, oldest first: what a Tier 3 panel
    compares its grade with and may moderate."""
    if not is_panel_audit(audit):
        return []
    get_audit(session, actor, audit.id)  # the same permission as the audit itself
    return list(
        session.scalars(
            select(Audit)
            .where(
                Audit.case_id == audit.case_id,
                Audit.tier.in_([Tier.AGENCY_CHECK.value, Tier.SINGLE_AGENCY.value]),
                Audit.status.in_(MODERATABLE_STATUSES),
            )
            .order_by(Audit.submitted_at, Audit.id)
        )
    )
