"""Tier 4 reviews: consent gates the conversation, raw notes stay with the reviewer and QA lead,
the board summary is read by others only once approved, notes go on a retention schedule, and a
parent carer forum representative sees only the cases assigned to them."""

from __future__ import annotations

import json
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.consent import consent_state, conversation_ids
from qaframework.framework import Role
from qaframework.operations.audits import (
    Judgement,
    ResponseInput,
    get_audit,
    missing_items,
    save_answers,
    save_judgement,
    start_audit,
    submit_audit,
)
from qaframework.operations.base import InvalidInput, PermissionDenied, WorkflowError
from qaframework.operations.cases import CaseFilters, audits_of_case, get_case, search_cases
from qaframework.operations.tier4 import (
    BOARD_CHECKS,
    ConsentInput,
    ConversationInput,
    approve_board_summary,
    approved_summaries,
    conversation_view,
    purge_review_notes,
    record_consent,
    save_board_summary,
    save_conversation,
    set_retention_days,
    summary_problems,
    withdraw_consent,
)
from qaframework.permissions import can_read_board_summary, can_read_review_notes
from qaframework.store import Audit, Case, ConsentRecord, ReviewConversation, TrailEntry, User, utcnow
from tests.support import MakeCase, MakeUser, TemplateVersionOf

TODAY = date(2026, 11, 20)
YES = ConsentInput("parent_carer", "given", TODAY - timedelta(days=5), "Phone call, then in writing",
                   ("conversation", "notes"), TODAY + timedelta(days=180))
NO = ConsentInput("parent_carer", "refused", TODAY - timedelta(days=5), "Phone call")
NOTES = "Met at home; mum said the speech therapy stopped in June."


def _qa_lead(make_user: MakeUser) -> User:
    lead = make_user(Role.PANEL_MEMBER)
    lead.leads_panel = True
    return lead


def _review(session: Session, leader: User, case: Case, tv_of: TemplateVersionOf, *decisions: ConsentInput) -> Audit:
    for decision in decisions:
        record_consent(session, leader, case.id, decision, today=TODAY)
    tv = tv_of("t4-system-leader-review")
    return start_audit(session, leader, case_id=case.id, template_version_id=tv.id, subject="final_plan", today=TODAY)


def _ratings(audit: Audit, rating: str = "positive") -> dict[str, dict[str, str]]:
    return {q: {"rating": rating} for q in conversation_ids(audit.template)}


def _conversation(audit: Audit, **changes: Any) -> ConversationInput:
    values: dict[str, Any] = {
        "held_on": TODAY - timedelta(days=1), "participants": ("child", "parent_carer"), "ratings": _ratings(audit),
        "family_words": {"T4-04": "Yes, that's him."}, "notes": NOTES, "reflection": "Therapy workforce gap.",
        "system_actions": "Commissioning group to report on SaLT capacity.",
    }
    values.update(changes)
    return ConversationInput(**values)


# --- Consent, decided -----------------------------------------------------------------------------


def _rec(given_by: str, decision: str, *, scope: tuple[str, ...] = ("conversation",), expires: int = 30,
         withdrawn: bool = False, day: int = 0) -> Any:
    return SimpleNamespace(id=day + 1, given_by=given_by, decision=decision, scope=list(scope),
                           asked_on=TODAY - timedelta(days=10 - day), recorded_at=utcnow(),
                           expires_on=TODAY + timedelta(days=expires), withdrawn_at=utcnow() if withdrawn else None)


@pytest.mark.parametrize(
    ("records", "conversation", "notes", "reason"),
    [
        ([], False, False, "no decision"),
        ([_rec("parent_carer", "refused")], False, False, "declined"),
        ([_rec("parent_carer", "given", scope=("conversation", "notes"))], True, True, "agreed"),
        ([_rec("parent_carer", "given")], True, False, "agreed"),
        ([_rec("parent_carer", "given", expires=-1)], False, False, "expired"),
        ([_rec("parent_carer", "given", withdrawn=True)], False, False, "withdrawn"),
        ([_rec("parent_carer", "given", scope=("case_study",))], False, False, "does not cover"),
        ([_rec("child_assent", "given")], False, False, "only the child's assent"),
        ([_rec("parent_carer", "given"), _rec("child_assent", "refused", day=1)], False, False, "assent"),
        ([_rec("young_person", "given", scope=("conversation", "notes"))], True, True, "young person"),
        ([_rec("parent_carer", "refused"), _rec("parent_carer", "given", day=1)], False, False, "declined"),
    ],
)
def test_consent_state(records: list[Any], conversation: bool, notes: bool, reason: str) -> None:
    state = consent_state(records, TODAY)
    assert (state.conversation, state.notes) == (conversation, notes)
    assert reason in state.reason.lower()


def test_recording_consent_checks_each_field(session: Session, make_user: MakeUser, make_case: MakeCase) -> None:
    leader, case = make_user(Role.SYSTEM_LEADER), make_case()
    bad = ConsentInput("young_person", "given", TODAY + timedelta(days=1), "", ("notes",), None)
    with pytest.raises(InvalidInput) as refused:
        record_consent(session, leader, case.id, bad, today=TODAY)
    assert {e.field for e in refused.value.errors} == {"asked_on", "method", "scope", "expires_on", "capacity"}
    with pytest.raises(PermissionDenied):
        record_consent(session, make_user(Role.AUDITOR), case.id, YES, today=TODAY)


# --- Consent gates the conversation -----------------------------------------------------------------


def test_without_a_yes_conversation_questions_are_not_applicable_and_refused(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    leader = make_user(Role.SYSTEM_LEADER)
    audit = _review(session, leader, make_case(), template_version, NO)
    answers = {r.question_id: r for r in audit.responses}
    ids = conversation_ids(audit.template)
    assert ids == {"T4-02", "T4-04", "T4-05", "T4-17", "T4-06", "T4-07", "T4-08", "T4-09"}
    assert {q: (answers[q].rating, answers[q].na_reason.startswith("Paper review: Parent or carer declined"))
            for q in ids} == dict.fromkeys(ids, ("not_applicable", True))
    with pytest.raises(InvalidInput, match="T4-04 is not applicable because there is no conversation"):
        save_answers(session, leader, audit.id, audit.version_id, {"T4-04": ResponseInput("met", "Posted anyway")})
    with pytest.raises(WorkflowError, match="paper review"):
        save_conversation(session, leader, audit.id, _conversation(audit), today=TODAY)
    assert session.scalar(select(ReviewConversation).where(ReviewConversation.audit_id == audit.id)) is None


def test_with_a_yes_the_conversation_is_rated_by_family_experience(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    leader = make_user(Role.SYSTEM_LEADER)
    audit = _review(session, leader, make_case(), template_version, YES)
    ids = conversation_ids(audit.template)
    assert not {r.question_id for r in audit.responses} & ids
    with pytest.raises(InvalidInput, match="answered on the conversation page"):
        save_answers(session, leader, audit.id, audit.version_id, {"T4-06": ResponseInput("not_met", "x")})
    gaps = {m.question_id for m in missing_items(audit)}
    assert {"held_on", "participants"} | ids <= gaps
    with pytest.raises(InvalidInput) as refused:
        save_conversation(session, leader, audit.id, _conversation(
            audit, ratings={"T4-04": {"rating": "met"}, "T4-17": {"rating": "not_applicable"}},
            held_on=TODAY + timedelta(days=1), participants=("Jo Bloggs",)), today=TODAY)
    assert {e.field for e in refused.value.errors} == {"held_on", "participants", "rating-T4-04", "na_reason-T4-17"}
    save_conversation(session, leader, audit.id, _conversation(audit), today=TODAY)
    others = {q.id: ResponseInput("met", "From the plan and records.") for q in audit.template.questions()
              if q.id not in ids}
    save_answers(session, leader, audit.id, audit.version_id, others)
    assert missing_items(audit) == []
    save_judgement(session, leader, audit.id, audit.version_id, Judgement("positive", "The family felt heard."))
    submitted = submit_audit(session, leader, audit.id, audit.version_id)
    assert submitted.status == "submitted"
    assert audit.conversation is not None and audit.conversation.ratings["T4-04"] == {"rating": "positive",
                                                                                      "na_reason": ""}


def test_notes_need_the_notes_part_of_consent(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    leader = make_user(Role.SYSTEM_LEADER)
    talk_only = ConsentInput("parent_carer", "given", TODAY, "Phone", ("conversation",), TODAY + timedelta(days=30))
    audit = _review(session, leader, make_case(), template_version, talk_only)
    with pytest.raises(InvalidInput, match="did not agree to notes"):
        save_conversation(session, leader, audit.id, _conversation(audit), today=TODAY)
    saved = save_conversation(session, leader, audit.id, _conversation(audit, notes="", family_words={}), today=TODAY)
    assert saved.notes is None and saved.ratings


def test_expired_consent_makes_a_paper_review(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    leader = make_user(Role.SYSTEM_LEADER)
    short = ConsentInput("parent_carer", "given", TODAY - timedelta(days=10), "Letter", ("conversation", "notes"),
                         TODAY - timedelta(days=1))
    audit = _review(session, leader, make_case(), template_version, short)
    assert {r.na_reason for r in audit.responses} == {"Paper review: consent expired on 19 November 2026."}
    with pytest.raises(WorkflowError, match="consent expired"):
        save_conversation(session, leader, audit.id, _conversation(audit), today=TODAY)


def test_withdrawal_locks_the_conversation_and_deletes_its_notes(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    leader = make_user(Role.SYSTEM_LEADER)
    audit = _review(session, leader, make_case(), template_version, YES)
    save_conversation(session, leader, audit.id, _conversation(audit), today=TODAY)
    consent = audit.consents[0]
    withdraw_consent(session, leader, consent.id, today=TODAY)
    session.expire_all()
    conversation = session.scalar(select(ReviewConversation).where(ReviewConversation.audit_id == audit.id))
    assert conversation is not None
    assert (conversation.notes, conversation.family_words, conversation.ratings) == (None, {}, {})
    assert conversation.locked_at is not None and conversation.notes_deleted_reason == "withdrawn"
    assert audit.consents[0].withdrawn_at is not None  # the record that consent was withdrawn stays
    answers = {r.question_id: r for r in get_audit(session, leader, audit.id).responses}
    assert answers["T4-04"].na_reason.startswith("Paper review: consent was withdrawn on")
    with pytest.raises(WorkflowError, match="locked"):
        save_conversation(session, leader, audit.id, _conversation(audit), today=TODAY)
    trail = [(e.action, json.dumps([e.before, e.after])) for e in session.scalars(select(TrailEntry))]
    assert {"consent.withdraw", "review.notes_deleted", "review.conversation"} <= {a for a, _ in trail}
    assert not [t for _, t in trail if "speech therapy" in t or "that's him" in t]  # no raw notes in the trail


# --- Who reads what ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "notes", "draft_summary", "approved_summary"),
    [
        ("reviewer", True, True, True),
        ("qa_lead", True, True, True),
        ("panel_member", False, False, True),
        ("other_leader", False, False, True),
        ("admin", False, False, True),
        ("board_viewer", False, False, True),
    ],
)
def test_notes_and_summary_readers(who: str, notes: bool, draft_summary: bool, approved_summary: bool) -> None:
    reviewer = SimpleNamespace(id=1, role="system_leader", active=True)
    users = {
        "reviewer": reviewer,
        "qa_lead": SimpleNamespace(id=2, role="panel_member", active=True, leads_panel=True),
        "panel_member": SimpleNamespace(id=3, role="panel_member", active=True, leads_panel=False),
        "other_leader": SimpleNamespace(id=4, role="system_leader", active=True),
        "admin": SimpleNamespace(id=5, role="admin", active=True),
        "board_viewer": SimpleNamespace(id=6, role="board_viewer", active=True),
    }
    audit: Any = SimpleNamespace(auditor_id=1, case_id=9)
    user: Any = users[who]
    assert can_read_review_notes(user, audit) is notes
    assert can_read_board_summary(user, audit, approved=False) is draft_summary
    assert can_read_board_summary(user, audit, approved=True) is approved_summary


def test_notes_are_not_shown_to_others_and_summary_waits_for_approval(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    leader, other, lead = make_user(Role.SYSTEM_LEADER), make_user(Role.SYSTEM_LEADER), _qa_lead(make_user)
    audit = _review(session, leader, make_case("NOTE1"), template_version, YES)
    save_conversation(session, leader, audit.id, _conversation(audit), today=TODAY)
    assert conversation_view(session, leader, audit.id, TODAY).can_read_notes
    assert conversation_view(session, lead, audit.id, TODAY).can_read_notes
    assert not conversation_view(session, other, audit.id, TODAY).can_read_notes
    with pytest.raises(InvalidInput) as refused:
        save_board_summary(session, leader, audit.id, 'NOTE1: a Year 10 autistic boy said "great"')
    assert len(refused.value.errors) == 4
    text = "A Key Stage 4 young person with communication and interaction needs; therapy was not delivered."
    save_board_summary(session, leader, audit.id, text)
    assert not conversation_view(session, other, audit.id, TODAY).can_read_summary
    assert approved_summaries(session, other) == []
    with pytest.raises(PermissionDenied):
        approve_board_summary(session, leader, audit.id, list(BOARD_CHECKS))
    with pytest.raises(InvalidInput, match="Confirm every anonymisation check"):
        approve_board_summary(session, lead, audit.id, ["no_case_ref"])
    approve_board_summary(session, lead, audit.id, list(BOARD_CHECKS))
    assert conversation_view(session, other, audit.id, TODAY).can_read_summary
    save_answers(session, leader, audit.id, audit.version_id,
                 {q.id: ResponseInput("met", "Records.") for q in audit.template.questions()
                  if q.id not in conversation_ids(audit.template)})
    save_judgement(session, leader, audit.id, audit.version_id, Judgement("inconsistent", "Mixed delivery."))
    submit_audit(session, leader, audit.id, audit.version_id)
    assert [s.text for s in approved_summaries(session, other)] == [text]
    save_board_summary(session, leader, audit.id, text + " Updated.")  # any change needs approving again
    assert not conversation_view(session, other, audit.id, TODAY).can_read_summary


def test_summary_problems_allow_quotes_with_case_study_consent() -> None:
    assert summary_problems('They said "it changed everything".', "AB1", case_study=True) == []
    assert summary_problems("A Year 6 pupil; ab1 case.", "AB1", case_study=False) == [
        "Remove the case reference", "Give the key stage (for example Key Stage 2), not the year group"]


# --- Retention ------------------------------------------------------------------------------------


def test_purge_deletes_notes_after_the_retention_period(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    leader = make_user(Role.SYSTEM_LEADER)
    audit = _review(session, leader, make_case(), template_version, YES)
    save_conversation(session, leader, audit.id, _conversation(audit), today=TODAY)
    save_answers(session, leader, audit.id, audit.version_id,
                 {q.id: ResponseInput("met", "Records.") for q in audit.template.questions()
                  if q.id not in conversation_ids(audit.template)})
    save_judgement(session, leader, audit.id, audit.version_id, Judgement("positive", "Heard."))
    submit_audit(session, leader, audit.id, audit.version_id)
    with pytest.raises(InvalidInput, match="between 7 and 730"):
        set_retention_days(session, None, 3)
    set_retention_days(session, None, 30)
    submitted_on = audit.submitted_at.date() if audit.submitted_at else TODAY
    assert purge_review_notes(session, None, today=submitted_on + timedelta(days=29)).total == 0
    result = purge_review_notes(session, None, today=submitted_on + timedelta(days=31))
    assert (result.retention, result.consent_ended) == (1, 0)
    session.expire_all()
    conversation = session.scalar(select(ReviewConversation).where(ReviewConversation.audit_id == audit.id))
    assert conversation is not None and conversation.notes is None and conversation.family_words == {}
    assert conversation.ratings and conversation.notes_deleted_reason == "retention"
    assert purge_review_notes(session, None, today=submitted_on + timedelta(days=40)).total == 0


# --- The parent carer forum representative ----------------------------------------------------------


def test_forum_representative_sees_only_assigned_cases(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    forum, leader = make_user(Role.PARENT_CARER_FORUM), make_user(Role.SYSTEM_LEADER)
    theirs, other = make_case("FORUM1"), make_case("OTHER1")
    with pytest.raises(PermissionDenied):
        record_consent(session, forum, theirs.id, YES, today=TODAY)  # not assigned yet
    elsewhere = _review(session, leader, other, template_version, YES)
    # Assigned by the review they carry out (started by a leader on their behalf, as the samples do).
    record_consent(session, leader, theirs.id, YES, today=TODAY)
    tv = template_version("t4-system-leader-review")
    own = start_audit(session, leader, case_id=theirs.id, template_version_id=tv.id, subject="final_plan", today=TODAY)
    own.auditor_id = forum.id
    session.commit()
    assert get_case(session, forum, theirs.id).case_ref == "FORUM1"
    with pytest.raises(PermissionDenied):
        get_case(session, forum, other.id)
    with pytest.raises(PermissionDenied):
        get_audit(session, forum, elsewhere.id)
    assert get_audit(session, forum, own.id).id == own.id
    cases, total = search_cases(session, forum, CaseFilters())
    assert ([c.case_ref for c in cases], total) == (["FORUM1"], 1)
    assert audits_of_case(session, forum, other) == []
    with pytest.raises(PermissionDenied):
        conversation_view(session, forum, elsewhere.id, TODAY)
    assert search_cases(session, leader, CaseFilters())[1] >= 2


def test_a_draft_review_can_be_discarded_with_its_conversation(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    from qaframework.operations.drafts import discard_draft, unfinished_like

    leader, case = make_user(Role.SYSTEM_LEADER), make_case()
    audit = _review(session, leader, case, template_version, YES)
    save_conversation(session, leader, audit.id, _conversation(audit), today=TODAY)
    assert [a.id for a in unfinished_like(session, leader, case.id, audit.template_version_id)] == [audit.id]
    audit_id = audit.id
    discard_draft(session, leader, audit_id)
    session.expire_all()
    assert session.get(Audit, audit_id) is None
    assert session.scalar(select(ReviewConversation).where(ReviewConversation.audit_id == audit_id)) is None
    consent = session.scalar(select(ConsentRecord).where(ConsentRecord.case_id == case.id))
    assert consent is not None and consent.audit_id is None  # the decision waits for the next review
    trail = [json.dumps([e.before, e.after]) for e in session.scalars(select(TrailEntry))]
    assert not [t for t in trail if "speech therapy" in t]
    deleted = session.scalar(select(TrailEntry).where(TrailEntry.action == "review.notes_deleted"))
    assert deleted is not None and deleted.after == {"reason": "discarded"}


def test_forum_representative_sees_the_cases_of_samples_assigned_to_them(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    from qaframework.operations.samples import add_assignments
    from qaframework.store import Sample, SampleItem

    forum, leader = make_user(Role.PARENT_CARER_FORUM), make_user(Role.SYSTEM_LEADER)
    sampled, unsampled = make_case("SAMPLED1"), make_case("UNSAMPLED1")
    sample = Sample(cycle="2026-27 Autumn 2", kind="cases", seed=1, size=1, criteria={}, created_by_id=leader.id)
    sample.items.append(SampleItem(case_id=sampled.id))
    session.add(sample)
    session.flush()
    with pytest.raises(PermissionDenied):
        get_case(session, forum, sampled.id)
    add_assignments(session, None, sample, [forum.id])
    session.commit()
    assert get_case(session, forum, sampled.id).case_ref == "SAMPLED1"
    with pytest.raises(PermissionDenied):
        get_case(session, forum, unsampled.id)
    record_consent(session, forum, sampled.id, YES, today=TODAY)  # they may now record the family's decision
    tv = template_version("t4-system-leader-review")
    own = start_audit(session, forum, case_id=sampled.id, template_version_id=tv.id, subject="final_plan", today=TODAY)
    assert own.auditor_id == forum.id and [c.audit_id for c in own.consents] == [own.id]
