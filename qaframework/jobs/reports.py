"""The reports that run as background jobs, registered with the queue: the area's 20-week
timeliness figures (CSV), and the board pack and the analysts' extract as they are added to
``qaframework.reports``.

Each kind checks its request on the page (so a mistake is shown on the form, not as a failed job),
re-checks permission with the requester when it runs, and writes its file where the queue says.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from qaframework.exports import safe_row
from qaframework.jobs.kinds import JobKind, JobOutput, Params, register
from qaframework.operations.base import FieldError, InvalidInput, OperationError, require
from qaframework.permissions import can_download_extract, can_make_board_pack
from qaframework.reports import Progress
from qaframework.store import User

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- The board pack (qaframework.reports.board_pack; the same workbook as `qa report board`) --------


def _check_board_pack(session: Session, params: Mapping[str, Any]) -> Params:
    from qaframework.reports.figures import report_period

    year = str(params.get("year") or "").strip()
    cycle = str(params.get("cycle") or "").strip() or None
    if not year:
        raise InvalidInput([FieldError("year", "Choose the academic year")])
    try:
        period = report_period(session, year, cycle)
    except ValueError as exc:
        message = str(exc)
        raise InvalidInput([FieldError("cycle" if cycle and "half term" in message else "year",
                                       message[:1].upper() + message[1:])]) from None
    return {"year": period.year, "cycle": period.cycle.removeprefix(f"{period.year} ") if period.cycle else None}


def _board_pack_label(params: Params) -> str:
    return f"{params.get('year', '')} {params['cycle']}" if params.get("cycle") else str(params.get("year", ""))


def _run_board_pack(session: Session, actor: User, params: Params, path: Path, progress: Progress) -> JobOutput:
    from qaframework.reports.board_pack import write_board_pack

    require(can_make_board_pack(actor), "You can no longer make the board pack.")
    try:
        written = write_board_pack(session, params["year"], params.get("cycle"), path, progress)
    except ValueError as exc:  # the term dates changed since the request was checked
        raise OperationError(str(exc)[:1].upper() + str(exc)[1:]) from None
    name = "board-pack-" + _board_pack_label(params).lower().replace(" ", "-") + ".xlsx"
    hidden = f" {written.hidden} small number{'s are' if written.hidden != 1 else ' is'} hidden (see Definitions)." \
        if written.hidden else ""
    return JobOutput(name, XLSX_TYPE, f"{len(written.sheets)} sheets for {written.period}.{hidden}")


BOARD_PACK = register(JobKind(
    name="board_pack",
    allowed=can_make_board_pack,
    check=_check_board_pack,
    title=lambda params: f"Board pack, {_board_pack_label(params)}",
    extension=lambda _params: "xlsx",
    run=_run_board_pack,
))


# --- 20-week timeliness by year or month (the same figures as `qa timeliness --format csv`) --------

TIMELINESS_BY = {"year": "calendar year", "month": "month"}


def _check_timeliness(_session: Session, params: Mapping[str, Any]) -> Params:
    by = str(params.get("by") or "")
    if by not in TIMELINESS_BY:
        raise InvalidInput([FieldError("by", "Choose whether to show the figures by year or by month")])
    return {"by": by}


def _run_timeliness(session: Session, actor: User, params: Params, path: Path, progress: Progress) -> JobOutput:
    from qaframework.operations.timeliness import CSV_COLUMNS, PeriodKind, timeliness_by_period

    progress(0, 1)
    table = timeliness_by_period(session, actor, PeriodKind(params["by"]))
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(safe_row(row.csv_row()) for row in table.rows)
    progress(1, 1)
    periods = len(table.rows)
    summary = f"The file has {periods} row{'s' if periods != 1 else ''}, one for each {TIMELINESS_BY[params['by']]}."
    if table.skipped:
        summary += (f" {table.skipped} request{'s' if table.skipped != 1 else ''} left out: the recorded dates "
                    "contradict each other (each case page says how).")
    return JobOutput(f"timeliness-by-{params['by']}-{date.today().isoformat()}.csv", CSV_TYPE, summary)


TIMELINESS = register(JobKind(
    name="timeliness",
    allowed=can_make_board_pack,
    check=_check_timeliness,
    title=lambda params: f"20-week timeliness by {params.get('by', 'year')} (CSV)",
    extension=lambda _params: "csv",
    run=_run_timeliness,
))


# --- The analysts' extract (qaframework.reports.extract; the same file as `qa report extract`) ------


def _check_extract(_session: Session, params: Mapping[str, Any]) -> Params:
    from qaframework.reports.extract import EXTRACT_FORMATS, parse_year

    errors: list[FieldError] = []
    year = str(params.get("year") or "").strip()
    if not year:
        errors.append(FieldError("year", "Choose the academic year"))
    else:
        try:
            year = parse_year(year)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    fmt = str(params.get("format") or "")
    if fmt not in EXTRACT_FORMATS:
        errors.append(FieldError("format", "Choose an Excel workbook or a CSV file"))
    if errors:
        raise InvalidInput(errors)
    return {"year": year, "format": fmt}


def _run_extract(session: Session, actor: User, params: Params, path: Path, progress: Progress) -> JobOutput:
    from qaframework.reports.extract import write_extract

    written = write_extract(session, actor, params["year"], path, fmt=params["format"], progress=progress)
    data_sheets = len(written.sheets) - 1  # the workbook's last sheet is Definitions
    sheets = f", on {data_sheets} data sheets (past Excel’s row limit)" if data_sheets > 1 else ""
    return JobOutput(f"qa-extract-{params['year']}.{written.fmt}", XLSX_TYPE if written.fmt == "xlsx" else CSV_TYPE,
                     f"{written.rows:,} response{'s' if written.rows != 1 else ''}{sheets}.")


EXTRACT = register(JobKind(
    name="extract",
    allowed=can_download_extract,
    check=_check_extract,
    title=lambda params: f"Analysts’ extract, {params.get('year', '')} ({str(params.get('format', '')).upper()})",
    extension=lambda params: str(params["format"]),
    run=_run_extract,
))


# --- Choices the report forms offer ---------------------------------------------------------------


def academic_year_of(day: date) -> str:
    """The academic year a day falls in, e.g. "2025-26" (September to August)."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{str(start + 1)[-2:]}"


def recent_academic_years(today: date, count: int = 4) -> list[str]:
    """This academic year and the ``count - 1`` before it, newest first."""
    start = int(academic_year_of(today)[:4])
    return [f"{year}-{str(year + 1)[-2:]}" for year in range(start, start - count, -1)]
