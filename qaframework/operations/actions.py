"""Actions raised from audits: who does what by when, and its progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from qaframework import limits
from qaframework.framework import ACTION_OPEN, ActionStatus
from qaframework.operations.audits import get_audit
from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    operation,
    record,
    snapshot,
)
from qaframework.operations.blinding import refuse_if_blind
from qaframework.operations.submissions import claim_form, made
from qaframework.permissions import (
    CASEWORK_ROLES,
    can_own_action,
    can_raise_action,
    can_update_action,
    can_view_action,
    can_view_audit,
)
from qaframework.store import Action, Agency, Response, User, utcnow

#: Status value → label, in the order the status form offers them.
STATUSES = {s.value: s.label for s in ActionStatus}
THEME_MAX = limits.ACTION_THEME  # the column's width: longer text would fail on PostgreSQL
ACTION_FIELDS = ("description", "owner_id", "agency_code", "due_date", "status", "theme", "closing_note")


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
    form_token: str | None = None,
) -> Action:
    """Raise an action from an audit (optionally from one question). The actor must see the audit.
    With ``form_token`` (the web form's), the same form sent again raises nothing new."""
    audit = get_audit(session, actor, audit_id)
    if not can_raise_action(actor, audit):
        raise PermissionDenied("Board viewers see the figures only; they cannot raise actions.")
    claim = claim_form(session, actor, form_token, "action")
    errors: list[FieldError] = []
    if question_id:
        try:
            audit.template.question(question_id)
        except KeyError:
            errors.append(FieldError("question_id", f"{question_id} is not a question in this audit"))
    if not description.strip():
        errors.append(FieldError("description", "Describe what needs to be done"))
    elif limits.too_long(description, limits.ACTION_DESCRIPTION):
        errors.append(FieldError("description", limits.keep_within("the description", limits.ACTION_DESCRIPTION)))
    owner = session.get(User, owner_id)
    if owner is None or not can_own_action(owner):
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
    action = Action(
        audit_id=audit.id,
        question_id=question_id or None,
        description=description.strip(),
        owner_id=owner.id,
        agency_code=agency_code or owner.agency_code or audit.agency_code,
        due_date=due_date,
        theme=(theme or "").strip() or None,
        created_by_id=actor.id,
    )
    session.add(action)
    session.flush()
    made(claim, action.id)
    record(
        session,
        actor,
        "action.raise",
        "action",
        action.id,
        after=snapshot(action, *ACTION_FIELDS, "audit_id", "question_id"),
    )
    return action


def get_action(session: Session, actor: User, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"There is no action {action_id}")
    if not can_view_action(actor, action):
        raise PermissionDenied("You can only see actions for your own agency or that you own.")
    return action


#: Statuses that close an action; closing needs a note saying what was done or why not.
CLOSED = frozenset(ActionStatus) - ACTION_OPEN
NOTE_MAX = limits.ACTION_NOTE


@operation
def update_action_status(
    session: Session, actor: User, action_id: int, status: str, closing_note: str = "", outcome: str = ""
) -> Action:
    """Move an action on. Done and Cancelled need a closing note (what was done, or why it was
    cancelled) so whoever reads the action later, in another agency, knows how it ended; Done also
    needs what changed as a result, which is what the Learning and Improvement Group reports."""
    action = get_action(session, actor, action_id)
    if not can_update_action(actor, action):
        raise PermissionDenied("Only the action's owner or the person who raised it can update it.")
    note = (closing_note or "").strip()
    changed = (outcome or "").strip()
    errors: list[FieldError] = []
    if status not in STATUSES:
        errors.append(FieldError("status", "Choose a status"))
    elif status in CLOSED and not note:
        errors.append(
            FieldError(
                "closing_note",
                "Say what was done" if status == ActionStatus.DONE else "Say why the action is cancelled",
            )
        )
    if len(note) > NOTE_MAX:
        errors.append(FieldError("closing_note", f"Keep the note to {NOTE_MAX:,} characters or fewer"))
    if status == ActionStatus.DONE and not changed:
        errors.append(FieldError("outcome", "Say what changed as a result"))
    elif len(changed) > NOTE_MAX:
        errors.append(FieldError("outcome", f"Keep what changed to {NOTE_MAX:,} characters or fewer"))
    if errors:
        raise InvalidInput(errors)
    fields = ("status", "closing_note", "outcome")
    before = snapshot(action, *fields)
    action.status = status
    action.completed_at = utcnow() if status == ActionStatus.DONE else None
    action.closing_note = note if status in CLOSED else None
    action.outcome = changed if status == ActionStatus.DONE else None
    record(session, actor, "action.update", "action", action.id, before, snapshot(action, *fields))
    return action


@dataclass(frozen=True)
class ActionSource:
    """The part of an audit an action came from, as its owner may see it."""

    audit_id: int
    case_ref: str
    checklist: str
    question_id: str | None
    question_text: str | None
    rating: str | None
    evidence: str
    na_reason: str
    #: Whether this person may open the whole audit (often not: it belongs to another agency).
    can_open_audit: bool


def action_source(session: Session, actor: User, action: Action) -> ActionSource | None:
    """The question, rating and evidence behind an action, for anyone who may see the action.

    An owner in another agency cannot open the audit (it holds the other agency's judgements on
    the whole plan), but cannot act without knowing what was found: so they see exactly the
    question the action is about, with its rating and evidence, and nothing else of the audit.
    """
    if not can_view_action(actor, action):
        raise PermissionDenied("You can only see actions for your own agency or that you own.")
    audit = action.audit
    if audit is None:
        return None
    refuse_if_blind(session, actor, audit)  # a panel member re-grading it blind sees no rating or evidence
    question_text = rating = None
    evidence = na_reason = ""
    if action.question_id:
        try:
            question_text = audit.template.question(action.question_id).text
        except KeyError:
            question_text = None
        response = session.scalar(
            select(Response).where(Response.audit_id == audit.id, Response.question_id == action.question_id)
        )
        if response is not None:
            rating, evidence, na_reason = response.rating, response.evidence, response.na_reason
    return ActionSource(
        audit_id=audit.id,
        case_ref=audit.case.case_ref,
        checklist=audit.template_version.title,
        question_id=action.question_id,
        question_text=question_text,
        rating=rating,
        evidence=evidence,
        na_reason=na_reason,
        can_open_audit=can_view_audit(actor, audit),
    )


#: Agency filter value for people who belong to no agency (panel members, leaders, administrators).
NO_AGENCY = "none"


def owner_choices(session: Session, *, agency_code: str | None, search: str = "", limit: int = 200) -> list[User]:
    """People who may own an action, narrowed by agency (``NO_AGENCY`` for those with none) and a
    name or email search, so the list stays short however many staff the area has."""
    query = select(User).where(
        User.active.is_(True), User.role.in_([r.value for r in CASEWORK_ROLES])
    )  # can_own_action
    if agency_code == NO_AGENCY:
        query = query.where(User.agency_code.is_(None))
    elif agency_code:
        query = query.where(User.agency_code == agency_code)
    words = search.strip().lower()[:80]
    if words:
        like = f"%{words}%"
        query = query.where(or_(func.lower(User.display_name).like(like), func.lower(User.email).like(like)))
    return list(session.scalars(query.order_by(func.lower(User.display_name)).limit(limit)))


def raised_by(session: Session, action: Action) -> User | None:
    """Who raised the action (the model keeps only the id), so its page can name them."""
    return session.get(User, action.created_by_id)


def my_actions(session: Session, actor: User, include_closed: bool = False) -> list[Action]:
    query = select(Action).where(or_(Action.owner_id == actor.id, Action.created_by_id == actor.id))
    if not include_closed:
        query = query.where(Action.status.in_(ACTION_OPEN))
    return list(session.scalars(query.order_by(Action.due_date, Action.id)))


def actions_owned_by(session: Session, actor: User) -> list[Action]:
    """Open actions the user must do (whoever raised them), soonest due first, for their home page."""
    return list(
        session.scalars(
            select(Action)
            .where(Action.owner_id == actor.id, Action.status.in_(ACTION_OPEN))
            .order_by(Action.due_date, Action.id)
        )
    )


def actions_for_audit(session: Session, actor: User, audit_id: int) -> list[Action]:
    get_audit(session, actor, audit_id)
    return list(session.scalars(select(Action).where(Action.audit_id == audit_id).order_by(Action.id)))
