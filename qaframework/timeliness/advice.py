"""The advice clock: each body asked for advice in an assessment has 6 weeks from receiving the request.

SEND Regulations 2014 reg 8(1): a body asked for advice or information must give it within 6 weeks
of the date it *received* the authority's request (not of the family's request for assessment).
Reg 8(2) excuses it only where exceptional circumstances make that impractical, the child or
family is absent from the area for at least 4 weeks in that time, or they did not keep an
appointment for an examination or test. Pure functions; ``today`` is always passed in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal, TypeVar

ADVICE_LIMIT_DAYS = 42  # reg 8(1)
#: An outstanding request for advice is at risk in its last two weeks.
ADVICE_AT_RISK_DAYS_LEFT = 14

AdviceStatus = Literal["received_on_time", "received_late", "received_late_exception", "overdue", "due_today",
                       "at_risk", "on_track"]


class AdviceException(enum.StrEnum):
    """The reg 8(2) reasons a body need not give its advice within 6 weeks (not the reg 10(4) list)."""

    EXCEPTIONAL_CIRCUMSTANCES = "exceptional_circumstances"
    ABSENT_FROM_AREA = "absent_from_area"
    MISSED_APPOINTMENT = "missed_appointment"

    @property
    def label(self) -> str:
        return {
            "exceptional_circumstances": "Exceptional circumstances",
            "absent_from_area": "Child or family absent from the area for 4 weeks or more",
            "missed_appointment": "Appointment for an examination or test not kept",
        }[self.value]


@dataclass(frozen=True)
class AdviceFacts:
    """One request for advice to one body: the day the body received it, the day the advice came back."""

    agency: str
    requested_date: date
    received_date: date | None = None
    exception: AdviceException | None = None

    def __post_init__(self) -> None:
        if self.exception is not None:
            object.__setattr__(self, "exception", AdviceException(self.exception))
        if self.received_date is not None and self.received_date < self.requested_date:
            raise ValueError(f"advice received {self.received_date} before it was requested {self.requested_date}")


@dataclass(frozen=True)
class AdviceClock:
    agency: str
    due: date
    status: AdviceStatus
    #: Days from the request to the advice (or to today while outstanding).
    day: int
    #: Days until due while outstanding (0 on the last day, negative once overdue).
    days_left: int | None
    days_late: int


def advice_clock(facts: AdviceFacts, today: date) -> AdviceClock:
    """Where one request for advice stands on ``today``."""
    due = facts.requested_date + timedelta(days=ADVICE_LIMIT_DAYS)
    status: AdviceStatus
    if facts.received_date is not None:
        day = (facts.received_date - facts.requested_date).days
        late = max(0, day - ADVICE_LIMIT_DAYS)
        if not late:
            status = "received_on_time"
        else:
            status = "received_late_exception" if facts.exception is not None else "received_late"
        return AdviceClock(facts.agency, due, status, day, None, late)
    day = max(0, (today - facts.requested_date).days)
    left = (due - today).days
    if left < 0:
        status = "overdue"
    elif left == 0:
        status = "due_today"
    elif left <= ADVICE_AT_RISK_DAYS_LEFT:
        status = "at_risk"
    else:
        status = "on_track"
    return AdviceClock(facts.agency, due, status, day, left, max(0, -left))


@dataclass(frozen=True)
class AdviceRates:
    """One body's advice requested in a period: on time out of received plus overdue; rates 0..1."""

    agency: str
    requested: int
    received: int
    received_within_6_weeks: int
    #: Still outstanding past 6 weeks: already late, so counted in the denominator.
    outstanding_overdue: int
    rate: float | None
    #: The same leaving out advice with a reg 8(2) exception recorded.
    rate_ex: float | None
    mean_days: float | None


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else float(Fraction(part, whole))


def advice_rates(facts: Iterable[AdviceFacts], period_start: date, period_end: date, today: date) -> list[AdviceRates]:
    """By body, for advice requested in the period (both ends inclusive), sorted by agency code."""
    by_agency: dict[str, list[AdviceFacts]] = {}
    for f in facts:
        if period_start <= f.requested_date <= period_end:
            by_agency.setdefault(f.agency, []).append(f)
    rates = []
    for agency, items in sorted(by_agency.items()):
        clocks = [(f, advice_clock(f, today)) for f in items]
        judged = [(f, c) for f, c in clocks if f.received_date is not None or c.status == "overdue"]
        on_time = [c for _, c in judged if c.status == "received_on_time"]
        judged_ex = [(f, c) for f, c in judged if f.exception is None]
        on_time_ex = [c for f, c in judged_ex if c.status == "received_on_time"]
        received_days = [c.day for f, c in clocks if f.received_date is not None]
        rates.append(AdviceRates(
            agency=agency,
            requested=len(items),
            received=len(received_days),
            received_within_6_weeks=len(on_time),
            outstanding_overdue=sum(c.status == "overdue" for _, c in clocks),
            rate=_share(len(on_time), len(judged)),
            rate_ex=_share(len(on_time_ex), len(judged_ex)),
            mean_days=None if not received_days else float(Fraction(sum(received_days), len(received_days))),
        ))
    return rates


K = TypeVar("K")


def advice_at_risk(items: Iterable[tuple[K, AdviceFacts]], today: date) -> list[tuple[K, AdviceClock]]:
    """Outstanding advice in its last two weeks or overdue, fewest days left first."""
    found = [(key, advice_clock(f, today)) for key, f in items if f.received_date is None]
    found = [(key, c) for key, c in found if c.status in {"overdue", "due_today", "at_risk"}]
    return sorted(found, key=lambda pair: pair[1].days_left if pair[1].days_left is not None else 0)
