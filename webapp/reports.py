"""The reports page: forms that ask for a report (run in the background as a job) and the person's
recent reports. Asking records the job and queues it, then sends the person to the job's page
(``webapp.jobs``); no request waits for a report to be built."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from qaframework.framework import HALF_TERMS, JobStatus, Role
from qaframework.jobs.kinds import kind_named
from qaframework.jobs.reports import recent_academic_years
from qaframework.operations.base import InvalidInput
from qaframework.operations.jobs import recent_jobs, request_job
from qaframework.store import User
from webapp.access import current_actor, requires
from webapp.db import db_session
from webapp.jobs import job_queue

bp = Blueprint("reports", __name__)

#: The report forms, in the order the page shows them (a kind not registered yet is not shown).
REPORT_KINDS = ("board_pack", "timeliness", "extract")
#: Roles that may have a report to make (a panel member only when leading the panel: QA lead).
REPORT_ROLES = (Role.BOARD_VIEWER, Role.SYSTEM_LEADER, Role.ADMIN, Role.PANEL_MEMBER)


def offered_kinds(user: User) -> list[str]:
    """The report forms this person may use."""
    return [name for name in REPORT_KINDS if (kind := kind_named(name)) is not None and kind.allowed(user)]


def _page(kinds: list[str], errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          status: int = 200) -> Any:
    session, user = db_session(), current_actor()
    return render_template(
        "reports/index.html", kinds=kinds, errors=errors or {}, values=values or {},
        years=recent_academic_years(date.today()), half_terms=HALF_TERMS,
        jobs=recent_jobs(session, user), JobStatus=JobStatus,
    ), status


@bp.route("/reports")
@requires(*REPORT_ROLES)
def index() -> Any:
    kinds = offered_kinds(current_actor())
    if not kinds:
        abort(403, description="Reports are for the board, system leaders, QA leads and administrators.")
    return _page(kinds)


@bp.route("/reports/<kind>", methods=["POST"])
@requires(*REPORT_ROLES)
def create(kind: str) -> Any:
    session, user = db_session(), current_actor()
    kinds = offered_kinds(user)
    if kind not in kinds:
        abort(404)
    params = {key: value for key, value in request.form.items() if key != "csrf_token"}
    try:
        job = request_job(session, user, kind, params)
    except InvalidInput as exc:
        errors = {f"{kind}-{error.field or 'form'}": error.message for error in exc.errors}
        return _page(kinds, errors, {f"{kind}-{key}": value for key, value in params.items()}, 400)
    job_queue().enqueue(session, job)
    return redirect(url_for("jobs.show", job_id=job.id))
