"""The analysts' extract: one row per response, for the area's analysts to work on themselves.

Record-level data about children, so it is minimised: a case appears only as a keyed pseudonym
(:func:`qaframework.pseudonyms.case_key`, an HMAC of the case reference under the instance key),
and no free text is written at all (no evidence, comments, rationale, summaries or names), only
codes, grades, numbers and dates. Administrators and QA leads alone may produce it
(:func:`qaframework.permissions.can_download_extract`).

It is built for size: rows are streamed from one SQL query (``yield_per``, a server-side cursor on
PostgreSQL), never loaded as ORM objects, and written with openpyxl's write-only mode (constant
memory; ``docs/architecture.md`` gives the benchmark against XlsxWriter). Excel holds 1,048,576
rows a sheet, so the rows continue on ``Data 2``, ``Data 3``, ... with the header repeated, never
cut; CSV has no limit. Every text cell goes through :func:`qaframework.exports.safe_cell`.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from qaframework.exports import safe_cell
from qaframework.framework import AuditStatus, phase_for_year_group
from qaframework.operations.base import FieldError, InvalidInput, atomic, record, require
from qaframework.permissions import can_download_extract
from qaframework.pseudonyms import case_key, load_or_create_key
from qaframework.reports import Progress
from qaframework.store import Audit, Case, Response, TemplateVersion, User
from qaframework.store.db import instance_path

__all__ = ["COLUMNS", "EXCEL_MAX_ROWS", "EXTRACT_FORMATS", "EXTRACT_STATUSES", "ExtractSummary",
           "extract_rows", "format_for", "write_extract"]

#: Rows in one Excel worksheet, the header included (Excel's limit; LibreOffice's too since 7.4).
EXCEL_MAX_ROWS = 1_048_576
EXTRACT_FORMATS = ("xlsx", "csv")
#: Audits whose grades are settled enough to analyse: submitted, moderated or closed (drafts and
#: audits returned to their author are still being written).
EXTRACT_STATUSES = (AuditStatus.SUBMITTED.value, AuditStatus.MODERATED.value, AuditStatus.CLOSED.value)
#: Rows fetched from the database at a time, and how often progress is reported.
BATCH = 5_000
DATA_SHEET = "Data"
#: Dates are the day in England: an audit submitted at 00:30 on a summer morning is that day's.
LOCAL_TIME = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str


#: The extract's columns, in order, with what the Definitions sheet says of each.
COLUMNS: tuple[Column, ...] = (
    Column("audit_id", "The audit's number in the service (the same audit on every row of its responses)."),
    Column("case_key", "The case as a keyed pseudonym (HMAC-SHA256 of the case reference under this "
                       "service's key): the same case has the same key in every extract from this service; "
                       "it is not the council's case reference and cannot be turned back into it."),
    Column("tier", "1 agency check, 2 single-agency audit, 3 multi-agency panel audit, 4 family review."),
    Column("agency", "The agency whose work was audited (blank for panel and Tier 4 audits)."),
    Column("template_id", "The checklist template used."),
    Column("template_version", "The version of that template (question ids are stable within a version)."),
    Column("cycle", "The half term the audit belongs to, e.g. 2025-26 Autumn 1."),
    Column("status", "submitted, moderated or closed (drafts and returned audits are left out)."),
    Column("submitted_on", "The day (in England) the audit was last submitted."),
    Column("audit_grade", "The audit's grade as reported: the moderated grade where the panel agreed one, "
                          "else the auditor's, else the grade suggested from the ratings."),
    Column("moderated", "TRUE where the panel agreed the grade in moderation."),
    Column("phase", "Education phase of the child from the case's year group (early_years, primary, "
                    "secondary, post_16, post_19); blank when not recorded."),
    Column("primary_need", "SEN2 primary need code of the case (e.g. ASD, SLCN, SEMH)."),
    Column("setting_type", "The type of setting the child attends, as recorded on the case."),
    Column("section_id", "The template section the question belongs to."),
    Column("question_id", "The checklist question (its id in that template version)."),
    Column("rating", "met, partially_met, not_met or not_applicable; blank if the question was not answered."),
)
HEADER = tuple(column.name for column in COLUMNS)

_YEAR = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class ExtractSummary:
    """What was written: responses (rows), the workbook's sheets (CSV: none) and the format."""

    rows: int
    fmt: str
    sheets: list[str] = field(default_factory=list)


def parse_year(year: str) -> str:
    """``2025-26``: an academic year whose two years follow each other; anything else is refused."""
    match = _YEAR.fullmatch(year.strip())
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise InvalidInput([FieldError("year", f"“{year}” is not an academic year like 2025-26")])
    return match[0]


def format_for(path: Path, fmt: str | None = None) -> str:
    """``fmt`` if given, else the file's extension: xlsx or csv, or a clear error naming both."""
    chosen = (fmt or path.suffix.removeprefix(".")).lower()
    if chosen not in EXTRACT_FORMATS:
        raise InvalidInput([FieldError("format", f"write the extract as .xlsx or .csv, not “{path.name}”"
                                       + (f" as {fmt}" if fmt else ""))])
    return chosen


def _audits(year: str) -> Select[Any]:
    """The year's settled audits with their case and template (columns added by the caller)."""
    return (
        select()
        .select_from(Audit)
        .join(Case, Case.id == Audit.case_id)
        .join(TemplateVersion, TemplateVersion.id == Audit.template_version_id)
        .where(Audit.cycle.like(f"{year} %"), Audit.status.in_(EXTRACT_STATUSES))
    )


def _responses(year: str) -> Select[Any]:
    """The responses of those audits (columns added by the caller)."""
    return (
        select()
        .select_from(Response)
        .join(Audit, Audit.id == Response.audit_id)
        .where(Audit.cycle.like(f"{year} %"), Audit.status.in_(EXTRACT_STATUSES))
    )


def count_rows(session: Session, year: str) -> int:
    return int(session.execute(_responses(parse_year(year)).add_columns(func.count(Response.id))).scalar_one())


def extract_rows(session: Session, year: str, key: bytes) -> Iterator[tuple[object, ...]]:
    """The rows under :data:`COLUMNS`, streamed: text made safe, dates as dates, numbers as numbers.

    Two queries, as the reporting benchmarks found fastest: the year's audits (a few thousand) with
    their case and template, each turned into the audit's part of a row once; then the responses,
    streamed in audit order with only their own four columns, their few distinct values made safe
    once each. The cost per row is then a dictionary look-up and a tuple join.
    """
    year = parse_year(year)
    texts: dict[object, str | None] = {None: None, "": None}

    def text(value: object) -> str | None:
        if value not in texts:
            texts[value] = safe_cell(value)
        return texts[value]

    keys: dict[str, str] = {}
    audits: dict[int, tuple[object, ...]] = {}
    audit_query = _audits(year).add_columns(
        Audit.id, Case.case_ref, Audit.tier, Audit.agency_code, TemplateVersion.template_id,
        TemplateVersion.version, Audit.cycle, Audit.status, Audit.submitted_at, Audit.moderated_grade,
        Audit.auditor_grade, Audit.suggested_grade, Case.year_group, Case.primary_need, Case.setting_type,
    )
    for row in session.execute(audit_query.execution_options(yield_per=BATCH)):
        ref = row[1]
        pseudonym = keys.get(ref)
        if pseudonym is None:
            pseudonym = keys[ref] = case_key(key, ref)
        submitted: datetime | None = row[8]
        audits[row[0]] = (
            row[0], pseudonym, row[2], text(row[3]), text(row[4]), row[5], text(row[6]), text(row[7]),
            submitted.astimezone(LOCAL_TIME).date() if submitted is not None else None,
            text(row[9] or row[10] or row[11]), row[9] is not None,
            text(phase_for_year_group(row[12])), text(row[13]), text(row[14]),
        )
    keys.clear()
    tails: dict[tuple[object, ...], tuple[str | None, ...]] = {}
    last: object = None
    part: tuple[object, ...] = ()
    responses = _responses(year).add_columns(
        Response.audit_id, Response.section_id, Response.question_id, Response.rating
    ).order_by(Response.audit_id, Response.id)
    for row in session.execute(responses.execution_options(yield_per=BATCH)):
        if row[0] != last:
            last = row[0]
            part = audits[row[0]]
        answer = row[1:]
        tail = tails.get(answer)
        if tail is None:
            tail = tails[answer] = (text(answer[0]), text(answer[1]), text(answer[2]))
        yield part + tail


def write_extract(
    session: Session,
    actor: User | None,
    year: str,
    path: Path,
    *,
    fmt: str | None = None,
    progress: Progress | None = None,
    key: bytes | None = None,
    row_limit: int = EXCEL_MAX_ROWS,
) -> ExtractSummary:
    """Write the extract of one academic year (``2025-26``) to ``path`` as xlsx or CSV.

    ``actor`` None is the operator at the ``qa`` command; in the app, administrators and QA leads
    only. The file appears whole or not at all (written beside it, then renamed). ``row_limit`` is
    the rows a worksheet may hold, header included (Excel's limit; tests use a small one).
    """
    require(actor is None or can_download_extract(actor),
            "Only administrators and QA leads can download the analysts' extract.")
    year = parse_year(year)
    chosen = format_for(path, fmt)
    if row_limit < 2:
        raise ValueError("a worksheet must hold the header and at least one row")
    secret = key if key is not None else load_or_create_key(instance_path())
    total = count_rows(session, year)
    report = _Reporter(progress, total)
    rows = extract_rows(session, year, secret)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        if chosen == "csv":
            written, sheets = _write_csv(tmp, rows, report)
        else:
            written, sheets = _write_xlsx(tmp, rows, report, year=year, total=total, row_limit=row_limit)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    report.finish(written)
    with atomic(session):
        record(session, actor, "extract.write", "extract", year, after={"format": chosen, "rows": written})
    return ExtractSummary(rows=written, fmt=chosen, sheets=sheets)


class _Reporter:
    """The progress callback, told at the start, at the end, and every :data:`BATCH` rows between."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        if progress is not None:
            progress(0, total)

    def every(self, done: int) -> None:
        if self.progress is not None:
            self.progress(done, max(self.total, done))

    def finish(self, done: int) -> None:
        if self.progress is not None:
            self.progress(done, max(self.total, done))


def _write_csv(path: Path, rows: Iterator[tuple[object, ...]], report: _Reporter) -> tuple[int, list[str]]:
    done = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([safe_cell(name) for name in HEADER])
        to_text: Callable[[object], object] = _csv_cell
        for row in rows:
            writer.writerow([to_text(cell) for cell in row])
            done += 1
            if not done % BATCH:
                report.every(done)
    return done, []


def _csv_cell(value: object) -> object:
    """Text is already safe (``extract_rows``); dates ISO 8601, booleans TRUE/FALSE as Excel writes them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write_xlsx(
    path: Path, rows: Iterator[tuple[object, ...]], report: _Reporter, *, year: str, total: int, row_limit: int
) -> tuple[int, list[str]]:
    workbook = Workbook(write_only=True)
    header = [safe_cell(name) for name in HEADER]
    sheets: list[str] = []
    done = 0
    per_sheet = row_limit - 1
    room = 0
    sheet: Any = None
    for row in rows:
        if room == 0:
            sheets.append(DATA_SHEET if not sheets else f"{DATA_SHEET} {len(sheets) + 1}")
            sheet = workbook.create_sheet(sheets[-1])
            sheet.freeze_panes = "A2"
            sheet.append(header)
            room = per_sheet
        sheet.append(row)
        room -= 1
        done += 1
        if not done % BATCH:
            report.every(done)
    if not sheets:  # an empty year still gets its header, so the columns are documented
        sheets.append(DATA_SHEET)
        workbook.create_sheet(DATA_SHEET).append(header)
    _definitions(workbook.create_sheet("Definitions"), year=year, rows=done, sheets=sheets)
    workbook.save(path)
    return done, [*sheets, "Definitions"]


def _definitions(sheet: Any, *, year: str, rows: int, sheets: Sequence[str]) -> None:
    """What the extract holds, what it leaves out, and each column's meaning."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    lines: list[Sequence[object]] = [
        ["Analysts' extract: EHC plan quality assurance"],
        ["Academic year", year],
        ["Produced (UTC)", now],
        ["Rows (responses)", rows],
        ["Data sheets", ", ".join(sheets)],
        ["One row", ("One response: the rating of one checklist question in one audit. Audits that are "
                     "submitted, moderated or closed are included; drafts and returned audits are not.")],
        ["Sheets", (f"Excel holds {EXCEL_MAX_ROWS:,} rows a sheet: further rows continue on "
                    f"{DATA_SHEET} 2, {DATA_SHEET} 3, ... with the header repeated. Nothing is cut.")],
        ["Left out", ("No case references, names, dates of birth or free text (evidence, comments, "
                      "rationale, summaries): cases appear only as keyed pseudonyms (case_key).")],
        ["Handling", ("Record-level data about children: keep it on council systems, share it only "
                      "under the area's data-sharing agreement, and do not publish it. Publish "
                      "aggregates (the board pack) instead.")],
        [],
        ["Column", "Meaning"],
        *([column.name, column.meaning] for column in COLUMNS),
    ]
    for line in lines:
        sheet.append([cell if not isinstance(cell, str) else safe_cell(cell) for cell in line])
