"""Tier 3 panel audits in the web app: the members present share one audit, each agency's
contribution is graded and required at submit, and the confirmation says what really follows."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from qaframework.consent import conversation_ids
from qaframework.contributions import NOT_INVOLVED
from qaframework.framework import Role
from qaframework.operations.audits import ResponseInput, save_answers, start_audit, submit_audit
from qaframework.operations.panel_audits import active_agencies, record_participant
from qaframework.store import Audit, ConsentRecord, User
from tests.support import (
    T1,
    ClientAs,
    MakeCase,
    MakeUser,
    TemplateVersionOf,
    all_met,
    complete_panel_audit,
    refreshed,
    submitted_check,
)
from tests.webapp.journey import answers_for, audit_row, error_summary, form_values, open_form, page

T3 = "t3-multi-agency-new-plan"
#: A signed-in panel member's client, the member, and the draft panel audit they started.
Panel = tuple[FlaskClient, User, Audit]
T3_TITLE = "Multi-agency audit of a new EHC plan"


@pytest.fixture
def panel(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> Panel:
    """A draft panel audit started by a panel member, who is signed in."""
    client, chair = client_as(Role.PANEL_MEMBER)
    audit = start_audit(session, chair, case_id=make_case().id, template_version_id=template_version(T3).id,
                        subject="final_plan")
    return client, chair, audit


def test_starting_a_panel_audit_asks_who_is_present(client_as: ClientAs, make_case: MakeCase) -> None:
    client, chair = client_as(Role.PANEL_MEMBER)
    case = make_case()
    soup = page(client.get(f"/audits/new?case_ref={case.case_ref}&subject=final_plan"))
    label = soup.find("label", string=lambda s: s is not None and s.strip() == T3_TITLE)
    form = soup.select_one("form[method=post]")
    response = client.post(str(form["action"]), data={"case_id": str(case.id), "subject": "final_plan",
                                                      "template_version_id": soup.find(id=label["for"])["value"]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/panel")
    audit_id = int(response.headers["Location"].split("/")[2])
    soup = page(client.get(f"/audits/{audit_id}/panel"))
    rows = [[c.get_text(" ", strip=True) for c in tr.select("td")] for tr in soup.select("#members-present tbody tr")]
    assert rows[0][0] == f"{chair.display_name} (started the audit)" and rows[0][2] == "Not recorded"


def test_members_present_are_added_given_an_agency_and_removed(
    panel: Panel, session: Session, make_user: MakeUser
) -> None:
    client, chair, audit = panel
    health = make_user(Role.AUDITOR, agency="health")
    member = make_user(Role.PANEL_MEMBER)

    soup = page(client.post(f"/audits/{audit.id}/panel", data={"user_id": str(member.id), "agency_code": ""}), 400)
    assert error_summary(soup) == [
        (f"{member.display_name} has no agency of their own: choose the agency they represent", "#agency_code")]
    assert soup.select_one("#user_id option[selected]")["value"] == str(member.id), "the choice is kept"
    soup = page(client.post(f"/audits/{audit.id}/panel", data={"user_id": ""}), 400)
    assert error_summary(soup) == [("Choose who was at the panel", "#user_id")]

    for who, agency in ((health, ""), (member, "childrens_social_care")):
        response = client.post(f"/audits/{audit.id}/panel", data={"user_id": str(who.id), "agency_code": agency})
        assert response.status_code == 302
    _, form, action = open_form(client, f"/audits/{audit.id}/panel/{chair.id}/agency")
    assert page(client.post(action, data={**form, "agency_code": ""}), 400).select_one("#agency_code-error")
    assert client.post(action, data={**form, "agency_code": "send_service"}).status_code == 302

    soup = page(client.get(f"/audits/{audit.id}/panel"))
    cells = {tr.select("td")[0].get_text(" ", strip=True): tr.select("td")[2].get_text(strip=True)
             for tr in soup.select("#members-present tbody tr")}
    assert cells == {f"{chair.display_name} (started the audit)": "SEND and EHC service",
                     health.display_name: "Health", member.display_name: "Children's social care"}
    removable = [f["action"] for f in soup.select("#members-present form")]
    assert removable == [f"/audits/{audit.id}/panel/{health.id}/remove", f"/audits/{audit.id}/panel/{member.id}/remove"]
    assert client.post(removable[1]).status_code == 302
    assert {p.user_id for p in audit_row(session, audit.id).participants} == {chair.id, health.id}


def test_a_member_present_edits_and_a_panel_member_not_present_cannot(
    panel: Panel, client_as: ClientAs, session: Session
) -> None:
    _, chair, audit = panel
    health_client, health = client_as(Role.AUDITOR, agency="health")
    other_client, _other = client_as(Role.PANEL_MEMBER)
    record_participant(session, chair, audit.id, health.id)
    section = audit.template.sections[0]
    url = f"/audits/{audit.id}/sections/{section.id}"

    soup, form, action = open_form(health_client, url, "#checklist-form")
    response = health_client.post(action, data={**form, **answers_for(section), "next": "stay"})
    assert response.status_code == 302
    assert {r.question_id for r in audit_row(session, audit.id).responses} == {q.id for q in section.questions}

    soup = page(other_client.get(url))
    assert soup.select_one("#checklist-form") is None, "a panel member not present reads, does not edit"
    version = audit_row(session, audit.id).version_id
    refused = other_client.post(url, data={"version": str(version), **answers_for(section, "not_met")})
    assert refused.status_code == 403
    assert "Only the members recorded as present at the panel can change this panel audit." in refused.get_data(
        as_text=True)
    assert other_client.get(f"/audits/{audit.id}/agency-contributions").status_code == 302
    assert other_client.post(f"/audits/{audit.id}/panel", data={"user_id": str(health.id)}).status_code == 403


def test_two_members_saving_the_same_question_get_the_conflict_page(
    panel: Panel, client_as: ClientAs, session: Session
) -> None:
    chair_client, chair, audit = panel
    health_client, health = client_as(Role.AUDITOR, agency="health")
    record_participant(session, chair, audit.id, health.id)
    section = audit.template.sections[0]
    url = f"/audits/{audit.id}/sections/{section.id}"
    _, chair_form, action = open_form(chair_client, url, "#checklist-form")
    _, health_form, _ = open_form(health_client, url, "#checklist-form")

    assert chair_client.post(action, data={**chair_form, **answers_for(section, "met", "Chair's view.")}
                             ).status_code == 302
    response = health_client.post(action, data={**health_form, **answers_for(section, "not_met", "Health's view.")})
    soup = page(response, 409)
    assert chair.display_name in soup.get_text(" ", strip=True)
    assert soup.select_one(f"textarea[name=evidence-{section.questions[0].id}]").get_text() == "Health's view."
    assert {r.evidence for r in audit_row(session, audit.id).responses} == {"Chair's view."}, "nothing overwritten"


def test_agency_contributions_are_saved_shown_and_conflicts_kept(
    panel: Panel, client_as: ClientAs, session: Session
) -> None:
    chair_client, chair, audit = panel
    edu_client, edu = client_as(Role.AUDITOR, agency="education")
    record_participant(session, chair, audit.id, edu.id)
    url = f"/audits/{audit.id}/agency-contributions"
    soup, chair_form, action = open_form(chair_client, url, "#contributions-form")
    legends = [legend.get_text(strip=True) for legend in soup.select("#contributions-form legend")]
    assert legends == [a.name for a in active_agencies(session)]
    assert [i["value"] for i in soup.select("input[name=choice-health]")] == [
        "outstanding", "good", "requires_improvement", "inadequate", NOT_INVOLVED]
    _, edu_form, _ = open_form(edu_client, url, "#contributions-form")

    refused = chair_client.post(action, data={**chair_form, "choice-adult_social_care": NOT_INVOLVED})
    assert error_summary(page(refused, 400)) == [("Say why Adult social care was not involved",
                                                  "#note-adult_social_care")]
    saved = chair_client.post(action, data={
        **chair_form, "choice-health": "requires_improvement", "note-health": "Needs in general terms.",
        "choice-adult_social_care": NOT_INVOLVED, "note-adult_social_care": "The child is 9.", "next": "continue"})
    assert saved.status_code == 302 and saved.headers["Location"] == f"/audits/{audit.id}/sections/advice"
    stored = {c.agency_code: (c.grade, c.involved, c.note) for c in audit_row(session, audit.id).contributions}
    assert stored == {"health": ("requires_improvement", True, "Needs in general terms."),
                      "adult_social_care": (None, False, "The child is 9.")}

    # Education's page was opened before the chair saved: nothing is saved, the conflict page keeps
    # Education's input, and saving it from there sends only what Education changed (a three-way merge).
    stale = page(edu_client.post(action, data={**edu_form, "choice-education": "good", "note-education": "Thorough."}),
                 409)
    captions = [c.get_text(strip=True) for c in stale.select("table.app-compare caption")]
    assert captions == ["Education and educational psychology"], "only what Education changed is compared"
    kept = form_values(stale.select_one("#contributions-form"))
    assert kept["choice-education"] == "good" and kept["choice-health"] == "requires_improvement"
    assert edu_client.post(action, data=kept).status_code == 302
    grades = {c.agency_code: c.grade for c in audit_row(session, audit.id).contributions}
    assert grades == {"education": "good", "health": "requires_improvement", "adult_social_care": None}

    # Both grade the same agency from the same page: the second sees the difference and keeps theirs.
    _, edu_form, _ = open_form(edu_client, url, "#contributions-form")
    _, chair_form, _ = open_form(chair_client, url, "#contributions-form")
    assert chair_client.post(action, data={**chair_form, "choice-health": "inadequate"}).status_code == 302
    conflict = page(edu_client.post(action, data={**edu_form, "choice-health": "good"}), 409)
    assert chair.display_name in conflict.get_text(" ", strip=True)
    table = conflict.select_one("table.app-compare")
    assert [td.get_text(strip=True) for td in table.select("tbody tr")[0].select("td")] == ["Inadequate", "Good"]
    assert conflict.select_one("input[name=choice-health][value=good]").has_attr("checked")
    assert {c.agency_code: c.grade for c in audit_row(session, audit.id).contributions}["health"] == "inadequate"

    for shown in (f"/audits/{audit.id}/sections/advice", f"/audits/{audit.id}", f"/audits/{audit.id}/report"):
        soup = page(chair_client.get(shown))
        rows = {tr.select_one("th").get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.select("td")]
                for tr in soup.select("#agency-contributions tbody tr")}
        assert rows["Health"] == ["Inadequate", "Needs in general terms."], shown
        assert rows["Adult social care"] == ["Not involved", "The child is 9."], shown
        assert rows["Education and educational psychology"] == ["Good", "Thorough."], shown
        assert rows["Children's social care"] == ["Not graded yet", ""], shown


def test_submit_is_refused_until_every_agency_is_graded(
    panel: Panel, session: Session
) -> None:
    client, chair, audit = panel
    audit = save_answers(session, chair, audit.id, audit.version_id, all_met(audit.template))
    soup = page(client.post(f"/audits/{audit.id}/submit", data={"version": str(audit.version_id)}), 400)
    problems = error_summary(soup)
    assert problems[0] == (f"Record which agency {chair.display_name} represents at the panel",
                           f"/audits/{audit.id}/panel/{chair.id}/agency")
    assert ("Grade Health's contribution, or mark it not involved with a reason",
            f"/audits/{audit.id}/agency-contributions#choice-health") in problems
    assert len(problems) == 1 + len(active_agencies(session))
    assert audit_row(session, audit.id).status == "draft"


def test_a_member_present_submits_and_the_confirmation_fits_a_panel(
    panel: Panel, client_as: ClientAs, session: Session, make_user: MakeUser,
    template_version: TemplateVersionOf,
) -> None:
    _, chair, audit = panel
    health_client, health = client_as(Role.AUDITOR, agency="health")
    record_participant(session, chair, audit.id, health.id)
    auditor = make_user(Role.AUDITOR, agency="send_service")
    earlier = submitted_check(session, auditor, audit.case_id, template_version(T1).id)
    audit = complete_panel_audit(session, chair, refreshed(session, audit))

    response = health_client.post(f"/audits/{audit.id}/submit", data={"version": str(audit.version_id)})
    assert response.status_code == 302 and response.headers["Location"] == f"/audits/{audit.id}/submitted"
    soup = page(health_client.get(f"/audits/{audit.id}/submitted"))
    text = soup.get_text(" ", strip=True)
    assert "panel may sample" not in text and "peer-challenge" not in text
    assert "return it to the panel" in text and "every member recorded as present" in text
    assert "This plan has 1 Tier 1 or Tier 2 audit the panel can compare" in text

    overview = page(health_client.get(f"/audits/{audit.id}"))
    links = [a["href"] for a in overview.select("#lower-tier-audits a")]
    assert links[0] == f"/audits/{earlier.id}"
    app: Flask = health_client.application
    if "moderation.audit" in app.view_functions:  # the blind moderation journey, once installed
        with app.test_request_context():
            from flask import url_for
            assert links[1] == url_for("moderation.audit", audit_id=earlier.id)
    else:
        assert len(links) == 1
    assert "Good" not in overview.select_one("#lower-tier-audits").get_text(), "no lower-tier grade before moderating"


def test_confirmation_of_a_system_leader_review_does_not_promise_panel_sampling(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, leader = client_as(Role.SYSTEM_LEADER)
    case = make_case()
    # The family declined: a paper review, whose conversation questions the server answers itself.
    session.add(ConsentRecord(case_id=case.id, given_by="parent_carer", decision="refused", scope=[],
                              recorded_by_id=leader.id))
    session.commit()
    tv = template_version("t4-system-leader-review")
    audit = start_audit(session, leader, case_id=case.id, template_version_id=tv.id, subject="final_plan")
    conversation = conversation_ids(tv.template)
    answers = {
        q.id: ResponseInput("met", "Seen in the plan.") for q in tv.template.questions() if q.id not in conversation
    }
    audit = save_answers(session, leader, audit.id, audit.version_id, answers)
    from qaframework.operations.audits import Judgement, save_judgement
    audit = save_judgement(session, leader, audit.id, audit.version_id,
                           Judgement(tv.template.scale.codes[0], "The family felt heard."))
    submit_audit(session, leader, audit.id, audit.version_id)
    text = page(client.get(f"/audits/{audit.id}/submitted")).get_text(" ", strip=True)
    assert "panel may sample" not in text
    assert "Your review is kept with the case's other audits" in text


def test_a_panel_audit_is_on_every_member_presents_home_and_list(
    panel: Panel, client_as: ClientAs, session: Session
) -> None:
    _, chair, audit = panel
    health_client, health = client_as(Role.AUDITOR, agency="health")
    record_participant(session, chair, audit.id, health.id)
    own = page(health_client.get("/audits"))
    assert f"/audits/{audit.id}" in {a["href"] for a in own.select("table a")}
    home = page(health_client.get("/"))
    assert f"/audits/{audit.id}" in {a["href"] for a in home.select("a")}
