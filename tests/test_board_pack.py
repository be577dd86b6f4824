"""The board pack read back with openpyxl: sheets, hand-worked figures, charts and their references,
suppression, formulas kept as text, no identifiers; the ``qa report board`` command makes the same
bytes; LibreOffice opens it (both databases)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree  # type: ignore[import-untyped]
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from qaframework.cli import main
from qaframework.reports.board_pack import SHEETS, write_board_pack
from qaframework.reports.figures import BoardFilters
from qaframework.store.db import make_engine, session_factory
from tests.board_data import FORMULA_THEME, TODAY, Made, make_board_data
from tests.support import scratch_database

C = "[c]"
CHART_NS = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}


@pytest.fixture
def made(session: Session) -> Made:
    return make_board_data(session)


@pytest.fixture
def pack(session: Session, made: Made) -> bytes:
    out = io.BytesIO()
    write_board_pack(session, "2025-26", "Summer 1", out, today=TODAY)
    return out.getvalue()


@pytest.fixture
def book(pack: bytes) -> Workbook:
    return load_workbook(io.BytesIO(pack))


def _rows_under(ws: Worksheet, heading: str) -> list[list[object]]:
    """The rows of the table headed ``heading`` (after its column headings), up to the blank row."""
    found = header_seen = False
    rows: list[list[object]] = []
    for row in ws.iter_rows(values_only=True):
        if not found:
            found = row[0] == heading
            header_seen = False
            continue
        if not header_seen:
            header_seen = True
            continue
        if all(v is None for v in row):
            break
        cells: list[object] = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(cells)
    assert found, heading
    return rows


def _value(ws: Worksheet, label: str) -> object:
    for row in ws.iter_rows(values_only=True):
        if row[0] == label:
            return row[1]
    raise AssertionError(label)


def _cells(book: Workbook) -> Iterator[object]:
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            yield from (v for v in row if v is not None)


def test_the_sheets_are_the_issues(book: Workbook) -> None:
    assert tuple(book.sheetnames) == SHEETS == (
        "Summary", "Grades", "Trends", "Moderation", "Themes", "Actions", "Timeliness", "Tier 4", "Definitions",
    )


def test_summary_figures_match_the_hand_count(book: Workbook) -> None:
    ws = book["Summary"]
    # 10 Tier 1 + 7 Tier 2 + 2 Tier 3 + 1 approved Tier 4 = 20 finished audits; good or better
    # 6 + 5 + 1 + 1 (Positive) = 13 of 20 = 65%.
    assert _value(ws, "Audits done (submitted, moderated or closed)") == 20
    assert _value(ws, "% of graded audits Outstanding or Good (Tier 4: Positive)") == pytest.approx(0.65)
    assert _value(ws, "From") == datetime(2026, 4, 11) and _value(ws, "To") == datetime(2026, 5, 31)
    assert _value(ws, "Figures as at") == datetime(2026, 6, 1)
    from_cell = next(row[1] for row in ws.iter_rows() if row[0].value == "From")
    assert from_cell.number_format == "d mmmm yyyy"  # a real date, shown as one
    good = _rows_under(ws, "Good or better by tier, 2025-26 Summer 1 and 2025-26 Spring 2")
    assert good[0] == ["Tier 1: agency contribution check", 10, 6, pytest.approx(0.6), 8, pytest.approx(0.625),
                       pytest.approx(-2.5)]
    assert good[2][:4] == ["Tier 3: multi-agency audit", C, C, C]
    actions = _rows_under(ws, "Actions raised from this period's audits")
    assert actions == [[10, 5, 5, 5, 20, "Red"]]


def test_grades_by_tier_are_suppressed_as_worked_by_hand(book: Workbook) -> None:
    rows = _rows_under(book["Grades"], "By tier")
    assert rows == [
        ["Tier 1: agency contribution check", C, 5, C, C, 10],
        ["Tier 2: single-agency audit", 0, C, C, 0, C],
        ["Tier 3: multi-agency audit", 0, C, C, 0, C],
        ["All tiers", C, 11, 6, C, 19],
    ]


def test_every_sheet_has_a_frozen_header_filters_and_print_setup(book: Workbook) -> None:
    for ws in book.worksheets:
        assert ws.freeze_panes is not None and ws.freeze_panes.startswith("A"), ws.title
        assert ws.tables, ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$2", ws.title
        assert ws["A1"].value and ws.column_dimensions["A"].width >= 8
    assert set(book["Grades"].tables) >= {"GradesByTier", "GradesByAgency", "GradesByPlanSection"}


def test_rag_is_conditionally_formatted(book: Workbook) -> None:
    ws = book["Actions"]
    formulas = {rule.formula[0] for cf in ws.conditional_formatting for rule in cf.rules}
    assert any(f.endswith('="Red"') for f in formulas) and any(f.endswith('="Green"') for f in formulas)
    theme_rows = _rows_under(ws, "By theme")
    assert ["Child's voice", 10, 5, 5, 0, 0, 10, "Red"] in theme_rows


def test_injected_formulas_stay_text_and_no_cell_is_a_formula(book: Workbook) -> None:
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    theme_rows = _rows_under(book["Actions"], "By theme")
    assert theme_rows[0][0] == "'" + FORMULA_THEME


def test_no_identifier_or_free_text_anywhere_in_the_file(pack: bytes, book: Workbook, made: Made) -> None:
    cells = [str(v) for v in _cells(book)]
    for secret in made.secrets:
        assert not [c for c in cells if secret in c], secret
    # The file's every part (charts, properties, shared strings), not only the cells.
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        text = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8", "replace")
    for secret in made.secrets:
        assert secret not in text, secret
    assert "Ask Sam Patel" not in text  # a theme typed once is never shown by its words


def _charts(pack: bytes) -> list[tuple[str, str, list[str], list[str]]]:
    """(chart kind, title, series value references, kinds of category reference) of every chart in the file."""
    found = []
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        for name in sorted(n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)):
            tree = etree.fromstring(archive.read(name))
            kind = "bar" if tree.find(".//c:barChart", CHART_NS) is not None else "line"
            title = "".join(tree.xpath("c:chart/c:title//a:t/text()", namespaces={
                **CHART_NS, "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}))
            refs = tree.xpath(".//c:ser/c:val//c:f/text()", namespaces=CHART_NS)
            categories = tree.xpath(".//c:ser/c:cat/*/c:f/..", namespaces=CHART_NS)
            found.append((kind, title, refs, [etree.QName(c).localname for c in categories]))
    return found


def _range(book: Workbook, ref: str) -> list[object]:
    sheet, cells = ref.rsplit("!", 1)
    ws = book[sheet.strip("'")]
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


def test_native_charts_plot_the_tables_figures(pack: bytes, book: Workbook) -> None:
    charts = _charts(pack)
    titles = {title: (kind, refs, categories) for kind, title, refs, categories in charts}
    grade = titles["Grade distribution by tier, 2025-26 Summer 1"]
    trend = titles["% good or better by half term"]
    weeks = titles["EHC plans issued within 20 weeks, by month"]
    assert grade[0] == "bar" and trend[0] == "line" and weeks[0] == "line"
    assert all(ref.startswith("'Grades'!") for ref in grade[1])
    # The Good series of the grade chart: Tier 1's 5 shown; hidden figures left empty (a gap, not a 0).
    assert _range(book, grade[1][1]) == [5, None, None]
    # Tier 1's trend: the five half terms before (no audits: empty), Spring 2 62.5%, Summer 1 60%.
    assert all(ref.startswith("'Trends'!") for ref in trend[1])
    assert _range(book, trend[1][0]) == [None, None, None, None, pytest.approx(0.625), pytest.approx(0.6)]
    assert all(ref.startswith("'Timeliness'!") for ref in weeks[1])
    # Tiers and half terms are text categories; months are dates.
    assert set(grade[2]) == set(trend[2]) == {"strRef"} and set(weeks[2]) == {"numRef"}


def test_document_properties_and_the_same_bytes_every_time(session: Session, made: Made, pack: bytes,
                                                             book: Workbook) -> None:
    props = book.properties
    assert props.title == "SEND audit quality assurance: board pack, 2025-26 Summer 1"
    assert props.creator == "qaframework" and props.created == datetime(2026, 6, 1)
    again = io.BytesIO()
    write_board_pack(session, "2025-26", "Summer 1", again, today=TODAY)
    assert again.getvalue() == pack


def test_progress_is_reported_to_the_end(session: Session, made: Made) -> None:
    seen: list[tuple[int, int]] = []
    write_board_pack(session, "2025-26", None, io.BytesIO(), lambda done, total: seen.append((done, total)),
                     today=TODAY)
    assert seen[0] == (0, 10) and seen[-1] == (10, 10)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_filtered_pack_says_so_and_counts_less(session: Session, made: Made) -> None:
    out = io.BytesIO()
    write_board_pack(session, "2025-26", "Summer 1", out, today=TODAY, filters=BoardFilters(agency="health"))
    ws = load_workbook(out)["Summary"]
    assert "Filtered to Agency: Health" in str(ws["A2"].value)
    assert _value(ws, "Audits done (submitted, moderated or closed)") == 7


def test_a_bad_period_writes_nothing(session: Session, tmp_path: Path) -> None:
    target = tmp_path / "pack.xlsx"
    with pytest.raises(ValueError, match="is not a half term"):
        write_board_pack(session, "2025-26", "Winter", target, today=TODAY)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_the_command_writes_the_same_workbook_as_the_library(tmp_path: Path) -> None:
    runner = CliRunner()
    with scratch_database(tmp_path, "qa_board_pack") as url:
        assert runner.invoke(main, ["--database-url", url, "init"]).exit_code == 0
        engine = make_engine(url)
        with session_factory(engine)() as session:
            make_board_data(session)
            session.commit()
            library = io.BytesIO()
            write_board_pack(session, "2025-26", "Summer 1", library, today=TODAY)
        engine.dispose()
        target = tmp_path / "board.xlsx"
        result = runner.invoke(main, ["--database-url", url, "report", "board", "--year", "2025-26", "--cycle",
                                      "Summer 1", "-o", str(target), "--today", TODAY.isoformat()])
        assert result.exit_code == 0, result.output
        assert "Wrote the 2025-26 Summer 1 board pack" in result.output
        assert "Building" not in result.output  # no progress bar when not on a terminal
        assert target.read_bytes() == library.getvalue()
        wrong = runner.invoke(main, ["--database-url", url, "report", "board", "--year", "2025/26",
                                     "-o", str(target)])
        assert wrong.exit_code != 0 and "academic year like 2025-26" in wrong.output
        csv = runner.invoke(main, ["--database-url", url, "report", "board", "--year", "2025-26",
                                   "-o", str(tmp_path / "board.csv")])
        assert csv.exit_code != 0 and "name it .xlsx" in csv.output


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (scripts/install-test-deps.sh) not installed")
def test_libreoffice_opens_the_pack_and_prints_it(tmp_path: Path, session: Session, made: Made) -> None:
    source = tmp_path / "board.xlsx"
    write_board_pack(session, "2025-26", None, source, today=date(2026, 11, 27))
    profile = tmp_path / "profile"
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=240, check=False,
    )
    pdf = tmp_path / "board.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        match = re.search(r"Pages:\s+(\d+)", info)
        assert match is not None, info
        pages = int(match.group(1))
        assert len(SHEETS) <= pages <= 30  # every sheet printed, each fitted to the page's width
