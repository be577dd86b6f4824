"""The statutory clock on exact dates, and the DfE-style rates on the SEN2 worked example."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaframework.framework import RequestOutcome, TimelinessException
from qaframework.timeliness import (
    DECISION_LIMIT_DAYS,
    FINAL_PLAN_LIMIT_DAYS,
    NO_ISSUE_DECISION_LIMIT_DAYS,
    LocalMilestones,
    Milestone,
    RequestFacts,
    annual_review_due,
    clock,
    decision_rates,
    review_overdue,
    statutory_week,
    twenty_week_rates,
)

ISSUED, IN_PROGRESS = RequestOutcome.ISSUED, RequestOutcome.IN_PROGRESS
START = date(2024, 1, 1)  # a Monday


def day(n: int) -> date:
    return START + timedelta(days=n)


def open_request(**kw: object) -> RequestFacts:
    return RequestFacts(START, kw.pop("decision", None), None, IN_PROGRESS, None, **kw)  # type: ignore[arg-type]


def issued_on(n: int, exception: TimelinessException | None = None) -> RequestFacts:
    return RequestFacts(START, day(30), day(n), ISSUED, exception)


# research/sen2.md §5: the three synthetic SEN2 persons.
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
        assert alpha.week == 20 and alpha.decision_days == 35 and alpha.decision_on_time is True
        bravo = clock(BRAVO, today=date(2025, 1, 16))
        assert (bravo.issue_days, bravo.issued_within_20_weeks, bravo.status) == (196, False, "issued_late_exception")
        assert bravo.week == 29
        charlie = clock(CHARLIE, today=date(2025, 1, 16))
        assert (charlie.status, charlie.week, charlie.day, charlie.decision_days) == ("closed", 6, 35, 35)

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
            (7, 2, "on_track"),
            (104, 15, "on_track"),
            (105, 16, "at_risk"),
            (139, 20, "at_risk"),
            (140, 21, "overdue"),  # there is no 21st week
            (300, 43, "overdue"),
        ],
    )
    def test_open_request(self, n: int, week: int, status: str) -> None:
        result = clock(open_request(decision=day(30)), today=day(n)) if n >= 30 else clock(open_request(), today=day(n))
        assert (result.week, result.status, result.day) == (week, status, n)
        assert result.days_left == 140 - n

    def test_local_at_risk_threshold(self) -> None:
        assert clock(open_request(), day(91), LocalMilestones(at_risk_from_week=14)).status == "at_risk"
        assert clock(open_request(), day(90), LocalMilestones(at_risk_from_week=14)).status == "on_track"

    def test_statutory_week(self) -> None:
        assert [statutory_week(START, day(n)) for n in (0, 6, 7, 139, 140)] == [1, 1, 2, 20, 21]
        with pytest.raises(ValueError):
            statutory_week(START, day(-1))

    def test_clock_stops_at_issue(self) -> None:
        result = clock(issued_on(120), today=day(400))
        assert (result.week, result.day, result.days_left) == (18, 120, None)

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
            Milestone("Assessment panel (local, week 4)", day(28), None),
            Milestone("Decision whether to assess (6 weeks)", day(42), False),
            Milestone("Decision panel (local, week 12)", day(84), None),
            Milestone("Final plan issued (20 weeks)", day(140), None),
        ]

    def test_issued_on_time(self) -> None:
        facts = RequestFacts(START, day(20), day(80), ISSUED, None)
        assert [m.met for m in clock(facts, today=day(200)).milestones] == [True, True, True, True]

    def test_issued_late_after_a_late_decision(self) -> None:
        facts = RequestFacts(START, day(45), day(150), ISSUED, None)
        # A late decision cannot show whether the week-4 panel met; week-12 panel likewise.
        assert [m.met for m in clock(facts, today=day(200)).milestones] == [None, False, None, False]

    def test_refused_to_issue_uses_sixteen_weeks(self) -> None:
        facts = RequestFacts(START, day(40), None, RequestOutcome.REFUSED_TO_ISSUE, None, closed_date=day(110))
        result = clock(facts, today=day(200))
        assert result.status == "closed" and result.week == 16
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
        facts = RequestFacts(START, day(10), day(100), "issued", "school_closure")  # type: ignore[arg-type]
        assert facts.outcome is ISSUED and facts.exception is TimelinessException.SCHOOL_CLOSURE


class TestAnnualReview:
    def test_twelve_months_after_the_later_date(self) -> None:
        assert annual_review_due(date(2023, 3, 10), None) == date(2024, 3, 10)
        assert annual_review_due(date(2022, 3, 10), date(2023, 5, 2)) == date(2024, 5, 2)
        assert annual_review_due(None, date(2023, 12, 31)) == date(2024, 12, 31)
        assert annual_review_due(None, None) is None

    def test_leap_day(self) -> None:
        assert annual_review_due(date(2024, 2, 29), None) == date(2025, 2, 28)
        assert annual_review_due(date(2023, 2, 28), None) == date(2024, 2, 28)

    def test_overdue_the_day_after(self) -> None:
        assert review_overdue(date(2024, 2, 29), None, today=date(2025, 2, 28)) is False
        assert review_overdue(date(2024, 2, 29), None, today=date(2025, 3, 1)) is True
        assert review_overdue(None, None, today=date(2025, 3, 1)) is False


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
    assert result.week == d // 7 + 1
    expected = "overdue" if d >= 140 else "at_risk" if d >= 105 else "on_track"
    assert result.status == expected


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2000, 1, 1), date(2090, 12, 31)))
def test_review_due_is_within_a_year(issued: date) -> None:
    due = annual_review_due(issued, None)
    assert due is not None
    assert due.year == issued.year + 1 and due.month == issued.month
    assert 365 <= (due - issued).days <= 366
