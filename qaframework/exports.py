"""Writing spreadsheets people download (CSV) so that opening one can never run anything.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) is
read by Excel and LibreOffice as a formula: text typed into the service (evidence, a note, a
name) could then run a formula on the administrator's machine (OWASP "CSV injection"). Every
cell of every export goes through :func:`safe_cell` (CSV: :func:`csv_text` or :func:`safe_row`;
Excel: :func:`xlsx_bytes`); a test fails if a module writes CSV or a workbook without them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from openpyxl import Workbook

__all__ = ["csv_text", "safe_cell", "safe_row", "xlsx_bytes"]

#: A cell starting with one of these is treated as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Control characters other than tab, line feed and carriage return: never meaningful in a cell.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_cell(value: object) -> str:
    """The value as text a spreadsheet shows as text: control characters stripped, and a leading
    quote before anything that would otherwise start a formula."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub("", text)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def safe_row(row: Iterable[object]) -> list[str]:
    """Every cell of a row made safe, for code that drives its own ``csv.writer`` (the ``qa`` command)."""
    return [safe_cell(cell) for cell in row]


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """An Excel workbook of one sheet. Text goes through :func:`safe_cell` (openpyxl would store a
    string starting with ``=`` as a formula); numbers, dates and booleans stay typed, since they
    cannot be formulas."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(safe_cell(title)[:31] or "Sheet")
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append([_typed_cell(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _typed_cell(value: object) -> object:
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):  # Excel has no time zones: write UTC
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    return safe_cell(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document (UTF-8 with a byte-order mark, so Excel reads the accents) of safe cells."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
