"""Migration 0009 (blind moderation) keeps existing moderation records and goes back down cleanly."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from qaframework.store.db import make_engine
from qaframework.store.migrate import downgrade, upgrade
from tests.support import scratch_database

BEFORE, MINE = "0008", "0009"


def test_blind_moderation_tables_added_and_removed(tmp_path: Path) -> None:
    with scratch_database(tmp_path, "qa_migration_moderation") as url:
        engine = make_engine(url)
        try:
            upgrade(engine, BEFORE)
            with engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO users (id, email, display_name, password_hash, role, is_team_manager, active, "
                    "failed_sign_ins, created_at) "
                    "VALUES (1, 'p@example.test', 'P', 'x', 'panel_member', false, true, 0, '2026-01-01')"
                ))
                conn.execute(text(
                    "INSERT INTO cases (id, case_ref, created_at, updated_at) "
                    "VALUES (1, 'M-1', '2026-01-01', '2026-01-01')"
                ))
                conn.execute(text(
                    "INSERT INTO template_versions (id, template_id, version, title, tier, agencies, subjects, "
                    "content, checksum, retired, loaded_at) "
                    "VALUES (1, 't', 1, 'T', 1, '[]', '[]', '{}', 'c', false, '2026-01-01')"
                ))
                conn.execute(text(
                    "INSERT INTO audits (id, case_id, template_version_id, subject, tier, auditor_id, status, cycle, "
                    "exemplary_sections, created_at, updated_at, version_id) VALUES (1, 1, 1, 'final_plan', 1, 1, "
                    "'moderated', '2025-26 Autumn 1', '[]', '2026-01-01', '2026-01-01', 1)"
                ))
                conn.execute(text(
                    "INSERT INTO moderation_records (audit_id, moderator_id, blind_grade, original_grade, "
                    "agreed_grade, section_grades, created_at) "
                    "VALUES (1, 1, 'good', 'good', 'good', '{}', '2026-01-01')"
                ))
            upgrade(engine, MINE)
            names = set(inspect(engine).get_table_names())
            assert {"moderation_ratings", "moderation_section_grades"} <= names
            assert "moderation_reason" in {c["name"] for c in inspect(engine).get_columns("section_grades")}
            with engine.connect() as conn:
                assert conn.execute(text("SELECT blind_grade FROM moderation_records")).scalar() == "good"
            downgrade(engine, BEFORE)
            names = set(inspect(engine).get_table_names())
            assert "moderation_ratings" not in names and "moderation_section_grades" not in names
            with engine.connect() as conn:  # the record and its audit survived both ways
                assert conn.execute(text("SELECT COUNT(*) FROM moderation_records")).scalar() == 1
                assert conn.execute(text("SELECT COUNT(*) FROM audits")).scalar() == 1
        finally:
            engine.dispose()
