"""Read models for the home page and team oversight, aggregated in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from qaframework.framework import PEER_OPEN, AuditStatus, Role, Tier
from qaframework.operations.base import PermissionDenied
from qaframework.operations.settings import tier1_target
from qaframework.permissions import can_view_team
from qaframework.store import Action, Audit, PeerChallenge, TrailEntry, User


def month_bounds(today: date) -> tuple[datetime, datetime]:
    start = datetime(today.year, today.month, 1, tzinfo=UTC)
    end = datetime(today.year + (today.month == 12), today.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def my_audits(session: Session, actor: User) -> dict[str, list[Audit]]:
    """The user's audits grouped for the home page: returned first, then drafts, then submitted."""
    groups: dict[str, list[Audit]] = {AuditStatus.RETURNED: [], AuditStatus.DRAFT: [], AuditStatus.SUBMITTED: []}
    audits = session.scalars(
        select(Audit)
        .where(Audit.auditor_id == actor.id, Audit.status.in_(list(groups)))
        .order_by(Audit.updated_at.desc())
        .limit(200)
    )
    for audit in audits:
        groups[audit.status].append(audit)
    # Submitted work is listed by when it was submitted, the date people remember.
    groups[AuditStatus.SUBMITTED].sort(key=lambda a: a.submitted_at or a.updated_at, reverse=True)
    return groups


def tier1_checks_this_month(session: Session, user_ids: list[int], today: date) -> dict[int, int]:
    """Tier 1 checks started this month that are no longer drafts, per user."""
    start, end = month_bounds(today)
    rows = session.execute(
        select(Audit.auditor_id, func.count())
        .where(
            Audit.auditor_id.in_(user_ids),
            Audit.tier == int(Tier.AGENCY_CHECK),
            Audit.status != AuditStatus.DRAFT,
            Audit.created_at >= start,
            Audit.created_at < end,
        )
        .group_by(Audit.auditor_id)
    ).all()
    counts = dict.fromkeys(user_ids, 0)
    counts.update(dict(rows))
    return counts


@dataclass
class TargetProgress:
    done: int
    target: int

    @property
    def remaining(self) -> int:
        return max(0, self.target - self.done)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.target)) if self.target else 100


def my_target(session: Session, actor: User, today: date) -> TargetProgress | None:
    """Tier 1 target progress, for auditors who do Tier 1 checks (EHC co-ordinators)."""
    if actor.role != Role.AUDITOR.value or actor.agency_code != "send_service":
        return None
    return TargetProgress(tier1_checks_this_month(session, [actor.id], today)[actor.id], tier1_target(session))


def recent_activity(session: Session, actor: User, limit: int = 10) -> list[TrailEntry]:
    """What happened lately to the user's own audits or by the user, newest first by when it happened
    (history loaded later, such as the demo's, has later ids but earlier dates)."""
    own_audits = select(cast(Audit.id, String)).where(Audit.auditor_id == actor.id)
    return list(
        session.scalars(
            select(TrailEntry)
            .where(
                (TrailEntry.actor_id == actor.id)
                | ((TrailEntry.entity == "audit") & TrailEntry.entity_id.in_(own_audits))
            )
            .where(TrailEntry.action != "user.sign_in")
            .order_by(TrailEntry.at.desc(), TrailEntry.id.desc())
            .limit(limit)
        )
    )


@dataclass
class MemberOversight:
    user: User
    checks_this_month: int
    target: int
    grades: dict[str, int] = field(default_factory=dict)
    open_challenges: int = 0

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.checks_this_month / self.target)) if self.target else 100


def team_oversight(session: Session, actor: User, today: date, team: str | None = None) -> list[MemberOversight]:
    """Each co-ordinator's Tier 1 checks this month against the target, grade mix and open challenges."""
    if not can_view_team(actor):
        raise PermissionDenied("Only team managers and administrators can see team oversight.")
    if actor.role != Role.ADMIN.value:
        team = actor.team
    query = select(User).where(
        User.role == Role.AUDITOR.value,
        User.active.is_(True),
        User.agency_code == (actor.agency_code or "send_service"),
    )
    if team:
        query = query.where(User.team == team)
    members = list(session.scalars(query.order_by(User.display_name)))
    ids = [m.id for m in members]
    counts = tier1_checks_this_month(session, ids, today)
    start, end = month_bounds(today)
    grade = func.coalesce(Audit.moderated_grade, Audit.auditor_grade, Audit.suggested_grade)
    grade_rows = session.execute(
        select(Audit.auditor_id, grade, func.count())
        .where(
            Audit.auditor_id.in_(ids),
            Audit.tier == int(Tier.AGENCY_CHECK),
            Audit.status != AuditStatus.DRAFT,
            Audit.created_at >= start,
            Audit.created_at < end,
        )
        .group_by(Audit.auditor_id, grade)
    ).all()
    open_rows = session.execute(
        select(Audit.auditor_id, func.count(PeerChallenge.id))
        .join(PeerChallenge, PeerChallenge.audit_id == Audit.id)
        .where(Audit.auditor_id.in_(ids), PeerChallenge.status.in_(PEER_OPEN))
        .group_by(Audit.auditor_id)
    ).all()
    target = tier1_target(session)
    result = {m.id: MemberOversight(m, counts[m.id], target) for m in members}
    for uid, g, n in grade_rows:
        if g:
            result[uid].grades[g] = n
    for uid, n in open_rows:
        result[uid].open_challenges = n
    return list(result.values())


def teams(session: Session) -> list[str]:
    query = select(User.team).where(User.team.is_not(None)).distinct().order_by(User.team)
    return [t for t in session.scalars(query) if t is not None]


#: A draft untouched for this long is worth a manager's question.
STALE_DRAFT_DAYS = 30


@dataclass
class TeamAttention:
    """What a team manager can act on: overdue actions owned by the team, and drafts gone quiet."""

    overdue_actions: list[Action]
    stale_drafts: list[Audit]


def team_attention(session: Session, actor: User, today: date, team: str | None = None) -> TeamAttention:
    """Overdue actions the team's co-ordinators own and their drafts untouched for 30 days or more."""
    if not can_view_team(actor):
        raise PermissionDenied("Only team managers and administrators can see team oversight.")
    if actor.role != Role.ADMIN.value:
        team = actor.team
    members = select(User.id).where(User.role == Role.AUDITOR.value,
                                    User.agency_code == (actor.agency_code or "send_service"))
    if team:
        members = members.where(User.team == team)
    overdue = list(session.scalars(
        select(Action).where(Action.owner_id.in_(members), Action.status.in_(["open", "in_progress"]),
                             Action.due_date < today).order_by(Action.due_date, Action.id).limit(200)
    ))
    cutoff = datetime.combine(today - timedelta(days=STALE_DRAFT_DAYS), datetime.min.time(), tzinfo=UTC)
    stale = list(session.scalars(
        select(Audit).where(Audit.auditor_id.in_(members), Audit.status.in_(["draft", "returned"]),
                            Audit.updated_at < cutoff).order_by(Audit.updated_at, Audit.id).limit(200)
    ))
    return TeamAttention(overdue, stale)
