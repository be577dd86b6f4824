"""The clocks after a plan is issued: annual review, amendment, phase transfer and transfer in.

- Annual review (CFA 2014 s44(1)): within the period of 12 months *starting with* the day the plan
  was made, then with the day of the last review. A review is concluded by the authority's
  decision (SEN2 LastReview; *R (L, M and P) v Devon CC* [2022] EWHC 493), so the next one runs
  from the decision date. Due = the day before the anniversary; a period starting on 29 February
  ends on 28 February (the anniversary of 29 February is 1 March in a common year).
- The review itself (regs 20–21): at least 2 weeks' notice of the meeting and papers circulated at
  least 2 weeks before it; the report within 2 weeks after it; the decision (maintain, amend,
  cease) within 4 weeks of it, with the proposed amendments; the amended plan within 8 weeks of
  the proposals being sent (reg 22(3)), so within 12 weeks of the meeting.
- Phase transfer (reg 18): reviewed and, where necessary, amended *before* 15 February of the
  calendar year of the transfer (before 31 March for secondary school → post-16 institution), or
  at least 5 months before a move between post-16 institutions.
- Transfer in from another authority (reg 15): the family told within 6 weeks of the transfer,
  and the plan reviewed by the later of its usual date and 3 months from the transfer.
Pure functions; ``today`` is always passed in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, TypeVar

from qaframework.timeliness.calendar import add_months, months_starting_with
from qaframework.timeliness.requests import Milestone

REVIEW_INTERVAL_MONTHS = 12  # CFA 2014 s44(1)
REVIEW_NOTICE_DAYS = 14  # regs 20(3)–(4), 21(3)–(4)
REVIEW_REPORT_DAYS = 14  # regs 20(7)–(8), 21(7)–(8)
REVIEW_DECISION_DAYS = 28  # reg 20(10), 21(9); Devon [2022]
AMENDED_PLAN_DAYS = 56  # reg 22(3)
TRANSFER_IN_NOTICE_DAYS = 42  # reg 15
TRANSFER_IN_REVIEW_MONTHS = 3  # reg 15
POST_16_MOVE_MONTHS = 5  # reg 18(2)
#: A review (or phase transfer) with no meeting held is at risk in its last 6 weeks.
AT_RISK_DAYS_LEFT = 42

ReviewStatus = Literal["overdue", "due_today", "at_risk", "on_track", "awaiting_decision", "decision_overdue"]
PhaseStatus = Literal["done_on_time", "done_late", "overdue", "due_today", "at_risk", "on_track"]
ATTENTION = frozenset({"overdue", "due_today", "at_risk", "decision_overdue"})


class ReviewOutcome(enum.StrEnum):
    """The authority's decision after a review (SEN2 ReviewOutcome)."""

    AMEND = "A"
    CEASE = "C"
    MAINTAIN = "M"

    @property
    def label(self) -> str:
        return {"A": "Amend the plan", "C": "Cease the plan", "M": "Maintain the plan"}[self.value]


class PhaseTransfer(enum.StrEnum):
    """The move a plan is being prepared for (reg 18): where the child goes next, not the year group."""

    EARLY_YEARS_TO_SCHOOL = "early_years_to_school"
    INFANT_TO_JUNIOR = "infant_to_junior"
    PRIMARY_TO_MIDDLE = "primary_to_middle"
    PRIMARY_TO_SECONDARY = "primary_to_secondary"
    MIDDLE_TO_SECONDARY = "middle_to_secondary"
    SECONDARY_TO_POST_16 = "secondary_to_post_16"
    POST_16_TO_POST_16 = "post_16_to_post_16"

    @property
    def label(self) -> str:
        return {
            "early_years_to_school": "Early years to school",
            "infant_to_junior": "Infant to junior school",
            "primary_to_middle": "Primary to middle school",
            "primary_to_secondary": "Primary to secondary school",
            "middle_to_secondary": "Middle to secondary school",
            "secondary_to_post_16": "Secondary school to a post-16 institution",
            "post_16_to_post_16": "One post-16 institution to another",
        }[self.value]


def annual_review_due(plan_issued: date | None, last_review: date | None) -> date | None:
    """The last day for the next review: 12 months starting with the later of issue and last decision.

    That is the day before the anniversary (CFA s44(1) "starting with"); for 29 February, 28 February.
    """
    known = [d for d in (plan_issued, last_review) if d is not None]
    return months_starting_with(max(known), REVIEW_INTERVAL_MONTHS) if known else None


def review_lapsed(plan_issued: date | None, last_review_decision: date | None, on: date) -> bool:
    """True once ``on`` is after the review due date with no later review decision recorded."""
    due = annual_review_due(plan_issued, last_review_decision)
    return due is not None and on > due


@dataclass(frozen=True)
class ReviewFacts:
    """One annual review as recorded (SEN2 ReviewMeeting, ReviewOutcome, ReviewDraft, LastReview)."""

    meeting_date: date | None
    notice_date: date | None = None
    papers_date: date | None = None
    report_date: date | None = None
    decision_date: date | None = None
    outcome: ReviewOutcome | None = None
    #: The draft amended plan with the proposed amendments (SEN2 ReviewDraft).
    amendments_sent_date: date | None = None
    amended_plan_date: date | None = None

    def __post_init__(self) -> None:
        if self.outcome is not None:
            object.__setattr__(self, "outcome", ReviewOutcome(self.outcome))
        meeting = self.meeting_date
        if meeting is not None:
            for name in ("report_date", "decision_date"):
                value = getattr(self, name)
                if value is not None and value < meeting:
                    raise ValueError(f"{name} {value} is before the review meeting {meeting}")
        if self.amended_plan_date and self.amendments_sent_date and self.amended_plan_date < self.amendments_sent_date:
            raise ValueError("the amended plan is dated before the proposed amendments were sent")

    @property
    def concluded_on(self) -> date | None:
        """The decision date; the review is not concluded without one."""
        return self.decision_date


def review_milestones(review: ReviewFacts, today: date) -> list[Milestone]:
    """The steps of one review against the meeting date, each met, missed or unknown."""
    meeting = review.meeting_date
    if meeting is None:
        return []
    held = meeting <= today

    def judge(done: date | None, due: date, *, before: bool = False) -> bool | None:
        if done is not None:
            return done <= due
        if before:
            return False if held else None  # no record of notice once the meeting has happened
        return False if today > due else None

    items = [
        Milestone("Meeting notice (2 weeks before)", meeting - timedelta(days=REVIEW_NOTICE_DAYS),
                  judge(review.notice_date, meeting - timedelta(days=REVIEW_NOTICE_DAYS), before=True)),
        Milestone("Advice and papers circulated (2 weeks before)", meeting - timedelta(days=REVIEW_NOTICE_DAYS),
                  judge(review.papers_date, meeting - timedelta(days=REVIEW_NOTICE_DAYS), before=True)),
        Milestone("Review report (2 weeks after)", meeting + timedelta(days=REVIEW_REPORT_DAYS),
                  judge(review.report_date, meeting + timedelta(days=REVIEW_REPORT_DAYS))),
        Milestone("Decision (4 weeks after)", meeting + timedelta(days=REVIEW_DECISION_DAYS),
                  judge(review.decision_date, meeting + timedelta(days=REVIEW_DECISION_DAYS))),
    ]
    if review.outcome is ReviewOutcome.AMEND:
        proposals_due = meeting + timedelta(days=REVIEW_DECISION_DAYS)
        items.append(Milestone("Proposed amendments sent with the decision (4 weeks after)", proposals_due,
                               judge(review.amendments_sent_date, proposals_due)))
        sent = review.amendments_sent_date or proposals_due
        plan_due = sent + timedelta(days=AMENDED_PLAN_DAYS)
        items.append(Milestone("Amended plan issued (8 weeks after the proposals)", plan_due,
                               judge(review.amended_plan_date, plan_due)))
    return items


@dataclass(frozen=True)
class AnnualReviewClock:
    """When the next review is due, on what basis, and how the latest one went."""

    due: date
    #: What the due date runs from: "plan issued", "last review decision" or "transfer in".
    basis: str
    status: ReviewStatus
    days_left: int
    latest: ReviewFacts | None
    milestones: list[Milestone] = field(default_factory=list)


def annual_review_clock(
    plan_issued: date | None,
    reviews: Sequence[ReviewFacts],
    today: date,
    transferred_in: date | None = None,
) -> AnnualReviewClock | None:
    """The review clock of a plan; None when no plan issue date or review decision is known."""
    decisions = [r.decision_date for r in reviews if r.decision_date is not None]
    last_decision = max(decisions) if decisions else None
    due = annual_review_due(plan_issued, last_decision)
    if due is None:
        return None
    from_decision = last_decision is not None and (plan_issued is None or last_decision >= plan_issued)
    basis = "last review decision" if from_decision else "plan issued"
    if transferred_in is not None:
        transfer_due = months_starting_with(transferred_in, TRANSFER_IN_REVIEW_MONTHS)
        if transfer_due > due and (last_decision is None or last_decision < transferred_in):
            due, basis = transfer_due, "transfer in"
    dated = [r for r in reviews if r.meeting_date is not None]
    latest = max(dated, key=lambda r: r.meeting_date or date.min) if dated else None
    last_concluded = last_decision or plan_issued or date.min
    pending = latest is not None and latest.decision_date is None and latest.meeting_date is not None \
        and latest.meeting_date > last_concluded and latest.meeting_date <= today
    days_left = (due - today).days
    status: ReviewStatus
    if pending and latest is not None and latest.meeting_date is not None:
        decision_due = latest.meeting_date + timedelta(days=REVIEW_DECISION_DAYS)
        status = "decision_overdue" if today > decision_due else "awaiting_decision"
    elif days_left < 0:
        status = "overdue"
    elif days_left == 0:
        status = "due_today"
    elif days_left <= AT_RISK_DAYS_LEFT and not (
            latest and latest.meeting_date and latest.meeting_date > last_concluded
    ):
        status = "at_risk"
    else:
        status = "on_track"
    return AnnualReviewClock(due, basis, status, days_left, latest, review_milestones(latest, today) if latest else [])


def phase_transfer_due(kind: PhaseTransfer, transfer_date: date) -> date:
    """The last day the plan can be reviewed and amended for the move (reg 18)."""
    kind = PhaseTransfer(kind)
    if kind is PhaseTransfer.POST_16_TO_POST_16:
        return add_months(transfer_date, -POST_16_MOVE_MONTHS)  # "at least five months before"
    if kind is PhaseTransfer.SECONDARY_TO_POST_16:
        return date(transfer_date.year, 3, 30)  # "before 31 March in the calendar year of the transfer"
    return date(transfer_date.year, 2, 14)  # "before 15 February in the calendar year of the transfer"


@dataclass(frozen=True)
class PhaseTransferClock:
    kind: PhaseTransfer
    transfer_date: date
    due: date
    #: The day the plan was reviewed and amended for the move (SEN2 PhaseTransferFinalDate).
    completed: date | None
    status: PhaseStatus
    days_left: int | None


def phase_transfer_clock(
    kind: PhaseTransfer, transfer_date: date, completed: date | None, today: date
) -> PhaseTransferClock:
    """Where the review and amendment for the next move stands on ``today``."""
    kind = PhaseTransfer(kind)
    due = phase_transfer_due(kind, transfer_date)
    status: PhaseStatus
    if completed is not None:
        return PhaseTransferClock(kind, transfer_date, due, completed,
                                  "done_on_time" if completed <= due else "done_late", None)
    left = (due - today).days
    if left < 0:
        status = "overdue"
    elif left == 0:
        status = "due_today"
    elif left <= AT_RISK_DAYS_LEFT:
        status = "at_risk"
    else:
        status = "on_track"
    return PhaseTransferClock(kind, transfer_date, due, None, status, left)


@dataclass(frozen=True)
class TransferInClock:
    """A plan transferred in from another authority (reg 15)."""

    transfer_date: date
    family_told_due: date
    family_told: date | None
    family_told_on_time: bool | None
    review_due: date
    milestones: list[Milestone] = field(default_factory=list)


def transfer_in_clock(
    transfer_date: date, family_told: date | None, plan_issued: date | None, last_review_decision: date | None,
    today: date,
) -> TransferInClock:
    """The new authority's duties: tell the family within 6 weeks; review by the later of the two dates."""
    told_due = transfer_date + timedelta(days=TRANSFER_IN_NOTICE_DAYS)
    review_due = months_starting_with(transfer_date, TRANSFER_IN_REVIEW_MONTHS)
    usual = annual_review_due(plan_issued, last_review_decision)
    if usual is not None and usual > review_due:
        review_due = usual
    told_met = None if family_told is None else family_told <= told_due
    if family_told is None and today > told_due:
        told_met = False
    reviewed = last_review_decision is not None and last_review_decision >= transfer_date
    review_met: bool | None = (last_review_decision <= review_due) if reviewed and last_review_decision else (
        False if today > review_due else None)
    return TransferInClock(transfer_date, told_due, family_told, told_met, review_due, [
        Milestone("Family told the plan has transferred (6 weeks)", told_due, told_met),
        Milestone("Review by the later of 3 months from the transfer and the usual date", review_due, review_met),
    ])


K = TypeVar("K")


def reviews_at_risk(items: Iterable[tuple[K, AnnualReviewClock]]) -> list[tuple[K, AnnualReviewClock]]:
    """Reviews overdue, due today, in their last 6 weeks with no meeting, or decided late, soonest first."""
    found = [(key, c) for key, c in items if c.status in ATTENTION]
    return sorted(found, key=lambda pair: pair[1].days_left)


def phase_transfers_at_risk(items: Iterable[tuple[K, PhaseTransferClock]]) -> list[tuple[K, PhaseTransferClock]]:
    """Phase transfers not yet reviewed and amended, in their last 6 weeks or past the date."""
    found = [(key, c) for key, c in items if c.status in ATTENTION]
    return sorted(found, key=lambda pair: pair[1].days_left if pair[1].days_left is not None else 0)


@dataclass(frozen=True)
class DeadlineRate:
    """Deadlines that fell in a period: met, missed, and still outstanding past the deadline; rate 0..1.

    ``rate`` is met out of (met + missed + outstanding late): an overdue step already counts as a
    miss, so leaving it out cannot flatter the rate. Deadlines still in the future are not judged.
    """

    label: str
    due: int
    met: int
    missed: int
    outstanding_late: int

    @property
    def rate(self) -> float | None:
        judged = self.met + self.missed + self.outstanding_late
        return None if judged == 0 else self.met / judged


def _rate(label: str, items: Iterable[tuple[date, date | None]], period_start: date, period_end: date,
          today: date) -> DeadlineRate:
    """Each item is (deadline, day done or None), counted when the deadline falls in the period."""
    due = met = missed = late = 0
    for deadline, done in items:
        if not period_start <= deadline <= period_end:
            continue
        due += 1
        if done is not None:
            met, missed = (met + 1, missed) if done <= deadline else (met, missed + 1)
        elif today > deadline:
            late += 1
    return DeadlineRate(label, due, met, missed, late)


def review_deadlines(plan_issued: date, decisions: Iterable[date], today: date) -> list[tuple[date, date | None]]:
    """Each annual review deadline since the plan, with the decision that met it (or None).

    The first is 12 months starting with the plan; each decision starts the next 12 months.
    """
    deadlines: list[tuple[date, date | None]] = []
    basis = plan_issued
    for decided in sorted(d for d in decisions if d >= plan_issued):
        deadlines.append((months_starting_with(basis, REVIEW_INTERVAL_MONTHS), decided))
        basis = decided
    nxt = months_starting_with(basis, REVIEW_INTERVAL_MONTHS)
    deadlines.append((nxt, None))
    return deadlines


def review_rates(
    plans: Iterable[tuple[date, Sequence[ReviewFacts]]], period_start: date, period_end: date, today: date
) -> list[DeadlineRate]:
    """Annual reviews concluded within 12 months, and the steps of reviews held, for deadlines in the period.

    ``plans`` is (plan issue date, its reviews) per plan. Returns, in order: reviews concluded in
    time (s44), decisions within 4 weeks of the meeting, amended plans within 8 weeks of the proposals.
    """
    concluded: list[tuple[date, date | None]] = []
    decisions: list[tuple[date, date | None]] = []
    amended: list[tuple[date, date | None]] = []
    for issued, reviews in plans:
        concluded += review_deadlines(issued, [r.decision_date for r in reviews if r.decision_date], today)
        for r in reviews:
            if r.meeting_date is not None:
                decisions.append((r.meeting_date + timedelta(days=REVIEW_DECISION_DAYS), r.decision_date))
            if r.outcome is ReviewOutcome.AMEND and r.amendments_sent_date is not None:
                amended.append((r.amendments_sent_date + timedelta(days=AMENDED_PLAN_DAYS), r.amended_plan_date))
    return [
        _rate("Annual reviews concluded within 12 months", concluded, period_start, period_end, today),
        _rate("Decisions within 4 weeks of the meeting", decisions, period_start, period_end, today),
        _rate("Amended plans within 8 weeks of the proposals", amended, period_start, period_end, today),
    ]


def phase_transfer_rate(
    clocks: Iterable[PhaseTransferClock], period_start: date, period_end: date, today: date
) -> DeadlineRate:
    """Plans reviewed and amended in time for the move, for reg 18 deadlines in the period."""
    return _rate("Phase transfers reviewed and amended in time", ((c.due, c.completed) for c in clocks),
                 period_start, period_end, today)


def transfer_in_rate(
    clocks: Iterable[TransferInClock], period_start: date, period_end: date, today: date
) -> DeadlineRate:
    """Families told within 6 weeks that the plan transferred in, for deadlines in the period."""
    return _rate("Families told of a transfer in within 6 weeks", ((c.family_told_due, c.family_told) for c in clocks),
                 period_start, period_end, today)
