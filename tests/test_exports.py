"""Every CSV and Excel export neutralises formula text (security review, finding 9)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook

from qaframework.exports import csv_text, safe_row, xlsx_bytes

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "\t=1+1",
           "\r=1+1"]
#: Code that writes a spreadsheet: a CSV writer or an openpyxl workbook.
WRITERS = re.compile(r"csv\.writer\(|csv\.DictWriter\(|Workbook\(")


def test_every_module_that_writes_a_spreadsheet_uses_the_neutraliser() -> None:
    unsafe = [
        str(path.relative_to(ROOT))
        for package in ("qaframework", "webapp")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "exports.py"
        and WRITERS.search(text := path.read_text(encoding="utf-8"))
        and not re.search(r"\b(safe_cell|safe_row|csv_text|xlsx_bytes)\b", text)
    ]
    assert unsafe == [], "write exports with qaframework.exports (csv_text, safe_row, xlsx_bytes)"


def test_csv_cells_that_would_be_formulas_are_quoted() -> None:
    text = csv_text(["note"], [[value] for value in HOSTILE])
    cells = text.removeprefix("\ufeff").split("\r\n")[1:-1]
    assert all(cell.lstrip('"').startswith("'") for cell in cells), cells
    assert safe_row(["=1", 2, None, "plain"]) == ["'=1", "2", "", "plain"]


def test_excel_export_holds_no_formula_and_keeps_numbers_and_dates_typed() -> None:
    when = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    data = xlsx_bytes("=Sheet", ["=title", "count", "due", "at"], [[value, 3, date(2026, 12, 1), when]
                                                                   for value in HOSTILE])
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "'=Sheet"
    rows = list(sheet.iter_rows())
    assert all(cell.data_type != "f" for row in rows for cell in row)
    assert [cell.value for cell in rows[0]] == ["'=title", "count", "due", "at"]
    assert [row[0].value for row in rows[1:]] == ["'" + value for value in HOSTILE]
    assert rows[1][1].value == 3 and rows[1][2].value.date() == date(2026, 12, 1)
    assert rows[1][3].value == datetime(2026, 11, 27, 9, 30)
