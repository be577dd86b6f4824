"""Background jobs as people see them: asking for one, reading its progress, downloading its result;
and the steps the worker records as it runs one (``qaframework.jobs.queue``).

Need-to-know: a job, its progress and its file are the requester's; an administrator may see and
download them too (to help). Anyone else asking for a job's id is told it does not exist, so ids
reveal nothing. Results are kept for :data:`KEEP_RESULTS`, then deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qaframework.framework import JobStatus
from qaframework.jobs.kinds import JobOutput, kind_named
from qaframework.operations.base import NotFound, OperationError, operation, record, require
from qaframework.permissions import can_view_job
from qaframework.store import Job, User, utcnow

#: How long a result file is kept after the job finishes.
KEEP_RESULTS = timedelta(hours=24)
#: A running job that has recorded no progress for this long has lost its worker (killed, or the
#: machine restarted): it is marked failed so its requester can ask again.
STALLED_AFTER = timedelta(minutes=30)
#: Progress is written at most this often (each write is a short transaction of its own).
PROGRESS_EVERY = timedelta(milliseconds=500)

UNEXPECTED_FAILURE = ("Something went wrong while making this, and it was not finished. The error has been "
                      "logged for your administrator; please try again, and tell them if it happens again.")
STALLED_FAILURE = "The worker making this stopped before it finished (it may have been restarted). Please try again."


class ResultExpired(OperationError):
    """The job finished, but its file has been deleted after the time results are kept."""


@dataclass(frozen=True)
class JobView:
    """A job as its page shows it."""

    id: int
    title: str
    status: JobStatus
    done: int
    total: int
    error: str | None
    summary: str | None
    has_file: bool
    filename: str | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None

    @property
    def percent(self) -> int | None:
        """Whole per cent done, or None while the amount of work is not known yet."""
        if self.status is JobStatus.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total > 0 else None


def view_of(job: Job, now: datetime | None = None) -> JobView:
    kind = kind_named(job.kind)
    status = JobStatus(job.status)
    if status is JobStatus.DONE and job.expires_at is not None and job.expires_at <= (now or utcnow()):
        status = JobStatus.EXPIRED  # the file is due for deletion (the worker's tidy-up may not have run yet)
    return JobView(
        id=job.id, title=kind.title(job.params) if kind else job.kind, status=status, done=job.done,
        total=job.total, error=job.error, summary=job.summary,
        has_file=status is JobStatus.DONE and job.result_file is not None, filename=job.result_name,
        created_at=job.created_at, finished_at=job.finished_at, expires_at=job.expires_at,
    )


@operation
def request_job(session: Session, actor: User, kind_name: str, params: Mapping[str, Any]) -> Job:
    """Record a request for a job (queued). The caller hands its id to the queue after this commits."""
    kind = kind_named(kind_name)
    if kind is None:
        raise NotFound(f"There is no kind of job called {kind_name!r}.")
    require(kind.allowed(actor), "You cannot ask for this.")
    checked = kind.check(session, params)
    job = Job(kind=kind.name, params=checked, requested_by_id=actor.id, status=JobStatus.QUEUED.value, done=0,
              total=0)
    session.add(job)
    session.flush()
    record(session, actor, "job.requested", "job", job.id, after={"kind": kind.name, **checked})
    return job


def job_for(session: Session, actor: User, job_id: int) -> Job:
    """The job, if this person may see it; otherwise "not found" (never "forbidden": ids reveal nothing)."""
    job = session.get(Job, job_id)
    if job is None or not can_view_job(actor, job):
        raise NotFound("There is no such job.")
    return job


def recent_jobs(session: Session, actor: User, limit: int = 10) -> list[JobView]:
    """This person's own jobs, newest first."""
    jobs = session.scalars(select(Job).where(Job.requested_by_id == actor.id)
                           .order_by(Job.created_at.desc(), Job.id.desc()).limit(limit))
    return [view_of(job) for job in jobs]


def result_of(session: Session, actor: User, job_id: int, now: datetime | None = None) -> Job:
    """The job whose file may be downloaded now: finished, kept, and this person's (or an admin's)."""
    job = job_for(session, actor, job_id)
    now = now or utcnow()
    if job.status == JobStatus.EXPIRED.value or (job.expires_at is not None and job.expires_at <= now):
        raise ResultExpired(f"This file was deleted {_hours(KEEP_RESULTS)} after it was made. Please make it again.")
    if job.status != JobStatus.DONE.value or job.result_file is None:
        raise NotFound("This job has no file to download.")
    return job


@operation
def record_download(session: Session, actor: User, job: Job) -> None:
    """Who downloaded which result, in the audit trail (an extract holds pseudonymous records)."""
    record(session, actor, "job.downloaded", "job", job.id, after={"kind": job.kind})


def _hours(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


# --- The worker's side -----------------------------------------------------------------------------


@operation
def claim_job(session: Session, job_id: int, now: datetime | None = None) -> Job | None:
    """Mark a queued job running; None if it is not queued (run already, or unknown)."""
    now = now or utcnow()
    claimed = session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
        .values(status=JobStatus.RUNNING.value, started_at=now, updated_at=now)
    ).rowcount  # type: ignore[attr-defined]  # Result of an UPDATE is a CursorResult at run time
    if not claimed:
        return None
    return session.get(Job, job_id, populate_existing=True)


@operation
def record_progress(session: Session, job_id: int, done: int, total: int, now: datetime | None = None) -> None:
    session.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING.value)
                    .values(done=max(0, done), total=max(0, total), updated_at=now or utcnow()))


@operation
def finish_job(session: Session, job_id: int, output: JobOutput, result_file: str | None, size: int | None,
               progress: tuple[int, int] | None = None, now: datetime | None = None) -> None:
    """Record the result; ``progress`` is the last ``(done, total)`` the job reported (written here
    too, since progress is only written every so often)."""
    now = now or utcnow()
    counts = {"done": max(0, progress[0]), "total": max(0, progress[1])} if progress else {}
    session.execute(update(Job).where(Job.id == job_id).values(
        **counts,
        status=JobStatus.DONE.value, finished_at=now, updated_at=now, summary=output.summary,
        result_file=result_file, result_name=output.filename, result_type=output.content_type, result_size=size,
        expires_at=now + KEEP_RESULTS if result_file else None,
    ))


@operation
def fail_job(session: Session, job_id: int, message: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    session.execute(update(Job).where(Job.id == job_id).values(
        status=JobStatus.FAILED.value, error=message[:500], finished_at=now, updated_at=now, result_file=None))


@operation
def expire_results(session: Session, now: datetime | None = None) -> list[str]:
    """Mark results past their time expired; returns their file names, for the caller to delete."""
    now = now or utcnow()
    due = list(session.scalars(select(Job).where(Job.status == JobStatus.DONE.value, Job.expires_at <= now)))
    for job in due:
        job.status = JobStatus.EXPIRED.value
    return [job.result_file for job in due if job.result_file]


@operation
def fail_stalled(session: Session, now: datetime | None = None) -> int:
    """Fail running jobs silent for :data:`STALLED_AFTER` (their worker died); returns how many."""
    now = now or utcnow()
    result = session.execute(update(Job).where(
        Job.status == JobStatus.RUNNING.value, Job.updated_at < now - STALLED_AFTER,
    ).values(status=JobStatus.FAILED.value, error=STALLED_FAILURE, finished_at=now))
    count: int = result.rowcount  # type: ignore[attr-defined]  # a CursorResult at run time
    return count


def live_result_files(session: Session) -> set[str]:
    """Names of the files finished jobs still offer (anything else in the folder is left over)."""
    names = session.scalars(select(Job.result_file).where(Job.status == JobStatus.DONE.value))
    return {name for name in names if name}
