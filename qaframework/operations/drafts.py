"""Unfinished audits: warn before a second draft of the same case and checklist, and discard one.

A discarded draft is deleted with its answers, but everything it held is written to the audit
trail first (who discarded it, the case, the checklist and every answer), so nothing is lost
from the record. Only drafts go: anything submitted is evidence and stays.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qaframework.framework import AuditStatus
from qaframework.operations.audits import get_audit
from qaframework.operations.base import WorkflowError, operation, record, require
from qaframework.permissions import can_discard_audit
from qaframework.store import Action, Audit, ConsentRecord, SampleItem, TemplateVersion, User

#: Statuses of an audit still being worked on by its author.
UNFINISHED = (AuditStatus.DRAFT.value, AuditStatus.RETURNED.value)


def unfinished_like(session: Session, actor: User, case_id: int, template_version_id: int) -> list[Audit]:
    """The actor's own unfinished audits of this case with the same checklist (any version of it),
    newest first, so starting another one can be questioned before a duplicate is made."""
    template_id = session.scalar(select(TemplateVersion.template_id).where(TemplateVersion.id == template_version_id))
    if template_id is None:
        return []
    return list(session.scalars(
        select(Audit).join(TemplateVersion, TemplateVersion.id == Audit.template_version_id)
        .where(Audit.case_id == case_id, Audit.auditor_id == actor.id, Audit.status.in_(UNFINISHED),
               TemplateVersion.template_id == template_id)
        .order_by(Audit.updated_at.desc())
    ))


@operation
def discard_draft(session: Session, actor: User, audit_id: int) -> None:
    """Delete a draft (its author or an administrator), keeping all of it in the audit trail."""
    audit = get_audit(session, actor, audit_id)
    require(can_discard_audit(actor, audit),
            "Only the auditor who started a draft, or an administrator, can discard it.")
    if audit.status != AuditStatus.DRAFT.value:
        raise WorkflowError(f"This audit is {audit.status}; only a draft can be discarded.")
    actions = session.scalar(select(func.count(Action.id)).where(Action.audit_id == audit.id)) or 0
    if actions:
        raised = f"{actions} action{'s were' if actions != 1 else ' was'} raised from this draft"
        raise WorkflowError(f"{raised}, so it cannot be discarded: the actions need it. Finish and submit it instead.")
    if session.scalar(select(func.count(SampleItem.id)).where(SampleItem.audit_id == audit.id)):
        raise WorkflowError("This draft is in a moderation sample, so it cannot be discarded.")
    kept = {
        "status": audit.status, "case_ref": audit.case.case_ref, "template": audit.template_version.key,
        "template_title": audit.template_version.title, "subject": audit.subject, "cycle": audit.cycle,
        "auditor_id": audit.auditor_id, "created_at": audit.created_at, "suggested_grade": audit.suggested_grade,
        "auditor_grade": audit.auditor_grade, "override_rationale": audit.override_rationale, "summary": audit.summary,
        "exemplary_sections": list(audit.exemplary_sections or []),
        "answers": {r.question_id: {"rating": r.rating, "evidence": r.evidence, "na_reason": r.na_reason}
                    for r in sorted(audit.responses, key=lambda r: r.question_id)},
    }
    if audit.participants or audit.contributions:  # a Tier 3 panel's record goes into the trail too
        kept["participants"] = [{"user_id": p.user_id, "agency_code": p.agency_code} for p in audit.participants]
        kept["contributions"] = {c.agency_code: {"grade": c.grade, "involved": c.involved, "note": c.note}
                                 for c in audit.contributions}
    # Consent belongs to the case, not to the draft that was going to use it.
    for consent in session.scalars(select(ConsentRecord).where(ConsentRecord.audit_id == audit.id)):
        consent.audit_id = None
    # A Tier 4 conversation goes with its draft (the database cascades); its notes are never
    # copied into the trail, only the fact that they were deleted (docs/domain-notes.md §6.3).
    if audit.conversation is not None and (audit.conversation.notes or audit.conversation.family_words):
        record(session, actor, "review.notes_deleted", "audit", audit.id, {"had_notes": True}, {"reason": "discarded"})
    record(session, actor, "audit.discard", "audit", audit.id, before=kept, after={"status": "discarded"})
    session.delete(audit)
    session.flush()
