"""Drafts: a warning before starting a second audit of the same case with the same checklist, and
discarding a draft (confirm page; author or administrator only; all of it kept in the trail)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from qaframework.framework import Role
from qaframework.operations.audits import ResponseInput, save_answers
from qaframework.store import Audit, TrailEntry
from qaframework.trail_text import case_pseudonym, fingerprint, trail_key
from tests.support import ClientAs, MakeCase
from tests.webapp.journey import T1_TITLE, check_page, form_values, start_via_pages


def _start_again(client: FlaskClient, case_ref: str) -> TestResponse:
    soup = check_page(client.get(f"/audits/new?case_ref={case_ref}&subject=final_plan"))
    label = soup.find("label", string=lambda s: s is not None and s.strip() == T1_TITLE)
    form = soup.select_one("form[method=post]")
    chosen = soup.find(id=label["for"])["value"]
    return client.post(form["action"], data={**form_values(form), "template_version_id": chosen})


def test_starting_the_same_checklist_again_shows_the_existing_draft(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    client, _ = client_as(Role.AUDITOR, agency="send_service", team="North")
    case = make_case("DUP-001")
    first = start_via_pages(client, case.case_ref)
    response = _start_again(client, case.case_ref)
    assert response.status_code == 200  # not a new audit: a question first
    soup = check_page(response)
    assert soup.h1.get_text(strip=True) == "You already have a draft of this audit"
    assert soup.select_one(f"#existing-drafts a[href='/audits/{first}']") is not None
    assert len(session.scalars(select(Audit).where(Audit.case_id == case.id)).all()) == 1
    form = soup.select("form[method=post]")[-1]
    again = client.post(form["action"], data=form_values(form))
    assert again.status_code == 302 and again.headers["Location"] != f"/audits/{first}"
    session.expire_all()
    assert len(session.scalars(select(Audit).where(Audit.case_id == case.id)).all()) == 2


def test_author_discards_a_draft_after_confirming_and_the_trail_keeps_it(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    client, user = client_as(Role.AUDITOR, agency="send_service", team="North")
    case = make_case("DIS-001")
    audit_id = start_via_pages(client, case.case_ref)
    audit = session.get(Audit, audit_id)
    first = audit.template.questions()[0].id
    save_answers(session, user, audit_id, audit.version_id, {first: ResponseInput("not_met", "No views recorded.")})
    overview = check_page(client.get(f"/audits/{audit_id}"))
    link = overview.find("a", string="Discard this draft")
    assert link is not None and link["href"] == f"/audits/{audit_id}/discard"
    confirm = check_page(client.get(link["href"]))
    assert confirm.h1.get_text(strip=True) == "Are you sure you want to discard this draft?"
    form = confirm.select_one("form[method=post]")
    response = client.post(form["action"], data=form_values(form))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    session.expire_all()
    assert session.get(Audit, audit_id) is None
    entry = session.scalar(
        select(TrailEntry).where(TrailEntry.action == "audit.discard", TrailEntry.entity_id == str(audit_id))
    )
    assert entry is not None and entry.actor_id == user.id
    key = trail_key(session)  # the trail keeps a pseudonym and fingerprints, never the words
    assert entry.before["case_ref"] == case_pseudonym(key, "DIS-001") and entry.before["answers"][first] == {
        "rating": "not_met", "evidence": fingerprint(key, "No views recorded."), "na_reason": None}
    home = check_page(client.get("/")).get_text(" ", strip=True)
    assert "The draft audit of case DIS-001 has been discarded." in home
    assert f"Discarded a draft audit: case DIS-001, {T1_TITLE} (discarded draft)" in home


def test_only_the_author_or_an_admin_may_discard_and_only_a_draft(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    client, _ = client_as(Role.AUDITOR, agency="send_service", team="North")
    audit_id = start_via_pages(client, make_case("DIS-002").case_ref)
    colleague, _ = client_as(Role.AUDITOR, agency="send_service", team="North")  # may see it, not discard it
    assert colleague.get(f"/audits/{audit_id}/discard").status_code == 403
    assert colleague.post(f"/audits/{audit_id}/discard").status_code == 403
    assert check_page(colleague.get(f"/audits/{audit_id}")).find("a", string="Discard this draft") is None
    admin, _ = client_as(Role.ADMIN)
    assert admin.post(f"/audits/{audit_id}/discard").status_code == 302
    session.expire_all()
    assert session.get(Audit, audit_id) is None
