"""Actions raised from audits: who does what by when, and its progress."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from qaframework.operations.audits import get_audit
from qaframework.operations.base import FieldError, InvalidInput, NotFound, PermissionDenied, operation, record, snapshot
from qaframework.permissions import can_update_action, can_view_action
from qaframework.store import Action, Agency, User, utcnow

STATUSES = {"open": "Open", "in_progress": "In progress", "done": "Done", "cancelled": "Cancelled"}
THEME_MAX = 80  # the column's width: longer text would fail on PostgreSQL
ACTION_FIELDS = ("description", "owner_id", "agency_code", "due_date", "status", "theme")


@operation
def raise_action(
    session: Session,
    actor: User,
    *,
    audit_id: int,
    question_id: str | None,
    description: str,
    owner_id: int,
    due_date: date | None,
    agency_code: str | None = None,
    theme: str | None = None,
    today: date | None = None,
) -> Action:
    """Raise an action from an audit (optionally from one question). The actor must see the audit."""
    audit = get_audit(session, actor, audit_id)
    errors: list[FieldError] = []
    if question_id:
        try:
            audit.template.question(question_id)
        except KeyError:
            errors.append(FieldError("question_id", f"{question_id} is not a question in this audit"))
    if not description.strip():
        errors.append(FieldError("description", "Describe what needs to be done"))
    elif len(description) > 2000:
        errors.append(FieldError("description", "Keep the description to 2,000 characters or fewer"))
    owner = session.get(User, owner_id)
    if owner is None or not owner.active:
        errors.append(FieldError("owner", "Choose who will do this"))
    if agency_code and session.get(Agency, agency_code) is None:
        errors.append(FieldError("agency", "Choose an agency from the list"))
    if theme and len(theme.strip()) > THEME_MAX:
        errors.append(FieldError("theme", f"Keep the theme to {THEME_MAX} characters or fewer"))
    if due_date is None:
        errors.append(FieldError("due_date", "Enter the date it is due"))
    elif due_date < (today or date.today()):
        errors.append(FieldError("due_date", "The due date must be today or in the future"))
    if errors:
        raise InvalidInput(errors)
    assert owner is not None and due_date is not None
    action = Action(audit_id=audit.id, question_id=question_id or None, description=description.strip(), owner_id=owner.id,
                    agency_code=agency_code or owner.agency_code or audit.agency_code, due_date=due_date,
                    theme=(theme or "").strip() or None, created_by_id=actor.id)
    session.add(action)
    session.flush()
    record(session, actor, "action.raise", "action", action.id, after=snapshot(action, *ACTION_FIELDS, "audit_id", "question_id"))
    return action


def get_action(session: Session, actor: User, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"There is no action {action_id}")
    if not can_view_action(actor, action):
        raise PermissionDenied("You can only see actions for your own agency or that you own.")
    return action


@operation
def update_action_status(session: Session, actor: User, action_id: int, status: str) -> Action:
    action = get_action(session, actor, action_id)
    if not can_update_action(actor, action):
        raise PermissionDenied("Only the action's owner or the person who raised it can update it.")
    if status not in STATUSES:
        raise InvalidInput([FieldError("status", "Choose a status")])
    before = snapshot(action, "status")
    action.status = status
    action.completed_at = utcnow() if status == "done" else None
    record(session, actor, "action.update", "action", action.id, before, snapshot(action, "status"))
    return action


def raised_by(session: Session, action: Action) -> User | None:
    """Who raised the action (the model keeps only the id), so its page can name them."""
    return session.get(User, action.created_by_id)


def my_actions(session: Session, actor: User, include_closed: bool = False) -> list[Action]:
    query = select(Action).where(or_(Action.owner_id == actor.id, Action.created_by_id == actor.id))
    if not include_closed:
        query = query.where(Action.status.in_(["open", "in_progress"]))
    return list(session.scalars(query.order_by(Action.due_date, Action.id)))


def actions_owned_by(session: Session, actor: User) -> list[Action]:
    """Open actions the user must do (whoever raised them), soonest due first, for their home page."""
    return list(session.scalars(
        select(Action).where(Action.owner_id == actor.id, Action.status.in_(["open", "in_progress"]))
        .order_by(Action.due_date, Action.id)
    ))


def actions_for_audit(session: Session, actor: User, audit_id: int) -> list[Action]:
    get_audit(session, actor, audit_id)
    return list(session.scalars(select(Action).where(Action.audit_id == audit_id).order_by(Action.id)))
