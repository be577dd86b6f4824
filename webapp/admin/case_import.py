"""Case import: upload a .csv, .xlsx or SEN2 return (.xml), see every problem or a preview, then import.

The checked file stays on the server (``uploads.UploadStore``) and the confirm step names it by
token, so the rows imported are exactly the rows previewed. ``import_cases`` checks the file again
and changes nothing if any row is bad.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from qaframework.case_import import COLUMN_LABELS, COLUMNS, DATE_COLUMNS, CaseFileError, CaseRow, ImportProblem
from qaframework.exports import csv_text
from qaframework.framework import RequestOutcome, Role, TimelinessException
from qaframework.import_limits import size_text
from qaframework.operations.cases import (
    check_case_file,
    existing_case_refs,
    import_cases,
    is_sen2_file,
    known_case_values,
)
from qaframework.pseudonyms import load_or_create_key
from webapp.access import current_actor, requires
from webapp.admin.blueprint import bp
from webapp.admin.uploads import UploadStore, safe_filename
from webapp.db import db_session
from webapp.errors import handle_http_error

ALLOWED_SUFFIXES = (".csv", ".xlsx", ".xml")
FIELD = "case_file"
PREVIEW_ROWS = 20
HEADINGS = {**COLUMN_LABELS, "date_of_birth": "Academic year of birth"}
#: Short values that read badly when broken across lines.
NOWRAP = frozenset({"case_ref", "date_of_birth", "academic_year_of_birth", *DATE_COLUMNS})
#: Invented example rows, as column → value (the rest blank).
EXAMPLE_ROWS = (
    {"case_ref": "EHC-000123", "year_group": "5", "academic_year_of_birth": "2014-15", "primary_need": "ASD",
     "setting_type": "Mainstream school", "team": "North", "request_date": "2026-01-12", "request_source": "1",
     "decision_to_assess_date": "2026-02-20", "outcome": "in_progress", "advice_agency": "health",
     "advice_requested_date": "2026-02-23"},
    {"case_ref": "EHC-000123", "request_date": "2026-01-12", "decision_to_assess_date": "2026-02-20",
     "advice_agency": "education", "advice_requested_date": "2026-02-23", "advice_received_date": "2026-03-30"},
    {"case_ref": "EHC-000124", "year_group": "Y9", "date_of_birth": "02/11/2011", "primary_need": "SEMH",
     "setting_type": "Special school", "team": "South", "request_date": "2025-09-08", "request_source": "2",
     "decision_to_assess_date": "2025-10-17", "assessment_outcome_date": "2025-12-01",
     "draft_issued_date": "2025-12-15", "final_issued_date": "2026-01-23", "outcome": "issued",
     "review_meeting_date": "", "next_phase": "secondary_to_post_16", "phase_transfer_date": "2027-09-01"},
)


def _store() -> UploadStore:
    return UploadStore(Path(current_app.instance_path) / "uploads")


def _max_upload_text() -> str:
    config = current_app.config
    limit = config.get("CASE_IMPORT_MAX_CONTENT_LENGTH") or config.get("MAX_CONTENT_LENGTH") or 0
    return size_text(int(limit))


def _key() -> bytes:
    """The instance's pseudonym key for SEN2 returns (created on first use, mode 0600)."""
    return load_or_create_key(Path(current_app.instance_path))


def _upload_page(error: str | None = None, failure: CaseFileError | None = None, filename: str | None = None,
                 status: int = 200) -> tuple[str, int]:
    """The upload form; after a refused file, its problems (the first ones kept, and how many in all)."""
    return render_template(
        "admin/case_import/upload.html", error=error, problems=failure.problems if failure else [],
        problem_count=failure.total if failure else 0, filename=filename, max_size=_max_upload_text(),
        columns=COLUMNS,
        sen2=bool(filename) and is_sen2_file(filename or ""),
    ), status


@bp.route("/case-import")
@requires(Role.ADMIN)
def case_import() -> Any:
    return _upload_page()


@bp.route("/case-import", methods=["POST"])
@requires(Role.ADMIN)
def upload_cases() -> Any:
    upload = request.files.get(FIELD)
    if upload is None or not upload.filename:
        return _upload_page("Select a CSV or Excel file, or a SEN2 return")
    filename = safe_filename(upload.filename)
    if Path(filename).suffix.lower() not in ALLOWED_SUFFIXES:
        return _upload_page("The selected file must be a CSV, an Excel workbook (.xlsx) or a SEN2 return (.xml)")
    data = upload.read()
    if not data:
        return _upload_page("The selected file is empty")
    try:
        _check(filename, data)
    except CaseFileError as failure:
        return _upload_page(_problems_message(failure), failure, filename)
    token = _store().save(data, filename, current_actor().id)
    return redirect(url_for("admin.preview_import", token=token))


def _check(filename: str, data: bytes) -> list[CaseRow]:
    """Check the file; anything the reader did not expect is reported as an unreadable file, not a 500."""
    try:
        return check_case_file(filename, data, _key())
    except CaseFileError:
        raise
    except Exception as exc:
        current_app.logger.warning("Unreadable case file %s: %s", filename, exc, exc_info=True)
        message = (
            "The file could not be read. Export the SEN2 return again, or save the file again as CSV (UTF-8) "
            "or as an Excel workbook (.xlsx), then upload it again."
        )
        raise CaseFileError([ImportProblem(None, None, message)]) from exc


def _problems_message(failure: CaseFileError) -> str:
    problems = failure.problems
    if failure.total == 1 and problems[0].row is None:
        return problems[0].message
    count = f"{failure.total:,} problems" if failure.total != 1 else "1 problem"
    return f"The file has {count}. Nothing has been imported. Fix the file and upload it again."


@dataclass(frozen=True)
class Preview:
    filename: str
    rows: list[CaseRow]
    columns: list[str]
    new_cases: int
    existing_cases: int
    #: Teams and setting types the service has not used before (a typo would make a new one).
    new_values: dict[str, list[str]]
    #: People in a SEN2 return (None for a spreadsheet).
    persons: int | None = None


def _preview(filename: str, rows: list[CaseRow]) -> Preview:
    session = db_session()
    refs = {row.case_ref.upper(): row.case_ref for row in rows}
    existing = len(existing_case_refs(session, list(refs)))
    present = {name for row in rows for name in row.values}
    columns = ["case_ref", *[c for c in COLUMNS if c != "case_ref" and c in present]]
    return Preview(filename, rows, columns, len(refs) - existing, existing, known_case_values(session).new_values(rows),
                   len({row.row for row in rows}) if is_sen2_file(filename) else None)


def _cell(name: str, value: Any) -> str:
    """A checked value as people read it; short month names, as tables allow, keep columns narrow."""
    if value is None:
        return ""
    if name == "date_of_birth":  # only the academic year is kept
        cohort = value.year if value.month >= 9 else value.year - 1
        return f"{cohort}-{str(cohort + 1)[-2:]}"
    if name == "academic_year_of_birth":
        return f"{value}-{str(value + 1)[-2:]}"
    if name in DATE_COLUMNS:
        return f"{value.day} {value:%b %Y}"
    if name == "outcome":
        return RequestOutcome(value).label
    if name == "exception":
        return TimelinessException(value).label
    return str(value)


_EXPIRED = (
    "The file you checked could not be found. Files are kept for an hour after they are checked, "
    "and only for the person who uploaded them. Upload the file again."
)


@bp.route("/case-import/<token>")
@requires(Role.ADMIN)
def preview_import(token: str) -> Any:
    stored = _store().load(token, current_actor().id)
    if stored is None:
        return _upload_page(_EXPIRED, status=404)
    try:
        rows = _check(stored.filename, stored.data)
    except CaseFileError as failure:  # only if the checks changed since upload
        _store().discard(token)
        return _upload_page(_problems_message(failure), failure, stored.filename)
    preview = _preview(stored.filename, rows)
    return render_template(
        "admin/case_import/preview.html",
        preview=preview,
        token=token,
        headings=HEADINGS,
        nowrap=NOWRAP,
        shown=[
            (row, [_cell(c, row.case_ref if c == "case_ref" else row.values.get(c)) for c in preview.columns])
            for row in rows[:PREVIEW_ROWS]
        ],
    )


@bp.route("/case-import/confirm", methods=["POST"])
@requires(Role.ADMIN)
def confirm_import() -> Any:
    store = _store()
    stored = store.load(request.form.get("token", ""), current_actor().id)
    if stored is None:
        return _upload_page(_EXPIRED, status=400)
    try:
        report = import_cases(db_session(), current_actor(), stored.filename, stored.data, _key())
    except CaseFileError as failure:
        store.discard(stored.token)
        return _upload_page(_problems_message(failure), failure, stored.filename)
    store.discard(stored.token)
    return render_template("admin/case_import/done.html", report=report, filename=stored.filename)


@bp.route("/case-import/example.csv")
@requires(Role.ADMIN)
def example_case_file() -> Response:
    """A header row and two invented rows, so an administrator can see the expected shape."""
    body = csv_text(COLUMNS, [[row.get(column, "") for column in COLUMNS] for row in EXAMPLE_ROWS])
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="case-import-example.csv"'},
    )


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    """A file over the size limit gets the upload page with a message, not a bare error page."""
    if request.endpoint in {"admin.upload_cases", "admin.confirm_import"}:
        return _upload_page(f"The selected file must be smaller than {_max_upload_text()}", status=413)
    return handle_http_error(error)
