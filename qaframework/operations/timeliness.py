"""The area's timeliness by calendar year or month: the DfE-style 20-week rate and refusal rates.

The rules are ``qaframework.timeliness``'s (``twenty_week_rates``, ``decision_rates``); this module
only streams the stored requests as plain rows (no ORM objects), sorts each into the period its
plan was issued in and the period it was received in, and hands each period's rows to those rules.
``qa timeliness`` and the board pack read the same rows.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from qaframework.operations.base import require
from qaframework.permissions import can_view_compliance_figures
from qaframework.store import Request, User
from qaframework.store.cases import REQUEST_FACT_COLUMNS, request_facts
from qaframework.timeliness import RequestFacts, RequestKind, decision_rates, twenty_week_rates

#: The CSV columns of ``qa timeliness``, in order (the issue fixes them).
CSV_COLUMNS = (
    "period", "requests", "plans_issued", "issued_within_20_weeks_pct",
    "issued_within_20_weeks_excl_exceptions_pct", "refused_to_assess_pct", "refused_to_issue_pct",
)
#: Rows fetched from the database at a time while streaming.
BATCH = 5_000


class PeriodKind(enum.StrEnum):
    YEAR = "year"
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    """One calendar year or month, possibly cut short by the ``--from`` / ``--to`` dates."""

    label: str
    start: date
    end: date


@dataclass(frozen=True)
class PeriodTimeliness:
    """One period's figures; a percentage is None when there is nothing to divide by (no plans, no requests)."""

    period: Period
    #: First requests for an EHC needs assessment received in the period.
    requests: int
    #: Final plans issued in the period after a first assessment (re-assessments are not in the DfE measure).
    plans_issued: int
    within_20_weeks: int
    #: Plans issued with no 20-week exception recorded, and how many of them were within 20 weeks.
    plans_issued_excl_exceptions: int
    within_20_weeks_excl_exceptions: int
    refused_to_assess: int
    refused_to_issue: int

    @property
    def within_20_weeks_pct(self) -> Decimal | None:
        return percentage(self.within_20_weeks, self.plans_issued)

    @property
    def within_20_weeks_excl_exceptions_pct(self) -> Decimal | None:
        return percentage(self.within_20_weeks_excl_exceptions, self.plans_issued_excl_exceptions)

    @property
    def refused_to_assess_pct(self) -> Decimal | None:
        return percentage(self.refused_to_assess, self.requests)

    @property
    def refused_to_issue_pct(self) -> Decimal | None:
        return percentage(self.refused_to_issue, self.requests)

    def csv_row(self) -> list[str]:
        """The row under ``CSV_COLUMNS``: an empty cell where a percentage has nothing to divide by."""
        return [
            self.period.label, str(self.requests), str(self.plans_issued),
            *("" if p is None else str(p) for p in (
                self.within_20_weeks_pct, self.within_20_weeks_excl_exceptions_pct,
                self.refused_to_assess_pct, self.refused_to_issue_pct,
            )),
        ]


@dataclass(frozen=True)
class TimelinessTable:
    rows: list[PeriodTimeliness]
    #: Requests left out because their recorded dates contradict each other (the case page says how).
    skipped: int = 0


def percentage(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` as a percentage to one decimal place, halves rounded up (2 of 16 → 12.5)."""
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def parse_period_date(text: str, *, end: bool) -> date:
    """``2023``, ``2023-05`` or ``2023-05-17``; a year or month means its first day (``end``: its last)."""
    value = text.strip()
    parts = value.split("-")
    try:
        if len(parts) == 1 and len(parts[0]) == 4:
            year = int(parts[0])
            return date(year, 12, 31) if end else date(year, 1, 1)
        if len(parts) == 2 and len(parts[0]) == 4:
            first = date(int(parts[0]), int(parts[1]), 1)
            return _month_end(first) if end else first
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"“{text}” is not a date; write it like 2023, 2023-05 or 2023-05-17") from None


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def periods(kind: PeriodKind, start: date, end: date) -> list[Period]:
    """Every calendar year or month from ``start`` to ``end``, the first and last cut to those dates."""
    if kind is PeriodKind.YEAR:
        return [Period(str(year), max(start, date(year, 1, 1)), min(end, date(year, 12, 31)))
                for year in range(start.year, end.year + 1)]
    found: list[Period] = []
    month = date(start.year, start.month, 1)
    while month <= end:
        found.append(Period(f"{month:%Y-%m}", max(start, month), min(end, _month_end(month))))
        month = _month_end(month) + timedelta(days=1)
    return found


def _label(kind: PeriodKind, day: date) -> str:
    return str(day.year) if kind is PeriodKind.YEAR else f"{day:%Y-%m}"


def _stream(
    session: Session, start: date, end: date, where: ColumnElement[bool] | None = None
) -> Iterator[RequestFacts | None]:
    """First-assessment requests received or issued between the dates, as plain rows (None: contradictory)."""
    query = select(*REQUEST_FACT_COLUMNS).where(
        Request.kind == RequestKind.ASSESSMENT.value,
        or_(Request.request_date.between(start, end),
            and_(Request.final_issued_date.is_not(None), Request.final_issued_date.between(start, end))),
    )
    if where is not None:
        query = query.where(where)
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        try:
            yield request_facts(row)
        except ValueError:
            yield None


def data_range(session: Session) -> tuple[date, date] | None:
    """The first and last day any first request was received or plan issued on; None with no requests."""
    assessment = Request.kind == RequestKind.ASSESSMENT.value
    row = session.execute(
        select(func.min(Request.request_date), func.max(Request.request_date),
               func.min(Request.final_issued_date), func.max(Request.final_issued_date)).where(assessment)
    ).one()
    low: date | None = row[0]
    high: date | None = row[1]
    if low is None or high is None:
        return None
    return min(low, row[2] or low), max(high, row[3] or high)


def timeliness_by_period(
    session: Session, actor: User | None, kind: PeriodKind, start: date | None = None, end: date | None = None,
    *, where: ColumnElement[bool] | None = None,
) -> TimelinessTable:
    """One row per calendar year or month between the dates (default: the whole of the recorded data).

    A period with no requests or plans still gets its row, with counts of 0 and no percentage.
    ``where`` narrows the requests (the board's filters by the child's phase, need or setting).
    """
    require(actor is None or can_view_compliance_figures(actor), "You cannot see the area's figures.")
    if start is not None and end is not None and end < start:
        raise ValueError(f"the end date {end} is before the start date {start}")
    if start is None or end is None:
        recorded = data_range(session)
        if recorded is None:
            return TimelinessTable([])  # nothing recorded and no range given: no periods to show
        start, end = start or recorded[0], end or recorded[1]
        if end < start:
            return TimelinessTable([])
    received: dict[str, list[RequestFacts]] = defaultdict(list)
    issued: dict[str, list[RequestFacts]] = defaultdict(list)
    skipped = 0
    for facts in _stream(session, start, end, where):
        if facts is None:
            skipped += 1
            continue
        if start <= facts.request_date <= end:
            received[_label(kind, facts.request_date)].append(facts)
        plan = facts.final_issued_date
        if plan is not None and start <= plan <= end:
            issued[_label(kind, plan)].append(facts)
    rows = []
    for period in periods(kind, start, end):
        plans = twenty_week_rates(issued.get(period.label, []), period.start, period.end)
        decisions = decision_rates(received.get(period.label, []), period.start, period.end)
        rows.append(PeriodTimeliness(
            period=period, requests=decisions.received, plans_issued=plans.total, within_20_weeks=plans.within,
            plans_issued_excl_exceptions=plans.total_ex, within_20_weeks_excl_exceptions=plans.within_ex,
            refused_to_assess=decisions.refused_to_assess, refused_to_issue=decisions.refused_to_issue,
        ))
    return TimelinessTable(rows, skipped)
