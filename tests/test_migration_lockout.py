"""Migration 0012 drops the unused lock-out columns of ``users`` in place: nobody and nothing that
refers to a user is lost (a table recreate on SQLite would cascade deletes to their sessions)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from qaframework.store.db import make_engine
from qaframework.store.migrate import downgrade, upgrade
from tests.support import scratch_database


def _user_columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("users")}


def test_lockout_columns_go_and_users_and_their_sessions_stay(tmp_path: Path) -> None:
    with scratch_database(tmp_path, "qa_migration_lockout") as url:
        engine = make_engine(url)
        try:
            upgrade(engine, "0011")
            with engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO users (id, email, display_name, password_hash, role, is_team_manager, active, "
                    "failed_sign_ins, locked_until, created_at, leads_panel) VALUES (1, 'p@example.test', 'P', 'x', "
                    "'admin', false, true, 3, :now, :now, false)"), {"now": "2026-11-27 10:00:00+00:00"})
                conn.execute(text(
                    "INSERT INTO user_sessions (token_hash, user_id, created_at, last_seen_at) "
                    "VALUES (:hash, 1, :now, :now)"), {"hash": "a" * 64, "now": "2026-11-27 10:00:00+00:00"})
            upgrade(engine, "0012")
            assert {"failed_sign_ins", "locked_until"}.isdisjoint(_user_columns(engine))
            with engine.connect() as conn:
                assert conn.execute(text("SELECT email FROM users")).scalars().all() == ["p@example.test"]
                assert conn.execute(text("SELECT user_id FROM user_sessions")).scalars().all() == [1]
            downgrade(engine, "0011")
            assert {"failed_sign_ins", "locked_until"} <= _user_columns(engine)
            with engine.connect() as conn:
                row = conn.execute(text("SELECT failed_sign_ins, locked_until FROM users")).one()
                assert tuple(row) == (0, None)
                assert conn.execute(text("SELECT count(*) FROM user_sessions")).scalar_one() == 1
        finally:
            engine.dispose()
