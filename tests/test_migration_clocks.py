"""Migration 0002 moves existing data: birth month → academic year of birth, last review → a review decision."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import text

from qaframework.store.db import make_engine
from qaframework.store.migrate import downgrade, upgrade
from tests.support import scratch_database


def test_birth_month_becomes_cohort_and_last_review_a_decision(tmp_path: Path) -> None:
    with scratch_database(tmp_path, "qa_migration_clocks") as url:
        engine = make_engine(url)
        try:
            upgrade(engine, "0001")
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO cases (id, case_ref, birth_month, last_review_date, created_at, updated_at) "
                        "VALUES "
                        "(1, 'AUG-1', :aug, :review, :now, :now), (2, 'SEP-1', :sep, NULL, :now, :now), "
                        "(3, 'NONE-1', NULL, NULL, :now, :now)"
                    ),
                    {
                        "aug": date(2013, 8, 1),
                        "sep": date(2013, 9, 1),
                        "review": date(2025, 3, 10),
                        "now": date(2026, 1, 1),
                    },
                )
                conn.execute(
                    text(
                        "INSERT INTO requests (case_id, request_date, outcome, created_at, updated_at) "
                        "VALUES (1, :day, 'in_progress', :day, :day)"
                    ),
                    {"day": date(2025, 1, 6)},
                )
            upgrade(engine, "0002")
            with engine.connect() as conn:
                cohorts: dict[str, int | None] = {
                    row[0]: row[1] for row in conn.execute(text("SELECT case_ref, birth_cohort FROM cases"))
                }
                reviews = conn.execute(text("SELECT case_id, meeting_date, decision_date FROM reviews")).all()
                columns = set(conn.execute(text("SELECT * FROM cases")).keys())
            assert cohorts == {"AUG-1": 2012, "SEP-1": 2013, "NONE-1": None}  # 1 September cut-off
            assert [(r[0], r[1], str(r[2])) for r in reviews] == [(1, None, "2025-03-10")]
            assert "birth_month" not in columns and "last_review_date" not in columns
            with engine.connect() as conn:  # altering cases in place kept its requests (no cascade)
                assert conn.execute(text("SELECT case_id, kind FROM requests")).all() == [(1, "assessment")]

            downgrade(engine, "0001")
            with engine.connect() as conn:
                rows = {
                    r[0]: (str(r[1]) if r[1] else None, str(r[2]) if r[2] else None)
                    for r in conn.execute(text("SELECT case_ref, birth_month, last_review_date FROM cases"))
                }
                left = conn.execute(text("SELECT COUNT(*) FROM reviews")).scalar()
            assert rows == {
                "AUG-1": ("2012-09-01", "2025-03-10"),
                "SEP-1": ("2013-09-01", None),
                "NONE-1": (None, None),
            }
            assert left == 0
            with engine.connect() as conn:
                assert conn.execute(text("SELECT COUNT(*) FROM requests")).scalar() == 1
        finally:
            engine.dispose()
