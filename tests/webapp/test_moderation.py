"""Moderation pages: the blind re-grade leaks nothing of the original (compared in the HTML), every
other page withholds it from a blind panel member, agreement is recorded and shown, and each role
gets only the agreement figures that are theirs."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.framework import AuditStatus, Rating, Role
from qaframework.operations.actions import raise_action
from qaframework.operations.audits import (
    Judgement,
    ResponseInput,
    save_answers,
    save_judgement,
    start_audit,
    submit_audit,
)
from qaframework.store import Action, Audit, ModerationRecord, Sample, SampleItem
from tests.support import ClientAs, MakeCase, MakeUser, TemplateVersionOf
from tests.webapp.journey import check_page, error_links, page

T1 = "t1-coordinator-plan-check"
EVIDENCE = "Evidence-ZQXW-unique"
RATIONALE = "Rationale-KLMN-unique"
SUMMARY = "Summary-PQRS-unique"


@pytest.fixture
def sampled(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> Audit:
    """A submitted Tier 1 check with distinctive ratings, evidence, an overridden grade and a summary,
    drawn into a moderation sample."""
    auditor = make_user(email="auditor.person@example.test")
    audit = start_audit(session, auditor, case_id=make_case().id,
                        template_version_id=template_version(T1).id, subject="final_plan")
    ratings = [Rating.MET, Rating.PARTIALLY_MET, Rating.NOT_MET]
    answers = {q.id: ResponseInput(ratings[i % 3].value, f"{EVIDENCE} {q.id}")
               for i, q in enumerate(audit.template.questions())}
    save_answers(session, auditor, audit.id, audit.version_id, answers)
    grade = "outstanding" if audit.suggested_grade != "outstanding" else "good"
    save_judgement(session, auditor, audit.id, audit.version_id, Judgement(grade, RATIONALE, SUMMARY))
    submit_audit(session, auditor, audit.id, audit.version_id)
    raise_action(session, auditor, audit_id=audit.id, question_id=audit.template.questions()[1].id,
                 description="Quantify the provision.", owner_id=auditor.id, due_date=date.today() + timedelta(days=30))
    sample = Sample(cycle=audit.cycle, kind="audits", seed=1, size=1, criteria={}, created_by_id=auditor.id)
    sample.items = [SampleItem(audit_id=audit.id)]
    session.add(sample)
    session.commit()
    return audit


def _blind_form(audit: Audit, rating: str = "met", grade: str = "good") -> dict[str, str]:
    data = {f"rating-{q.id}": rating for q in audit.template.questions()}
    data |= {f"section-{s.id}": grade for s in audit.template.sections}
    data["overall"] = grade
    return data


def test_blind_page_html_leaks_nothing_of_the_original(client_as: ClientAs, sampled: Audit) -> None:
    client, _ = client_as(Role.PANEL_MEMBER)
    response = client.get(f"/moderation/audits/{sampled.id}")
    soup = page(response)
    html = response.get_data(as_text=True)
    assert soup.h1.get_text(strip=True) == "Re-grade this audit blind"
    for secret in (EVIDENCE, RATIONALE, SUMMARY, sampled.auditor.display_name, "auditor.person"):
        assert secret not in html
    assert " checked" not in html and "selected" not in html  # no rating or grade chosen for them
    hidden = {i["name"] for i in soup.select("input[type=hidden]")}
    assert hidden == {"csrf_token"}
    hrefs = [str(a["href"]) for a in soup.select("a[href]")] + [str(f["action"]) for f in soup.select("form[action]")]
    assert not [h for h in hrefs if re.search(rf"/audits/{sampled.id}(/|$)", h) and "/moderation/" not in h]
    assert not [h for h in hrefs if "/actions/" in h]
    questions = sampled.template.questions()
    assert len(soup.select("input.govuk-radios__input")) >= 3 * len(questions)


@pytest.mark.parametrize("path", [
    "/audits/{id}", "/audits/{id}/report", "/audits/{id}/checklist", "/audits/{id}/sections/{section}",
    "/audits/{id}/judgement", "/audits/{id}/return", "/audits/{id}/grading", "/audits/{id}/actions/new",
])
def test_every_audit_page_is_withheld_until_the_blind_grades_are_saved(
    client_as: ClientAs, sampled: Audit, path: str
) -> None:
    client, _ = client_as(Role.PANEL_MEMBER)
    url = path.format(id=sampled.id, section=sampled.template.sections[0].id)
    response = client.get(url)
    soup = page(response, 403)
    html = response.get_data(as_text=True)
    assert EVIDENCE not in html and RATIONALE not in html and SUMMARY not in html
    assert soup.select_one(f"a[href='/moderation/audits/{sampled.id}']") is not None


def test_lists_case_page_and_action_withhold_the_grade(client_as: ClientAs, sampled: Audit, session: Session) -> None:
    client, _ = client_as(Role.PANEL_MEMBER)
    grade_label = {"outstanding": "Outstanding", "good": "Good"}[sampled.auditor_grade or ""]
    listing = page(client.get("/audits?scope=all"))
    row = next(r for r in listing.select("tbody tr") if sampled.case.case_ref in r.get_text())
    assert "Hidden until you re-grade it" in row.get_text() and grade_label not in row.get_text()
    assert row.select_one("a")["href"] == f"/moderation/audits/{sampled.id}"
    case_page = page(client.get(f"/cases/{sampled.case_id}"))
    text = case_page.get_text(" ")
    assert "Hidden until you re-grade it" in text
    action_id = session.scalar(select(Action.id).where(Action.audit_id == sampled.id))
    response = client.get(f"/actions/{action_id}")
    assert response.status_code == 403 and EVIDENCE not in response.get_data(as_text=True)


def test_blind_save_then_side_by_side_then_agree(client_as: ClientAs, sampled: Audit, session: Session) -> None:
    client, panel = client_as(Role.PANEL_MEMBER)
    url = f"/moderation/audits/{sampled.id}"
    # Missing answers: every problem named, nothing saved.
    soup = page(client.post(url, data={"overall": "good"}), 200)
    links = error_links(soup)
    first = sampled.template.questions()[0].id
    assert links[f"#rating-{first}"] == f"Rate question {first}"
    assert session.scalar(select(ModerationRecord.id)) is None
    response = client.post(url, data=_blind_form(sampled, "met", "requires_improvement"))
    assert response.status_code == 302
    soup = page(client.get(url))
    html = str(soup)
    assert EVIDENCE in html  # the original is shown now
    assert soup.select_one("#overall-grades") is not None
    assert "Ratings differ" in soup.get_text()
    assert soup.select_one("input[name=version]")["value"] == str(sampled.version_id)
    # The audit page is open to them now.
    page(client.get(f"/audits/{sampled.id}"))

    agree = {f"agreed-{s.id}": "requires_improvement" for s in sampled.template.sections}
    agree |= {"agreed-overall": "requires_improvement", "version": str(sampled.version_id)}
    soup = page(client.post(f"{url}/agree", data=agree), 200)
    assert error_links(soup)["#reason-overall"] == "Explain why the agreed overall grade differs from the original"
    agree |= {f"reason-{s.id}": "Provision unquantified." for s in sampled.template.sections}
    agree["reason-overall"] = "Provision unquantified."
    stale = dict(agree, version=str(sampled.version_id - 1))
    soup = page(client.post(f"{url}/agree", data=stale), 409)
    assert "after you opened this page" in error_links(soup)["#agreed-overall"]
    assert client.post(f"{url}/agree", data=agree).status_code == 302
    session.expire_all()
    audit = session.get(Audit, sampled.id)
    assert audit is not None and audit.status == AuditStatus.MODERATED
    assert audit.moderated_grade == "requires_improvement" and audit.auditor_grade == sampled.auditor_grade
    show = page(client.get(f"/audits/{sampled.id}"))
    assert "Moderated" in show.get_text() and show.select_one("#moderated-grade").get_text(strip=True)
    assert "Requires improvement" in show.select_one("#moderated-grade").get_text()
    report = page(client.get(f"/audits/{sampled.id}/report"))
    assert "Requires improvement" in report.get_text()
    assert panel.id in {r.moderator_id for r in session.scalars(select(ModerationRecord))}


def test_who_may_open_the_moderation_pages(client_as: ClientAs, sampled: Audit) -> None:
    for role in (Role.AUDITOR, Role.SYSTEM_LEADER, Role.ADMIN, Role.BOARD_VIEWER):
        client, _ = client_as(role)
        assert client.get(f"/moderation/audits/{sampled.id}").status_code == 403
    client, _ = client_as(Role.PANEL_MEMBER)
    assert client.post(f"/moderation/audits/{sampled.id}/agree", data={}).status_code == 403  # nothing saved yet


def _moderate(client_as: ClientAs, audit: Audit, grade: str) -> None:
    client, _ = client_as(Role.PANEL_MEMBER)
    url = f"/moderation/audits/{audit.id}"
    assert client.post(url, data=_blind_form(audit, "met", grade)).status_code == 302
    agree = {f"agreed-{s.id}": grade for s in audit.template.sections}
    agree |= {f"reason-{s.id}": "Panel view." for s in audit.template.sections}
    agree |= {"agreed-overall": grade, "reason-overall": "Panel view.", "version": str(audit.version_id)}
    assert client.post(f"{url}/agree", data=agree).status_code == 302


def test_agreement_page_by_role(client_as: ClientAs, sampled: Audit, session: Session) -> None:
    _moderate(client_as, sampled, "requires_improvement")
    auditor_name = sampled.auditor.display_name
    board, _ = client_as(Role.BOARD_VIEWER)
    response = board.get("/moderation/agreement")
    soup = page(response)
    html = response.get_data(as_text=True)
    assert soup.select_one("#headline").get_text(" ").split("Moderated audits")[1].split()[0] == "1"
    assert soup.select_one("#trend") is not None and soup.select_one("#by-agency") is not None
    assert soup.select_one("#by-section") is None and soup.select_one("#by-auditor") is None
    assert auditor_name not in html and "Generous" not in html
    caption = soup.select_one("#matrix caption")
    assert caption is not None and soup.select("#matrix th[scope=row]") and soup.select("#matrix th[scope=col]")
    assert board.get("/moderation/agreement/questions").status_code == 403
    assert board.get("/moderation/agreement.csv?by=auditor").status_code == 403
    assert board.get("/moderation/agreement.csv?by=section").status_code == 403
    csv = board.get("/moderation/agreement.csv?by=cycle").get_data(as_text=True)
    header = csv.lstrip("\ufeff").splitlines()[0]
    assert header == "group,n,exact_pct,within_one_pct,kappa_linear,kappa_quadratic,mean_shift"

    member, _ = client_as(Role.PANEL_MEMBER)
    soup = page(member.get("/moderation/agreement"))
    assert soup.select_one("#by-section") is not None and soup.select_one("#by-auditor") is None
    assert auditor_name not in str(soup)
    questions = page(member.get("/moderation/agreement/questions"))
    assert len(questions.select("#questions tbody tr")) == len(sampled.template.questions())

    lead, lead_user = client_as(Role.PANEL_MEMBER)
    lead_user.leads_panel = True
    session.commit()
    soup = page(lead.get("/moderation/agreement"))
    row = soup.select_one("#by-auditor tbody tr")
    assert row is not None and auditor_name in row.get_text()
    assert lead.get("/moderation/agreement.csv?by=auditor").status_code == 200

    for role in (Role.AUDITOR,):
        client, _ = client_as(role)
        assert client.get("/moderation/agreement").status_code == 403


def test_navigation_offers_moderation_to_its_roles(client_as: ClientAs) -> None:
    for role, shown in ((Role.PANEL_MEMBER, True), (Role.BOARD_VIEWER, True), (Role.AUDITOR, False)):
        client, _ = client_as(role)
        nav = check_page(client.get("/")).select(".govuk-service-navigation__link")
        assert ("Moderation" in [a.get_text(strip=True) for a in nav]) is shown
