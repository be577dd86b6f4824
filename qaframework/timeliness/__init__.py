"""The statutory clocks of the EHC process, pure and testable (``today`` is always passed in).

- ``requests``: a request for assessment or re-assessment, from the request (or the day the
  authority became responsible) to the final plan, with the DfE-style rates and at-risk list;
- ``advice``: each body's 6 weeks to give its advice (reg 8);
- ``reviews``: annual reviews and amendments, phase transfers and transfers in;
- ``calendar``: the shared arithmetic (day 140 is week 20; 12 months starting with a day).
"""

from qaframework.timeliness.advice import (
    ADVICE_LIMIT_DAYS,
    AdviceClock,
    AdviceException,
    AdviceFacts,
    AdviceRates,
    advice_at_risk,
    advice_clock,
    advice_rates,
)
from qaframework.timeliness.calendar import add_months, months_starting_with, statutory_week
from qaframework.timeliness.requests import (
    DECISION_LIMIT_DAYS,
    DEFAULT_MILESTONES,
    FINAL_PLAN_LIMIT_DAYS,
    NO_ISSUE_DECISION_LIMIT_DAYS,
    REASSESSMENT_DECISION_LIMIT_DAYS,
    REASSESSMENT_FINAL_LIMIT_DAYS,
    ClockStatus,
    DecisionRates,
    LocalMilestones,
    Milestone,
    RequestClock,
    RequestFacts,
    RequestKind,
    RequestSource,
    TwentyWeekRates,
    backlog_past_limit,
    clock,
    decision_rates,
    exception_days,
    issued_late,
    requests_at_risk,
    twenty_week_rates,
)
from qaframework.timeliness.reviews import (
    AMENDED_PLAN_DAYS,
    REVIEW_DECISION_DAYS,
    REVIEW_INTERVAL_MONTHS,
    AnnualReviewClock,
    PhaseTransfer,
    PhaseTransferClock,
    ReviewFacts,
    ReviewOutcome,
    TransferInClock,
    annual_review_clock,
    annual_review_due,
    phase_transfer_clock,
    phase_transfer_due,
    phase_transfers_at_risk,
    review_lapsed,
    review_milestones,
    reviews_at_risk,
    transfer_in_clock,
)

__all__ = [
    "ADVICE_LIMIT_DAYS", "AMENDED_PLAN_DAYS", "DECISION_LIMIT_DAYS", "DEFAULT_MILESTONES", "FINAL_PLAN_LIMIT_DAYS",
    "NO_ISSUE_DECISION_LIMIT_DAYS", "REASSESSMENT_DECISION_LIMIT_DAYS", "REASSESSMENT_FINAL_LIMIT_DAYS",
    "REVIEW_DECISION_DAYS", "REVIEW_INTERVAL_MONTHS", "AdviceClock", "AdviceException", "AdviceFacts",
    "AdviceRates", "AnnualReviewClock", "ClockStatus", "DecisionRates", "LocalMilestones", "Milestone",
    "PhaseTransfer", "PhaseTransferClock", "RequestClock", "RequestFacts", "RequestKind", "RequestSource",
    "ReviewFacts", "ReviewOutcome", "TransferInClock", "TwentyWeekRates", "add_months", "advice_at_risk",
    "advice_clock", "advice_rates", "annual_review_clock", "annual_review_due", "backlog_past_limit", "clock",
    "decision_rates", "exception_days", "issued_late", "months_starting_with", "phase_transfer_clock",
    "phase_transfer_due", "phase_transfers_at_risk", "requests_at_risk", "review_lapsed", "review_milestones",
    "reviews_at_risk", "statutory_week", "transfer_in_clock", "twenty_week_rates",
]
