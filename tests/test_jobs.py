"""The background job queue with Huey's real consumer: on the SQLite file broker and on Redis,
over the test database (SQLite, or PostgreSQL under scripts/with-postgres.sh)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from qaframework.framework import JobStatus, Role
from qaframework.jobs.kinds import JobKind, JobOutput, Params, register
from qaframework.jobs.queue import JobQueue, make_broker
from qaframework.operations.base import InvalidInput, NotFound, PermissionDenied
from qaframework.operations.jobs import (
    KEEP_RESULTS,
    STALLED_AFTER,
    STALLED_FAILURE,
    UNEXPECTED_FAILURE,
    ResultExpired,
    fail_stalled,
    job_for,
    recent_jobs,
    request_job,
    result_of,
)
from qaframework.operations.timeliness import CSV_COLUMNS, PeriodKind, timeliness_by_period
from qaframework.reports import Progress
from qaframework.store import Job, TrailEntry, User, utcnow
from tests.jobs_support import run_queued
from tests.support import MakeCase, MakeUser, savepoint_session

#: What the test kinds saw of their own job's row while running (read from another session).
SEEN: dict[str, tuple[int, int]] = {}


def _always(_user: User) -> bool:
    return True


def _no_check(_session: Session, params: Mapping[str, Any]) -> Params:
    return dict(params)


def _counting(sessions: Callable[[], Session]) -> Callable[[Session, User, Params, Path, Progress], JobOutput]:
    def run(_session: Session, _actor: User, params: Params, path: Path, progress: Progress) -> JobOutput:
        progress(3, 10)
        with sessions() as other:
            job = other.scalars(select(Job).where(Job.status == JobStatus.RUNNING.value,
                                                  Job.kind == "test_counting")).one()
            SEEN["counting"] = (job.done, job.total)
        path.write_text(f"counted to {params['to']}\n", encoding="utf-8")
        progress(10, 10)
        return JobOutput("count.txt", "text/plain", "Counted.")
    return run


def _failing(exc: Exception) -> Callable[[Session, User, Params, Path, Progress], JobOutput]:
    def run(_session: Session, _actor: User, _params: Params, path: Path, _progress: Progress) -> JobOutput:
        path.write_text("half a file", encoding="utf-8")
        raise exc
    return run


def _register_test_kinds(sessions: Callable[[], Session]) -> None:
    common = {"allowed": _always, "check": _no_check, "title": lambda _p: "Test", "extension": lambda _p: "txt"}
    register(JobKind(name="test_counting", run=_counting(sessions), **common))  # type: ignore[arg-type]
    register(JobKind(name="test_refused", run=_failing(InvalidInput("The year 2019-20 has no audits.")),
                     **common))  # type: ignore[arg-type]
    register(JobKind(name="test_crash", run=_failing(ZeroDivisionError("division by zero")),
                     **common))  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite-broker", "redis-broker"])
def broker_url(request: pytest.FixtureRequest) -> str | None:
    """None: the SQLite file broker; else the private Redis, emptied for this test."""
    if request.param == "sqlite-broker":
        return None
    import redis

    url: str = request.getfixturevalue("redis_url")
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def queue(tmp_path: Path, connection: Connection, broker_url: str | None) -> JobQueue:
    sessions = lambda: savepoint_session(connection)  # noqa: E731  # one line, as the web app's factory
    _register_test_kinds(sessions)
    return JobQueue.for_instance(sessions, tmp_path / "instance", broker_url)


def _ask(queue: JobQueue, session: Session, user: User, kind: str, params: dict[str, object]) -> Job:
    job = request_job(session, user, kind, params)
    queue.enqueue(session, job)
    return job


def _reload(session: Session, job: Job) -> Job:
    session.expire_all()
    fresh = session.get(Job, job.id)
    assert fresh is not None
    return fresh


def test_a_job_runs_in_the_consumer_records_progress_and_keeps_its_file(
        queue: JobQueue, session: Session, make_user: MakeUser) -> None:
    user = make_user(Role.BOARD_VIEWER)
    job = _ask(queue, session, user, "test_counting", {"to": 10})
    assert _reload(session, job).status == JobStatus.QUEUED.value

    run_queued(queue)

    job = _reload(session, job)
    assert SEEN["counting"] == (3, 10)  # progress written while the job ran, visible to another session
    assert (job.status, job.done, job.total, job.error, job.summary) == (JobStatus.DONE.value, 10, 10, None, "Counted.")
    assert job.result_name == "count.txt" and job.result_type == "text/plain"
    path = queue.result_path(job)
    assert path.parent == queue.results_folder and path.read_text(encoding="utf-8") == "counted to 10\n"
    assert job.result_size == path.stat().st_size
    assert job.started_at is not None and job.finished_at is not None and job.started_at <= job.finished_at
    assert job.expires_at == job.finished_at + KEEP_RESULTS
    requested = session.scalars(select(TrailEntry).where(TrailEntry.action == "job.requested",
                                                         TrailEntry.entity_id == str(job.id))).one()
    assert requested.actor_id == user.id and requested.after == {"kind": "test_counting", "to": 10}


def test_a_job_queued_by_one_worker_is_run_by_a_consumer_started_later(
        tmp_path: Path, connection: Connection, session: Session, make_user: MakeUser, broker_url: str | None) -> None:
    """The queue outlives the web worker that filled it: a new process (here a new queue over the
    same broker) runs what was waiting."""
    sessions = lambda: savepoint_session(connection)  # noqa: E731
    _register_test_kinds(sessions)
    web = JobQueue.for_instance(sessions, tmp_path / "instance", broker_url)
    user = make_user(Role.ADMIN)
    first = _ask(web, session, user, "test_counting", {"to": 1})
    second = _ask(web, session, user, "test_counting", {"to": 2})
    del web  # the web worker is gone

    worker = JobQueue.for_instance(sessions, tmp_path / "instance", broker_url)
    run_queued(worker, count=2)
    assert [_reload(session, job).status for job in (first, second)] == [JobStatus.DONE.value] * 2
    assert worker.result_path(_reload(session, second)).read_text(encoding="utf-8") == "counted to 2\n"


def test_a_refusal_is_recorded_with_its_message_and_leaves_no_file(
        queue: JobQueue, session: Session, make_user: MakeUser) -> None:
    job = _ask(queue, session, make_user(Role.BOARD_VIEWER), "test_refused", {})
    run_queued(queue)
    job = _reload(session, job)
    assert (job.status, job.error, job.result_file) == (JobStatus.FAILED.value, "The year 2019-20 has no audits.", None)
    assert job.finished_at is not None
    assert list(queue.results_folder.iterdir()) == []


def test_an_unexpected_error_is_recorded_without_a_traceback(
        queue: JobQueue, session: Session, make_user: MakeUser, caplog: pytest.LogCaptureFixture) -> None:
    job = _ask(queue, session, make_user(Role.BOARD_VIEWER), "test_crash", {})
    run_queued(queue)
    job = _reload(session, job)
    assert (job.status, job.error) == (JobStatus.FAILED.value, UNEXPECTED_FAILURE)
    assert "division" not in (job.error or "") and "Traceback" not in (job.error or "")
    assert list(queue.results_folder.iterdir()) == []
    assert any("ZeroDivisionError" in (record.exc_text or "") for record in caplog.records)  # logged for the admin


def test_timeliness_job_writes_the_same_figures_as_qa_timeliness(
        queue: JobQueue, session: Session, make_user: MakeUser, make_case: MakeCase) -> None:
    make_case(request_date=date(2025, 11, 3))
    make_case(request_date=date(2026, 1, 12))
    user = make_user(Role.SYSTEM_LEADER)
    job = _ask(queue, session, user, "timeliness", {"by": "month"})
    table = timeliness_by_period(session, user, PeriodKind.MONTH)
    expected = [list(CSV_COLUMNS), *(row.csv_row() for row in table.rows)]
    run_queued(queue)
    job = _reload(session, job)
    assert job.status == JobStatus.DONE.value, job.error
    rows = list(csv.reader(io.StringIO(queue.result_path(job).read_text(encoding="utf-8"))))
    assert rows == expected and len(rows) >= 4  # November to January at least, with the two requests counted
    assert (job.done, job.total) == (1, 1)
    assert job.result_type == "text/csv; charset=utf-8" and job.result_name.startswith("timeliness-by-month-")


def test_requests_are_checked_and_permission_enforced_before_queueing(
        queue: JobQueue, session: Session, make_user: MakeUser) -> None:
    with pytest.raises(InvalidInput) as refused:
        request_job(session, make_user(Role.BOARD_VIEWER), "timeliness", {"by": "fortnight"})
    assert refused.value.errors[0].field == "by"
    with pytest.raises(PermissionDenied):
        request_job(session, make_user(Role.AUDITOR), "timeliness", {"by": "year"})
    with pytest.raises(NotFound):
        request_job(session, make_user(Role.ADMIN), "no_such_report", {})


def test_only_the_requester_or_an_admin_sees_and_downloads_a_result_until_it_expires(
        queue: JobQueue, session: Session, make_user: MakeUser) -> None:
    owner, admin = make_user(Role.BOARD_VIEWER), make_user(Role.ADMIN)
    other_viewer, leader = make_user(Role.BOARD_VIEWER), make_user(Role.SYSTEM_LEADER)
    job = _ask(queue, session, owner, "test_counting", {"to": 5})
    run_queued(queue)
    job = _reload(session, job)
    assert result_of(session, owner, job.id).id == job.id
    assert result_of(session, admin, job.id).id == job.id
    for stranger in (other_viewer, leader):
        with pytest.raises(NotFound):
            result_of(session, stranger, job.id)
        with pytest.raises(NotFound):
            job_for(session, stranger, job.id)
    assert [view.id for view in recent_jobs(session, owner)][:1] == [job.id]
    assert job.id not in [view.id for view in recent_jobs(session, admin)]  # an admin's list is their own
    assert job.expires_at is not None
    with pytest.raises(ResultExpired):
        result_of(session, owner, job.id, now=job.expires_at + timedelta(seconds=1))

    path = queue.result_path(job)
    assert path.exists()
    import time_machine

    with time_machine.travel(job.expires_at + timedelta(minutes=1)):
        queue.tidy()
    job = _reload(session, job)
    assert job.status == JobStatus.EXPIRED.value and not path.exists()
    with pytest.raises(ResultExpired):
        result_of(session, owner, job.id)


def test_a_running_job_whose_worker_died_is_failed_after_a_silence(session: Session, make_user: MakeUser) -> None:
    user = make_user(Role.ADMIN)
    started = utcnow() - STALLED_AFTER - timedelta(minutes=1)
    stalled = Job(kind="timeliness", params={"by": "year"}, requested_by_id=user.id, status=JobStatus.RUNNING.value,
                  done=1, total=5, started_at=started, updated_at=started)
    busy = Job(kind="timeliness", params={"by": "year"}, requested_by_id=user.id, status=JobStatus.RUNNING.value,
               done=1, total=5, started_at=started, updated_at=utcnow())
    session.add_all([stalled, busy])
    session.commit()
    assert fail_stalled(session) >= 1
    assert (_reload(session, stalled).status, _reload(session, stalled).error) == (JobStatus.FAILED.value,
                                                                                  STALLED_FAILURE)
    assert _reload(session, busy).status == JobStatus.RUNNING.value


def test_an_unreachable_broker_fails_the_job_with_a_message(
        tmp_path: Path, connection: Connection, session: Session, make_user: MakeUser) -> None:
    sessions = lambda: savepoint_session(connection)  # noqa: E731
    queue = JobQueue(sessions, tmp_path / "jobs", make_broker(tmp_path, "redis://127.0.0.1:1/0"))
    job = _ask(queue, session, make_user(Role.BOARD_VIEWER), "timeliness", {"by": "year"})
    job = _reload(session, job)
    assert job.status == JobStatus.FAILED.value and "job queue is not reachable" in (job.error or "")
