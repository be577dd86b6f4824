"""Area configuration: term dates (cycles) and the Tier 1 monthly target.

Every setting is validated here, whoever sets it (the admin pages, the ``qa`` command, a script).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from qaframework.cycles import parse_cycle_label
from qaframework.framework import HALF_TERMS, Cycle, cycle_for, default_cycles
from qaframework.operations.base import FieldError, InvalidInput, operation, record, require
from qaframework.permissions import can_administer
from qaframework.store import AreaSetting, User

TIER1_MONTHLY_TARGET = "tier1_monthly_target"
TIER1_TARGET_BASIS = "tier1_target_basis"
TERM_DATES = "term_dates"
#: The range an administrator may set the Tier 1 monthly target within.
TARGET_MIN, TARGET_MAX = 1, 200


class TargetBasis(enum.StrEnum):
    """Whom the Tier 1 monthly target is for.

    The seed's "25 checks a month" reads as the co-ordinator team's figure (about 37 plans are
    issued a month), so a team total is the default; an area may choose a figure per co-ordinator.
    """

    TEAM = "team"
    PER_PERSON = "per_person"

    @property
    def label(self) -> str:
        return {TargetBasis.TEAM: "Each team between them (a team total)", TargetBasis.PER_PERSON: "Each co-ordinator"}[
            self
        ]


DEFAULTS: dict[str, Any] = {TIER1_MONTHLY_TARGET: 25, TIER1_TARGET_BASIS: TargetBasis.TEAM.value, TERM_DATES: []}


@dataclass(frozen=True)
class Tier1Target:
    """How many Tier 1 plan checks a month, and whether that is per team or per co-ordinator."""

    checks: int
    basis: TargetBasis

    @property
    def per_person(self) -> bool:
        return self.basis is TargetBasis.PER_PERSON

    def for_group(self, people: int, teams: int) -> int:
        """The target for a group of co-ordinators drawn from ``teams`` teams."""
        return self.checks * (people if self.per_person else teams)

    @property
    def description(self) -> str:
        """E.g. "25 plan checks a month for each team, between its co-ordinators"."""
        who = "for each co-ordinator" if self.per_person else "for each team, between its co-ordinators"
        return f"{self.checks} plan {'check' if self.checks == 1 else 'checks'} a month {who}"


def _check_target(value: Any) -> list[FieldError]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [FieldError("target", "The monthly target must be a whole number, like 25")]
    if not TARGET_MIN <= value <= TARGET_MAX:
        return [FieldError("target", f"The monthly target must be between {TARGET_MIN} and {TARGET_MAX}")]
    return []


def _check_basis(value: Any) -> list[FieldError]:
    if value not in {b.value for b in TargetBasis}:
        return [FieldError("basis", "Choose whether the target is for each team or for each co-ordinator")]
    return []


def _not_here(value: Any) -> list[FieldError]:
    return [FieldError("term_dates", "Set term dates with set_term_dates, which checks them")]


#: What each setting defined in this module accepts.
_VALIDATORS: dict[str, Callable[[Any], list[FieldError]]] = {
    TIER1_MONTHLY_TARGET: _check_target,
    TIER1_TARGET_BASIS: _check_basis,
    TERM_DATES: _not_here,
}


def get_setting(session: Session, key: str) -> Any:
    row = session.get(AreaSetting, key)
    return row.value if row is not None else DEFAULTS.get(key)


@operation
def set_setting(session: Session, actor: User | None, key: str, value: Any) -> None:
    """Change one setting, refused unless the value suits it. The settings defined here are checked
    by ``_VALIDATORS``; a module that owns another setting (``operations.clocks``: the at-risk
    week) checks its value before calling this."""
    require(actor is None or can_administer(actor), "Only an administrator can change area settings.")
    validate = _VALIDATORS.get(key)
    errors = validate(value) if validate else []
    if errors:
        raise InvalidInput(errors)
    _store(session, actor, "setting.update", key, value)


@operation
def set_tier1_target(session: Session, actor: User | None, checks: int, basis: TargetBasis | str) -> Tier1Target:
    """Set the Tier 1 monthly target and whom it is for, both checked before either is stored."""
    require(actor is None or can_administer(actor), "Only an administrator can change area settings.")
    errors = _check_target(checks) + _check_basis(basis)
    if errors:
        raise InvalidInput(errors)
    current = tier1_target(session)
    if current.checks != checks:
        _store(session, actor, "setting.update", TIER1_MONTHLY_TARGET, checks)
    if current.basis != basis:
        _store(session, actor, "setting.update", TIER1_TARGET_BASIS, TargetBasis(basis).value)
    return Tier1Target(checks, TargetBasis(basis))


def _store(session: Session, actor: User | None, action: str, key: str, value: Any) -> None:
    """Insert or replace one setting and record the change."""
    row = session.get(AreaSetting, key)
    before = None if row is None else {"value": row.value}
    if row is None:
        session.add(AreaSetting(key=key, value=value))
    else:
        row.value = value
    record(session, actor, action, "setting", key, before, {"value": value})


def tier1_target(session: Session) -> Tier1Target:
    return Tier1Target(
        int(get_setting(session, TIER1_MONTHLY_TARGET)), TargetBasis(get_setting(session, TIER1_TARGET_BASIS))
    )


def configured_cycles(session: Session) -> list[Cycle]:
    return [
        Cycle(row["academic_year"], row["half_term"], date.fromisoformat(row["start"]), date.fromisoformat(row["end"]))
        for row in get_setting(session, TERM_DATES) or []
    ]


def current_cycle(session: Session, today: date) -> Cycle:
    return cycle_for(today, configured_cycles(session))


def cycle_named(session: Session, label: str) -> Cycle:
    """The half term called ``label`` ("2025-26 Autumn 1"), with the area's dates where it set them
    and the typical dates otherwise; ValueError saying what a label looks like."""
    year, _ = parse_cycle_label(label)
    wanted = label.strip()
    for cycle in configured_cycles(session) + default_cycles(year):
        if cycle.label == wanted:
            return cycle
    raise ValueError(f"{label!r} is not a half term like 2025-26 Autumn 1")  # unreachable once parsed


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
            errors.append(
                FieldError(
                    f"half_term_{index + 1}",
                    f"{cycle.half_term} must be in the {academic_year} academic year, between "
                    f"{first.day} August {first.year} and {last.day} August {last.year}",
                )
            )
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
def set_term_dates(
    session: Session, actor: User | None, academic_year: str, dates: list[tuple[date, date]]
) -> list[Cycle]:
    """Replace one academic year's half terms, keeping other years' dates. The dates are checked
    (:func:`validate_term_dates`) here, so no caller can store a year that overlaps or is incomplete."""
    require(actor is None or can_administer(actor), "Only an administrator can change term dates.")
    cycles = validate_term_dates(academic_year, dates)
    year = academic_year
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
    return cycles
