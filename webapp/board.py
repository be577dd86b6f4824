"""The board's dashboard (``/board``): the board pack's headline figures and charts for a period,
narrowed by agency, phase, primary need and setting type.

The figures and who may read them are the library's (``operations.board_dashboard`` over
``reports.figures``, already suppressed); this view reads the GET form, calls it, and turns the
figures into chart geometry (``webapp.charts``) for the SVG macros. No figure is worked out here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template, request

from qaframework.framework import HALF_TERMS, Role
from qaframework.operations.base import InvalidInput
from qaframework.operations.board_dashboard import BoardDashboard, BoardForm, board_dashboard, board_form
from qaframework.reports.figures import GradeTable, TrendPoint, TwentyWeekFigures
from qaframework.reports.suppression import Suppressed
from webapp import charts
from webapp.access import current_actor, requires
from webapp.db import db_session

bp = Blueprint("board", __name__, url_prefix="/board")

#: The form's fields, in the order the page shows them (anything else in the query is ignored).
FIELDS = ("year", "cycle", "agency", "phase", "primary_need", "setting_type")
#: Who may open the page at all; the library narrows panel members to the panel's lead.
PAGE_ROLES = (Role.BOARD_VIEWER, Role.SYSTEM_LEADER, Role.ADMIN, Role.PANEL_MEMBER)


def figure(value: int | Decimal | float | Suppressed | None, suffix: str = "") -> str:
    """A published figure as the pack writes it: "[c]" when suppressed, "–" when there is none."""
    if isinstance(value, Suppressed):
        return str(value)
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}{suffix}"
    return f"{value:.1f}{suffix}"


def _number(value: int | Decimal | Suppressed | None) -> float | None:
    """A figure a chart can draw: None for a suppressed or missing one (never drawn as 0)."""
    return None if value is None or isinstance(value, Suppressed) else float(value)


def grade_chart(table: GradeTable) -> charts.StackedBarChart:
    rows = []
    for row in table.rows:
        total = row.total if isinstance(row.total, int) else None
        parts = [charts.BarPart(code, label, count if isinstance(count, int) else None)
                 for code, label, count in zip(table.codes, table.labels, row.counts, strict=True)]
        rows.append((row.label, total, parts))
    return charts.stacked_bars(rows)


def trend_chart(points: Sequence[TrendPoint], cycles: Sequence[str], tier_labels: dict[int, str]) -> charts.LineChart:
    """One line per tier that has at least one rate to draw."""
    rate = {(p.cycle, p.tier): _number(p.rate) for p in points}
    series = []
    for tier, label in tier_labels.items():
        values = [rate.get((cycle, tier)) for cycle in cycles]
        if any(v is not None for v in values):
            series.append((f"tier-{tier}", label, values))
    return charts.line_chart(cycles, series)


def twenty_week_chart(figures: TwentyWeekFigures) -> charts.ColumnChart:
    return charts.column_chart([(m.label, _number(m.rate)) for m in figures.months],
                               texts=[figure(m.rate, "%") for m in figures.months])


def _short_tier(label: str) -> str:
    """ "Tier 1: agency contribution check" -> "Tier 1" for the chart's labels (the table has the full name)."""
    return label.split(":", 1)[0]


def select_items(pairs: Sequence[tuple[str, str]], chosen: str, everything: str) -> list[dict[str, Any]]:
    """govukSelect items: "everything" first (no filter), then each choice, the chosen one selected."""
    return [{"value": "", "text": everything}] + [
        {"value": code, "text": label, "selected": code == chosen} for code, label in pairs
    ]


def _page(form: BoardForm, view: BoardDashboard | None, errors: dict[str, str], given: dict[str, str]) -> Any:
    context: dict[str, Any] = {"form": form, "view": view, "errors": errors, "given": given,
                               "half_terms": HALF_TERMS, "figure": figure,
                               "select_items": select_items}
    if view is not None:
        tiers = {row.tier: _short_tier(row.label) for row in view.done}
        context.update(
            grade_chart=grade_chart(view.grades),
            trend_chart=trend_chart(view.trend, view.trend_cycles, tiers),
            trend_tiers=tiers,
            trend_rates={(p.cycle, p.tier): p for p in view.trend},
            week20_chart=twenty_week_chart(view.twenty_week),
        )
    return render_template("board/dashboard.html", **context)


@bp.route("")
@requires(*PAGE_ROLES)
def dashboard() -> Any:
    """The figures for the chosen year, half term and filters; a bad choice is shown on the form."""
    session, user, today = db_session(), current_actor(), date.today()
    given = {name: (request.args.get(name) or "").strip()[:80] for name in FIELDS}
    try:
        view = board_dashboard(session, user, given, today=today)
    except InvalidInput as refused:
        form = board_form(session, user, today=today)
        return _page(form, None, {e.field: e.message for e in refused.errors}, given), 400
    return _page(view.form, view, {}, given)
