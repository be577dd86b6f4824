"""Shared fixtures: one migrated database per run (SQLite by default, PostgreSQL when
``QA_TEST_DATABASE_URL`` names one), and a session per test rolled back afterwards."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_directory
from qaframework.framework import Role
from qaframework.operations.templates import sync_templates
from qaframework.operations.users import ensure_default_agencies
from qaframework.passwords import hash_password
from qaframework.store import Case, Request, TemplateVersion, User
from qaframework.store.db import make_engine
from qaframework.store.migrate import upgrade
from tests.support import (
    TEST_DATABASE_URL,
    TEST_PASSWORD,
    MakeCase,
    MakeUser,
    TemplateVersionOf,
    savepoint_session,
    scratch_database,
)


def pytest_report_header() -> str:
    return f"database: {make_url(TEST_DATABASE_URL or 'sqlite:///<tmp>').render_as_string(hide_password=True)}"


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with scratch_database(tmp_path_factory.mktemp("db"), "qa_test") as url:
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            ensure_default_agencies(session)
            sync_templates(session, None, load_directory(DEFAULT_TEMPLATE_DIR))
        yield engine
        engine.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway Redis for the run, as PostgreSQL is: Debian's ``redis-server`` on a free loopback
    port, nothing saved to disk, stopped afterwards (``QA_TEST_REDIS_URL`` names another instead)."""
    if os.environ.get("QA_TEST_REDIS_URL"):
        yield os.environ["QA_TEST_REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (scripts/install-test-deps.sh installs it)")
    folder = tmp_path_factory.mktemp("redis")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly",
                                "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One connection per test, inside a transaction that is rolled back afterwards."""
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    session = savepoint_session(connection)
    try:
        yield session
    finally:
        session.close()


_counter = itertools.count(1)
_FAST_HASH = hash_password(TEST_PASSWORD)


@pytest.fixture
def make_user(session: Session) -> MakeUser:
    """Users straight into the database (one precomputed hash keeps tests fast)."""

    def factory(role: Role | str = Role.AUDITOR, agency: str | None = "send_service", team: str | None = "North",
                manager: bool = False, email: str | None = None) -> User:
        role = Role(role)
        n = next(_counter)
        user = User(email=email or f"{role.value}{n}@example.test", display_name=f"{role.label} {n}",
                    password_hash=_FAST_HASH, role=role.value,
                    agency_code=agency if role is Role.AUDITOR else None, team=team if role is Role.AUDITOR else None,
                    is_team_manager=manager)
        session.add(user)
        session.commit()  # a savepoint: an operation's rollback must not take the fixture with it
        return user

    return factory


@pytest.fixture
def make_case(session: Session) -> MakeCase:
    def factory(case_ref: str | None = None, **values: object) -> Case:
        from datetime import date

        case = Case(
            case_ref=case_ref or f"T{next(_counter):06d}",
            year_group=values.pop("year_group", "5"),
            primary_need=values.pop("primary_need", "ASD"),
            setting_type=values.pop("setting_type", "Mainstream school"),
            team=values.pop("team", "North"),
        )
        case.requests.append(Request(request_date=values.pop("request_date", date(2026, 3, 2)), outcome="in_progress"))
        session.add(case)
        session.commit()
        return case

    return factory


@pytest.fixture
def template_version(session: Session) -> TemplateVersionOf:
    from sqlalchemy import select

    def get(template_id: str) -> TemplateVersion:
        tv = session.scalar(
            select(TemplateVersion)
            .where(TemplateVersion.template_id == template_id)
            .order_by(TemplateVersion.version.desc())
        )
        assert tv is not None, template_id
        return tv

    return get


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzz tests' input counts (tests/webapp/test_fuzz.py), quoted in the closing note."""
    from tests.fuzzcount import summary

    for line in summary():
        terminalreporter.write_line(line)
