"""Compliance read from stored audits and their case's dates; the per-audit figures the board
pack uses; the refusal-decision subject startable only on refused requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_template_file, shipped_rules
from qaframework.checklists.model import GRADING_RULES_CONTEXT, Template
from qaframework.framework import AuditStatus, Role
from qaframework.operations.audits import ResponseInput, save_answers, start_audit, submit_audit
from qaframework.operations.base import InvalidInput, PermissionDenied
from qaframework.operations.compliance import (
    AuditCompliance,
    audit_compliance,
    compliance_by_audit,
    standing_of,
)
from qaframework.operations.templates import sync_templates
from qaframework.store import Case, Review, TemplateVersion, User
from tests.support import all_met

TODAY = date(2026, 11, 27)
RULED = "t1-ruled-check"


def ruled_template() -> Template:
    """The v1 coordinator check graded with plan-quality v2, with breach codes on two questions."""
    data = load_template_file(DEFAULT_TEMPLATE_DIR / "t1-coordinator-plan-check.v1.yaml").model_dump(mode="json")
    data["id"], data["grading"] = RULED, "plan-quality.v2"
    for section in data["sections"]:
        for question in section["questions"]:
            question["breach"] = {"T1-A-01": "views_missing", "T1-P-03": "issued_late"}.get(question["id"])
    return Template.model_validate(data, context={GRADING_RULES_CONTEXT: shipped_rules()})


@pytest.fixture
def ruled(session: Session) -> TemplateVersion:
    sync_templates(session, None, [ruled_template()])
    return session.query(TemplateVersion).filter_by(template_id=RULED).one()


def issue_late(case: Case, days: int = 210) -> None:
    request = case.requests[-1]
    request.decision_to_assess_date = request.request_date + timedelta(days=40)
    request.outcome = "issued"
    request.final_issued_date = request.request_date + timedelta(days=days)


def audit_with(
    session: Session, author: User, case: Case, tv: TemplateVersion, changes: dict[str, str], submit: bool = True
) -> int:
    audit = start_audit(session, author, case_id=case.id, template_version_id=tv.id, subject="final_plan", today=TODAY)
    answers = all_met(audit.template)
    answers.update({qid: ResponseInput(rating, "Seen in the plan.") for qid, rating in changes.items()})
    save_answers(session, author, audit.id, audit.version_id, answers)
    if submit:
        submit_audit(session, author, audit.id, audit.version_id)
    return audit.id


def test_breaches_from_answers_and_dates_for_a_stored_audit(
    session: Session, make_user: Callable[..., User], make_case: Callable[..., Case], ruled: TemplateVersion
) -> None:
    author = make_user(Role.AUDITOR)
    case = make_case()
    issue_late(case)
    session.commit()
    audit_id = audit_with(session, author, case, ruled, {"T1-A-01": "not_met"})
    result = audit_compliance(session, author, audit_id, TODAY)
    assert result.codes == ["views_missing", "issued_late"]
    views, late = result.breaches
    assert views.question_ids == ("T1-A-01",) and views.from_dates is None
    assert late.question_ids == () and late.from_dates == "final plan issued on day 210 (week 30) of the 20-week limit"


def test_standing_names_the_rule_and_why_the_suggestion_was_held(
    session: Session,
    make_user: Callable[..., User],
    make_case: Callable[..., Case],
    ruled: TemplateVersion,
    template_version: Callable[[str], TemplateVersion],
) -> None:
    author = make_user(Role.AUDITOR)
    audit_id = audit_with(session, author, make_case(), ruled, {"T1-A-01": "not_met"}, submit=False)
    from qaframework.operations.audits import get_audit

    audit = get_audit(session, author, audit_id)
    assert audit.suggested_grade == "requires_improvement"
    standing = standing_of(audit, TODAY)
    assert standing.rule_name == "Rule plan-quality v2"
    assert standing.rule_summary == ruled.template.grading.rule.summary
    assert standing.held_by == ("1 statutory question Not met: overall at most Requires improvement",)
    # The same answers on the v1 checklist: Good, with its own inline rules and nothing held down.
    v1 = session.query(TemplateVersion).filter_by(template_id="t1-coordinator-plan-check", version=1).one()
    v1_id = audit_with(session, author, make_case(), v1, {"T1-A-01": "not_met"}, submit=False)
    v1_audit = get_audit(session, author, v1_id)
    assert v1_audit.suggested_grade == "good"
    assert standing_of(v1_audit, TODAY).rule_name == "Rules written in this checklist (v1)"
    assert standing_of(v1_audit, TODAY).held_by == ()


def test_a_review_that_lapsed_is_a_breach_of_an_annual_review_audit(
    session: Session,
    make_user: Callable[..., User],
    make_case: Callable[..., Case],
    template_version: Callable[[str], TemplateVersion],
) -> None:
    panel = make_user(Role.PANEL_MEMBER)
    case = make_case(request_date=date(2024, 1, 8))
    issue_late(case, days=100)  # on time: the plan was issued on 17 April 2024
    case.reviews.append(Review(meeting_date=date(2025, 3, 1), decision_date=date(2025, 3, 20)))
    session.commit()
    tv = template_version("t3-annual-review")
    audit = start_audit(
        session, panel, case_id=case.id, template_version_id=tv.id, subject="annual_review", today=TODAY
    )
    result = audit_compliance(session, panel, audit.id, TODAY)
    assert result.codes == ["review_lapsed"]
    assert result.breaches[0].from_dates == "no review concluded by 19 March 2026"


def test_board_figures_list_every_finished_audit_with_its_breaches(
    session: Session,
    make_user: Callable[..., User],
    make_case: Callable[..., Case],
    ruled: TemplateVersion,
) -> None:
    author = make_user(Role.AUDITOR, agency="send_service")
    late_case = make_case()
    issue_late(late_case)
    session.commit()
    breached = audit_with(session, author, late_case, ruled, {"T1-A-01": "not_met"})
    clean = audit_with(session, author, make_case(), ruled, {})
    draft = audit_with(session, author, make_case(), ruled, {"T1-A-01": "not_met"}, submit=False)
    board = make_user(Role.BOARD_VIEWER)
    rows = {r.audit_id: r for r in compliance_by_audit(session, board, TODAY, tiers=[1])}
    assert draft not in rows
    assert rows[breached] == AuditCompliance(
        audit_id=breached,
        tier=1,
        template=f"{RULED}@v1",
        grading_rule="plan-quality.v2",
        subject="final_plan",
        agency_code="send_service",
        cycle=rows[breached].cycle,
        status=AuditStatus.SUBMITTED.value,
        grade="requires_improvement",
        compliant=False,
        breaches=("views_missing", "issued_late"),
    )
    assert (rows[clean].compliant, rows[clean].breaches, rows[clean].grade) == (True, (), "good")
    other_agency = make_user(Role.AUDITOR, agency="health")
    assert [r.audit_id for r in compliance_by_audit(session, other_agency, TODAY) if r.audit_id in rows] == []
    same_agency = make_user(Role.AUDITOR, agency="send_service")
    assert {breached, clean} <= {r.audit_id for r in compliance_by_audit(session, same_agency, TODAY)}
    board.active = False
    session.commit()
    with pytest.raises(PermissionDenied):
        compliance_by_audit(session, board, TODAY)


class TestRefusalDecision:
    def test_cannot_be_started_on_a_case_without_a_refused_request(
        self,
        session: Session,
        make_user: Callable[..., User],
        make_case: Callable[..., Case],
        template_version: Callable[[str], TemplateVersion],
    ) -> None:
        from qaframework.operations.audits import subject_problem

        case = make_case()
        assert subject_problem(case, "refusal_decision") == (
            f"Case {case.case_ref} has no request that was refused to assess or to issue, so there is no "
            "refusal decision to audit. Choose what else you are auditing"
        )
        assert subject_problem(case, "final_plan") is None
        case.requests[-1].outcome = "refused_to_assess"
        session.commit()
        assert subject_problem(case, "refusal_decision") is None

    def test_start_pins_the_refused_request_and_refuses_any_other(
        self,
        session: Session,
        make_user: Callable[..., User],
        make_case: Callable[..., Case],
    ) -> None:
        data = load_template_file(DEFAULT_TEMPLATE_DIR / "t3-annual-review.v1.yaml").model_dump(mode="json")
        data["id"], data["subjects"] = "t3-refusal-test", ["refusal_decision"]
        sync_templates(session, None, [Template.model_validate(data)])
        tv = session.query(TemplateVersion).filter_by(template_id="t3-refusal-test").one()
        panel = make_user(Role.PANEL_MEMBER)
        case = make_case()
        with pytest.raises(InvalidInput) as refused:
            start_audit(
                session, panel, case_id=case.id, template_version_id=tv.id, subject="refusal_decision", today=TODAY
            )
        assert refused.value.errors[0].field == "subject"
        first = case.requests[-1]
        first.outcome = "refused_to_issue"
        first.decision_to_assess_date = first.request_date + timedelta(days=30)
        first.assessment_outcome_date = first.request_date + timedelta(days=100)
        from qaframework.store import Request

        later = Request(request_date=first.request_date + timedelta(days=200), outcome="in_progress")
        case.requests.append(later)
        session.commit()
        audit = start_audit(
            session, panel, case_id=case.id, template_version_id=tv.id, subject="refusal_decision", today=TODAY
        )
        assert audit.request_id == first.id
        with pytest.raises(InvalidInput, match="Only a request that was refused"):
            start_audit(
                session,
                panel,
                case_id=case.id,
                template_version_id=tv.id,
                subject="refusal_decision",
                request_id=later.id,
                today=TODAY,
            )
