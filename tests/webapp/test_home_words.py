"""Home in plain words: only what the role can do, actions owned, activity in date order with
records named as people know them, and submission dates for submitted audits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.actions import raise_action
from qaframework.store import TrailEntry
from tests.support import T1, ClientAs, MakeCase, MakeUser, TemplateVersionOf, submitted_check
from tests.webapp.journey import check_page


def test_start_an_audit_is_offered_only_to_roles_that_can(client_as: ClientAs) -> None:
    for role, offered in (
        (Role.AUDITOR, True),
        (Role.PANEL_MEMBER, True),
        (Role.ADMIN, False),
        (Role.BOARD_VIEWER, False),
    ):
        client, _ = client_as(role)
        soup = check_page(client.get("/"))
        assert (soup.select_one("main a[href='/audits/new']") is not None) is offered, role


def test_recent_activity_is_newest_first_and_names_the_case(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, user = client_as(Role.AUDITOR, agency="send_service", team="North")
    case = make_case("HOME-001")
    audit = submitted_check(session, user, case.id, template_version(T1).id)
    base = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    # History written later (as the demo does) with earlier dates, out of id order.
    for days, action in ((10, "audit.save"), (24, "audit.save"), (17, "audit.save")):
        session.add(
            TrailEntry(
                at=base + timedelta(days=days), actor_id=user.id, action=action, entity="audit", entity_id=str(audit.id)
            )
        )
    session.commit()
    items = [
        li.get_text(" ", strip=True)
        for li in check_page(client.get("/")).find("h2", string="Recent activity").find_next("ul").select("li")
    ]
    assert all(f"audit {audit.id}" not in item for item in items)
    assert f"Submitted an audit: case HOME-001, {audit.template_version.title}" in " ".join(items)
    dated = [item for item in items if item.startswith(("11 November", "18 November", "25 November"))]
    assert [d.split(" 2026")[0] for d in dated] == ["25 November", "18 November", "11 November"]


def test_submitted_list_shows_the_submission_date(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, user = client_as(Role.AUDITOR, agency="send_service", team="North")
    audit = submitted_check(session, user, make_case("HOME-002").id, template_version(T1).id)
    audit.submitted_at = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    audit.updated_at = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
    session.commit()
    soup = check_page(client.get("/"))
    table = soup.find("caption", string="Submitted").find_parent("table")
    assert [th.get_text(strip=True) for th in table.select("thead th")][2] == "Submitted"
    assert "5 October 2026" in table.get_text() and "20 October 2026" not in table.get_text()


def test_the_owner_of_an_action_sees_it_on_home(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf, make_user: MakeUser
) -> None:
    _, author = client_as(Role.AUDITOR, agency="send_service", team="North")
    audit = submitted_check(session, author, make_case("HOME-003").id, template_version(T1).id)
    owner_client, owner = client_as(Role.AUDITOR, agency="health", team=None)
    raise_action(
        session,
        author,
        audit_id=audit.id,
        question_id=None,
        description="Ask the therapist to quantify SALT",
        owner_id=owner.id,
        due_date=date.today() + timedelta(days=14),
    )
    soup = check_page(owner_client.get("/"))
    section = soup.select_one("#your-actions")
    assert section is not None and "1" in section.get_text()
    link = section.find_next("ul").select_one("a")
    assert link.get_text(strip=True) == "Ask the therapist to quantify SALT"
    assert "HOME-003" in section.find_next("ul").get_text()


def test_case_page_offers_starting_an_audit_only_to_roles_that_can(client_as: ClientAs, make_case: MakeCase) -> None:
    case = make_case("HOME-010")
    for role, offered in ((Role.AUDITOR, True), (Role.ADMIN, False)):
        client, _ = client_as(role)
        soup = check_page(client.get(f"/cases/{case.id}"))
        assert (soup.select_one(f"main a[href='/audits/new?case_id={case.id}']") is not None) is offered, role
