"""Area configuration: term dates (cycles), the Tier 1 monthly target, local timeliness milestones."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from qaframework.framework import HALF_TERMS, Cycle, cycle_for
from qaframework.operations.base import FieldError, InvalidInput, operation, record, require
from qaframework.permissions import can_administer
from qaframework.store import AreaSetting, User

TIER1_MONTHLY_TARGET = "tier1_monthly_target"
TERM_DATES = "term_dates"
DEFAULTS: dict[str, Any] = {TIER1_MONTHLY_TARGET: 25, TERM_DATES: []}


def get_setting(session: Session, key: str) -> Any:
    row = session.get(AreaSetting, key)
    return row.value if row is not None else DEFAULTS.get(key)


@operation
def set_setting(session: Session, actor: User | None, key: str, value: Any) -> None:
    require(actor is None or can_administer(actor), "Only an administrator can change area settings.")
    _store(session, actor, "setting.update", key, value)


def _store(session: Session, actor: User | None, action: str, key: str, value: Any) -> None:
    """Insert or replace one setting and record the change."""
    row = session.get(AreaSetting, key)
    before = None if row is None else {"value": row.value}
    if row is None:
        session.add(AreaSetting(key=key, value=value))
    else:
        row.value = value
    record(session, actor, action, "setting", key, before, {"value": value})


def tier1_target(session: Session) -> int:
    return int(get_setting(session, TIER1_MONTHLY_TARGET))


def configured_cycles(session: Session) -> list[Cycle]:
    return [
        Cycle(row["academic_year"], row["half_term"], date.fromisoformat(row["start"]), date.fromisoformat(row["end"]))
        for row in get_setting(session, TERM_DATES) or []
    ]


def current_cycle(session: Session, today: date) -> Cycle:
    return cycle_for(today, configured_cycles(session))


def academic_year_label(start_year: int) -> str:
    """ "2025-26" for the year starting in September 2025 (the label cycles carry)."""
    return f"{start_year}-{str(start_year + 1)[-2:]}"


def academic_year_start(label: str) -> int:
    """The calendar year an academic year label starts in; ValueError unless it is like "2025-26"."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", label.strip())
    if not match or academic_year_label(int(match.group(1))) != label.strip():
        raise ValueError(f"{label!r} is not an academic year like 2025-26")
    return int(match.group(1))


def academic_year_span(label: str) -> tuple[date, date]:
    """The dates a year's half terms may use: 1 August to 31 August of the next year."""
    start = academic_year_start(label)
    return date(start, 8, 1), date(start + 1, 8, 31)


def validate_term_dates(academic_year: str, dates: list[tuple[date, date]]) -> list[Cycle]:
    """Six half terms in order, within the academic year, each ending after it starts and before the next begins."""
    errors: list[FieldError] = []
    if len(dates) != len(HALF_TERMS):
        raise InvalidInput([FieldError("term_dates", f"Give dates for all {len(HALF_TERMS)} half terms")])
    try:
        first, last = academic_year_span(academic_year)
    except ValueError as exc:
        raise InvalidInput([FieldError("academic_year", str(exc))]) from None
    cycles = [Cycle(academic_year, ht, s, e) for ht, (s, e) in zip(HALF_TERMS, dates, strict=True)]
    for index, cycle in enumerate(cycles):
        if not (first <= cycle.start <= last and first <= cycle.end <= last):
            errors.append(FieldError(
                f"half_term_{index + 1}",
                f"{cycle.half_term} must be in the {academic_year} academic year, between "
                f"{first.day} August {first.year} and {last.day} August {last.year}",
            ))
        elif cycle.end < cycle.start:
            errors.append(FieldError(f"half_term_{index + 1}", f"{cycle.half_term} must end after it starts"))
        elif index and cycle.start <= cycles[index - 1].end:
            errors.append(
                FieldError(
                    f"half_term_{index + 1}", f"{cycle.half_term} must start after {cycles[index - 1].half_term} ends"
                )
            )
    if errors:
        raise InvalidInput(errors)
    return cycles


@operation
def set_term_dates(session: Session, actor: User | None, cycles: list[Cycle]) -> None:
    """Replace one academic year's half terms, keeping other years' dates."""
    require(actor is None or can_administer(actor), "Only an administrator can change term dates.")
    year = cycles[0].academic_year
    kept = [row for row in (get_setting(session, TERM_DATES) or []) if row["academic_year"] != year]
    rows = kept + [
        {
            "academic_year": c.academic_year,
            "half_term": c.half_term,
            "start": c.start.isoformat(),
            "end": c.end.isoformat(),
        }
        for c in cycles
    ]
    rows.sort(key=lambda r: r["start"])
    _store(session, actor, "setting.term_dates", TERM_DATES, rows)
