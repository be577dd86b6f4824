"""The statutory clock of a request for an EHC needs assessment, and the DfE-style rates.

SEND Regulations 2014: decision whether to assess within 6 weeks (reg 4/5), decision not to issue
within 16 weeks (reg 10), final plan within 20 weeks (reg 13(2)) unless a reg 13(3) exception
applies; annual review within 12 months (CFA 2014 s44). "There is no 21st week": a request still
open on day 140 is shown as overdue, while a plan issued on day 140 still counts as within 20 weeks
(days ≤ 140, as DfE counts it: research/sen2.md §3). Pure functions, no I/O; ``today`` is always
passed in so the clock is testable and reports are reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal, NamedTuple

from qaframework.framework import RequestOutcome, TimelinessException

__all__ = [
    "DECISION_LIMIT_DAYS",
    "DEFAULT_MILESTONES",
    "FINAL_PLAN_LIMIT_DAYS",
    "NO_ISSUE_DECISION_LIMIT_DAYS",
    "REVIEW_INTERVAL_MONTHS",
    "ClockStatus",
    "DecisionRates",
    "LocalMilestones",
    "Milestone",
    "RequestClock",
    "RequestFacts",
    "TwentyWeekRates",
    "annual_review_due",
    "clock",
    "decision_rates",
    "review_overdue",
    "statutory_week",
    "twenty_week_rates",
]

DECISION_LIMIT_DAYS = 42  # 6 weeks, reg 4(1) / 5(1)
NO_ISSUE_DECISION_LIMIT_DAYS = 112  # 16 weeks, reg 10(1)
FINAL_PLAN_LIMIT_DAYS = 140  # 20 weeks, reg 13(2)
ONE_YEAR_DAYS = 364  # DfE's "over 52 weeks" bucket starts after 52 × 7 days
REVIEW_INTERVAL_MONTHS = 12  # CFA 2014 s44(1)

ClockStatus = Literal[
    "issued_on_time", "issued_late", "issued_late_exception", "overdue", "at_risk", "on_track", "closed"
]
CLOSED_OUTCOMES = frozenset(
    {RequestOutcome.REFUSED_TO_ASSESS, RequestOutcome.REFUSED_TO_ISSUE, RequestOutcome.WITHDRAWN}
)


@dataclass(frozen=True)
class LocalMilestones:
    """An area's own internal deadlines (by the end of week N, i.e. request + 7N days)."""

    assessment_panel_week: int = 4
    decision_panel_week: int = 12
    at_risk_from_week: int = 16


DEFAULT_MILESTONES = LocalMilestones()


@dataclass(frozen=True)
class RequestFacts:
    """What is recorded about one request (mirrors SEN2).

    ``decision_to_assess_date`` is the date the decision *whether* to assess was notified, yes or
    no (SEN2 RequestOutcomeDate). ``closed_date`` (optional) is when a refused-to-issue or
    withdrawn request ended; for a refusal to assess the decision date serves.
    """

    request_date: date
    decision_to_assess_date: date | None
    final_issued_date: date | None
    outcome: RequestOutcome
    exception: TimelinessException | None
    closed_date: date | None = None

    def __post_init__(self) -> None:
        # Rows from the database or an import may carry plain strings; normalise to the enums.
        object.__setattr__(self, "outcome", RequestOutcome(self.outcome))
        if self.exception is not None:
            object.__setattr__(self, "exception", TimelinessException(self.exception))
        for name in ("decision_to_assess_date", "final_issued_date", "closed_date"):
            value = getattr(self, name)
            if value is not None and value < self.request_date:
                raise ValueError(f"{name} {value} is before the request date {self.request_date}")
        if (self.outcome is RequestOutcome.ISSUED) != (self.final_issued_date is not None):
            raise ValueError("a final issue date goes with outcome 'issued', and only with it")

    @property
    def end_date(self) -> date | None:
        """When the clock stopped: plan issued or request closed; None while open or if unknown."""
        if self.outcome is RequestOutcome.ISSUED:
            return self.final_issued_date
        if self.outcome is RequestOutcome.REFUSED_TO_ASSESS:
            return self.closed_date or self.decision_to_assess_date
        return self.closed_date if self.outcome in CLOSED_OUTCOMES else None


class Milestone(NamedTuple):
    """One deadline on the clock; ``met`` is None where the recorded facts cannot tell (yet)."""

    label: str
    due: date
    met: bool | None


@dataclass(frozen=True)
class RequestClock:
    """Where a request stands against the statutory and local deadlines."""

    #: Days from the request to today, or to the issue/closing date once the clock has stopped.
    day: int | None
    #: Statutory week number: week 1 is days 0–6; None for a closed request with no closing date.
    week: int | None
    decision_due: date
    final_due: date
    decision_days: int | None
    decision_on_time: bool | None
    issue_days: int | None
    issued_within_20_weeks: bool | None
    status: ClockStatus
    #: Days until the final plan is due (negative once overdue), only while the request is open.
    days_left: int | None
    milestones: list[Milestone] = field(default_factory=list)


def statutory_week(request_date: date, on: date) -> int:
    """Week number of ``on`` counted from the request: days 0–6 are week 1, day 140 is week 21."""
    days = (on - request_date).days
    if days < 0:
        raise ValueError(f"{on} is before the request date {request_date}")
    return days // 7 + 1


def _judge(done: date | None, due: date, still_open: bool, today: date, *, proxy: bool = False) -> bool | None:
    """Met by the due date? A proxy (a later step standing in for an unrecorded one) can only prove it."""
    if done is not None:
        if done <= due:
            return True
        return None if proxy else False
    if still_open and today > due and not proxy:
        return False
    return None


def _milestones(facts: RequestFacts, today: date, local: LocalMilestones) -> list[Milestone]:
    start = facts.request_date
    outcome = facts.outcome
    still_open = outcome is RequestOutcome.IN_PROGRESS
    decided_open = still_open and facts.decision_to_assess_date is None
    assessed = outcome is not RequestOutcome.REFUSED_TO_ASSESS
    panel_due = start + timedelta(weeks=local.assessment_panel_week)
    decision_due = start + timedelta(days=DECISION_LIMIT_DAYS)
    items = [
        Milestone(
            f"Assessment panel (local, week {local.assessment_panel_week})",
            panel_due,
            _judge(facts.decision_to_assess_date, panel_due, decided_open, today, proxy=True),
        ),
        Milestone(
            "Decision whether to assess (6 weeks)",
            decision_due,
            _judge(facts.decision_to_assess_date, decision_due, decided_open, today),
        ),
    ]
    if not assessed:
        return sorted(items, key=lambda m: m.due)
    refused = outcome is RequestOutcome.REFUSED_TO_ISSUE
    outcome_date = facts.final_issued_date or (facts.closed_date if refused else None)
    decision_panel_due = start + timedelta(weeks=local.decision_panel_week)
    items.append(
        Milestone(
            f"Decision panel (local, week {local.decision_panel_week})",
            decision_panel_due,
            _judge(outcome_date, decision_panel_due, still_open, today, proxy=True),
        )
    )
    if refused:
        no_issue_due = start + timedelta(days=NO_ISSUE_DECISION_LIMIT_DAYS)
        items.append(
            Milestone(
                "Decision not to issue (16 weeks)", no_issue_due, _judge(facts.closed_date, no_issue_due, False, today)
            )
        )
    else:
        final_due = start + timedelta(days=FINAL_PLAN_LIMIT_DAYS)
        items.append(
            Milestone(
                "Final plan issued (20 weeks)", final_due, _judge(facts.final_issued_date, final_due, still_open, today)
            )
        )
    return sorted(items, key=lambda m: m.due)


def clock(facts: RequestFacts, today: date, milestones: LocalMilestones = DEFAULT_MILESTONES) -> RequestClock:
    """The request's clock as it stands on ``today``."""
    start = facts.request_date
    open_ = facts.outcome is RequestOutcome.IN_PROGRESS
    if open_ and today < start:
        raise ValueError(f"today ({today}) is before the request date {start}")
    final_due = start + timedelta(days=FINAL_PLAN_LIMIT_DAYS)
    stop = today if open_ else facts.end_date
    week = None if stop is None else statutory_week(start, stop)

    decision_days = None if facts.decision_to_assess_date is None else (facts.decision_to_assess_date - start).days
    issue_days = None if facts.final_issued_date is None else (facts.final_issued_date - start).days
    within = None if issue_days is None else issue_days <= FINAL_PLAN_LIMIT_DAYS

    status: ClockStatus
    if within is not None:
        if within:
            status = "issued_on_time"
        else:
            status = "issued_late_exception" if facts.exception is not None else "issued_late"
    elif not open_:
        status = "closed"
    elif week is not None and week > FINAL_PLAN_LIMIT_DAYS // 7:
        status = "overdue"  # there is no 21st week
    elif week is not None and week >= milestones.at_risk_from_week:
        status = "at_risk"
    else:
        status = "on_track"

    return RequestClock(
        day=None if stop is None else (stop - start).days,
        week=week,
        decision_due=start + timedelta(days=DECISION_LIMIT_DAYS),
        final_due=final_due,
        decision_days=decision_days,
        decision_on_time=None if decision_days is None else decision_days <= DECISION_LIMIT_DAYS,
        issue_days=issue_days,
        issued_within_20_weeks=within,
        status=status,
        days_left=(final_due - today).days if open_ else None,
        milestones=_milestones(facts, today, milestones),
    )


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else float(Fraction(part, whole))


@dataclass(frozen=True)
class TwentyWeekRates:
    """DfE "plans issued within 20 weeks", including and excluding exceptions (``_ex``); rates 0..1."""

    total: int
    within: int
    rate: float | None
    over_20_to_52: int
    over_52: int
    mean_weeks: float | None
    total_ex: int
    within_ex: int
    rate_ex: float | None
    over_20_to_52_ex: int
    over_52_ex: int
    mean_weeks_ex: float | None


def _buckets(days: list[int]) -> tuple[int, int, int, float | None]:
    within = sum(d <= FINAL_PLAN_LIMIT_DAYS for d in days)
    over_year = sum(d > ONE_YEAR_DAYS for d in days)
    mean = None if not days else float(Fraction(sum(days), 7 * len(days)))
    return within, len(days) - within - over_year, over_year, mean


def twenty_week_rates(facts: Iterable[RequestFacts], period_start: date, period_end: date) -> TwentyWeekRates:
    """Plans issued in the period (both ends inclusive), as DfE counts them (research/sen2.md §3).

    Excluding exceptions drops plans with an exception from numerator and denominator alike.
    """
    all_days: list[int] = []
    ex_days: list[int] = []
    for f in facts:
        issued = f.final_issued_date
        if f.outcome is not RequestOutcome.ISSUED or issued is None or not period_start <= issued <= period_end:
            continue
        days = (issued - f.request_date).days
        all_days.append(days)
        if f.exception is None:
            ex_days.append(days)
    within, mid, over, mean = _buckets(all_days)
    within_ex, mid_ex, over_ex, mean_ex = _buckets(ex_days)
    return TwentyWeekRates(
        total=len(all_days),
        within=within,
        rate=_share(within, len(all_days)),
        over_20_to_52=mid,
        over_52=over,
        mean_weeks=mean,
        total_ex=len(ex_days),
        within_ex=within_ex,
        rate_ex=_share(within_ex, len(ex_days)),
        over_20_to_52_ex=mid_ex,
        over_52_ex=over_ex,
        mean_weeks_ex=mean_ex,
    )


@dataclass(frozen=True)
class DecisionRates:
    """Requests received in a period: refusals to assess and decisions within 6 weeks; rates 0..1."""

    received: int
    refused_to_assess: int
    refused_rate: float | None
    #: Requests received in the period with a decision whether to assess recorded.
    decided: int
    decided_within_6_weeks: int
    within_6_weeks_rate: float | None


def decision_rates(facts: Iterable[RequestFacts], period_start: date, period_end: date) -> DecisionRates:
    """SEN2-style request measures for requests received in the period (both ends inclusive).

    The 6-week rate is out of requests that have a decision, since an undecided one cannot be judged.
    """
    received = [f for f in facts if period_start <= f.request_date <= period_end]
    refused = sum(f.outcome is RequestOutcome.REFUSED_TO_ASSESS for f in received)
    decided = [f for f in received if f.decision_to_assess_date is not None]
    on_time = sum(
        (f.decision_to_assess_date - f.request_date).days <= DECISION_LIMIT_DAYS
        for f in decided
        if f.decision_to_assess_date is not None
    )
    return DecisionRates(
        received=len(received),
        refused_to_assess=refused,
        refused_rate=_share(refused, len(received)),
        decided=len(decided),
        decided_within_6_weeks=on_time,
        within_6_weeks_rate=_share(on_time, len(decided)),
    )


def _add_months(day: date, months: int) -> date:
    """Same day N months on; a day the month lacks (29 Feb) falls back to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(d, day.day))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def annual_review_due(plan_issued: date | None, last_review: date | None) -> date | None:
    """12 months after the later of plan issue and last concluded review; 29 Feb → 28 Feb.

    Falling back to 28 Feb (not 1 Mar) keeps the review within 12 months, as s44 requires.
    """
    known = [d for d in (plan_issued, last_review) if d is not None]
    return _add_months(max(known), REVIEW_INTERVAL_MONTHS) if known else None


def review_overdue(plan_issued: date | None, last_review: date | None, today: date) -> bool:
    """True once the day the review was due has passed without a later review recorded."""
    due = annual_review_due(plan_issued, last_review)
    return due is not None and today > due
