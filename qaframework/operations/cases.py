"""Applying a checked case file, all-or-nothing, and reading cases back."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from qaframework.case_import import CaseRow, parse_case_rows, read_table
from qaframework.framework import PHASES, RequestOutcome
from qaframework.operations.base import NotFound, operation, record, require
from qaframework.permissions import can_manage_users, can_view_cases
from qaframework.store import Audit, Case, CaseNeed, Request, User


@dataclass
class ImportReport:
    rows: int = 0
    cases_created: list[str] = field(default_factory=list)
    cases_updated: list[str] = field(default_factory=list)
    requests_created: int = 0
    requests_updated: int = 0


def check_case_file(filename: str, data: bytes) -> list[CaseRow]:
    """Parse and validate without touching the database (the admin page's preview)."""
    return parse_case_rows(read_table(filename, data))


@operation
def import_cases(session: Session, actor: User | None, filename: str, data: bytes) -> ImportReport:
    """Create or update cases and their requests from a file. Any bad row: nothing changes."""
    require(actor is None or can_manage_users(actor), "Only an administrator can import cases.")
    rows = check_case_file(filename, data)
    report = ImportReport(rows=len(rows))
    refs = sorted({r.case_ref.upper() for r in rows})
    existing: dict[str, Case] = {}
    for start in range(0, len(refs), 1000):  # bounded IN lists for large files
        chunk = refs[start:start + 1000]
        for case in session.scalars(select(Case).where(func.upper(Case.case_ref).in_(chunk)).options(
                selectinload(Case.requests), selectinload(Case.needs))):
            existing[case.case_ref.upper()] = case
    for row in rows:
        case = existing.get(row.case_ref.upper())
        if case is None:
            case = Case(case_ref=row.case_ref)
            session.add(case)
            existing[row.case_ref.upper()] = case
            report.cases_created.append(row.case_ref)
        elif case.case_ref not in report.cases_updated and case.case_ref not in report.cases_created:
            report.cases_updated.append(case.case_ref)
        _apply_case_values(case, row)
        if "request_date" in row.values:
            _apply_request(case, row, report)
    session.flush()
    record(session, actor, "cases.import", "case_file", filename, after={
        "rows": report.rows, "cases_created": report.cases_created, "cases_updated": report.cases_updated,
        "requests_created": report.requests_created, "requests_updated": report.requests_updated,
    })
    return report


def _apply_case_values(case: Case, row: CaseRow) -> None:
    v = row.values
    for name in ("year_group", "setting_type", "team", "last_review_date"):
        if name in v:
            setattr(case, name, v[name])
    if "date_of_birth" in v:
        case.birth_month = v["date_of_birth"].replace(day=1)  # keep only the month: data minimisation
    if "primary_need" in v:
        case.primary_need = v["primary_need"]
        primary = next((n for n in case.needs if n.rank == 1), None)
        if primary is None:
            case.needs.append(CaseNeed(need=v["primary_need"], rank=1))
        else:
            primary.need = v["primary_need"]


def _apply_request(case: Case, row: CaseRow, report: ImportReport) -> None:
    v = row.values
    request = next((r for r in case.requests if r.request_date == v["request_date"]), None)
    if request is None:
        request = Request(request_date=v["request_date"])
        case.requests.append(request)
        report.requests_created += 1
    else:
        report.requests_updated += 1
    for name in ("decision_to_assess_date", "final_issued_date", "exception"):
        if name in v:
            setattr(request, name, v[name])
    if "outcome" in v:
        request.outcome = v["outcome"]
    elif request.final_issued_date:
        request.outcome = RequestOutcome.ISSUED.value
    elif request.outcome is None:
        request.outcome = RequestOutcome.IN_PROGRESS.value


@dataclass
class CaseFilters:
    search: str = ""
    phase: str = ""
    primary_need: str = ""
    setting_type: str = ""
    team: str = ""


YEAR_GROUPS_BY_PHASE = {
    "early_years": ["N1", "N2"],
    "primary": ["R", *map(str, range(1, 7))],
    "secondary": [str(n) for n in range(7, 12)],
    "post_16": [str(n) for n in range(12, 15)],
}


def _filtered(filters: CaseFilters):  # type: ignore[no-untyped-def]
    query = select(Case)
    if filters.search.strip():
        query = query.where(Case.case_ref.ilike(f"%{filters.search.strip()}%"))
    if filters.phase in PHASES:
        query = query.where(Case.year_group.in_(YEAR_GROUPS_BY_PHASE[filters.phase]))
    if filters.primary_need:
        query = query.where(Case.primary_need == filters.primary_need)
    if filters.setting_type:
        query = query.where(Case.setting_type == filters.setting_type)
    if filters.team:
        query = query.where(Case.team == filters.team)
    return query


def search_cases(session: Session, actor: User, filters: CaseFilters, page: int = 1, per_page: int = 50) -> tuple[list[Case], int]:
    require(can_view_cases(actor), "Board viewers see reports, not individual cases.")
    query = _filtered(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    cases = list(session.scalars(
        query.options(selectinload(Case.requests)).order_by(Case.case_ref).offset((max(page, 1) - 1) * per_page).limit(per_page)
    ))
    return cases, total


def filter_options(session: Session) -> dict[str, list[str]]:
    """Distinct values present, for the filter drop-downs."""
    def distinct(column):  # type: ignore[no-untyped-def]
        return [v for v in session.scalars(select(column).where(column.is_not(None)).distinct().order_by(column))]
    return {"setting_type": distinct(Case.setting_type), "team": distinct(Case.team), "primary_need": distinct(Case.primary_need)}


def get_case(session: Session, actor: User, case_id: int) -> Case:
    require(can_view_cases(actor), "Board viewers see reports, not individual cases.")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"There is no case {case_id}")
    return case


def existing_case_refs(session: Session, case_refs: list[str]) -> set[str]:
    """Which of these references are already stored (upper-cased), in one query per 1,000 refs."""
    wanted = sorted({ref.upper() for ref in case_refs})
    found: set[str] = set()
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start:start + 1000]
        found.update(session.scalars(select(func.upper(Case.case_ref)).where(func.upper(Case.case_ref).in_(chunk))))
    return found


def find_case(session: Session, case_ref: str) -> Case | None:
    return session.scalar(select(Case).where(func.upper(Case.case_ref) == case_ref.strip().upper()))


def audits_of_case(session: Session, actor: User, case: Case) -> list[Audit]:
    from qaframework.permissions import can_view_audit

    audits = session.scalars(select(Audit).where(Audit.case_id == case.id).order_by(Audit.created_at.desc()))
    return [a for a in audits if can_view_audit(actor, a)]


def case_count(session: Session) -> int:
    return session.scalar(select(func.count(Case.id))) or 0

