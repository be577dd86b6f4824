"""The area's timeliness by year and month, against a case list worked out by hand (both databases)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from qaframework.cli import main
from qaframework.operations.timeliness import (
    CSV_COLUMNS,
    PeriodKind,
    parse_period_date,
    percentage,
    periods,
    timeliness_by_period,
)
from qaframework.store import Case, Request
from tests.support import scratch_database

D = date

#: (request date, decision to assess, assessment outcome date, final plan, outcome, exception, kind)
Row = tuple[date, date | None, date | None, date | None, str, str | None, str]
HAND_MADE: list[Row] = [
    # R1: day 140 exactly (10 Jan + 140 days = 30 May): within 20 weeks.
    (D(2023, 1, 10), D(2023, 2, 10), D(2023, 4, 20), D(2023, 5, 30), "issued", None, "assessment"),
    # R2: 150 days, an exception recorded: late, and out of the "excluding exceptions" figures.
    (D(2023, 2, 1), D(2023, 3, 1), D(2023, 5, 1), D(2023, 7, 1), "issued", "unspecified", "assessment"),
    # R3: 153 days, no exception: late.
    (D(2023, 3, 1), D(2023, 4, 1), D(2023, 6, 1), D(2023, 8, 1), "issued", None, "assessment"),
    # R4: refused to assess.
    (D(2023, 5, 10), D(2023, 6, 1), None, None, "refused_to_assess", None, "assessment"),
    # R5: refused to issue.
    (D(2023, 5, 20), D(2023, 6, 10), D(2023, 9, 1), None, "refused_to_issue", None, "assessment"),
    # R6: received in 2023, plan in 2024 after 107 days: counted as a request in 2023, a plan in 2024.
    (D(2023, 11, 15), D(2023, 12, 20), D(2024, 2, 1), D(2024, 3, 1), "issued", None, "assessment"),
    # R7: still open.
    (D(2023, 12, 1), None, None, None, "in_progress", None, "assessment"),
    # R8: a re-assessment (14 weeks): not part of the DfE 20-week measure nor of the requests.
    (D(2023, 6, 1), D(2023, 6, 10), None, D(2023, 8, 1), "issued", None, "reassessment"),
]


def _store(session: Session, rows: list[Row]) -> None:
    for n, (received, decided, outcome_date, final, outcome, exception, kind) in enumerate(rows, start=1):
        case = Case(case_ref=f"TL{n:03d}", team="North")
        case.requests.append(Request(
            request_date=received, decision_to_assess_date=decided, assessment_outcome_date=outcome_date,
            final_issued_date=final, outcome=outcome, exception=exception, kind=kind,
        ))
        session.add(case)
    session.flush()


def _csv(session: Session, kind: PeriodKind, start: date | None = None, end: date | None = None) -> list[str]:
    return [",".join(r.csv_row()) for r in timeliness_by_period(session, None, kind, start, end).rows]


def test_by_year_matches_the_hand_count(session: Session) -> None:
    _store(session, HAND_MADE)
    assert _csv(session, PeriodKind.YEAR) == [
        # 7 first requests; 3 plans, 1 within (R1) = 33.3; excluding R2's exception 1 of 2 = 50.0;
        # one refusal to assess and one to issue out of 7 requests = 14.3 each.
        "2023,7,3,33.3,50.0,14.3,14.3",
        # R6 alone: 1 plan, within; no requests received, so no refusal percentage.
        "2024,0,1,100.0,100.0,,",
    ]


def test_by_month_has_a_row_for_every_month_even_empty_ones(session: Session) -> None:
    _store(session, HAND_MADE)
    rows = _csv(session, PeriodKind.MONTH, D(2023, 1, 1), D(2023, 8, 31))
    assert rows == [
        "2023-01,1,0,,,0.0,0.0",
        "2023-02,1,0,,,0.0,0.0",
        "2023-03,1,0,,,0.0,0.0",
        "2023-04,0,0,,,,",  # nothing received, nothing issued: counts of 0 and no percentages
        "2023-05,2,1,100.0,100.0,50.0,50.0",  # R4, R5 received; R1 issued on day 140
        "2023-06,0,0,,,,",  # R8 is a re-assessment: not counted
        "2023-07,0,1,0.0,,,",  # R2, late with an exception: no plan left once exceptions are excluded
        "2023-08,0,1,0.0,0.0,,",  # R3, late
    ]


def test_from_and_to_cut_the_first_and_last_periods(session: Session) -> None:
    _store(session, HAND_MADE)
    # 15–31 May: R5 received (R4 on the 10th is outside), R1's plan issued on the 30th.
    assert _csv(session, PeriodKind.MONTH, D(2023, 5, 15), D(2023, 5, 31)) == ["2023-05,1,1,100.0,100.0,0.0,100.0"]
    table = timeliness_by_period(session, None, PeriodKind.YEAR, D(2023, 5, 15), D(2024, 1, 31))
    assert [(r.period.label, r.period.start, r.period.end) for r in table.rows] == [
        ("2023", D(2023, 5, 15), D(2023, 12, 31)), ("2024", D(2024, 1, 1), D(2024, 1, 31))]


def test_an_empty_database_has_no_rows_and_a_given_range_has_empty_ones(session: Session) -> None:
    assert timeliness_by_period(session, None, PeriodKind.MONTH).rows == []
    assert _csv(session, PeriodKind.MONTH, D(2022, 11, 1), D(2022, 12, 31)) == ["2022-11,0,0,,,,", "2022-12,0,0,,,,"]


def test_contradictory_dates_are_left_out_and_counted(session: Session) -> None:
    # A plan "issued" before it was requested cannot be timed; it must not crash the report.
    _store(session, [(D(2023, 6, 1), None, None, D(2023, 5, 1), "issued", None, "assessment"), *HAND_MADE[:1]])
    table = timeliness_by_period(session, None, PeriodKind.YEAR, D(2023, 1, 1), D(2023, 12, 31))
    assert table.skipped == 1
    assert [",".join(r.csv_row()) for r in table.rows] == ["2023,1,1,100.0,100.0,0.0,0.0"]


def test_percentages_round_half_up_to_one_place() -> None:
    assert percentage(1, 8) == Decimal("12.5")
    assert percentage(1, 16) == Decimal("6.3")  # 6.25: a float's round() would give 6.2
    assert percentage(2, 3) == Decimal("66.7")
    assert percentage(0, 5) == Decimal("0.0")
    assert percentage(3, 0) is None


def test_period_dates_and_periods() -> None:
    assert parse_period_date("2023", end=False) == D(2023, 1, 1)
    assert parse_period_date("2023", end=True) == D(2023, 12, 31)
    assert parse_period_date("2024-02", end=True) == D(2024, 2, 29)
    assert parse_period_date("2023-05-17", end=True) == D(2023, 5, 17)
    with pytest.raises(ValueError, match="2023-13"):
        parse_period_date("2023-13", end=False)
    assert [p.label for p in periods(PeriodKind.MONTH, D(2023, 11, 20), D(2024, 2, 3))] == [
        "2023-11", "2023-12", "2024-01", "2024-02"]


CASE_FILE = """case_ref,request_date,decision_to_assess_date,assessment_outcome_date,final_issued_date,outcome,exception
C1,2023-01-10,2023-02-10,2023-04-20,2023-05-30,issued,
C2,2023-02-01,2023-03-01,2023-05-01,2023-07-01,issued,unspecified
C3,2023-05-10,2023-06-01,,,refused_to_assess,
"""


def test_qa_timeliness_prints_csv_and_a_table(tmp_path: Path) -> None:
    runner = CliRunner()
    cases = tmp_path / "cases.csv"
    cases.write_text(CASE_FILE)
    with scratch_database(tmp_path, "qa_timeliness") as url:
        assert runner.invoke(main, ["--database-url", url, "init"]).exit_code == 0
        imported = runner.invoke(main, ["--database-url", url, "cases", "import", str(cases)])
        assert imported.exit_code == 0, imported.output
        result = runner.invoke(main, ["--database-url", url, "timeliness", "--by", "month", "--from", "2023-05",
                                      "--to", "2023-07", "--format", "csv"])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == [
            ",".join(CSV_COLUMNS),
            "2023-05,1,1,100.0,100.0,100.0,0.0",
            "2023-06,0,0,,,,",
            "2023-07,0,1,0.0,,,",
        ]
        table = runner.invoke(main, ["--database-url", url, "timeliness", "--by", "year"])
        assert table.exit_code == 0, table.output
        lines = table.output.splitlines()
        assert lines[0].split()[:2] == ["Period", "Requests"]
        # 3 requests; 2 plans, 1 within (50.0); excluding C2's exception 1 of 1; 1 of 3 refused to assess.
        assert lines[1].split() == ["2023", "3", "2", "50.0", "100.0", "33.3", "0.0"]
        bad = runner.invoke(main, ["--database-url", url, "timeliness", "--by", "year", "--from", "2024",
                                   "--to", "2023"])
        assert bad.exit_code != 0 and "before the start date" in bad.output
