"""The audit workflow through the operations layer: permissions, locking, grades, trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qaframework.framework import Rating, Role
from qaframework.operations.audit_queries import audit_with_answers
from qaframework.operations.audits import (
    IncompleteAudit,
    Judgement,
    ResponseInput,
    answers_of,
    return_audit,
    save_answers,
    save_judgement,
    start_audit,
    submit_audit,
)
from qaframework.operations.base import InvalidInput, PermissionDenied, StaleEdit, WorkflowError
from qaframework.scoring import Answer
from qaframework.store import Audit, ConsentRecord, TrailEntry, User
from qaframework.trail_text import fingerprint, trail_key
from tests.support import MakeCase, MakeUser, TemplateVersionOf, all_met


@pytest.fixture
def t1_audit(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> tuple[User, Audit]:
    auditor = make_user()
    audit = start_audit(
        session,
        auditor,
        case_id=make_case().id,
        template_version_id=template_version("t1-coordinator-plan-check").id,
        subject="final_plan",
    )
    return auditor, audit


def test_start_records_cycle_agency_and_trail(session: Session, t1_audit: tuple[User, Audit]) -> None:
    auditor, audit = t1_audit
    assert audit.status == "draft" and audit.agency_code == "send_service" and audit.tier == 1
    assert audit.cycle.split()[0].count("-") == 1  # e.g. "2026-27 Autumn 2"
    entry = session.scalars(select(TrailEntry).where(TrailEntry.action == "audit.start")).one()
    assert entry.actor_id == auditor.id and entry.entity_id == str(audit.id)


def test_auditor_cannot_use_another_agencys_template(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    health = make_user(agency="health")
    with pytest.raises(PermissionDenied):
        start_audit(
            session,
            health,
            case_id=make_case().id,
            template_version_id=template_version("t2-education-advice-audit").id,
            subject="advice",
        )
    panel = make_user(Role.PANEL_MEMBER)
    with pytest.raises(PermissionDenied):  # panels audit at Tier 3, not Tier 1
        start_audit(
            session,
            panel,
            case_id=make_case().id,
            template_version_id=template_version("t1-coordinator-plan-check").id,
            subject="final_plan",
        )


def test_subject_must_suit_the_template(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    with pytest.raises(InvalidInput, match="subject"):
        start_audit(
            session,
            make_user(),
            case_id=make_case().id,
            template_version_id=template_version("t1-coordinator-plan-check").id,
            subject="annual_review",
        )


def test_tier4_needs_a_consent_decision_first(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    leader, case = make_user(Role.SYSTEM_LEADER), make_case()
    tv = template_version("t4-system-leader-review")
    with pytest.raises(WorkflowError, match="consent"):
        start_audit(session, leader, case_id=case.id, template_version_id=tv.id, subject="final_plan")
    session.add(ConsentRecord(case_id=case.id, given_by="parent_carer", decision="given", recorded_by_id=leader.id))
    session.commit()
    assert start_audit(session, leader, case_id=case.id, template_version_id=tv.id, subject="final_plan").tier == 4


def test_saving_updates_suggested_grades_and_bumps_version(session: Session, t1_audit: tuple[User, Audit]) -> None:
    auditor, audit = t1_audit
    version = audit.version_id
    save_answers(session, auditor, audit.id, version, all_met(audit.template))
    assert audit.version_id == version + 1
    assert audit.suggested_grade == "good"
    limiting = next(q for q in audit.template.questions() if q.limiting)
    save_answers(
        session,
        auditor,
        audit.id,
        audit.version_id,
        {limiting.id: ResponseInput(Rating.NOT_MET.value, "The need is missing from B.")},
    )
    assert audit.suggested_grade == "inadequate"
    grades = {g.section_id: g.suggested_grade for g in audit.section_grades}
    assert grades[audit.template.section_of(limiting.id).id] == "inadequate"


def test_stale_save_is_refused_and_changes_nothing(session: Session, t1_audit: tuple[User, Audit]) -> None:
    auditor, audit = t1_audit
    opened_at = audit.version_id
    first_q = audit.template.questions()[0].id
    save_answers(session, auditor, audit.id, opened_at, {first_q: ResponseInput("met", "first editor")})
    with pytest.raises(StaleEdit) as raised:
        save_answers(session, auditor, audit.id, opened_at, {first_q: ResponseInput("not_met", "second editor")})
    assert raised.value.expected_version == opened_at and raised.value.current_version == opened_at + 1
    assert auditor.display_name in raised.value.changed_by
    stored = {r.question_id: (r.rating, r.evidence) for r in audit.responses}
    assert stored[first_q] == ("met", "first editor")


def test_tampered_input_is_rejected(session: Session, t1_audit: tuple[User, Audit]) -> None:
    auditor, audit = t1_audit
    no_na = next(q for q in audit.template.questions() if not q.not_applicable.allowed)
    with pytest.raises(InvalidInput) as raised:
        save_answers(
            session,
            auditor,
            audit.id,
            audit.version_id,
            {
                "NOPE-1": ResponseInput("met"),
                no_na.id: ResponseInput("not_applicable", na_reason="x"),
                audit.template.questions()[1].id: ResponseInput("excellent"),
            },
        )
    assert {e.field for e in raised.value.errors} == {"NOPE-1", no_na.id, audit.template.questions()[1].id}
    assert audit.responses == []


def test_only_the_author_edits_and_only_drafts(
    session: Session, t1_audit: tuple[User, Audit], make_user: MakeUser
) -> None:
    auditor, audit = t1_audit
    colleague = make_user()
    with pytest.raises(PermissionDenied):
        save_answers(session, colleague, audit.id, audit.version_id, {})
    save_answers(session, auditor, audit.id, audit.version_id, all_met(audit.template))
    submit_audit(session, auditor, audit.id, audit.version_id)
    with pytest.raises(WorkflowError, match="submitted"):
        save_answers(session, auditor, audit.id, audit.version_id, all_met(audit.template))
    outsider = make_user(agency="health")
    with pytest.raises(PermissionDenied):
        save_answers(session, outsider, audit.id, audit.version_id, {})


def test_submit_lists_every_missing_item(session: Session, t1_audit: tuple[User, Audit]) -> None:
    auditor, audit = t1_audit
    questions = audit.template.questions()
    answers = all_met(audit.template)
    answers[questions[0].id] = ResponseInput(None)
    answers[questions[1].id] = ResponseInput("not_met", "")
    save_answers(session, auditor, audit.id, audit.version_id, answers)
    with pytest.raises(IncompleteAudit) as raised:
        submit_audit(session, auditor, audit.id, audit.version_id)
    assert [m.question_id for m in raised.value.missing] == [questions[0].id, questions[1].id]
    assert audit.status == "draft"


def test_override_needs_a_rationale(session: Session, t1_audit: tuple[User, Audit]) -> None:
    """Refused when the judgement is saved (so the auditor hears at once) and again at submit."""
    auditor, audit = t1_audit
    save_answers(session, auditor, audit.id, audit.version_id, all_met(audit.template))
    version = audit.version_id
    with pytest.raises(InvalidInput, match="Explain why") as refused:
        save_judgement(session, auditor, audit.id, version, Judgement("outstanding"))
    assert [e.field for e in refused.value.errors] == ["override_rationale"]
    assert (audit.auditor_grade, audit.version_id) == (None, version)  # nothing saved
    save_judgement(
        session,
        auditor,
        audit.id,
        audit.version_id,
        Judgement("outstanding", override_rationale="An exemplar for the portfolio."),
    )
    submit_audit(session, auditor, audit.id, audit.version_id)
    assert (audit.suggested_grade, audit.auditor_grade, audit.reported_grade) == ("good", "outstanding", "outstanding")


def test_a_rationale_is_still_checked_at_submit_when_answers_moved_the_suggestion(
    session: Session, t1_audit: tuple[User, Audit]
) -> None:
    auditor, audit = t1_audit
    save_answers(session, auditor, audit.id, audit.version_id, all_met(audit.template))
    save_judgement(session, auditor, audit.id, audit.version_id, Judgement("good"))  # agrees: no reasons needed
    limiting = next(q for q in audit.template.questions() if q.limiting)
    save_answers(
        session, auditor, audit.id, audit.version_id, {limiting.id: ResponseInput("not_met", "Missing from B.")}
    )
    with pytest.raises(InvalidInput, match="Explain why"):
        submit_audit(session, auditor, audit.id, audit.version_id)


def test_judgement_input_is_checked(session: Session, t1_audit: tuple[User, Audit]) -> None:
    auditor, audit = t1_audit
    with pytest.raises(InvalidInput) as refused:
        save_judgement(
            session,
            auditor,
            audit.id,
            audit.version_id,
            Judgement("excellent", summary="x" * 10_001, exemplary_sections=("NOPE",)),
        )
    assert {e.field: e.message for e in refused.value.errors} == {
        "exemplary": "Unknown section(s): NOPE",
        "auditor_grade": "Choose a grade from the list",
        "summary": "Keep the summary to 10,000 characters or fewer",
    }


def test_judgement_save_records_only_what_changed(session: Session, t1_audit: tuple[User, Audit]) -> None:
    auditor, audit = t1_audit
    save_judgement(session, auditor, audit.id, audit.version_id, Judgement(summary="  A readable plan.  "))
    assert audit.summary == "A readable plan."
    entry = session.scalars(select(TrailEntry).where(TrailEntry.action == "audit.save")).one()
    assert entry.before == {"summary": None}
    # the trail keeps a keyed fingerprint of the text, never the words
    assert entry.after == {"summary": fingerprint(trail_key(session), "A readable plan."), "version": audit.version_id}
    version = audit.version_id
    save_judgement(session, auditor, audit.id, version, Judgement(summary="A readable plan."))
    assert audit.version_id == version + 1  # a save always bumps the version …
    assert (
        len(session.scalars(select(TrailEntry).where(TrailEntry.action == "audit.save")).all()) == 1
    )  # … but records no change


def test_only_the_author_submits(session: Session, t1_audit: tuple[User, Audit], make_user: MakeUser) -> None:
    auditor, audit = t1_audit
    save_answers(session, auditor, audit.id, audit.version_id, all_met(audit.template))
    for other in (make_user(), make_user(Role.PANEL_MEMBER), make_user(Role.ADMIN)):
        with pytest.raises(PermissionDenied, match="Only the auditor who started"):
            submit_audit(session, other, audit.id, audit.version_id)
    assert audit.status == "draft"


def test_panel_returns_and_author_revises(session: Session, t1_audit: tuple[User, Audit], make_user: MakeUser) -> None:
    auditor, audit = t1_audit
    save_answers(session, auditor, audit.id, audit.version_id, all_met(audit.template))
    submit_audit(session, auditor, audit.id, audit.version_id)
    with pytest.raises(PermissionDenied):
        return_audit(session, make_user(), audit.id, "no")
    panel = make_user(Role.PANEL_MEMBER)
    with pytest.raises(InvalidInput):
        return_audit(session, panel, audit.id, "  ")
    return_audit(session, panel, audit.id, "Evidence for F is thin.")
    assert audit.status == "returned" and audit.return_comment == "Evidence for F is thin."
    first = audit.template.questions()[0].id
    save_answers(
        session, auditor, audit.id, audit.version_id, {first: ResponseInput("partially_met", "Revised after return.")}
    )
    assert audit.status == "draft"
    submit_audit(session, auditor, audit.id, audit.version_id)
    actions = [
        e.action
        for e in session.scalars(
            select(TrailEntry).where(TrailEntry.entity_id == str(audit.id)).order_by(TrailEntry.id)
        )
    ]
    assert actions == ["audit.start", "audit.save", "audit.submit", "audit.return", "audit.save", "audit.submit"]


def test_tier4_judgement_needs_its_reasoning(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    leader, case = make_user(Role.SYSTEM_LEADER), make_case()
    session.add(ConsentRecord(case_id=case.id, given_by="parent_carer", decision="given", recorded_by_id=leader.id))
    session.commit()
    audit = start_audit(
        session,
        leader,
        case_id=case.id,
        template_version_id=template_version("t4-system-leader-review").id,
        subject="final_plan",
    )
    # No "yes" to a conversation is recorded, so this is a paper review: the conversation
    # questions are already "not applicable" (see tests/test_tier4.py).
    answers = {q.id: ResponseInput("met", "From the records.") for q in audit.template.questions()
               if q.id not in {r.question_id for r in audit.responses}}
    save_answers(session, leader, audit.id, audit.version_id, answers)
    with pytest.raises(InvalidInput, match="Choose an overall judgement"):
        submit_audit(session, leader, audit.id, audit.version_id)
    middle = audit.template.scale.codes[1]  # "inconsistent" from version 2 ("mixed" in version 1)
    with pytest.raises(InvalidInput, match="how you reached this judgement"):
        save_judgement(session, leader, audit.id, audit.version_id, Judgement(middle))
    save_judgement(
        session,
        leader,
        audit.id,
        audit.version_id,
        Judgement(middle, override_rationale="Provision in F is not delivered as written."),
    )
    assert submit_audit(session, leader, audit.id, audit.version_id).status == "submitted"
    assert audit.suggested_grade is None and audit.reported_grade == middle


def test_status_moves_only_along_the_declared_workflow(session: Session, t1_audit: tuple[User, Audit]) -> None:
    from qaframework.framework import AuditStatus
    from qaframework.operations.audits import move_to

    _, audit = t1_audit
    with pytest.raises(WorkflowError, match="draft cannot become moderated"):
        move_to(audit, AuditStatus.MODERATED)
    move_to(audit, AuditStatus.SUBMITTED)
    move_to(audit, AuditStatus.CLOSED)
    with pytest.raises(WorkflowError, match="closed cannot become draft"):
        move_to(audit, AuditStatus.DRAFT)


def test_a_save_that_collides_at_write_time_is_a_clear_stale_edit(
    session: Session, t1_audit: tuple[User, Audit]
) -> None:
    """Both editors pass the version check; the second write finds the row changed under it."""
    from sqlalchemy import event

    auditor, audit = t1_audit
    first = audit.template.questions()[0].id
    collided = {"done": False}

    def someone_else_saves(sess: Session, _ctx: object, _instances: object) -> None:
        if not collided["done"]:
            collided["done"] = True
            sess.connection().execute(update(Audit).where(Audit.id == audit.id).values(version_id=Audit.version_id + 1))

    event.listen(session, "before_flush", someone_else_saves)
    try:
        with pytest.raises(StaleEdit) as raised:
            save_answers(session, auditor, audit.id, audit.version_id, {first: ResponseInput("met", "mine")})
    finally:
        event.remove(session, "before_flush", someone_else_saves)
    assert raised.value.message.endswith("while you were saving; nothing was saved.")
    session.expire_all()
    assert session.get(Audit, audit.id).responses == []


def test_audit_with_answers_reads_what_the_orm_reads_and_checks_scope(
    session: Session, make_user: MakeUser, t1_audit: tuple[User, Audit]
) -> None:
    """The checklist page's plain-row read gives the same answers and grades as the ORM objects."""
    auditor, audit = t1_audit
    questions = audit.template.questions()
    given = {
        questions[0].id: ResponseInput("met", "Clear."),
        questions[1].id: ResponseInput("not_met", "Outcome is vague."),
        questions[2].id: ResponseInput("not_applicable", "", "No health needs."),
    }
    after = save_answers(session, auditor, audit.id, audit.version_id, given)
    read = audit_with_answers(session, auditor, audit.id)
    assert read.audit is after
    assert read.answers == answers_of(after)
    assert read.answers[questions[1].id] == Answer(Rating.NOT_MET, "Outcome is vague.", "")
    assert read.answers[questions[2].id].na_reason == "No health needs."
    grades = {g.section_id: g.suggested_grade for g in after.section_grades}
    assert read.section_grades == grades and any(grades.values())
    first_section = audit.template.sections[0].id
    assert read.section_grade(first_section) == grades[first_section]
    assert read.section_grade("no-such-section") is None
    with pytest.raises(PermissionDenied):
        audit_with_answers(session, make_user(agency="health"), audit.id)
