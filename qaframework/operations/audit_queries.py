"""Read queries for the auditor's pages: audit lists and per-section progress, aggregated in SQL.

Kept apart from ``audits`` (the writes) so pages can ask questions without reaching for the ORM;
counting is done by the database so the lists stay quick with a year of a county's audits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from qaframework.framework import AuditStatus, Tier
from qaframework.operations.base import require
from qaframework.permissions import CROSS_AGENCY_ROLES, can_view_cases, role_of
from qaframework.store import Audit, Response, User

#: Which audits a list shows: the user's own, or (panel members, leaders, admins) everyone's.
SCOPES = ("mine", "all")


@dataclass(frozen=True)
class AuditListFilters:
    """What the audit list is narrowed to; empty strings mean "any"."""

    scope: str = "mine"
    status: str = ""
    tier: str = ""
    agency: str = ""


def can_list_all_audits(actor: User) -> bool:
    """Panel members must find any agency's submitted audit to return it; auditors see their own."""
    return actor.active and role_of(actor) in CROSS_AGENCY_ROLES


def _filtered(actor: User, filters: AuditListFilters) -> Select[Audit]:
    query = select(Audit)
    if filters.scope == "all":
        require(can_list_all_audits(actor), "Only panel members, system leaders and administrators see every audit.")
        if filters.agency:
            query = query.where(Audit.agency_code == filters.agency)
    else:
        query = query.where(Audit.auditor_id == actor.id)
    if filters.status in {s.value for s in AuditStatus}:
        query = query.where(Audit.status == filters.status)
    if filters.tier.isdigit() and int(filters.tier) in {t.value for t in Tier}:
        query = query.where(Audit.tier == int(filters.tier))
    return query


def list_audits(
    session: Session, actor: User, filters: AuditListFilters, page: int = 1, per_page: int = 25
) -> tuple[list[Audit], int]:
    """One page of audits, newest change first, with the total for pagination."""
    require(can_view_cases(actor), "Board viewers see reports, not individual audits.")
    query = _filtered(actor, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    audits = session.scalars(
        query.options(selectinload(Audit.case), selectinload(Audit.auditor))
        .order_by(Audit.updated_at.desc(), Audit.id.desc())
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    )
    return list(audits), total


def status_counts(session: Session, actor: User, filters: AuditListFilters) -> dict[str, int]:
    """How many audits each status holds under the other filters (for the status filter's labels)."""
    query = _filtered(actor, AuditListFilters(scope=filters.scope, tier=filters.tier, agency=filters.agency))
    sub = query.subquery()
    rows = session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all()
    counts = {s.value: 0 for s in AuditStatus}
    counts.update(dict(rows))
    return counts


def answered_by_section(session: Session, audit_id: int) -> dict[str, int]:
    """Rated questions per template section of one audit (unanswered rows are not counted)."""
    rows = session.execute(
        select(Response.section_id, func.count())
        .where(Response.audit_id == audit_id, Response.rating.is_not(None))
        .group_by(Response.section_id)
    ).all()
    return dict(rows)
