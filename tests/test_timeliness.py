"""The statutory clock on exact dates, and the DfE-style rates on the SEN2 worked example."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaframework.framework import RequestOutcome, TimelinessException
from qaframework.timeliness import (
    DECISION_LIMIT_DAYS,
    DEFAULT_MILESTONES,
    FINAL_PLAN_LIMIT_DAYS,
    NO_ISSUE_DECISION_LIMIT_DAYS,
    AdviceException,
    AdviceFacts,
    LocalMilestones,
    Milestone,
    PhaseTransfer,
    RequestFacts,
    RequestKind,
    RequestSource,
    ReviewFacts,
    ReviewOutcome,
    add_months,
    advice_at_risk,
    advice_clock,
    advice_rates,
    annual_review_clock,
    annual_review_due,
    backlog_past_limit,
    clock,
    decision_rates,
    issued_late,
    months_starting_with,
    phase_transfer_clock,
    phase_transfer_due,
    phase_transfer_rate,
    phase_transfers_at_risk,
    reassessment_rates,
    review_deadlines,
    review_lapsed,
    review_milestones,
    review_rates,
    statutory_week,
    transfer_in_clock,
    transfer_in_rate,
    twenty_week_rates,
)

ISSUED, IN_PROGRESS = RequestOutcome.ISSUED, RequestOutcome.IN_PROGRESS
START = date(2024, 1, 1)  # a Monday


def day(n: int) -> date:
    return START + timedelta(days=n)


def open_request(decision: date | None = None, **kw: Any) -> RequestFacts:
    return RequestFacts(START, decision, None, IN_PROGRESS, None, **kw)


def issued_on(n: int, exception: TimelinessException | None = None) -> RequestFacts:
    return RequestFacts(START, day(30), day(n), ISSUED, exception)


# Three synthetic SEN2-shaped persons (every value invented).
ALPHA = RequestFacts(date(2024, 2, 5), date(2024, 3, 11), date(2024, 6, 17), ISSUED, None)
BRAVO = RequestFacts(date(2024, 3, 4), date(2024, 4, 12), date(2024, 9, 16), ISSUED, TimelinessException.UNSPECIFIED)
CHARLIE = RequestFacts(date(2024, 9, 9), date(2024, 10, 14), None, RequestOutcome.REFUSED_TO_ASSESS, None)
YEAR_2024 = (date(2024, 1, 1), date(2024, 12, 31))


def test_limits() -> None:
    assert (DECISION_LIMIT_DAYS, NO_ISSUE_DECISION_LIMIT_DAYS, FINAL_PLAN_LIMIT_DAYS) == (42, 112, 140)


class TestSen2Example:
    def test_clocks(self) -> None:
        alpha = clock(ALPHA, today=date(2025, 1, 16))
        assert (alpha.issue_days, alpha.issued_within_20_weeks, alpha.status) == (133, True, "issued_on_time")
        assert alpha.week == 19 and alpha.decision_days == 35 and alpha.decision_on_time is True
        bravo = clock(BRAVO, today=date(2025, 1, 16))
        assert (bravo.issue_days, bravo.issued_within_20_weeks, bravo.status) == (196, False, "issued_late_exception")
        assert bravo.week == 28
        charlie = clock(CHARLIE, today=date(2025, 1, 16))
        assert (charlie.status, charlie.week, charlie.day, charlie.decision_days) == ("closed", 5, 35, 35)

    def test_twenty_week_rates(self) -> None:
        rates = twenty_week_rates([ALPHA, BRAVO, CHARLIE], *YEAR_2024)
        assert (rates.total, rates.within, rates.rate) == (2, 1, 0.5)
        assert (rates.total_ex, rates.within_ex, rates.rate_ex) == (1, 1, 1.0)
        assert (rates.over_20_to_52, rates.over_52) == (1, 0)
        assert rates.mean_weeks == (133 + 196) / 14  # 23.5 weeks
        assert rates.mean_weeks_ex == 19.0
        assert (rates.over_20_to_52_ex, rates.over_52_ex) == (0, 0)

    def test_decision_rates(self) -> None:
        rates = decision_rates([ALPHA, BRAVO, CHARLIE], *YEAR_2024)
        assert (rates.received, rates.refused_to_assess, rates.refused_rate) == (3, 1, 1 / 3)
        assert (rates.decided, rates.decided_within_6_weeks, rates.within_6_weeks_rate) == (3, 3, 1.0)


class TestTwentyWeekBoundary:
    def test_day_140_is_within_and_141_is_late(self) -> None:
        assert day(140) == date(2024, 5, 20)
        assert clock(issued_on(140), today=date(2025, 1, 1)).status == "issued_on_time"
        late = clock(issued_on(141), today=date(2025, 1, 1))
        assert (late.status, late.issued_within_20_weeks, late.issue_days) == ("issued_late", False, 141)
        exc = clock(issued_on(141, TimelinessException.SCHOOL_CLOSURE), today=date(2025, 1, 1))
        assert exc.status == "issued_late_exception"

    def test_an_exception_does_not_change_an_on_time_plan(self) -> None:
        assert clock(issued_on(100, TimelinessException.ABSENT_FROM_AREA), today=day(200)).status == "issued_on_time"

    def test_buckets(self) -> None:
        plans = [issued_on(d) for d in (140, 141, 364, 365)]
        rates = twenty_week_rates(plans, START, date(2026, 1, 1))
        assert (rates.within, rates.over_20_to_52, rates.over_52) == (1, 2, 1)

    def test_period_is_by_issue_date_inclusive(self) -> None:
        plans = [issued_on(100), issued_on(101), issued_on(102)]
        rates = twenty_week_rates(plans, day(100), day(101))
        assert rates.total == 2

    def test_empty_period(self) -> None:
        rates = twenty_week_rates([], *YEAR_2024)
        assert rates.total == 0 and rates.rate is None and rates.rate_ex is None and rates.mean_weeks is None
        assert decision_rates([], *YEAR_2024).refused_rate is None

    def test_exceptions_only_period_has_no_excluding_rate(self) -> None:
        rates = twenty_week_rates([issued_on(200, TimelinessException.UNSPECIFIED)], *YEAR_2024)
        assert (rates.total, rates.rate, rates.total_ex, rates.rate_ex) == (1, 0.0, 0, None)


class TestWeeks:
    @pytest.mark.parametrize(
        ("n", "week", "status"),
        [
            (0, 1, "on_track"),
            (6, 1, "on_track"),
            (7, 1, "on_track"),
            (8, 2, "on_track"),
            (91, 13, "on_track"),
            (92, 14, "at_risk"),  # at risk from week 14 by default
            (139, 20, "at_risk"),
            (140, 20, "due_today"),  # the last lawful day
            (141, 21, "overdue"),  # there is no 21st week
            (300, 43, "overdue"),
        ],
    )
    def test_open_request(self, n: int, week: int, status: str) -> None:
        result = clock(open_request(decision=day(30)), today=day(n)) if n >= 30 else clock(open_request(), today=day(n))
        assert (result.week, result.status, result.day) == (week, status, n)
        assert result.days_left == 140 - n

    def test_local_at_risk_threshold(self) -> None:
        assert clock(open_request(), day(106), LocalMilestones(at_risk_from_week=16)).status == "at_risk"
        assert clock(open_request(), day(105), LocalMilestones(at_risk_from_week=16)).status == "on_track"

    def test_statutory_week(self) -> None:
        assert [statutory_week(START, day(n)) for n in (0, 1, 7, 8, 139, 140, 141)] == [1, 1, 1, 2, 20, 20, 21]
        with pytest.raises(ValueError, match="before the start of the clock"):
            statutory_week(START, day(-1))

    def test_clock_stops_at_issue(self) -> None:
        result = clock(issued_on(120), today=day(400))
        assert (result.week, result.day, result.days_left) == (18, 120, None)  # ceil(120 / 7)

    def test_today_before_request_is_refused(self) -> None:
        with pytest.raises(ValueError, match="before the request date"):
            clock(open_request(), today=day(-1))


class TestDecision:
    def test_due_dates(self) -> None:
        result = clock(open_request(), today=day(3))
        assert (result.decision_due, result.final_due) == (day(42), day(140))
        assert result.decision_days is None and result.decision_on_time is None

    @pytest.mark.parametrize(("n", "on_time"), [(42, True), (43, False)])
    def test_six_week_boundary(self, n: int, on_time: bool) -> None:
        result = clock(open_request(decision=day(n)), today=day(60))
        assert (result.decision_days, result.decision_on_time) == (n, on_time)


class TestMilestones:
    def test_open_request_without_decision_after_six_weeks(self) -> None:
        result = clock(open_request(), today=day(50))
        assert result.milestones == [
            Milestone("Assessment panel (local, week 4)", day(28), None, local=True),
            Milestone("Decision whether to assess (6 weeks)", day(42), False),
            Milestone("Decision whether to issue (local panel, week 12)", day(84), None, local=True),
            Milestone("Draft plan sent (local, week 14)", day(98), None, local=True),
            Milestone("Final plan issued (20 weeks)", day(140), None),
        ]

    def test_issued_on_time(self) -> None:
        facts = RequestFacts(START, day(20), day(80), ISSUED, None, assessment_outcome_date=day(60),
                             draft_issued_date=day(62))
        assert [m.met for m in clock(facts, today=day(200)).milestones] == [True, True, True, True, True]

    def test_issued_late_after_a_late_decision(self) -> None:
        facts = RequestFacts(START, day(45), day(150), ISSUED, None)
        # A late decision cannot show whether the week-4 panel met; week-12 panel and draft not recorded.
        assert [m.met for m in clock(facts, today=day(200)).milestones] == [None, False, None, None, False]

    def test_refused_to_issue_uses_sixteen_weeks(self) -> None:
        facts = RequestFacts(START, day(40), None, RequestOutcome.REFUSED_TO_ISSUE, None, closed_date=day(110))
        result = clock(facts, today=day(200))
        assert result.status == "closed" and result.week == 16  # day 110
        assert result.milestones[-1] == Milestone("Decision not to issue (16 weeks)", day(112), True)

    def test_refused_to_assess_has_only_decision_milestones(self) -> None:
        labels = [m.label for m in clock(CHARLIE, today=date(2025, 1, 1)).milestones]
        assert labels == ["Assessment panel (local, week 4)", "Decision whether to assess (6 weeks)"]

    def test_withdrawn_without_a_date(self) -> None:
        facts = RequestFacts(START, None, None, RequestOutcome.WITHDRAWN, None)
        result = clock(facts, today=day(300))
        assert (result.status, result.week, result.day) == ("closed", None, None)
        assert all(m.met is None for m in result.milestones)

    def test_local_weeks_are_configurable_and_sorted(self) -> None:
        result = clock(open_request(), today=day(1), milestones=LocalMilestones(assessment_panel_week=7))
        assert [m.due for m in result.milestones] == sorted(m.due for m in result.milestones)
        assert result.milestones[1].label == "Assessment panel (local, week 7)"


class TestFactsValidation:
    def test_dates_before_request(self) -> None:
        with pytest.raises(ValueError, match="decision_to_assess_date"):
            RequestFacts(START, day(-1), None, IN_PROGRESS, None)

    def test_issue_date_needs_issued_outcome(self) -> None:
        with pytest.raises(ValueError, match="final issue date"):
            RequestFacts(START, day(10), day(100), IN_PROGRESS, None)
        with pytest.raises(ValueError, match="final issue date"):
            RequestFacts(START, day(10), None, ISSUED, None)

    def test_strings_are_normalised(self) -> None:
        # Strings are outside the declared types on purpose: this tests their run-time normalisation.
        # Strings are outside the declared types on purpose: this tests their run-time normalisation.
        facts = RequestFacts(START, day(10), day(100), "issued", "school_closure")  # type: ignore[arg-type]
        assert facts.outcome is ISSUED and facts.exception is TimelinessException.SCHOOL_CLOSURE


class TestAnnualReview:
    def test_twelve_months_after_the_later_date(self) -> None:
        assert annual_review_due(date(2023, 3, 10), None) == date(2024, 3, 9)
        assert annual_review_due(date(2022, 3, 10), date(2023, 5, 2)) == date(2024, 5, 1)
        assert annual_review_due(None, date(2023, 12, 31)) == date(2024, 12, 30)
        assert annual_review_due(None, None) is None

    def test_leap_day(self) -> None:
        # 12 months starting with 29 February end on 28 February (its anniversary is taken as 1 March),
        # the same day as for 1 March; a plan of 28 February is due on the 27th.
        assert annual_review_due(date(2024, 2, 29), None) == date(2025, 2, 28)
        assert annual_review_due(date(2024, 3, 1), None) == date(2025, 2, 28)
        assert annual_review_due(date(2023, 2, 28), None) == date(2024, 2, 27)
        assert annual_review_due(date(2023, 3, 1), None) == date(2024, 2, 29)  # a leap year has the day

    def test_lapsed_the_day_after(self) -> None:
        assert review_lapsed(date(2024, 2, 29), None, on=date(2025, 2, 28)) is False
        assert review_lapsed(date(2024, 2, 29), None, on=date(2025, 3, 1)) is True
        assert review_lapsed(None, None, on=date(2025, 3, 1)) is False


# --- properties ----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2015, 1, 1), date(2030, 12, 31)), st.integers(0, 800))
def test_within_twenty_weeks_iff_day_at_most_140(request_date: date, d: int) -> None:
    facts = RequestFacts(request_date, request_date, request_date + timedelta(days=d), ISSUED, None)
    result = clock(facts, today=request_date + timedelta(days=900))
    assert result.issued_within_20_weeks is (d <= 140)
    assert result.status == ("issued_on_time" if d <= 140 else "issued_late")
    rates = twenty_week_rates([facts], request_date, request_date + timedelta(days=800))
    assert rates.within == (1 if d <= 140 else 0)


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2015, 1, 1), date(2030, 12, 31)), st.integers(0, 800))
def test_open_request_status_by_day(request_date: date, d: int) -> None:
    facts = RequestFacts(request_date, None, None, IN_PROGRESS, None)
    result = clock(facts, today=request_date + timedelta(days=d))
    assert result.week == max(1, -(-d // 7))
    expected = "overdue" if d > 140 else "due_today" if d == 140 else "at_risk" if d >= 92 else "on_track"
    assert result.status == expected


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2000, 1, 1), date(2090, 12, 31)))
def test_review_due_is_within_a_year(issued: date) -> None:
    due = annual_review_due(issued, None)
    assert due is not None
    assert 364 <= (due - issued).days <= 365  # the day before the anniversary
    assert review_lapsed(issued, None, on=due) is False
    assert review_lapsed(issued, None, on=due + timedelta(days=1)) is True


# --- domain review §3.2: each error C1–C8 has a test that failed on the old clock ---------------


class TestReviewErrors:
    def test_c1_day_140_is_due_today_and_a_plan_issued_on_it_is_week_20(self) -> None:
        due_today = clock(open_request(decision=day(30)), today=day(140))
        assert (due_today.status, due_today.week, due_today.days_left, due_today.days_late) == ("due_today", 20, 0, 0)
        overdue = clock(open_request(decision=day(30)), today=day(141))
        assert (overdue.status, overdue.week, overdue.days_late) == ("overdue", 21, 1)
        issued = clock(issued_on(140), today=day(300))
        assert (issued.status, issued.week, issued.issued_within_20_weeks) == ("issued_on_time", 20, True)
        assert statutory_week(START, day(140)) == 20 and statutory_week(START, day(141)) == 21

    def test_c2_annual_review_due_the_day_before_the_anniversary(self) -> None:
        assert annual_review_due(date(2024, 6, 10), None) == date(2025, 6, 9)
        assert review_lapsed(date(2024, 6, 10), None, on=date(2025, 6, 9)) is False
        assert review_lapsed(date(2024, 6, 10), None, on=date(2025, 6, 10)) is True  # the anniversary is late

    def test_c3_review_clock_runs_from_the_decision_not_the_meeting(self) -> None:
        review = ReviewFacts(
            meeting_date=date(2025, 3, 3), decision_date=date(2025, 3, 24), outcome=ReviewOutcome.MAINTAIN
        )
        result = annual_review_clock(date(2024, 4, 1), [review], today=date(2025, 6, 1))
        assert result is not None
        assert (result.due, result.basis, result.status) == (date(2026, 3, 23), "last review decision", "on_track")
        decision = next(m for m in result.milestones if m.label.startswith("Decision"))
        assert decision == Milestone("Decision (4 weeks after)", date(2025, 3, 31), True)

    def test_c3_a_late_decision_is_a_missed_milestone_and_a_pending_one_is_shown(self) -> None:
        late = ReviewFacts(meeting_date=date(2025, 3, 3), decision_date=date(2025, 4, 14))
        assert [m.met for m in review_milestones(late, date(2025, 6, 1)) if m.label.startswith("Decision")] == [False]
        pending = ReviewFacts(meeting_date=date(2025, 3, 3))
        result = annual_review_clock(date(2024, 4, 1), [pending], today=date(2025, 3, 20))
        assert result is not None and result.status == "awaiting_decision"
        result = annual_review_clock(date(2024, 4, 1), [pending], today=date(2025, 4, 1))
        assert result is not None and result.status == "decision_overdue"

    def test_c4_sixteen_week_and_week_12_milestones_from_the_assessment_outcome_date(self) -> None:
        refused = RequestFacts(
            START, day(40), None, RequestOutcome.REFUSED_TO_ISSUE, None, assessment_outcome_date=day(120)
        )
        milestones = {m.label: m.met for m in clock(refused, today=day(200)).milestones}
        assert milestones["Decision not to issue (16 weeks)"] is False
        assert milestones["Decision whether to issue (local panel, week 12)"] is False
        issued = RequestFacts(START, day(30), day(130), ISSUED, None, assessment_outcome_date=day(80))
        milestones = {m.label: m.met for m in clock(issued, today=day(200)).milestones}
        assert milestones["Decision whether to issue (local panel, week 12)"] is True  # day 80, not the issue date
        undecided = RequestFacts(START, day(30), None, IN_PROGRESS, None)
        milestones = {m.label: m.met for m in clock(undecided, today=day(90)).milestones}
        assert milestones["Decision whether to issue (local panel, week 12)"] is False

    def test_c5_undecided_requests_past_six_weeks_count_as_late(self) -> None:
        decided = RequestFacts(START, day(40), None, IN_PROGRESS, None)
        undecided_late = RequestFacts(START + timedelta(days=1), None, None, IN_PROGRESS, None)
        undecided_young = RequestFacts(day(50), None, None, IN_PROGRESS, None)
        rates = decision_rates([decided, undecided_late, undecided_young], START, day(60), today=day(60))
        assert (rates.decided, rates.undecided_past_6_weeks, rates.decided_within_6_weeks) == (1, 1, 1)
        assert rates.within_6_weeks_rate == 0.5

    def test_c5_backlog_of_open_requests_past_20_weeks(self) -> None:
        items = [
            ("a", open_request()),
            ("b", RequestFacts(day(10), None, None, IN_PROGRESS, None)),
            ("c", RequestFacts(day(1), None, None, IN_PROGRESS, None)),
            ("d", issued_on(200)),
        ]
        backlog = backlog_past_limit(items, today=day(150))
        assert [(key, c.days_late) for key, c in backlog] == [("a", 10), ("c", 9)]

    def test_c6_exception_period_family_told_and_days_late_net(self) -> None:
        facts = RequestFacts(
            START,
            day(30),
            day(170),
            ISSUED,
            TimelinessException.SCHOOL_CLOSURE,
            exception_start=day(100),
            exception_end=day(120),
            family_told_date=day(101),
        )
        result = clock(facts, today=day(200))
        assert (result.days_late, result.exception_days, result.days_late_net) == (30, 21, 9)
        assert issued_late(facts) is True  # still 9 days late once the closure is allowed for
        covered = RequestFacts(
            START,
            day(30),
            day(155),
            ISSUED,
            TimelinessException.SCHOOL_CLOSURE,
            exception_start=day(100),
            exception_end=day(120),
        )
        assert (clock(covered, today=day(200)).days_late_net, issued_late(covered)) == (0, False)
        rates = twenty_week_rates([facts, covered], START, day(300))
        assert (rates.days_late, rates.days_late_net) == (30 + 15, 9)
        with pytest.raises(ValueError, match="needs the exception recorded"):
            RequestFacts(START, None, None, IN_PROGRESS, None, exception_start=day(5))
        with pytest.raises(ValueError, match="ends"):
            RequestFacts(
                START,
                None,
                None,
                IN_PROGRESS,
                TimelinessException.ABSENT_FROM_AREA,
                exception_start=day(50),
                exception_end=day(40),
            )

    def test_c7_at_risk_from_week_14_by_default_and_the_draft_is_judged(self) -> None:
        assert DEFAULT_MILESTONES.at_risk_from_week == 14
        assert clock(open_request(decision=day(30)), today=day(92)).status == "at_risk"
        late_draft = RequestFacts(START, day(30), None, IN_PROGRESS, None, draft_issued_date=day(110))
        milestones = {m.label: m for m in clock(late_draft, today=day(115)).milestones}
        assert milestones["Draft plan sent (local, week 14)"] == Milestone(
            "Draft plan sent (local, week 14)", day(98), False, local=True
        )

    def test_c8_clock_starts_when_the_authority_became_responsible(self) -> None:
        facts = RequestFacts(
            START, None, None, IN_PROGRESS, None, responsible_date=day(20), source=RequestSource.HEALTH
        )
        result = clock(facts, today=day(160))
        assert (result.start, result.final_due, result.decision_due, result.status) == (
            day(20),
            day(160),
            day(62),
            "due_today",
        )
        assert facts.source is RequestSource.HEALTH
        earlier = RequestFacts(day(5), None, None, IN_PROGRESS, None, responsible_date=day(5))
        assert clock(earlier, today=day(10)).start == day(5)
        issued = RequestFacts(START, day(30), day(155), ISSUED, None, responsible_date=day(20))
        assert (issued_late(issued), twenty_week_rates([issued], START, day(300)).within) == (False, 1)


class TestIssuedLate:
    def test_values(self) -> None:
        assert issued_late(issued_on(140)) is False
        assert issued_late(issued_on(141)) is True
        assert issued_late(issued_on(141, TimelinessException.UNSPECIFIED)) is False  # no period: excused
        assert issued_late(open_request()) is None


# --- the clocks after the request (domain review §3.3) -----------------------------------------


class TestAdvice:
    def test_six_weeks_from_the_body_receiving_the_request(self) -> None:
        on_time = AdviceFacts("educational_psychology", day(10), day(52))
        late = AdviceFacts("health", day(10), day(53))
        excused = AdviceFacts("health", day(10), day(60), AdviceException.MISSED_APPOINTMENT)
        assert [advice_clock(f, day(90)).status for f in (on_time, late, excused)] == [
            "received_on_time",
            "received_late",
            "received_late_exception",
        ]
        assert advice_clock(late, day(90)).days_late == 1

    def test_outstanding_advice(self) -> None:
        facts = AdviceFacts("social_care", day(0), None)
        assert [advice_clock(facts, day(n)).status for n in (27, 28, 42, 43)] == [
            "on_track",
            "at_risk",
            "due_today",
            "overdue",
        ]
        items = [
            ("x", facts),
            ("y", AdviceFacts("health", day(20), None)),
            ("z", AdviceFacts("health", day(0), day(3))),
        ]
        assert [(k, c.days_left) for k, c in advice_at_risk(items, day(50))] == [("x", -8), ("y", 12)]

    def test_rates_by_agency_count_overdue_advice_as_late(self) -> None:
        facts = [
            AdviceFacts("health", day(0), day(40)),
            AdviceFacts("health", day(0), None),  # overdue by day 60
            AdviceFacts("health", day(0), day(50), AdviceException.ABSENT_FROM_AREA),
            AdviceFacts("health", day(40), None),  # still within its 6 weeks
            AdviceFacts("educational_psychology", day(5), day(20)),
        ]
        rates = {r.agency: r for r in advice_rates(facts, START, day(59), today=day(60))}
        health = rates["health"]
        assert (health.requested, health.received, health.received_within_6_weeks, health.outstanding_overdue) == (
            4,
            2,
            1,
            1,
        )
        assert health.rate == 1 / 3 and health.rate_ex == 0.5 and health.mean_days == 45
        assert rates["educational_psychology"].rate == 1.0

    def test_advice_exceptions_are_reg_8_not_reg_10(self) -> None:
        assert {e.value for e in AdviceException} == {
            "exceptional_circumstances",
            "absent_from_area",
            "missed_appointment",
        }
        with pytest.raises(ValueError, match="school_closure"):
            AdviceFacts("health", day(10), day(50), "school_closure")  # type: ignore[arg-type]


class TestAnnualReviewSteps:
    MEETING = date(2025, 5, 12)

    def test_every_step_on_time(self) -> None:
        review = ReviewFacts(
            self.MEETING,
            notice_date=date(2025, 4, 28),
            papers_date=date(2025, 4, 28),
            report_date=date(2025, 5, 26),
            decision_date=date(2025, 6, 9),
            outcome="A",  # type: ignore[arg-type]
            amendments_sent_date=date(2025, 6, 9),
            amended_plan_date=date(2025, 8, 4),
        )
        milestones = review_milestones(review, date(2025, 9, 1))
        assert [(m.label, m.due, m.met) for m in milestones] == [
            ("Meeting notice (2 weeks before)", date(2025, 4, 28), True),
            ("Advice and papers circulated (2 weeks before)", date(2025, 4, 28), True),
            ("Review report (2 weeks after)", date(2025, 5, 26), True),
            ("Decision (4 weeks after)", date(2025, 6, 9), True),
            ("Proposed amendments sent with the decision (4 weeks after)", date(2025, 6, 9), True),
            ("Amended plan issued (8 weeks after the proposals)", date(2025, 8, 4), True),
        ]

    def test_short_notice_and_a_slow_amendment(self) -> None:
        review = ReviewFacts(
            self.MEETING,
            notice_date=date(2025, 5, 1),
            decision_date=date(2025, 6, 2),
            outcome=ReviewOutcome.AMEND,
            amendments_sent_date=date(2025, 6, 2),
        )
        met = {m.label: m.met for m in review_milestones(review, date(2025, 8, 1))}
        assert met["Meeting notice (2 weeks before)"] is False
        assert met["Advice and papers circulated (2 weeks before)"] is False  # meeting held, none recorded
        assert met["Review report (2 weeks after)"] is False
        assert met["Amended plan issued (8 weeks after the proposals)"] is False  # due 28 July, none by 1 August
        assert {m.label: m.met for m in review_milestones(review, date(2025, 7, 28))}[
            "Amended plan issued (8 weeks after the proposals)"
        ] is None  # not yet due

    def test_review_at_risk_and_overdue(self) -> None:
        issued = date(2024, 9, 2)  # due 1 September 2025
        statuses = [
            annual_review_clock(issued, [], today=d).status
            for d in (date(2025, 7, 1), date(2025, 7, 21), date(2025, 9, 1), date(2025, 9, 2))
        ]
        assert statuses == ["on_track", "at_risk", "due_today", "overdue"]
        booked = ReviewFacts(date(2025, 8, 20))
        assert annual_review_clock(issued, [booked], today=date(2025, 7, 21)).status == "on_track"
        assert annual_review_clock(None, [], today=date(2025, 7, 21)) is None


class TestPhaseTransfer:
    @pytest.mark.parametrize(
        ("kind", "move", "due"),
        [
            (PhaseTransfer.PRIMARY_TO_SECONDARY, date(2026, 9, 1), date(2026, 2, 14)),
            (PhaseTransfer.EARLY_YEARS_TO_SCHOOL, date(2026, 9, 1), date(2026, 2, 14)),
            (PhaseTransfer.INFANT_TO_JUNIOR, date(2026, 9, 1), date(2026, 2, 14)),
            (PhaseTransfer.SECONDARY_TO_POST_16, date(2026, 9, 1), date(2026, 3, 30)),
            (PhaseTransfer.POST_16_TO_POST_16, date(2027, 1, 10), date(2026, 8, 10)),
            (PhaseTransfer.POST_16_TO_POST_16, date(2026, 7, 31), date(2026, 2, 28)),
        ],
    )
    def test_reg_18_dates(self, kind: PhaseTransfer, move: date, due: date) -> None:
        assert phase_transfer_due(kind, move) == due

    def test_clock(self) -> None:
        move = date(2026, 9, 1)
        kind = PhaseTransfer.PRIMARY_TO_SECONDARY
        assert phase_transfer_clock(kind, move, None, date(2025, 12, 1)).status == "on_track"
        assert phase_transfer_clock(kind, move, None, date(2026, 1, 10)).status == "at_risk"
        assert phase_transfer_clock(kind, move, None, date(2026, 2, 14)).status == "due_today"
        overdue = phase_transfer_clock(kind, move, None, date(2026, 2, 20))
        assert (overdue.status, overdue.days_left) == ("overdue", -6)
        assert phase_transfer_clock(kind, move, date(2026, 2, 10), date(2026, 3, 1)).status == "done_on_time"
        assert phase_transfer_clock(kind, move, date(2026, 2, 16), date(2026, 3, 1)).status == "done_late"
        items = [(1, overdue), (2, phase_transfer_clock(kind, move, None, date(2025, 12, 1)))]
        assert [k for k, _ in phase_transfers_at_risk(items)] == [1]


class TestReassessment:
    def test_fourteen_weeks_from_the_notification(self) -> None:
        facts = RequestFacts(START, day(10), None, IN_PROGRESS, None, kind=RequestKind.REASSESSMENT)
        result = clock(facts, today=day(50))
        assert (result.start, result.decision_due, result.final_due) == (day(10), day(15), day(108))
        assert result.decision_on_time is True
        assert clock(facts, today=day(108)).status == "due_today"
        assert clock(facts, today=day(109)).status == "overdue"
        issued = RequestFacts(START, day(10), day(109), ISSUED, None, kind=RequestKind.REASSESSMENT)
        assert (clock(issued, day(200)).status, issued_late(issued)) == ("issued_late", True)
        assert [m.label for m in clock(issued, day(200)).milestones] == [
            "Decision whether to re-assess (15 days)",
            "Final plan issued (14 weeks)",
        ]

    def test_not_in_the_dfe_20_week_measure(self) -> None:
        issued = RequestFacts(START, day(10), day(50), ISSUED, None, kind=RequestKind.REASSESSMENT)
        assert twenty_week_rates([issued], START, day(300)).total == 0

    def test_undecided_reassessment_runs_from_the_last_lawful_decision_day(self) -> None:
        facts = RequestFacts(START, None, None, IN_PROGRESS, None, kind=RequestKind.REASSESSMENT)
        result = clock(facts, today=day(20))
        assert (result.start, result.final_due) == (day(15), day(113))
        assert {m.label: m.met for m in result.milestones}["Decision whether to re-assess (15 days)"] is False


class TestTransferIn:
    def test_family_told_within_six_weeks_and_review_by_the_later_date(self) -> None:
        result = transfer_in_clock(date(2025, 4, 1), None, date(2024, 10, 1), None, today=date(2025, 5, 20))
        assert result.family_told_due == date(2025, 5, 13) and result.family_told_on_time is False
        assert result.review_due == date(2025, 9, 30)  # the usual date is later than 3 months from the move
        soon = transfer_in_clock(date(2025, 4, 1), date(2025, 4, 20), date(2024, 4, 20), None, today=date(2025, 4, 25))
        assert soon.review_due == date(2025, 6, 30) and soon.family_told_on_time is True
        clock_ = annual_review_clock(date(2024, 4, 20), [], today=date(2025, 4, 25), transferred_in=date(2025, 4, 1))
        assert clock_ is not None and (clock_.due, clock_.basis) == (date(2025, 6, 30), "transfer in")


class TestCalendar:
    def test_months_starting_with(self) -> None:
        assert months_starting_with(date(2024, 1, 31), 1) == date(2024, 2, 29)
        assert months_starting_with(date(2025, 1, 31), 1) == date(2025, 2, 28)
        assert months_starting_with(date(2024, 12, 31), 2) == date(2025, 2, 28)
        assert add_months(date(2024, 8, 31), -6) == date(2024, 2, 29)
        assert add_months(date(2027, 1, 10), -5) == date(2026, 8, 10)


class TestRates:
    def test_review_rates_count_overdue_reviews_as_late(self) -> None:
        on_time = (
            date(2024, 1, 10),
            [
                ReviewFacts(
                    date(2024, 12, 2),
                    decision_date=date(2024, 12, 20),
                    outcome=ReviewOutcome.AMEND,
                    amendments_sent_date=date(2024, 12, 20),
                    amended_plan_date=date(2025, 3, 1),
                )
            ],
        )
        lapsed: tuple[date, list[ReviewFacts]] = (date(2024, 2, 5), [])  # due 4 February 2025, never reviewed
        late_decision = (date(2024, 3, 1), [ReviewFacts(date(2025, 1, 6), decision_date=date(2025, 3, 3))])
        concluded, decisions, amended = review_rates(
            [on_time, lapsed, late_decision], date(2025, 1, 1), date(2025, 3, 31), today=date(2025, 6, 1)
        )
        # Deadlines in Q1 2025: 9 Jan (met 20 Dec), 4 Feb (outstanding), 28 Feb (decided 3 March: missed).
        assert (concluded.due, concluded.met, concluded.missed, concluded.outstanding_late) == (3, 1, 1, 1)
        assert concluded.rate == 1 / 3
        assert (decisions.due, decisions.met, decisions.missed) == (1, 0, 1)  # due 3 February, decided 3 March
        assert (amended.due, amended.met, amended.missed) == (1, 0, 1)  # due 14 February, issued 1 March

    def test_review_deadlines_chain_from_each_decision(self) -> None:
        assert review_deadlines(date(2023, 5, 1), [date(2024, 4, 15)], today=date(2025, 1, 1)) == [
            (date(2024, 4, 30), date(2024, 4, 15)),
            (date(2025, 4, 14), None),
        ]

    def test_phase_transfer_and_transfer_in_rates(self) -> None:
        kind = PhaseTransfer.PRIMARY_TO_SECONDARY
        clocks = [
            phase_transfer_clock(kind, date(2026, 9, 1), date(2026, 2, 1), date(2026, 3, 1)),
            phase_transfer_clock(kind, date(2026, 9, 1), None, date(2026, 3, 1)),
            phase_transfer_clock(PhaseTransfer.SECONDARY_TO_POST_16, date(2026, 9, 1), None, date(2026, 3, 1)),
        ]
        rate = phase_transfer_rate(clocks, date(2026, 1, 1), date(2026, 12, 31), today=date(2026, 3, 1))
        assert (rate.due, rate.met, rate.outstanding_late, rate.rate) == (3, 1, 1, 0.5)  # 30 March not yet judged
        told = [
            transfer_in_clock(date(2025, 4, 1), date(2025, 4, 20), None, None, date(2025, 9, 1)),
            transfer_in_clock(date(2025, 5, 1), None, None, None, date(2025, 9, 1)),
        ]
        rate = transfer_in_rate(told, date(2025, 1, 1), date(2025, 12, 31), today=date(2025, 9, 1))
        assert (rate.met, rate.outstanding_late, rate.rate) == (1, 1, 0.5)

    def test_reassessment_rates(self) -> None:
        kind = RequestKind.REASSESSMENT
        facts = [
            RequestFacts(START, day(10), day(100), ISSUED, None, kind=kind),  # due day 108: in time
            RequestFacts(START, day(10), day(120), ISSUED, None, kind=kind),  # late
            RequestFacts(START, day(10), None, IN_PROGRESS, None, kind=kind),  # overdue by day 130
            issued_on(100),
        ]  # an assessment, not counted
        rates = reassessment_rates(facts, START, day(200), today=day(130))
        assert (rates.due, rates.within_14_weeks, rates.late, rates.outstanding_late, rates.rate) == (3, 1, 1, 1, 1 / 3)
