"""Tier 3 panel audits in the library: members present edit one shared audit, each agency's
contribution is graded and required at submit, and the plan's lower-tier audits are found."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.contributions import NOT_INVOLVED, ContributionInput, contribution_section
from qaframework.framework import AuditStatus, Role
from qaframework.operations.audits import (
    ResponseInput,
    save_answers,
    start_audit,
    submit_audit,
)
from qaframework.operations.base import InvalidInput, NotFound, PermissionDenied, StaleEdit, WorkflowError
from qaframework.operations.drafts import discard_draft
from qaframework.operations.panel_audits import (
    active_agencies,
    contributions_of,
    lower_tier_audits,
    panel_candidates,
    record_participant,
    remove_participant,
    save_contributions,
)
from qaframework.store import Agency, Audit, TrailEntry, User
from qaframework.trail_text import fingerprint, trail_key
from tests.support import T1, MakeCase, MakeUser, TemplateVersionOf, all_met, refreshed, submitted_check

T3 = "t3-multi-agency-new-plan"


@pytest.fixture
def panel_audit(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> tuple[User, Audit]:
    chair = make_user(Role.PANEL_MEMBER)
    audit = start_audit(session, chair, case_id=make_case().id, template_version_id=template_version(T3).id,
                        subject="final_plan")
    return chair, audit


def grade_every_agency(session: Session, actor: User, audit: Audit, grade: str = "good") -> Audit:
    given = {a.code: ContributionInput(grade, "Advice specific and on time.") for a in active_agencies(session)}
    return save_contributions(session, actor, audit.id, audit.version_id, given)


def test_the_panel_member_who_starts_it_is_recorded_as_present(
    session: Session, panel_audit: tuple[User, Audit]
) -> None:
    chair, audit = panel_audit
    assert [(p.user_id, p.agency_code) for p in audit.participants] == [(chair.id, None)]


def test_members_present_edit_the_shared_audit_and_others_cannot(
    session: Session, panel_audit: tuple[User, Audit], make_user: MakeUser
) -> None:
    chair, audit = panel_audit
    health = make_user(Role.AUDITOR, agency="health")
    bystander = make_user(Role.PANEL_MEMBER)
    record_participant(session, chair, audit.id, health.id)
    first = audit.template.questions()[0].id

    saved = save_answers(session, health, audit.id, audit.version_id, {first: ResponseInput("met", "Traced A2 to F3.")})
    assert {r.question_id: r.rating for r in saved.responses} == {first: "met"}

    with pytest.raises(PermissionDenied, match="members recorded as present"):
        save_answers(session, bystander, audit.id, saved.version_id, {first: ResponseInput("not_met", "x")})
    with pytest.raises(PermissionDenied, match="members recorded as present"):
        submit_audit(session, bystander, audit.id, saved.version_id)


def test_a_second_member_saving_from_an_old_page_gets_a_conflict(
    session: Session, panel_audit: tuple[User, Audit], make_user: MakeUser
) -> None:
    chair, audit = panel_audit
    colleague = make_user(Role.PANEL_MEMBER)
    record_participant(session, chair, audit.id, colleague.id, "education")
    opened = audit.version_id
    first, second = (q.id for q in audit.template.questions()[:2])
    save_answers(session, chair, audit.id, opened, {first: ResponseInput("met", "Chair's evidence.")})
    with pytest.raises(StaleEdit) as stale:
        save_answers(session, colleague, audit.id, opened, {second: ResponseInput("not_met", "Colleague's.")})
    assert chair.display_name in stale.value.changed_by
    assert {r.question_id for r in refreshed(session, audit).responses} == {first}


def test_recording_who_is_present(session: Session, panel_audit: tuple[User, Audit], make_user: MakeUser) -> None:
    chair, audit = panel_audit
    health = make_user(Role.AUDITOR, agency="health")
    leader = make_user(Role.SYSTEM_LEADER)
    admin = make_user(Role.ADMIN)
    gone = make_user(Role.PANEL_MEMBER)
    gone.active = False
    session.commit()

    version = audit.version_id
    record_participant(session, chair, audit.id, health.id)  # their own agency
    with pytest.raises(InvalidInput, match="has no agency of their own"):
        record_participant(session, chair, audit.id, leader.id)
    record_participant(session, chair, audit.id, leader.id, "childrens_social_care")
    record_participant(session, chair, audit.id, chair.id, "send_service")  # the chair's own agency, recorded
    for refused in (admin, gone):
        with pytest.raises(InvalidInput, match="Choose a panel member"):
            record_participant(session, chair, audit.id, refused.id, "health")
    with pytest.raises(InvalidInput, match="Choose an agency"):
        record_participant(session, chair, audit.id, leader.id, "nonsense")

    audit = refreshed(session, audit)
    assert {(p.user_id, p.agency_code) for p in audit.participants} == {
        (chair.id, "send_service"), (health.id, "health"), (leader.id, "childrens_social_care")}
    assert audit.version_id == version, "who is present is not part of the answers: no conflict for others"
    assert health not in panel_candidates(session, audit) and admin not in panel_candidates(session, audit)
    assert leader.id not in {u.id for u in panel_candidates(session, audit)}
    trail = session.scalars(select(TrailEntry).where(TrailEntry.action == "audit.participant",
                                                     TrailEntry.entity_id == str(audit.id))).all()
    assert [t.after["agency_code"] for t in trail] == ["health", "childrens_social_care", "send_service"]
    assert trail[-1].before == {"user_id": chair.id, "agency_code": None}

    with pytest.raises(WorkflowError, match="started this audit"):
        remove_participant(session, health, audit.id, chair.id)
    remove_participant(session, health, audit.id, leader.id)
    with pytest.raises(NotFound):
        remove_participant(session, health, audit.id, leader.id)
    with pytest.raises(PermissionDenied):  # no longer present, so no longer an editor
        save_answers(session, leader, audit.id, audit.version_id, {})


def test_agency_contributions_are_saved_checked_and_versioned(
    session: Session, panel_audit: tuple[User, Audit]
) -> None:
    chair, audit = panel_audit
    opened = audit.version_id
    with pytest.raises(InvalidInput) as refused:
        save_contributions(session, chair, audit.id, opened, {
            "health": ContributionInput(NOT_INVOLVED, "  "),
            "education": ContributionInput("brilliant"),
            "police": ContributionInput("good"),
        })
    assert {e.field: e.message for e in refused.value.errors} == {
        "contribution-health-note": "Say why Health was not involved",
        "contribution-education": "Choose a grade for Education and educational psychology from the list",
        "contribution-police": "police is not one of the area's agencies",
    }
    saved = save_contributions(session, chair, audit.id, opened, {
        "health": ContributionInput("requires_improvement", "Needs in general terms."),
        "adult_social_care": ContributionInput(NOT_INVOLVED, "The child is 9."),
        "education": ContributionInput(None, ""),  # untouched: nothing stored
    })
    assert saved.version_id > opened
    assert {c.agency_code: (c.grade, c.involved, c.note) for c in saved.contributions} == {
        "health": ("requires_improvement", True, "Needs in general terms."),
        "adult_social_care": (None, False, "The child is 9."),
    }
    assert contributions_of(saved)["adult_social_care"] == ContributionInput(NOT_INVOLVED, "The child is 9.")
    entry = session.scalars(select(TrailEntry).where(TrailEntry.action == "audit.save",
                                                     TrailEntry.entity_id == str(audit.id))).one()
    assert entry.after["contribution:health"] == {"grade": "requires_improvement", "involved": True,
                                                  "note": fingerprint(trail_key(session), "Needs in general terms.")}
    with pytest.raises(StaleEdit):
        save_contributions(session, chair, audit.id, opened, {"health": ContributionInput("good")})


def test_submit_needs_every_agency_graded_and_every_members_agency(
    session: Session, panel_audit: tuple[User, Audit], make_user: MakeUser
) -> None:
    chair, audit = panel_audit
    health = make_user(Role.AUDITOR, agency="health")
    record_participant(session, chair, audit.id, health.id)
    audit = save_answers(session, chair, audit.id, audit.version_id, all_met(audit.template))
    with pytest.raises(InvalidInput) as refused:
        submit_audit(session, health, audit.id, audit.version_id)
    fields = [e.field for e in refused.value.errors]
    agencies = [a.code for a in active_agencies(session)]
    assert fields == [f"participant-{chair.id}"] + [f"contribution-{code}" for code in agencies]
    assert refused.value.errors[0].message == f"Record which agency {chair.display_name} represents at the panel"

    record_participant(session, chair, audit.id, chair.id, "send_service")
    audit = save_contributions(session, health, audit.id, refreshed(session, audit).version_id, {
        code: ContributionInput("good", "Clear.") for code in agencies if code != "adult_social_care"
    })
    with pytest.raises(InvalidInput) as refused:
        submit_audit(session, health, audit.id, audit.version_id)
    assert [e.message for e in refused.value.errors] == [
        "Grade Adult social care's contribution, or mark it not involved with a reason"]

    audit = save_contributions(session, health, audit.id, audit.version_id,
                               {"adult_social_care": ContributionInput(NOT_INVOLVED, "The child is 9.")})
    # An agency the area has since retired is no longer asked for.
    retired = session.get(Agency, "adult_social_care")
    assert retired is not None
    retired.active = False
    session.commit()
    submitted = submit_audit(session, health, audit.id, audit.version_id)  # any member present submits
    assert submitted.status == AuditStatus.SUBMITTED


def test_the_contribution_section_is_the_one_that_asks_for_it(template_version: TemplateVersionOf) -> None:
    expected = {"t3-multi-agency-new-plan": "advice", "t3-annual-review": "arrangements",
                "t3-refusal-decision-audit": "legal-test"}
    for template_id, section_id in expected.items():
        section = contribution_section(template_version(template_id).template)
        assert section is not None and section.id == section_id, template_id
    assert contribution_section(template_version(T1).template) is None


def test_lower_tier_audits_of_the_same_plan(
    session: Session, panel_audit: tuple[User, Audit], make_user: MakeUser, make_case: MakeCase,
    template_version: TemplateVersionOf,
) -> None:
    chair, audit = panel_audit
    auditor = make_user(Role.AUDITOR, agency="send_service")
    t1 = template_version(T1).id
    done = submitted_check(session, auditor, audit.case_id, t1)
    submitted_check(session, auditor, audit.case_id, t1, submit=False)  # a draft is still the auditor's
    submitted_check(session, auditor, make_case().id, t1)  # another case
    assert [a.id for a in lower_tier_audits(session, chair, audit)] == [done.id]
    assert lower_tier_audits(session, auditor, done) == []  # a Tier 1 check has none


def test_discarding_a_panel_draft_keeps_who_was_there_in_the_trail(
    session: Session, panel_audit: tuple[User, Audit]
) -> None:
    chair, audit = panel_audit
    record_participant(session, chair, audit.id, chair.id, "send_service")
    save_contributions(session, chair, audit.id, refreshed(session, audit).version_id,
                       {"health": ContributionInput("good", "Clear.")})
    discard_draft(session, chair, audit.id)
    entry = session.scalars(select(TrailEntry).where(TrailEntry.action == "audit.discard")).one()
    assert entry.before["participants"] == [{"user_id": chair.id, "agency_code": "send_service"}]
    kept_note = fingerprint(trail_key(session), "Clear.")
    assert entry.before["contributions"] == {"health": {"grade": "good", "involved": True, "note": kept_note}}
