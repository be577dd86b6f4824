"""Erasing a case and everything about it; keeping cases only as long as the area's retention period.

What is "about a case" is read from the schema, not listed by hand: every row whose foreign keys
lead to the case (its requests, audits and their answers, grades, moderation, peer challenges,
participants, contributions, samples' items, consent, Tier 4 conversations, exemplars, and the
actions raised from its audits), so a table added later is covered without anyone remembering.
The trail records that a case was erased, by whom, and how many rows went, with the case
reference only as a keyed pseudonym (``qaframework.trail_text``): the trail never held the
case's words, so nothing about the child is left behind (UK GDPR Art 17; ``docs/dpia.md``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from qaframework.operations.base import FieldError, InvalidInput, NotFound, operation, record, require
from qaframework.operations.settings import get_setting, set_setting
from qaframework.permissions import can_administer
from qaframework.store import Audit, Base, Case, User

#: An administrator's setting: months after a case's last activity that it is kept.
CASE_RETENTION_MONTHS = "case_retention_months"
DEFAULT_RETENTION_MONTHS = 72
RETENTION_MIN, RETENTION_MAX = 6, 600
#: How many cases one bulk deletion takes (each is its own small set of deletes).
BULK_MAX = 500

#: Everything a case's rows hang from, in the order the schema sorts tables (parents first).
ROOT: Table = Base.metadata.tables["cases"]


def _tables_about_cases() -> list[tuple[Table, list[tuple[str, Table, str]]]]:
    """Each table reachable from ``cases`` by foreign keys, with the keys that lead there."""
    reach = {ROOT.name}
    found: list[tuple[Table, list[tuple[str, Table, str]]]] = []
    for table in Base.metadata.sorted_tables:
        if table is ROOT:
            continue
        links = [(fk.parent.name, fk.column.table, fk.column.name) for fk in table.foreign_keys
                 if fk.column.table.name in reach]
        if links:
            reach.add(table.name)
            found.append((table, links))
    return found


def rows_about(session: Session, case_ids: Sequence[int]) -> dict[str, list[int]]:
    """The ids of every row about these cases, per table (``cases`` itself included)."""
    ids: dict[str, list[int]] = {ROOT.name: sorted(case_ids)}
    for table, links in _tables_about_cases():
        wanted: set[int] = set()
        for column, parent, parent_column in links:
            parents = ids.get(parent.name, [])
            if not parents or parent_column != "id":
                continue
            for chunk in _chunks(parents):
                wanted.update(session.scalars(select(table.c.id).where(table.c[column].in_(chunk))))
        if wanted:
            ids[table.name] = sorted(wanted)
    return ids


def _chunks(values: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


@dataclass(frozen=True)
class ErasurePreview:
    """What erasing a case would delete, for the confirmation page."""

    case: Case
    rows: dict[str, int]
    audits: int
    actions: int

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def preview_erasure(session: Session, actor: User, case_id: int) -> ErasurePreview:
    require(can_administer(actor), "Only an administrator can erase a case.")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"There is no case {case_id}")
    ids = rows_about(session, [case.id])
    counts = {name: len(found) for name, found in ids.items()}
    return ErasurePreview(case, counts, counts.get("audits", 0), counts.get("actions", 0))


def _erase(session: Session, actor: User, case: Case, why: str) -> dict[str, int]:
    ids = rows_about(session, [case.id])
    ref = case.case_ref
    order = [ROOT] + [table for table, _ in _tables_about_cases()]
    for table in reversed(order):  # children first
        for chunk in _chunks(ids.get(table.name, [])):
            session.execute(delete(table).where(table.c.id.in_(chunk)))
    counts = {name: len(found) for name, found in ids.items()}
    record(session, actor, "case.erase", "case", None,
           after={"case_ref": ref, "reason": why, "rows": counts})
    return counts


@operation
def erase_case(session: Session, actor: User, case_id: int) -> dict[str, int]:
    """Delete the case and every row about it (an administrator, after confirming); returns the
    rows deleted per table. The trail keeps only a pseudonym of the reference and the counts."""
    require(can_administer(actor), "Only an administrator can erase a case.")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"There is no case {case_id}")
    return _erase(session, actor, case, "erasure")


# --- Retention -----------------------------------------------------------------------------------


def retention_months(session: Session) -> int:
    value = get_setting(session, CASE_RETENTION_MONTHS)
    return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_RETENTION_MONTHS


def set_retention_months(session: Session, actor: User | None, months: object) -> None:
    """Set how many months after its last activity a case is kept (checked first)."""
    require(actor is None or can_administer(actor), "Only an administrator can set the retention period.")
    if isinstance(months, bool) or not isinstance(months, int):
        raise InvalidInput([FieldError("months", "Enter the number of months as a whole number, like 72")])
    if not RETENTION_MIN <= months <= RETENTION_MAX:
        raise InvalidInput([FieldError("months", f"Enter a number of months between {RETENTION_MIN} and "
                                                 f"{RETENTION_MAX}")])
    set_setting(session, actor, CASE_RETENTION_MONTHS, months)


@dataclass(frozen=True)
class PastRetention:
    case_id: int
    case_ref: str
    last_activity: datetime
    audits: int


def cutoff(session: Session, today: date) -> datetime:
    """Cases whose last activity is before this are past the retention period."""
    months = today.year * 12 + today.month - 1 - retention_months(session)
    year, month = divmod(months, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])  # 31 Mar less a month is 28/29 Feb
    return datetime.combine(date(year, month + 1, day), time.min, tzinfo=UTC)


def cases_past_retention(session: Session, actor: User, today: date | None = None) -> list[PastRetention]:
    """Cases with no activity (the case's own record, or any audit of it) since the cut-off,
    oldest activity first: the retention report."""
    require(can_administer(actor), "Only an administrator can see the retention report.")
    limit = cutoff(session, today or date.today())
    latest_audit = (select(Audit.case_id, func.max(Audit.updated_at).label("at"), func.count(Audit.id).label("n"))
                    .group_by(Audit.case_id).subquery())
    rows = session.execute(
        select(Case.id, Case.case_ref, Case.updated_at, latest_audit.c.at, latest_audit.c.n)
        .outerjoin(latest_audit, latest_audit.c.case_id == Case.id)
        .where(Case.updated_at < limit)
        .where((latest_audit.c.at.is_(None)) | (latest_audit.c.at < limit))
        .order_by(Case.updated_at, Case.case_ref)
    ).all()
    found = []
    for case_id, ref, updated, audited, audits in rows:
        last = max(_aware(updated), _aware(audited)) if audited is not None else _aware(updated)
        found.append(PastRetention(case_id, ref, last, audits or 0))
    return sorted(found, key=lambda r: (r.last_activity, r.case_ref))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@operation
def erase_past_retention(session: Session, actor: User, case_ids: Sequence[int], today: date | None = None) -> int:
    """Erase the confirmed cases that are still past the retention period (a case that became
    active again since the report was read is left alone). Returns how many were erased."""
    require(can_administer(actor), "Only an administrator can delete cases past retention.")
    if len(case_ids) > BULK_MAX:
        raise InvalidInput([FieldError("cases", f"Delete at most {BULK_MAX} cases at a time")])
    still = {row.case_id for row in cases_past_retention(session, actor, today)}
    erased = 0
    for case_id in sorted(set(case_ids) & still):
        case = session.get(Case, case_id)
        if case is not None:
            _erase(session, actor, case, "retention")
            erased += 1
    return erased
