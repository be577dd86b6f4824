"""Geometry of the dashboard's server-rendered SVG charts: scales, ticks, bars, columns and lines.

Pure functions from figures to coordinates, so the charts are tested without a browser and the
Jinja macros in ``templates/components/charts.html`` only write what is computed here. No chart
library: the CSP forbids the inline styles and scripts they need, and an SVG drawn on the server
works without JavaScript. Every chart sits in a fixed ``viewBox`` the page scales to its column
(320 px and up); the numbers behind it are in a data table beside it, which is what screen readers
read. A value of ``None`` is a cell the figures withhold (suppressed or no data): it is never drawn
as if it were zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from qaframework.numbers import whole_number

#: The drawing area of the column and line charts: wide enough for twelve months or six half terms,
#: narrow enough that its text stays legible when a 320 px screen shrinks it.
WIDTH = 480
#: The bars' drawing area: narrower, so their labels stay larger on a small screen.
BAR_WIDTH = 400
#: Space kept for axis labels: left for the value axis, bottom for the category axis.
LEFT, RIGHT, TOP = 44, 12, 24
FONT = 15
#: A segment narrower than this carries no label inside it (the table and legend still give it).
MIN_LABEL_WIDTH = 30
#: Markers and dash patterns distinguishing a line chart's series without colour.
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("", "8 4", "2 4", "12 4 2 4")


@dataclass(frozen=True)
class Tick:
    value: float
    position: float
    label: str


def nice_step(span: float, count: int) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about ``count`` intervals over ``span``."""
    if span <= 0 or count <= 0:
        return 1.0
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power  # unreachable: raw <= 10 * power by construction


def nice_maximum(largest: float, count: int = 5) -> float:
    """The axis maximum: the first round step at or above the largest value (1 for an empty chart)."""
    if largest <= 0:
        return 1.0
    step = nice_step(largest, count)
    return math.ceil(largest / step - 1e-9) * step


def _format(value: float, suffix: str) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return f"{text}{suffix}"


def ticks(maximum: float, start: float, end: float, count: int = 5, suffix: str = "") -> list[Tick]:
    """Round values from 0 to ``maximum``, each mapped linearly from [0, maximum] onto [start, end]."""
    step = nice_step(maximum, count)
    result = []
    n = 0
    while n * step <= maximum + 1e-9:
        value = n * step
        result.append(Tick(value, start + (end - start) * value / maximum, _format(value, suffix)))
        n += 1
    return result


# --- Stacked bars: the grade distribution, one bar per tier ---------------------------------------


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    count: int
    x: float
    width: float
    #: The count written inside the segment, or None where it would not fit.
    text: str | None
    text_x: float


@dataclass(frozen=True)
class StackedRow:
    label: str
    label_y: float
    y: float
    height: float
    total: int | None
    segments: tuple[Segment, ...]
    #: Where "[c]" is written after the bar when some of its cells are withheld (None: none are).
    hidden_x: float | None
    #: What is written where no bar can be drawn ("Too few to show", "None in this period").
    note: str | None


@dataclass(frozen=True)
class StackedBarChart:
    width: int
    height: float
    rows: tuple[StackedRow, ...]
    axis_y: float
    ticks: tuple[Tick, ...]
    left: float
    right: float


@dataclass(frozen=True)
class BarPart:
    """One cell of a stacked bar as the figures give it: ``count`` None when it is withheld."""

    key: str
    label: str
    count: int | None


#: Room kept right of the longest bar for the "[c]" that marks withheld cells.
HIDDEN_MARK_ROOM = 34


def stacked_bars(
    rows: Sequence[tuple[str, int | None, Sequence[BarPart]]], width: int = BAR_WIDTH, bar_height: float = 28,
    hidden_mark: str = "[c]",
) -> StackedBarChart:
    """Stacked horizontal bars on one count scale: each row's label above its bar (long tier names
    need the width), the cells shown in order, a withheld cell left out and "[c]" written after the
    bar (as in the table), never drawn as if it were a number.

    Counts rather than shares: with small cells withheld, a row's total is often withheld too, and a
    share of an unknown total cannot be drawn. ``rows`` are (label, total, parts); a row with no
    count to draw carries a note instead of a bar.
    """
    left = 8.0
    withheld = any(part.count is None for _, _, parts in rows for part in parts)
    right = width - RIGHT - (HIDDEN_MARK_ROOM if withheld else 0)
    largest = max(
        [total if total is not None else sum(p.count or 0 for p in parts) for _, total, parts in rows] or [0]
    )
    maximum = nice_maximum(largest, 4)
    span = right - left
    y: float = TOP
    laid: list[StackedRow] = []
    for label, total, parts in rows:
        label_y = y + FONT
        bar_y = label_y + 8
        segments: list[Segment] = []
        x = left
        for part in parts:
            if part.count is None or part.count <= 0:
                continue
            share = span * part.count / maximum
            text = str(part.count) if share >= MIN_LABEL_WIDTH else None
            segments.append(Segment(part.key, part.label, part.count, x, share, text, x + share / 2))
            x += share
        hidden = any(part.count is None for part in parts)
        note: str | None = None
        if not segments and hidden:
            note = "Too few to show"
        elif not segments:
            note = "None in this period"
        laid.append(StackedRow(label, label_y, bar_y, bar_height, total, tuple(segments),
                               x + 6 if hidden and segments else None, note))
        y = bar_y + bar_height + 16
    axis_y = y
    scale = ticks(maximum, left, right, count=4)
    return StackedBarChart(width, axis_y + FONT + 12, tuple(laid), axis_y, tuple(scale), left, right)


# --- Columns: a rate by period (the 20-week rate) ---------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    sublabel: str
    value: float | None
    x: float
    width: float
    centre: float
    y: float
    height: float
    #: The value written above the column ("–" for a withheld or empty one).
    text: str
    text_y: float


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: float
    baseline: float
    top: float
    left: float
    right: float
    columns: tuple[Column, ...]
    ticks: tuple[Tick, ...]
    #: Font size of the values and categories: smaller when many columns share the width.
    font: float


def category_font(slot: float, longest: int) -> float:
    """The font size that keeps a label of ``longest`` characters ("Autumn 1", "61.5%") within its
    slot (Arial's characters are about 0.6 em wide on average)."""
    return round(min(float(FONT), slot / (0.62 * max(1, longest) + 0.6)), 1)


def split_label(label: str) -> tuple[str, str]:
    """A category label as two short lines: "2025-26 Autumn 1" -> ("Autumn 1", "2025-26"),
    "2026-03" -> ("Mar", "2026"); anything else stays on one line."""
    head, _, tail = label.partition(" ")
    if tail and len(head) == 7 and head[4] == "-":
        return tail, head
    month = whole_number(label[5:], low=1, high=12) if len(label) == 7 and label[4] == "-" else None
    if month is not None:
        months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        return months[month - 1], label[:4]
    return label, ""


def column_chart(
    points: Sequence[tuple[str, float | None]], maximum: float = 100, suffix: str = "%", width: int = WIDTH,
    plot_height: float = 200, texts: Sequence[str] | None = None,
) -> ColumnChart:
    """Vertical columns from 0 to ``maximum`` with the value above each, categories below in two lines.

    ``texts`` replace the values written above the columns (e.g. "[c]" for a suppressed one), so the
    chart says what the table beside it says.
    """
    if texts is not None and len(texts) != len(points):
        raise ValueError(f"{len(texts)} texts for {len(points)} columns")
    left, right = float(LEFT), float(width - RIGHT)
    top, baseline = TOP + FONT, TOP + FONT + plot_height
    slot = (right - left) / max(1, len(points))
    bar = min(56.0, slot * 0.7)
    columns = []
    for index, (label, value) in enumerate(points):
        centre = left + slot * (index + 0.5)
        height = 0.0 if value is None else plot_height * max(0.0, min(value, maximum)) / maximum
        text = "–" if value is None else _format(round(value, 1), suffix)
        if texts is not None:
            text = texts[index]
        line1, line2 = split_label(label)
        columns.append(Column(line1, line2, value, centre - bar / 2, bar, centre, baseline - height, height, text,
                              baseline - height - 6))
    scale = ticks(maximum, baseline, top, count=4, suffix=suffix)
    font = category_font(slot, max([len(c.text) for c in columns] + [len(c.label) for c in columns] + [4]))
    return ColumnChart(width, baseline + 2 * FONT + 14, baseline, top, left, right, tuple(columns), tuple(scale), font)


# --- Lines: a trend by half term, one line per tier -------------------------------------------------


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    #: SVG path data of the series' marker drawn at this point.
    marker: str


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    marker: str
    dash: str
    #: SVG path data: a new "M" after each gap, so a missing half term is never bridged.
    path: str
    points: tuple[Point, ...]
    #: The marker as drawn in a 36 x 16 legend swatch.
    legend_marker: str


@dataclass(frozen=True)
class Category:
    x: float
    label: str
    sublabel: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: float
    baseline: float
    top: float
    left: float
    right: float
    categories: tuple[Category, ...]
    series: tuple[Series, ...]
    ticks: tuple[Tick, ...]
    #: Font size of the categories: smaller when many share the width.
    font: float


def line_chart(
    categories: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]], maximum: float = 100,
    suffix: str = "%", width: int = WIDTH, plot_height: float = 200,
) -> LineChart:
    """Lines over categories (half terms), each series with its own marker and dash pattern.

    ``series`` are (key, label, values) with one value per category; None leaves a gap.
    """
    left, right = float(LEFT), float(width - RIGHT)
    top, baseline = TOP + FONT, TOP + FONT + plot_height
    slot = (right - left) / max(1, len(categories))
    xs = [left + slot * (index + 0.5) for index in range(len(categories))]
    laid_categories = tuple(Category(x, *split_label(label)) for x, label in zip(xs, categories, strict=True))
    laid: list[Series] = []
    for index, (key, label, values) in enumerate(series):
        if len(values) != len(categories):
            raise ValueError(f"series {label!r} has {len(values)} values for {len(categories)} categories")
        points: list[Point] = []
        commands: list[str] = []
        pen_down = False
        for x, value in zip(xs, values, strict=True):
            if value is None:
                pen_down = False
                continue
            y = baseline - plot_height * max(0.0, min(value, maximum)) / maximum
            points.append(Point(round(x, 2), round(y, 2), value, marker_path(MARKERS[index % len(MARKERS)], x, y)))
            commands.append(f"{'L' if pen_down else 'M'}{x:.2f} {y:.2f}")
            pen_down = True
        marker = MARKERS[index % len(MARKERS)]
        laid.append(Series(key, label, marker, DASHES[index % len(DASHES)], " ".join(commands), tuple(points),
                           marker_path(marker, 18, 8, 4)))
    scale = ticks(maximum, baseline, top, count=4, suffix=suffix)
    return LineChart(width, baseline + 2 * FONT + 14, baseline, top, left, right, laid_categories, tuple(laid),
                     tuple(scale), category_font(slot, max([len(c.label) for c in laid_categories] + [7])))


def marker_path(kind: str, x: float, y: float, size: float = 5) -> str:
    """SVG path data for a series marker centred on (x, y): shapes tell the lines apart without colour."""
    if kind == "square":
        return f"M{x - size:.2f} {y - size:.2f}h{2 * size:.2f}v{2 * size:.2f}h{-2 * size:.2f}Z"
    if kind == "triangle":
        return f"M{x:.2f} {y - size * 1.2:.2f}L{x + size * 1.1:.2f} {y + size:.2f}L{x - size * 1.1:.2f} {y + size:.2f}Z"
    if kind == "diamond":
        d = size * 1.3
        return f"M{x:.2f} {y - d:.2f}L{x + d:.2f} {y:.2f}L{x:.2f} {y + d:.2f}L{x - d:.2f} {y:.2f}Z"
    # a circle as two arcs, so every marker is one <path>
    return f"M{x - size:.2f} {y:.2f}a{size} {size} 0 1 0 {2 * size} 0a{size} {size} 0 1 0 {-2 * size} 0Z"
