"""The Strategic SEND Board's pack: one Excel workbook of aggregates for an academic year or half term.

``qa report board`` and the background job behind the reports page's button both call
:func:`write_board_pack`, so they produce the same workbook; its document and zip timestamps come
from ``today``, so the same data on the same day gives the same bytes.

Board papers are often published, so the pack holds figures only (``reports.figures``, already
suppressed): no case reference, URN, name or free text. The one text typed into the service that
reaches it is an action's theme, and only when at least five actions share it. Every text cell
goes through :func:`qaframework.exports.safe_cell`. Written with openpyxl (not its write-only
mode): charts, tables, conditional formatting and print set-up need the full workbook, and the
pack is a few hundred cells however many audits there are.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.exports import safe_cell
from qaframework.reports import Progress
from qaframework.reports import figures as f
from qaframework.reports.definitions import DEFINITIONS
from qaframework.reports.suppression import SUPPRESSED, Rate, Suppressed
from qaframework.store import Agency

__all__ = ["SHEETS", "BoardPackSummary", "write_board_pack"]

#: The sheets, in order.
SHEETS = ("Summary", "Grades", "Trends", "Moderation", "Themes", "Actions", "Timeliness", "Tier 4", "Definitions")
#: What a figure with nothing to divide by (or no data) shows.
NOTHING = "–"
#: GOV.UK colours for the RAG fills (light tints, so black text keeps its contrast).
RAG_FILLS = {"Red": "F6D7D2", "Amber": "FFF2CC", "Green": "CCE2D8"}
TITLE_ROWS = 3
#: Column headings wider than this wrap onto more lines.
HEADER_WIDTH = 22

#: Column kinds: how a value is written and formatted.
TEXT, COUNT, PCT, KAPPA, DATE, MONTH, CHANGE = "text", "count", "pct", "kappa", "date", "month", "change"
FORMATS = {COUNT: "#,##0", PCT: "0.0%", KAPPA: "0.000", DATE: "d mmmm yyyy", MONTH: "mmm yyyy", CHANGE: "+0.0;-0.0;0.0"}



@dataclass(frozen=True)
class Typed:
    """A value with its own kind, for a column that mixes them (a headline table's values)."""

    value: str | int | float | Decimal | date | Suppressed | None
    kind: str


Value = str | int | float | Decimal | date | Suppressed | Typed | None


@dataclass(frozen=True)
class BoardPackSummary:
    sheets: tuple[str, ...]
    period: str
    #: Figures hidden by small-cell suppression, across the workbook.
    hidden: int


CellValue = str | int | float | date


def _cell_value(value: str | int | float | Decimal | date | Suppressed | None, kind: str) -> CellValue:
    """What goes into the cell: numbers, dates typed; text made safe; a hidden figure "[c]"."""
    if isinstance(value, Suppressed):
        return str(SUPPRESSED)
    if value is None:
        return NOTHING
    if kind == PCT and isinstance(value, Decimal | int | float):
        return float(value) / 100
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | float | date):
        return value
    return safe_cell(value)


class _Sheet:
    """One worksheet written top to bottom: a title, then headed tables, charts and their data."""

    def __init__(self, book: _Book, title: str, heading: str) -> None:
        self.book = book
        self.ws: Worksheet = book.wb.create_sheet(title)
        self.ws["A1"] = safe_cell(heading)
        self.ws["A1"].font = Font(bold=True, size=14)
        self.ws["A2"] = safe_cell(book.subtitle)
        self.ws["A2"].font = Font(italic=True)
        self.row = TITLE_ROWS + 1
        self.widths: dict[int, int] = {}
        self.frozen = False
        #: Cells of long text (row, column, length): ``finish`` sets their rows' heights.
        self.wrapped: list[tuple[int, int, int]] = []
        #: Header rows and their labels, so ``finish`` can make the wrapped ones tall enough.
        self.headers: list[tuple[int, list[str]]] = []

    def note(self, text: str, bold: bool = False) -> None:
        cell = self.ws.cell(self.row, 1, safe_cell(text))
        cell.font = Font(bold=bold, size=12 if bold else 11)
        self.row += 1

    def table(self, name: str, heading: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Value]],
              *, rag_column: int | None = None) -> tuple[int, int]:
        """A headed Excel table with filters; returns (header row, last row)."""
        self.note(heading, bold=True)
        header_row = self.row
        for j, (label, _kind) in enumerate(columns, start=1):
            cell = self.ws.cell(header_row, j, safe_cell(label))
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="bottom",
                                       horizontal="left" if _kind == TEXT else "right")
            self._width(j, min(len(label), HEADER_WIDTH) + 2)
        self.headers.append((header_row, [label for label, _ in columns]))
        body = list(rows) or [["No data", *([None] * (len(columns) - 1))]]
        for i, values in enumerate(body, start=header_row + 1):
            for j, ((_label, column_kind), given) in enumerate(zip(columns, values, strict=True), start=1):
                kind, value = (given.kind, given.value) if isinstance(given, Typed) else (column_kind, given)
                written = _cell_value(value, kind)
                cell = self.ws.cell(i, j, written)
                if isinstance(written, str) and kind != TEXT:
                    cell.alignment = Alignment(horizontal="right")
                elif kind in FORMATS:
                    cell.number_format = FORMATS[kind]
                if kind == TEXT and isinstance(written, str) and len(written) > 50:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                    self.wrapped.append((i, j, len(written)))
                self._width(j, _shown_width(written, kind))
                if isinstance(value, Suppressed):
                    self.book.hidden += 1
        last_row = header_row + len(body)
        ref = f"A{header_row}:{get_column_letter(len(columns))}{last_row}"
        table = Table(displayName=name, ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        self.ws.add_table(table)
        if rag_column is not None:
            letter = get_column_letter(rag_column)
            cells = f"{letter}{header_row + 1}:{letter}{last_row}"
            for word, colour in RAG_FILLS.items():
                rule = FormulaRule(  # type: ignore[no-untyped-call]
                    formula=[f'${letter}{header_row + 1}="{word}"'],
                    fill=PatternFill(start_color=colour, end_color=colour, fill_type="solid"),
                    font=Font(bold=True),
                )
                self.ws.conditional_formatting.add(cells, rule)
        if not self.frozen:
            self.ws.freeze_panes = f"A{header_row + 1}"
            self.ws.print_title_rows = "1:2"
            self.frozen = True
        self.row = last_row + 2
        return header_row, last_row

    def chart_data(self, name: str, heading: str, columns: Sequence[tuple[str, str]],
                   rows: Sequence[Sequence[Value]]) -> tuple[int, int]:
        """The numbers a chart plots: hidden and missing figures left empty, so the chart shows a gap."""
        plotted = [[None if isinstance(v, Suppressed) else v for v in r] for r in rows]
        header_row = self.row + 1
        self.table(name, heading, columns, plotted)
        for i in range(header_row + 1, header_row + 1 + len(rows)):
            for j in range(2, len(columns) + 1):
                if self.ws.cell(i, j).value == NOTHING:
                    self.ws.cell(i, j).value = None
        return header_row, header_row + max(1, len(rows))

    def place(self, chart: BarChart | LineChart, height_rows: int = 16, *, text_categories: bool = True) -> None:
        if text_categories:  # openpyxl refers to categories as numbers; half terms and tiers are text
            for series in chart.series:
                if series.cat is not None and series.cat.numRef is not None:
                    series.cat = AxDataSource(strRef=StrRef(f=series.cat.numRef.f))
        if isinstance(chart, LineChart):  # straight lines, and a marker so a point between gaps still shows
            for series in chart.series:
                series.smooth = False
                series.marker.symbol = "circle"
                series.marker.size = 6
        chart.height = 7.5
        chart.width = 17
        self.ws.add_chart(chart, f"A{self.row}")
        self.row += height_rows

    def _width(self, column: int, width: int) -> None:
        self.widths[column] = max(self.widths.get(column, 8), min(width, 60))

    def finish(self) -> None:
        for column, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(column)].width = width + 1
        for row, labels in self.headers:  # spreadsheet programs do not grow a row for wrapped text on opening
            lines = max(math.ceil(len(label) / max(1, self.widths.get(j, 8) - 1)) for j, label in enumerate(labels, 1))
            self.ws.row_dimensions[row].height = 15 * max(1, lines)
        heights: dict[int, int] = {}
        for row, column, length in self.wrapped:
            column_width = float(self.ws.column_dimensions[get_column_letter(column)].width or 8)
            heights[row] = max(heights.get(row, 1), math.ceil(length / max(1.0, column_width - 1)))
        for row, lines in heights.items():
            self.ws.row_dimensions[row].height = 15 * lines
        setup = self.ws.page_setup
        setup.orientation = "landscape"
        setup.paperSize = self.ws.PAPERSIZE_A4
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        footer, header = self.ws.HeaderFooter.oddFooter, self.ws.HeaderFooter.oddHeader
        if footer is not None and header is not None:  # openpyxl always makes them; its types say maybe
            footer.center.text = "&A: page &P of &N"
            header.left.text = safe_cell(self.book.subtitle_short).replace("&", "&&")


def _shown_width(value: object, kind: str) -> int:
    if isinstance(value, str):
        return min(len(value), 60) + 2
    if kind == DATE:
        return 18
    if kind == MONTH:
        return 10
    if kind == PCT:
        return 8
    return len(f"{value:,}") + 2 if isinstance(value, int) else 10


class _Book:
    def __init__(self, period: f.ReportPeriod, filters: f.BoardFilters, agency_names: dict[str, str],
                 today: date) -> None:
        self.wb = Workbook()
        self.wb.remove(self.wb.active)  # type: ignore[arg-type]
        self.hidden = 0
        chosen = "; ".join(f"{name}: {value}" for name, value in filters.describe(agency_names))
        scope = f"Filtered to {chosen}" if chosen else "All agencies, phases, needs and settings"
        self.subtitle = (f"{period.label} · {scope} · figures as at {today:%-d %B %Y} · aggregates only: "
                         "counts of 1 to 4 and figures they could be worked out from show [c]")
        self.subtitle_short = f"SEND QA board pack, {period.label}"


def _rate_change(now: Rate, before: Rate) -> Decimal | None:
    if isinstance(now, Decimal) and isinstance(before, Decimal):
        return now - before
    return None


def write_board_pack(
    session: Session,
    year: str,
    cycle: str | None,
    out: BinaryIO | Path,
    progress: Progress | None = None,
    *,
    today: date | None = None,
    filters: f.BoardFilters | None = None,
) -> BoardPackSummary:
    """Write the board pack for ``year`` ("2025-26"), or one half term of it, to ``out``.

    ValueError (before anything is written) when the year or half term is not one; a path is
    written whole or not at all (a temporary file renamed into place).
    """
    day = today or datetime.now(UTC).date()
    chosen = filters or f.BoardFilters()
    period = f.report_period(session, year, cycle)
    agency_names = dict(session.execute(select(Agency.code, Agency.name)).all())
    book = _Book(period, chosen, agency_names, day)
    steps: list[Callable[[], None]] = [
        lambda: _summary(book, session, period, chosen, day),
        lambda: _grades(book, session, period, chosen),
        lambda: _trends(book, session, period, chosen),
        lambda: _moderation(book, session, period, chosen),
        lambda: _themes(book, session, period, chosen),
        lambda: _actions(book, session, period, chosen, day),
        lambda: _timeliness(book, session, period, chosen, day),
        lambda: _tier4(book, session, period, chosen),
        lambda: _definitions(book, period),
    ]
    total = len(steps) + 1
    if progress:
        progress(0, total)
    with f.computed_once():  # the Summary's figures are shown again on their own sheets
        for done, step in enumerate(steps, start=1):
            step()
            if progress:
                progress(done, total)
    _properties(book.wb, period, day)
    data = _deterministic_zip(book.wb, day)
    if isinstance(out, Path):
        partial = out.with_name(f".{out.name}.partial")
        partial.write_bytes(data)
        partial.replace(out)
    else:
        out.write(data)
    if progress:
        progress(total, total)
    return BoardPackSummary(tuple(ws.title for ws in book.wb.worksheets), period.label, book.hidden)


def _properties(wb: Workbook, period: f.ReportPeriod, day: date) -> None:
    stamp = datetime(day.year, day.month, day.day)
    props = wb.properties
    props.title = safe_cell(f"SEND audit quality assurance: board pack, {period.label}")
    props.subject = "Strategic SEND Board: audit quality, moderation, actions and timeliness (aggregates only)"
    props.creator = "qaframework"
    props.lastModifiedBy = "qaframework"
    props.keywords = "SEND; EHC plans; quality assurance; board pack"
    props.description = "Aggregates only, small counts suppressed; see the Definitions sheet."
    props.category = "Board papers"
    props.created = stamp
    props.modified = stamp


def _deterministic_zip(wb: Workbook, day: date) -> bytes:
    """The workbook's bytes with every zip entry dated ``day``, so the same figures give the same file."""
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    # openpyxl stamps "modified" with the clock as it saves: write the properties again, dated ``day``.
    wb.properties.modified = datetime(day.year, day.month, day.day)
    core = tostring(wb.properties.to_tree())
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, core if info.filename == "docProps/core.xml" else source.read(info.filename))
    return out.getvalue()


# --- The sheets ------------------------------------------------------------------------------------


def _summary(book: _Book, session: Session, period: f.ReportPeriod, filters: f.BoardFilters, day: date) -> None:
    sheet = _Sheet(book, "Summary", f"SEND audit quality assurance: board pack, {period.label}")
    head = f.headline_figures(session, period, filters, today=day)
    compliance = f.statutory_compliance(session, period, filters, today=day)
    weeks = f.twenty_week_rate(session, period, filters)
    sheet.table("SummaryHeadline", "Headline figures", [("Figure", TEXT), ("Value", TEXT)], [
        ["Period", period.label],
        ["From", Typed(period.start, DATE)],
        ["To", Typed(period.end, DATE)],
        ["Figures as at", Typed(day, DATE)],
        ["Audits done (submitted, moderated or closed)", Typed(head.audits_done, COUNT)],
        ["% of graded audits Outstanding or Good (Tier 4: Positive)", Typed(head.good_or_better, PCT)],
        ["% of audits with no statutory breach found", Typed(compliance.rate, PCT)],
        ["% of moderated audits whose grade the panel agreed", Typed(head.agreement_exact, PCT)],
        ["% of final plans issued within 20 weeks", Typed(weeks.rate, PCT)],
        ["Actions open", Typed(head.open_actions, COUNT)],
        ["Actions overdue", Typed(head.overdue_actions, COUNT)],
        [f"Open requests at risk or overdue on {day:%-d %B %Y}", Typed(head.at_risk, COUNT)],
    ])
    done = f.audits_by_tier(session, period, filters)
    sheet.table("SummaryAuditsDone", "Audits done by tier, against the target", [
        ("Tier", TEXT), ("Audits done", COUNT), ("Target", COUNT), ("Done as % of target", PCT),
    ], [
        [row.label, row.done, row.target,
         None if row.target is None or isinstance(row.done, Suppressed)
         else Decimal(100 * row.done) / Decimal(row.target) if row.target else None]
        for row in done
    ])
    rates = f.good_or_better_by_tier(session, period, filters)
    before = period.previous_label
    sheet.table("SummaryGoodOrBetter", f"Good or better by tier, {period.label} and {before}", [
        ("Tier", TEXT), ("Graded", COUNT), ("Good or better", COUNT), ("% good or better", PCT),
        (f"Graded, {before}", COUNT), (f"% good or better, {before}", PCT), ("Change (points)", CHANGE),
    ], [
        [r.label, r.graded, r.good, r.rate, r.previous_graded, r.previous_rate, _rate_change(r.rate, r.previous_rate)]
        for r in rates
    ])
    sheet.table("SummaryCompliance", "Statutory compliance: audits showing each breach", [
        ("Breach", TEXT), ("Audits", COUNT),
    ], [["Audits judged", compliance.audits], ["No breach found", compliance.compliant],
        *([label, n] for label, n in compliance.breaches)])
    agreement = f.moderation_agreement(session, period, filters)[0]
    sheet.table("SummaryModeration", "Moderation agreement (Tier 1 and 2)", [
        ("Audits moderated", COUNT), ("Exact agreement", PCT), ("Within one grade", PCT), ("Kappa (linear)", KAPPA),
    ], [[agreement.n, agreement.exact, agreement.within_one, agreement.kappa_linear]])
    actions = f.actions_summary(session, period, filters, today=day)
    sheet.table("SummaryActions", "Actions raised from this period's audits", [
        ("Open", COUNT), ("Of which overdue", COUNT), ("Done", COUNT), ("Cancelled", COUNT), ("Total", COUNT),
        ("RAG", TEXT),
    ], [[actions.open, actions.overdue, actions.done, actions.cancelled, actions.total,
         _rag_word(_overall_rag(actions))]], rag_column=6)
    header, last = sheet.chart_data("SummaryChartData", "Chart data: % good or better by tier", [
        ("Tier", TEXT), (period.label, PCT), (before, PCT),
    ], [[f"Tier {r.tier}", r.rate, r.previous_rate] for r in rates])
    chart = BarChart()
    chart.type = "col"
    chart.title = f"% good or better by tier, {period.label} and {before}"
    chart.y_axis.title = "% good or better"
    chart.y_axis.numFmt = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.add_data(Reference(sheet.ws, min_col=2, max_col=3, min_row=header, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=header + 1, max_row=last))
    sheet.place(chart)
    sheet.finish()


def _overall_rag(actions: f.ActionFigures) -> str | None:
    if isinstance(actions.open, int) and isinstance(actions.overdue, int) and actions.open:
        return f.rag(actions.open, actions.overdue)
    return None


def _rag_word(code: str | None) -> str | None:
    return code.capitalize() if code else None


def _grade_rows(table: f.GradeTable, total_label: str) -> list[list[Value]]:
    rows: list[list[Value]] = [[r.label, *r.counts, r.total] for r in table.rows]
    rows.append([total_label, *table.totals, table.total])
    return rows


def _grades(book: _Book, session: Session, period: f.ReportPeriod, filters: f.BoardFilters) -> None:
    sheet = _Sheet(book, "Grades", f"Grades, {period.label}: Tiers 1 to 3, Outstanding to Inadequate")
    tables = {by: f.grade_distribution(session, period, filters, by=by) for by in ("tier", "agency", "plan_section")}
    columns = [(label, COUNT) for label in tables["tier"].labels]
    by_tier = tables["tier"]
    sheet.table("GradesByTier", "By tier", [("Tier", TEXT), *columns, ("Total", COUNT)],
                _grade_rows(by_tier, "All tiers"))
    sheet.table("GradesByAgency", "By agency (the agency whose work was audited)",
                [("Agency", TEXT), *columns, ("Total", COUNT)], _grade_rows(tables["agency"], "All agencies"))
    sheet.table("GradesByPlanSection", "By plan section (each checklist section's grade, under every plan "
                "section it covers)", [("Plan section", TEXT), *columns, ("Total", COUNT)],
                _grade_rows(tables["plan_section"], "All sections"))
    header, last = sheet.chart_data("GradesChartData", "Chart data: grade distribution by tier",
                                    [("Tier", TEXT), *columns],
                                    [[f"Tier {r.key}", *r.counts] for r in by_tier.rows])
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = f"Grade distribution by tier, {period.label}"
    chart.x_axis.title = "Tier"
    chart.y_axis.title = "Audits"
    chart.add_data(Reference(sheet.ws, min_col=2, max_col=1 + len(columns), min_row=header, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=header + 1, max_row=last))
    sheet.place(chart)
    sheet.finish()


def _trends(book: _Book, session: Session, period: f.ReportPeriod, filters: f.BoardFilters) -> None:
    sheet = _Sheet(book, "Trends", f"Trend by half term: % good or better, to {period.label}")
    points = f.trend_by_half_term(session, period, filters)
    cycles = f.trend_cycles(period)
    by = {(p.cycle, p.tier): p for p in points}
    tiers = sorted({p.tier for p in points})
    columns: list[tuple[str, str]] = [("Half term", TEXT)]
    for tier in tiers:
        columns += [(f"Tier {tier} graded", COUNT), (f"Tier {tier} % good or better", PCT)]
    rows = [[c, *[v for t in tiers for v in (by[(c, t)].graded, by[(c, t)].rate)]] for c in cycles]
    sheet.table("TrendByHalfTerm", "% good or better by tier and half term", columns, rows)
    header, last = sheet.chart_data("TrendChartData", "Chart data: % good or better",
                                    [("Half term", TEXT), *[(f"Tier {t}", PCT) for t in tiers]],
                                    [[c, *[by[(c, t)].rate for t in tiers]] for c in cycles])
    chart = LineChart()
    chart.title = "% good or better by half term"
    chart.y_axis.title = "% good or better"
    chart.y_axis.numFmt = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.x_axis.title = "Half term"
    chart.display_blanks = "gap"
    chart.add_data(Reference(sheet.ws, min_col=2, max_col=1 + len(tiers), min_row=header, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=header + 1, max_row=last))
    sheet.place(chart)
    sheet.finish()


def _moderation(book: _Book, session: Session, period: f.ReportPeriod, filters: f.BoardFilters) -> None:
    sheet = _Sheet(book, "Moderation", f"Moderation agreement, {period.label}: Tier 1 and 2 audits")
    rows = f.moderation_agreement(session, period, filters)
    columns = [("Group", TEXT), ("Audits moderated", COUNT), ("Exact agreement", PCT), ("Within one grade", PCT),
               ("Kappa (linear)", KAPPA), ("Kappa (quadratic)", KAPPA)]
    for group, name, heading in (("overall", "ModerationOverall", "All moderated audits"),
                                 ("cycle", "ModerationByHalfTerm", "By half term"),
                                 ("agency", "ModerationByAgency", "By agency")):
        sheet.table(name, heading, columns, [
            [r.label, r.n, r.exact, r.within_one, r.kappa_linear, r.kappa_quadratic] for r in rows if r.group == group
        ])
    sheet.finish()


def _themes(book: _Book, session: Session, period: f.ReportPeriod, filters: f.BoardFilters) -> None:
    sheet = _Sheet(book, "Themes", f"Themes, {period.label}: the checklist questions most often not fully met")
    rows = f.theme_counts(session, period, filters)
    sheet.table("Themes", "Questions most often rated Not met or Partially met", [
        ("Rank", COUNT), ("Checklist", TEXT), ("Section", TEXT), ("Question", TEXT), ("Plan sections", TEXT),
        ("Not met or partially met", COUNT), ("Answers rated", COUNT), ("% not fully met", PCT),
        (f"% not fully met, {period.previous_label}", PCT),
    ], [[n, r.template, r.section, r.question, r.plan_sections, r.shortfall, r.rated, r.rate, r.previous_rate]
        for n, r in enumerate(rows, start=1)])
    sheet.finish()


def _action_table(sheet: _Sheet, name: str, heading: str, first: str, rows: list[f.ActionRow]) -> None:
    sheet.table(name, heading, [
        (first, TEXT), ("Open", COUNT), ("Open, on time", COUNT), ("Open, overdue", COUNT), ("Done", COUNT),
        ("Cancelled", COUNT), ("Total", COUNT), ("RAG", TEXT),
    ], [[r.label, r.open, r.on_time, r.overdue, r.done, r.cancelled, r.total, _rag_word(r.rag)] for r in rows],
        rag_column=8)


def _actions(book: _Book, session: Session, period: f.ReportPeriod, filters: f.BoardFilters, day: date) -> None:
    sheet = _Sheet(book, "Actions", f"Actions raised from {period.label}'s audits, as at {day:%-d %B %Y}")
    actions = f.actions_summary(session, period, filters, today=day)
    sheet.table("ActionsByStatus", "By status", [("Status", TEXT), ("Actions", COUNT)], [
        ["Open, on time", actions.on_time], ["Open, overdue", actions.overdue], ["Done", actions.done],
        ["Cancelled", actions.cancelled], ["All actions", actions.total],
    ])
    _action_table(sheet, "ActionsByAgency", "By agency", "Agency", actions.by_agency)
    _action_table(sheet, "ActionsByTheme", "By theme", "Theme", actions.by_theme)
    _action_table(sheet, "ActionsByOwnerRole", "By the owner's role", "Owner's role", actions.by_owner_role)
    sheet.finish()


def _timeliness(book: _Book, session: Session, period: f.ReportPeriod, filters: f.BoardFilters, day: date) -> None:
    sheet = _Sheet(book, "Timeliness", f"Timeliness: EHC plans issued within 20 weeks, {period.label}")
    weeks = f.twenty_week_rate(session, period, filters)
    sheet.table("TimelinessHeadline", f"{period.label}", [("Figure", TEXT), ("Value", TEXT)], [
        ["First requests for assessment received", Typed(weeks.requests, COUNT)],
        ["Final plans issued (first assessments)", Typed(weeks.plans_issued, COUNT)],
        ["Of which within 20 weeks", Typed(weeks.within, COUNT)],
        ["% within 20 weeks", Typed(weeks.rate, PCT)],
        ["% within 20 weeks, excluding exceptions", Typed(weeks.rate_excl_exceptions, PCT)],
        ["% of requests refused assessment", Typed(weeks.refused_to_assess_rate, PCT)],
        [f"Open requests at risk or overdue on {day:%-d %B %Y}", Typed(f.at_risk_count(session, day, filters), COUNT)],
    ])
    sheet.table("TimelinessByMonth", "By month the plan was issued", [
        ("Month", MONTH), ("Plans issued", COUNT), ("Within 20 weeks", COUNT), ("% within 20 weeks", PCT),
    ], [[m.start.replace(day=1), m.plans_issued, m.within, m.rate] for m in weeks.months])
    header, last = sheet.chart_data("TimelinessChartData", "Chart data: % within 20 weeks by month",
                                    [("Month", MONTH), ("% within 20 weeks", PCT)],
                                    [[m.start.replace(day=1), m.rate] for m in weeks.months])
    chart = LineChart()
    chart.title = "EHC plans issued within 20 weeks, by month"
    chart.y_axis.title = "% within 20 weeks"
    chart.y_axis.numFmt = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.x_axis.title = "Month issued"
    chart.x_axis.number_format = "mmm yy"
    chart.display_blanks = "gap"
    chart.legend = None
    chart.add_data(Reference(sheet.ws, min_col=2, max_col=2, min_row=header, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=header + 1, max_row=last))
    sheet.place(chart, text_categories=False)
    years = f.timeliness_by_year(session, filters)
    sheet.table("TimelinessByYear", "By calendar year (all recorded requests, as the DfE publishes them)", [
        ("Year", TEXT), ("Requests", COUNT), ("Plans issued", COUNT), ("% within 20 weeks", PCT),
        ("% within 20 weeks, excluding exceptions", PCT), ("% refused assessment", PCT), ("% refused a plan", PCT),
    ], [[y.label, y.requests, y.plans_issued, y.rate, y.rate_excl_exceptions, y.refused_to_assess_rate,
         y.refused_to_issue_rate] for y in years])
    sheet.finish()


def _tier4(book: _Book, session: Session, period: f.ReportPeriod, filters: f.BoardFilters) -> None:
    sheet = _Sheet(book, "Tier 4", f"Tier 4 system-leader reviews, {period.label}: the family's experience")
    table = f.tier4_experience(session, period, filters)
    sheet.table("Tier4Experience", "Reviews whose board summary was approved, by half term",
                [("Half term", TEXT), *[(label, COUNT) for label in table.labels], ("Total", COUNT)],
                _grade_rows(table, "All half terms"))
    sheet.finish()


def _definitions(book: _Book, period: f.ReportPeriod) -> None:
    sheet = _Sheet(book, "Definitions", "Definitions: scales, rules, how each figure is worked out, sources")
    sheet.table("Definitions", "Definitions", [("Term", TEXT), ("Definition", TEXT)],
                [[term, text] for term, text in DEFINITIONS])
    sheet.widths[2] = 100
    sheet.finish()
    for row in sheet.ws.iter_rows(min_row=TITLE_ROWS + 3, min_col=1, max_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
