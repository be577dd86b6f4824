"""The Learning and Improvement Group's list of actions: filtered by agency, owner, theme, status
and cycle, with overdue derived from the due date, a page at a time.

Filters arrive as the query string of a bookmarkable page; :meth:`ActionFilters.parse` reads and
checks them here so the ``qa`` command or a report could ask the same question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from qaframework.framework import ACTION_OPEN, ActionStatus, Role
from qaframework.numbers import whole_number
from qaframework.operations.actions import NO_AGENCY
from qaframework.operations.base import FieldError, PermissionDenied
from qaframework.operations.themes import cycle_key
from qaframework.permissions import CROSS_AGENCY_ROLES, can_view_learning, role_of
from qaframework.store import Action, Audit, User

#: Status filter values beyond the stored statuses: overdue and "still to do" are derived.
OVERDUE, STILL_OPEN = "overdue", "still_open"
STATUS_CHOICES: dict[str, str] = {
    STILL_OPEN: "Open or in progress",
    OVERDUE: "Overdue",
    **{s.value: s.label for s in ActionStatus},
}
PER_PAGE = 50


@dataclass(frozen=True)
class ActionFilters:
    agency: str | None = None
    owner_id: int | None = None
    theme: str | None = None
    status: str | None = None
    cycle: str | None = None
    training_only: bool = False
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> tuple[ActionFilters, list[FieldError]]:
        """Read filters from a query string; unknown values are dropped with an error naming the field."""
        errors: list[FieldError] = []
        owner = (args.get("owner") or "").strip()
        if owner and whole_number(owner) is None:
            errors.append(FieldError("owner", "Choose an owner from the list"))
        status = (args.get("status") or "").strip() or None
        if status and status not in STATUS_CHOICES:
            errors.append(FieldError("status", "Choose a status from the list"))
            status = None
        page = (args.get("page") or "1").strip()
        return (
            cls(
                agency=(args.get("agency") or "").strip()[:40] or None,
                owner_id=whole_number(owner),
                theme=(args.get("theme") or "").strip()[:80] or None,
                status=status,
                cycle=(args.get("cycle") or "").strip()[:30] or None,
                training_only=args.get("training") == "yes",
                page=whole_number(page, low=1, high=99_999) or 1,
            ),
            errors,
        )

    def query_args(self, **changes: object) -> dict[str, str]:
        """These filters as query-string arguments (for pagination links and bookmarks)."""
        chosen = replace(self, **changes)  # type: ignore[arg-type]  # field names checked by dataclasses
        args = {
            "agency": chosen.agency or "",
            "owner": str(chosen.owner_id or ""),
            "theme": chosen.theme or "",
            "status": chosen.status or "",
            "cycle": chosen.cycle or "",
            "training": "yes" if chosen.training_only else "",
            "page": str(chosen.page) if chosen.page > 1 else "",
        }
        return {k: v for k, v in args.items() if v}

    @property
    def active(self) -> bool:
        return any((self.agency, self.owner_id, self.theme, self.status, self.cycle, self.training_only))


def visible_actions(actor: User) -> ColumnElement[bool]:
    """``permissions.can_view_action`` as a WHERE condition: the group sees every agency's actions,
    an auditor their agency's and any they own or raised."""
    if not can_view_learning(actor):
        return false()
    role = role_of(actor)
    if role in CROSS_AGENCY_ROLES:
        return true()
    mine = or_(Action.owner_id == actor.id, Action.created_by_id == actor.id)
    if role is Role.AUDITOR and actor.agency_code:
        return or_(mine, and_(Action.agency_code.is_not(None), Action.agency_code == actor.agency_code))
    return mine


@dataclass(frozen=True)
class ActionPage:
    actions: list[Action]
    total: int
    overdue: int
    page: int
    pages: int


def _where(filters: ActionFilters, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.agency == NO_AGENCY:
        conditions.append(Action.agency_code.is_(None))
    elif filters.agency:
        conditions.append(Action.agency_code == filters.agency)
    if filters.owner_id:
        conditions.append(Action.owner_id == filters.owner_id)
    if filters.theme:
        conditions.append(func.lower(Action.theme) == filters.theme.lower())
    if filters.status == OVERDUE:
        conditions.append(and_(Action.status.in_(ACTION_OPEN), Action.due_date < today))
    elif filters.status == STILL_OPEN:
        conditions.append(Action.status.in_(ACTION_OPEN))
    elif filters.status:
        conditions.append(Action.status == filters.status)
    if filters.cycle:
        conditions.append(Action.audit_id.in_(select(Audit.id).where(Audit.cycle == filters.cycle)))
    if filters.training_only:
        conditions.append(Action.training_need.is_(True))
    return conditions


def filtered_actions(session: Session, actor: User, filters: ActionFilters, today: date) -> ActionPage:
    """One page of the actions the actor may see that match the filters, soonest due first."""
    if not can_view_learning(actor):
        raise PermissionDenied("Actions are casework; board viewers see the themes' figures only.")
    conditions = [visible_actions(actor), *_where(filters, today)]
    overdue_now = and_(Action.status.in_(ACTION_OPEN), Action.due_date < today)
    total, overdue = session.execute(
        select(func.count(Action.id), func.coalesce(func.sum(case((overdue_now, 1), else_=0)), 0)).where(
            *conditions
        )
    ).one()
    pages = max(1, -(-int(total) // PER_PAGE))
    page = min(filters.page, pages)
    query: Select[Action] = (
        select(Action)
        .where(*conditions)
        .options(joinedload(Action.owner), selectinload(Action.audit).joinedload(Audit.case))
        .order_by(Action.due_date, Action.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return ActionPage(list(session.scalars(query)), int(total), int(overdue), page, pages)


@dataclass(frozen=True)
class FilterChoices:
    """What the filters offer: only values some visible action has, so no choice leads nowhere."""

    owners: list[tuple[int, str]] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    cycles: list[str] = field(default_factory=list)


def filter_choices(session: Session, actor: User) -> FilterChoices:
    if not can_view_learning(actor):
        raise PermissionDenied("Actions are casework; board viewers see the themes' figures only.")
    seen = visible_actions(actor)
    owners = session.execute(
        select(User.id, User.display_name)
        .where(User.id.in_(select(Action.owner_id).where(seen)))
        .order_by(func.lower(User.display_name))
    ).all()
    themes = session.scalars(select(Action.theme).where(seen, Action.theme.is_not(None)).distinct())
    cycles = session.scalars(
        select(Audit.cycle).where(Audit.id.in_(select(Action.audit_id).where(seen))).distinct()
    )
    return FilterChoices(
        owners=[(int(i), str(n)) for i, n in owners],
        themes=sorted({t for t in themes if t}, key=str.lower),
        cycles=sorted(cycles, key=cycle_key, reverse=True),
    )
