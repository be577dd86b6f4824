"""Read queries for the auditor's pages: audit lists and per-section progress, aggregated in SQL.

Kept apart from ``audits`` (the writes) so pages can ask questions without reaching for the ORM;
counting is done by the database so the lists stay quick with a year of a county's audits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from qaframework.framework import AuditStatus, Rating, Role, Tier
from qaframework.numbers import whole_number
from qaframework.operations.audits import get_audit
from qaframework.operations.base import require
from qaframework.operations.panel_audits import own_or_present
from qaframework.permissions import CROSS_AGENCY_ROLES, can_view_cases, can_view_team, role_of
from qaframework.scoring import Answer
from qaframework.store import Audit, PeerChallenge, Response, SectionGrade, User

#: Peer-challenge states in which the exchange is still going (see ``operations.peer.OPEN``).
PEER_OPEN_STATES = ("requested", "challenged", "responded")

#: Which audits a list shows: the user's own, their team's (team managers, from team oversight),
#: or (panel members, leaders, admins) everyone's.
SCOPES = ("mine", "team", "all")


@dataclass(frozen=True)
class AuditListFilters:
    """What the audit list is narrowed to; empty strings mean "any"."""

    scope: str = "mine"
    status: str = ""
    tier: str = ""
    agency: str = ""
    #: Team scope only: one co-ordinator's audits, those started in one month ("2026-11"), or only
    #: those with a peer challenge still open.
    auditor_id: int | None = None
    month: str = ""
    peer_open: bool = False


def team_members(session: Session, actor: User) -> list[User]:
    """The co-ordinators a team manager oversees (an administrator: every auditor)."""
    require(can_view_team(actor), "Only team managers and administrators can see a team's audits.")
    query = select(User).where(User.role == Role.AUDITOR.value)
    if role_of(actor) is not Role.ADMIN:
        query = query.where(User.agency_code == actor.agency_code, User.team == actor.team)
    return list(session.scalars(query.order_by(User.display_name)))


def month_start(text: str) -> date | None:
    """The first day of a "YYYY-MM" month, or None if it is not one."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 else None
    except ValueError:
        return None


def can_list_all_audits(actor: User) -> bool:
    """Panel members must find any agency's submitted audit to return it; auditors see their own."""
    return actor.active and role_of(actor) in CROSS_AGENCY_ROLES


def _filtered(actor: User, filters: AuditListFilters, session: Session | None = None) -> Select[Audit]:
    query = select(Audit)
    if filters.scope == "all":
        require(can_list_all_audits(actor), "Only panel members, system leaders and administrators see every audit.")
        if filters.agency:
            query = query.where(Audit.agency_code == filters.agency)
    elif filters.scope == "team":
        assert session is not None, "the team scope looks the team up"
        members = {m.id for m in team_members(session, actor)}
        if filters.auditor_id is not None:
            require(filters.auditor_id in members, "You can only see the audits of people in your own team.")
            members = {filters.auditor_id}
        query = query.where(Audit.auditor_id.in_(members))
        start = month_start(filters.month)
        if start is not None:
            end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
            query = query.where(Audit.created_at >= datetime.combine(start, time(0), tzinfo=UTC),
                                Audit.created_at < datetime.combine(end, time(0), tzinfo=UTC))
        if filters.peer_open:
            open_challenge = select(PeerChallenge.audit_id).where(PeerChallenge.status.in_(PEER_OPEN_STATES))
            query = query.where(Audit.id.in_(open_challenge))
    else:
        query = query.where(own_or_present(actor))
    if filters.status in {s.value for s in AuditStatus}:
        query = query.where(Audit.status == filters.status)
    tier = whole_number(filters.tier)
    if tier in {t.value for t in Tier}:
        query = query.where(Audit.tier == tier)
    return query


def list_audits(
    session: Session, actor: User, filters: AuditListFilters, page: int = 1, per_page: int = 25
) -> tuple[list[Audit], int]:
    """One page of audits, newest change first, with the total for pagination."""
    require(can_view_cases(actor), "Board viewers see reports, not individual audits.")
    query = _filtered(actor, filters, session)
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
    others = dataclasses.replace(filters, status="")
    query = _filtered(actor, others, session)
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


@dataclass(frozen=True)
class AuditAnswers:
    """An audit with its answers and its sections' suggested grades, read as plain rows.

    For pages that show the answers rather than change them: building sixty ``Response`` (and a
    dozen ``SectionGrade``) ORM objects took more time than the rest of the one-page checklist's
    queries together, and rows are all those pages need. ``audit`` is the ORM object, with its
    case; its ``responses`` are not loaded (reading them would cost a query, not give wrong answers).
    """

    audit: Audit
    answers: dict[str, Answer]
    section_grades: dict[str, str | None]

    def section_grade(self, section_id: str) -> str | None:
        """The stored suggested grade of one section (kept up to date at every save)."""
        return self.section_grades.get(section_id)


#: Built once: constructing a statement costs about as much as running it on SQLite.
_ANSWERS = select(Response.question_id, Response.rating, Response.evidence, Response.na_reason).where(
    Response.audit_id == bindparam("audit_id")
)
_SECTION_GRADES = select(SectionGrade.section_id, SectionGrade.suggested_grade).where(
    SectionGrade.audit_id == bindparam("audit_id")
)


def audit_with_answers(session: Session, actor: User, audit_id: int) -> AuditAnswers:
    """The audit (if ``actor`` may see it) with its answers, for showing them."""
    audit = get_audit(session, actor, audit_id, load=(joinedload(Audit.case),))
    # Plain rows through the session's own connection (same transaction), skipping the ORM layer.
    connection, key = session.connection(), {"audit_id": audit.id}
    answers = {
        question_id: Answer(Rating(rating) if rating else None, evidence, na_reason)
        for question_id, rating, evidence, na_reason in connection.execute(_ANSWERS, key)
    }
    grades: dict[str, str | None] = dict(connection.execute(_SECTION_GRADES, key).all())
    return AuditAnswers(audit, answers, grades)
