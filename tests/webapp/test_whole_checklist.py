"""The whole checklist on one page: every question, one save, the same refusals as a section."""

from __future__ import annotations

from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.audits import start_audit
from qaframework.store import Audit, User
from tests.support import ClientAs, MakeCase, MakeUser, TemplateVersionOf
from tests.webapp.pagecheck import check_page


def _draft(session: Session, auditor: User, make_case: MakeCase, template_version: TemplateVersionOf) -> Audit:
    return start_audit(session, auditor, case_id=make_case().id,
                       template_version_id=template_version("t1-coordinator-plan-check").id, subject="final_plan")


def _all_met(audit: Audit, version: int) -> dict[str, str]:
    form = {"version": str(version), "next": "stay"}
    for q in audit.template.questions():
        form[f"rating-{q.id}"] = "met"
        form[f"evidence-{q.id}"] = f"Evidence for {q.id}"
    return form


def test_one_page_shows_every_question_and_saves_them(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, auditor = client_as(Role.AUDITOR)
    audit = _draft(session, auditor, make_case, template_version)
    soup = check_page(client.get(f"/audits/{audit.id}/checklist"))
    questions = len(audit.template.questions())
    assert questions == 64  # the full Tier 1 check, version 2
    assert len(soup.select("fieldset input[type=radio][value=met]")) == questions
    assert len(soup.select("h2[id^=section-]")) == len(audit.template.sections)
    response = client.post(f"/audits/{audit.id}/checklist", data=_all_met(audit, audit.version_id))
    assert response.status_code == 302
    session.refresh(audit)
    assert len(audit.responses) == questions and audit.suggested_grade == "good"
    assert "Suggested overall grade: Good" in check_page(client.get(response.headers["Location"])).get_text()


def test_stale_save_on_the_one_page_view_is_a_conflict(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, auditor = client_as(Role.AUDITOR)
    audit = _draft(session, auditor, make_case, template_version)
    opened = audit.version_id
    assert client.post(f"/audits/{audit.id}/checklist", data=_all_met(audit, opened)).status_code == 302
    mine = _all_met(audit, opened)
    first = audit.template.questions()[0].id
    mine[f"rating-{first}"] = "not_met"
    response = client.post(f"/audits/{audit.id}/checklist", data=mine)
    assert response.status_code == 409
    soup = check_page(response)
    form = soup.select_one("form#checklist-form")
    assert form["action"] == f"/audits/{audit.id}/checklist"
    assert soup.select_one(f"input[name=rating-{first}][value=not_met]").has_attr("checked")  # their input kept
    session.refresh(audit)
    assert {r.question_id: r.rating for r in audit.responses}[first] == "met"


def test_tampered_rating_is_refused_with_input_kept(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, auditor = client_as(Role.AUDITOR)
    audit = _draft(session, auditor, make_case, template_version)
    form = _all_met(audit, audit.version_id)
    first = audit.template.questions()[0].id
    form[f"rating-{first}"] = "excellent"
    response = client.post(f"/audits/{audit.id}/checklist", data=form)
    assert response.status_code == 400
    soup = check_page(response)
    assert soup.select_one(".govuk-error-summary a")["href"] == f"#rating-{first}"
    assert soup.select_one(f"textarea[name=evidence-{first}]").get_text() == f"Evidence for {first}"
    session.refresh(audit)
    assert audit.responses == []


def test_other_agency_cannot_open_it(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf, make_user: MakeUser
) -> None:
    audit = _draft(session, make_user(), make_case, template_version)
    client, _ = client_as(Role.AUDITOR, agency="health")
    assert client.get(f"/audits/{audit.id}/checklist").status_code == 403
