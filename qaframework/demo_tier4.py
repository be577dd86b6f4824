"""Demo Tier 4 reviews: one where the family agreed to the conversation, one where they declined.

Called once from :func:`qaframework.demo.load_demo`. Also gives the demo's earlier Tier 4 reviews
the consent they were made with (a "yes" to the conversation, attached to the review), so every
review in the demo reads as the workflow would have left it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.consent import PAPER_REVIEW, conversation_ids
from qaframework.framework import AuditStatus, ConsentDecision, ConsentParty, ConsentScope, Rating, Tier
from qaframework.operations.audits import regrade
from qaframework.operations.tier4 import BOARD_CHECKS
from qaframework.store import Audit, Case, ConsentRecord, Response, ReviewConversation, TemplateVersion, User

_FAMILY_WORDS = {
    "T4-04": "Yes, that's her: it talks about her drawing and her dog, not just what she finds hard.",
    "T4-05": "She said she helped choose her outcomes and knows she has a quiet room at lunch.",
    "T4-06": "Speech and language therapy stopped in the summer and has not started again.",
    "T4-07": "She goes to school every day now and has a friend in her class.",
    "T4-08": "We always knew who to call, but the plan came two weeks late.",
    "T4-09": "Mum knows the review is in March and would ring the SENCo if therapy stays stopped.",
}
_RATINGS = {"T4-02": "positive", "T4-04": "positive", "T4-05": "positive", "T4-06": "negative",
            "T4-07": "positive", "T4-08": "inconsistent", "T4-09": "positive"}


def add_tier4_reviews(session: Session, users: dict[str, User], cases: list[Case], today: date) -> list[Audit]:
    """Attach consent to the demo's Tier 4 reviews and add the two showcase reviews; returns the two."""
    _attach_consent(session, today)
    tv = session.scalar(
        select(TemplateVersion)
        .where(TemplateVersion.template_id == "t4-system-leader-review", TemplateVersion.retired.is_(False))
        .order_by(TemplateVersion.version.desc())
    )
    if tv is None or not conversation_ids(tv.template):
        return []
    reviewed = set(session.scalars(select(Audit.case_id).where(Audit.tier == Tier.SYSTEM_LEADER)))
    free = [c for c in cases if c.id not in reviewed and c.requests and c.requests[-1].final_issued_date]
    if len(free) < 2:
        return []
    leader, chair = users["system.leader"], users["panel.chair"]
    agreed = _review(session, tv, leader, free[0], today, consented=True)
    conversation = ReviewConversation(
        audit_id=agreed.id,
        held_on=today - timedelta(days=12),
        participants=["child", "parent_carer"],
        ratings={q: {"rating": _RATINGS.get(q, "not_applicable"),
                     "na_reason": "" if q in _RATINGS else "The child communicates verbally."}
                 for q in conversation_ids(tv.template)},
        family_words=dict(_FAMILY_WORDS),
        notes="Met at home after school with the child and her mother. Therapy stopped when the therapist left.",
        reflection="The therapy gap matches the area's speech and language therapy vacancies.",
        system_actions="Commissioning group to report speech and language therapy capacity to the March board.",
        board_summary=("A Key Stage 2 child with communication and interaction needs in a mainstream school. "
                       "The family recognised their child in the plan and feel listened to, but therapy in "
                       "section F stopped for a term. System action: therapy capacity to the board."),
        board_checks=list(BOARD_CHECKS),
        board_approved_by_id=chair.id,
        board_approved_at=_at(today - timedelta(days=5)),
        updated_at=_at(today - timedelta(days=5)),
    )
    session.add(conversation)
    declined = _review(session, tv, users["parent.forum"], free[1], today, consented=False)
    session.flush()
    return [agreed, declined]


def _attach_consent(session: Session, today: date) -> None:
    """Give each earlier demo review the "yes" its case holds, per review as the workflow records it."""
    for audit in session.scalars(select(Audit).where(Audit.tier == Tier.SYSTEM_LEADER)):
        consent = session.scalar(
            select(ConsentRecord).where(ConsentRecord.case_id == audit.case_id, ConsentRecord.audit_id.is_(None))
        )
        if consent is None:
            continue
        consent.audit_id = audit.id
        consent.scope = [ConsentScope.CONVERSATION.value, ConsentScope.NOTES.value]
        consent.asked_on = consent.recorded_at.date()
        consent.expires_on = max(consent.recorded_at.date() + timedelta(days=365), today + timedelta(days=30))
        _move_to_conversation(session, audit)


#: How a demo answer made on the old Met scale reads as the family's experience.
_AS_EXPERIENCE = {"met": "positive", "partially_met": "inconsistent", "not_met": "negative",
                  "not_applicable": "not_applicable"}


def _move_to_conversation(session: Session, audit: Audit) -> None:
    """The conversation questions' demo answers become the conversation's family-experience ratings."""
    talk = conversation_ids(audit.template)
    rows = [r for r in audit.responses if r.question_id in talk]
    if not talk:
        return
    session.add(ReviewConversation(
        audit_id=audit.id, held_on=audit.created_at.date(), participants=["parent_carer", "child"],
        ratings={r.question_id: {"rating": _AS_EXPERIENCE[r.rating or "not_applicable"],
                                 "na_reason": r.na_reason or ("Not discussed" if r.rating == "not_applicable" else "")}
                 for r in rows if r.rating},
        family_words={}, notes=None, board_checks=[], updated_at=audit.updated_at,
        notes_deleted_at=audit.updated_at if audit.status != AuditStatus.DRAFT else None,
        notes_deleted_reason="retention" if audit.status != AuditStatus.DRAFT else None,
    ))
    for row in rows:
        audit.responses.remove(row)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 30), tzinfo=UTC)


def _review(session: Session, tv: TemplateVersion, reviewer: User, case: Case, today: date, *,
            consented: bool) -> Audit:
    template = tv.template
    asked = today - timedelta(days=30)
    audit = Audit(case=case, request=case.requests[-1], template_version=tv, subject="final_plan", tier=tv.tier,
                  agency_code=None, auditor=reviewer, status=AuditStatus.SUBMITTED.value,
                  cycle=_cycle_of(session, today), exemplary_sections=[], created_at=_at(asked),
                  updated_at=_at(today - timedelta(days=7)), submitted_at=_at(today - timedelta(days=7)))
    session.add(audit)
    session.flush()
    parties = [(ConsentParty.PARENT_CARER, ConsentDecision.GIVEN if consented else ConsentDecision.REFUSED)]
    if consented:
        parties.append((ConsentParty.CHILD_ASSENT, ConsentDecision.GIVEN))
    for party, decision in parties:
        session.add(ConsentRecord(
            case_id=case.id, audit_id=audit.id, given_by=party.value, decision=decision.value,
            method="Phone call, then a letter explaining the review" if consented else "Phone call",
            asked_on=asked, recorded_by_id=reviewer.id, recorded_at=_at(asked),
            scope=[s.value for s in ConsentScope] if decision == ConsentDecision.GIVEN else [],
            expires_on=asked + timedelta(days=180) if decision == ConsentDecision.GIVEN else None,
        ))
    talk = conversation_ids(template)
    refused_reason = f"{PAPER_REVIEW} Parent or carer declined on {asked:%-d %B %Y}."
    for question in template.questions():
        if question.id in talk and consented:
            continue
        if question.id in talk or (question.id == "T4-16" and consented) or (question.id == "T4-13" and not consented):
            reason = refused_reason if question.id in talk else (question.not_applicable.when or "Not applicable")
            rating, evidence = Rating.NOT_APPLICABLE.value, ""
        else:
            reason, rating = "", Rating.MET.value
            evidence = ("Read the plan, the last review and the therapy attendance log." if not consented
                        else "Prepared from the plan, advice and the last review; see the conversation.")
        audit.responses.append(Response(question_id=question.id, section_id=template.section_of(question.id).id,
                                        rating=rating, evidence=evidence, na_reason=reason,
                                        updated_at=audit.updated_at))
    regrade(audit)
    audit.auditor_grade = "inconsistent"
    audit.override_rationale = (
        "The family feel listened to and recognise their child, but therapy in F stopped for a term."
        if consented else
        "Paper review: provision is recorded as delivered, but the family's experience could not be heard."
    )
    audit.summary = "Therapy delivery is the system issue behind this review."
    return audit


def _cycle_of(session: Session, today: date) -> str:
    from qaframework.operations.settings import current_cycle

    return current_cycle(session, today).label
