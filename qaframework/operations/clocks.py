"""Every statutory clock that applies to a case, and the area's at-risk lists, worked out for a day.

Reads stored cases and hands them to the pure ``qaframework.timeliness`` functions; the case page,
the at-risk page and reports all get their clocks from here, so a due date is computed one way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from qaframework.framework import RequestOutcome
from qaframework.numbers import whole_number
from qaframework.operations.assignments import assigned_case_ids
from qaframework.operations.base import FieldError, InvalidInput, require
from qaframework.operations.settings import get_setting, set_setting
from qaframework.permissions import can_view_cases, sees_assigned_cases_only
from qaframework.store import AdviceRequest, Agency, Case, Request, Review, User
from qaframework.timeliness import (
    DEFAULT_MILESTONES,
    AdviceClock,
    AnnualReviewClock,
    LocalMilestones,
    PhaseTransferClock,
    RequestClock,
    TransferInClock,
    advice_clock,
    annual_review_clock,
    clock,
    phase_transfer_clock,
    transfer_in_clock,
)
from qaframework.timeliness.reviews import AT_RISK_DAYS_LEFT as REVIEW_AT_RISK_DAYS

#: Area setting: the statutory week from which an open request is at risk (default 14).
AT_RISK_WEEK = "at_risk_from_week"


def agency_names(session: Session) -> dict[str, str]:
    """Agency code → name, for showing whose advice a clock is about."""
    return {a.code: a.name for a in session.scalars(select(Agency))}


#: The at-risk week can be set from week 1 to week 20 (20 would flag only the last week).
AT_RISK_WEEK_RANGE = (1, 20)


def parse_at_risk_week(text: str) -> int:
    """A whole number of weeks in range; InvalidInput naming the field otherwise."""
    low, high = AT_RISK_WEEK_RANGE
    value = whole_number(text, low=low, high=high)
    if value is None:
        raise InvalidInput([FieldError(AT_RISK_WEEK, f"Enter a whole number of weeks from {low} to {high}, like 14")])
    return value


def set_at_risk_week(session: Session, actor: User | None, week: int) -> None:
    """Change the statutory week from which open requests show as at risk (administrators; in the trail)."""
    parse_at_risk_week(str(week))
    set_setting(session, actor, AT_RISK_WEEK, week)


def local_milestones(session: Session) -> LocalMilestones:
    """The area's local milestones; only the at-risk week is a setting today."""
    week = get_setting(session, AT_RISK_WEEK)
    if week is None:
        return DEFAULT_MILESTONES
    return LocalMilestones(
        assessment_panel_week=DEFAULT_MILESTONES.assessment_panel_week,
        decision_panel_week=DEFAULT_MILESTONES.decision_panel_week,
        draft_week=DEFAULT_MILESTONES.draft_week,
        at_risk_from_week=int(week),
    )


@dataclass(frozen=True)
class RequestClockView:
    request: Request
    #: None when the recorded dates contradict each other (``problem`` says how).
    clock: RequestClock | None
    problem: str | None = None
    advice: list[tuple[AdviceRequest, AdviceClock]] = field(default_factory=list)


@dataclass(frozen=True)
class CaseClocks:
    """The clocks that apply to one case on one day; a clock that does not apply is None or empty."""

    requests: list[RequestClockView]
    review: AnnualReviewClock | None
    phase_transfer: PhaseTransferClock | None
    transfer_in: TransferInClock | None

    @property
    def any(self) -> bool:
        return bool(self.requests or self.review or self.phase_transfer or self.transfer_in)


def request_clock_view(
    request: Request, today: date, milestones: LocalMilestones = DEFAULT_MILESTONES
) -> RequestClockView:
    """One request's clock and its advice clocks; contradictory dates are reported, not raised."""
    advice = [(a, advice_clock(a.facts(), today)) for a in request.advice]
    try:
        return RequestClockView(request, clock(request.facts(), today, milestones), None, advice)
    except ValueError as exc:
        return RequestClockView(request, None, str(exc), advice)


def case_clocks(case: Case, today: date, milestones: LocalMilestones = DEFAULT_MILESTONES) -> CaseClocks:
    """Request (or re-assessment) and advice clocks, annual review, phase transfer and transfer in."""
    requests = [request_clock_view(r, today, milestones) for r in reversed(case.requests)]
    plan = case.plan_issued_date
    has_plan = plan is not None or case.transferred_in_date is not None
    ceased = any(r.outcome == "C" for r in case.reviews if r.decision_date is not None)
    review = None
    if has_plan and not ceased:
        try:
            review = annual_review_clock(plan, case.review_facts(), today, case.transferred_in_date)
        except ValueError:
            review = None
    phase = None
    next_phase = case.next_phase_enum
    if next_phase is not None and case.phase_transfer_date and not ceased:
        phase = phase_transfer_clock(next_phase, case.phase_transfer_date, case.phase_transfer_completed(), today)
    transfer = None
    if case.transferred_in_date is not None:
        transfer = transfer_in_clock(
            case.transferred_in_date, case.transfer_family_told_date, plan, case.last_review_decision_date, today
        )
    return CaseClocks(requests, review, phase, transfer)


def case_clocks_for(session: Session, actor: User, case: Case, today: date) -> CaseClocks:
    """The case page's clocks, with the area's own at-risk week."""
    require(can_view_cases(actor), "Board viewers see reports, not individual cases.")
    return case_clocks(case, today, local_milestones(session))


@dataclass(frozen=True)
class AtRiskLists:
    """What needs attention across the area (or one team), most urgent first in each list."""

    #: Every open request, fewest days left first (so those past the at-risk week come first).
    requests: list[tuple[Case, Request, RequestClock]]
    advice: list[tuple[Case, AdviceRequest, AdviceClock]]
    reviews: list[tuple[Case, AnnualReviewClock]]
    phase_transfers: list[tuple[Case, PhaseTransferClock]]
    at_risk_from_week: int
    teams: list[str] = field(default_factory=list)

    @property
    def requests_at_risk(self) -> int:
        """Open requests at or past the at-risk week, due today or overdue."""
        return sum(c.status in ATTENTION for _, _, c in self.requests)


ATTENTION = frozenset({"overdue", "due_today", "at_risk", "decision_overdue"})

#: No annual review is due sooner than 364 days after the plan or the last review decision (12
#: months starting with that day), and a review needs attention from 42 days before it is due; a
#: week's slack on top, so the SQL narrowing can only let in more cases than the clocks keep.
REVIEW_QUIET_DAYS = 364 - REVIEW_AT_RISK_DAYS - 7


def may_need_attention(today: date) -> ColumnElement[bool]:
    """Cases that can have something on the at-risk lists on ``today``: a superset, worked out in SQL.

    An open request; advice not yet received; a review meeting held with no decision; a phase
    transfer recorded; or a plan (or transfer in) with no plan issued nor review decided in the
    last ``REVIEW_QUIET_DAYS`` days. The clocks then decide exactly, as for the case page, so the
    lists are the same as from every case; only far fewer cases are loaded.
    """
    quiet_since = today - timedelta(days=REVIEW_QUIET_DAYS)
    outstanding_advice = (
        select(AdviceRequest.id)
        .join(Request, AdviceRequest.request_id == Request.id)
        .where(Request.case_id == Case.id, AdviceRequest.received_date.is_(None))
        .exists()
    )
    has_plan = or_(Case.transferred_in_date.is_not(None), Case.requests.any(Request.final_issued_date.is_not(None)),
                   Case.reviews.any(Review.decision_date.is_not(None)))
    return or_(
        Case.requests.any(Request.outcome == RequestOutcome.IN_PROGRESS.value),
        outstanding_advice,
        Case.reviews.any(and_(Review.meeting_date.is_not(None), Review.decision_date.is_(None),
                              Review.meeting_date <= today)),
        and_(Case.next_phase.is_not(None), Case.phase_transfer_date.is_not(None)),
        and_(has_plan,
             ~Case.requests.any(Request.final_issued_date > quiet_since),
             ~Case.reviews.any(Review.decision_date > quiet_since)),
    )


def at_risk(session: Session, actor: User, today: date, team: str = "") -> AtRiskLists:
    """Open requests by days left (overdue and those past the at-risk week first), outstanding advice
    near or past 6 weeks, reviews and phase transfers due within 6 weeks or late; optionally for one team."""
    require(can_view_cases(actor), "Board viewers see reports, not individual cases.")
    milestones = local_milestones(session)
    query = (
        select(Case)
        .where(may_need_attention(today))
        .options(selectinload(Case.requests).selectinload(Request.advice), selectinload(Case.reviews))
        .order_by(Case.case_ref)
    )
    if team:
        query = query.where(Case.team == team)
    if sees_assigned_cases_only(actor):
        query = query.where(Case.id.in_(sorted(assigned_case_ids(session, actor))))
    requests: list[tuple[Case, Request, RequestClock]] = []
    advice: list[tuple[Case, AdviceRequest, AdviceClock]] = []
    reviews: list[tuple[Case, AnnualReviewClock]] = []
    phases: list[tuple[Case, PhaseTransferClock]] = []
    for case in session.scalars(query):
        clocks = case_clocks(case, today, milestones)
        for view in clocks.requests:
            if view.request.outcome == RequestOutcome.IN_PROGRESS and view.clock:
                requests.append((case, view.request, view.clock))
            advice += [(case, a, c) for a, c in view.advice if c.status in ATTENTION]
        if clocks.review and clocks.review.status in ATTENTION:
            reviews.append((case, clocks.review))
        if clocks.phase_transfer and clocks.phase_transfer.status in ATTENTION:
            phases.append((case, clocks.phase_transfer))

    def left(value: Any) -> int:
        return value if value is not None else 0

    requests.sort(key=lambda t: (left(t[2].days_left), t[0].case_ref))
    advice.sort(key=lambda t: (left(t[2].days_left), t[0].case_ref))
    reviews.sort(key=lambda t: (t[1].days_left, t[0].case_ref))
    phases.sort(key=lambda t: (left(t[1].days_left), t[0].case_ref))
    teams = sorted(t for t in session.scalars(select(Case.team).where(Case.team.is_not(None)).distinct()) if t)
    return AtRiskLists(requests, advice, reviews, phases, milestones.at_risk_from_week, teams)
