"""Users: validation, sign-in with lockout, permissions of who may manage them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.base import InvalidInput, PermissionDenied
from qaframework.operations.users import (
    SignInFailed,
    add_agency,
    add_user,
    change_own_password,
    set_active,
    set_password,
    sign_in,
)
from qaframework.passwords import verify_password
from qaframework.store import User
from tests.support import TEST_PASSWORD, MakeUser


def test_add_user_validates_every_field(session: Session) -> None:
    with pytest.raises(InvalidInput) as raised:
        add_user(session, None, email="not-an-email", password="short", role="auditor", agency_code=None)
    assert {e.field for e in raised.value.errors} == {"email", "password", "agency"}
    with pytest.raises(InvalidInput, match="no agency"):
        add_user(session, None, email="a@example.test", password=TEST_PASSWORD, role="auditor", agency_code="police")


def test_emails_are_unique_case_insensitively(session: Session) -> None:
    add_user(session, None, email="Jo.Smith@Example.test", password=TEST_PASSWORD, role="panel_member")
    with pytest.raises(InvalidInput, match="already exists"):
        add_user(session, None, email="jo.smith@example.test", password=TEST_PASSWORD, role="panel_member")


def test_only_admins_manage_users(session: Session, make_user: MakeUser) -> None:
    with pytest.raises(PermissionDenied):
        add_user(session, make_user(), email="x@example.test", password=TEST_PASSWORD, role="board_viewer")
    admin = make_user(Role.ADMIN)
    user = add_user(session, admin, email="x@example.test", password=TEST_PASSWORD, role="board_viewer")
    with pytest.raises(InvalidInput, match="your own account"):
        set_active(session, admin, admin.id, False)
    set_active(session, admin, user.id, False)
    with pytest.raises(SignInFailed):
        sign_in(session, "x@example.test", TEST_PASSWORD)


def test_sign_in_never_locks_an_account(session: Session, make_user: MakeUser) -> None:
    """Wrong passwords are throttled (qaframework.throttle), never a lock-out a stranger could cause."""
    user = make_user(email="lock@example.test")
    assert sign_in(session, "LOCK@example.test", TEST_PASSWORD).id == user.id
    for _ in range(10):
        with pytest.raises(SignInFailed):
            sign_in(session, "lock@example.test", "wrong password!")
    assert sign_in(session, "lock@example.test", TEST_PASSWORD).id == user.id


def test_area_can_add_its_own_agency(session: Session) -> None:
    agency = add_agency(session, None, "youth_justice", "Youth justice service")
    assert agency.code == "youth_justice"
    with pytest.raises(InvalidInput):
        add_agency(session, None, "Youth Justice!", "x")


def test_admins_cannot_remove_their_own_role_or_the_last_admin(session: Session, make_user: MakeUser) -> None:
    from qaframework.operations.users import update_user

    admin = make_user(Role.ADMIN)
    with pytest.raises(InvalidInput, match="your own administrator role"):
        update_user(
            session,
            admin,
            admin.id,
            role="panel_member",
            agency_code=None,
            team=None,
            is_team_manager=False,
            display_name="A",
        )
    with pytest.raises(InvalidInput, match="only active administrator"):
        update_user(
            session,
            None,
            admin.id,
            role="panel_member",
            agency_code=None,
            team=None,
            is_team_manager=False,
            display_name="A",
        )
    other = make_user(Role.ADMIN)
    update_user(
        session,
        other,
        admin.id,
        role="panel_member",
        agency_code=None,
        team=None,
        is_team_manager=False,
        display_name="A",
    )
    with pytest.raises(InvalidInput, match="only active administrator"):
        set_active(session, None, other.id, False)


def test_changing_your_own_password_needs_the_current_one(session: Session, make_user: MakeUser) -> None:
    user = make_user()
    old_hash = user.password_hash
    with pytest.raises(InvalidInput) as refused:
        change_own_password(session, user, "not my password", "a brand new passphrase")
    assert [(e.field, e.message) for e in refused.value.errors] == [("current", "Your current password is not correct")]
    assert user.password_hash == old_hash
    with pytest.raises(InvalidInput) as refused:
        change_own_password(session, user, TEST_PASSWORD, "short")
    assert [e.field for e in refused.value.errors] == ["new"]
    change_own_password(session, user, TEST_PASSWORD, "a brand new passphrase")
    assert verify_password(user.password_hash, "a brand new passphrase")
    assert sign_in(session, user.email, "a brand new passphrase").id == user.id


def test_set_password_is_for_someone_else(session: Session, make_user: MakeUser) -> None:
    """No one, not even an administrator, skips the current-password check on their own account."""
    admin, other = make_user(Role.ADMIN), make_user()
    with pytest.raises(PermissionDenied, match="your own password"):
        set_password(session, admin, admin.id, "a brand new passphrase")
    with pytest.raises(PermissionDenied):
        set_password(session, other, other.id, "a brand new passphrase")  # the old back door
    set_password(session, admin, other.id, "a brand new passphrase")
    assert verify_password(other.password_hash, "a brand new passphrase")


def test_only_a_panel_member_can_lead_the_panel(session: Session, make_user: MakeUser) -> None:
    """The flag is refused for other roles (named field), kept for a panel member, and in the trail."""
    from qaframework.operations.users import update_user
    from qaframework.store import TrailEntry

    admin = make_user(Role.ADMIN)
    auditor = make_user(Role.AUDITOR)
    with pytest.raises(InvalidInput) as refused:
        update_user(session, admin, auditor.id, role="auditor", agency_code="send_service", team="North",
                    is_team_manager=False, display_name="A", leads_panel=True)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("leads_panel", "Only a multi-agency panel member can lead the panel")
    ]
    assert session.get(User, auditor.id).leads_panel is False
    panel = make_user(Role.PANEL_MEMBER)
    update_user(session, admin, panel.id, role="panel_member", agency_code=None, team=None,
                is_team_manager=False, display_name="Chair", leads_panel=True)
    assert panel.leads_panel is True
    entry = session.scalars(
        select(TrailEntry).where(TrailEntry.action == "user.update", TrailEntry.entity_id == str(panel.id))
    ).one()
    assert (entry.before or {})["leads_panel"] is False and (entry.after or {})["leads_panel"] is True
    with pytest.raises(InvalidInput, match="lead the panel"):
        add_user(session, admin, email="lead@example.test", password="a long enough password 1",
                 role="board_viewer", leads_panel=True)
