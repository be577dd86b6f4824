"""The schema: migrations from empty, no drift, optimistic locking, the append-only trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qaframework.operations.base import record
from qaframework.store import Audit, Base, TrailEntry, TrailIsAppendOnly
from qaframework.store.db import make_engine
from qaframework.store.migrate import current_revision, downgrade, head_revision, schema_drift, upgrade
from tests.support import MakeCase, MakeUser, TemplateVersionOf, scratch_database


def test_upgrade_from_empty_creates_every_table_with_no_drift(tmp_path: Path) -> None:
    with scratch_database(tmp_path, "qa_migrations") as url:
        engine = make_engine(url)
        try:
            assert current_revision(engine) is None
            upgrade(engine)
            assert current_revision(engine) == head_revision()
            assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
            assert schema_drift(engine) == []
            downgrade(engine, "base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            upgrade(engine)  # the round trip leaves a working schema
            assert schema_drift(engine) == []
        finally:
            engine.dispose()


def test_single_migration_head() -> None:
    from alembic.script import ScriptDirectory

    from qaframework.store.migrate import alembic_config

    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_trail_entries_cannot_be_changed_or_deleted(session: Session) -> None:
    entry = record(session, None, "test.event", "thing", 1, before={"a": 1}, after={"a": 2})
    session.commit()
    entry.action = "tampered"
    with pytest.raises(TrailIsAppendOnly):
        session.flush()
    session.rollback()
    session.delete(session.get(TrailEntry, entry.id))
    with pytest.raises(TrailIsAppendOnly):
        session.flush()


def test_stale_audit_write_is_refused_by_version_column(
    engine: Engine, session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    from qaframework.operations.audits import start_audit

    auditor = make_user()
    audit = start_audit(
        session,
        auditor,
        case_id=make_case().id,
        template_version_id=template_version("t1-coordinator-plan-check").id,
        subject="final_plan",
    )
    version = audit.version_id
    # A second, independent connection changes the row first.
    session.execute(
        update(Audit).where(Audit.id == audit.id).values(version_id=version + 1),
        execution_options={"synchronize_session": False},  # the session must not hear of it
    )
    audit.summary = "my change"
    with pytest.raises(StaleDataError):
        session.flush()
    session.rollback()
    assert session.scalar(select(Audit.summary).where(Audit.id == audit.id)) is None


def test_concurrent_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    """A reads, B writes and commits meanwhile, then A writes through an operation. With a deferred
    SQLite transaction A would fail at once with "database is locked"; operations take the write
    lock when they start, so writers queue instead and both succeed (as web requests do)."""
    import threading
    import time

    from qaframework.operations.settings import set_setting
    from qaframework.store import AreaSetting
    from qaframework.store.db import session_factory

    with scratch_database(tmp_path, "qa_concurrency") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            sessions = session_factory(engine, writes=False)  # as the web app's requests
            errors: list[BaseException] = []

            def work(key: str, delay_before: float, hold: float) -> None:
                time.sleep(delay_before)
                try:
                    with sessions() as s:
                        s.scalar(select(AreaSetting.key))
                        time.sleep(hold)
                        set_setting(s, None, key, 1)
                except BaseException as exc:
                    errors.append(exc)

            threads = [
                threading.Thread(target=work, args=("a", 0.0, 0.6)),
                threading.Thread(target=work, args=("b", 0.2, 0.0)),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=20)
            assert errors == []
            with sessions() as s:
                written = select(AreaSetting.key).where(AreaSetting.key.in_(["a", "b", "c"]))
                assert sorted(s.scalars(written)) == ["a", "b"]
        finally:
            engine.dispose()
