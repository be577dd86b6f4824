"""The auditor's journey through the pages: start, fill sections, judge, submit, return, revise.

Helpers at the top are also used by ``test_audit_conflicts``: they start audits and submit forms
exactly as a browser would from the HTML that was served.
"""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from qaframework.checklists.model import Template
from qaframework.framework import Role
from qaframework.operations.audits import (
    Judgement,
    ResponseInput,
    save_answers,
    save_judgement,
    start_audit,
    submit_audit,
)
from qaframework.store import Audit, Case, ConsentRecord, TemplateVersion, User
from tests.support import T1, ClientAs, MakeCase, MakeUser, TemplateVersionOf, all_met
from tests.webapp.journey import (
    T1_TITLE,
    answers_for,
    audit_row,
    check_page,
    error_summary,
    form_values,
    open_form,
    start_via_pages,
)

# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def t1(session: Session, template_version: TemplateVersionOf) -> Template:
    return template_version(T1).template


@pytest.fixture
def coordinator(client_as: ClientAs) -> tuple[FlaskClient, User]:
    return client_as(Role.AUDITOR, agency="send_service", team="North")


@pytest.fixture
def draft(coordinator: tuple[FlaskClient, User], make_case: MakeCase) -> tuple[FlaskClient, User, int, Case]:
    """A Tier 1 check started through the pages: (client, user, audit_id, case)."""
    client, user = coordinator
    case = make_case("JRN-001")
    return client, user, start_via_pages(client, case.case_ref), case


def complete(session: Session, user: User, audit_id: int, template: Template) -> None:
    """Answer every question Met through the library (the pages are tested elsewhere)."""
    audit = session.get(Audit, audit_id)
    save_answers(session, user, audit_id, audit.version_id, all_met(template))


# --- Starting an audit ------------------------------------------------------------------------


def test_start_an_audit_in_two_steps(
    coordinator: tuple[FlaskClient, User], make_case: MakeCase, session: Session
) -> None:
    client, user = coordinator
    case = make_case("STEP-42")
    soup = check_page(client.get(f"/audits/new?case_id={case.id}"))
    assert soup.select_one("#case_ref")["value"] == "STEP-42"
    assert soup.select_one("#case_ref-hint a")["href"] == "/cases"
    assert [i["value"] for i in soup.select("input[name=subject]")] == [
        "advice",
        "draft_plan",
        "final_plan",
        "annual_review",
        "refusal_decision",
    ]

    soup = check_page(client.get("/audits/new?case_ref=NOPE-1"))
    assert soup.title.get_text().startswith("Error: ")
    assert error_summary(soup) == [
        ("There is no case with reference NOPE-1. Check the reference, or find the case in the case list", "#case_ref"),
        ("Select what you are auditing", "#subject"),
    ]
    assert soup.select_one("#case_ref")["value"] == "NOPE-1"

    soup = check_page(client.get("/audits/new?case_ref=step-42&subject=final_plan"))
    offered = [label.get_text(strip=True) for label in soup.select("form label.govuk-radios__label")]
    assert offered == ["Agency advice self-check", T1_TITLE] or T1_TITLE in offered
    assert not any("Health" in title for title in offered)  # another agency's checklist is not offered
    assert "STEP-42" in soup.select_one(".govuk-summary-list").get_text()

    form = soup.select_one("form[method=post]")
    response = client.post(form["action"], data=form_values(form) | {"template_version_id": ""})
    soup = check_page(response)
    assert error_summary(soup) == [("Select the checklist you will use", "#template_version_id")]

    audit_id = start_via_pages(client, "STEP-42")
    audit = audit_row(session, audit_id)
    assert (audit.case_id, audit.auditor_id, audit.status, audit.subject) == (case.id, user.id, "draft", "final_plan")
    assert audit.template_version.template_id == T1


def test_checklists_offered_follow_role_and_agency(client_as: ClientAs, make_case: MakeCase) -> None:
    case = make_case("AG-1")
    client, _ = client_as(Role.AUDITOR, agency="health")
    soup = check_page(client.get(f"/audits/new?case_ref={case.case_ref}&subject=advice"))
    offered = [label.get_text(strip=True) for label in soup.select("form label.govuk-radios__label")]
    assert offered and all("co-ordinator" not in t for t in offered)
    assert any("health" in t.lower() for t in offered)

    client, _ = client_as(Role.PANEL_MEMBER)
    soup = check_page(client.get(f"/audits/new?case_ref={case.case_ref}&subject=advice"))
    assert "There is no checklist for your role and agency" in soup.get_text()

    client, _ = client_as(Role.ADMIN)
    assert client.get("/audits/new").status_code == 403


def test_tampered_checklist_choice_is_refused(
    coordinator: tuple[FlaskClient, User], make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, _ = coordinator
    case = make_case()
    other = template_version("t2-health-advice-audit")
    response = client.post(
        "/audits/new", data={"case_id": case.id, "subject": "advice", "template_version_id": other.id}
    )
    soup = check_page(response)
    assert error_summary(soup) == [("Select the checklist you will use", "#template_version_id")]


# --- Sections ---------------------------------------------------------------------------------


def test_section_page_shows_guidance_and_offers_na_only_where_allowed(
    draft: tuple[FlaskClient, User, int, Case], t1: Template
) -> None:
    client, _, audit_id, _ = draft
    for section in t1.sections:
        soup = check_page(client.get(f"/audits/{audit_id}/sections/{section.id}"))
        assert soup.h1.get_text(strip=True) == section.title
        assert "</" not in soup.get_text()  # no markup escaped into visible text
        assert soup.select_one("input[name=version]")["value"]
        for q in section.questions:
            values = [i["value"] for i in soup.select(f'input[name="rating-{q.id}"]')]
            expected = ["met", "partially_met", "not_met"] + (["not_applicable"] if q.not_applicable.allowed else [])
            assert values == expected, q.id
            assert soup.find(id=f"rating-{q.id}") is not None  # the error summary's target
            assert soup.find(id=f"evidence-{q.id}").name == "textarea"
            assert q.guidance in soup.find(id=f"guidance-{q.id}").get_text(" ", strip=True)
            summary = soup.select_one(f"#guidance-{q.id} .govuk-details__summary-text")
            assert summary.get_text(" ", strip=True) == f"Guidance for {q.id}"
            assert summary.select_one(".govuk-visually-hidden").get_text(strip=True) == f"for {q.id}"
            assert q.what_good_looks_like in soup.find(id=f"good-{q.id}").get_text(" ", strip=True)
            if q.not_applicable.allowed:
                assert q.not_applicable.when in soup.find(id=f"na_reason-{q.id}-hint").get_text(" ", strip=True)
            else:
                assert soup.find(id=f"na_reason-{q.id}") is None
            legend = soup.find(id=f"rating-{q.id}").find_parent("fieldset").legend.get_text(" ", strip=True)
            assert q.text in legend


def test_unknown_section_is_404(draft: tuple[FlaskClient, User, int, Case]) -> None:
    client, _, audit_id, _ = draft
    response = client.get(f"/audits/{audit_id}/sections/no-such-section")
    assert response.status_code == 404
    check_page(response)


def test_saving_a_section_updates_grades_everywhere(
    draft: tuple[FlaskClient, User, int, Case], t1: Template, session: Session
) -> None:
    client, _, audit_id, _ = draft
    first, second = t1.sections[0], t1.sections[1]
    _, data, action = open_form(client, f"/audits/{audit_id}/sections/{first.id}")
    response = client.post(action, data=data | answers_for(first) | {"next": "continue"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/audits/{audit_id}/sections/{second.id}"
    soup = check_page(client.get(response.headers["Location"]))
    banner = soup.select_one(".govuk-notification-banner--success").get_text(" ", strip=True)
    assert f"Your answers to “{first.title}” have been saved" in banner
    assert "Suggested grade for this section: Good" in banner and "Suggested overall grade: Good" in banner

    # A statutory Not met in the second section pulls the suggestion down.
    statutory = next(q for q in second.questions if q.statutory)
    _, data, action = open_form(client, f"/audits/{audit_id}/sections/{second.id}")
    data |= {
        f"rating-{statutory.id}": "not_met",
        f"evidence-{statutory.id}": "Needs are described in general terms.",
        "next": "stay",
    }
    response = client.post(action, data=data)
    assert response.headers["Location"] == f"/audits/{audit_id}/sections/{second.id}"
    soup = check_page(client.get(response.headers["Location"]))
    assert soup.select_one(f'input[name="rating-{statutory.id}"][checked]')["value"] == "not_met"
    expected = audit_row(session, audit_id).suggested_grade
    assert expected in ("requires_improvement", "inadequate")

    soup = check_page(client.get(f"/audits/{audit_id}"))
    items = soup.select(".govuk-task-list__item")
    first_item, second_item = items[0].get_text(" ", strip=True), items[1].get_text(" ", strip=True)
    assert f"{len(first.questions)} of {len(first.questions)} answered" in first_item and "Completed" in first_item
    assert "Suggested grade: Good" in first_item
    assert f"1 of {len(second.questions)} answered" in second_item and "In progress" in second_item
    assert "Not started" in items[2].get_text(" ", strip=True)
    suggested = soup.select_one("#suggested-grade").get_text(strip=True)
    assert suggested == {"requires_improvement": "Requires improvement", "inadequate": "Inadequate"}[expected]


def test_tampered_section_post_is_refused_and_input_kept(
    draft: tuple[FlaskClient, User, int, Case], t1: Template, session: Session
) -> None:
    client, _, audit_id, _ = draft
    section = next(s for s in t1.sections if any(not q.not_applicable.allowed for q in s.questions))
    no_na = next(q for q in section.questions if not q.not_applicable.allowed)
    other = next(q for q in section.questions if q.id != no_na.id)
    _, data, action = open_form(client, f"/audits/{audit_id}/sections/{section.id}")
    data |= {
        f"rating-{no_na.id}": "not_applicable",
        f"na_reason-{no_na.id}": "Tried it",
        f"rating-{other.id}": "excellent",
        f"evidence-{other.id}": "My careful notes\nover two lines",
        "rating-NOPE-99": "met",
        "next": "stay",
    }
    response = client.post(action, data=data)
    assert response.status_code == 400
    soup = check_page(response)
    summary = error_summary(soup)
    assert (f"{no_na.id} cannot be answered “Not applicable”", f"#rating-{no_na.id}") in summary
    assert ("'excellent' is not a rating", f"#rating-{other.id}") in summary
    assert any(href == "#checklist-form" and "NOPE-99" in text for text, href in summary)
    assert soup.find(id=f"rating-{no_na.id}-error") is not None
    assert soup.find(id=f"evidence-{other.id}").get_text() == "My careful notes\nover two lines"
    assert audit_row(session, audit_id).responses == []


def test_missing_version_is_a_bad_request(draft: tuple[FlaskClient, User, int, Case], t1: Template) -> None:
    client, _, audit_id, _ = draft
    response = client.post(f"/audits/{audit_id}/sections/{t1.sections[0].id}", data=answers_for(t1.sections[0]))
    assert response.status_code == 400
    check_page(response)


def test_raise_action_link_when_that_journey_exists(
    draft: tuple[FlaskClient, User, int, Case], t1: Template, app: Flask
) -> None:
    client, _, audit_id, _ = draft
    q = t1.sections[0].questions[0]
    soup = check_page(client.get(f"/audits/{audit_id}/sections/{t1.sections[0].id}"))
    link = soup.find("a", string=lambda s: s is not None and "Raise an action" in s)
    if "actions.new_action" in app.view_functions:
        link = soup.select_one(f"#question-{q.id} .app-question__action a")
        assert link["href"] == f"/audits/{audit_id}/actions/new?question_id={q.id}"
        assert link["target"] == "_blank" and "opens in new tab" in link.get_text()
    else:
        assert link is None


# --- Judgement --------------------------------------------------------------------------------


def test_judgement_override_needs_a_rationale(
    draft: tuple[FlaskClient, User, int, Case], t1: Template, session: Session
) -> None:
    client, user, audit_id, _ = draft
    complete(session, user, audit_id, t1)
    soup, data, action = open_form(client, f"/audits/{audit_id}/judgement")
    assert "Use the suggested grade (Good)" in soup.get_text(" ", strip=True)
    assert soup.select_one("#auditor_grade")["value"] == "" and soup.select_one("#auditor_grade").has_attr("checked")
    # Every section is all Met, so each may be marked exemplary.
    assert [i["value"] for i in soup.select("input[name=exemplary]")] == [s.id for s in t1.sections]

    response = client.post(
        action, data=data | {"auditor_grade": "outstanding", "summary": "Strong plan.", "next": "stay"}
    )
    assert response.status_code == 400
    soup = check_page(response)
    assert error_summary(soup) == [
        ("Explain why your overall grade differs from the suggested grade", "#override_rationale")
    ]
    assert soup.select_one("#summary").get_text() == "Strong plan."
    assert audit_row(session, audit_id).auditor_grade is None

    # Marking sections exemplary changes the suggestion, so the same grade needs no rationale.
    exemplary = [s.id for s in t1.sections]
    response = client.post(
        action, data=data | {"auditor_grade": "outstanding", "exemplary": exemplary, "next": "continue"}
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/audits/{audit_id}/submit"
    audit = audit_row(session, audit_id)
    assert (audit.auditor_grade, audit.suggested_grade) == ("outstanding", "outstanding")
    assert audit.exemplary_sections == sorted(exemplary)

    _, data, action = open_form(client, f"/audits/{audit_id}/judgement")
    response = client.post(
        action,
        data=data
        | {"auditor_grade": "requires_improvement", "override_rationale": "Outcomes are vague.", "next": "stay"},
    )
    assert response.status_code == 302
    audit = audit_row(session, audit_id)
    assert (audit.auditor_grade, audit.override_rationale) == ("requires_improvement", "Outcomes are vague.")
    soup = check_page(client.get(f"/audits/{audit_id}"))
    assert (
        "Requires improvement" in soup.select_one("#auditor-grade").get_text()
        and "Outcomes are vague." in soup.select_one("#auditor-grade").get_text()
    )


def test_exemplary_is_offered_only_for_all_met_sections(
    draft: tuple[FlaskClient, User, int, Case], t1: Template, session: Session
) -> None:
    client, user, audit_id, _ = draft
    complete(session, user, audit_id, t1)
    audit = session.get(Audit, audit_id)
    q = t1.sections[0].questions[0]
    save_answers(session, user, audit_id, audit.version_id, {q.id: ResponseInput("partially_met", "Some")})
    soup = check_page(client.get(f"/audits/{audit_id}/judgement"))
    offered = [i["value"] for i in soup.select("input[name=exemplary]")]
    assert t1.sections[0].id not in offered and t1.sections[1].id in offered


def test_judgement_mode_checklist_needs_consent_and_a_chosen_grade(
    client_as: ClientAs, make_case: MakeCase, session: Session, template_version: TemplateVersionOf
) -> None:
    client, leader = client_as(Role.SYSTEM_LEADER)
    case = make_case("T4-1")
    tv = template_version("t4-system-leader-review")
    soup = check_page(client.get(f"/audits/new?case_ref={case.case_ref}&subject=final_plan"))
    form = soup.select_one("form[method=post]")
    response = client.post(form["action"], data=form_values(form) | {"template_version_id": str(tv.id)})
    soup = check_page(response)
    assert error_summary(soup) == [
        ("Record the family's consent decision before starting this review", "#template_version_id")
    ]
    assert soup.select_one(f"input[name=template_version_id][value='{tv.id}']").has_attr("checked")  # choice kept

    # The family declined: a paper review, whose conversation questions are already "not applicable"
    # (tests/test_tier4.py covers the conversation itself).
    session.add(ConsentRecord(case_id=case.id, given_by="parent_carer", decision="refused", recorded_by_id=leader.id))
    session.commit()
    audit_id = start_via_pages(client, case.case_ref, title=tv.title)
    audit = session.get(Audit, audit_id)
    assert audit is not None
    paper = {r.question_id for r in audit.responses}
    save_answers(session, leader, audit_id, audit.version_id,
                 {q: a for q, a in all_met(tv.template).items() if q not in paper})
    soup, data, action = open_form(client, f"/audits/{audit_id}/judgement")
    assert [i["value"] for i in soup.select("input[name=auditor_grade]")] == ["positive", "inconsistent", "negative"]
    assert "Use the suggested grade" not in soup.get_text()
    assert soup.select_one("label[for=override_rationale]").get_text(strip=True) == "How did you reach this judgement?"
    assert soup.select_one("#suggested-grade") is None

    _, submit_data, submit_action = open_form(client, f"/audits/{audit_id}/submit")
    soup = check_page(client.post(submit_action, data=submit_data))
    assert error_summary(soup) == [
        ("Choose an overall judgement before you submit", f"/audits/{audit_id}/judgement#auditor_grade")
    ]
    soup = check_page(client.post(action, data=data | {"auditor_grade": "inconsistent", "next": "continue"}))
    assert error_summary(soup) == [("Explain how you reached this judgement", "#override_rationale")]
    response = client.post(
        action,
        data=data
        | {
            "auditor_grade": "inconsistent",
            "override_rationale": "Family felt heard; provision late.",
            "next": "continue",
        },
    )
    assert response.status_code == 302
    _, submit_data, submit_action = open_form(client, f"/audits/{audit_id}/submit")
    assert client.post(submit_action, data=submit_data).status_code == 302
    assert audit_row(session, audit_id).auditor_grade == "inconsistent"  # version 2's word for the middle judgement
    assert "Inconsistent" in check_page(client.get(f"/audits/{audit_id}/report")).get_text()


# --- Submitting -------------------------------------------------------------------------------


def test_incomplete_submit_lists_every_problem_with_links(
    draft: tuple[FlaskClient, User, int, Case], t1: Template, session: Session
) -> None:
    client, user, audit_id, _ = draft
    section = t1.sections[0]
    na_q = next(q for s in t1.sections[1:] for q in s.questions if q.not_applicable.allowed)  # outside section
    na_section = t1.section_of(na_q.id)
    audit = session.get(Audit, audit_id)
    answers = {q.id: ResponseInput("met", "ok") for q in section.questions}
    answers[section.questions[1].id] = ResponseInput("not_met", "")
    answers[na_q.id] = ResponseInput("not_applicable", "", "")
    save_answers(session, user, audit_id, audit.version_id, answers)

    soup, data, action = open_form(client, f"/audits/{audit_id}/submit")
    assert "still need an answer" in soup.select_one(".govuk-warning-text").get_text()
    response = client.post(action, data=data)
    assert response.status_code == 400
    soup = check_page(response)
    assert soup.title.get_text().startswith("Error: ")
    links = {href: text for text, href in error_summary(soup)}
    base = f"/audits/{audit_id}/sections"
    assert f"{base}/{section.id}#evidence-{section.questions[1].id}" in links
    assert f"{base}/{na_section.id}#na_reason-{na_q.id}" in links
    unanswered = next(q for q in t1.sections[1].questions if q.id != na_q.id)
    assert links[f"{base}/{t1.sections[1].id}#rating-{unanswered.id}"].startswith(
        f"Select a rating for {unanswered.id}"
    )
    assert len(links) == len(t1.questions()) - len(section.questions) + 1
    # Each link lands on a field that exists on the section page.
    target = check_page(client.get(f"{base}/{na_section.id}"))
    assert target.find(id=f"na_reason-{na_q.id}") is not None
    assert audit_row(session, audit_id).status == "draft"


def test_complete_journey_submit_read_only_return_and_revise(
    draft: tuple[FlaskClient, User, int, Case], t1: Template, session: Session, client_as: ClientAs
) -> None:
    client, _user, audit_id, case = draft
    # Fill every section through the pages, following "Save and continue".
    url = f"/audits/{audit_id}/sections/{t1.sections[0].id}"
    for section in t1.sections:
        _, data, action = open_form(client, url)
        response = client.post(action, data=data | answers_for(section) | {"next": "continue"})
        assert response.status_code == 302, section.id
        url = response.headers["Location"]
    assert url == f"/audits/{audit_id}/judgement"
    _, data, action = open_form(client, url)
    response = client.post(action, data=data | {"summary": "A clear, specific plan.", "next": "continue"})
    soup, data, action = open_form(client, response.headers["Location"])
    assert soup.h1.get_text(strip=True) == "Check your answers before submitting"
    assert soup.select_one(".govuk-warning-text") is None
    response = client.post(action, data=data)
    assert response.status_code == 302 and response.headers["Location"] == f"/audits/{audit_id}/submitted"
    soup = check_page(client.get(response.headers["Location"]))
    assert soup.select_one(".govuk-panel__title").get_text(strip=True) == "Audit submitted"
    assert audit_row(session, audit_id).status == "submitted"

    # Read-only for its auditor: no form, and a forced POST changes nothing.
    section = t1.sections[0]
    soup = check_page(client.get(f"/audits/{audit_id}/sections/{section.id}"))
    assert soup.select("form[method=post]") == [] and soup.select("input[name^=rating-]") == []
    assert "Met" in soup.select_one(".app-answer").get_text()
    response = client.post(
        f"/audits/{audit_id}/sections/{section.id}",
        data=answers_for(section, "not_met", "changed") | {"version": audit_row(session, audit_id).version_id},
    )
    assert response.status_code == 409
    assert "can no longer be changed" in check_page(response).h1.get_text()
    assert {r.rating for r in audit_row(session, audit_id).responses} == {"met"}
    assert client.get(f"/audits/{audit_id}/judgement").status_code == 302
    overview = check_page(client.get(f"/audits/{audit_id}"))
    assert overview.find("a", string=lambda s: s is not None and "Check and submit" in s) is None

    # A panel member finds it among submitted audits and returns it.
    panel, _ = client_as(Role.PANEL_MEMBER)
    soup = check_page(panel.get("/audits?scope=all&status=submitted"))
    assert case.case_ref in [a.get_text(" ", strip=True).split(" – ")[0] for a in soup.select("tbody th a")]
    soup, data, action = open_form(panel, f"/audits/{audit_id}/return")
    response = panel.post(action, data=data | {"comment": ""})
    assert error_summary(check_page(response)) == [("Explain what the auditor needs to change", "#comment")]
    response = panel.post(action, data=data | {"comment": "Section E outcomes are not SMART."})
    assert response.status_code == 302
    assert audit_row(session, audit_id).status == "returned"

    # The auditor sees the comment and revises; saving makes it a draft again, then resubmits.
    soup = check_page(client.get(f"/audits/{audit_id}"))
    assert "Section E outcomes are not SMART." in soup.select_one(".govuk-notification-banner").get_text()
    _, data, action = open_form(client, f"/audits/{audit_id}/sections/{section.id}")
    q = section.questions[0]
    response = client.post(
        action, data=data | {f"rating-{q.id}": "partially_met", f"evidence-{q.id}": "Revised.", "next": "stay"}
    )
    assert response.status_code == 302
    assert audit_row(session, audit_id).status == "draft"
    _, data, action = open_form(client, f"/audits/{audit_id}/submit")
    assert client.post(action, data=data).status_code == 302
    assert audit_row(session, audit_id).status == "submitted"


# --- Who may do what --------------------------------------------------------------------------


def test_access_by_role_and_agency(
    draft: tuple[FlaskClient, User, int, Case], t1: Template, client_as: ClientAs, session: Session
) -> None:
    _, _user, audit_id, _ = draft
    section = t1.sections[0].id
    pages = [f"/audits/{audit_id}", f"/audits/{audit_id}/sections/{section}", f"/audits/{audit_id}/report"]

    other_agency, _ = client_as(Role.AUDITOR, agency="health")
    for url in [*pages, f"/audits/{audit_id}/judgement", f"/audits/{audit_id}/submit", f"/audits/{audit_id}/return"]:
        response = other_agency.get(url)
        assert response.status_code == 403, url
        check_page(response)

    colleague, _ = client_as(Role.AUDITOR, agency="send_service")
    for url in pages:
        assert colleague.get(url).status_code == 200, url
    assert check_page(colleague.get(pages[1])).select("form[method=post]") == []
    version = audit_row(session, audit_id).version_id
    response = colleague.post(pages[1], data=answers_for(t1.sections[0]) | {"version": version})
    assert response.status_code == 403
    assert colleague.post(f"/audits/{audit_id}/submit", data={"version": version}).status_code == 403
    assert (
        colleague.post(f"/audits/{audit_id}/judgement", data={"version": version, "auditor_grade": "good"}).status_code
        == 403
    )
    assert colleague.get(f"/audits/{audit_id}/judgement").status_code == 302  # read-only: sent to the overview
    assert colleague.get(f"/audits/{audit_id}/return").status_code == 403

    board, _ = client_as(Role.BOARD_VIEWER)
    for url in ["/audits", "/audits/new", *pages]:
        assert board.get(url).status_code == 403, url

    for role in (Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN):
        viewer, _ = client_as(role)
        for url in pages:
            check_page(response := viewer.get(url))
            assert response.status_code == 200, (role, url)

    panel, _ = client_as(Role.PANEL_MEMBER)
    soup = check_page(panel.get(f"/audits/{audit_id}/return"))
    assert "Only submitted audits can be returned" in soup.get_text()  # it is still a draft
    assert panel.post(f"/audits/{audit_id}/return", data={"comment": "x"}).status_code == 403
    assert check_page(client_as(Role.AUDITOR)[0].get("/audits/999999")).h1 is not None


def test_missing_audit_is_404(coordinator: tuple[FlaskClient, User]) -> None:
    client, _ = coordinator
    response = client.get("/audits/999999")
    assert response.status_code == 404
    check_page(response)


# --- Lists and the report ---------------------------------------------------------------------


def test_audit_lists(
    coordinator: tuple[FlaskClient, User],
    client_as: ClientAs,
    make_case: MakeCase,
    make_user: MakeUser,
    session: Session,
    template_version: TemplateVersionOf,
    t1: Template,
) -> None:
    client, user = coordinator
    tv = template_version(T1)
    mine = [
        start_audit(session, user, case_id=make_case(f"MY-{n}").id, template_version_id=tv.id, subject="final_plan")
        for n in range(3)
    ]
    complete(session, user, mine[0].id, t1)
    submit_audit(session, user, mine[0].id, session.get(Audit, mine[0].id).version_id)
    someone = make_user(agency="send_service")
    start_audit(session, someone, case_id=make_case("THEIRS-1").id, template_version_id=tv.id, subject="final_plan")

    soup = check_page(client.get("/audits"))
    refs = sorted(a.get_text(" ", strip=True).split(" – ")[0] for a in soup.select("tbody th a"))
    assert refs == ["MY-0", "MY-1", "MY-2"]
    assert soup.select_one("#status option[value=draft]").get_text() == "Draft (2)"
    soup = check_page(client.get("/audits?status=submitted"))
    assert [a.get_text(" ", strip=True).split(" – ")[0] for a in soup.select("tbody th a")] == ["MY-0"]
    assert "All audits" not in soup.get_text()  # auditors see their own only
    assert client.get("/audits?scope=all").status_code == 403

    panel, _ = client_as(Role.PANEL_MEMBER)
    soup = check_page(panel.get("/audits?scope=all&status=draft&agency=send_service&tier=1"))
    refs = sorted(a.get_text(" ", strip=True).split(" – ")[0] for a in soup.select("tbody th a"))
    assert refs == ["MY-1", "MY-2", "THEIRS-1"]
    assert check_page(panel.get("/audits?scope=all&agency=health")).select("tbody th a") == []
    assert check_page(panel.get("/audits")).select("tbody th a") == []  # none of their own


def test_report_shows_every_response_grade_and_summary(
    draft: tuple[FlaskClient, User, int, Case], t1: Template, session: Session
) -> None:
    client, user, audit_id, _ = draft
    audit = session.get(Audit, audit_id)
    answers = {q.id: ResponseInput("met", f"Evidence for {q.id}") for q in t1.questions()}
    na_q = next(q for q in t1.questions() if q.not_applicable.allowed)
    answers[na_q.id] = ResponseInput("not_applicable", "", "No social care involvement.")
    save_answers(session, user, audit_id, audit.version_id, answers)
    save_judgement(
        session,
        user,
        audit_id,
        audit.version_id,
        Judgement("requires_improvement", override_rationale="Provision is vague.", summary="Overall a readable plan."),
    )
    soup = check_page(client.get(f"/audits/{audit_id}/report"))
    text = soup.get_text(" ", strip=True)
    assert len(soup.select(".app-report__question")) == len(t1.questions())
    for q in t1.questions():
        assert q.id in text and (q.id == na_q.id or f"Evidence for {q.id}" in text)
    assert "No social care involvement." in text
    assert "Provision is vague." in text and "Overall a readable plan." in text
    assert "No actions were raised from this audit." in text
    assert soup.select("form") == []


# --- Speed ------------------------------------------------------------------------------------


def test_a_sixty_question_section_renders_quickly_without_n_plus_one(
    coordinator: tuple[FlaskClient, User],
    make_case: MakeCase,
    session: Session,
    template_version: TemplateVersionOf,
    t1: Template,
    engine: Engine,
) -> None:
    client, user = coordinator
    content = t1.model_dump(mode="json")
    one = {
        **content["sections"][0],
        "id": "everything",
        "questions": [q for s in content["sections"] for q in s["questions"]],
    }
    tv = TemplateVersion(
        template_id="perf-one-section",
        version=1,
        title="All questions on one page",
        tier=1,
        agencies=["send_service"],
        subjects=["final_plan"],
        content={**content, "id": "perf-one-section", "sections": [one]},
        checksum="perf-one-section-checksum",
    )
    session.add(tv)
    session.commit()
    audit = start_audit(session, user, case_id=make_case().id, template_version_id=tv.id, subject="final_plan")
    save_answers(
        session,
        user,
        audit.id,
        audit.version_id,
        {q.id: ResponseInput("partially_met", "Some evidence " * 20) for q in t1.questions()},
    )
    url = f"/audits/{audit.id}/sections/everything"
    client.get(url)  # warm the template cache

    statements: list[str] = []
    connection = session.connection()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    soup = check_page(response)
    questions = len(t1.questions())
    assert len(soup.select("input[name^=rating-][value=met]")) == questions
    assert len(soup.select("input[checked][value=partially_met]")) == questions
    assert len(statements) <= 12, statements
    assert elapsed < 1.0, f"{questions}-question page took {elapsed:.2f}s"
