"""The statutory clock of a request for an EHC needs assessment (or re-assessment), and its rates.

SEND Regulations 2014: decision whether to assess within 6 weeks (reg 5(1)), decision not to issue
within 16 weeks (reg 10(1)), final plan within 20 weeks (reg 13(2)) unless a reg 13(3) exception
applies; for a re-assessment, the decision within 15 days (reg 25(1)) and the final plan within
14 weeks of that notification (reg 27(2)). Every clock starts on the later of the request and the
day the authority became responsible (s24; reg 5(1)(b), 13(2)). Day 140 is the last lawful day:
it is "due today", not overdue, and a plan issued on it is issued in week 20 (days ≤ 140, as DfE
counts it: docs/domain-notes.md §3). Pure functions; ``today`` is always passed in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal, NamedTuple, TypeVar

from qaframework.framework import RequestOutcome, TimelinessException
from qaframework.timeliness.calendar import days_overlapping, statutory_week

DECISION_LIMIT_DAYS = 42  # 6 weeks, reg 5(1)
NO_ISSUE_DECISION_LIMIT_DAYS = 112  # 16 weeks, reg 10(1)
FINAL_PLAN_LIMIT_DAYS = 140  # 20 weeks, reg 13(2)
REASSESSMENT_DECISION_LIMIT_DAYS = 15  # reg 25(1)
REASSESSMENT_FINAL_LIMIT_DAYS = 98  # 14 weeks from the notification, reg 27(2)
ONE_YEAR_DAYS = 364  # DfE's "over 52 weeks" bucket starts after 52 × 7 days

ClockStatus = Literal[
    "issued_on_time", "issued_late", "issued_late_exception", "overdue", "due_today", "at_risk", "on_track", "closed"
]
#: Statuses of a request whose final plan is still to come and that needs attention now.
ATTENTION_STATUSES = frozenset({"overdue", "due_today", "at_risk"})
CLOSED_OUTCOMES = frozenset(
    {RequestOutcome.REFUSED_TO_ASSESS, RequestOutcome.REFUSED_TO_ISSUE, RequestOutcome.WITHDRAWN}
)


class RequestKind(enum.StrEnum):
    """A first EHC needs assessment, or a re-assessment of a child who has a plan (regs 24–27)."""

    ASSESSMENT = "assessment"
    REASSESSMENT = "reassessment"

    @property
    def label(self) -> str:
        labels = {"assessment": "Request for an EHC needs assessment", "reassessment": "Request for a re-assessment"}
        return labels[self.value]


class RequestSource(enum.IntEnum):
    """Who asked for the assessment (SEN2 RequestSource, 2025 onwards)."""

    PARENT_OR_YOUNG_PERSON = 1
    SETTING = 2
    HEALTH = 3
    SOCIAL_CARE = 4
    OTHER = 5

    @property
    def label(self) -> str:
        return {
            1: "Young person or parent", 2: "School or other education setting", 3: "Health professional",
            4: "Social care professional", 5: "Other",
        }[self.value]


@dataclass(frozen=True)
class LocalMilestones:
    """An area's own internal deadlines (by the end of week N, i.e. start + 7N days).

    The decision panel by week 12 and a draft by week 14 leave the 15 days for the family's comments
    and 15 for consulting schools before day 140 (reg 13(1)); so a request is at risk from week 14.
    """

    assessment_panel_week: int = 4
    decision_panel_week: int = 12
    draft_week: int = 14
    at_risk_from_week: int = 14


DEFAULT_MILESTONES = LocalMilestones()


@dataclass(frozen=True)
class RequestFacts:
    """What is recorded about one request (mirrors SEN2 modules 2–4).

    ``decision_to_assess_date`` is the date the decision *whether* to assess was notified, yes or
    no (SEN2 RequestOutcomeDate); for a re-assessment, the notification of whether to re-assess.
    ``assessment_outcome_date`` is the decision whether to issue (SEN2 AssessmentOutcomeDate).
    ``closed_date`` (optional) is when a withdrawn request ended. The exception period and the day
    the family was told of it are what the Code asks to be recorded (CoP 9.42–9.43).
    """

    request_date: date
    decision_to_assess_date: date | None
    final_issued_date: date | None
    outcome: RequestOutcome
    exception: TimelinessException | None
    closed_date: date | None = None
    assessment_outcome_date: date | None = None
    draft_issued_date: date | None = None
    #: The day the authority became responsible for the child (CFA s24), where that is later.
    responsible_date: date | None = None
    source: RequestSource | None = None
    kind: RequestKind = RequestKind.ASSESSMENT
    exception_start: date | None = None
    exception_end: date | None = None
    family_told_date: date | None = None

    def __post_init__(self) -> None:
        # Rows from the database or an import may carry plain strings; normalise to the enums.
        object.__setattr__(self, "outcome", RequestOutcome(self.outcome))
        object.__setattr__(self, "kind", RequestKind(self.kind))
        if self.exception is not None:
            object.__setattr__(self, "exception", TimelinessException(self.exception))
        if self.source is not None:
            object.__setattr__(self, "source", RequestSource(self.source))
        for name in ("decision_to_assess_date", "final_issued_date", "closed_date", "assessment_outcome_date",
                     "draft_issued_date", "responsible_date"):
            value = getattr(self, name)
            if value is not None and value < self.request_date:
                raise ValueError(f"{name} {value} is before the request date {self.request_date}")
        if (self.outcome is RequestOutcome.ISSUED) != (self.final_issued_date is not None):
            raise ValueError("a final issue date goes with outcome 'issued', and only with it")
        if self.exception_start and self.exception_end and self.exception_end < self.exception_start:
            raise ValueError(f"the exception ends ({self.exception_end}) before it starts ({self.exception_start})")
        if (self.exception_start or self.exception_end or self.family_told_date) and self.exception is None:
            raise ValueError("an exception period or the date the family was told needs the exception recorded")

    @property
    def start(self) -> date:
        """Day 0 of the clock.

        An assessment starts on the later of the request and the day the authority became
        responsible. A re-assessment's 14 weeks run from the notification of the decision to
        re-assess (reg 27(2)); until it is made, from the last day it could lawfully be made.
        """
        if self.kind is RequestKind.REASSESSMENT:
            return self.decision_to_assess_date or self.request_date + timedelta(days=REASSESSMENT_DECISION_LIMIT_DAYS)
        if self.responsible_date is not None and self.responsible_date > self.request_date:
            return self.responsible_date
        return self.request_date

    @property
    def decision_start(self) -> date:
        """Day 0 for the decision whether to assess: the re-assessment decision runs from the request."""
        return self.request_date if self.kind is RequestKind.REASSESSMENT else self.start

    @property
    def final_limit_days(self) -> int:
        return REASSESSMENT_FINAL_LIMIT_DAYS if self.kind is RequestKind.REASSESSMENT else FINAL_PLAN_LIMIT_DAYS

    @property
    def decision_limit_days(self) -> int:
        return REASSESSMENT_DECISION_LIMIT_DAYS if self.kind is RequestKind.REASSESSMENT else DECISION_LIMIT_DAYS

    @property
    def no_issue_date(self) -> date | None:
        """The decision not to issue (SEN2 AssessmentOutcomeDate, else the day the request closed)."""
        if self.outcome is not RequestOutcome.REFUSED_TO_ISSUE:
            return None
        return self.assessment_outcome_date or self.closed_date

    @property
    def end_date(self) -> date | None:
        """When the clock stopped: plan issued or request closed; None while open or if unknown."""
        if self.outcome is RequestOutcome.ISSUED:
            return self.final_issued_date
        if self.outcome is RequestOutcome.REFUSED_TO_ASSESS:
            return self.closed_date or self.decision_to_assess_date
        if self.outcome is RequestOutcome.REFUSED_TO_ISSUE:
            return self.no_issue_date
        return self.closed_date if self.outcome in CLOSED_OUTCOMES else None


class Milestone(NamedTuple):
    """One deadline on a clock; ``met`` is None where the recorded facts cannot tell (yet).

    ``local`` marks the area's own milestones (panels, draft), as against the statutory ones.
    """

    label: str
    due: date
    met: bool | None
    local: bool = False


@dataclass(frozen=True)
class RequestClock:
    """Where a request stands against the statutory and local deadlines."""

    #: Day 0 of the clock (the later of request and responsibility; a re-assessment's notification).
    start: date
    #: Days from the start to today, or to the issue/closing date once the clock has stopped.
    day: int | None
    #: Statutory week: ceil(day / 7), so day 140 is week 20; None for a closed request with no date.
    week: int | None
    decision_due: date
    final_due: date
    decision_days: int | None
    decision_on_time: bool | None
    issue_days: int | None
    issued_within_limit: bool | None
    status: ClockStatus
    #: Days until the final plan is due (0 on the last lawful day, negative once overdue); open only.
    days_left: int | None
    #: Days past the final-plan limit (issued or still open), before and after the exception period.
    days_late: int | None = None
    days_late_net: int | None = None
    #: Days of the recorded exception period inside the clock; None if no period is recorded.
    exception_days: int | None = None
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def issued_within_20_weeks(self) -> bool | None:
        """Kept for the name SEN2 uses; for a re-assessment the limit is 14 weeks."""
        return self.issued_within_limit


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
    outcome = facts.outcome
    still_open = outcome is RequestOutcome.IN_PROGRESS
    undecided = still_open and facts.decision_to_assess_date is None
    decision_due = facts.decision_start + timedelta(days=facts.decision_limit_days)
    final_due = facts.start + timedelta(days=facts.final_limit_days)
    if facts.kind is RequestKind.REASSESSMENT:
        items = [Milestone("Decision whether to re-assess (15 days)", decision_due,
                           _judge(facts.decision_to_assess_date, decision_due, undecided, today))]
        if outcome is not RequestOutcome.REFUSED_TO_ASSESS:
            items.append(Milestone("Final plan issued (14 weeks)", final_due,
                                   _judge(facts.final_issued_date, final_due, still_open, today)))
        return sorted(items, key=lambda m: m.due)
    start = facts.start
    panel_due = start + timedelta(weeks=local.assessment_panel_week)
    items = [
        Milestone(f"Assessment panel (local, week {local.assessment_panel_week})", panel_due,
                  _judge(facts.decision_to_assess_date, panel_due, undecided, today, proxy=True), local=True),
        Milestone("Decision whether to assess (6 weeks)", decision_due,
                  _judge(facts.decision_to_assess_date, decision_due, undecided, today)),
    ]
    if outcome is RequestOutcome.REFUSED_TO_ASSESS:
        return sorted(items, key=lambda m: m.due)
    refused = outcome is RequestOutcome.REFUSED_TO_ISSUE
    outcome_date = facts.assessment_outcome_date or facts.no_issue_date
    undecided_to_issue = still_open and outcome_date is None
    decision_panel_due = start + timedelta(weeks=local.decision_panel_week)
    items.append(Milestone(f"Decision whether to issue (local panel, week {local.decision_panel_week})",
                           decision_panel_due, _judge(outcome_date, decision_panel_due, undecided_to_issue, today),
                           local=True))
    if refused:
        no_issue_due = start + timedelta(days=NO_ISSUE_DECISION_LIMIT_DAYS)
        items.append(Milestone("Decision not to issue (16 weeks)", no_issue_due,
                               _judge(facts.no_issue_date, no_issue_due, False, today)))
    else:
        draft_due = start + timedelta(weeks=local.draft_week)
        no_draft_yet = still_open and facts.draft_issued_date is None
        items.append(Milestone(f"Draft plan sent (local, week {local.draft_week})", draft_due,
                               _judge(facts.draft_issued_date, draft_due, no_draft_yet, today), local=True))
        items.append(Milestone("Final plan issued (20 weeks)", final_due,
                               _judge(facts.final_issued_date, final_due, still_open, today)))
    return sorted(items, key=lambda m: m.due)


def exception_days(facts: RequestFacts, until: date) -> int | None:
    """Days of the recorded exception period between the clock's start and ``until``; None if unknown."""
    if facts.exception is None or facts.exception_start is None:
        return None
    end = facts.exception_end or until
    return days_overlapping(facts.exception_start, end, facts.start, until)


def _late_net(facts: RequestFacts, days_late: int, until: date) -> int | None:
    """Days late after taking off the exception period; None if an exception has no period recorded."""
    if facts.exception is None:
        return days_late
    excused = exception_days(facts, until)
    return None if excused is None else max(0, days_late - excused)


def clock(facts: RequestFacts, today: date, milestones: LocalMilestones = DEFAULT_MILESTONES) -> RequestClock:
    """The request's clock as it stands on ``today``."""
    start = facts.start
    open_ = facts.outcome is RequestOutcome.IN_PROGRESS
    if open_ and today < facts.request_date:
        raise ValueError(f"today ({today}) is before the request date {facts.request_date}")
    limit = facts.final_limit_days
    final_due = start + timedelta(days=limit)
    stop = today if open_ else facts.end_date
    if stop is not None and stop < start:
        stop = start  # a re-assessment not yet notified: the 14 weeks have not begun
    week = None if stop is None else statutory_week(start, stop)

    decision_start = facts.decision_start
    decided = facts.decision_to_assess_date
    decision_days = None if decided is None else (decided - decision_start).days
    issue_days = None if facts.final_issued_date is None else (facts.final_issued_date - start).days
    within = None if issue_days is None else issue_days <= limit
    day = None if stop is None else (stop - start).days
    days_left = (final_due - today).days if open_ else None

    days_late: int | None = None
    days_late_net: int | None = None
    if issue_days is not None and facts.final_issued_date is not None:
        days_late = max(0, issue_days - limit)
        days_late_net = _late_net(facts, days_late, facts.final_issued_date)
    elif open_ and days_left is not None:
        days_late = max(0, -days_left)
        days_late_net = _late_net(facts, days_late, today)

    status: ClockStatus
    if within is not None:
        if within:
            status = "issued_on_time"
        else:
            status = "issued_late_exception" if facts.exception is not None else "issued_late"
    elif not open_:
        status = "closed"
    elif days_left is not None and days_left < 0:
        status = "overdue"  # there is no 21st week
    elif days_left == 0:
        status = "due_today"  # day 140 is the last lawful day
    elif week is not None and week >= milestones.at_risk_from_week - (20 - limit // 7):
        status = "at_risk"
    else:
        status = "on_track"

    return RequestClock(
        start=start,
        day=day,
        week=week,
        decision_due=decision_start + timedelta(days=facts.decision_limit_days),
        final_due=final_due,
        decision_days=decision_days,
        decision_on_time=None if decision_days is None else decision_days <= facts.decision_limit_days,
        issue_days=issue_days,
        issued_within_limit=within,
        status=status,
        days_left=days_left,
        days_late=days_late,
        days_late_net=days_late_net,
        exception_days=exception_days(facts, stop) if stop is not None else None,
        milestones=_milestones(facts, today, milestones),
    )


def issued_late(facts: RequestFacts) -> bool | None:
    """Was the final plan issued after the statutory limit, once any exception is allowed for?

    True: issued after day 140 (14 weeks for a re-assessment) and still late net of the recorded
    exception period; False: within the limit, or late only by the exception (an exception with no
    period recorded excuses the whole delay, as SEN2's Week20 flag does); None: no plan issued.
    """
    if facts.outcome is not RequestOutcome.ISSUED or facts.final_issued_date is None:
        return None
    days_late = max(0, (facts.final_issued_date - facts.start).days - facts.final_limit_days)
    if days_late == 0:
        return False
    net = _late_net(facts, days_late, facts.final_issued_date)
    return net is not None and net > 0


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else float(Fraction(part, whole))


@dataclass(frozen=True)
class TwentyWeekRates:
    """DfE "plans issued within 20 weeks", including and excluding exceptions (``_ex``); rates 0..1.

    ``days_late_net`` adds up the days late of the late plans net of their exception periods (a
    late plan whose exception has no period recorded is left out of it and counted in
    ``late_without_period``).
    """

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
    days_late: int = 0
    days_late_net: int = 0
    late_without_period: int = 0


def _buckets(days: list[int]) -> tuple[int, int, int, float | None]:
    within = sum(d <= FINAL_PLAN_LIMIT_DAYS for d in days)
    over_year = sum(d > ONE_YEAR_DAYS for d in days)
    mean = None if not days else float(Fraction(sum(days), 7 * len(days)))
    return within, len(days) - within - over_year, over_year, mean


def twenty_week_rates(facts: Iterable[RequestFacts], period_start: date, period_end: date) -> TwentyWeekRates:
    """Plans issued in the period (both ends inclusive), as DfE counts them (docs/domain-notes.md §3).

    Excluding exceptions drops plans with an exception from numerator and denominator alike.
    Re-assessments (14 weeks) are not part of the DfE 20-week measure.
    """
    all_days: list[int] = []
    ex_days: list[int] = []
    late = late_net = no_period = 0
    for f in facts:
        issued = f.final_issued_date
        if (f.kind is not RequestKind.ASSESSMENT or f.outcome is not RequestOutcome.ISSUED or issued is None
                or not period_start <= issued <= period_end):
            continue
        days = (issued - f.start).days
        all_days.append(days)
        if f.exception is None:
            ex_days.append(days)
        if days > FINAL_PLAN_LIMIT_DAYS:
            late += days - FINAL_PLAN_LIMIT_DAYS
            net = _late_net(f, days - FINAL_PLAN_LIMIT_DAYS, issued)
            if net is None:
                no_period += 1
            else:
                late_net += net
    within, mid, over, mean = _buckets(all_days)
    within_ex, mid_ex, over_ex, mean_ex = _buckets(ex_days)
    return TwentyWeekRates(
        total=len(all_days), within=within, rate=_share(within, len(all_days)), over_20_to_52=mid,
        over_52=over, mean_weeks=mean, total_ex=len(ex_days), within_ex=within_ex,
        rate_ex=_share(within_ex, len(ex_days)), over_20_to_52_ex=mid_ex, over_52_ex=over_ex,
        mean_weeks_ex=mean_ex, days_late=late, days_late_net=late_net, late_without_period=no_period,
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
    #: Requests still undecided, and open, more than 42 days after they started: misses already.
    undecided_past_6_weeks: int
    #: Out of decided requests plus the undecided ones already past day 42.
    within_6_weeks_rate: float | None
    #: Requests received in the period that ended in a decision not to issue a plan (SEN2
    #: AssessmentOutcome N), as a share of the requests received, like the refusals to assess.
    refused_to_issue: int = 0
    refused_to_issue_rate: float | None = None


def decision_rates(
    facts: Iterable[RequestFacts], period_start: date, period_end: date, today: date | None = None
) -> DecisionRates:
    """SEN2-style request measures for first requests received in the period (both ends inclusive).

    An open request with no decision more than 42 days after it started has already missed the
    6 weeks, so it counts in the denominator as late (as of ``today``, default the period's end);
    leaving it out would flatter the rate. An undecided request still inside 6 weeks is not judged.
    """
    as_of = today or period_end
    received = [f for f in facts if f.kind is RequestKind.ASSESSMENT and period_start <= f.request_date <= period_end]
    refused = sum(f.outcome is RequestOutcome.REFUSED_TO_ASSESS for f in received)
    not_issued = sum(f.outcome is RequestOutcome.REFUSED_TO_ISSUE for f in received)
    decided = [f for f in received if f.decision_to_assess_date is not None]
    on_time = sum(
        (f.decision_to_assess_date - f.start).days <= DECISION_LIMIT_DAYS
        for f in decided
        if f.decision_to_assess_date is not None
    )
    overdue = sum(
        f.decision_to_assess_date is None and f.outcome is RequestOutcome.IN_PROGRESS
        and (as_of - f.start).days > DECISION_LIMIT_DAYS
        for f in received
    )
    return DecisionRates(
        received=len(received),
        refused_to_assess=refused,
        refused_rate=_share(refused, len(received)),
        decided=len(decided),
        decided_within_6_weeks=on_time,
        undecided_past_6_weeks=overdue,
        within_6_weeks_rate=_share(on_time, len(decided) + overdue),
        refused_to_issue=not_issued,
        refused_to_issue_rate=_share(not_issued, len(received)),
    )


K = TypeVar("K")


def backlog_past_limit(items: Iterable[tuple[K, RequestFacts]], today: date) -> list[tuple[K, RequestClock]]:
    """Open requests already past their final-plan limit (20 weeks; 14 for a re-assessment), most late first."""
    found = []
    for key, facts in items:
        if facts.outcome is not RequestOutcome.IN_PROGRESS:
            continue
        result = clock(facts, today)
        if result.status == "overdue":
            found.append((key, result))
    return sorted(found, key=lambda pair: pair[1].days_left or 0)


def requests_at_risk(
    items: Iterable[tuple[K, RequestFacts]], today: date, milestones: LocalMilestones = DEFAULT_MILESTONES
) -> list[tuple[K, RequestClock]]:
    """Open requests at or past the at-risk week (overdue and due today included), fewest days left first."""
    found = []
    for key, facts in items:
        if facts.outcome is not RequestOutcome.IN_PROGRESS:
            continue
        result = clock(facts, today, milestones)
        if result.status in ATTENTION_STATUSES:
            found.append((key, result))
    return sorted(found, key=lambda pair: pair[1].days_left if pair[1].days_left is not None else 0)


@dataclass(frozen=True)
class ReassessmentRates:
    """Re-assessments whose 14 weeks ended in the period: plan issued in time, late, or still overdue."""

    due: int
    within_14_weeks: int
    late: int
    outstanding_late: int
    rate: float | None


def reassessment_rates(
    facts: Iterable[RequestFacts], period_start: date, period_end: date, today: date
) -> ReassessmentRates:
    """Re-assessment final plans due in the period (reg 27(2)); an open one past its date counts as late."""
    due = within = late = outstanding = 0
    for f in facts:
        counted = f.outcome in {RequestOutcome.ISSUED, RequestOutcome.IN_PROGRESS}
        if f.kind is not RequestKind.REASSESSMENT or not counted:
            continue
        deadline = f.start + timedelta(days=f.final_limit_days)
        if not period_start <= deadline <= period_end:
            continue
        due += 1
        if f.final_issued_date is not None:
            within, late = (within + 1, late) if f.final_issued_date <= deadline else (within, late + 1)
        elif today > deadline:
            outstanding += 1
    return ReassessmentRates(due, within, late, outstanding, _share(within, within + late + outstanding))
