"""What the pages say about grading: the rule that applied, why the suggestion was held down,
the statutory compliance beside the grade, and the guidance page explaining the rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_template_file, shipped_rules
from qaframework.checklists.model import GRADING_RULES_CONTEXT, Template
from qaframework.framework import Role
from qaframework.operations.audits import ResponseInput, save_answers, start_audit, submit_audit
from qaframework.operations.templates import sync_templates
from qaframework.store import Case, TemplateVersion, User
from tests.support import all_met
from tests.webapp.journey import check_page, error_summary

RULED = "t1-ruled-pages"


@pytest.fixture
def ruled(session: Session) -> TemplateVersion:
    """The v1 coordinator check graded with plan-quality v2, with breach codes on two questions."""
    data = load_template_file(DEFAULT_TEMPLATE_DIR / "t1-coordinator-plan-check.v1.yaml").model_dump(mode="json")
    data["id"], data["title"], data["grading"] = RULED, "Plan check graded with the shared rule", "plan-quality.v2"
    for section in data["sections"]:
        for question in section["questions"]:
            question["breach"] = {"T1-A-01": "views_missing", "T1-P-03": "issued_late"}.get(question["id"])
    sync_templates(session, None, [Template.model_validate(data, context={GRADING_RULES_CONTEXT: shipped_rules()})])
    return session.query(TemplateVersion).filter_by(template_id=RULED).one()


@pytest.fixture
def late_case(make_case: Callable[..., Case], session: Session) -> Case:
    case = make_case()
    request = case.requests[-1]
    request.decision_to_assess_date = request.request_date + timedelta(days=40)
    request.outcome, request.final_issued_date = "issued", request.request_date + timedelta(days=210)
    session.commit()
    return case


def started(
    session: Session, user: User, case: Case, tv: TemplateVersion, not_met: tuple[str, ...], submit: bool
) -> int:
    audit = start_audit(session, user, case_id=case.id, template_version_id=tv.id, subject="final_plan")
    answers = all_met(audit.template)
    answers.update({qid: ResponseInput("not_met", "Not in the plan.") for qid in not_met})
    save_answers(session, user, audit.id, audit.version_id, answers)
    if submit:
        submit_audit(session, user, audit.id, audit.version_id)
    return audit.id


def text_of(soup: object, element_id: str) -> str:
    element = soup.find(id=element_id)  # type: ignore[attr-defined]
    assert element is not None, element_id
    return " ".join(element.get_text(" ", strip=True).split())


EXPECTED_COMPLIANCE = (
    "Statutory compliance: 2 breaches – The child's or family's views are missing; "
    "The final plan was issued after 20 weeks"
)


def test_audit_page_report_and_check_page_show_compliance_beside_the_grade_and_the_rule(
    client_as: Callable[..., tuple[FlaskClient, User]], session: Session, ruled: TemplateVersion, late_case: Case
) -> None:
    client, user = client_as(Role.AUDITOR, agency="send_service")
    audit_id = started(session, user, late_case, ruled, ("T1-A-01",), submit=False)
    summary = ruled.template.grading.rule.summary
    pages = {
        "audit": check_page(client.get(f"/audits/{audit_id}")),
        "check": check_page(client.get(f"/audits/{audit_id}/submit")),
        "report": check_page(client.get(f"/audits/{audit_id}/report")),
    }
    for name, soup in pages.items():
        compliance = text_of(soup, "statutory-compliance")
        assert compliance.startswith(EXPECTED_COMPLIANCE), name
        assert (
            "The child's or family's views are missing (SEND Regs 2014 reg 12(1)(a); CFA 2014 s19): Not met on T1-A-01"
            in compliance
        )
        assert (
            "The final plan was issued after 20 weeks (SEND Regs 2014 reg 13(2)): the case's dates show "
            "final plan issued on day 210 (week 30) of the 20-week limit"
        ) in compliance
        rule = text_of(soup, "grading-rule")
        assert rule.startswith(f"Graded with rule plan-quality v2: {summary}"), name
        assert (
            "The overall suggestion is held down by: "
            "1 statutory question Not met: overall at most Requires improvement."
            in rule
        )
    assert "Requires improvement" in text_of(pages["audit"], "suggested-grade")


def test_a_v1_audit_says_its_rules_are_written_in_the_checklist(
    client_as: Callable[..., tuple[FlaskClient, User]],
    session: Session,
    make_case: Callable[..., Case],
    template_version: Callable[[str], TemplateVersion],
) -> None:
    v1 = session.query(TemplateVersion).filter_by(template_id="t1-coordinator-plan-check", version=1).one()
    client, user = client_as(Role.AUDITOR, agency="send_service")
    audit_id = started(session, user, make_case(), v1, ("T1-A-01",), submit=True)
    soup = check_page(client.get(f"/audits/{audit_id}"))
    assert text_of(soup, "grading-rule").startswith("Rules written in this checklist (v1)")
    assert "held down" not in text_of(soup, "grading-rule")
    assert text_of(soup, "statutory-compliance") == (
        "Statutory compliance: no breaches found in the answers or the case's dates"
    )
    assert "Good" in text_of(soup, "suggested-grade")


def test_the_guidance_page_explains_the_rule_from_its_file_and_is_linked_from_sections_and_judgement(
    client_as: Callable[..., tuple[FlaskClient, User]], session: Session, ruled: TemplateVersion, late_case: Case
) -> None:
    client, user = client_as(Role.AUDITOR, agency="send_service")
    audit_id = started(session, user, late_case, ruled, (), submit=False)
    guide = f"/audits/{audit_id}/grading"
    first_section = ruled.template.sections[0].id
    for page in (f"/audits/{audit_id}/sections/{first_section}", f"/audits/{audit_id}/judgement"):
        link = check_page(client.get(page)).select_one("#grading-guide-link a")
        assert link is not None and link["href"] == guide, page
    soup = check_page(client.get(guide))
    rule = shipped_rules()["plan-quality.v2"]
    assert rule is not None
    assert text_of(soup, "rule-description") == " ".join(rule.description.split())
    rules = [li.get_text(" ", strip=True) for li in soup.select("#rules-in-full li")]
    assert (
        "Any Not met answer on a statutory question, anywhere in the checklist: "
        "the overall grade is at most Requires improvement."
        in rules
    )
    assert (
        "3 or more Partially met answers on statutory questions, anywhere in the checklist: "
        "the overall grade is at most Requires improvement."
        in rules
    )
    breaches = [li.get_text(" ", strip=True) for li in soup.select("#breach-questions li")]
    assert breaches == [
        "T1-A-01 The child's or family's views are missing (SEND Regs 2014 reg 12(1)(a); CFA 2014 s19)",
        "T1-P-03 The final plan was issued after 20 weeks (SEND Regs 2014 reg 13(2))",
    ]
    assert [li.get_text(" ", strip=True) for li in soup.select("#date-checks li")] == [
        "The final plan was issued after 20 weeks (SEND Regs 2014 reg 13(2))",
        "The plan was not reviewed within 12 months (CFA 2014 s44)",
        "Advice was given after 6 weeks (SEND Regs 2014 reg 8)",
    ]


def test_the_guidance_page_needs_permission_to_see_the_audit(
    client_as: Callable[..., tuple[FlaskClient, User]], session: Session, ruled: TemplateVersion, late_case: Case
) -> None:
    _, author = client_as(Role.AUDITOR, agency="send_service")
    audit_id = started(session, author, late_case, ruled, (), submit=False)
    other, _ = client_as(Role.AUDITOR, agency="health")
    assert other.get(f"/audits/{audit_id}/grading").status_code == 403
    board, _ = client_as(Role.BOARD_VIEWER)
    assert board.get(f"/audits/{audit_id}/grading").status_code == 403


def test_starting_a_refusal_audit_on_a_case_without_a_refusal_is_refused_at_step_one(
    client_as: Callable[..., tuple[FlaskClient, User]], make_case: Callable[..., Case], session: Session
) -> None:
    client, _ = client_as(Role.PANEL_MEMBER)
    case = make_case()
    soup = check_page(client.get(f"/audits/new?case_ref={case.case_ref}&subject=refusal_decision"))
    assert error_summary(soup) == [
        (
            (
                f"Case {case.case_ref} has no request that was refused to assess or to issue, so there is no refusal "
                "decision to audit. Choose what else you are auditing"
            ),
            "#subject",
        )
    ]
    offered = [i["value"] for i in soup.select("input[name=subject]")]
    assert "refusal_decision" in offered
    case.requests[-1].outcome = "refused_to_assess"
    case.requests[-1].decision_to_assess_date = case.requests[-1].request_date + timedelta(days=30)
    session.commit()
    soup = check_page(client.get(f"/audits/new?case_ref={case.case_ref}&subject=refusal_decision"))
    assert error_summary(soup) == []


def test_the_admin_template_page_explains_the_same_rule(
    client_as: Callable[..., tuple[FlaskClient, User]], ruled: TemplateVersion, session: Session
) -> None:
    admin, _ = client_as(Role.ADMIN)
    soup = check_page(admin.get(f"/admin/templates/{ruled.id}"))
    rule = shipped_rules()["plan-quality.v2"]
    assert rule is not None
    assert text_of(soup, "rule-summary") == f"Rule plan-quality v2: {rule.title}. {rule.summary}"
    v1 = session.query(TemplateVersion).filter_by(template_id="t1-coordinator-plan-check", version=1).one()
    soup = check_page(admin.get(f"/admin/templates/{v1.id}"))
    assert text_of(soup, "rule-summary").startswith("Rules written in this checklist (v1).")
    assert "Partially met on a statutory question: the section is at most Requires improvement." in [
        li.get_text(" ", strip=True) for li in soup.select("#rules-in-full li")
    ]
