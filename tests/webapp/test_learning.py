"""The Learning and Improvement Group's pages: filters in the address, training recorded, themes
for every role but evidence for casework only, and each role refused what is not theirs."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from qaframework.framework import Rating, Role
from qaframework.store import Action, TemplateVersion
from tests.support import T1, ClientAs, MakeCase, MakeUser, TemplateVersionOf
from tests.test_learning_operations import add_action, audit_with
from tests.webapp.journey import error_links, page

CYCLE = "2031-32 Autumn 2"


def test_learning_nav_and_landing_by_role(client_as: ClientAs) -> None:
    viewer, _ = client_as(Role.BOARD_VIEWER)
    soup = page(viewer.get("/learning"))
    nav = [a.get_text(strip=True) for a in soup.select(".govuk-service-navigation__link, .govuk-header__link")]
    assert "Learning" in nav
    links = [a["href"] for a in soup.select("#learning-pages a")]
    assert links == ["/learning/themes"]  # no actions, no training needs: they are casework
    panel, _ = client_as(Role.PANEL_MEMBER)
    links = [a["href"] for a in page(panel.get("/learning")).select("#learning-pages a")]
    assert links == ["/learning/themes", "/learning/actions", "/learning/training", "/learning/exemplars"]


def test_each_role_is_refused_what_is_not_theirs(
    client_as: ClientAs, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf,
    session: Session,
) -> None:
    author = make_user()
    audit = audit_with(session, author, make_case().id, template_version(T1).id, CYCLE, {})
    action = add_action(session, audit, author, due=date.today() + timedelta(days=3))
    viewer, _ = client_as(Role.BOARD_VIEWER)
    for url in ("/learning/actions", "/learning/training", f"/learning/actions/{action.id}/training",
                f"/learning/themes/evidence?template={T1}&question=x&cycle={CYCLE}"):
        page(viewer.get(url), 403)
    # An auditor of another agency may not see, nor mark, this action as a training need.
    health, _ = client_as(Role.AUDITOR, agency="health")
    page(health.get(f"/learning/actions/{action.id}/training"), 403)
    assert health.post(f"/learning/actions/{action.id}/training",
                       data={"step": "need", "training_need": "yes"}).status_code == 403
    # A colleague in the same agency sees it but cannot change it (neither owner, raiser nor the group).
    colleague, _ = client_as(Role.AUDITOR)
    soup = page(colleague.get("/learning/training"))
    page(colleague.get(f"/learning/actions/{action.id}/training"), 403)
    soup = page(colleague.get("/learning/actions"))
    assert f"/actions/{action.id}" in [a["href"] for a in soup.select("table a")]
    session.expire_all()
    assert session.get(Action, action.id).training_need is False


def test_filters_live_in_the_address(
    client_as: ClientAs, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf,
    session: Session,
) -> None:
    client, _ = client_as(Role.PANEL_MEMBER)
    author = make_user()
    audit = audit_with(session, author, make_case().id, template_version(T1).id, CYCLE, {})
    late = add_action(session, audit, author, due=date.today() - timedelta(days=2), theme="Outcomes")
    add_action(session, audit, author, due=date.today() + timedelta(days=20), theme="Outcomes")
    soup = page(client.get(f"/learning/actions?owner={author.id}&status=overdue&cycle={CYCLE.replace(' ', '+')}"))
    rows = soup.select("table tbody tr")
    assert [r.select_one("a")["href"] for r in rows] == [f"/actions/{late.id}"]
    assert "Overdue" in rows[0].get_text()
    assert soup.select_one("#action-count").get_text(strip=True) == "1 action, 1 overdue matching the filters."
    form = soup.select_one("#action-filters")
    assert form["method"] == "get"  # so the filtered list can be bookmarked
    assert form.select_one("#status option[selected]")["value"] == "overdue"
    assert form.select_one("#owner option[selected]")["value"] == str(author.id)
    soup = page(client.get("/learning/actions?status=finished"))
    assert error_links(soup) == {"#status": "Choose a status from the list"}


def test_training_need_marked_and_delivery_recorded(
    client_as: ClientAs, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf,
    session: Session,
) -> None:
    client, _ = client_as(Role.SYSTEM_LEADER)
    author = make_user()
    audit = audit_with(session, author, make_case().id, template_version(T1).id, CYCLE, {})
    action = add_action(session, audit, author, due=date.today() + timedelta(days=3))
    url = f"/learning/actions/{action.id}/training"
    soup = page(client.get(url))
    assert soup.select_one("#training-delivered-form") is None  # not a training need yet
    assert client.post(url, data={"step": "need", "training_need": "yes",
                                  "training_area": "Early years SEN team"}).status_code == 302
    soup = page(client.get(url))
    assert "Training need saved." in soup.get_text()
    today = date.today()
    soup = page(client.post(url, data={"step": "delivered", "delivered_on-day": "31", "delivered_on-month": "2",
                                       "delivered_on-year": str(today.year), "attendees": "lots"}))
    assert error_links(soup) == {
        "#delivered_on-day": "The date must be a real date, like 14 10 2026",
        "#attendees": "How many people were trained must be a whole number, like 12",
    }
    assert client.post(url, data={"step": "delivered", "delivered_on-day": str(today.day),
                                  "delivered_on-month": str(today.month), "delivered_on-year": str(today.year),
                                  "attendees": "18"}).status_code == 302
    session.expire_all()
    stored = session.get(Action, action.id)
    assert stored is not None
    assert (stored.training_need, stored.training_area, stored.training_delivered_on, stored.training_attendees) == (
        True, "Early years SEN team", today, 18)
    soup = page(client.get("/learning/training"))
    row = soup.select_one("#training-summary tbody tr")
    assert row is not None and "SEND and EHC service" in row.get_text()
    assert "18 people" in soup.get_text()
    # The action's page shows it, with a change link for those who may.
    soup = page(client.get(f"/actions/{action.id}"))
    training_row = soup.find("dt", string=lambda s: s and "Training need" in s)
    assert "18 people" in training_row.find_next("dd").get_text()


def test_themes_page_links_evidence_for_casework_only(
    client_as: ClientAs, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf,
    session: Session,
) -> None:
    author = make_user()
    tv = template_version(T1)
    question = next(iter(session.get(TemplateVersion, tv.id).template.questions()))
    for n in range(2):
        audit_with(session, author, make_case(f"EHC-THEME-{n}").id, tv.id, CYCLE,
                   {question.id: Rating.NOT_MET.value})
    client, _ = client_as(Role.PANEL_MEMBER)
    soup = page(client.get(f"/learning/themes?cycle={CYCLE.replace(' ', '+')}"))
    first = soup.select_one("#themes-table tbody tr")
    assert first is not None and question.id in first.get_text()
    link = first.select_one("a")["href"]
    evidence = page(client.get(link))
    assert {"EHC-THEME-0", "EHC-THEME-1"} <= {a.get_text(" ", strip=True).split(" ")[0]
                                                for a in evidence.select("#evidence-table a")}
    viewer, _ = client_as(Role.BOARD_VIEWER)
    soup = page(viewer.get(f"/learning/themes?cycle={CYCLE.replace(' ', '+')}"))
    assert question.id in soup.select_one("#themes-table").get_text()
    assert soup.select("#themes-table a") == []  # figures only: nothing case-level
    assert "EHC-THEME" not in soup.get_text()
    page(viewer.get(link), 403)


def test_exemplar_put_forward_approved_and_linked_from_the_checklist(
    client_as: ClientAs, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf,
    session: Session,
) -> None:
    from qaframework.operations.exemplars import ANONYMISATION_CHECKS
    from tests.test_learning_operations import EXTRACT, moderated_audit

    auditor, author = client_as(Role.AUDITOR)
    audit = moderated_audit(session, author, make_case().id, template_version(T1).id)
    section = audit.section_grades[0]
    soup = page(auditor.get("/learning/exemplars/sections"))
    url = f"/learning/exemplars/nominate/{audit.id}/{section.section_id}"
    assert url in [a["href"] for a in soup.select("#candidates-table a")]
    soup = page(auditor.post(url, data={"extract": EXTRACT}))
    assert error_links(soup) == {"#checks": "Confirm every item of the anonymisation checklist"}
    assert soup.select_one("#extract").get_text() == EXTRACT  # nothing typed is lost
    response = auditor.post(url, data={"extract": EXTRACT, "checks": list(ANONYMISATION_CHECKS)})
    assert response.status_code == 302
    shown = response.headers["Location"]
    # Pending: the nominator sees it, another agency's auditor does not, a panel member cannot decide.
    assert "Waiting for a panel lead" in page(auditor.get(shown)).get_text()
    health, _ = client_as(Role.AUDITOR, agency="health")
    page(health.get(shown), 403)
    panel, _ = client_as(Role.PANEL_MEMBER)
    assert page(panel.get(shown)).select_one("input[name=decision]") is None
    assert panel.post(shown, data={"decision": "approve"}).status_code == 403
    lead_client, lead = client_as(Role.PANEL_MEMBER)
    lead.leads_panel = True
    session.commit()
    soup = page(lead_client.get("/learning/exemplars/waiting"))
    assert shown in [a["href"] for a in soup.select("#waiting-table a")]
    soup = page(lead_client.post(shown, data={"decision": "reject"}))
    assert error_links(soup) == {"#reason": "Say why it is not approved, so the nominator can put it right"}
    assert lead_client.post(shown, data={"decision": "approve"}).status_code == 302
    # Approved: every auditor reads it under its plan section, and the checklist section links there.
    letter = section.plan_sections[0]
    soup = page(health.get(f"/learning/exemplars?plan_section={letter}"))
    assert shown in [a["href"] for a in soup.select(f"#section-{letter} ~ ul a")]
    assert EXTRACT in page(health.get(shown)).select_one("#exemplar-extract").get_text()
    soup = page(auditor.get(f"/audits/{audit.id}/sections/{section.section_id}"))
    assert soup.select_one("#exemplars-link a")["href"] == f"/learning/exemplars?plan_section={letter}"
    viewer, _ = client_as(Role.BOARD_VIEWER)
    for forbidden in ("/learning/exemplars", shown, url, "/learning/exemplars/sections", "/learning/exemplars/waiting"):
        page(viewer.get(forbidden), 403)
