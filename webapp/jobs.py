"""A background job's page: its progress (refreshed by a link, or by a small script where scripts
run), then its file to download or why it failed. The job's owner and administrators only;
anyone else is told it does not exist (``qaframework.operations.jobs.job_for``)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, send_file

from qaframework.framework import JobStatus
from qaframework.jobs.queue import JobQueue
from qaframework.operations.jobs import ResultExpired, job_for, record_download, result_of, view_of
from webapp.access import current_actor, requires
from webapp.db import db_session
from webapp.errors import render_error

bp = Blueprint("jobs", __name__)


_lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Nothing is opened until a page needs the queue (most requests never do)."""
    app.extensions["qa_job_queue"] = None


def queue_of(app: Flask) -> JobQueue:
    """The app's queue: Redis when REDIS_URL is set, else the SQLite file in the instance folder;
    job sessions from the same factory as requests (``webapp.db``). Built on first use."""
    with _lock:
        queue: JobQueue | None = app.extensions.get("qa_job_queue")
        if queue is None:
            redis_url = app.config.get("REDIS_URL") or os.environ.get("REDIS_URL") or None
            queue = app.extensions["qa_job_queue"] = JobQueue.for_instance(
                app.extensions["qa_session_factory"], Path(app.instance_path), redis_url)
        return queue


def job_queue() -> JobQueue:
    return queue_of(current_app._get_current_object())  # type: ignore[attr-defined]  # the proxy's app


@bp.route("/jobs/<int:job_id>")
@requires()
def show(job_id: int) -> Any:
    job = view_of(job_for(db_session(), current_actor(), job_id))
    return render_template("jobs/show.html", job=job, JobStatus=JobStatus)


@bp.route("/jobs/<int:job_id>/status")
@requires()
def status(job_id: int) -> Any:
    """The job's state as JSON, for the progress page's script."""
    job = view_of(job_for(db_session(), current_actor(), job_id))
    return jsonify(status=job.status.value, label=job.status.label, done=job.done, total=job.total,
                   percent=job.percent, finished=job.status.finished)


@bp.route("/jobs/<int:job_id>/download")
@requires()
def download(job_id: int) -> Any:
    session, user = db_session(), current_actor()
    try:
        job = result_of(session, user, job_id)
    except ResultExpired as exc:
        return render_error("errors/410.html", 410, message=exc.message, job_id=job_id)
    path = job_queue().result_path(job)
    if not path.is_file():
        abort(404)
    record_download(session, user, job)
    return send_file(path, mimetype=job.result_type or "application/octet-stream", as_attachment=True,
                     download_name=job.result_name or path.name, max_age=0)
