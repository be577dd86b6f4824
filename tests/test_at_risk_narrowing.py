"""The at-risk lists load only the cases that can be on them, and list exactly what a scan of every case lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, selectinload

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_directory
from qaframework.demo import load_demo
from qaframework.framework import RequestOutcome
from qaframework.operations.clocks import ATTENTION, AtRiskLists, at_risk, case_clocks, local_milestones
from qaframework.operations.templates import sync_templates
from qaframework.operations.users import ensure_default_agencies
from qaframework.store import Case, Request, Review, User
from qaframework.store.db import make_engine, session_factory
from qaframework.store.migrate import upgrade
from tests.support import MakeCase, MakeUser, scratch_database

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    with scratch_database(tmp_path_factory.mktemp("atrisk"), "qa_atrisk") as url:
        engine = make_engine(url)
        upgrade(engine)
        with session_factory(engine)() as session:
            ensure_default_agencies(session)
            sync_templates(session, None, load_directory(DEFAULT_TEMPLATE_DIR))
            load_demo(session, case_total=300, today=TODAY)
            yield session
        engine.dispose()


Rows = tuple[list[tuple[object, ...]], ...]


def every_case_scan(session: Session, today: date, team: str = "") -> Rows:
    """What the at-risk page listed before it was narrowed: every case's clocks, kept by status."""
    milestones = local_milestones(session)
    query = select(Case).options(selectinload(Case.requests).selectinload(Request.advice),
                                 selectinload(Case.reviews)).order_by(Case.case_ref)
    if team:
        query = query.where(Case.team == team)
    requests, advice, reviews, phases = [], [], [], []
    for case in session.scalars(query):
        clocks = case_clocks(case, today, milestones)
        for view in clocks.requests:
            if view.request.outcome == RequestOutcome.IN_PROGRESS and view.clock:
                requests.append((view.clock.days_left or 0, case.case_ref, view.request.id, view.clock))
            advice += [(c.days_left or 0, case.case_ref, a.id, c) for a, c in view.advice if c.status in ATTENTION]
        if clocks.review and clocks.review.status in ATTENTION:
            reviews.append((clocks.review.days_left, case.case_ref, clocks.review))
        if clocks.phase_transfer and clocks.phase_transfer.status in ATTENTION:
            phases.append((clocks.phase_transfer.days_left or 0, case.case_ref, clocks.phase_transfer))
    return (sorted(requests, key=lambda t: t[:2]), sorted(advice, key=lambda t: t[:2]),
            sorted(reviews, key=lambda t: t[:2]), sorted(phases, key=lambda t: t[:2]))


def listed(lists: AtRiskLists) -> Rows:
    return (
        [(c.days_left or 0, case.case_ref, r.id, c) for case, r, c in lists.requests],
        [(c.days_left or 0, case.case_ref, a.id, c) for case, a, c in lists.advice],
        [(c.days_left, case.case_ref, c) for case, c in lists.reviews],
        [(c.days_left or 0, case.case_ref, c) for case, c in lists.phase_transfers],
    )


@pytest.mark.parametrize("days_on", [0, 20, 45, 100, 200, 330, 400])
def test_the_same_rows_as_a_scan_of_every_case_on_the_demo(demo: Session, days_on: int) -> None:
    today = TODAY + timedelta(days=days_on)
    admin = demo.scalars(select(User).where(User.role == "admin")).first()
    assert admin is not None
    teams = ["", *sorted(t for t in demo.scalars(select(Case.team).distinct()) if t)]
    for team in teams:
        demo.expunge_all()
        loaded: list[Case] = []

        def on_load(target: Case, _context: object) -> None:
            loaded.append(target)  # noqa: B023 - removed again before the next team

        event.listen(Case, "load", on_load)
        try:
            lists = at_risk(demo, admin, today, team)
        finally:
            event.remove(Case, "load", on_load)
        expected = every_case_scan(demo, today, team)
        got = listed(lists)
        # Sorted the same way the page sorts (days left, then reference): the same rows in the same order.
        assert got == expected, (today, team)
        total = demo.scalar(select(func.count(Case.id)).where(Case.team == team) if team else
                            select(func.count(Case.id))) or 0
        if not team and days_on == 0:
            assert sum(len(rows) for rows in expected) > 30  # the demo has plenty on the lists
            assert len({c.case_ref for c in loaded}) < total  # and not every case had to be loaded


def test_a_review_at_the_edge_of_the_narrowing_is_still_listed(
    session: Session, make_case: MakeCase, make_user: MakeUser
) -> None:
    admin = make_user("admin")
    today = date(2026, 11, 22)
    # 12 months starting with 1 March 2025 end on 28 February 2026 (364 days on): the shortest year.
    for ref, issued in (("EDGE-42", today - timedelta(days=364 - 42)), ("EDGE-43", today - timedelta(days=364 - 43)),
                        ("EDGE-365", today - timedelta(days=400))):
        case = make_case(ref, request_date=issued - timedelta(days=100))
        case.requests[0].outcome = RequestOutcome.ISSUED.value
        case.requests[0].decision_to_assess_date = issued - timedelta(days=60)
        case.requests[0].final_issued_date = issued
    pending = make_case("EDGE-PENDING", request_date=today - timedelta(days=200))
    pending.requests[0].outcome = RequestOutcome.ISSUED.value
    pending.requests[0].final_issued_date = today - timedelta(days=60)
    pending.reviews.append(Review(meeting_date=today - timedelta(days=40)))  # held, no decision for 40 days
    session.flush()
    lists = at_risk(session, admin, today)
    assert listed(lists) == every_case_scan(session, today)
    assert {case.case_ref: c.status for case, c in lists.reviews} == {
        "EDGE-42": "at_risk", "EDGE-365": "overdue", "EDGE-PENDING": "decision_overdue"}


def test_narrowing_keeps_the_lists_on_a_fresh_database(tmp_path: Path) -> None:
    """An empty area lists nothing (the SQL filter works with no rows at all)."""
    with scratch_database(tmp_path, "qa_atrisk_empty") as url:
        engine = make_engine(url)
        upgrade(engine)
        with session_factory(engine)() as session:
            admin = User(email="a@example.test", display_name="A", password_hash="x", role="admin")
            session.add(admin)
            session.flush()
            lists = at_risk(session, admin, TODAY)
            assert listed(lists) == ([], [], [], [])
        engine.dispose()
