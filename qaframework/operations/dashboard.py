"""Read models for the home page and team oversight, aggregated in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, String, cast, func, select
from sqlalchemy.orm import Session

from qaframework.framework import PEER_OPEN, AuditStatus, Role, Subject, Tier
from qaframework.operations.base import PermissionDenied
from qaframework.operations.panel_audits import own_or_present
from qaframework.operations.settings import Tier1Target, tier1_target
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
        .where(own_or_present(actor), Audit.status.in_(list(groups)))
        .order_by(Audit.updated_at.desc())
        .limit(200)
    )
    for audit in audits:
        groups[audit.status].append(audit)
    # Submitted work is listed by when it was submitted, the date people remember.
    groups[AuditStatus.SUBMITTED].sort(key=lambda a: a.submitted_at or a.updated_at, reverse=True)
    return groups


#: What counts towards the Tier 1 target: checks of draft and final plans, not agencies' advice self-checks.
TARGET_SUBJECTS = (Subject.DRAFT_PLAN, Subject.FINAL_PLAN)
#: The agency whose auditors are the EHC co-ordinators the Tier 1 target is for.
COORDINATOR_AGENCY = "send_service"


def _counted_checks(user_ids: list[int], today: date) -> list[ColumnElement[bool]]:
    """Tier 1 plan checks by these users, started this month and no longer drafts."""
    start, end = month_bounds(today)
    return [
        Audit.auditor_id.in_(user_ids),
        Audit.tier == int(Tier.AGENCY_CHECK),
        Audit.subject.in_(TARGET_SUBJECTS),
        Audit.status != AuditStatus.DRAFT,
        Audit.created_at >= start,
        Audit.created_at < end,
    ]


def tier1_checks_this_month(session: Session, user_ids: list[int], today: date) -> dict[int, int]:
    """Tier 1 plan checks counted towards the target this month, per user."""
    rows = session.execute(
        select(Audit.auditor_id, func.count()).where(*_counted_checks(user_ids, today)).group_by(Audit.auditor_id)
    ).all()
    counts = dict.fromkeys(user_ids, 0)
    counts.update(dict(rows))
    return counts


def percent_of(done: int, target: int) -> int:
    """Progress as a whole percentage, at most 100 (a met target is met, not exceeded)."""
    return min(100, round(100 * done / target)) if target else 100


@dataclass
class TargetProgress:
    """Progress towards the Tier 1 target: the team's (with this user's share) or this user's own."""

    done: int
    target: int
    rule: Tier1Target
    #: This user's own plan checks this month (the same as ``done`` for a per-person target).
    own: int = 0
    #: The team whose total it is (None for a per-person target, or a co-ordinator with no team).
    team: str | None = None

    @property
    def remaining(self) -> int:
        return max(0, self.target - self.done)

    @property
    def percent(self) -> int:
        return percent_of(self.done, self.target)


def _coordinators(session: Session, team: str | None) -> list[User]:
    query = select(User).where(
        User.role == Role.AUDITOR.value, User.active.is_(True), User.agency_code == COORDINATOR_AGENCY
    )
    query = query.where(User.team == team) if team else query.where(User.team.is_(None))
    return list(session.scalars(query.order_by(User.display_name)))


def my_target(session: Session, actor: User, today: date) -> TargetProgress | None:
    """Tier 1 target progress for EHC co-ordinators: their team's total, or their own, as the area chose."""
    if actor.role != Role.AUDITOR.value or actor.agency_code != COORDINATOR_AGENCY:
        return None
    rule = tier1_target(session)
    if rule.per_person:
        own = tier1_checks_this_month(session, [actor.id], today)[actor.id]
        return TargetProgress(own, rule.checks, rule, own)
    team = [u.id for u in _coordinators(session, actor.team)]
    counts = tier1_checks_this_month(session, list({*team, actor.id}), today)
    return TargetProgress(sum(counts.values()), rule.checks, rule, counts[actor.id], actor.team)


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
    #: This co-ordinator's own target; None when the target is a team total.
    target: int | None
    grades: dict[str, int] = field(default_factory=dict)
    open_challenges: int = 0

    @property
    def percent(self) -> int | None:
        return None if self.target is None else percent_of(self.checks_this_month, self.target)


@dataclass
class TeamOversight:
    """The oversight page's figures, totals included, so every page shows the same sums."""

    members: list[MemberOversight]
    rule: Tier1Target
    #: The team's target: the team total, or each co-ordinator's target added up.
    target: int

    @property
    def done(self) -> int:
        return sum(m.checks_this_month for m in self.members)

    @property
    def percent(self) -> int:
        return percent_of(self.done, self.target)

    @property
    def open_challenges(self) -> int:
        return sum(m.open_challenges for m in self.members)


def team_oversight(session: Session, actor: User, today: date, team: str | None = None) -> TeamOversight:
    """Each co-ordinator's Tier 1 plan checks this month, grade mix and open challenges, against the target."""
    if not can_view_team(actor):
        raise PermissionDenied("Only team managers and administrators can see team oversight.")
    if actor.role != Role.ADMIN.value:
        team = actor.team
    query = select(User).where(
        User.role == Role.AUDITOR.value,
        User.active.is_(True),
        User.agency_code == (actor.agency_code or COORDINATOR_AGENCY),
    )
    if team:
        query = query.where(User.team == team)
    members = list(session.scalars(query.order_by(User.display_name)))
    ids = [m.id for m in members]
    counts = tier1_checks_this_month(session, ids, today)
    grade = func.coalesce(Audit.moderated_grade, Audit.auditor_grade, Audit.suggested_grade)
    grade_rows = session.execute(
        select(Audit.auditor_id, grade, func.count())
        .where(*_counted_checks(ids, today))
        .group_by(Audit.auditor_id, grade)
    ).all()
    open_rows = session.execute(
        select(Audit.auditor_id, func.count(PeerChallenge.id))
        .join(PeerChallenge, PeerChallenge.audit_id == Audit.id)
        .where(Audit.auditor_id.in_(ids), PeerChallenge.status.in_(PEER_OPEN))
        .group_by(Audit.auditor_id)
    ).all()
    rule = tier1_target(session)
    result = {m.id: MemberOversight(m, counts[m.id], rule.checks if rule.per_person else None) for m in members}
    for uid, g, n in grade_rows:
        if g:
            result[uid].grades[g] = n
    for uid, n in open_rows:
        result[uid].open_challenges = n
    team_count = len({m.team for m in members})
    return TeamOversight(list(result.values()), rule, rule.for_group(len(members), team_count))


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
