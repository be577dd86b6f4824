"""Helpers for tests that need a database of their own (migration tests, the CLI, the live server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEST_DATABASE_URL = os.environ.get("QA_TEST_DATABASE_URL", "")
TEST_PASSWORD = "correct-horse-battery"


def on_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


@contextmanager
def scratch_database(tmp_dir: Path, name: str) -> Iterator[str]:
    """A new empty database: a file in tmp_dir for SQLite, or a fresh database on the test server."""
    if not on_postgres():
        yield f"sqlite:///{tmp_dir / (name + '.sqlite')}"
        return
    base = make_url(TEST_DATABASE_URL)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
