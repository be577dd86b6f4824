"""Reading and checking a case file (.csv or .xlsx), one row per request for assessment.

Pure parsing and validation: every bad row and column is reported with the reason, and nothing
is written unless the whole file is good (the operation that applies it lives in
``operations.cases``).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from qaframework.framework import EHC_PLAN_NEEDS, PRIMARY_NEEDS, RequestOutcome, TimelinessException
from qaframework.import_limits import MB, ImportLimits, size_text
from qaframework.timeliness import AdviceException, PhaseTransfer, RequestKind, RequestSource, ReviewOutcome

#: Every column a case file may have, with the words people read for it (the import preview's headings).
COLUMN_LABELS: dict[str, str] = {
    "case_ref": "Case reference",
    "year_group": "Year group",
    "date_of_birth": "Academic year of birth (from the date of birth)",
    "academic_year_of_birth": "Academic year of birth",
    "primary_need": "Primary need",
    "setting_type": "Setting",
    "team": "Team",
    "next_phase": "Next phase transfer",
    "phase_transfer_date": "Phase transfer date",
    "phase_transfer_final_date": "Plan amended for the transfer",
    "transferred_in_date": "Transferred in",
    "transfer_from_la": "Transferred from (LA code)",
    "transfer_family_told_date": "Family told of the transfer",
    "review_notice_date": "Review notice sent",
    "review_papers_date": "Review papers sent",
    "review_meeting_date": "Review meeting",
    "review_report_date": "Review report",
    "review_decision_date": "Review decision",
    "review_outcome": "Review outcome",
    "review_amendments_sent_date": "Proposed amendments sent",
    "review_amended_plan_date": "Amended plan issued",
    "request_date": "Request received",
    "request_kind": "Request kind",
    "request_source": "Request source",
    "responsible_date": "Authority responsible from",
    "decision_to_assess_date": "Decision to assess",
    "assessment_outcome_date": "Decision whether to issue",
    "draft_issued_date": "Draft plan sent",
    "final_issued_date": "Final plan issued",
    "outcome": "Outcome",
    "exception": "Exception",
    "exception_start": "Exception from",
    "exception_end": "Exception to",
    "family_told_date": "Family told of the exception",
    "advice_agency": "Advice from",
    "advice_requested_date": "Advice requested",
    "advice_received_date": "Advice received",
    "advice_exception": "Advice exception",
}
COLUMNS = tuple(COLUMN_LABELS)
#: Older header names still read, for the column they always meant. SEN2 LastReview is the date of
#: the review *decision*, so ``last_review_date`` is read as that (domain review §3.2 C3).
ALIASES = {"last_review_date": "review_decision_date"}
DATE_COLUMNS = tuple(
    name for name in COLUMNS if name.endswith("_date") or name in {"date_of_birth", "exception_start", "exception_end"}
)
REVIEW_COLUMNS = (
    "review_notice_date",
    "review_papers_date",
    "review_meeting_date",
    "review_report_date",
    "review_decision_date",
    "review_outcome",
    "review_amendments_sent_date",
    "review_amended_plan_date",
    "phase_transfer_final_date",
)
CASE_COLUMNS = (
    "year_group",
    "date_of_birth",
    "academic_year_of_birth",
    "primary_need",
    "setting_type",
    "team",
    "next_phase",
    "phase_transfer_date",
    "transferred_in_date",
    "transfer_from_la",
    "transfer_family_told_date",
    *REVIEW_COLUMNS,
)
ADVICE_COLUMNS = ("advice_agency", "advice_requested_date", "advice_received_date", "advice_exception")
REQUEST_COLUMNS = (
    "request_kind",
    "request_source",
    "responsible_date",
    "decision_to_assess_date",
    "assessment_outcome_date",
    "draft_issued_date",
    "final_issued_date",
    "outcome",
    "exception",
    "exception_start",
    "exception_end",
    "family_told_date",
    *ADVICE_COLUMNS,
)
#: The default row limit (``ImportLimits.max_rows``), as the README states it.
MAX_ROWS = ImportLimits().max_rows
#: The widths of the columns these values are stored in.
TEXT_LIMITS = {"setting_type": 60, "team": 80}
CASE_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}$")
YEAR_GROUP_RE = re.compile(r"^(N1|N2|R|[1-9]|1[0-4])$")
LA_CODE_RE = re.compile(r"^\d{3}$")
ACADEMIC_YEAR_RE = re.compile(r"^(\d{4})(?:\s*[-/]\s*(\d{2}|\d{4}))?$")


@dataclass(frozen=True)
class ImportProblem:
    row: int | None  # spreadsheet row number (the header is row 1); None for file-level problems
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class CaseRow:
    row: int
    case_ref: str
    values: dict[str, Any] = field(default_factory=dict)
    #: The collection year of the SEN2 return the row came from (None for a spreadsheet).
    collection_year: int | None = None


class CaseFileError(Exception):
    """The file cannot be imported; ``problems`` lists the first reasons, ``total`` counts them all.

    Only the first ``max_listed`` problems are kept (a hostile file can have millions), so a
    message never grows with the file: the rest are counted, "and N more problems".
    """

    def __init__(self, problems: list[ImportProblem], max_listed: int | None = None, total: int | None = None) -> None:
        listed = ImportLimits().max_problems if max_listed is None else max_listed
        self.total = max(len(problems), total or 0)
        self.problems = problems[:listed]
        lines = [str(p) for p in self.problems]
        if self.more:
            lines.append(f"and {self.more:,} more problem{'s' if self.more != 1 else ''}")
        super().__init__("\n".join(lines))

    @property
    def more(self) -> int:
        """Problems found but not listed."""
        return self.total - len(self.problems)


def _refuse(message: str) -> CaseFileError:
    return CaseFileError([ImportProblem(None, None, message)])


def read_table(filename: str, data: bytes, limits: ImportLimits | None = None) -> list[list[Any]]:
    """Rows of cells from a CSV or the first sheet of an Excel workbook, within ``limits``.

    Every limit is checked before the work it guards: the file's size, then a workbook's declared
    sizes or a CSV's line lengths, then rows and columns as they stream, so a hostile file is
    refused with a reason instead of filling the server's memory.
    """
    limits = limits or ImportLimits.from_environment()
    if len(data) > limits.max_file_bytes:
        raise _refuse(f"The file is {size_text(len(data))}; a case file must be smaller than "
                      f"{size_text(limits.max_file_bytes)}. Split it into several files.")
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(data, limits)
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(data, limits)
    raise CaseFileError(
        [ImportProblem(None, None, f"{filename}: choose a .csv or .xlsx file, or a SEN2 return (.xml)")])


def _too_many_rows(limits: ImportLimits) -> CaseFileError:
    return _refuse(f"The file has more than {limits.max_rows:,} rows; split it into several files")


def _check_row(number: int, cells: list[Any], limits: ImportLimits) -> None:
    """Refuse a row wider than the limit (ignoring trailing blanks) or a cell longer than the limit."""
    width = len(cells)
    while width and _blank(cells[width - 1]):
        width -= 1
    if width > limits.max_columns:
        raise CaseFileError([ImportProblem(number, None, f"the row has {width:,} columns; a case file has at most "
                                                         f"{limits.max_columns:,}")])
    for index, cell in enumerate(cells[:width]):
        if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
            raise CaseFileError([ImportProblem(number, _column_letter(index), f"the cell has {len(cell):,} "
                                               f"characters; a cell may have at most {limits.max_cell_chars:,}")])


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _read_csv(data: bytes, limits: ImportLimits) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise CaseFileError([ImportProblem(None, None, "The file is not readable text (save it as CSV UTF-8)")])

    def lines() -> Iterator[str]:
        # Each physical line is measured before the csv module splits it into fields, so a header of
        # millions of columns is refused without building them.
        for number, line in enumerate(io.StringIO(text, newline=""), start=1):
            if len(line) > limits.max_line_chars:
                raise CaseFileError([ImportProblem(number, None, f"the line has {len(line):,} characters; a line "
                                                                 f"of a case file may have at most "
                                                                 f"{limits.max_line_chars:,}")])
            yield line

    table: list[list[Any]] = []
    reader = csv.reader(lines())
    try:
        for cells in reader:
            if len(table) > limits.max_rows:
                raise _too_many_rows(limits)
            _check_row(reader.line_num, cells, limits)
            table.append(cells)
    except csv.Error as exc:
        raise CaseFileError([ImportProblem(reader.line_num or None, None,
                                           f"The CSV file is malformed: {exc}")]) from exc
    return table


def _check_workbook_sizes(data: bytes, limits: ImportLimits) -> None:
    """The zip members' declared sizes against the limits, before openpyxl opens (and inflates) any."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(f"The file could not be read as an Excel workbook ({type(exc).__name__}); "
                      "save it again as .xlsx") from exc
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        raise _refuse(f"The workbook unpacks to {size_text(total)}; a case file may unpack to at most "
                      f"{size_text(limits.max_uncompressed_bytes)}. Save it as CSV, or split it.")
    for member in members:
        ratio = member.file_size / max(1, member.compress_size)
        if member.file_size > MB and ratio > limits.max_compression_ratio:
            raise _refuse(f"The workbook's part {member.filename} unpacks to {ratio:,.0f} times its packed size, "
                          "which no spreadsheet does; it was not read. Save the file again from Excel.")
        if member.filename.lower().endswith("sharedstrings.xml") and member.file_size > limits.max_shared_strings_bytes:
            raise _refuse(f"The workbook's text (shared strings) unpacks to {size_text(member.file_size)}; at most "
                          f"{size_text(limits.max_shared_strings_bytes)} is read. Save it as CSV, or split it.")


def _read_xlsx(data: bytes, limits: ImportLimits) -> list[list[Any]]:
    from openpyxl import load_workbook

    _check_workbook_sizes(data, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise CaseFileError(
            [
                ImportProblem(
                    None,
                    None,
                    f"The file could not be read as an Excel workbook ({type(exc).__name__}); save it again as .xlsx",
                )
            ]
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        # A read-only sheet's used range, from its <dimension>: None when the file leaves it out.
        declared_rows: int | None = getattr(sheet, "max_row", None)
        declared_columns: int | None = getattr(sheet, "max_column", None)
        if declared_rows is not None and declared_rows > limits.max_rows + 1:
            raise _refuse(f"The first sheet's used range has {declared_rows:,} rows; a case file has at most "
                          f"{limits.max_rows:,}. Delete the empty rows below your data (or split the file) "
                          "and save it again.")
        if declared_columns is not None and declared_columns > limits.max_columns:
            raise _refuse(f"The first sheet's used range has {declared_columns:,} columns; a case file has at most "
                          f"{limits.max_columns:,}. Delete the empty columns beside your data and save it again.")
        # Rows are read one at a time, each only as wide as its own last cell, and counted as they come:
        # a sheet whose used range is missing or wrong still cannot make the reader build more.
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        table: list[list[Any]] = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > limits.max_rows + 1:
                raise _too_many_rows(limits)
            cells = list(row)
            _check_row(number, cells, limits)
            table.append(cells)
        return table
    finally:
        workbook.close()


def _header_key(value: Any) -> str:
    key = re.sub(r"[\s-]+", "_", str(value or "").strip().lower())
    return ALIASES.get(key, key)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value: Any) -> date:
    """ISO dates, UK dd/mm/yyyy, Excel date cells or Excel serial numbers."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d{5}(\.0+)?", value.strip())):
        from openpyxl.utils.datetime import from_excel

        serial = float(value)
        if not 1 <= serial <= 2958465:
            raise ValueError(f"{value} is not an Excel date")
        converted: datetime = from_excel(serial)
        return converted.date()
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text)
        if not match:
            raise ValueError(f"“{text}” is not a date; use dd/mm/yyyy or yyyy-mm-dd")
        day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"“{text}” is not a real date") from None


def _normalise_year_group(value: Any) -> str:
    text = str(value).strip().upper()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    text = re.sub(r"^(YEAR|YR|Y)\s*", "", text)
    text = {"RECEPTION": "R", "NURSERY": "N2"}.get(text, text)
    if not YEAR_GROUP_RE.match(text):
        raise ValueError(f"“{value}” is not a year group; use N1, N2, R or 1 to 14")
    return text


def _code(value: Any, allowed: dict[str, str] | set[str], what: str) -> str:
    text = str(value).strip()
    for code in allowed:
        if code.lower() == text.lower() or code.lower() == text.lower().replace(" ", "_"):
            return code
    listed = ", ".join(sorted(allowed))
    raise ValueError(f"“{text}” is not a known {what}; use one of {listed}")


def _iter_data_rows(table: list[list[Any]]) -> Iterator[tuple[int, list[Any]]]:
    for index, row in enumerate(table[1:], start=2):
        if all(_blank(cell) for cell in row):
            continue
        yield index, row


def parse_case_rows(table: list[list[Any]], limits: ImportLimits | None = None) -> list[CaseRow]:
    """Validate every row; raise CaseFileError listing all problems, or return clean rows."""
    limits = limits or ImportLimits.from_environment()
    problems: list[ImportProblem] = []
    if not table or all(_blank(c) for c in table[0]):
        raise CaseFileError([ImportProblem(None, None, "The file is empty: the first row must name the columns")])
    header = [_header_key(c) for c in table[0]]
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(
                ImportProblem(1, str(table[0][index]), f"unknown column; the columns are {', '.join(COLUMNS)}")
            )
        elif name in positions:
            problems.append(ImportProblem(1, name, "this column appears twice"))
        else:
            positions[name] = index
    if "case_ref" not in positions:
        problems.append(ImportProblem(1, "case_ref", "the required column case_ref is missing"))
    if problems:
        raise CaseFileError(problems, limits.max_problems)
    if len(table) - 1 > limits.max_rows:
        raise _too_many_rows(limits)

    rows: list[CaseRow] = []
    seen_requests: dict[tuple[str, date, str], int] = {}
    case_values: dict[str, dict[str, tuple[Any, int]]] = {}
    request_values: dict[tuple[str, date], dict[str, tuple[Any, int]]] = {}
    for row_number, cells in _iter_data_rows(table):
        raw = {name: (cells[i] if i < len(cells) else None) for name, i in positions.items()}
        row_problems: list[ImportProblem] = []
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if _blank(value) or name == "case_ref":
                continue
            try:
                values[name] = _convert(name, value)
            except ValueError as exc:
                row_problems.append(ImportProblem(row_number, name, str(exc)))
        case_ref = "" if _blank(raw.get("case_ref")) else str(raw["case_ref"]).strip()
        raw_ref = raw.get("case_ref")
        if isinstance(raw_ref, float) and raw_ref.is_integer():
            case_ref = str(int(raw_ref))
        if not case_ref:
            row_problems.append(ImportProblem(row_number, "case_ref", "case_ref is required"))
        elif not CASE_REF_RE.match(case_ref):
            row_problems.append(
                ImportProblem(
                    row_number, "case_ref", f"“{case_ref}” is not a valid reference (letters, digits, / _ . - up to 40)"
                )
            )
        row_problems += _check_logic(row_number, values)
        if case_ref and "request_date" in values:
            # A request may take several rows, one per body asked for advice; its own values must agree.
            agency = values.get("advice_agency", "")
            key = (case_ref.upper(), values["request_date"], agency)
            if key in seen_requests:
                same = "same case_ref, request_date and advice_agency" if agency else "same case_ref and request_date"
                row_problems.append(
                    ImportProblem(row_number, "request_date", f"duplicate of row {seen_requests[key]} ({same})")
                )
            else:
                seen_requests[key] = row_number
            known_request = request_values.setdefault(key[:2], {})
            for name in REQUEST_COLUMNS:
                if name in values and name not in ADVICE_COLUMNS:
                    if name in known_request and known_request[name][0] != values[name]:
                        row_problems.append(
                            ImportProblem(
                                row_number, name, f"differs from row {known_request[name][1]} for the same request"
                            )
                        )
                    else:
                        known_request.setdefault(name, (values[name], row_number))
        if case_ref:
            known = case_values.setdefault(case_ref.upper(), {})
            for name in CASE_COLUMNS:
                if name in values:
                    if name in known and known[name][0] != values[name]:
                        row_problems.append(
                            ImportProblem(row_number, name, f"differs from row {known[name][1]} for the same case")
                        )
                    else:
                        known.setdefault(name, (values[name], row_number))
        problems += row_problems
        rows.append(CaseRow(row_number, case_ref, values))
    if not rows and not problems:
        problems.append(ImportProblem(None, None, "The file has a header but no rows"))
    if problems:
        raise CaseFileError(problems, limits.max_problems)
    return rows


def _whole_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def academic_year_of_birth(value: Any) -> int:
    """The cohort from "2012-13", "2012/13" or "2012" (the year its 1 September falls in)."""
    text = _whole_number(value)
    match = ACADEMIC_YEAR_RE.match(text)
    if match:
        start, end = int(match.group(1)), match.group(2)
        next_year = end is None or (int(end) % 100 == (start + 1) % 100 and (len(end) == 2 or int(end) == start + 1))
        if next_year and 1990 <= start <= 2100:
            return start
    raise ValueError(
        f"“{text}” is not an academic year; write it like 2012-13 (born 1 September 2012 to 31 August 2013)"
    )


def _primary_need(value: Any) -> str:
    code = _code(value, PRIMARY_NEEDS, "primary need code")
    if code not in EHC_PLAN_NEEDS:
        raise ValueError(
            f"{code} is a school census code for SEN support, not an EHC plan need (SEN2); use one of "
            + ", ".join(sorted(EHC_PLAN_NEEDS))
        )
    return code


def _request_source(value: Any) -> int:
    text = _whole_number(value)
    if text.isascii() and text.isdigit() and int(text) in {s.value for s in RequestSource}:
        return int(text)
    for source in RequestSource:
        if text.lower() in {source.name.lower(), source.name.lower().replace("_", " "), source.label.lower()}:
            return source.value
    raise ValueError(
        f"“{text}” is not a request source; use 1 young person or parent, 2 setting, 3 health, "
        "4 social care or 5 other (SEN2 RequestSource)"
    )


def _review_outcome(value: Any) -> str:
    text = str(value).strip()
    for outcome in ReviewOutcome:
        if text.upper() == outcome.value or text.lower() == outcome.name.lower():
            return outcome.value
    raise ValueError(f"“{text}” is not a review outcome; use A (amend), C (cease) or M (maintain)")


def _convert(name: str, value: Any) -> Any:
    if name in DATE_COLUMNS:
        return parse_date(value)
    if name == "year_group":
        return _normalise_year_group(value)
    if name == "academic_year_of_birth":
        return academic_year_of_birth(value)
    if name == "primary_need":
        return _primary_need(value)
    if name == "outcome":
        return _code(value, {o.value for o in RequestOutcome}, "outcome")
    if name == "exception":
        return _code(value, {e.value for e in TimelinessException}, "exception")
    if name == "advice_exception":
        return _code(value, {e.value for e in AdviceException}, "advice exception (reg 8(2))")
    if name == "request_kind":
        return _code(value, {k.value for k in RequestKind}, "request kind")
    if name == "next_phase":
        return _code(value, {p.value for p in PhaseTransfer}, "phase transfer")
    if name == "request_source":
        return _request_source(value)
    if name == "review_outcome":
        return _review_outcome(value)
    if name == "transfer_from_la":
        text = _whole_number(value).zfill(3)
        if not LA_CODE_RE.match(text):
            raise ValueError(f"“{value}” is not a local authority code; use the 3-digit DfE code")
        return text
    if name == "advice_agency":
        return str(value).strip().lower().replace(" ", "_")
    text = str(value).strip()
    limit = TEXT_LIMITS.get(name, 80)
    if len(text) > limit:
        raise ValueError(f"keep this to {limit} characters or fewer")
    return text


def _check_logic(row: int, v: dict[str, Any]) -> list[ImportProblem]:
    problems = _check_case_logic(row, v)
    request = v.get("request_date")
    if request is None:
        for name in REQUEST_COLUMNS:
            if name in v:
                problems.append(ImportProblem(row, name, "needs a request_date on the same row"))
        return problems
    decision, final = v.get("decision_to_assess_date"), v.get("final_issued_date")
    if decision and decision < request:
        problems.append(ImportProblem(row, "decision_to_assess_date", "is before the request_date"))
    if final and final < request:
        problems.append(ImportProblem(row, "final_issued_date", "the plan is issued before it was requested"))
    elif final and decision and final < decision:
        problems.append(ImportProblem(row, "final_issued_date", "is before the decision_to_assess_date"))
    birth = v.get("date_of_birth")
    if birth and birth > request:
        problems.append(ImportProblem(row, "date_of_birth", "is after the request_date"))
    for name in ("responsible_date", "assessment_outcome_date", "draft_issued_date", "exception_start"):
        if v.get(name) and v[name] < request:
            problems.append(ImportProblem(row, name, "is before the request_date"))
    outcome_date, draft = v.get("assessment_outcome_date"), v.get("draft_issued_date")
    if outcome_date and decision and outcome_date < decision:
        problems.append(ImportProblem(row, "assessment_outcome_date", "is before the decision_to_assess_date"))
    if draft and final and final < draft:
        problems.append(ImportProblem(row, "final_issued_date", "is before the draft_issued_date"))
    if v.get("exception_start") and v.get("exception_end") and v["exception_end"] < v["exception_start"]:
        problems.append(ImportProblem(row, "exception_end", "is before the exception_start"))
    for name in ("exception_start", "exception_end", "family_told_date"):
        if name in v and "exception" not in v:
            problems.append(ImportProblem(row, name, "needs the exception on the same row"))
    if "advice_agency" in v:
        if "advice_requested_date" not in v:
            problems.append(
                ImportProblem(row, "advice_requested_date", "advice needs the date the body received the request")
            )
        elif v.get("advice_received_date") and v["advice_received_date"] < v["advice_requested_date"]:
            problems.append(ImportProblem(row, "advice_received_date", "is before the advice_requested_date"))
    else:
        for name in ("advice_requested_date", "advice_received_date", "advice_exception"):
            if name in v:
                problems.append(ImportProblem(row, name, "needs the advice_agency on the same row"))
    outcome = v.get("outcome")
    if outcome == RequestOutcome.ISSUED and not final:
        problems.append(ImportProblem(row, "final_issued_date", "an issued plan needs its final_issued_date"))
    if final and outcome and outcome != RequestOutcome.ISSUED:
        problems.append(ImportProblem(row, "outcome", f"is {outcome} but the row has a final_issued_date"))
    if outcome == RequestOutcome.REFUSED_TO_ISSUE and not decision:
        problems.append(
            ImportProblem(row, "decision_to_assess_date", "a refusal to issue follows a decision to assess")
        )
    return problems


def _check_case_logic(row: int, v: dict[str, Any]) -> list[ImportProblem]:
    """The case-level dates: the review's steps in order, a transfer and its notice, a move with its date."""
    problems: list[ImportProblem] = []
    meeting = v.get("review_meeting_date")
    problems.extend(
        ImportProblem(row, name, "is before the review_meeting_date")
        for name in ("review_report_date", "review_decision_date")
        if meeting and v.get(name) and v[name] < meeting
    )
    sent, amended = v.get("review_amendments_sent_date"), v.get("review_amended_plan_date")
    if sent and amended and amended < sent:
        problems.append(ImportProblem(row, "review_amended_plan_date", "is before the review_amendments_sent_date"))
    if v.get("transfer_family_told_date") and not v.get("transferred_in_date"):
        problems.append(
            ImportProblem(row, "transfer_family_told_date", "needs the transferred_in_date on the same row")
        )
    elif v.get("transfer_family_told_date") and v["transfer_family_told_date"] < v["transferred_in_date"]:
        problems.append(ImportProblem(row, "transfer_family_told_date", "is before the transferred_in_date"))
    if ("next_phase" in v) != ("phase_transfer_date" in v):
        missing = "phase_transfer_date" if "next_phase" in v else "next_phase"
        problems.append(ImportProblem(row, missing, "a phase transfer needs both next_phase and phase_transfer_date"))
    birth, cohort = v.get("date_of_birth"), v.get("academic_year_of_birth")
    if birth and cohort is not None and (birth.year if birth.month >= 9 else birth.year - 1) != cohort:
        problems.append(ImportProblem(row, "academic_year_of_birth", "does not match the date_of_birth"))
    return problems
