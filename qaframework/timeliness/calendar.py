"""Counting statutory periods on the calendar: weeks of a clock, months "starting with" a day.

One place for the arithmetic every clock shares, so that day 140 is week 20 everywhere and a
period of months ends on the same day whichever clock asks.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

__all__ = ["add_months", "days_overlapping", "months_starting_with", "statutory_week"]


def statutory_week(start: date, on: date) -> int:
    """Week of the clock that ``on`` falls in: days 1–7 are week 1, day 140 is week 20, 141 week 21.

    ``week = ceil(days / 7)``, with the start day itself counted in week 1 (day 0 cannot be week 0):
    a plan issued on day 140 is issued in week 20, the last lawful week (reg 13(2)).
    """
    days = (on - start).days
    if days < 0:
        raise ValueError(f"{on} is before the start of the clock {start}")
    return max(1, -(-days // 7))


def add_months(day: date, months: int) -> date:
    """The corresponding day ``months`` later (or earlier); a day the month lacks falls to its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def months_starting_with(day: date, months: int) -> date:
    """The last day of a period of ``months`` months *starting with* ``day`` (CFA 2014 s44(1)).

    The period ends the day before the corresponding day ``months`` later. Where that month has no
    corresponding day (a period starting on 29 February, or on the 31st), the corresponding day is
    taken as the 1st of the following month, so the period still ends on the last day of the month
    before: 29 February 2024 + 12 months ends on 28 February 2025, as does 1 March 2024.
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    try:
        corresponding = date(year, month, day.day)
    except ValueError:
        corresponding = date(year + month // 12, month % 12 + 1, 1)
    return corresponding - timedelta(days=1)


def days_overlapping(first: date, last: date, window_first: date, window_last: date) -> int:
    """How many days of ``first..last`` fall inside ``window_first..window_last`` (both inclusive)."""
    start, end = max(first, window_first), min(last, window_last)
    return max(0, (end - start).days + 1)
