"""Reading the audit trail: filters, sign-ins left out by default, pagination, admins only."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.base import PermissionDenied
from qaframework.operations.settings import TIER1_MONTHLY_TARGET, set_setting
from qaframework.operations.trail import TrailFilters, latest_entry, trail_entities, trail_page
from qaframework.operations.users import add_user, set_active, sign_in
from tests.support import TEST_PASSWORD, MakeUser


def test_newest_first_with_names_and_no_sign_ins_by_default(session: Session, make_user: MakeUser) -> None:
    admin = make_user(Role.ADMIN)
    user = add_user(session, admin, email="new.person@example.test", password=TEST_PASSWORD, role="board_viewer")
    sign_in(session, "new.person@example.test", TEST_PASSWORD)
    set_active(session, admin, user.id, False)

    page = trail_page(session, admin, TrailFilters(entity="user", entity_id=str(user.id)))
    assert [r.entry.action for r in page.rows] == ["user.deactivate", "user.add"]
    assert {r.actor_name for r in page.rows} == {admin.display_name}
    assert page.total == 2 and page.pages == 1

    with_sign_ins = trail_page(
        session, admin, TrailFilters(entity="user", entity_id=str(user.id), include_sign_ins=True)
    )
    assert [r.entry.action for r in with_sign_ins.rows] == ["user.deactivate", "user.sign_in", "user.add"]
    assert with_sign_ins.rows[1].actor_name == user.display_name


def test_filter_by_actor_and_system_entries_have_no_name(session: Session, make_user: MakeUser) -> None:
    admin, other = make_user(Role.ADMIN), make_user(Role.ADMIN)
    set_setting(session, admin, TIER1_MONTHLY_TARGET, 30)
    set_setting(session, other, TIER1_MONTHLY_TARGET, 31)
    set_setting(session, None, TIER1_MONTHLY_TARGET, 32)
    mine = trail_page(session, admin, TrailFilters(actor_id=other.id))
    assert [r.entry.after for r in mine.rows] == [{"value": 31}]
    settings = trail_page(session, admin, TrailFilters(entity="setting"))
    assert [r.actor_name for r in settings.rows[:3]] == [None, other.display_name, admin.display_name]
    assert "setting" in trail_entities(session, admin)
    latest = latest_entry(session, admin, "setting.update")
    assert latest is not None and latest.entry.after == {"value": 32} and latest.actor_name is None
    assert latest_entry(session, admin, "no.such.action") is None


def test_pagination_clamps_pages(session: Session, make_user: MakeUser) -> None:
    admin = make_user(Role.ADMIN)
    for n in range(5):
        set_setting(session, admin, TIER1_MONTHLY_TARGET, 20 + n)
    filters = TrailFilters(actor_id=admin.id)
    first = trail_page(session, admin, filters, page=1, per_page=2)
    last = trail_page(session, admin, filters, page=99, per_page=2)
    assert (first.total, first.pages, len(first.rows)) == (5, 3, 2)
    assert [r.entry.after["value"] for r in first.rows] == [24, 23]
    assert last.page == 3 and [r.entry.after["value"] for r in last.rows] == [20]


def test_only_admins_read_the_trail(session: Session, make_user: MakeUser) -> None:
    for role in (Role.AUDITOR, Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.BOARD_VIEWER):
        user = make_user(role)
        with pytest.raises(PermissionDenied):
            trail_page(session, user, TrailFilters())
        with pytest.raises(PermissionDenied):
            trail_entities(session, user)
