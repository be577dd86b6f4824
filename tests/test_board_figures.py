"""The board's figures against a small hand-made set of audits and actions (both databases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from qaframework.framework import AuditStatus
from qaframework.reports.figures import (
    OTHER_THEMES,
    BoardFilters,
    ReportPeriod,
    actions_summary,
    audits_by_tier,
    good_or_better_by_tier,
    grade_distribution,
    moderation_agreement,
    rag,
    report_period,
    tier4_experience,
    trend_by_half_term,
)
from qaframework.reports.suppression import SUPPRESSED
from qaframework.store import Action, Audit, ReviewConversation, User
from tests.support import MakeCase, MakeUser, TemplateVersionOf

C = SUPPRESSED
S1 = "2025-26 Summer 1"
SP2 = "2025-26 Spring 2"
TODAY = date(2026, 6, 1)


@dataclass
class Made:
    coordinator: User
    audits: list[Audit]


def _audit(session: Session, case_id: int, tv_id: int, auditor: User, *, tier: int, cycle: str, grade: str,
           moderated: str | None = None, agency: str | None = "send_service",
           status: AuditStatus = AuditStatus.SUBMITTED) -> Audit:
    audit = Audit(case_id=case_id, template_version_id=tv_id, subject="final_plan", tier=tier, agency_code=agency,
                  auditor_id=auditor.id, status=status.value, cycle=cycle, auditor_grade=grade,
                  moderated_grade=moderated, submitted_at=datetime(2026, 5, 1, tzinfo=UTC))
    session.add(audit)
    session.flush()
    return audit


@pytest.fixture
def made(session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf) -> Made:
    coordinator = make_user(agency="send_service")
    health = make_user(agency="health")
    primary = make_case(year_group="5").id
    secondary = make_case(year_group="9").id
    t1 = template_version("t1-coordinator-plan-check").id
    t2 = template_version("t2-health-advice-audit").id
    t3 = template_version("t3-multi-agency-new-plan").id
    t4 = template_version("t4-system-leader-review").id
    audits = []
    # Tier 1 in Summer 1: (auditor's grade, moderated grade). Reported: 1 outstanding, 5 good, 3 RI, 1 inadequate.
    for grade, moderated in [("outstanding", None), ("good", "good"), ("good", "good"), ("good", "good"),
                             ("good", None), ("good", None), ("good", "requires_improvement"),
                             ("requires_improvement", "requires_improvement"), ("requires_improvement", None)]:
        audits.append(_audit(session, primary, t1, coordinator, tier=1, cycle=S1, grade=grade, moderated=moderated))
    audits.append(_audit(session, secondary, t1, coordinator, tier=1, cycle=S1, grade="inadequate"))
    # Not counted: a draft and returned work.
    _audit(session, primary, t1, coordinator, tier=1, cycle=S1, grade="good", status=AuditStatus.DRAFT)
    _audit(session, primary, t1, coordinator, tier=1, cycle=S1, grade="good", status=AuditStatus.RETURNED)
    # Tier 1 in Spring 2: 5 good of 8.
    for grade in ["good"] * 5 + ["requires_improvement"] * 3:
        _audit(session, primary, t1, coordinator, tier=1, cycle=SP2, grade=grade)
    # Tier 2 (health) in Summer 1: 5 good (primary), 2 RI (secondary).
    for grade, case_id in [("good", primary)] * 5 + [("requires_improvement", secondary)] * 2:
        _audit(session, case_id, t2, health, tier=2, cycle=S1, grade=grade, agency="health")
    # Tier 3: a good and an RI, no single agency.
    for grade in ("good", "requires_improvement"):
        _audit(session, primary, t3, coordinator, tier=3, cycle=S1, grade=grade, agency=None)
    # Tier 4: two Positive reviews, only one with its board summary approved.
    for approved in (True, False):
        review = _audit(session, primary, t4, coordinator, tier=4, cycle=S1, grade="positive", agency=None)
        session.add(ReviewConversation(audit_id=review.id, board_summary="A summary.",
                                       board_approved_at=datetime(2026, 5, 2, tzinfo=UTC) if approved else None))
    # Actions from the first Tier 1 audit: "Child's voice" 10 open (5 overdue on 1 June); five done,
    # each with a theme typed once (one of them a name), so they are only "Other themes".
    source = audits[0].id
    for n in range(10):
        session.add(Action(audit_id=source, description=f"Gather the child's views {n}", owner_id=coordinator.id,
                           agency_code="send_service", due_date=date(2026, 5, 1) if n < 5 else date(2026, 7, 1),
                           status="open" if n % 2 else "in_progress", theme="Child's voice",
                           created_by_id=coordinator.id))
    for n, theme in enumerate(["Ask Jo Bloggs", "Spelling", "Dates", "Tone", "Layout"]):
        session.add(Action(audit_id=source, description=f"Done {n}", owner_id=coordinator.id,
                           agency_code="send_service", due_date=date(2026, 5, 1), status="done", theme=theme,
                           created_by_id=coordinator.id, closing_note="Done."))
    session.flush()
    return Made(coordinator, audits)


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
    assert (figures.open, figures.on_time, figures.overdue, figures.done, figures.total) == (10, 5, 5, 5, 15)
    themes = [(r.label, r.open, r.on_time, r.overdue, r.done, r.total, r.rag) for r in figures.by_theme]
    # A theme typed on fewer than 5 actions is never shown by its words (it may be a name).
    # 5 of 10 open overdue is more than a quarter: red.
    assert themes == [("Child's voice", 10, 5, 5, 0, 10, "red"), (OTHER_THEMES, 0, 0, 0, 5, 5, None)]
    assert [(r.label, r.total) for r in figures.by_owner_role] == [("Auditor", 15)]
    assert [(r.label, r.total) for r in figures.by_agency] == [("SEND and EHC service", 15)]


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
    row = actions_summary(session, summer, today=TODAY).by_theme[0]
    assert (row.on_time, row.overdue, row.cancelled, row.total) == (C, 5, C, 13)
    assert row.open is C and row.rag is None
