"""The board's dashboard: the pack's headline figures for one period and set of filters, in one read.

The figures themselves are ``qaframework.reports.figures`` (the same functions the Excel pack
reads, already suppressed); this module decides who may read them, reads the period and filters
the person chose, and falls back to the most recent academic year with audits. The web page only
draws what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from qaframework.framework import HALF_TERMS
from qaframework.operations.base import FieldError, InvalidInput, require
from qaframework.operations.settings import academic_year_label, current_cycle
from qaframework.permissions import can_view_board_dashboard
from qaframework.reports.figures import (
    BoardFilters,
    FilterChoices,
    GradeTable,
    Headline,
    ReportPeriod,
    TierDone,
    TierRate,
    TrendPoint,
    TwentyWeekFigures,
    audits_by_tier,
    computed_once,
    filter_choices,
    good_or_better_by_tier,
    grade_distribution,
    headline_figures,
    report_period,
    trend_by_half_term,
    twenty_week_rate,
)
from qaframework.store import User

__all__ = ["BoardDashboard", "BoardForm", "board_dashboard", "board_form"]


@dataclass(frozen=True)
class BoardForm:
    """What the dashboard's form offers: each filter's choices and the academic years."""

    choices: FilterChoices
    #: The academic years with audits, and the current one, newest first.
    years: list[str]
    #: The year shown when none is chosen: the most recent with audits (or the current one).
    default_year: str


@dataclass(frozen=True)
class BoardDashboard:
    """What the dashboard shows: the period and filters in force, the choices for the form, the figures."""

    period: ReportPeriod
    filters: BoardFilters
    form: BoardForm
    headline: Headline
    done: list[TierDone]
    good: list[TierRate]
    grades: GradeTable
    trend: list[TrendPoint]
    twenty_week: TwentyWeekFigures
    agency_names: dict[str, str]

    @property
    def trend_cycles(self) -> list[str]:
        """The half terms of the trend, oldest first."""
        return list(dict.fromkeys(point.cycle for point in self.trend))

    @property
    def filters_in_words(self) -> list[tuple[str, str]]:
        return self.filters.describe(self.agency_names)


def board_form(session: Session, actor: User, *, today: date) -> BoardForm:
    """The form's choices (also shown again, with the errors, when a choice is refused)."""
    require(can_view_board_dashboard(actor), "The board's dashboard is for board members, system leaders, "
            "the QA lead and administrators.")
    choices = filter_choices(session)
    this_year = current_cycle(session, today).academic_year
    return BoardForm(choices, sorted({*choices.years, this_year}, reverse=True),
                     choices.years[-1] if choices.years else this_year)


def board_dashboard(session: Session, actor: User, args: Mapping[str, str], *, today: date) -> BoardDashboard:
    """The dashboard for the period and filters in ``args`` (``year``, ``cycle``, ``agency``,
    ``phase``, ``primary_need``, ``setting_type``; all optional).

    PermissionDenied unless the actor reads the board's figures; InvalidInput naming each field that
    is not one of the choices offered (a hand-edited or stale link), with nothing else shown.
    """
    form = board_form(session, actor, today=today)
    choices, years = form.choices, form.years
    errors: list[FieldError] = []
    filters, filter_errors = BoardFilters.parse(args)
    errors += filter_errors
    agency_names = dict(choices.agencies)
    if filters.agency is not None and filters.agency not in agency_names:
        errors.append(FieldError("agency", "Choose an agency from the list"))
    if filters.setting_type is not None and filters.setting_type not in dict(choices.setting_types):
        errors.append(FieldError("setting_type", "Choose a setting type from the list"))
    year = (args.get("year") or "").strip() or form.default_year
    if year not in years:
        errors.append(FieldError("year", f"Choose an academic year from the list, like {years[0]}"))
    cycle = (args.get("cycle") or "").strip() or None
    if cycle is not None and cycle not in HALF_TERMS:
        errors.append(FieldError("cycle", "Choose a half term from the list, or the whole year"))
    if errors:
        raise InvalidInput(errors)
    period = report_period(session, academic_year_label(int(year[:4])), cycle)
    with computed_once():  # the headline's 20-week rate is the chart's too: one computation
        return BoardDashboard(
            period=period,
            filters=filters,
            form=form,
            headline=headline_figures(session, period, filters, today=today),
            done=audits_by_tier(session, period, filters),
            good=good_or_better_by_tier(session, period, filters),
            grades=grade_distribution(session, period, filters, by="tier"),
            trend=trend_by_half_term(session, period, filters),
            twenty_week=twenty_week_rate(session, period, filters),
            agency_names=agency_names,
        )
