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

from qaframework.framework import PRIMARY_NEEDS, RequestOutcome, TimelinessException

COLUMNS = (
    "case_ref", "year_group", "date_of_birth", "primary_need", "setting_type", "team", "request_date",
    "decision_to_assess_date", "final_issued_date", "outcome", "exception", "last_review_date",
)
DATE_COLUMNS = ("date_of_birth", "request_date", "decision_to_assess_date", "final_issued_date", "last_review_date")
CASE_COLUMNS = ("year_group", "date_of_birth", "primary_need", "setting_type", "team", "last_review_date")
REQUEST_COLUMNS = ("decision_to_assess_date", "final_issued_date", "outcome", "exception")
MAX_ROWS = 100_000
#: The widths of the columns these values are stored in.
TEXT_LIMITS = {"setting_type": 60, "team": 80}
CASE_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}$")
YEAR_GROUP_RE = re.compile(r"^(N1|N2|R|[1-9]|1[0-4])$")


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


class CaseFileError(Exception):
    """The file cannot be imported; ``problems`` lists every reason."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def read_table(filename: str, data: bytes) -> list[list[Any]]:
    """Rows of cells from a CSV or the first sheet of an Excel workbook."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(data)
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(data)
    raise CaseFileError([ImportProblem(None, None, f"{filename}: choose a .csv or .xlsx file")])


def _read_csv(data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise CaseFileError([ImportProblem(None, None, "The file is not readable text (save it as CSV UTF-8)")])
    try:
        return [row for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise CaseFileError([ImportProblem(None, None, f"The CSV file is malformed: {exc}")]) from exc


def _read_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise CaseFileError(
            [ImportProblem(None, None, f"The file could not be read as an Excel workbook ({type(exc).__name__}); save it again as .xlsx")]
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _header_key(value: Any) -> str:
    return re.sub(r"[\s-]+", "_", str(value or "").strip().lower())


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
        return from_excel(serial).date()
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


def parse_case_rows(table: list[list[Any]]) -> list[CaseRow]:
    """Validate every row; raise CaseFileError listing all problems, or return clean rows."""
    problems: list[ImportProblem] = []
    if not table or all(_blank(c) for c in table[0]):
        raise CaseFileError([ImportProblem(None, None, "The file is empty: the first row must name the columns")])
    header = [_header_key(c) for c in table[0]]
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(ImportProblem(1, str(table[0][index]), f"unknown column; the columns are {', '.join(COLUMNS)}"))
        elif name in positions:
            problems.append(ImportProblem(1, name, "this column appears twice"))
        else:
            positions[name] = index
    if "case_ref" not in positions:
        problems.append(ImportProblem(1, "case_ref", "the required column case_ref is missing"))
    if problems:
        raise CaseFileError(problems)
    if len(table) - 1 > MAX_ROWS:
        raise CaseFileError([ImportProblem(None, None, f"The file has more than {MAX_ROWS:,} rows; split it")])

    rows: list[CaseRow] = []
    seen_requests: dict[tuple[str, date], int] = {}
    case_values: dict[str, dict[str, tuple[Any, int]]] = {}
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
        if isinstance(raw.get("case_ref"), float) and raw["case_ref"].is_integer():
            case_ref = str(int(raw["case_ref"]))
        if not case_ref:
            row_problems.append(ImportProblem(row_number, "case_ref", "case_ref is required"))
        elif not CASE_REF_RE.match(case_ref):
            row_problems.append(ImportProblem(row_number, "case_ref", f"“{case_ref}” is not a valid reference (letters, digits, / _ . - up to 40)"))
        row_problems += _check_logic(row_number, values)
        if case_ref and "request_date" in values:
            key = (case_ref.upper(), values["request_date"])
            if key in seen_requests:
                row_problems.append(ImportProblem(row_number, "request_date", f"duplicate of row {seen_requests[key]} (same case_ref and request_date)"))
            else:
                seen_requests[key] = row_number
        if case_ref:
            known = case_values.setdefault(case_ref.upper(), {})
            for name in CASE_COLUMNS:
                if name in values:
                    if name in known and known[name][0] != values[name]:
                        row_problems.append(ImportProblem(row_number, name, f"differs from row {known[name][1]} for the same case"))
                    else:
                        known.setdefault(name, (values[name], row_number))
        problems += row_problems
        rows.append(CaseRow(row_number, case_ref, values))
    if not rows and not problems:
        problems.append(ImportProblem(None, None, "The file has a header but no rows"))
    if problems:
        raise CaseFileError(problems)
    return rows


def _convert(name: str, value: Any) -> Any:
    if name in DATE_COLUMNS:
        return parse_date(value)
    if name == "year_group":
        return _normalise_year_group(value)
    if name == "primary_need":
        return _code(value, PRIMARY_NEEDS, "primary need code")
    if name == "outcome":
        return _code(value, {o.value for o in RequestOutcome}, "outcome")
    if name == "exception":
        return _code(value, {e.value for e in TimelinessException}, "exception")
    text = str(value).strip()
    limit = TEXT_LIMITS.get(name, 80)
    if len(text) > limit:
        raise ValueError(f"keep this to {limit} characters or fewer")
    return text


def _check_logic(row: int, v: dict[str, Any]) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
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
    outcome = v.get("outcome")
    if outcome == RequestOutcome.ISSUED and not final:
        problems.append(ImportProblem(row, "final_issued_date", "an issued plan needs its final_issued_date"))
    if final and outcome and outcome != RequestOutcome.ISSUED:
        problems.append(ImportProblem(row, "outcome", f"is {outcome} but the row has a final_issued_date"))
    if outcome == RequestOutcome.REFUSED_TO_ISSUE and not decision:
        problems.append(ImportProblem(row, "decision_to_assess_date", "a refusal to issue follows a decision to assess"))
    return problems
