"""Training needs: an action that is a training need for an agency or a service area, followed by
the Learning and Improvement Group until they record when it was delivered and to how many people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from qaframework import limits
from qaframework.operations.action_lists import visible_actions
from qaframework.operations.actions import get_action
from qaframework.operations.base import FieldError, InvalidInput, PermissionDenied, operation, record, snapshot
from qaframework.permissions import can_manage_training, can_view_learning
from qaframework.store import Action, Agency, User

AREA_MAX = limits.TRAINING_AREA
#: More people than this at one session is surely a typing slip.
ATTENDEES_MAX = 10_000
TRAINING_FIELDS = ("training_need", "training_area", "training_delivered_on", "training_attendees")


@operation
def set_training_need(session: Session, actor: User, action_id: int, *, need: bool, area: str = "") -> Action:
    """Mark an action as a training need (for its agency, or the service area named), or unmark it.
    Unmarking forgets any delivery recorded: it was not training after all."""
    action = get_action(session, actor, action_id)
    if not can_manage_training(actor, action):
        raise PermissionDenied("Only the Learning and Improvement Group, or the action's owner or raiser, can do this.")
    area = (area or "").strip()
    if len(area) > AREA_MAX:
        raise InvalidInput([FieldError("training_area", f"Keep the service area to {AREA_MAX} characters or fewer")])
    before = snapshot(action, *TRAINING_FIELDS)
    action.training_need = need
    action.training_area = (area or None) if need else None
    if not need:
        action.training_delivered_on = action.training_attendees = None
    record(session, actor, "action.training_need", "action", action.id, before, snapshot(action, *TRAINING_FIELDS))
    return action


@operation
def record_training_delivered(
    session: Session,
    actor: User,
    action_id: int,
    *,
    delivered_on: date | None,
    attendees: str | int | None,
    today: date | None = None,
) -> Action:
    """Record when the training was delivered and how many people it reached."""
    action = get_action(session, actor, action_id)
    if not can_manage_training(actor, action):
        raise PermissionDenied("Only the Learning and Improvement Group, or the action's owner or raiser, can do this.")
    errors: list[FieldError] = []
    if not action.training_need:
        errors.append(FieldError("training_need", "Mark the action as a training need first"))
    if delivered_on is None:
        errors.append(FieldError("delivered_on", "Enter the date the training was delivered"))
    elif delivered_on > (today or date.today()):
        errors.append(FieldError("delivered_on", "The date the training was delivered must be today or in the past"))
    text = str(attendees if attendees is not None else "").strip().replace(",", "")
    count: int | None = None
    if not text:
        errors.append(FieldError("attendees", "Enter how many people were trained"))
    elif not (text.isascii() and text.isdigit()):
        errors.append(FieldError("attendees", "How many people were trained must be a whole number, like 12"))
    elif not 1 <= int(text) <= ATTENDEES_MAX:
        errors.append(FieldError("attendees", f"How many people were trained must be between 1 and {ATTENDEES_MAX:,}"))
    else:
        count = int(text)
    if errors:
        raise InvalidInput(errors)
    before = snapshot(action, *TRAINING_FIELDS)
    action.training_delivered_on = delivered_on
    action.training_attendees = count
    record(session, actor, "action.training_delivered", "action", action.id, before,
           snapshot(action, *TRAINING_FIELDS))
    return action


@dataclass(frozen=True)
class AgencyTraining:
    """One agency's training needs: how many, how many delivered, how many people trained."""

    agency_code: str | None
    agency_name: str
    needs: int
    delivered: int
    people: int
    actions: list[Action]


def training_by_agency(session: Session, actor: User) -> list[AgencyTraining]:
    """Every training need the actor may see, by agency; the totals are counted in SQL."""
    if not can_view_learning(actor):
        raise PermissionDenied("Training needs are casework; board viewers see the themes' figures only.")
    seen = visible_actions(actor)
    totals = session.execute(
        select(
            Action.agency_code,
            func.count(Action.id),
            func.sum(case((Action.training_delivered_on.is_not(None), 1), else_=0)),
            func.coalesce(func.sum(Action.training_attendees), 0),
        )
        .where(seen, Action.training_need.is_(True))
        .group_by(Action.agency_code)
    ).all()
    names: dict[str, str] = dict(session.execute(select(Agency.code, Agency.name)).all())
    rows = session.scalars(
        select(Action)
        .where(seen, Action.training_need.is_(True))
        .options(joinedload(Action.owner))
        .order_by(Action.training_delivered_on.is_not(None), Action.due_date, Action.id)
    ).all()
    by_agency: dict[str | None, list[Action]] = {}
    for action in rows:
        by_agency.setdefault(action.agency_code, []).append(action)
    found = [
        AgencyTraining(code, names.get(code, "No agency") if code else "No agency", int(n), int(done or 0),
                       int(people or 0), by_agency.get(code, []))
        for code, n, done, people in totals
    ]
    return sorted(found, key=lambda a: (a.agency_code is None, a.agency_name.lower()))
