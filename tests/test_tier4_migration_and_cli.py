"""Migration 0010 keeps earlier consent decisions meaning what they meant, and ``qa retention purge``
deletes Tier 4 notes past their retention period (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select, text

from qaframework.cli import main
from qaframework.framework import Role
from qaframework.store import Audit, Case, ConsentRecord, ReviewConversation, TemplateVersion, TrailEntry, User
from qaframework.store.db import make_engine, session_factory
from qaframework.store.migrate import downgrade, upgrade
from tests.support import scratch_database


def test_existing_consent_decisions_keep_their_meaning(tmp_path: Path) -> None:
    with scratch_database(tmp_path, "qa_migration_tier4") as url:
        engine = make_engine(url)
        try:
            upgrade(engine, "0009")
            now = datetime(2026, 1, 1, tzinfo=UTC)
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO users (id, email, display_name, password_hash, role, is_team_manager, "
                                  "active, failed_sign_ins, created_at, leads_panel) VALUES "
                                  "(1, 'l@x.test', 'L', 'h', 'system_leader', false, true, 0, :now, false)"),
                             {"now": now})
                conn.execute(text("INSERT INTO cases (id, case_ref, created_at, updated_at) "
                                  "VALUES (1, 'C1', :now, :now)"), {"now": now})
                conn.execute(text("INSERT INTO consent_records (case_id, given_by, decision, recorded_by_id, "
                                  "recorded_at) VALUES (1, 'parent_carer', 'given', 1, :now), "
                                  "(1, 'parent_carer', 'refused', 1, :now)"), {"now": now})
            upgrade(engine, "0010")
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT decision, scope FROM consent_records ORDER BY id")).all()
            scopes = [(d, s if isinstance(s, list) else json.loads(s)) for d, s in rows]
            assert scopes == [("given", ["conversation"]), ("refused", [])]
            downgrade(engine, "0009")
            with engine.connect() as conn:
                columns = set(conn.execute(text("SELECT * FROM consent_records")).keys())
                assert conn.execute(text("SELECT COUNT(*) FROM consent_records")).scalar() == 2
            assert "scope" not in columns and "expires_on" not in columns
        finally:
            engine.dispose()


def test_qa_retention_purge(tmp_path: Path) -> None:
    with scratch_database(tmp_path, "qa_cli_tier4") as url:
        runner = CliRunner()
        assert runner.invoke(main, ["--database-url", url, "init"], catch_exceptions=False).exit_code == 0
        engine = make_engine(url)
        try:
            with session_factory(engine)() as session:
                leader = User(email="l@x.test", display_name="L", password_hash="h", role=Role.SYSTEM_LEADER.value)
                case = Case(case_ref="PURGE1")
                session.add_all([leader, case])
                session.flush()
                tv = session.scalar(select(TemplateVersion).where(
                    TemplateVersion.template_id == "t4-system-leader-review").order_by(TemplateVersion.version.desc()))
                assert tv is not None
                submitted = datetime(2026, 6, 1, 12, tzinfo=UTC)
                audit = Audit(case_id=case.id, template_version_id=tv.id, subject="final_plan", tier=4,
                              auditor_id=leader.id, status="submitted", cycle="2025-26 Summer 2",
                              exemplary_sections=[], submitted_at=submitted)
                session.add(audit)
                session.flush()
                session.add(ConsentRecord(case_id=case.id, audit_id=audit.id, given_by="parent_carer",
                                          decision="given", scope=["conversation", "notes"],
                                          asked_on=date(2026, 5, 1), expires_on=date(2027, 5, 1),
                                          recorded_by_id=leader.id))
                session.add(ReviewConversation(audit_id=audit.id, participants=["parent_carer"], ratings={},
                                               family_words={"T4-04": "Their words"}, notes="Raw notes",
                                               board_checks=[]))
                session.commit()
                audit_id = audit.id
            early = runner.invoke(main, ["--database-url", url, "retention", "purge", "--today", "2026-08-01"])
            assert "Deleted the notes of 0 Tier 4 review(s)" in early.output
            late = runner.invoke(main, ["--database-url", url, "retention", "purge", "--today", "2026-09-15"])
            assert late.exit_code == 0, late.output
            assert "Deleted the notes of 1 Tier 4 review(s): 1 after 90 days, 0 whose consent" in late.output
            with session_factory(engine)() as session:
                kept = session.scalar(select(ReviewConversation).where(ReviewConversation.audit_id == audit_id))
                assert kept is not None and (kept.notes, kept.family_words) == (None, {})
                deleted = session.scalar(select(TrailEntry).where(TrailEntry.action == "review.notes_deleted"))
                assert deleted is not None and deleted.after == {"reason": "retention"} and deleted.actor_id is None
        finally:
            engine.dispose()
