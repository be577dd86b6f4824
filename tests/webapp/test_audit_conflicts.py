"""Two sessions saving the same audit: the second is told, shown both versions, keeps its input,
and nothing is overwritten until it explicitly saves again."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.store import Audit, User
from tests.support import T1, MakeCase, MakeUser, TemplateVersionOf
from tests.webapp.conftest import sign_in
from tests.webapp.journey import check_page, form_values, open_form, start_via_pages


def stored(session: Session, audit_id: int, question_id: str) -> tuple[str | None, str]:
    session.expire_all()
    audit = session.get(Audit, audit_id)
    row = next((r for r in audit.responses if r.question_id == question_id), None)
    return (row.rating, row.evidence) if row else (None, "")


@pytest.fixture
def two_tabs(
    app: Flask, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> tuple[FlaskClient, FlaskClient, User, int]:
    """The same auditor signed in twice (two browsers), both on one audit: (first, second, user, audit_id)."""
    user = make_user(Role.AUDITOR, agency="send_service")
    first, second = sign_in(app.test_client(), user), sign_in(app.test_client(), user)
    audit_id = start_via_pages(first, make_case("CONFLICT-1").case_ref)
    return first, second, user, audit_id


def test_second_save_gets_a_conflict_page_and_can_then_save_theirs(
    two_tabs: tuple[FlaskClient, FlaskClient, User, int], template_version: TemplateVersionOf, session: Session
) -> None:
    first, second, user, audit_id = two_tabs
    section = template_version(T1).template.sections[0]
    q, untouched = section.questions[0], section.questions[1]
    url = f"/audits/{audit_id}/sections/{section.id}"
    _, first_data, action = open_form(first, url)
    _, second_data, _ = open_form(second, url)
    assert first_data["version"] == second_data["version"]

    response = first.post(
        action,
        data=first_data | {f"rating-{q.id}": "met", f"evidence-{q.id}": "First person's evidence", "next": "stay"},
    )
    assert response.status_code == 302
    mine = {
        f"rating-{q.id}": "not_met",
        f"evidence-{q.id}": "Second person's evidence",
        f"rating-{untouched.id}": "partially_met",
        f"evidence-{untouched.id}": "Only I answered this",
        "next": "stay",
    }
    response = second.post(action, data=second_data | mine)
    assert response.status_code == 409
    soup = check_page(response)
    assert soup.h1.get_text(strip=True) == "This audit changed since you opened it"
    text = soup.get_text(" ", strip=True)
    assert "Your answers have not been saved yet, and nothing anyone saved has been overwritten." in text
    assert user.display_name in text  # who changed it

    # The comparison: one table per differing question, saved version against theirs.
    tables = {t.caption.get_text(" ", strip=True): t for t in soup.select("table.app-compare")}
    assert set(tables) == {f"{q.id} {q.text}", f"{untouched.id} {untouched.text}"}
    rows = {
        tr.th.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in tables[f"{q.id} {q.text}"].tbody.find_all("tr")
    }
    assert rows["Rating"] == ["Met", "Not met"]
    assert rows["Evidence"] == ["First person's evidence", "Second person's evidence"]

    # Their input is kept in a form carrying the new version; nothing of theirs was stored.
    form = soup.select_one("form#checklist-form")
    kept = form_values(form)
    assert kept[f"rating-{q.id}"] == "not_met" and kept[f"evidence-{q.id}"] == "Second person's evidence"
    assert kept[f"rating-{untouched.id}"] == "partially_met"
    assert int(kept["version"]) == int(second_data["version"]) + 1
    assert stored(session, audit_id, q.id) == ("met", "First person's evidence")
    assert stored(session, audit_id, untouched.id) == (None, "")
    assert soup.find("a", string="discard your changes and see the saved version")["href"] == url

    # Choosing to save theirs is an explicit second save, and it works.
    response = second.post(form["action"], data=kept | {"next": "stay"})
    assert response.status_code == 302
    assert stored(session, audit_id, q.id) == ("not_met", "Second person's evidence")
    assert stored(session, audit_id, untouched.id) == ("partially_met", "Only I answered this")

    # The first tab is now the stale one.
    response = first.post(action, data=first_data | {f"evidence-{q.id}": "First person again", "next": "stay"})
    assert response.status_code == 409
    check_page(response)


def test_unchanged_page_saves_nothing_and_cannot_conflict(
    two_tabs: tuple[FlaskClient, FlaskClient, User, int], template_version: TemplateVersionOf, session: Session
) -> None:
    first, second, _, audit_id = two_tabs
    sections = template_version(T1).template.sections
    _, a_data, a_action = open_form(first, f"/audits/{audit_id}/sections/{sections[0].id}")
    _, b_data, b_action = open_form(second, f"/audits/{audit_id}/sections/{sections[1].id}")
    q0 = sections[0].questions[0]
    assert first.post(a_action, data=a_data | {f"rating-{q0.id}": "met", "next": "stay"}).status_code == 302
    response = second.post(b_action, data=b_data | {"next": "stay"}, follow_redirects=True)  # nothing typed
    assert response.status_code == 200
    assert "You had not changed anything, so nothing needed saving." in check_page(response).get_text()
    assert stored(session, audit_id, q0.id) == ("met", "")


def test_saving_mine_after_a_conflict_keeps_a_colleagues_other_answers(
    two_tabs: tuple[FlaskClient, FlaskClient, User, int], template_version: TemplateVersionOf, session: Session
) -> None:
    """Three-way merge: only the questions this user changed are sent, so a colleague's answers to
    other questions on the same page survive the "save my answers" that follows a conflict."""
    first, second, _, audit_id = two_tabs
    section = template_version(T1).template.sections[0]
    theirs, mine = section.questions[0], section.questions[1]
    url = f"/audits/{audit_id}/sections/{section.id}"
    _, first_data, action = open_form(first, url)
    _, second_data, _ = open_form(second, url)
    assert (
        first.post(
            action,
            data=first_data | {f"rating-{theirs.id}": "met", f"evidence-{theirs.id}": "Colleague", "next": "stay"},
        ).status_code
        == 302
    )
    response = second.post(
        action, data=second_data | {f"rating-{mine.id}": "not_met", f"evidence-{mine.id}": "Me", "next": "stay"}
    )
    assert response.status_code == 409
    soup = check_page(response)
    captions = [t.caption.get_text(" ", strip=True) for t in soup.select("table.app-compare")]
    assert captions == [f"{mine.id} {mine.text}"]  # only what this user changed is compared
    kept = form_values(soup.select_one("form#checklist-form"))
    assert kept[f"rating-{theirs.id}"] == "met"  # the colleague's saved answer is shown, not the stale one
    assert second.post(action, data=kept | {"next": "stay"}).status_code == 302
    assert stored(session, audit_id, theirs.id) == ("met", "Colleague")
    assert stored(session, audit_id, mine.id) == ("not_met", "Me")


def test_judgement_conflict_keeps_their_judgement(
    two_tabs: tuple[FlaskClient, FlaskClient, User, int], session: Session
) -> None:
    first, second, _, audit_id = two_tabs
    url = f"/audits/{audit_id}/judgement"
    _, first_data, action = open_form(first, url)
    _, second_data, _ = open_form(second, url)
    assert first.post(action, data=first_data | {"summary": "First summary", "next": "stay"}).status_code == 302
    response = second.post(action, data=second_data | {"summary": "Second summary", "next": "stay"})
    assert response.status_code == 409
    soup = check_page(response)
    rows = {
        tr.th.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in soup.select("table.app-compare tbody tr")
    }
    assert rows == {"Summary": ["First summary", "Second summary"]}
    form = soup.select_one("form#judgement-form")
    kept = form_values(form)
    assert kept["summary"] == "Second summary"
    session.expire_all()
    assert session.get(Audit, audit_id).summary == "First summary"
    assert second.post(form["action"], data=kept | {"next": "stay"}).status_code == 302
    session.expire_all()
    assert session.get(Audit, audit_id).summary == "Second summary"


def test_stale_submit_is_not_submitted(
    two_tabs: tuple[FlaskClient, FlaskClient, User, int], session: Session, template_version: TemplateVersionOf
) -> None:
    first, second, _, audit_id = two_tabs
    _, submit_data, submit_action = open_form(second, f"/audits/{audit_id}/submit")
    section = template_version(T1).template.sections[0]
    _, data, action = open_form(first, f"/audits/{audit_id}/sections/{section.id}")
    q = section.questions[0]
    assert first.post(action, data=data | {f"rating-{q.id}": "met", "next": "stay"}).status_code == 302
    response = second.post(submit_action, data=submit_data)
    assert response.status_code == 409
    soup = check_page(response)
    assert "This audit changed since you opened this page" in soup.select_one(".govuk-notification-banner").get_text()
    assert int(form_values(soup.select_one("form[method=post]"))["version"]) == int(submit_data["version"]) + 1
    session.expire_all()
    assert session.get(Audit, audit_id).status == "draft"


def test_judgement_typed_after_submission_elsewhere_is_shown_not_lost(
    two_tabs: tuple[FlaskClient, FlaskClient, User, int], session: Session, template_version: TemplateVersionOf
) -> None:
    _first, second, user, audit_id = two_tabs
    from qaframework.operations.audits import ResponseInput, save_answers, submit_audit

    template = template_version(T1).template
    session.expire_all()
    audit = session.get(Audit, audit_id)
    save_answers(
        session, user, audit_id, audit.version_id, {q.id: ResponseInput("met", "ok") for q in template.questions()}
    )
    _, data, action = open_form(second, f"/audits/{audit_id}/judgement")
    submit_audit(session, user, audit_id, session.get(Audit, audit_id).version_id)  # submitted from the other tab
    response = second.post(action, data=data | {"summary": "Typed while it was submitted", "next": "stay"})
    assert response.status_code == 409
    soup = check_page(response)
    assert soup.h1.get_text(strip=True) == "This audit can no longer be changed"
    assert "Typed while it was submitted" in soup.select_one("table.app-compare").get_text()
    assert soup.select("form[method=post]") == []
    session.expire_all()
    assert session.get(Audit, audit_id).summary is None
