"""Helpers shared by the tests: databases of their own (migrations, the CLI, the live server) and audits
made through the library."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from qaframework.checklists.model import Template
from qaframework.framework import Rating
from qaframework.operations.audits import ResponseInput, save_answers, start_audit, submit_audit
from qaframework.store import Audit, Case, TemplateVersion, User

_Row = TypeVar("_Row")

TEST_DATABASE_URL = os.environ.get("QA_TEST_DATABASE_URL", "")
TEST_PASSWORD = "correct-horse-battery"
T1 = "t1-coordinator-plan-check"

# The types of the factory fixtures in tests/conftest.py, for annotating the tests that use them.
MakeUser = Callable[..., User]
MakeCase = Callable[..., Case]
TemplateVersionOf = Callable[[str], TemplateVersion]
# ...and of ``client_as`` in tests/webapp/conftest.py: a signed-in client and its user.
ClientAs = Callable[..., tuple[FlaskClient, User]]
#: The ``check_for`` fixture: a Tier 1 check by this author (submitted unless ``submit=False``).
CheckFor = Callable[..., Audit]


def all_met(template: Template) -> dict[str, ResponseInput]:
    """Every question answered Met, with evidence."""
    return {q.id: ResponseInput(Rating.MET.value, "Clear and specific.") for q in template.questions()}


def submitted_check(
    session: Session, author: User, case_id: int, template_version_id: int, submit: bool = True
) -> Audit:
    """A Tier 1 check with every question Met and evidenced, submitted through the library."""
    audit = start_audit(session, author, case_id=case_id, template_version_id=template_version_id, subject="final_plan")
    save_answers(session, author, audit.id, audit.version_id, all_met(audit.template))
    if submit:
        submit_audit(session, author, audit.id, audit.version_id)
    return audit


def refreshed(session: Session, row: _Row) -> _Row:
    """The row re-read from the database, as a new expression so that mypy forgets what earlier
    asserts narrowed its attributes to (a plain ``session.refresh`` does not tell it)."""
    session.refresh(row)
    return row


def savepoint_session(connection: Connection) -> Session:
    """A session whose commits are savepoints inside the test's transaction (the web app's requests
    use one too, so they see the test's rows and everything is rolled back afterwards)."""
    return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


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


def complete_panel_audit(session: Session, member: User, audit: Audit, agency: str = "send_service") -> Audit:
    """A Tier 3 panel audit made ready to submit: every question Met, the member's agency recorded,
    every active agency's contribution graded Good."""
    from qaframework.contributions import ContributionInput
    from qaframework.operations.panel_audits import active_agencies, record_participant, save_contributions

    record_participant(session, member, audit.id, member.id, agency)
    audit = save_answers(session, member, audit.id, audit.version_id, all_met(audit.template))
    given = {a.code: ContributionInput("good", "Specific advice, on time.") for a in active_agencies(session)}
    return save_contributions(session, member, audit.id, audit.version_id, given)
