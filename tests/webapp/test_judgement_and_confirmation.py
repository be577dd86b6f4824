"""The overall judgement offers each grade once, the report names the grade, and the submitted
confirmation says what really happens next for this audit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.audits import ResponseInput, save_answers, start_audit, submit_audit
from tests.support import (
    T1,
    ClientAs,
    MakeCase,
    TemplateVersionOf,
    all_met,
    complete_panel_audit,
    submitted_check,
)
from tests.webapp.journey import check_page


def test_suggested_grade_is_offered_once_and_the_report_names_it(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, user = client_as(Role.AUDITOR, agency="send_service", team="North")
    tv = template_version(T1)
    audit = start_audit(session, user, case_id=make_case().id, template_version_id=tv.id, subject="final_plan")
    answers = all_met(tv.template)
    first = tv.template.questions()[0].id
    answers[first] = ResponseInput("not_met", "Nothing about the child's views.")
    save_answers(session, user, audit.id, audit.version_id, answers)
    session.refresh(audit)
    suggested = audit.suggested_grade
    assert suggested is not None

    soup = check_page(client.get(f"/audits/{audit.id}/judgement"))
    radios = soup.select("input[name=auditor_grade]")
    values = [r["value"] for r in radios]
    assert values.count(suggested) == 0, "the suggested grade is already offered as 'Use the suggested grade'"
    assert values[0] == "" and len(values) == len(tv.template.scale.codes)
    label = soup.select_one(f"label[for={radios[0]['id']}]").get_text(" ", strip=True)
    assert label.startswith("Use the suggested grade (")

    for page in (f"/audits/{audit.id}/report", f"/audits/{audit.id}"):
        text = check_page(client.get(page)).get_text(" ", strip=True)
        assert "Same as the suggested grade" not in text
        assert "(the suggested grade)" in text


def test_confirmation_after_a_first_submission_offers_peer_challenge(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, user = client_as(Role.AUDITOR, agency="send_service", team="North")
    audit = submitted_check(session, user, make_case().id, template_version(T1).id)
    soup = check_page(client.get(f"/audits/{audit.id}/submitted"))
    assert soup.select_one(f"#peer-next a[href='/audits/{audit.id}/peer-challenge']") is not None
    assert "A multi-agency panel may sample it" in soup.get_text()


def test_confirmation_of_a_panel_audit_does_not_promise_panel_sampling(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, panel = client_as(Role.PANEL_MEMBER)
    tv = template_version("t3-multi-agency-new-plan")
    subject = tv.template.subjects[0].value if hasattr(tv.template.subjects[0], "value") else tv.template.subjects[0]
    audit = start_audit(session, panel, case_id=make_case().id, template_version_id=tv.id, subject=subject)
    audit = complete_panel_audit(session, panel, audit)
    submit_audit(session, panel, audit.id, audit.version_id)
    text = check_page(client.get(f"/audits/{audit.id}/submitted")).get_text(" ", strip=True)
    assert "Audit submitted" in text
    assert "panel may sample" not in text and "peer-challenge" not in text


def test_every_free_text_box_warns_against_identifying_details(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    from datetime import date, timedelta

    from qaframework.operations.actions import raise_action

    warning = "Do not enter names or other details that identify the child or family."
    client, user = client_as(Role.AUDITOR, agency="send_service", team="North")
    draft = start_audit(session, user, case_id=make_case().id, template_version_id=template_version(T1).id,
                        subject="final_plan")
    judgement = check_page(client.get(f"/audits/{draft.id}/judgement"))
    for box in ("override_rationale", "summary"):
        assert warning in judgement.select_one(f"#{box}-hint").get_text(" ", strip=True), box
    new_action = check_page(client.get(f"/audits/{draft.id}/actions/new"))
    assert warning in new_action.select_one("#description-hint").get_text(" ", strip=True)
    action = raise_action(session, user, audit_id=draft.id, question_id=None, description="Do it", owner_id=user.id,
                          due_date=date.today() + timedelta(days=7))
    shown = check_page(client.get(f"/actions/{action.id}"))
    assert warning in shown.select_one("#closing_note-hint").get_text(" ", strip=True)
    submitted = submitted_check(session, user, make_case().id, template_version(T1).id)
    panel, _ = client_as(Role.PANEL_MEMBER)
    returning = check_page(panel.get(f"/audits/{submitted.id}/return"))
    assert warning in returning.select_one("#comment-hint").get_text(" ", strip=True)
