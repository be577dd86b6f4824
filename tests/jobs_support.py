"""Running queued jobs in tests with Huey's real consumer, on threads of the test process.

The test waits on Huey's completion signal without touching the database meanwhile: the consumer
thread uses the test's connection (through savepoint sessions), one thread at a time.
"""

from __future__ import annotations

import threading

from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR

from qaframework.jobs.queue import JobQueue


def run_queued(queue: JobQueue, count: int = 1, timeout: float = 60) -> None:
    """Start a consumer, wait until ``count`` jobs have run, stop it."""
    finished = threading.Semaphore(0)

    def on_finish(_signal: str, task: object, *_args: object, **_kwargs: object) -> None:
        if getattr(task, "name", "") == "run_job":
            finished.release()

    queue.huey.signal(SIGNAL_COMPLETE, SIGNAL_ERROR)(on_finish)
    try:
        with queue.running():
            for n in range(count):
                assert finished.acquire(timeout=timeout), f"only {n} of {count} job(s) ran in {timeout} s"
    finally:
        queue.huey.disconnect_signal(on_finish, SIGNAL_COMPLETE, SIGNAL_ERROR)
