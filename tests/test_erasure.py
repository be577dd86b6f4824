"""Erasing a case leaves no row about it in any table, and nothing of it in the trail; retention
finds cases past the period and deletes them in bulk (both databases, on the demo area, whose
cases between them have rows in every table the schema hangs from a case)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import MetaData, func, select, update
from sqlalchemy.orm import Session

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_directory
from qaframework.demo import load_demo
from qaframework.framework import Role
from qaframework.operations.base import InvalidInput, PermissionDenied
from qaframework.operations.erasure import (
    _tables_about_cases,
    cases_past_retention,
    erase_case,
    erase_past_retention,
    preview_erasure,
    retention_months,
    rows_about,
    set_retention_months,
)
from qaframework.operations.templates import sync_templates
from qaframework.operations.users import ensure_default_agencies
from qaframework.store import Audit, Base, Case, TrailEntry, User
from qaframework.store.db import make_engine, session_factory
from qaframework.store.migrate import upgrade
from qaframework.trail_text import case_pseudonym, trail_key
from tests.support import scratch_database

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    with scratch_database(tmp_path_factory.mktemp("erasure"), "qa_erasure") as url:
        engine = make_engine(url)
        upgrade(engine)
        with session_factory(engine)() as session:
            ensure_default_agencies(session)
            sync_templates(session, None, load_directory(DEFAULT_TEMPLATE_DIR))
            load_demo(session, seed=11, case_total=60, today=TODAY)
            yield session
        engine.dispose()


def _admin(session: Session) -> User:
    admin = session.scalar(select(User).where(User.role == Role.ADMIN.value))
    assert admin is not None
    return admin


def _every_row_as_text(session: Session) -> str:
    meta = MetaData()
    meta.reflect(session.connection())
    parts = [json.dumps([str(v) for v in row], ensure_ascii=False)
             for table in meta.sorted_tables for row in session.execute(select(table))]
    return "\n".join(parts)


def _covering_cases(session: Session) -> list[int]:
    """A few cases that between them have rows in as many tables as the demo fills."""
    about = {case_id: rows_about(session, [case_id]) for case_id in session.scalars(select(Case.id))}
    chosen: list[int] = []
    covered: set[str] = set()
    while True:
        best = max(about, key=lambda c: len(set(about[c]) - covered))
        gain = set(about[best]) - covered
        if not gain:
            return chosen
        chosen.append(best)
        covered |= gain


def test_erasing_cases_leaves_no_row_about_them_anywhere(demo: Session) -> None:
    session, admin = demo, _admin(demo)
    chosen = _covering_cases(session)
    before = rows_about(session, chosen)
    reachable = {table.name for table, _ in _tables_about_cases()}
    # The test means something only if the chosen cases have rows in (nearly) every table about cases.
    assert len(set(before) & reachable) >= len(reachable) - 2, sorted(reachable - set(before))
    refs = {case_id: case.case_ref for case_id in chosen if (case := session.get(Case, case_id)) is not None}
    totals = {name: session.scalar(select(func.count()).select_from(Base.metadata.tables[name])) or 0
              for name in before}
    preview = preview_erasure(session, admin, chosen[0])
    assert preview.rows["cases"] == 1 and preview.total >= 2

    for case_id in chosen:
        erase_case(session, admin, case_id)
    session.expire_all()

    for name, ids in before.items():
        table = Base.metadata.tables[name]
        assert session.scalar(select(func.count()).select_from(table).where(table.c.id.in_(ids))) == 0, name
        left = session.scalar(select(func.count()).select_from(table))
        assert left == totals[name] - len(ids), name  # nothing else went
    everything = _every_row_as_text(session)
    for ref in refs.values():
        assert ref not in everything  # not in the trail either
    erased = session.scalars(select(TrailEntry).where(TrailEntry.action == "case.erase")).all()
    key = trail_key(session)
    assert {e.after["case_ref"] for e in erased if e.after} >= {case_pseudonym(key, r) for r in refs.values()}
    assert all(e.actor_id == admin.id and e.after and e.after["rows"]["cases"] == 1 for e in erased)


def test_only_an_administrator_may_erase(demo: Session) -> None:
    auditor = demo.scalar(select(User).where(User.role == Role.AUDITOR.value))
    case_id = demo.scalar(select(Case.id).limit(1))
    assert auditor is not None and case_id is not None
    with pytest.raises(PermissionDenied):
        erase_case(demo, auditor, case_id)
    with pytest.raises(PermissionDenied):
        cases_past_retention(demo, auditor)
    assert demo.get(Case, case_id) is not None


def test_retention_report_and_bulk_deletion(demo: Session) -> None:
    session, admin = demo, _admin(demo)
    assert retention_months(session) == 72
    with pytest.raises(InvalidInput, match="between 6 and 600"):
        set_retention_months(session, admin, 2)
    set_retention_months(session, admin, 12)
    assert cases_past_retention(session, admin, today=date.today()) == []  # the demo was just made
    later = date.today().replace(year=date.today().year + 2)
    past = cases_past_retention(session, admin, today=later)
    assert len(past) == session.scalar(select(func.count(Case.id)))
    # A case audited recently is not past retention even though its own record is old.
    session.execute(update(Case).values(updated_at=datetime(2019, 1, 1, tzinfo=UTC)))
    session.commit()
    past = cases_past_retention(session, admin, today=date.today())
    audited = {r.case_id for r in past if r.audits}
    assert past and not audited  # every audited demo case was active within the year
    targets = [r.case_id for r in past[:3]]
    keep = [r.case_id for r in past[3:4]]
    assert erase_past_retention(session, admin, targets, today=date.today()) == 3
    session.expire_all()
    assert all(session.get(Case, c) is None for c in targets) and all(session.get(Case, c) for c in keep)
    # A case that is not past retention is never deleted, whatever is posted.
    active = session.scalar(select(Audit.case_id).limit(1))
    assert active is not None and erase_past_retention(session, admin, [active], today=date.today()) == 0
    assert session.get(Case, active) is not None
