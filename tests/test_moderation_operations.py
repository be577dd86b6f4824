"""Blind moderation through the library: who is blind to what, the blind save, agreement, the trail,
and agreement figures counted in SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.framework import AuditStatus, Rating, Role
from qaframework.operations.agreement import (
    GroupBy,
    agreement_by,
    blind_agreement,
    moderator_pair_agreement,
    overall,
    question_agreement,
    section_agreement,
)
from qaframework.operations.audits import ResponseInput, get_audit, save_answers, start_audit, submit_audit
from qaframework.operations.base import InvalidInput, PermissionDenied, StaleEdit, WorkflowError
from qaframework.operations.blinding import BlindModeration, blind_audit_ids
from qaframework.operations.moderation import (
    AgreedGrades,
    BlindRegrade,
    comparison,
    moderation_state,
    record_agreement,
    save_blind_regrade,
)
from qaframework.store import Audit, ModerationRecord, Sample, SampleItem, TrailEntry, User
from tests.support import MakeCase, MakeUser, TemplateVersionOf

T1 = "t1-coordinator-plan-check"


def sample_of(session: Session, creator: User, *audits: Audit, kind: str = "audits") -> Sample:
    sample = Sample(cycle=audits[0].cycle, kind=kind, seed=1, size=len(audits), criteria={}, created_by_id=creator.id)
    sample.items = [SampleItem(audit_id=a.id) for a in audits]
    session.add(sample)
    session.commit()
    return sample


def checked(session: Session, auditor: User, case_id: int, version_id: int, rating: Rating = Rating.MET) -> Audit:
    audit = start_audit(session, auditor, case_id=case_id, template_version_id=version_id, subject="final_plan")
    answers = {q.id: ResponseInput(rating.value, "Secret evidence ZQX.") for q in audit.template.questions()}
    save_answers(session, auditor, audit.id, audit.version_id, answers)
    return submit_audit(session, auditor, audit.id, audit.version_id)


@pytest.fixture
def setup(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> tuple[Audit, User, User]:
    auditor = make_user()
    audit = checked(session, auditor, make_case().id, template_version(T1).id)
    panel = make_user(Role.PANEL_MEMBER)
    sample_of(session, panel, audit)
    return audit, auditor, panel


def blind_grades(audit: Audit, rating: str = "partially_met", grade: str = "requires_improvement") -> BlindRegrade:
    template = audit.template
    return BlindRegrade(
        ratings={q.id: rating for q in template.questions()},
        sections={s.id: grade for s in template.sections},
        overall=grade,
    )


def test_panel_member_is_blind_to_a_sampled_audit_until_they_save(
    session: Session, setup: tuple[Audit, User, User], make_user: MakeUser
) -> None:
    audit, auditor, panel = setup
    with pytest.raises(BlindModeration):
        get_audit(session, panel, audit.id)
    assert blind_audit_ids(session, panel, [audit.id]) == {audit.id}
    # Not blind: the auditor, an administrator, a system leader; nobody to an unsampled audit.
    assert get_audit(session, auditor, audit.id).id == audit.id
    assert get_audit(session, make_user(Role.ADMIN), audit.id).id == audit.id
    assert blind_audit_ids(session, make_user(Role.SYSTEM_LEADER), [audit.id]) == set()
    state = moderation_state(session, panel, audit.id)
    assert state.blind and not state.own_saved and not state.can_agree
    with pytest.raises(PermissionDenied, match="Save your own grades first"):
        comparison(session, panel, audit.id)

    save_blind_regrade(session, panel, audit.id, blind_grades(audit))
    assert get_audit(session, panel, audit.id).id == audit.id
    assert blind_audit_ids(session, panel, [audit.id]) == set()
    other = make_user(Role.PANEL_MEMBER)
    with pytest.raises(BlindModeration):  # another panel member is still blind
        get_audit(session, other, audit.id)


def test_unsampled_audit_is_not_moderated_blind(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    audit = checked(session, make_user(), make_case().id, template_version(T1).id)
    panel = make_user(Role.PANEL_MEMBER)
    sample_of(session, panel, audit, kind="cases")  # a case sample does not make it a moderation item
    assert get_audit(session, panel, audit.id).id == audit.id
    with pytest.raises(PermissionDenied, match="not in a moderation sample"):
        moderation_state(session, panel, audit.id)


def test_roles_other_than_panel_cannot_moderate(session: Session, setup: tuple[Audit, User, User],
                                                make_user: MakeUser) -> None:
    audit, auditor, _ = setup
    for user in (auditor, make_user(Role.ADMIN), make_user(Role.SYSTEM_LEADER), make_user(Role.BOARD_VIEWER)):
        with pytest.raises(PermissionDenied):
            save_blind_regrade(session, user, audit.id, blind_grades(audit))
    assert session.scalars(select(ModerationRecord)).all() == []


def test_blind_save_is_whole_and_names_each_missing_field(session: Session, setup: tuple[Audit, User, User]) -> None:
    audit, _, panel = setup
    first_question = audit.template.questions()[0].id
    grades = blind_grades(audit)
    partial = BlindRegrade({k: v for k, v in grades.ratings.items() if k != first_question},
                           grades.sections, "nonsense")
    with pytest.raises(InvalidInput) as refused:
        save_blind_regrade(session, panel, audit.id, partial)
    fields = {e.field for e in refused.value.errors}
    assert fields == {f"rating-{first_question}", "overall"}
    assert session.scalars(select(ModerationRecord)).all() == []
    save_blind_regrade(session, panel, audit.id, grades)
    with pytest.raises(WorkflowError, match="already saved"):
        save_blind_regrade(session, panel, audit.id, grades)


def test_agreement_keeps_originals_needs_reasons_and_is_version_checked(
    session: Session, setup: tuple[Audit, User, User], make_user: MakeUser
) -> None:
    audit, _, panel = setup
    second = make_user(Role.PANEL_MEMBER)
    save_blind_regrade(session, panel, audit.id, blind_grades(audit))
    save_blind_regrade(session, second, audit.id, blind_grades(audit, "met", "good"))
    original_overall = audit.auditor_grade or audit.suggested_grade
    originals = {g.section_id: g.suggested_grade for g in audit.section_grades}
    template = audit.template
    first_section = template.sections[0].id
    view = comparison(session, panel, audit.id)
    assert [r.key for r in view.raters] == ["auditor", f"m{panel.id}", f"m{second.id}"]
    assert view.overall == {"auditor": original_overall, f"m{panel.id}": "requires_improvement",
                            f"m{second.id}": "good"}
    assert view.differs
    pair = next(p for p in view.pairs if p.first.key == "auditor" and p.second.key == f"m{second.id}")
    assert (pair.questions_same, pair.overall_same) == (len(template.questions()), original_overall == "good")

    changed = {s.id: ("requires_improvement", "") for s in template.sections}
    with pytest.raises(InvalidInput) as refused:
        record_agreement(session, panel, audit.id,
                         AgreedGrades(changed, "requires_improvement", "", audit.version_id))
    fields = {e.field for e in refused.value.errors}
    assert "reason-overall" in fields and f"reason-{first_section}" in fields
    stale = audit.version_id - 1
    reasons = {s.id: ("requires_improvement", "Provision is not quantified.") for s in template.sections}
    with pytest.raises(StaleEdit):
        record_agreement(session, panel, audit.id,
                         AgreedGrades(reasons, "requires_improvement", "Not quantified.", stale))
    record_agreement(session, panel, audit.id,
                     AgreedGrades(reasons, "requires_improvement", "Not quantified.", audit.version_id))
    session.refresh(audit)
    assert audit.status == AuditStatus.MODERATED and audit.moderated_grade == "requires_improvement"
    assert (audit.auditor_grade or audit.suggested_grade) == original_overall  # the original never changes
    assert {g.section_id: g.suggested_grade for g in audit.section_grades} == originals
    assert {g.moderated_grade for g in audit.section_grades} == {"requires_improvement"}
    records = session.scalars(select(ModerationRecord).where(ModerationRecord.audit_id == audit.id)).all()
    assert {(r.agreed_grade, r.reason) for r in records} == {("requires_improvement", "Not quantified.")}
    after = comparison(session, second, audit.id)
    assert after.with_agreed == {f"m{panel.id}": True, f"m{second.id}": False}
    actions = session.scalars(
        select(TrailEntry.action).where(TrailEntry.entity == "audit", TrailEntry.entity_id == str(audit.id))
    ).all()
    assert actions.count("moderation.blind_regrade") == 2 and actions.count("moderation.agree") == 1
    # Once agreed nobody is blind any more, and a third panel member cannot start a blind re-grade.
    third = make_user(Role.PANEL_MEMBER)
    assert get_audit(session, third, audit.id).moderated_grade == "requires_improvement"
    with pytest.raises(PermissionDenied, match="already agreed"):
        save_blind_regrade(session, third, audit.id, blind_grades(audit))


def test_agreement_figures_counted_in_sql(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    version = template_version(T1)
    auditor = make_user()
    panel = make_user(Role.PANEL_MEMBER)
    audits = [checked(session, auditor, make_case().id, version.id) for _ in range(3)]
    sample_of(session, panel, *audits)
    agreed = ["good", "requires_improvement", "good"]
    for audit, grade in zip(audits, agreed, strict=True):
        save_blind_regrade(session, panel, audit.id, blind_grades(audit, "met", grade))
        sections = {s.id: (grade, "Panel view.") for s in audit.template.sections}
        record_agreement(session, panel, audit.id, AgreedGrades(sections, grade, "Panel view.", audit.version_id))
    original = audits[0].auditor_grade or audits[0].suggested_grade
    headline = overall(session, panel, audits[0].cycle)
    assert headline.result.n == 3
    assert headline.result.exact == pytest.approx(sum(g == original for g in agreed) / 3)
    (by_cycle,) = agreement_by(session, panel, GroupBy.CYCLE)
    assert by_cycle.label == audits[0].cycle and by_cycle.result.n == 3
    (by_agency,) = agreement_by(session, panel, GroupBy.AGENCY)
    assert by_agency.label == "SEND and EHC service"
    assert blind_agreement(session, panel, None).result.n == 3
    assert moderator_pair_agreement(session, panel, None).result.n == 0
    by_section = section_agreement(session, panel, None)
    assert {s.result.n for s in by_section} == {3}
    questions = question_agreement(session, panel, None)
    assert {(q.n, q.same) for q in questions} == {(3, 3)}  # every blind rating Met, as the auditor's
    board = make_user(Role.BOARD_VIEWER)
    assert overall(session, board, None).result.n == 3
    with pytest.raises(PermissionDenied):
        agreement_by(session, board, GroupBy.SECTION)
    with pytest.raises(PermissionDenied):
        question_agreement(session, board, None)
    for who in (board, panel, make_user(Role.ADMIN), make_user(Role.SYSTEM_LEADER)):
        with pytest.raises(PermissionDenied, match="panel leads only"):
            agreement_by(session, who, GroupBy.AUDITOR)
    lead = make_user(Role.PANEL_MEMBER)
    lead.leads_panel = True
    session.commit()
    (by_auditor,) = agreement_by(session, lead, GroupBy.AUDITOR)
    assert by_auditor.label == auditor.display_name and by_auditor.result.n == 3
    with pytest.raises(PermissionDenied):
        overall(session, auditor, None)


def test_theme_evidence_withholds_a_blind_audits_answers(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    """The learning group's evidence behind a theme lists answers row by row: a panel member still
    re-grading a sampled audit blind does not get that audit's rows until their own grades are saved."""
    from qaframework.operations.themes import theme_evidence

    audit = checked(session, make_user(), make_case().id, template_version(T1).id, Rating.PARTIALLY_MET)
    panel = make_user(Role.PANEL_MEMBER)
    question = audit.template.questions()[0].id

    def rows(user: User) -> list[int]:
        found = theme_evidence(session, user, template_id=T1, question_id=question, cycle=audit.cycle)
        return [row.audit_id for row in found]

    assert rows(panel) == [audit.id]  # not sampled: nothing to hide
    sample_of(session, panel, audit)
    assert rows(panel) == []
    assert rows(make_user(Role.SYSTEM_LEADER)) == [audit.id]
    save_blind_regrade(session, panel, audit.id, blind_grades(audit))
    assert rows(panel) == [audit.id]
