"""The board's figures against a small hand-made set of audits and actions (tests/board_data.py; both databases)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from qaframework.reports.figures import (
    OTHER_THEMES,
    BoardFilters,
    ReportPeriod,
    actions_summary,
    audits_by_tier,
    computed_once,
    good_or_better_by_tier,
    grade_distribution,
    moderation_agreement,
    rag,
    report_period,
    tier4_experience,
    trend_by_half_term,
)
from qaframework.reports.suppression import SUPPRESSED
from qaframework.store import Action
from tests.board_data import FORMULA_THEME, S1, SP2, TODAY, Made, make_board_data

C = SUPPRESSED


@pytest.fixture
def made(session: Session) -> Made:
    return make_board_data(session)


@pytest.fixture
def summer(session: Session) -> ReportPeriod:
    return report_period(session, "2025-26", "Summer 1")


def test_periods_are_read_from_the_year_and_half_term(session: Session) -> None:
    year = report_period(session, "2025-26")
    assert year.label == "2025-26" and len(year.cycles) == 6 and year.start == date(2025, 9, 1)
    assert year.previous_label == "2024-25" and year.previous_cycles[0] == "2024-25 Autumn 1"
    half = report_period(session, "2025-26", "2025-26 Summer 1")
    assert half.cycles == (S1,) and half.previous_label == SP2
    with pytest.raises(ValueError, match="not in the 2025-26 academic year"):
        report_period(session, "2025-26", "2024-25 Summer 1")
    with pytest.raises(ValueError, match="academic year like 2025-26"):
        report_period(session, "2025/26")
    with pytest.raises(ValueError, match="is not a half term: give one of Autumn 1"):
        report_period(session, "2025-26", "Winter 3")


def test_audits_done_by_tier_count_finished_work_and_tier4_only_once_approved(
    session: Session, made: Made, summer: ReportPeriod
) -> None:
    done = {row.tier: row.done for row in audits_by_tier(session, summer)}
    assert done == {1: 10, 2: 7, 3: C, 4: C}  # 2 Tier 3 and 1 approved Tier 4: small, hidden


def test_good_or_better_by_tier_with_the_previous_half_term(session: Session, made: Made, summer: ReportPeriod) -> None:
    rows = {row.tier: row for row in good_or_better_by_tier(session, summer)}
    assert (rows[1].graded, rows[1].good, rows[1].rate) == (10, 6, Decimal("60.0"))
    assert (rows[1].previous_graded, rows[1].previous_good, rows[1].previous_rate) == (8, 5, Decimal("62.5"))
    assert (rows[2].graded, rows[2].good, rows[2].rate, rows[2].previous_rate) == (7, 5, Decimal("71.4"), None)
    assert rows[3].rate is C and rows[4].rate is C  # 1 of 2, 1 of 1: bases under 5


def test_grade_distribution_by_tier_is_suppressed_as_worked_by_hand(
    session: Session, made: Made, summer: ReportPeriod
) -> None:
    table = grade_distribution(session, summer)
    # Counts: Tier 1 [1, 5, 3, 1] = 10; Tier 2 [0, 5, 2, 0] = 7; Tier 3 [0, 1, 1, 0] = 2; totals [1, 11, 6, 1] = 19.
    # Primary hides every 1-4; Tier 2's row then hides its 5, and the totals column Tier 2's 7.
    assert [(r.label, r.counts, r.total) for r in table.rows] == [
        ("Tier 1: agency contribution check", [C, 5, C, C], 10),
        ("Tier 2: single-agency audit", [0, C, C, 0], C),
        ("Tier 3: multi-agency audit", [0, C, C, 0], C),
    ]
    assert table.totals == [C, 11, 6, C] and table.total == 19
    assert table.labels == ("Outstanding", "Good", "Requires improvement", "Inadequate")


def test_grades_by_agency_name_each_agency(session: Session, made: Made, summer: ReportPeriod) -> None:
    table = grade_distribution(session, summer, by="agency")
    assert [r.label for r in table.rows] == ["Health", "SEND and EHC service", "Multi-agency or no single agency"]
    with pytest.raises(ValueError, match="by tier, agency or plan_section"):
        grade_distribution(session, summer, by="auditor")


def test_filters_narrow_to_an_agency_or_the_childs_phase(session: Session, made: Made, summer: ReportPeriod) -> None:
    health = {row.tier: row.done for row in audits_by_tier(session, summer, BoardFilters(agency="health"))}
    assert health == {1: 0, 2: 7, 3: 0, 4: 0}
    secondary = audits_by_tier(session, summer, BoardFilters(phase="secondary"))
    assert {row.tier: row.done for row in secondary} == {1: C, 2: C, 3: 0, 4: 0}
    assert all(row.target is None for row in secondary)  # targets are for the whole area
    filters, errors = BoardFilters.parse({"phase": "sixth_form", "primary_need": "asd", "agency": "health"})
    assert filters == BoardFilters(agency="health", primary_need="ASD")
    assert [e.field for e in errors] == ["phase"]


def test_moderation_agreement_overall_and_by_agency(session: Session, made: Made, summer: ReportPeriod) -> None:
    rows = moderation_agreement(session, summer)
    overall = rows[0]
    # Moderated pairs: good/good x3, good/RI, RI/RI: 4 of 5 exact, all within one grade. Linear
    # kappa by hand: observed (4 + 2/3) / 5 = 0.9333, chance 0.8533, (0.9333-0.8533)/(1-0.8533) = 0.545.
    # 4 exact is a small count, so its rate is hidden; 5 of 5 within one grade is shown.
    assert (overall.n, overall.exact, overall.within_one) == (5, C, Decimal("100.0"))
    assert overall.kappa_linear == pytest.approx(0.545, abs=0.0005)
    assert [(r.group, r.label, r.n) for r in rows[1:]] == [
        ("cycle", S1, 5), ("agency", "SEND and EHC service", 5),
    ]
    assert not any("Auditor" in r.label or made.coordinator.display_name in r.label for r in rows)


def test_trend_shows_this_half_term_and_the_five_before(session: Session, made: Made, summer: ReportPeriod) -> None:
    points = trend_by_half_term(session, summer)
    assert [p.cycle for p in points if p.tier == 1] == [
        "2024-25 Summer 2", "2025-26 Autumn 1", "2025-26 Autumn 2", "2025-26 Spring 1", SP2, S1,
    ]
    tier1 = {p.cycle: p.rate for p in points if p.tier == 1}
    assert tier1[SP2] == Decimal("62.5") and tier1[S1] == Decimal("60.0") and tier1["2025-26 Autumn 1"] is None


def test_tier4_counts_only_approved_summaries(session: Session, made: Made, summer: ReportPeriod) -> None:
    table = tier4_experience(session, summer)
    assert [(r.label, r.counts, r.total) for r in table.rows] == [(S1, [C, 0, 0], C)]
    assert table.total is C


def test_actions_by_status_and_theme_with_rag(session: Session, made: Made, summer: ReportPeriod) -> None:
    figures = actions_summary(session, summer, today=TODAY)
    assert (figures.open, figures.on_time, figures.overdue, figures.done, figures.cancelled, figures.total) == (
        10, 5, 5, 5, 5, 20)
    themes = [(r.label, r.open, r.on_time, r.overdue, r.done, r.cancelled, r.total, r.rag) for r in figures.by_theme]
    # A theme typed on fewer than 5 actions is never shown by its words (it may be a name).
    # 5 of 10 open overdue is more than a quarter: red.
    assert themes == [  # themes in alphabetical order ("=" first), others last
        (FORMULA_THEME, 0, 0, 0, 0, 5, 5, None),
        ("Child's voice", 10, 5, 5, 0, 0, 10, "red"),
        (OTHER_THEMES, 0, 0, 0, 5, 0, 5, None),
    ]
    assert [(r.label, r.total) for r in figures.by_owner_role] == [("Auditor", 20)]
    assert [(r.label, r.total) for r in figures.by_agency] == [("Health", 5), ("SEND and EHC service", 15)]


def test_rag_is_red_past_a_quarter_overdue_amber_for_any() -> None:
    assert [rag(8, 0), rag(8, 1), rag(8, 2), rag(8, 3)] == ["green", "amber", "amber", "red"]


def test_a_hidden_part_hides_the_open_figure_and_its_rag(session: Session, made: Made, summer: ReportPeriod) -> None:
    # Three "Child's voice" actions cancelled: 3 is small, so hidden, and with it the smallest
    # other cell of its row (on time, 5: a cell before the total, the first of two 5s).
    source = made.audits[0].id
    for _ in range(3):
        session.add(Action(audit_id=source, description="Cancelled", owner_id=made.coordinator.id,
                           agency_code="send_service", due_date=date(2026, 5, 1), status="cancelled",
                           theme="Child's voice", created_by_id=made.coordinator.id, closing_note="Not needed."))
    session.flush()
    row = next(r for r in actions_summary(session, summer, today=TODAY).by_theme if r.label == "Child's voice")
    assert (row.on_time, row.overdue, row.cancelled, row.total) == (C, 5, C, 13)
    assert row.open is C and row.rag is None


def test_a_figure_is_computed_once_per_report_and_afresh_after_it(
    session: Session, made: Made, summer: ReportPeriod
) -> None:
    """The board pack shows the actions on the Summary and on their own sheet: one computation."""
    with computed_once():
        first = actions_summary(session, summer, today=TODAY)
        assert actions_summary(session, summer, today=TODAY) is first
        assert actions_summary(session, summer, today=date(2026, 1, 5)) is not first  # other arguments
        session.add(Action(audit_id=made.audits[0].id, description="Raised after the first look",
                           owner_id=made.coordinator.id, agency_code="send_service", due_date=date(2026, 7, 1),
                           status="open", theme="Child's voice", created_by_id=made.coordinator.id))
        session.flush()
        assert actions_summary(session, summer, today=TODAY).total == 20  # one snapshot per report
    assert first.total == 20
    assert actions_summary(session, summer, today=TODAY).total == 21  # afresh outside
