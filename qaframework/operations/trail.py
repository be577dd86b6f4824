"""Reading the audit trail, for administrators: who changed what, when, with before and after.

Children's records need an audit trail that someone actually reads; this is the read side of
``operations.base.record``. Sign-ins are most of the entries and rarely what an administrator is
looking for, so they are left out unless asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from qaframework.operations.base import require
from qaframework.permissions import can_manage_users
from qaframework.store import TrailEntry, User

#: Actions that record someone signing in, not a change to a record.
SIGN_IN_ACTIONS = ("user.sign_in",)
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class TrailFilters:
    entity: str = ""
    entity_id: str = ""
    actor_id: int | None = None
    include_sign_ins: bool = False


@dataclass(frozen=True)
class TrailRow:
    entry: TrailEntry
    #: The person's name, or None for the system (the ``qa`` command, migrations, the demo loader).
    actor_name: str | None


@dataclass(frozen=True)
class TrailPage:
    rows: list[TrailRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _allowed(actor: User) -> None:
    require(can_manage_users(actor), "Only an administrator can read the audit trail.")


def _where(query: Select, filters: TrailFilters) -> Select:  # type: ignore[type-arg]
    if filters.entity:
        query = query.where(TrailEntry.entity == filters.entity)
    if filters.entity_id:
        query = query.where(TrailEntry.entity_id == filters.entity_id)
    if filters.actor_id is not None:
        query = query.where(TrailEntry.actor_id == filters.actor_id)
    if not filters.include_sign_ins:
        query = query.where(TrailEntry.action.not_in(SIGN_IN_ACTIONS))
    return query


def trail_page(session: Session, actor: User, filters: TrailFilters, page: int = 1, per_page: int = 50) -> TrailPage:
    """One page of entries, newest first, with the actor's name joined in SQL."""
    _allowed(actor)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = session.scalar(_where(select(func.count(TrailEntry.id)), filters)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    query = _where(
        select(TrailEntry, User.display_name).outerjoin(User, User.id == TrailEntry.actor_id), filters
    ).order_by(TrailEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    rows = [TrailRow(entry, name) for entry, name in session.execute(query).all()]
    return TrailPage(rows, total, page, per_page)


def trail_entities(session: Session, actor: User) -> list[str]:
    """The kinds of record the trail mentions, for the filter."""
    _allowed(actor)
    return list(session.scalars(select(TrailEntry.entity).distinct().order_by(TrailEntry.entity)))


def latest_entry(session: Session, actor: User, action: str) -> TrailRow | None:
    """The most recent entry for one action, e.g. the last case import for the admin landing page."""
    _allowed(actor)
    found = session.execute(
        select(TrailEntry, User.display_name)
        .outerjoin(User, User.id == TrailEntry.actor_id)
        .where(TrailEntry.action == action)
        .order_by(TrailEntry.id.desc())
        .limit(1)
    ).first()
    return TrailRow(found[0], found[1]) if found else None
