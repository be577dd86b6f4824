"""Actions: raising one from a question (with GOV.UK date errors), my list, status, permissions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.store import Action, Audit, TrailEntry, User
from qaframework.trail_text import fingerprint, trail_key
from tests.support import ClientAs, MakeUser
from tests.webapp.journey import error_links, page
from webapp.actions import parse_due_date


def actions_of(session: Session, audit: Audit) -> list[Action]:
    session.expire_all()
    return list(session.scalars(select(Action).where(Action.audit_id == audit.id)))


def due_in(days: int) -> dict[str, str]:
    when = date.today() + timedelta(days=days)
    return {"due_date-day": str(when.day), "due_date-month": str(when.month), "due_date-year": str(when.year)}


def add_action(
    session: Session, audit: Audit, owner: User, raiser: User, due: date, status: str = "open", text: str = "Do it"
) -> Action:
    action = Action(
        audit_id=audit.id,
        question_id=audit.template.questions()[0].id,
        description=text,
        owner_id=owner.id,
        agency_code=owner.agency_code,
        due_date=due,
        status=status,
        created_by_id=raiser.id,
    )
    session.add(action)
    session.commit()
    return action


def test_raise_an_action_from_a_question(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    client, user = client_as(Role.AUDITOR)
    owner = make_user(agency="health")
    audit = check_for(user)
    question = audit.template.questions()[2]
    url = f"/audits/{audit.id}/actions/new?question_id={question.id}"

    soup = page(client.get(url))
    assert question.text in soup.select_one(".govuk-inset-text").get_text()
    assert soup.select_one("#owner option[selected]")["value"] == str(user.id)
    assert soup.select_one("#agency option[selected]")["value"] == ""
    assert soup.select_one("form[method=post]")["action"] == url

    response = client.post(
        url,
        data={
            "description": "Ask the therapist for the frequency.",
            "owner": str(owner.id),
            "theme": "Health provision",
            **due_in(30),
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/audits/{audit.id}"
    [action] = actions_of(session, audit)
    assert (action.question_id, action.owner_id, action.agency_code, action.created_by_id) == (
        question.id,
        owner.id,
        "health",
        user.id,
    )
    assert (
        action.due_date == date.today() + timedelta(days=30)
        and action.theme == "Health provision"
        and action.status == "open"
    )


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (
            {"due_date-day": "31", "due_date-month": "2", "due_date-year": "2027"},
            {"#due_date-day": "Due date must be a real date"},
        ),
        (
            {"due_date-day": "1", "due_date-month": "1", "due_date-year": "2020"},
            {"#due_date-day": "Due date must be today or in the future"},
        ),
        (
            {"due_date-day": "1", "due_date-month": "", "due_date-year": "2030"},
            {"#due_date-month": "Due date must include a month"},
        ),
        ({}, {"#due_date-day": "Enter the date the action is due"}),
    ],
)
def test_date_errors_link_to_the_date(
    client_as: ClientAs,
    check_for: Callable[[User], Audit],
    session: Session,
    due: dict[str, str],
    expected: dict[str, str],
) -> None:
    client, user = client_as(Role.AUDITOR)
    audit = check_for(user)
    soup = page(
        client.post(f"/audits/{audit.id}/actions/new", data={"description": "Fix it", "owner": str(user.id), **due})
    )
    assert error_links(soup) == expected
    assert soup.title.get_text().startswith("Error: ")
    assert soup.select_one(".govuk-date-input").find_parent(class_="govuk-form-group--error") is not None
    for part, value in due.items():
        assert soup.select_one(f"#{part}")["value"] == value  # what was typed is kept
    assert actions_of(session, audit) == []


def test_every_problem_is_listed_in_page_order(
    client_as: ClientAs, check_for: Callable[..., Audit], session: Session
) -> None:
    client, user = client_as(Role.AUDITOR)
    audit = check_for(user)
    soup = page(
        client.post(
            f"/audits/{audit.id}/actions/new",
            data={
                "description": "  ",
                "owner": str(user.id),
                "agency": "not-an-agency",
                "theme": "x" * 81,
                "due_date-day": "31",
                "due_date-month": "2",
                "due_date-year": "2027",
            },
        )
    )
    assert list(error_links(soup).items()) == [
        ("#description", "Describe what needs to be done"),
        ("#agency", "Choose an agency from the list"),
        ("#due_date-day", "Due date must be a real date"),
        ("#theme", "Keep the theme to 80 characters or fewer"),
    ]
    assert soup.select_one("#theme")["value"] == "x" * 81
    assert actions_of(session, audit) == []


def test_unknown_question_is_not_found(client_as: ClientAs, check_for: Callable[..., Audit]) -> None:
    client, user = client_as(Role.AUDITOR)
    page(client.get(f"/audits/{check_for(user).id}/actions/new?question_id=NOPE-1"), 404)


def test_parse_due_date_rules() -> None:
    today = date(2026, 5, 10)
    assert parse_due_date({"day": "10", "month": "May", "year": "2026"}, today) == (today, None, ())
    assert parse_due_date({"day": "1", "month": "", "year": ""}, today)[1:] == (
        "Due date must include a month and year",
        ("month", "year"),
    )
    assert parse_due_date({"day": "x", "month": "5", "year": "2026"}, today)[1:] == (
        "Due date must be a real date",
        ("day",),
    )
    assert parse_due_date({"day": "1", "month": "5", "year": "26"}, today)[1:] == (
        "Year must include 4 numbers",
        ("year",),
    )


def test_my_actions_shows_overdue_and_hides_closed(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    client, user = client_as(Role.AUDITOR)
    audit = check_for(user)
    colleague = make_user()
    late = add_action(session, audit, user, colleague, date.today() - timedelta(days=3), text="Late one")
    add_action(session, audit, colleague, user, date.today() + timedelta(days=9), "in_progress", text="Raised by me")
    add_action(session, audit, user, user, date.today() - timedelta(days=30), "done", text="Finished one")
    add_action(session, audit, colleague, colleague, date.today(), text="Not mine")

    soup = page(client.get("/actions"))
    rows = {r.select_one("td a").get_text(strip=True): r for r in soup.select("tbody tr")}
    assert list(rows) == ["Late one", "Raised by me"]
    assert "Overdue" in rows["Late one"].get_text() and "Overdue" not in rows["Raised by me"].get_text()
    assert rows["Late one"].select_one("td a")["href"] == f"/actions/{late.id}"
    assert rows["Late one"].find("a", href=f"/audits/{audit.id}").get_text(strip=True).startswith(audit.case.case_ref)
    assert "In progress" in rows["Raised by me"].get_text()

    soup = page(client.get("/actions?show=all"))
    rows = {r.select_one("td a").get_text(strip=True): r for r in soup.select("tbody tr")}
    assert list(rows) == ["Finished one", "Late one", "Raised by me"]
    assert "Overdue" not in rows["Finished one"].get_text()  # done actions are never overdue


def test_no_actions(client_as: ClientAs) -> None:
    client, _ = client_as(Role.PANEL_MEMBER)
    assert "You have no open actions." in page(client.get("/actions")).get_text()
    viewer, _ = client_as(Role.BOARD_VIEWER)
    page(viewer.get("/actions"), 403)


def test_owner_updates_the_status(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    client, owner = client_as(Role.AUDITOR)
    raiser = make_user()
    action = add_action(session, check_for(raiser), owner, raiser, date.today() + timedelta(days=5))

    soup = page(client.get(f"/actions/{action.id}"))
    assert soup.select_one("input[name=status][checked]")["value"] == "open"
    soup = page(client.post(f"/actions/{action.id}", data={"status": "finished"}))
    assert error_links(soup) == {"#status": "Choose a status"}
    # Done needs a closing note: what was done, kept with the action and in the trail.
    soup = page(client.post(f"/actions/{action.id}", data={"status": "done", "closing_note": "  "}))
    assert error_links(soup) == {"#closing_note": "Say what was done", "#outcome": "Say what changed as a result"}
    assert soup.select_one("input[name=status][value=done]").has_attr("checked")  # the choice is kept
    session.expire_all()
    assert action.status == "open"
    response = client.post(
        f"/actions/{action.id}",
        data={"status": "done", "closing_note": "Therapy hours added to section F.",
              "outcome": "New plans state weekly therapy hours."},
    )
    assert response.status_code == 302
    session.expire_all()
    assert action.status == "done" and action.completed_at is not None
    assert action.closing_note == "Therapy hours added to section F."
    soup = page(client.get(f"/actions/{action.id}"))
    assert "Status updated to done." in soup.get_text()
    assert raiser.display_name in soup.get_text()
    note_row = soup.find("dt", string=lambda s: s and "What was done" in s)
    assert note_row.find_next("dd").get_text(strip=True) == "Therapy hours added to section F."
    entry = session.scalars(
        select(TrailEntry)
        .where(TrailEntry.entity == "action", TrailEntry.action == "action.update")
        .order_by(TrailEntry.id.desc())
    ).first()
    key = trail_key(session)
    assert entry.after == {"status": "done", "closing_note": fingerprint(key, "Therapy hours added to section F."),
                           "outcome": fingerprint(key, "New plans state weekly therapy hours.")}
    outcome_row = soup.find("dt", string=lambda s: s and "What changed as a result" in s)
    assert outcome_row.find_next("dd").get_text(strip=True) == "New plans state weekly therapy hours."
    # Cancelling needs a reason too.
    soup = page(client.post(f"/actions/{action.id}", data={"status": "cancelled"}))
    assert error_links(soup) == {"#closing_note": "Say why the action is cancelled"}


def test_who_may_see_and_change_an_action(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    owner = make_user()
    audit = check_for(owner)
    action = add_action(session, audit, owner, owner, date.today() + timedelta(days=5))

    health, _ = client_as(Role.AUDITOR, agency="health")
    page(health.get(f"/actions/{action.id}"), 403)
    page(health.post(f"/actions/{action.id}", data={"status": "done"}), 403)
    page(health.get(f"/audits/{audit.id}/actions/new"), 403)
    assert health.post(f"/audits/{audit.id}/actions/new", data={"description": "x", **due_in(3)}).status_code == 403

    colleague, _ = client_as(Role.AUDITOR)  # same agency: may read, not change
    soup = page(colleague.get(f"/actions/{action.id}"))
    assert soup.find("form", method="post") is None
    page(colleague.post(f"/actions/{action.id}", data={"status": "cancelled"}), 403)
    session.expire_all()
    assert action.status == "open" and actions_of(session, audit) == [action]


def test_actions_partial(app: Flask, make_user: MakeUser, check_for: Callable[..., Audit], session: Session) -> None:
    user, health = make_user(), make_user(agency="health")
    audit = check_for(user)
    late = add_action(session, audit, user, user, date.today() - timedelta(days=1), text="Late")

    def render(actions: list[Action], reader: User) -> BeautifulSoup:
        with app.test_request_context():
            html = render_template(
                "actions/_list.html", audit=audit, actions=actions, can_edit=False, current_user=reader
            )
        return BeautifulSoup(html, "html5lib")

    empty, full, outsider = render([], user), render([late], user), render([late], health)
    assert "No actions raised." in empty.get_text()
    assert empty.find("a", href=f"/audits/{audit.id}/actions/new") is not None  # a submitted check still takes actions
    assert "Overdue" in full.select_one("tbody tr").get_text()
    assert full.select_one("tbody tr a")["href"] == f"/actions/{late.id}"
    assert full.find_all(id=True) == []
    assert outsider.find("a", href=f"/audits/{audit.id}/actions/new") is None


def test_raise_from_the_audit_page_lets_you_pick_the_question(
    client_as: ClientAs, check_for: Callable[..., Audit], session: Session
) -> None:
    client, user = client_as(Role.PANEL_MEMBER)
    author = client_as(Role.AUDITOR)[1]
    audit = check_for(author)
    question = audit.template.questions()[5]
    soup = page(client.get(f"/audits/{audit.id}/actions/new"))
    assert len(soup.select("#question_id option")) == len(audit.template.questions()) + 1
    assert soup.select_one("#owner option[selected]")["value"] == str(user.id)
    response = client.post(
        f"/audits/{audit.id}/actions/new",
        data={
            "question_id": question.id,
            "description": "Re-check the outcomes.",
            "owner": str(author.id),
            **due_in(7),
        },
    )
    assert response.status_code == 302
    [action] = actions_of(session, audit)
    assert (action.question_id, action.owner_id, action.agency_code) == (question.id, author.id, "send_service")
    soup = page(
        client.post(
            f"/audits/{audit.id}/actions/new",
            data={"question_id": "NOPE-1", "description": "x", "owner": str(author.id), **due_in(7)},
        )
    )
    assert error_links(soup) == {"#question_id": "NOPE-1 is not a question in this audit"}


def test_owner_in_another_agency_sees_the_question_rating_and_evidence(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    raiser_client, raiser = client_as(Role.AUDITOR)
    audit = check_for(raiser)  # every answer Met with the evidence "Clear and specific."
    owner_client, owner = client_as(Role.AUDITOR, agency="health")
    action = add_action(session, audit, owner, raiser, date.today() + timedelta(days=5), text="Quantify the therapy")
    page(owner_client.get(f"/audits/{audit.id}"), 403)  # the audit stays with its agency ...
    soup = page(owner_client.get(f"/actions/{action.id}"))  # ... but what the action is about is shown
    found = soup.select_one("#source-answer")
    assert found is not None
    rows = {
        dt.get_text(strip=True): dd.get_text(" ", strip=True)
        for dt, dd in zip(
            found.select(".govuk-summary-list__key"), found.select(".govuk-summary-list__value"), strict=True
        )
    }
    question = audit.template.questions()[0]
    assert rows == {"Question": f"{question.id} {question.text}", "Rating": "Met", "Evidence": "Clear and specific."}
    # No link to the audit they cannot open.
    assert soup.select_one(f"a[href='/audits/{audit.id}']") is None
    # The person who raised it (in the audited agency) gets the link.
    assert page(raiser_client.get(f"/actions/{action.id}")).select_one(f"a[href='/audits/{audit.id}']") is not None


def test_owner_list_is_narrowed_by_agency_or_search(
    client_as: ClientAs, make_user: MakeUser, check_for: Callable[..., Audit], session: Session
) -> None:
    client, user = client_as(Role.AUDITOR)
    audit = check_for(user)
    nurse = make_user(agency="health")
    panel = make_user(Role.PANEL_MEMBER)
    viewer = make_user(Role.BOARD_VIEWER)
    url = f"/audits/{audit.id}/actions/new"

    def options(soup: BeautifulSoup) -> set[str]:
        return {str(o["value"]) for o in soup.select("#owner option")}

    soup = page(client.get(url))
    shown = options(soup)
    assert (
        str(user.id) in shown and str(nurse.id) not in shown and str(panel.id) not in shown
    )  # the audit's agency first
    soup = page(client.post(url, data={"show_owners": "yes", "owner_agency": "health", "description": "kept"}))
    assert str(nurse.id) in options(soup) and str(panel.id) not in options(soup)
    assert soup.select_one("#description").get_text() == "kept"  # nothing typed is lost
    assert not soup.select(".govuk-error-summary")  # showing people is not a failed save
    soup = page(
        client.post(url, data={"show_owners": "yes", "owner_agency": "none", "owner_search": panel.display_name})
    )
    assert str(panel.id) in options(soup) and str(viewer.id) not in options(soup)
    assert actions_of(session, audit) == []
    # A board viewer can never be made an owner, even by a crafted form.
    soup = page(client.post(url, data={"description": "x", "owner": str(viewer.id), **due_in(10)}))
    assert error_links(soup)["#owner"] == "Choose who will do this"
