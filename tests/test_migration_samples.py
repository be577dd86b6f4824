"""Migration 0007 keeps existing samples and their items while ``created_by_id`` becomes optional."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from qaframework.store.db import make_engine
from qaframework.store.migrate import downgrade, schema_drift, upgrade
from tests.support import scratch_database


def test_sample_items_survive_the_table_copy_and_gain_a_reason(tmp_path: Path) -> None:
    with scratch_database(tmp_path, "qa_migration_samples") as url:
        engine = make_engine(url)
        try:
            upgrade(engine, "0006")
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO users (id, email, display_name, password_hash, role, is_team_manager, "
                                  "active, failed_sign_ins, created_at) VALUES (1, 'p@example.test', 'P', 'x', "
                                  "'panel_member', false, true, 0, :now)"), {"now": "2026-01-01"})
                conn.execute(text("INSERT INTO cases (id, case_ref, created_at, updated_at) "
                                  "VALUES (1, 'C1', :now, :now), (2, 'C2', :now, :now)"), {"now": "2026-01-01"})
                conn.execute(text("INSERT INTO samples (id, cycle, kind, seed, size, criteria, created_by_id, "
                                  "created_at) VALUES (1, '2025-26 Autumn 1', 'cases', 5, 2, '{}', 1, :now)"),
                             {"now": "2026-01-01"})
                conn.execute(text("INSERT INTO sample_items (id, sample_id, case_id) VALUES (1, 1, 1), (2, 1, 2)"))
            upgrade(engine)
            assert schema_drift(engine) == []
            with engine.begin() as conn:
                items = conn.execute(text("SELECT id, sample_id, case_id, reason FROM sample_items ORDER BY id")).all()
                assert [tuple(row) for row in items] == [(1, 1, 1, "stratum"), (2, 1, 2, "stratum")]
                conn.execute(text("INSERT INTO samples (id, cycle, kind, seed, size, criteria, created_at) "
                                  "VALUES (2, '2025-26 Autumn 1', 'cases', 6, 0, '{}', :now)"), {"now": "2026-01-02"})
                conn.execute(text("INSERT INTO sample_assignments (sample_id, user_id, assigned_at) "
                                  "VALUES (1, 1, :now)"), {"now": "2026-01-02"})
            downgrade(engine, "0006")
            with engine.connect() as conn:
                assert conn.execute(text("SELECT id FROM samples")).scalars().all() == [1]  # the unsigned one goes
                assert conn.execute(text("SELECT COUNT(*) FROM sample_items")).scalar() == 2
        finally:
            engine.dispose()
