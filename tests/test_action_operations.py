"""Actions through the library: who may raise one, who may own one, and the open-status rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from qaframework.framework import ACTION_OPEN, ActionStatus, Role
from qaframework.operations import actions as ops
from qaframework.operations.base import InvalidInput, PermissionDenied
from qaframework.store import Case, TemplateVersion, User
from tests.support import T1, submitted_check

TODAY = date(2026, 11, 2)


@pytest.fixture
def check(
    session: Session,
    make_user: Callable[..., User],
    make_case: Callable[..., Case],
    template_version: Callable[[str], TemplateVersion],
) -> tuple[User, int]:
    author = make_user()
    return author, submitted_check(session, author, make_case().id, template_version(T1).id).id


def _raise(session: Session, actor: User, audit_id: int, owner: User) -> None:
    ops.raise_action(
        session,
        actor,
        audit_id=audit_id,
        question_id=None,
        description="Add the therapy frequency",
        owner_id=owner.id,
        due_date=TODAY + timedelta(days=14),
        today=TODAY,
    )


def test_a_board_viewer_cannot_own_an_action(
    session: Session, make_user: Callable[..., User], check: tuple[User, int]
) -> None:
    author, audit_id = check
    viewer = make_user(Role.BOARD_VIEWER)
    with pytest.raises(InvalidInput) as refused:
        _raise(session, author, audit_id, viewer)
    assert [(e.field, e.message) for e in refused.value.errors] == [("owner", "Choose who will do this")]
    everyone = ops.owner_choices(session, agency_code=None)
    assert viewer not in everyone and author in everyone


def test_a_board_viewer_cannot_raise_an_action(
    session: Session, make_user: Callable[..., User], check: tuple[User, int]
) -> None:
    author, audit_id = check
    with pytest.raises(PermissionDenied):
        _raise(session, make_user(Role.BOARD_VIEWER), audit_id, author)


def test_open_statuses_are_the_ones_that_can_be_overdue(
    session: Session, make_user: Callable[..., User], check: tuple[User, int]
) -> None:
    author, audit_id = check
    _raise(session, author, audit_id, author)
    action = ops.my_actions(session, author)[0]
    assert action.status == ActionStatus.OPEN and ActionStatus(action.status) in ACTION_OPEN
    for status in ActionStatus:
        note = "" if status in ACTION_OPEN else "Therapy frequency added to F."  # closing needs a note
        outcome = "New plans state therapy frequency." if status is ActionStatus.DONE else ""  # Done says what changed
        action = ops.update_action_status(session, author, action.id, status.value, note, outcome)
        assert action.is_overdue(action.due_date + timedelta(days=1)) is (status in ACTION_OPEN)
        assert (action.completed_at is not None) is (status is ActionStatus.DONE)
        assert [a.id for a in ops.my_actions(session, author)] == ([action.id] if status in ACTION_OPEN else [])
    with pytest.raises(InvalidInput):
        ops.update_action_status(session, author, action.id, "closed")
