"""Applying a checked case file, all-or-nothing, and reading cases back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, insert, inspect, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from qaframework.case_import import REVIEW_COLUMNS, CaseFileError, CaseRow, ImportProblem, parse_case_rows, read_table
from qaframework.framework import DEFAULT_SETTING_TYPES, PHASES, RequestOutcome
from qaframework.import_limits import ImportLimits
from qaframework.operations.assignments import assigned_case_ids
from qaframework.operations.base import NotFound, operation, record, require
from qaframework.permissions import (
    can_administer,
    can_view_audit,
    can_view_case,
    can_view_cases,
    sees_assigned_cases_only,
)
from qaframework.pseudonyms import load_or_create_key
from qaframework.sen2 import read_return
from qaframework.store import AdviceRequest, Agency, Audit, Case, CaseNeed, Request, Review, User
from qaframework.store.base import Base, utcnow
from qaframework.store.cases import cohort_of
from qaframework.store.db import instance_path


@dataclass
class ImportReport:
    rows: int = 0
    #: People read from a SEN2 return (None for a CSV or Excel file).
    persons: int | None = None
    cases_created: list[str] = field(default_factory=list)
    cases_updated: list[str] = field(default_factory=list)
    requests_created: int = 0
    requests_updated: int = 0
    #: Requests touched so far (a request may take several rows, one per body asked for advice).
    seen_requests: set[Request] = field(default_factory=set, repr=False)


@dataclass(frozen=True)
class KnownValues:
    """The teams and setting types the area already uses: forms offer these, the import names any new one."""

    teams: list[str]
    setting_types: list[str]

    def spelling(self, kind: str, value: str) -> str:
        """The known spelling of a value that differs only in case or spaces ("north " → "North")."""
        for known in self.teams if kind == "team" else self.setting_types:
            if known.casefold() == " ".join(value.split()).casefold():
                return known
        return value

    def new_values(self, rows: list[CaseRow]) -> dict[str, list[str]]:
        """Values in a file that are not known yet (after matching case and spaces), by column."""
        found: dict[str, list[str]] = {"team": [], "setting_type": []}
        for row in rows:
            for kind in found:
                value = row.values.get(kind)
                if value is not None:
                    spelled = self.spelling(kind, value)
                    known = self.teams if kind == "team" else self.setting_types
                    if spelled not in known and spelled not in found[kind]:
                        found[kind].append(spelled)
        return {kind: sorted(values) for kind, values in found.items() if values}


def known_case_values(session: Session) -> KnownValues:
    """Teams (from cases and users) and setting types (the defaults plus those cases record), sorted."""
    teams = set(session.scalars(select(Case.team).where(Case.team.is_not(None)).distinct()))
    teams |= set(session.scalars(select(User.team).where(User.team.is_not(None)).distinct()))
    settings = set(DEFAULT_SETTING_TYPES) | set(
        session.scalars(select(Case.setting_type).where(Case.setting_type.is_not(None)).distinct()))
    return KnownValues(sorted(t for t in teams if t and t.strip()), sorted(s for s in settings if s and s.strip()))


def is_sen2_file(filename: str) -> bool:
    """A SEN2 XML return (by its name), as against a CSV or Excel case file."""
    return Path(filename).suffix.lower() == ".xml"


def check_case_file(
    filename: str, data: bytes, key: bytes | None = None, limits: ImportLimits | None = None
) -> list[CaseRow]:
    """Parse and validate without touching the database (the admin page's preview).

    A SEN2 return (.xml) is read with the instance's pseudonym key (``key``, else the one in the
    instance folder, created on first use): people come out as keyed references, never as names.
    """
    limits = limits or ImportLimits.from_environment()
    if is_sen2_file(filename):
        return read_return(data, key if key is not None else load_or_create_key(instance_path()), limits)
    return parse_case_rows(read_table(filename, data, limits), limits)


@operation
def import_cases(
    session: Session, actor: User | None, filename: str, data: bytes, key: bytes | None = None
) -> ImportReport:
    """Create or update cases and their requests from a file. Any bad row: nothing changes."""
    require(actor is None or can_administer(actor), "Only an administrator can import cases.")
    rows = check_case_file(filename, data, key)
    _check_agencies(session, rows)
    known = known_case_values(session)
    report = ImportReport(rows=len(rows), persons=len({r.row for r in rows}) if is_sen2_file(filename) else None)
    refs = sorted({r.case_ref.upper() for r in rows})
    existing: dict[str, Case] = {}
    for start in range(0, len(refs), 1000):  # bounded IN lists for large files
        chunk = refs[start:start + 1000]
        for found in session.scalars(select(Case).where(func.upper(Case.case_ref).in_(chunk)).options(
                selectinload(Case.requests).selectinload(Request.advice), selectinload(Case.needs),
                selectinload(Case.reviews))):
            existing[found.case_ref.upper()] = found
    created: dict[str, Case] = {}  # built outside the session, then inserted in bulk
    for row in rows:
        case = existing.get(row.case_ref.upper())
        if case is None:
            case = created.get(row.case_ref.upper())
            if case is None:
                case = created[row.case_ref.upper()] = Case(case_ref=row.case_ref)
                report.cases_created.append(row.case_ref)
        elif case.case_ref not in report.cases_updated:
            report.cases_updated.append(case.case_ref)
        _apply_case_values(case, row, known)
        if "request_date" in row.values:
            _apply_request(case, row, report)
    session.flush()
    insert_new_cases(session, list(created.values()))
    record(session, actor, "cases.import", "case_file", filename, after={
        "rows": report.rows, "cases_created": report.cases_created, "cases_updated": report.cases_updated,
        "requests_created": report.requests_created, "requests_updated": report.requests_updated,
    })
    return report


def _column_values(obj: Base, now: datetime) -> dict[str, Any]:
    """An unsaved object's column values, every column present (as executemany needs), defaults filled in."""
    state = inspect(obj)
    values: dict[str, Any] = {}
    for column in state.mapper.local_table.columns:
        if column.primary_key:
            continue
        attribute = state.mapper.get_property_by_column(column).key
        value = state.dict.get(attribute)
        if value is None and column.name in {"created_at", "updated_at"}:
            value = now
        elif value is None and isinstance(column.default, ScalarElementColumnDefault):
            value = column.default.arg
        values[column.name] = value
    return values


def _insert_returning_ids(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> list[int]:
    """Insert many rows in one executemany (batched by SQLAlchemy), their new ids in the rows' order."""
    if not rows:
        return []
    table = model.metadata.tables[str(model.__tablename__)]
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars())


def insert_new_cases(session: Session, cases: list[Case]) -> None:
    """Insert cases built outside the session (with their needs, reviews, requests and advice) in bulk.

    The unit of work flushes objects one by one with bookkeeping for each: for a SEN2 return's
    20,000 new cases that was most of the import. Here each table takes one executemany with
    RETURNING (SQLite 3.35+ and PostgreSQL), in the same transaction, so all-or-nothing still holds.
    """
    now = utcnow()
    case_ids = _insert_returning_ids(session, Case, [_column_values(case, now) for case in cases])
    needs: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []
    request_objects: list[Request] = []
    for case, case_id in zip(cases, case_ids, strict=True):
        needs += [{**_column_values(need, now), "case_id": case_id} for need in case.needs]
        reviews += [{**_column_values(review, now), "case_id": case_id} for review in case.reviews]
        for request in case.requests:
            requests.append({**_column_values(request, now), "case_id": case_id})
            request_objects.append(request)
    _insert_returning_ids(session, CaseNeed, needs)
    _insert_returning_ids(session, Review, reviews)
    request_ids = _insert_returning_ids(session, Request, requests)
    advice = [{**_column_values(item, now), "request_id": request_id}
              for request, request_id in zip(request_objects, request_ids, strict=True) for item in request.advice]
    _insert_returning_ids(session, AdviceRequest, advice)


def _check_agencies(session: Session, rows: list[CaseRow]) -> None:
    """Advice can only be recorded against an agency the area has (``qa agencies``)."""
    codes = set(session.scalars(select(Agency.code)))
    problems = [
        ImportProblem(
            row.row,
            "advice_agency",
            f"“{row.values['advice_agency']}” is not an agency; use one of {', '.join(sorted(codes))}",
        )
        for row in rows
        if "advice_agency" in row.values and row.values["advice_agency"] not in codes
    ]
    if problems:
        raise CaseFileError(problems)


CASE_FIELDS = (
    "year_group",
    "next_phase",
    "phase_transfer_date",
    "transferred_in_date",
    "transfer_from_la",
    "transfer_family_told_date",
)
#: Import column → Review attribute.
REVIEW_FIELDS = {
    "review_notice_date": "notice_date",
    "review_papers_date": "papers_date",
    "review_meeting_date": "meeting_date",
    "review_report_date": "report_date",
    "review_decision_date": "decision_date",
    "review_outcome": "outcome",
    "review_amendments_sent_date": "draft_date",
    "review_amended_plan_date": "amended_plan_date",
    "phase_transfer_final_date": "phase_transfer_final_date",
}
REQUEST_FIELDS = {
    "request_kind": "kind",
    "request_source": "request_source",
    "responsible_date": "responsible_date",
    "decision_to_assess_date": "decision_to_assess_date",
    "assessment_outcome_date": "assessment_outcome_date",
    "draft_issued_date": "draft_issued_date",
    "final_issued_date": "final_issued_date",
    "exception": "exception",
    "exception_start": "exception_start",
    "exception_end": "exception_end",
    "family_told_date": "family_told_date",
}


def _older(stored_year: int | None, row: CaseRow) -> bool:
    """Is the row from an older SEN2 return than the one that last set the record?

    Then it only fills what is still blank, so importing 2024 after 2025 gives the same database as
    2024 then 2025 (the later return wins every value both set).
    """
    return stored_year is not None and row.collection_year is not None and row.collection_year < stored_year


def _set(record: object, attribute: str, value: object, fill_only: bool) -> None:
    if not fill_only or getattr(record, attribute) is None:
        setattr(record, attribute, value)


def _stamp(record: Case | Request | Review, row: CaseRow) -> None:
    """Record the collection year of the newest return that has set the record."""
    if row.collection_year is not None and (record.sen2_year is None or record.sen2_year < row.collection_year):
        record.sen2_year = row.collection_year


def _apply_case_values(case: Case, row: CaseRow, known: KnownValues) -> None:
    v = row.values
    older = _older(case.sen2_year, row)
    for name in CASE_FIELDS:
        if name in v:
            _set(case, name, v[name], older)
    if "team" in v:
        _set(case, "team", known.spelling("team", v["team"]), older)
    if "setting_type" in v:
        _set(case, "setting_type", known.spelling("setting_type", v["setting_type"]), older)
    if "date_of_birth" in v:
        # only the academic year is kept: data minimisation
        _set(case, "birth_cohort", cohort_of(v["date_of_birth"]), older)
    if "academic_year_of_birth" in v:
        _set(case, "birth_cohort", v["academic_year_of_birth"], older)
    if any(name in v for name in REVIEW_COLUMNS):
        _apply_review(case, row)
    if "primary_need" in v and not (older and case.primary_need is not None):
        case.primary_need = v["primary_need"]
        primary = next((n for n in case.needs if n.rank == 1), None)
        if primary is None:
            case.needs.append(CaseNeed(need=v["primary_need"], rank=1))
        else:
            primary.need = v["primary_need"]
    _stamp(case, row)


def _apply_review(case: Case, row: CaseRow) -> None:
    """The file's review columns describe one review, matched by meeting date, else decision date."""
    v = row.values
    meeting, decision = v.get("review_meeting_date"), v.get("review_decision_date")
    review = None
    if meeting is not None:
        review = next((r for r in case.reviews if r.meeting_date == meeting), None)
        if review is None and decision is not None:
            review = next((r for r in case.reviews if r.meeting_date is None and r.decision_date == decision), None)
    elif decision is not None:
        review = next((r for r in case.reviews if r.decision_date == decision), None)
    else:
        review = max(case.reviews, key=lambda r: r.meeting_date or r.decision_date or date.min, default=None)
    if review is None:
        review = Review()
        case.reviews.append(review)
    older = _older(review.sen2_year, row)
    for column, attribute in REVIEW_FIELDS.items():
        if column in v:
            _set(review, attribute, v[column], older)
    _stamp(review, row)


def _apply_request(case: Case, row: CaseRow, report: ImportReport) -> None:
    v = row.values
    request = next((r for r in case.requests if r.request_date == v["request_date"]), None)
    if request is None:
        request = Request(request_date=v["request_date"], outcome=RequestOutcome.IN_PROGRESS.value)
        case.requests.append(request)
        report.requests_created += 1
    elif request not in report.seen_requests:
        report.requests_updated += 1
    report.seen_requests.add(request)
    older = _older(request.sen2_year, row)
    for column, attribute in REQUEST_FIELDS.items():
        if column in v:
            _set(request, attribute, v[column], older)
    if "advice_agency" in v:
        advice = next((a for a in request.advice if a.agency_code == v["advice_agency"]), None)
        if advice is None:
            advice = AdviceRequest(agency_code=v["advice_agency"], requested_date=v["advice_requested_date"])
            request.advice.append(advice)
        advice.requested_date = v["advice_requested_date"]
        if "advice_received_date" in v:
            advice.received_date = v["advice_received_date"]
        if "advice_exception" in v:
            advice.exception = v["advice_exception"]
    if older:  # the newer return's outcome stands
        pass
    elif "outcome" in v:
        request.outcome = v["outcome"]
    elif request.final_issued_date:
        request.outcome = RequestOutcome.ISSUED.value
    _stamp(request, row)


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


def _filtered(filters: CaseFilters) -> Select[Case]:
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


def search_cases(
    session: Session, actor: User, filters: CaseFilters, page: int = 1, per_page: int = 50
) -> tuple[list[Case], int]:
    require(can_view_cases(actor), "Board viewers see reports, not individual cases.")
    query = _filtered(filters)
    if sees_assigned_cases_only(actor):
        query = query.where(Case.id.in_(sorted(assigned_case_ids(session, actor))))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    cases = list(
        session.scalars(
            query.options(selectinload(Case.requests))
            .order_by(Case.case_ref)
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        )
    )
    return cases, total


def filter_options(session: Session) -> dict[str, list[str]]:
    """Distinct values present, for the filter drop-downs."""

    def distinct(column: InstrumentedAttribute[str | None]) -> list[str]:
        return [
            v
            for v in session.scalars(select(column).where(column.is_not(None)).distinct().order_by(column))
            if v is not None
        ]

    return {
        "setting_type": distinct(Case.setting_type),
        "team": distinct(Case.team),
        "primary_need": distinct(Case.primary_need),
    }


def get_case(session: Session, actor: User, case_id: int) -> Case:
    require(can_view_cases(actor), "Board viewers see reports, not individual cases.")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"There is no case {case_id}")
    require(
        can_view_case(actor, case.id, assigned_case_ids(session, actor)),
        "You can only see the cases of the reviews and samples you are assigned to.",
    )
    return case


def existing_case_refs(session: Session, case_refs: list[str]) -> set[str]:
    """Which of these references are already stored (upper-cased), in one query per 1,000 refs."""
    wanted = sorted({ref.upper() for ref in case_refs})
    found: set[str] = set()
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        found.update(session.scalars(select(func.upper(Case.case_ref)).where(func.upper(Case.case_ref).in_(chunk))))
    return found


def find_case(session: Session, case_ref: str) -> Case | None:
    return session.scalar(select(Case).where(func.upper(Case.case_ref) == case_ref.strip().upper()))


def audits_of_case(session: Session, actor: User, case: Case) -> list[Audit]:
    audits = session.scalars(select(Audit).where(Audit.case_id == case.id).order_by(Audit.created_at.desc()))
    assigned = assigned_case_ids(session, actor)
    return [a for a in audits if can_view_audit(actor, a, assigned)]


def case_count(session: Session) -> int:
    return session.scalar(select(func.count(Case.id))) or 0
