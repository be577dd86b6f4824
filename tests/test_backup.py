"""`qa backup` and `qa restore`: a round trip gives back every table, row for row (both databases)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import MetaData, select

from qaframework.cli import main
from qaframework.framework import Rating, Role
from qaframework.operations.audits import Judgement, ResponseInput, save_answers, save_judgement, start_audit
from qaframework.operations.users import add_user
from qaframework.store import Case, Request, TemplateVersion, User
from qaframework.store.db import make_engine, session_factory
from tests.support import TEST_PASSWORD, scratch_database, submitted_check


def qa(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", url, *args], catch_exceptions=False)


def contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in a stable order, as the database returns them."""
    engine = make_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                    for name, table in meta.tables.items()}
    finally:
        engine.dispose()


def populate(url: str) -> None:
    """A set-up service with people, a case, a submitted check and a draft with free text."""
    assert qa(url, "init").exit_code == 0
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            admin = User(email="admin@example.test", display_name="Admin", password_hash="x", role=Role.ADMIN.value)
            session.add(admin)
            session.commit()
            auditor = add_user(session, admin, email="aud@example.test", password=TEST_PASSWORD,
                               role=Role.AUDITOR.value, agency_code="send_service", team="North")
            case = Case(case_ref="BK0001", year_group="9", primary_need="SEMH", setting_type="Special", team="North")
            case.requests.append(Request(request_date=date(2026, 2, 3), outcome="issued"))
            session.add(case)
            session.commit()
            t1 = TemplateVersion.template_id == "t1-coordinator-plan-check"
            tv = session.scalar(select(TemplateVersion).where(t1))
            assert tv is not None
            submitted_check(session, auditor, case.id, tv.id)
            draft = start_audit(session, auditor, case_id=case.id, template_version_id=tv.id, subject="draft_plan")
            question = next(q.id for q in draft.template.questions())
            save_answers(session, auditor, draft.id, draft.version_id,
                         {question: ResponseInput(Rating.PARTIALLY_MET.value, "Outcomes are vague — “see notes”")})
            save_judgement(session, auditor, draft.id, draft.version_id, Judgement(summary="Needs work ✓"))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Set up once (``qa init`` loads every checklist): the tests only read it."""
    with scratch_database(tmp_path_factory.mktemp("source"), "qa_backup_source") as url:
        populate(url)
        yield url


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    with scratch_database(tmp_path, "qa_backup_target") as url:
        yield url


def test_round_trip_gives_back_every_table(source: str, target: str, tmp_path: Path) -> None:
    file = tmp_path / "backups" / "qa.backup"
    made = qa(source, "backup", str(file))
    assert made.exit_code == 0, made.output
    assert "Backed up" in made.output and stat.S_IMODE(file.stat().st_mode) == 0o600
    restored = qa(target, "restore", str(file))
    assert restored.exit_code == 0, restored.output
    before, after = contents(source), contents(target)
    assert set(after) == set(before) and len(before) > 25
    for table, rows in before.items():
        assert after[table] == rows, table
    assert len(before["responses"]) > 50 and len(before["audit_trail"]) > 3  # real content was compared
    assert qa(target, "users", "list").output.count("@example.test") == 2  # the restored service works


def test_restore_refuses_a_database_holding_data_unless_forced(source: str, target: str, tmp_path: Path) -> None:
    file = tmp_path / "qa.backup"
    assert qa(source, "backup", str(file)).exit_code == 0
    assert qa(target, "init").exit_code == 0  # the target now holds agencies and checklists
    held = contents(target)
    refused = qa(target, "restore", str(file))
    assert refused.exit_code == 1 and "already holds data" in refused.output and "--force" in refused.output
    assert contents(target) == held  # nothing changed
    forced = qa(target, "restore", "--force", str(file))
    assert forced.exit_code == 0, forced.output
    assert contents(target) == contents(source)


def test_restore_refuses_a_file_that_is_not_a_backup(target: str, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("case_ref,year\n")
    result = qa(target, "restore", str(bogus))
    assert result.exit_code == 1 and "notes.txt is not a backup of this service" in result.output
    assert contents(target) == {}  # nothing was created
