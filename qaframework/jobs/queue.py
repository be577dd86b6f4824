"""The job queue: Huey carries job ids from the web workers to a consumer process, which runs them.

Two brokers, one code path. With no configuration the queue is a SQLite file in the instance folder
(``jobs-queue.sqlite``): nothing else to install or run beyond the consumer ``make run`` starts
(``qa jobs worker``). With ``REDIS_URL`` set it is Redis, so web workers and consumers on several
machines share it (``make serve``, docs/operations.md). Either way the queue holds only job ids
(``jobs`` rows hold everything a person sees), so a web worker restarting loses nothing, and a
queued job waits in the broker until a consumer takes it.

The consumer also expires results every ten minutes (deletes files past ``KEEP_RESULTS``) and fails
jobs whose worker died mid-way (``STALLED_AFTER``), so nobody waits on a page for ever.
"""

from __future__ import annotations

import logging
import secrets
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy.orm import Session

from qaframework.jobs.kinds import kind_named, load_kinds
from qaframework.operations.base import OperationError
from qaframework.operations.jobs import (
    PROGRESS_EVERY,
    UNEXPECTED_FAILURE,
    claim_job,
    expire_results,
    fail_job,
    fail_stalled,
    finish_job,
    live_result_files,
    record_progress,
)
from qaframework.store import Job, User

__all__ = ["JobQueue", "make_broker"]

log = logging.getLogger(__name__)

QUEUE_NAME = "qaframework-jobs"
SQLITE_FILENAME = "jobs-queue.sqlite"
RESULTS_FOLDER = "jobs"


def make_broker(instance_folder: Path, redis_url: str | None = None) -> Huey:
    """Redis when the installation has it (several machines), else a SQLite file beside the database."""
    if redis_url:
        return RedisHuey(QUEUE_NAME, url=redis_url, results=False)
    instance_folder.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(instance_folder / SQLITE_FILENAME), results=False)


class JobQueue:
    """Submits jobs (web side) and runs them (consumer side) over one broker and one database."""

    def __init__(self, sessions: Callable[[], Session], results_folder: Path, broker: Huey) -> None:
        self.sessions = sessions
        self.results_folder = results_folder
        self.huey = broker
        load_kinds()
        # Registered under fixed names, so a consumer built in another process finds them.
        self._run_task = broker.task(name="run_job")(self.run_job)
        broker.periodic_task(crontab(minute="*/10"), name="tidy_jobs")(self.tidy)

    @classmethod
    def for_instance(cls, sessions: Callable[[], Session], instance_folder: Path,
                     redis_url: str | None = None) -> JobQueue:
        return cls(sessions, instance_folder / RESULTS_FOLDER, make_broker(instance_folder, redis_url))

    # --- the web side -----------------------------------------------------------------------------

    def enqueue(self, session: Session, job: Job) -> None:
        """Hand a recorded (committed) job to the broker; if the broker cannot take it, the job is
        marked failed with a message, so the requester is told rather than left waiting."""
        try:
            self._run_task(job.id)
        except Exception:
            log.exception("could not queue job %s", job.id)
            fail_job(session, job.id, "The service could not start this just now (the job queue is not "
                                      "reachable). Please try again in a few minutes.")

    def result_path(self, job: Job) -> Path:
        assert job.result_file is not None
        return self.results_folder / job.result_file

    # --- the consumer side ------------------------------------------------------------------------

    def run_job(self, job_id: int) -> None:
        """Run one job to the end, recording progress, the result or a clear failure; never raises."""
        with self.sessions() as session:
            job = claim_job(session, job_id)
            if job is None:
                return  # already run (a broker may deliver twice) or unknown
            kind = kind_named(job.kind)
            actor: User = job.requested_by
            params = dict(job.params)
            extension = kind.extension(params) if kind else None
            name = f"{job.id}-{secrets.token_hex(16)}.{extension}" if extension else None
            self.results_folder.mkdir(parents=True, exist_ok=True)
            path = self.results_folder / (name or f".{job.id}-{secrets.token_hex(8)}.unused")
            try:
                if kind is None:
                    raise OperationError("This kind of job is no longer offered.")
                progress = _ProgressRecorder(self.sessions, job_id)
                output = kind.run(session, actor, params, path, progress)
                session.rollback()  # end the reading transaction before the short write below
                kept = name if name and path.exists() else None
                finish_job(session, job_id, output, kept, path.stat().st_size if kept else None, progress.last_step)
            except OperationError as exc:
                session.rollback()
                path.unlink(missing_ok=True)
                fail_job(session, job_id, exc.message)
            except Exception:
                log.exception("job %s (%s) failed", job_id, job.kind)
                session.rollback()
                path.unlink(missing_ok=True)
                fail_job(session, job_id, UNEXPECTED_FAILURE)

    def tidy(self) -> None:
        """Delete results past their time, fail stalled jobs, and remove files no job offers."""
        with self.sessions() as session:
            for name in expire_results(session):
                (self.results_folder / name).unlink(missing_ok=True)
            stalled = fail_stalled(session)
            if stalled:
                log.warning("%s job(s) lost their worker and were marked failed", stalled)
            if self.results_folder.is_dir():
                live = live_result_files(session)
                cutoff = time.time() - 3600  # a file younger than this may belong to a job still running
                for path in self.results_folder.iterdir():
                    if path.is_file() and path.name not in live and path.stat().st_mtime < cutoff:
                        path.unlink(missing_ok=True)

    def consumer(self, workers: int = 1, **options: Any) -> Consumer:
        """A Huey consumer for this queue (``qa jobs worker`` runs one until it is stopped)."""
        consumer: Consumer = self.huey.create_consumer(workers=workers, **options)
        return consumer

    @contextmanager
    def running(self, workers: int = 1) -> Iterator[Consumer]:
        """A consumer on threads of this process until the block ends: for tests, and the browser tests'
        live server. Huey's consumer sets signal handlers when it starts; the process's own are kept."""
        consumer = self.consumer(workers, periodic=False, check_worker_health=False, initial_delay=0.02,
                                 max_delay=0.2)
        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        saved = {number: signal.getsignal(number) for number in signals}
        consumer.start()
        for number, handler in saved.items():
            signal.signal(number, handler)
        try:
            yield consumer
        finally:
            consumer.stop(graceful=True)


class _ProgressRecorder:
    """The ``Progress`` callback a kind is given: writes ``(done, total)`` at most every half second
    (and always the last step), each in a short transaction of its own."""

    def __init__(self, sessions: Callable[[], Session], job_id: int) -> None:
        self.sessions = sessions
        self.job_id = job_id
        self.last = 0.0
        self.last_step: tuple[int, int] | None = None

    def __call__(self, done: int, total: int) -> None:
        self.last_step = (done, total)
        now = time.monotonic()
        if done < total and now - self.last < PROGRESS_EVERY.total_seconds():
            return
        self.last = now
        with self.sessions() as session:
            record_progress(session, self.job_id, done, total)
