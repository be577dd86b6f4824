"""Statutory compliance beside the grade: breaches from Not met answers and from the case's dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from qaframework.checklists.model import Basis, Grading, NotApplicable, Question, Section, Template
from qaframework.compliance import CaseDates, Compliance, assess_compliance, breaches_from_dates, codes_of
from qaframework.framework import Breach, Rating, RequestOutcome, Subject, Tier, TimelinessException
from qaframework.scoring import Answer
from qaframework.timeliness import AdviceException, AdviceFacts, RequestFacts

MET, PARTIAL, NOT_MET, NA = Rating.MET, Rating.PARTIALLY_MET, Rating.NOT_MET, Rating.NOT_APPLICABLE
TEXT = "Some words long enough for the model."
ON = date(2026, 11, 27)


def question(qid: str, breach: Breach | None = None, statutory: bool = True) -> Question:
    return Question(
        id=qid,
        text=TEXT,
        guidance=TEXT,
        what_good_looks_like=TEXT,
        basis=Basis.STATUTORY if statutory else Basis.GOOD_PRACTICE,
        plan_sections=["A"],
        breach=breach,
        not_applicable=NotApplicable(allowed=True, when="the condition is absent"),
    )


TEMPLATE = Template(
    id="plan-check",
    version=2,
    title="Plan check",
    description="A hand-built template for tests.",
    tier=Tier.AGENCY_CHECK,
    subjects=[Subject.FINAL_PLAN],
    grading=Grading(),
    sections=[
        Section(
            id="a",
            title="Views",
            plan_sections=["A"],
            questions=[
                question("A-01", Breach.VIEWS_MISSING),
                question("A-02", Breach.VIEWS_MISSING),
                question("A-03"),
            ],
        ),
        Section(
            id="p",
            title="Process",
            plan_sections=["process"],
            questions=[
                question("P-03", Breach.ISSUED_LATE),
                question("P-04", statutory=False),
            ],
        ),
        Section(id="k", title="Advice", plan_sections=["K"], questions=[question("K-01", Breach.ADVICE_MISSING)]),
    ],
)
ALL_MET = {q.id: MET for q in TEMPLATE.questions()}


def issued(day: int, exception: TimelinessException | None = None, **more: object) -> RequestFacts:
    start = date(2026, 1, 5)
    return RequestFacts(
        request_date=start,
        decision_to_assess_date=start + timedelta(days=40),
        final_issued_date=start + timedelta(days=day),
        outcome=RequestOutcome.ISSUED,
        exception=exception,
        **more,  # type: ignore[arg-type]
    )


class TestFromAnswers:
    def test_all_met_is_compliant(self) -> None:
        result = assess_compliance(TEMPLATE, ALL_MET, Subject.FINAL_PLAN, CaseDates(), ON)
        assert result == Compliance(()) and result.compliant and result.codes == []
        assert result.headline == "No statutory breaches found"

    def test_not_met_on_breach_questions_lists_each_kind_once_with_its_questions(self) -> None:
        answers: dict[str, Answer | Rating] = {
            **ALL_MET,
            "K-01": NOT_MET,
            "A-02": NOT_MET,
            "A-01": Answer(NOT_MET, evidence="none"),
        }
        result = assess_compliance(TEMPLATE, answers, Subject.FINAL_PLAN, CaseDates(), ON)
        assert result.codes == ["views_missing", "advice_missing"]
        assert [b.question_ids for b in result.breaches] == [("A-01", "A-02"), ("K-01",)]
        assert [b.from_dates for b in result.breaches] == [None, None]
        assert result.breaches[0].reference == "SEND Regs 2014 reg 12(1)(a); CFA 2014 s19"
        assert result.headline == ("2 breaches: The child's or family's views are missing; Statutory advice is missing")

    @pytest.mark.parametrize("rating", [PARTIAL, NA, MET])
    def test_only_not_met_is_a_breach(self, rating: Rating) -> None:
        answers = {**ALL_MET, "A-01": rating, "K-01": rating}
        assert assess_compliance(TEMPLATE, answers, Subject.FINAL_PLAN, CaseDates(), ON).compliant

    def test_not_met_without_a_breach_code_is_a_quality_matter_only(self) -> None:
        answers = {**ALL_MET, "A-03": NOT_MET, "P-04": NOT_MET}
        assert assess_compliance(TEMPLATE, answers, Subject.FINAL_PLAN, CaseDates(), ON).compliant


class TestFromDates:
    def test_issued_on_day_140_is_on_time_and_day_141_is_late(self) -> None:
        on_time = CaseDates(request=issued(140))
        late = CaseDates(request=issued(141))
        assert breaches_from_dates(Subject.FINAL_PLAN, on_time, ON) == {}
        assert breaches_from_dates(Subject.FINAL_PLAN, late, ON) == {
            Breach.ISSUED_LATE: "final plan issued on day 141 (week 21) of the 20-week limit"
        }

    def test_an_exception_without_a_period_excuses_the_delay(self) -> None:
        excused = CaseDates(request=issued(170, TimelinessException.UNSPECIFIED))
        assert breaches_from_dates(Subject.FINAL_PLAN, excused, ON) == {}

    def test_answer_and_dates_agreeing_make_one_entry(self) -> None:
        answers = {**ALL_MET, "P-03": NOT_MET}
        result = assess_compliance(TEMPLATE, answers, Subject.FINAL_PLAN, CaseDates(request=issued(210)), ON)
        [breach] = result.breaches
        assert (breach.breach, breach.question_ids) == (Breach.ISSUED_LATE, ("P-03",))
        assert breach.from_dates == "final plan issued on day 210 (week 30) of the 20-week limit"

    def test_dates_find_a_breach_the_auditor_marked_met(self) -> None:
        result = assess_compliance(TEMPLATE, ALL_MET, Subject.FINAL_PLAN, CaseDates(request=issued(150)), ON)
        assert result.codes == ["issued_late"] and result.breaches[0].question_ids == ()

    def test_review_lapses_the_day_after_the_day_before_the_anniversary(self) -> None:
        dates = CaseDates(plan_issued=date(2025, 3, 10))
        assert breaches_from_dates(Subject.ANNUAL_REVIEW, dates, date(2026, 3, 9)) == {}
        assert breaches_from_dates(Subject.ANNUAL_REVIEW, dates, date(2026, 3, 10)) == {
            Breach.REVIEW_LAPSED: "no review concluded by 9 March 2026"
        }

    def test_a_review_that_concluded_late_is_a_breach_even_once_concluded(self) -> None:
        dates = CaseDates(plan_issued=date(2024, 3, 10), review_decisions=(date(2025, 3, 1), date(2026, 4, 20)))
        assert breaches_from_dates(Subject.ANNUAL_REVIEW, dates, date(2026, 5, 1)) == {
            Breach.REVIEW_LAPSED: "the review concluded on 20 April 2026, after it was due on 28 February 2026"
        }
        on_time = CaseDates(plan_issued=date(2024, 3, 10), review_decisions=(date(2025, 3, 1), date(2026, 2, 28)))
        assert breaches_from_dates(Subject.ANNUAL_REVIEW, on_time, date(2026, 5, 1)) == {}

    def test_advice_late_without_a_reg_8_exception_by_agency(self) -> None:
        asked = date(2026, 2, 2)
        dates = CaseDates(
            advice=(
                AdviceFacts("education", asked, asked + timedelta(days=50)),
                AdviceFacts("health", asked, asked + timedelta(days=60), AdviceException.MISSED_APPOINTMENT),
                AdviceFacts("childrens_social_care", asked, None),
                AdviceFacts("adult_social_care", asked, asked + timedelta(days=42)),
            )
        )
        on = asked + timedelta(days=52)
        assert breaches_from_dates(Subject.DRAFT_PLAN, dates, on) == {
            Breach.ADVICE_LATE: (
                "Education and educational psychology: received 8 days late; "
                "Children's social care: 10 days overdue"
            )
        }
        assert breaches_from_dates(Subject.ADVICE, dates, on, agency="health") == {}
        assert breaches_from_dates(Subject.ADVICE, dates, on, agency="education") == {
            Breach.ADVICE_LATE: "Education and educational psychology: received 8 days late"
        }

    def test_one_day_late_reads_as_one_day(self) -> None:
        asked = date(2026, 2, 2)
        dates = CaseDates(advice=(AdviceFacts("health", asked, asked + timedelta(days=43)),))
        assert breaches_from_dates(Subject.DRAFT_PLAN, dates, asked + timedelta(days=60)) == {
            Breach.ADVICE_LATE: "Health: received 1 day late"
        }

    def test_only_the_dates_that_concern_the_subject_are_judged(self) -> None:
        dates = CaseDates(request=issued(200), plan_issued=date(2020, 1, 1))
        assert set(breaches_from_dates(Subject.FINAL_PLAN, dates, ON)) == {Breach.ISSUED_LATE, Breach.REVIEW_LAPSED}
        assert set(breaches_from_dates(Subject.ANNUAL_REVIEW, dates, ON)) == {Breach.REVIEW_LAPSED}
        assert breaches_from_dates(Subject.REFUSAL_DECISION, dates, ON) == {}


def test_codes_of_counts_audits_per_breach_in_enum_order() -> None:
    views = assess_compliance(TEMPLATE, {**ALL_MET, "A-01": NOT_MET}, Subject.FINAL_PLAN, CaseDates(), ON)
    both = assess_compliance(
        TEMPLATE, {**ALL_MET, "A-02": NOT_MET}, Subject.FINAL_PLAN, CaseDates(request=issued(150)), ON
    )
    clean = assess_compliance(TEMPLATE, ALL_MET, Subject.FINAL_PLAN, CaseDates(), ON)
    assert codes_of([views, both, clean]) == {"views_missing": 2, "issued_late": 1}
