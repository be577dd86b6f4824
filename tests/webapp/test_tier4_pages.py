"""Tier 4 pages: consent recorded on the case, the review started from it, the conversation gated by
consent, notes and the board summary read only by whom they should be, and a forum representative
refused every case that is not theirs."""

from __future__ import annotations

from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from qaframework.framework import Role
from qaframework.store import Audit, ConsentRecord, ReviewConversation
from tests.support import ClientAs, MakeCase
from tests.webapp.journey import check_page, error_links, form_values, page, start_via_pages

T4_TITLE = "System-leader review and conversation with the family"
TODAY = date.today()


def _consent(client: FlaskClient, case_id: int, **changes: object) -> TestResponse:
    data: dict[str, object] = {
        "given_by": "parent_carer", "decision": "given", "asked_on": f"{TODAY - timedelta(days=3):%d/%m/%Y}",
        "method": "Phone call, then a letter", "scope": ["conversation", "notes"],
        "expires_on": f"{TODAY + timedelta(days=90):%d/%m/%Y}",
    }
    data.update(changes)
    return client.post(f"/cases/{case_id}/consent", data=data)


def test_consent_is_recorded_on_the_case_page_and_a_review_starts_from_it(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    client, _ = client_as(Role.SYSTEM_LEADER)
    case = make_case("T4-WEB-1")
    soup = page(client.get(f"/cases/{case.id}"))
    assert soup.select_one("#tier4-consent") is not None
    link = soup.find("a", string=lambda s: s is not None and "Record the family's decision" in s)
    assert link is not None and link["href"] == f"/cases/{case.id}/consent"
    form = check_page(client.get(link["href"])).select_one("form#form")
    refused = client.post(f"/cases/{case.id}/consent", data=form_values(form))
    errors = error_links(page(refused, 400))
    assert {"#given_by", "#decision", "#asked_on", "#method"} <= set(errors)
    assert session.scalars(select(ConsentRecord)).all() == []
    done = _consent(client, case.id)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{case.id}#tier4-consent")
    table = page(client.get(f"/cases/{case.id}")).select_one("#consent-table")
    assert table is not None and "Parent or carer" in table.get_text() and "The next review" in table.get_text()
    audit_id = start_via_pages(client, case.case_ref, title=T4_TITLE)
    audit = session.get(Audit, audit_id)
    assert audit is not None and [c.audit_id for c in audit.consents] == [audit_id]
    show = page(client.get(f"/audits/{audit_id}"))
    assert show.select_one(f"#tier4-parts + ul a[href='/audits/{audit_id}/conversation']") is not None


def test_declined_consent_makes_a_paper_review_and_the_server_refuses_the_conversation(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    client, _ = client_as(Role.SYSTEM_LEADER)
    case = make_case("T4-WEB-2")
    assert _consent(client, case.id, decision="refused", scope=[]).status_code == 302
    audit_id = start_via_pages(client, case.case_ref, title=T4_TITLE)
    soup = page(client.get(f"/audits/{audit_id}/conversation"))
    assert "There is no conversation: Parent or carer declined" in soup.select_one("#consent-state").get_text()
    assert soup.select_one("form#form") is None
    posted = client.post(f"/audits/{audit_id}/conversation", data={
        "held_on": f"{TODAY:%d/%m/%Y}", "participants": ["parent_carer"], "rating-T4-04": "positive",
        "notes": "Posted anyway"})
    assert posted.status_code == 400 and "paper review" in error_links(page(posted, 400))["#form"]
    assert session.scalar(select(ReviewConversation)) is None
    section = page(client.get(f"/audits/{audit_id}/sections/family-experience"))
    assert "Not applicable" in section.select_one("#question-T4-04").get_text()
    form = section.select_one("#checklist-form")
    data = {**form_values(form), "rating-T4-04": "met", "evidence-T4-04": "Tampered", "rating-T4-03": "met"}
    tampered = client.post(f"/audits/{audit_id}/sections/family-experience", data=data)
    assert "#rating-T4-04" in error_links(page(tampered, 400))
    unchanged = client.post(f"/audits/{audit_id}/sections/family-experience", data=form_values(form))
    assert unchanged.status_code == 302  # the paper-review answers post back as they are


def test_conversation_notes_and_board_summary_readers(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    client, _ = client_as(Role.SYSTEM_LEADER)
    other, _ = client_as(Role.SYSTEM_LEADER)
    case = make_case("T4-WEB-3")
    _consent(client, case.id, scope=["conversation", "notes"])
    audit_id = start_via_pages(client, case.case_ref, title=T4_TITLE)
    form = page(client.get(f"/audits/{audit_id}/conversation")).select_one("form#form")
    data = {**form_values(form), "held_on": f"{TODAY:%d/%m/%Y}", "participants": ["child", "parent_carer"],
            "notes": "SECRET NOTE about the family", "words-T4-04": "Yes that's him", "reflection": "Workforce gap"}
    data.update({f"rating-{q}": "positive" for q in ("T4-02", "T4-04", "T4-05", "T4-06", "T4-07", "T4-08", "T4-09")})
    data.update({"rating-T4-17": "not_applicable", "na_reason-T4-17": "The child communicates verbally."})
    saved = client.post(f"/audits/{audit_id}/conversation", data=data)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    assert "SECRET NOTE" in client.get(f"/audits/{audit_id}/conversation").get_data(as_text=True)
    theirs = page(other.get(f"/audits/{audit_id}/conversation")).get_text()
    assert "SECRET NOTE" not in theirs and "Yes that's him" not in theirs
    assert "Only the reviewer and the QA lead can read the notes." in theirs
    summary = "A Key Stage 2 child with communication and interaction needs; therapy stopped for a term."
    bad = client.post(f"/audits/{audit_id}/board-summary", data={"board_summary": "T4-WEB-3, Year 5", "action": "save"})
    assert "Remove the case reference" in error_links(page(bad, 400))["#board_summary"]
    assert client.post(f"/audits/{audit_id}/board-summary", data={"board_summary": summary}).status_code == 302
    unread = other.get(f"/audits/{audit_id}/board-summary").get_data(as_text=True)
    assert summary not in unread and "once the QA lead has approved it" in unread
    approve = other.post(f"/audits/{audit_id}/board-summary", data={"action": "approve", "checks": ["no_names"]})
    assert approve.status_code == 403
    assert summary not in page(other.get("/board-summaries")).get_text()


def test_qa_lead_reads_notes_and_approves_the_summary(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    client, _ = client_as(Role.SYSTEM_LEADER)
    lead, lead_user = client_as(Role.PANEL_MEMBER)
    lead_user.leads_panel = True
    session.commit()
    board, _ = client_as(Role.BOARD_VIEWER)
    case = make_case("T4-WEB-4")
    _consent(client, case.id, scope=["conversation", "notes"])
    audit_id = start_via_pages(client, case.case_ref, title=T4_TITLE)
    form = page(client.get(f"/audits/{audit_id}/conversation")).select_one("form#form")
    client.post(f"/audits/{audit_id}/conversation", data={**form_values(form), "notes": "SECRET NOTE"})
    assert "SECRET NOTE" in page(lead.get(f"/audits/{audit_id}/conversation")).get_text()
    summary = "A Key Stage 3 young person with social, emotional and mental health needs."
    client.post(f"/audits/{audit_id}/board-summary", data={"board_summary": summary})
    soup = page(lead.get(f"/audits/{audit_id}/board-summary"))
    assert summary in soup.select_one("#board-summary-text").get_text()
    approve = soup.select_one("form#approve")
    partial = lead.post(f"/audits/{audit_id}/board-summary", data={**form_values(approve), "checks": ["no_names"]})
    assert "#checks" in error_links(page(partial, 400))
    checks = [i["value"] for i in approve.select("input[name=checks]")]
    assert lead.post(f"/audits/{audit_id}/board-summary",
                     data={**form_values(approve), "checks": checks}).status_code == 302
    assert board.get(f"/audits/{audit_id}/board-summary").status_code == 403  # board viewers see no audits
    assert page(board.get("/board-summaries")).select_one("#no-summaries") is not None  # only once submitted


def test_forum_representative_is_refused_other_cases_everywhere(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    leader_client, _ = client_as(Role.SYSTEM_LEADER)
    forum, forum_user = client_as(Role.PARENT_CARER_FORUM)
    theirs, other = make_case("FORUM-OWN"), make_case("FORUM-OTHER")
    _consent(leader_client, other.id)
    other_review = start_via_pages(leader_client, other.case_ref, title=T4_TITLE)
    _consent(leader_client, theirs.id)
    own_review = start_via_pages(leader_client, theirs.case_ref, title=T4_TITLE)
    own = session.get(Audit, own_review)
    assert own is not None
    own.auditor_id = forum_user.id
    session.commit()
    for url in (f"/cases/{other.id}", f"/audits/{other_review}", f"/audits/{other_review}/conversation",
                f"/audits/{other_review}/board-summary", f"/cases/{other.id}/consent",
                f"/audits/new?case_id={other.id}", f"/audits/new?case_ref={other.case_ref}&subject=final_plan"):
        assert forum.get(url).status_code == 403, url
    assert _consent(forum, other.id).status_code == 403
    assert forum.get("/audits?scope=all").status_code == 403
    listing = page(forum.get("/cases")).get_text()
    assert "FORUM-OWN" in listing and "FORUM-OTHER" not in listing
    searched = page(forum.get("/cases?search=FORUM")).get_text()
    assert "FORUM-OTHER" not in searched
    assert "FORUM-OTHER" not in page(forum.get("/cases/at-risk")).get_text()
    assert page(forum.get(f"/cases/{theirs.id}")).h1.get_text(strip=True) == "FORUM-OWN"
    assert page(forum.get(f"/audits/{own_review}/conversation")).select_one("form#form") is not None


def test_administrator_sets_how_long_notes_are_kept(client_as: ClientAs, session: Session) -> None:
    from qaframework.operations.tier4 import retention_days

    admin, _ = client_as(Role.ADMIN, agency=None)
    home = page(admin.get("/admin"))
    assert home.select_one("a[href='/admin/notes-retention']") is not None and "90 days" in home.get_text()
    form = page(admin.get("/admin/notes-retention")).select_one("form[method=post]")
    refused = admin.post("/admin/notes-retention", data={**form_values(form), "days": "3"})
    assert error_links(page(refused, 200 if refused.status_code == 200 else 400)) == {
        "#days": "Enter a number of days between 7 and 730"}
    assert retention_days(session) == 90
    saved = admin.post("/admin/notes-retention", data={**form_values(form), "days": "30"})
    assert saved.status_code == 302
    session.expire_all()
    assert retention_days(session) == 30
    leader, _ = client_as(Role.SYSTEM_LEADER)
    assert leader.get("/admin/notes-retention").status_code == 403
