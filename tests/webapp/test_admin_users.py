"""Admin: adding, changing, deactivating and reactivating users, and setting their passwords."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.store import TrailEntry, User
from tests.support import TEST_PASSWORD, ClientAs, MakeUser, refreshed
from tests.webapp.journey import error_summary
from tests.webapp.pagecheck import check_page

NEW_PASSWORD = "four random words here"


def _user_count(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def _valid(**changes: str | None) -> dict[str, str]:
    data: dict[str, str | None] = {
        "email": "Jo.Bloggs@Example.test",
        "display_name": "Jo Bloggs",
        "role": "auditor",
        "agency": "health",
        "team": "__new__",
        "new_team": "East",
        "is_team_manager": "y",
        "password": NEW_PASSWORD,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_user_list_shows_role_agency_team_and_state(client_as: ClientAs, make_user: MakeUser, session: Session) -> None:
    client, admin = client_as(Role.ADMIN)
    auditor = make_user(Role.AUDITOR, agency="health", team="West", manager=True)
    gone = make_user(Role.BOARD_VIEWER)
    gone.active = False
    session.commit()
    soup = check_page(client.get("/admin/users"))
    rows = {row.find("a").get_text(strip=True): row.get_text(" ", strip=True) for row in soup.select("tbody tr")}
    assert "Auditor" in rows[auditor.display_name] and "Health" in rows[auditor.display_name]
    assert "West" in rows[auditor.display_name] and "Manager" in rows[auditor.display_name]
    assert rows[auditor.display_name].endswith("Active")
    assert rows[gone.display_name].endswith("Deactivated")
    assert rows[admin.display_name].startswith(admin.display_name)


def test_add_user_happy_path(client_as: ClientAs, session: Session, app: Flask) -> None:
    client, admin = client_as(Role.ADMIN)
    soup = check_page(client.get("/admin/users/new"))
    assert [i["value"] for i in soup.select("input[name=role]")] == [r.value for r in Role]
    assert "health" in [o["value"] for o in soup.select("select[name=agency] option")]

    response = client.post("/admin/users/new", data=_valid())
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "jo.bloggs@example.test"))
    assert user is not None
    assert (user.display_name, user.role, user.agency_code, user.team, user.is_team_manager) == (
        "Jo Bloggs",
        "auditor",
        "health",
        "East",
        True,
    )
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    soup = check_page(client.get(response.headers["Location"]))
    assert (
        "Jo Bloggs (jo.bloggs@example.test) can now sign in."
        in soup.select_one(".govuk-notification-banner").get_text()
    )
    entry = session.scalar(
        select(TrailEntry).where(TrailEntry.action == "user.add", TrailEntry.entity_id == str(user.id))
    )
    assert entry is not None and entry.actor_id == admin.id

    new_client = app.test_client()
    assert (
        new_client.post("/sign-in", data={"email": "jo.bloggs@example.test", "password": NEW_PASSWORD}).status_code
        == 302
    )


def test_add_user_empty_form_lists_every_required_field(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    before = _user_count(session)
    response = client.post("/admin/users/new", data={"agency": ""})
    soup = check_page(response)
    assert error_summary(soup) == [
        ("Enter the person's email address", "#email"),
        ("Enter the person's full name", "#display_name"),
        ("Select the person's role", "#role"),
        ("Enter a password", "#password"),
    ]
    assert soup.title.get_text().startswith("Error: ")
    assert soup.find(id="email-error") is not None and soup.find(id="role-error") is not None
    assert _user_count(session) == before


def test_add_user_library_errors_are_shown_on_their_fields(
    client_as: ClientAs, make_user: MakeUser, session: Session
) -> None:
    client, _ = client_as(Role.ADMIN)
    before = _user_count(session)

    soup = check_page(client.post("/admin/users/new", data=_valid(email="not-an-email", agency="")))
    assert error_summary(soup) == [
        ("Enter an email address in the correct format, like name@example.gov.uk", "#email"),
        ("An auditor must belong to an agency", "#agency"),
    ]

    soup = check_page(client.post("/admin/users/new", data=_valid(password="short")))
    assert error_summary(soup) == [("Password must be 12 characters or more", "#password")]

    taken = make_user(Role.PANEL_MEMBER)
    soup = check_page(client.post("/admin/users/new", data=_valid(email=taken.email.upper())))
    assert error_summary(soup) == [(f"A user with the email {taken.email} already exists", "#email")]

    soup = check_page(
        client.post(
            "/admin/users/new",
            data=_valid(email="same.as.password@example.test", password="same.as.password@example.test"),
        )
    )
    assert error_summary(soup) == [("Password must not be your email address", "#password")]
    # what was typed is kept, apart from the password
    assert soup.select_one("input[name=display_name]")["value"] == "Jo Bloggs"
    assert soup.select_one("input[name=role][value=auditor]").has_attr("checked")
    assert not soup.select_one("input[name=password]").get("value")
    assert _user_count(session) == before + 1  # only make_user's


def test_edit_user_changes_role_agency_team_and_name(
    client_as: ClientAs, make_user: MakeUser, session: Session
) -> None:
    client, _ = client_as(Role.ADMIN)
    user = make_user(Role.AUDITOR, agency="health", team="West")
    soup = check_page(client.get(f"/admin/users/{user.id}/edit"))
    assert soup.select_one("input[name=display_name]")["value"] == user.display_name
    assert soup.select_one("select[name=agency] option[selected]")["value"] == "health"

    soup = check_page(
        client.post(f"/admin/users/{user.id}/edit", data={"display_name": " ", "role": "auditor", "agency": ""})
    )
    assert error_summary(soup) == [("Enter the person's full name", "#display_name")]

    soup = check_page(
        client.post(f"/admin/users/{user.id}/edit", data={"display_name": "Ann", "role": "auditor", "agency": ""})
    )
    assert error_summary(soup) == [("An auditor must belong to an agency", "#agency")]
    session.refresh(user)
    assert user.agency_code == "health"

    response = client.post(
        f"/admin/users/{user.id}/edit",
        data={"display_name": "Ann Other", "role": "panel_member", "agency": "", "team": ""},
    )
    assert response.status_code == 302
    user = refreshed(session, user)
    assert (user.display_name, user.role, user.agency_code, user.team, user.is_team_manager) == (
        "Ann Other",
        "panel_member",
        None,
        None,
        False,
    )
    soup = check_page(client.get(f"/admin/users/{user.id}"))
    assert "Multi-agency panel member" in soup.select_one(".govuk-summary-list").get_text()


def test_admin_marks_a_panel_member_as_leading_the_panel(
    client_as: ClientAs, make_user: MakeUser, session: Session
) -> None:
    """The edit form offers "Leads the panel"; the library refuses it for other roles, naming the field;
    the user page and the list say who leads."""
    client, _ = client_as(Role.ADMIN)
    member = make_user(Role.PANEL_MEMBER)
    soup = check_page(client.get(f"/admin/users/{member.id}/edit"))
    assert soup.select_one("input[name=leads_panel]") is not None
    assert "Multi-agency panel members only" in soup.get_text()
    base = {"display_name": member.display_name, "agency": "", "team": "", "leads_panel": "y"}
    soup = check_page(client.post(f"/admin/users/{member.id}/edit", data={**base, "role": "system_leader"}))
    assert error_summary(soup) == [("Only a multi-agency panel member can lead the panel", "#leads_panel")]
    assert refreshed(session, member).leads_panel is False

    assert client.post(f"/admin/users/{member.id}/edit", data={**base, "role": "panel_member"}).status_code == 302
    assert refreshed(session, member).leads_panel is True
    soup = check_page(client.get(f"/admin/users/{member.id}"))
    assert "Multi-agency panel member (leads the panel)" in soup.select_one(".govuk-summary-list").get_text()
    soup = check_page(client.get(f"/admin/users/{member.id}/edit"))
    assert soup.select_one("input[name=leads_panel]").has_attr("checked")
    rows = {row.find("a").get_text(strip=True): row.get_text(" ", strip=True)
            for row in check_page(client.get("/admin/users")).select("tbody tr")}
    assert "Leads the panel" in rows[member.display_name]


def test_deactivated_user_cannot_sign_in_and_can_be_reactivated(
    client_as: ClientAs, make_user: MakeUser, app: Flask, session: Session
) -> None:
    client, _ = client_as(Role.ADMIN)
    user = make_user(Role.AUDITOR)
    their_client = app.test_client()
    assert their_client.post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 302

    soup = check_page(client.get(f"/admin/users/{user.id}/deactivate"))
    assert "will be signed out at once" in soup.get_text()
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    session.refresh(user)
    assert user.active is False
    assert their_client.get("/account/password").status_code == 302  # signed out
    refused = check_page(app.test_client().post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD}))
    assert "Enter a correct email address and password" in refused.get_text()
    soup = check_page(client.get(f"/admin/users/{user.id}"))
    assert "Deactivated" in soup.select_one(".govuk-summary-list").get_text()

    check_page(client.get(f"/admin/users/{user.id}/reactivate"))
    assert client.post(f"/admin/users/{user.id}/reactivate").status_code == 302
    assert refreshed(session, user).active is True
    assert app.test_client().post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 302


def test_admin_cannot_deactivate_themselves(client_as: ClientAs, session: Session) -> None:
    client, admin = client_as(Role.ADMIN)
    soup = check_page(client.get(f"/admin/users/{admin.id}"))
    assert "You cannot deactivate your own account" in soup.get_text()
    assert not soup.find("a", string="Deactivate account")
    response = client.post(f"/admin/users/{admin.id}/deactivate")
    soup = check_page(response)
    assert error_summary(soup) == [("You cannot deactivate your own account", "#confirm-button")]
    session.refresh(admin)
    assert admin.active is True


def test_reset_password(client_as: ClientAs, make_user: MakeUser, app: Flask, session: Session) -> None:
    client, admin = client_as(Role.ADMIN)
    user = make_user(Role.SYSTEM_LEADER)
    check_page(client.get(f"/admin/users/{user.id}/password"))
    soup = check_page(client.post(f"/admin/users/{user.id}/password", data={"password": "short"}))
    assert error_summary(soup) == [("Password must be 12 characters or more", "#password")]
    soup = check_page(client.post(f"/admin/users/{user.id}/password", data={"password": user.email}))
    assert error_summary(soup) == [("Password must not be your email address", "#password")]

    assert client.post(f"/admin/users/{user.id}/password", data={"password": NEW_PASSWORD}).status_code == 302
    assert app.test_client().post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 200
    assert app.test_client().post("/sign-in", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    # your own password needs your current one, on the account page
    assert client.get(f"/admin/users/{admin.id}/password").headers["Location"] == "/account/password"


def test_unknown_user_is_404(client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    for url in ("/admin/users/999999", "/admin/users/999999/edit", "/admin/users/999999/deactivate"):
        response = client.get(url)
        assert response.status_code == 404, url
        check_page(response)


def test_admin_cannot_remove_their_own_admin_role(client_as: ClientAs, session: Session) -> None:
    client, admin = client_as(Role.ADMIN)
    soup = check_page(
        client.post(f"/admin/users/{admin.id}/edit", data={"display_name": "Me", "role": "auditor", "agency": "health"})
    )
    assert error_summary(soup) == [
        ("You cannot remove your own administrator role. Ask another administrator to change it.", "#role")
    ]
    session.refresh(admin)
    assert admin.role == "admin" and admin.display_name != "Me"
    assert (
        client.post(
            f"/admin/users/{admin.id}/edit", data={"display_name": "Me", "role": "admin", "agency": ""}
        ).status_code
        == 302
    )
    session.refresh(admin)
    assert admin.display_name == "Me"


def test_deactivating_an_inactive_account_changes_nothing(
    client_as: ClientAs, make_user: MakeUser, session: Session
) -> None:
    client, _ = client_as(Role.ADMIN)
    user = make_user(Role.BOARD_VIEWER)
    client.post(f"/admin/users/{user.id}/deactivate")
    response = client.post(f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 302
    assert "already deactivated" in check_page(client.get(response.headers["Location"])).get_text()
    entries = session.scalars(
        select(TrailEntry).where(TrailEntry.action == "user.deactivate", TrailEntry.entity_id == str(user.id))
    ).all()
    assert len(entries) == 1


def test_add_user_shows_every_problem_at_once(client_as: ClientAs, make_user: MakeUser) -> None:
    client, _ = client_as(Role.ADMIN)
    taken = make_user(Role.AUDITOR, agency="health", team="North")
    # A short password (the form's check), a taken email and an auditor without an agency (the
    # library's checks), and a team typed wrongly: all reported on the first try.
    data = _valid(email=taken.email, password="short", agency="", team="__new__", new_team="north")
    soup = check_page(client.post("/admin/users/new", data=data))
    summary = [a.get_text(strip=True) for a in soup.select(".govuk-error-summary__list a")]
    assert any("Password must be" in s for s in summary), summary
    assert f"A user with the email {taken.email} already exists" in summary
    assert "An auditor must belong to an agency" in summary
    assert "There is already a team called North: choose it from the list" in summary


def test_team_is_chosen_from_the_list_so_a_typo_cannot_make_a_new_one(
    client_as: ClientAs, make_user: MakeUser, session: Session
) -> None:
    client, _ = client_as(Role.ADMIN)
    make_user(Role.AUDITOR, agency="health", team="North")
    soup = check_page(client.get("/admin/users/new"))
    options = [o["value"] for o in soup.select("select[name=team] option")]
    assert options[0] == "" and "North" in options and options[-1] == "__new__"
    assert soup.find("option", value="__new__").get_text(strip=True) == "Add a new team"
    soup = check_page(client.post("/admin/users/new", data=_valid(team="Nrth", new_team="")))
    assert "Choose a team from the list, or choose ‘Add a new team’" in soup.get_text()
    soup = check_page(client.post("/admin/users/new", data=_valid(team="__new__", new_team="")))
    assert "Enter the name of the new team" in soup.get_text()
    assert session.scalar(select(User).where(User.email == "jo.bloggs@example.test")) is None
    response = client.post("/admin/users/new", data=_valid(team="North", new_team=""))
    assert response.status_code == 302
    assert session.scalar(select(User.team).where(User.email == "jo.bloggs@example.test")) == "North"
