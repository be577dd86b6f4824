"""Tier 4 system-leader reviews: the family's consent, the conversation, the board summary, retention.

The rules (docs/domain-notes.md §6):

- consent is recorded per review, on the case page, before the review starts; a withdrawal locks
  the conversation and deletes its notes, keeping the record that consent was withdrawn;
- the raw notes and the family's own words are read by the reviewer and the QA lead alone, are
  deleted on a retention schedule, and never enter the append-only trail (only that they changed,
  with a fingerprint, and when they were deleted);
- the board summary is read by anyone else only once it passed the anonymisation checklist and the
  QA lead approved it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework import limits
from qaframework.consent import ConsentState, conversation_ids, conversation_questions
from qaframework.framework import (
    CONVERSATION_ROLES,
    FAMILY_EXPERIENCE_AREA3,
    AuditStatus,
    Capacity,
    ConsentDecision,
    ConsentParty,
    ConsentScope,
)
from qaframework.operations.assignments import assigned_case_ids
from qaframework.operations.audits import apply_consent, get_audit, review_consent
from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    WorkflowError,
    operation,
    record,
    require,
)
from qaframework.operations.settings import get_setting, set_setting
from qaframework.permissions import (
    EDITABLE_STATUSES,
    can_approve_board_summary,
    can_read_board_summary,
    can_read_review_notes,
    can_record_consent,
    can_view_case,
    is_author,
)
from qaframework.store import Audit, Case, ConsentRecord, ReviewConversation, User, utcnow

NOT_APPLICABLE = "not_applicable"
#: Family-experience ratings a conversation question takes (the area SEND inspection outcomes'
#: words), or not applicable with a reason (a child who communicates verbally, for T4-17).
CONVERSATION_RATINGS: dict[str, str] = {**dict(FAMILY_EXPERIENCE_AREA3.choices), NOT_APPLICABLE: "Not applicable"}

#: How long raw notes are kept after the review is submitted, in days (an administrator's setting).
RETENTION_DAYS = "tier4_notes_retention_days"
RETENTION_DEFAULT, RETENTION_MIN, RETENTION_MAX = 90, 7, 730

#: The anonymisation checklist the QA lead confirms before a board summary may be read by others
#: (docs/domain-notes.md §6.3).
BOARD_CHECKS: dict[str, str] = {
    "no_case_ref": "It has no case reference",
    "no_names": "It names no child, family member, school, setting or member of staff",
    "key_stage": "It gives the key stage, not the year group",
    "broad_need": "It gives the broad area of need, not a diagnosis",
    "quotes": "It quotes the family only where they agreed to an anonymised case study",
    "circumstances": "It gives no detail of the family's personal circumstances",
}
_YEAR_GROUP = re.compile(r"\b(year|yr|y)\s?(\d{1,2}|r|reception)\b", re.IGNORECASE)
_QUOTE = re.compile(r"[\"“”]")
#: Specific needs that should read as one of the four broad areas of need (SEND Code of Practice 6.28).
_SPECIFIC_NEED = re.compile(
    r"\b(autism|autistic|asd|adhd|dyslexi\w*|dyspraxi\w*|down'?s? syndrome|cerebral palsy|epilepsy)\b", re.IGNORECASE
)


# --- Consent --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentInput:
    """One person's decision as typed on the case page."""

    given_by: str
    decision: str
    asked_on: date | None
    method: str
    scope: tuple[str, ...] = ()
    expires_on: date | None = None
    capacity: str = ""


def _consent_errors(given: ConsentInput, today: date) -> list[FieldError]:
    errors: list[FieldError] = []
    if given.given_by not in {p.value for p in ConsentParty}:
        errors.append(FieldError("given_by", "Choose whose decision this is"))
    if given.decision not in {d.value for d in ConsentDecision}:
        errors.append(FieldError("decision", "Choose whether they agreed"))
    if given.asked_on is None:
        errors.append(FieldError("asked_on", "Enter the date they were asked"))
    elif given.asked_on > today:
        errors.append(FieldError("asked_on", "The date they were asked must be today or in the past"))
    if not given.method.strip():
        errors.append(FieldError("method", "Say how they were asked, for example by phone then in writing"))
    elif limits.too_long(given.method.strip(), limits.CONSENT_METHOD):
        errors.append(FieldError("method", limits.keep_within("how they were asked", limits.CONSENT_METHOD)))
    unknown = set(given.scope) - {s.value for s in ConsentScope}
    if unknown:
        errors.append(FieldError("scope", "Choose what they agreed to from the list"))
    if given.decision == ConsentDecision.GIVEN:
        if ConsentScope.CONVERSATION not in given.scope and given.given_by != ConsentParty.CHILD_ASSENT:
            errors.append(FieldError("scope", "Choose what they agreed to: a “yes” includes the conversation"))
        if given.given_by != ConsentParty.CHILD_ASSENT:
            if given.expires_on is None:
                errors.append(FieldError("expires_on", "Enter the date the consent ends"))
            elif given.asked_on is not None and given.expires_on <= given.asked_on:
                message = "The date the consent ends must be after the date they were asked"
                errors.append(FieldError("expires_on", message))
    if given.given_by == ConsentParty.YOUNG_PERSON and given.capacity not in {c.value for c in Capacity}:
        errors.append(FieldError("capacity", "Say how the young person's capacity to decide was considered"))
    return errors


def _case_for_consent(session: Session, actor: User, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"There is no case {case_id}")
    require(
        can_record_consent(actor, case.id, assigned_case_ids(session, actor)),
        "Only system leaders and forum representatives assigned to this case record a family's consent.",
    )
    return case


@operation
def record_consent(
    session: Session,
    actor: User,
    case_id: int,
    given: ConsentInput,
    *,
    audit_id: int | None = None,
    today: date | None = None,
) -> ConsentRecord:
    """Record one person's decision for the case's next Tier 4 review (or for a review under way)."""
    today = today or date.today()
    case = _case_for_consent(session, actor, case_id)
    audit = None
    if audit_id is not None:
        audit = get_audit(session, actor, audit_id)
        if audit.case_id != case.id or not audit.template.requires_consent:
            raise InvalidInput([FieldError("audit", "That review is not a Tier 4 review of this case")])
        if audit.status not in EDITABLE_STATUSES:
            raise WorkflowError(f"This review is {audit.status}; its consent can no longer change.")
    errors = _consent_errors(given, today)
    if errors:
        raise InvalidInput(errors)
    refused = given.decision == ConsentDecision.REFUSED
    consent = ConsentRecord(
        case_id=case.id,
        audit_id=audit.id if audit else None,
        given_by=given.given_by,
        decision=given.decision,
        asked_on=given.asked_on,
        method=given.method.strip(),
        scope=[] if refused else sorted(set(given.scope)),
        expires_on=None if refused else given.expires_on,
        capacity=given.capacity if given.given_by == ConsentParty.YOUNG_PERSON else None,
        recorded_by_id=actor.id,
    )
    session.add(consent)
    session.flush()
    record(session, actor, "consent.record", "consent", consent.id, after=_consent_snapshot(consent, case))
    if audit is not None:
        apply_consent(session, audit, today)
    return consent


def _consent_snapshot(consent: ConsentRecord, case: Case) -> dict[str, object]:
    return {
        "case_ref": case.case_ref, "audit_id": consent.audit_id, "given_by": consent.given_by,
        "decision": consent.decision, "asked_on": consent.asked_on, "method": consent.method,
        "scope": list(consent.scope or []), "expires_on": consent.expires_on, "capacity": consent.capacity,
    }


@operation
def withdraw_consent(session: Session, actor: User, consent_id: int, *, today: date | None = None) -> ConsentRecord:
    """The family withdrew: keep the record (stamped), lock the conversation, delete its notes, and
    make the review a paper review if it is still being written."""
    consent = session.get(ConsentRecord, consent_id)
    if consent is None:
        raise NotFound(f"There is no consent record {consent_id}")
    case = _case_for_consent(session, actor, consent.case_id)
    if consent.withdrawn_at is not None:
        raise WorkflowError("This consent was already withdrawn.")
    consent.withdrawn_at = utcnow()
    record(session, actor, "consent.withdraw", "consent", consent.id, {"withdrawn_at": None},
           {"withdrawn_at": consent.withdrawn_at, "case_ref": case.case_ref, "audit_id": consent.audit_id})
    if consent.audit_id is not None:
        audit = session.get(Audit, consent.audit_id)
        assert audit is not None
        conversation = audit.conversation
        if conversation is not None:
            conversation.locked_at = consent.withdrawn_at
            conversation.ratings = {}
            _delete_notes(session, actor, audit, conversation, "withdrawn")
        if audit.status in EDITABLE_STATUSES:
            apply_consent(session, audit, today)
    session.flush()
    return consent


def consent_record(session: Session, actor: User, consent_id: int) -> ConsentRecord:
    """One decision, for someone who may record decisions on its case (to withdraw it)."""
    consent = session.get(ConsentRecord, consent_id)
    if consent is None:
        raise NotFound(f"There is no consent record {consent_id}")
    _case_for_consent(session, actor, consent.case_id)
    return consent


def consents_of_case(session: Session, actor: User, case: Case) -> list[ConsentRecord]:
    """Every decision recorded for the case's Tier 4 reviews (withdrawn ones too), newest first."""
    require(
        can_view_case(actor, case.id, assigned_case_ids(session, actor)),
        "You can only see the cases of the reviews and samples you are assigned to.",
    )
    return list(
        session.scalars(
            select(ConsentRecord).where(ConsentRecord.case_id == case.id).order_by(ConsentRecord.id.desc())
        )
    )


# --- The conversation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationInput:
    """The conversation page as typed."""

    held_on: date | None
    participants: tuple[str, ...]
    ratings: dict[str, dict[str, str]]
    family_words: dict[str, str] = field(default_factory=dict)
    notes: str = ""
    reflection: str = ""
    system_actions: str = ""


@dataclass(frozen=True)
class ConversationView:
    """What one person may see of a review's conversation: the raw notes only if they may read them."""

    audit: Audit
    consent: ConsentState
    conversation: ReviewConversation | None
    can_read_notes: bool
    can_edit: bool
    can_read_summary: bool
    can_approve: bool
    #: Whether this person may record (or withdraw) the family's decisions for this review.
    can_record_consent: bool

    @property
    def locked(self) -> bool:
        return self.conversation is not None and self.conversation.locked_at is not None

    @property
    def summary_approved(self) -> bool:
        return self.conversation is not None and self.conversation.board_approved_at is not None


def _tier4_audit(session: Session, actor: User, audit_id: int) -> Audit:
    audit = get_audit(session, actor, audit_id)
    if not conversation_questions(audit.template):
        raise NotFound(f"Audit {audit_id} is not a Tier 4 review with a conversation")
    return audit


def conversation_view(session: Session, actor: User, audit_id: int, today: date | None = None) -> ConversationView:
    audit = _tier4_audit(session, actor, audit_id)
    conversation = audit.conversation
    approved = conversation is not None and conversation.board_approved_at is not None
    state = review_consent(audit, today)
    return ConversationView(
        audit=audit,
        consent=state,
        conversation=conversation,
        can_read_notes=can_read_review_notes(actor, audit),
        can_edit=(is_author(actor, audit) and audit.status in EDITABLE_STATUSES and state.conversation
                  and not (conversation is not None and conversation.locked_at is not None)),
        can_read_summary=can_read_board_summary(actor, audit, approved),
        can_approve=can_approve_board_summary(actor, audit),
        can_record_consent=can_record_consent(actor, audit.case_id, assigned_case_ids(session, actor)),
    )


def _fingerprint(text: str) -> str | None:
    """Free text about a family as handed to the trail, which keeps only a keyed fingerprint of it
    (``operations.base.record``, ``qaframework.trail_text``): that it changed, never the words."""
    return text or None


def _conversation_errors(audit: Audit, state: ConsentState, given: ConversationInput, today: date) -> list[FieldError]:
    errors: list[FieldError] = []
    if given.held_on is not None and given.held_on > today:
        errors.append(FieldError("held_on", "The date of the conversation must be today or in the past"))
    if set(given.participants) - set(CONVERSATION_ROLES):
        errors.append(FieldError("participants", "Choose who took part from the list"))
    ids = conversation_ids(audit.template)
    for question_id, rating in given.ratings.items():
        if question_id not in ids:
            errors.append(FieldError(f"rating-{question_id}", f"{question_id} is not a conversation question"))
        elif rating.get("rating") and rating["rating"] not in CONVERSATION_RATINGS:
            errors.append(FieldError(f"rating-{question_id}", f"Choose a family-experience rating for {question_id}"))
        elif rating.get("rating") == NOT_APPLICABLE and not rating.get("na_reason", "").strip():
            errors.append(FieldError(f"na_reason-{question_id}", f"Explain why {question_id} is not applicable"))
    words = {k: v for k, v in given.family_words.items() if v.strip()}
    if set(words) - ids:
        errors.append(FieldError("family_words", "Family's words can only be recorded against conversation questions"))
    if (words or given.notes.strip()) and not state.notes:
        errors.append(FieldError("notes", "The family did not agree to notes being kept, so record no notes or "
                                          "words: give your ratings and reflection only"))
    texts = [("notes", given.notes), ("reflection", given.reflection), ("system_actions", given.system_actions)]
    texts += [(f"words-{k}", v) for k, v in words.items()]
    errors += [FieldError(name, limits.keep_within("this", limits.REVIEW_TEXT)) for name, text in texts
               if limits.too_long(text, limits.REVIEW_TEXT)]
    return errors


@operation
def save_conversation(
    session: Session, actor: User, audit_id: int, given: ConversationInput, *, today: date | None = None
) -> ReviewConversation:
    """Record the conversation. Refused without an unexpired "yes" for it, once consent was
    withdrawn, and for anyone but the reviewer while the review is being written."""
    today = today or date.today()
    audit = _tier4_audit(session, actor, audit_id)
    require(is_author(actor, audit), "Only the reviewer who started this review records its conversation.")
    if audit.status not in EDITABLE_STATUSES:
        raise WorkflowError(f"This review is {audit.status}; its conversation can no longer change.")
    state = apply_consent(session, audit, today)
    assert state is not None
    conversation = audit.conversation
    if conversation is not None and conversation.locked_at is not None:
        raise WorkflowError("Consent was withdrawn, so the conversation is locked and its notes were deleted.")
    if not state.conversation:
        raise WorkflowError(f"There can be no conversation: {state.reason} This is a paper review.")
    errors = _conversation_errors(audit, state, given, today)
    if errors:
        raise InvalidInput(errors)
    if conversation is None:
        conversation = ReviewConversation(audit_id=audit.id, participants=[], ratings={}, family_words={},
                                          board_checks=[])
        session.add(conversation)
    before = _conversation_trail(conversation)
    conversation.held_on = given.held_on
    conversation.participants = sorted(set(given.participants), key=list(CONVERSATION_ROLES).index)
    conversation.ratings = {
        q: {"rating": r["rating"], "na_reason": r.get("na_reason", "").strip() if r["rating"] == NOT_APPLICABLE else ""}
        for q, r in given.ratings.items() if r.get("rating")
    }
    conversation.family_words = {k: v.strip() for k, v in given.family_words.items() if v.strip()}
    conversation.notes = given.notes.strip() or None
    conversation.reflection = given.reflection.strip() or None
    conversation.system_actions = given.system_actions.strip() or None
    conversation.updated_at = audit.updated_at = utcnow()
    session.flush()
    after = _conversation_trail(conversation)
    changed = [k for k in after if before.get(k) != after[k]]
    if changed:
        record(session, actor, "review.conversation", "audit", audit.id,
               {k: before.get(k) for k in changed}, {k: after[k] for k in changed})
    session.expire(audit, ["conversation"])
    return conversation


def _conversation_trail(conversation: ReviewConversation) -> dict[str, object]:
    """The conversation for the trail, which keeps raw notes and words as keyed fingerprints only."""
    return {
        "held_on": conversation.held_on,
        "participants": list(conversation.participants or []),
        "ratings": {k: v.get("rating") for k, v in sorted((conversation.ratings or {}).items())},
        "notes": _fingerprint(conversation.notes or ""),
        "family_words": {k: _fingerprint(v) for k, v in sorted((conversation.family_words or {}).items())},
        "reflection": _fingerprint(conversation.reflection or ""),
        "system_actions": _fingerprint(conversation.system_actions or ""),
    }


def _delete_notes(session: Session, actor: User | None, audit: Audit, conversation: ReviewConversation,
                  reason: str) -> bool:
    """Delete the raw notes and the family's words; the trail keeps that (and why) it happened."""
    if conversation.notes_deleted_at is not None and not conversation.notes and not conversation.family_words:
        return False
    had = bool(conversation.notes or conversation.family_words)
    conversation.notes = None
    conversation.family_words = {}
    conversation.notes_deleted_at = utcnow()
    conversation.notes_deleted_reason = reason
    record(session, actor, "review.notes_deleted", "audit", audit.id, {"had_notes": had}, {"reason": reason})
    return True


# --- The board summary -----------------------------------------------------------------------------


def summary_problems(text: str, case_ref: str, case_study: bool) -> list[str]:
    """What the anonymisation checklist can find by itself in a board summary (names it cannot)."""
    problems = []
    if not text.strip():
        problems.append("Write the board summary")
    if case_ref and case_ref.lower() in text.lower():
        problems.append("Remove the case reference")
    if _YEAR_GROUP.search(text):
        problems.append("Give the key stage (for example Key Stage 2), not the year group")
    if _SPECIFIC_NEED.search(text):
        problems.append("Give the broad area of need (for example communication and interaction), not a diagnosis")
    if _QUOTE.search(text) and not case_study:
        problems.append("Remove the quotation: the family did not agree to an anonymised case study")
    return problems


@operation
def save_board_summary(session: Session, actor: User, audit_id: int, text: str) -> ReviewConversation:
    """The reviewer writes the board summary; any change needs approving again."""
    audit = _tier4_audit(session, actor, audit_id)
    require(is_author(actor, audit), "Only the reviewer writes the board summary.")
    if limits.too_long(text, limits.REVIEW_TEXT):
        raise InvalidInput([FieldError("board_summary", limits.keep_within("the summary", limits.REVIEW_TEXT))])
    conversation = audit.conversation
    if conversation is None:
        conversation = ReviewConversation(audit_id=audit.id, participants=[], ratings={}, family_words={},
                                          board_checks=[])
        session.add(conversation)
    state = review_consent(audit)
    problems = summary_problems(text, audit.case.case_ref, state.case_study) if text.strip() else []
    if problems:
        raise InvalidInput([FieldError("board_summary", p) for p in problems])
    before = {"board_summary": _fingerprint(conversation.board_summary or ""),
              "approved": conversation.board_approved_at is not None}
    conversation.board_summary = text.strip() or None
    conversation.board_checks = []
    conversation.board_approved_at = None
    conversation.board_approved_by_id = None
    conversation.updated_at = utcnow()
    session.flush()
    record(session, actor, "review.board_summary", "audit", audit.id, before,
           {"board_summary": _fingerprint(conversation.board_summary or ""), "approved": False})
    session.expire(audit, ["conversation"])
    return conversation


@operation
def approve_board_summary(session: Session, actor: User, audit_id: int, checks: list[str]) -> ReviewConversation:
    """The QA lead confirms every anonymisation check; only then may others read the summary."""
    audit = _tier4_audit(session, actor, audit_id)
    require(can_approve_board_summary(actor, audit),
            "Only the QA lead (the panel's lead), and never the reviewer, approves a board summary.")
    conversation = audit.conversation
    if conversation is None or not conversation.board_summary:
        raise WorkflowError("There is no board summary to approve yet.")
    errors = [FieldError("board_summary", p) for p in
              summary_problems(conversation.board_summary, audit.case.case_ref, review_consent(audit).case_study)]
    missing = [key for key in BOARD_CHECKS if key not in checks]
    if missing:
        errors.append(FieldError("checks", "Confirm every anonymisation check: " +
                                 "; ".join(BOARD_CHECKS[k].lower() for k in missing)))
    if errors:
        raise InvalidInput(errors)
    conversation.board_checks = list(BOARD_CHECKS)
    conversation.board_approved_by_id = actor.id
    conversation.board_approved_at = utcnow()
    session.flush()
    record(session, actor, "review.board_summary_approve", "audit", audit.id, {"approved": False},
           {"approved": True, "checks": list(BOARD_CHECKS)})
    return conversation


@dataclass(frozen=True)
class BoardSummary:
    """An approved summary as the board reads it: no case, no reviewer, only the half term."""

    cycle: str
    judgement: str | None
    text: str


def approved_summaries(session: Session, actor: User) -> list[BoardSummary]:
    """Every approved board summary, newest half term first (readable by anyone signed in)."""
    require(actor.active, "Sign in to read board summaries.")
    rows = session.execute(
        select(Audit.cycle, Audit.auditor_grade, ReviewConversation.board_summary)
        .join(ReviewConversation, ReviewConversation.audit_id == Audit.id)
        .where(ReviewConversation.board_approved_at.is_not(None), Audit.status != AuditStatus.DRAFT.value)
        .order_by(ReviewConversation.board_approved_at.desc())
    ).all()
    return [BoardSummary(cycle, grade, text or "") for cycle, grade, text in rows]


# --- Retention -------------------------------------------------------------------------------------


def retention_days(session: Session) -> int:
    return int(get_setting(session, RETENTION_DAYS) or RETENTION_DEFAULT)


def set_retention_days(session: Session, actor: User | None, days: object) -> None:
    """Set how many days raw notes are kept after a review is submitted (checked first)."""
    if isinstance(days, bool) or not isinstance(days, int) or not RETENTION_MIN <= days <= RETENTION_MAX:
        raise InvalidInput([FieldError("days", f"Enter a number of days between {RETENTION_MIN} and {RETENTION_MAX}")])
    set_setting(session, actor, RETENTION_DAYS, days)


@dataclass(frozen=True)
class PurgeResult:
    """How many reviews' raw notes went, and why."""

    retention: int = 0
    consent_ended: int = 0

    @property
    def total(self) -> int:
        return self.retention + self.consent_ended


@operation
def purge_review_notes(session: Session, actor: User | None, *, today: date | None = None) -> PurgeResult:
    """Delete raw notes kept past the retention period after submission, or whose consent to notes
    has ended (expired or withdrawn). Run daily (``qa retention purge``); safe to run again."""
    today = today or date.today()
    cutoff = datetime.combine(today - timedelta(days=retention_days(session)), time.min, tzinfo=UTC)
    retention = ended = 0
    held = session.scalars(
        select(ReviewConversation).where(ReviewConversation.notes_deleted_at.is_(None))
    )
    for conversation in list(held):
        if not conversation.notes and not conversation.family_words:
            continue
        audit = conversation.audit
        if audit.submitted_at is not None and audit.status != AuditStatus.DRAFT and audit.submitted_at < cutoff:
            _delete_notes(session, actor, audit, conversation, "retention")
            retention += 1
        elif not review_consent(audit, today).notes:
            _delete_notes(session, actor, audit, conversation, "consent_ended")
            ended += 1
    session.flush()
    return PurgeResult(retention, ended)


def refuse_notes(actor: User, audit: Audit) -> None:
    """For pages that must not show the raw notes to this person."""
    if not can_read_review_notes(actor, audit):
        raise PermissionDenied("Only the reviewer and the QA lead read a conversation's notes.")
