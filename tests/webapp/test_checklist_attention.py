"""Missing evidence and reasons are shown where the answer is given, as soon as it is saved:
on the question, at the top of the section page, and on the audit's task list."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from qaframework.checklists.model import Template
from qaframework.framework import Role
from qaframework.store import User
from tests.support import T1, ClientAs, MakeCase, TemplateVersionOf
from tests.webapp.journey import answers_for, check_page, open_form, start_via_pages


def _started(
    client_as: ClientAs, make_case: MakeCase, template_version: TemplateVersionOf
) -> tuple[FlaskClient, User, int, Template]:
    client, user = client_as(Role.AUDITOR, agency="send_service", team="North")
    case = make_case()
    return client, user, start_via_pages(client, case.case_ref), template_version(T1).template


def test_not_met_without_evidence_is_marked_on_the_question_and_the_task_list(
    client_as: ClientAs, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, _, audit_id, template = _started(client_as, make_case, template_version)
    section = template.sections[0]
    first, second = section.questions[0].id, section.questions[1].id
    url = f"/audits/{audit_id}/sections/{section.id}"
    _, data, action = open_form(client, url, "form#checklist-form")
    data.update(answers_for(section), next="stay")
    data[f"rating-{first}"], data[f"evidence-{first}"] = "not_met", ""
    data[f"rating-{second}"], data[f"evidence-{second}"] = "partially_met", "  "
    assert client.post(action, data=data).status_code == 302  # a draft may be incomplete: it saves

    soup = check_page(client.get(url))
    banner = soup.select_one("#needs-attention")
    assert banner is not None, "the section page should list what still needs evidence"
    assert "2 answers on this page need more before you can submit" in banner.get_text(" ", strip=True)
    links = {a["href"]: a.get_text(strip=True) for a in banner.select("a")}
    assert links == {
        f"#evidence-{first}": f"Give the evidence for rating {first} as not met",
        f"#evidence-{second}": f"Give the evidence for rating {second} as partially met",
    }
    # The question itself carries a GOV.UK inline error on the evidence box.
    group = soup.select_one(f"#evidence-{first}").find_parent("div", class_="govuk-form-group")
    assert "govuk-form-group--error" in group["class"]
    assert (
        soup.select_one(f"#evidence-{first}-error").get_text(" ", strip=True)
        == f"Error: Give the evidence for rating {first} as not met"
    )
    assert f"evidence-{first}-error" in soup.select_one(f"#evidence-{first}")["aria-describedby"]
    assert soup.select_one(f"#evidence-{section.questions[2].id}-error") is None  # Met with evidence: fine

    overview = check_page(client.get(f"/audits/{audit_id}"))
    row = next(li for li in overview.select(".govuk-task-list__item") if section.title in li.get_text())
    assert "Needs attention" in row.select_one(".govuk-task-list__status").get_text()
    assert "2 need evidence or a reason" in row.get_text(" ", strip=True)

    # The same marks on the one-page checklist.
    whole = check_page(client.get(f"/audits/{audit_id}/checklist"))
    assert whole.select_one(f"#evidence-{first}-error") is not None
    assert whole.select_one("#needs-attention a[href='#evidence-" + second + "']") is not None

    # Fixed: the marks go.
    _, data, action = open_form(client, url, "form#checklist-form")
    data.update({f"evidence-{first}": "Outcomes are not specific.", f"evidence-{second}": "Partly.", "next": "stay"})
    assert client.post(action, data=data).status_code == 302
    soup = check_page(client.get(url))
    assert soup.select_one("#needs-attention") is None and not soup.select(".govuk-error-message")


def test_hints_say_what_is_needed_and_warn_against_identifying_details(
    client_as: ClientAs, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, _, audit_id, template = _started(client_as, make_case, template_version)
    section = next(s for s in template.sections if any(q.not_applicable.allowed for q in s.questions))
    question = next(q for q in section.questions if q.not_applicable.allowed)
    soup = check_page(client.get(f"/audits/{audit_id}/sections/{section.id}"))
    na_hint = soup.select_one(f"#na_reason-{question.id}-hint").get_text(" ", strip=True)
    assert na_hint.startswith("You must say why before you can submit.")
    assert "Do not enter names or other details that identify the child or family." in na_hint
    evidence_hint = soup.select_one(f"#evidence-{question.id}-hint").get_text(" ", strip=True)
    assert "You must give evidence for Partially met and Not met." in evidence_hint
    assert "Do not enter names" in evidence_hint


def test_a_section_all_not_applicable_says_why_it_has_no_grade(
    client_as: ClientAs, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, _, audit_id, template = _started(client_as, make_case, template_version)
    section = next(s for s in template.sections if all(q.not_applicable.allowed for q in s.questions))
    url = f"/audits/{audit_id}/sections/{section.id}"
    _, data, action = open_form(client, url, "form#checklist-form")
    for q in section.questions:
        data[f"rating-{q.id}"], data[f"na_reason-{q.id}"] = "not_applicable", "No provision of this kind is needed."
    response = client.post(action, data={**data, "next": "stay"})
    assert response.status_code == 302
    soup = check_page(client.get(url))
    banner = soup.select_one(".govuk-notification-banner--success").get_text(" ", strip=True)
    assert "Suggested grade for this section: none. Every question in this section is not applicable" in banner
    assert "none yet" not in soup.select_one("#section-grades").get_text()
    assert "does not count towards the overall grade" in soup.select_one("#section-grades").get_text()


def test_plan_sections_and_subjects_are_in_words(
    client_as: ClientAs, make_case: MakeCase, template_version: TemplateVersionOf, session: Session
) -> None:
    client, _, audit_id, template = _started(client_as, make_case, template_version)
    section = next(s for s in template.sections if "whole_plan" in s.plan_sections)
    text = check_page(client.get(f"/audits/{audit_id}/sections/{section.id}")).get_text(" ", strip=True)
    assert "whole_plan" not in text and "The plan as a whole" in text
    report = check_page(client.get(f"/audits/{audit_id}/report")).get_text(" ", strip=True)
    assert "whole_plan" not in report and "Plan section: process" not in report and "Process and timeliness" in report
    case = make_case()
    page = check_page(client.get(f"/audits/new?case_ref={case.case_ref}&subject=draft_plan")).get_text(" ", strip=True)
    assert "cover draft EHC plan" in page and "draft ehc plan" not in page
