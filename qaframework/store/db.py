"""Engines and sessions for the embedded SQLite default and for PostgreSQL.

SQLite gets the pragmas a multi-worker web app needs (WAL, foreign keys, a busy timeout) and the
"pysqlite savepoints" recipe, without which nested transactions silently misbehave.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"


def instance_path() -> Path:
    """The folder holding local config and the SQLite database (``QA_INSTANCE_PATH`` overrides)."""
    return Path(os.environ.get("QA_INSTANCE_PATH") or DEFAULT_INSTANCE_PATH)


def database_url(explicit: str | None = None) -> str:
    """``DATABASE_URL`` selects PostgreSQL; otherwise the embedded SQLite file in ``instance/``."""
    url = explicit or os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    path = instance_path()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'qa.sqlite'}"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (savepoint recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes cannot wait for a busy writer: SQLite
        # answers "database is locked" at once. Writers begin IMMEDIATE, so busy_timeout applies.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


WRITE_OPTION = "qa_writes"


def writer(engine: Engine) -> Engine:
    """The same engine (and pool), for sessions that will write: on SQLite they take the write lock
    when they begin and queue for it instead of failing. PostgreSQL ignores the option."""
    return engine.execution_options(**{WRITE_OPTION: True})


def session_factory(engine: Engine, *, writes: bool = True) -> sessionmaker[Session]:
    """Sessions for the CLI and scripts (which write); the web app asks for readers on GET."""
    return sessionmaker(bind=writer(engine) if writes else engine, expire_on_commit=False)


def ping(session: Session) -> None:
    """Raise unless the database answers (the health check): one round trip, nothing read."""
    session.execute(text("SELECT 1"))
