"""Every figure the Strategic SEND Board sees, for an academic year or one half term, aggregated in SQL.

The board pack and the dashboard both read these functions, so a figure is worked out once and
shown the same in both. Counts are grouped in the database (``GROUP BY``), never by loading every
audit; where a rule lives in Python (statutory compliance, the request clock) the few columns it
reads are streamed as plain rows. Every function returns figures already suppressed
(``qaframework.reports.suppression``): no small count leaves this module.

Filters narrow the audits (and, for timeliness, the requests) to an agency, an education phase, a
primary need or a setting type; each is optional. The functions take no actor: whoever calls them
has already decided the caller may read the area's figures (``permissions``).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from qaframework.checklists.model import PLAN_SECTIONS
from qaframework.compliance import CaseDates, assess_compliance
from qaframework.cycles import cycle_index, cycle_labels_before, parse_cycle_label
from qaframework.framework import (
    ACTION_OPEN,
    FAMILY_EXPERIENCE3,
    GOOD_OR_BETTER,
    HALF_TERMS,
    OFSTED4,
    PHASES,
    PRIMARY_NEEDS,
    ROLE_LABELS,
    TIER_LABELS,
    ActionStatus,
    AuditStatus,
    Breach,
    Rating,
    RequestOutcome,
    Role,
    Subject,
    Tier,
    phase_for_year_group,
)
from qaframework.moderation import agreement_of_matrix
from qaframework.operations.base import FieldError
from qaframework.operations.clocks import ATTENTION, local_milestones
from qaframework.operations.settings import academic_year_label, academic_year_start, cycle_named, tier1_target
from qaframework.operations.timeliness import PeriodKind, timeliness_by_period
from qaframework.permissions import MODERATED_TIERS
from qaframework.reports.suppression import (
    SUPPRESSED,
    Count,
    Rate,
    Suppressed,
    suppress_count,
    suppress_rate,
    suppress_table,
)
from qaframework.store import (
    Action,
    AdviceRequest,
    Agency,
    Audit,
    Case,
    Request,
    Response,
    Review,
    ReviewConversation,
    Sample,
    SampleItem,
    SectionGrade,
    TemplateVersion,
    User,
)
from qaframework.store.cases import REQUEST_FACT_COLUMNS, request_facts
from qaframework.timeliness import AdviceException, AdviceFacts, clock

__all__ = [
    "FINISHED",
    "ActionFigures",
    "ActionRow",
    "AgreementRow",
    "BoardFilters",
    "ComplianceFigures",
    "FilterChoices",
    "GradeRow",
    "GradeTable",
    "Headline",
    "MonthRate",
    "ReportPeriod",
    "TierDone",
    "TierRate",
    "TrendPoint",
    "TwentyWeekFigures",
    "actions_summary",
    "at_risk_count",
    "audits_by_tier",
    "filter_choices",
    "good_or_better_by_tier",
    "grade_distribution",
    "headline_figures",
    "moderation_agreement",
    "report_period",
    "statutory_compliance",
    "theme_counts",
    "tier4_experience",
    "trend_by_half_term",
    "twenty_week_rate",
]

#: Audits whose grades count: submitted, moderated or closed (never drafts or returned work).
FINISHED = (AuditStatus.SUBMITTED.value, AuditStatus.MODERATED.value, AuditStatus.CLOSED.value)
#: How many half terms the trend shows.
TREND_CYCLES = 6
#: Tier 1-3 checklists grade on this scale; Tier 4 on the family-experience scales.
QUALITY_TIERS = (Tier.AGENCY_CHECK, Tier.SINGLE_AGENCY, Tier.MULTI_AGENCY)
NO_AGENCY_LABEL = "Multi-agency or no single agency"


# --- Periods and filters -----------------------------------------------------------------------------


_P = ParamSpec("_P")
_R = TypeVar("_R")
#: The figures already computed while one report is built (see ``computed_once``).
_computed: ContextVar[dict[tuple[object, ...], object] | None] = ContextVar("board_figures_computed", default=None)


@contextmanager
def computed_once() -> Iterator[None]:
    """Within this block each shared figure is computed once for the same arguments.

    The board pack shows the 20-week rate, statutory compliance, the actions and the at-risk count
    on the Summary and again on their own sheets (and ``headline_figures`` needs them too); each
    streams every request or audit of the period, so the pack computed them up to three times.
    The figures are read-only snapshots of one moment, so reusing them inside one report is exact.
    """
    token = _computed.set({})
    try:
        yield
    finally:
        _computed.reset(token)


def _shared(figure: Callable[_P, _R]) -> Callable[_P, _R]:
    """Make ``figure`` reuse its result inside ``computed_once`` (keyed by the session and arguments)."""

    @functools.wraps(figure)
    def reuse(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        computed = _computed.get()
        if computed is None:
            return figure(*args, **kwargs)
        key = (figure.__name__, *(id(a) if isinstance(a, Session) else a for a in args), *sorted(kwargs.items()))
        if key not in computed:
            computed[key] = figure(*args, **kwargs)
        return computed[key]  # type: ignore[return-value]  # stored by this same figure just above

    return reuse


@dataclass(frozen=True)
class ReportPeriod:
    """An academic year, or one half term of it, with the dates the area's term dates give it."""

    year: str
    cycle: str | None
    start: date
    end: date
    cycles: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.cycle or self.year

    @property
    def previous_cycles(self) -> tuple[str, ...]:
        """The half term before (for a half term) or the six of the year before (for a year)."""
        if self.cycle:
            return tuple(cycle_labels_before(self.cycle, 1))
        before = academic_year_label(academic_year_start(self.year) - 1)
        return tuple(f"{before} {half}" for half in HALF_TERMS)

    @property
    def previous_label(self) -> str:
        if self.cycle:
            return self.previous_cycles[0]
        return academic_year_label(academic_year_start(self.year) - 1)


def report_period(session: Session, year: str, cycle: str | None = None) -> ReportPeriod:
    """The period called ``year`` ("2025-26") and optionally ``cycle`` ("Summer 1" or "2025-26 Summer 1").

    ValueError saying what is wrong and what a year or half term looks like.
    """
    start_year = academic_year_start(year)
    label = academic_year_label(start_year)
    if cycle is None or not cycle.strip():
        halves = [cycle_named(session, f"{label} {half}") for half in HALF_TERMS]
        return ReportPeriod(label, None, halves[0].start, halves[-1].end, tuple(c.label for c in halves))
    wanted = cycle.strip()
    if wanted in HALF_TERMS:
        wanted = f"{label} {wanted}"
    elif not _is_cycle(wanted):
        names = ", ".join(HALF_TERMS)
        raise ValueError(f"{cycle!r} is not a half term: give one of {names} (or like {label} Summer 1)")
    cycle_year, _ = parse_cycle_label(wanted)
    if cycle_year != start_year:
        raise ValueError(f"the half term {wanted!r} is not in the {label} academic year")
    found = cycle_named(session, wanted)
    return ReportPeriod(label, found.label, found.start, found.end, (found.label,))


@dataclass(frozen=True)
class BoardFilters:
    """Which audits (and requests) the figures count; None means all."""

    agency: str | None = None
    phase: str | None = None
    primary_need: str | None = None
    setting_type: str | None = None

    @property
    def active(self) -> bool:
        return any((self.agency, self.phase, self.primary_need, self.setting_type))

    @property
    def on_cases(self) -> bool:
        """Whether any filter is about the child (phase, need, setting) rather than the agency."""
        return any((self.phase, self.primary_need, self.setting_type))

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> tuple[BoardFilters, list[FieldError]]:
        """Filters from a query string (``agency``, ``phase``, ``primary_need``, ``setting_type``)."""
        errors: list[FieldError] = []
        phase = (args.get("phase") or "").strip() or None
        if phase is not None and phase not in PHASES:
            errors.append(FieldError("phase", f"Choose a phase: {', '.join(PHASES.values())}"))
            phase = None
        need = (args.get("primary_need") or "").strip().upper() or None
        if need is not None and need not in PRIMARY_NEEDS:
            errors.append(FieldError("primary_need", "Choose a primary need from the list"))
            need = None
        agency = (args.get("agency") or "").strip() or None
        setting = (args.get("setting_type") or "").strip() or None
        return cls(agency, phase, need, setting), errors

    def describe(self, agency_names: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
        """(filter, value) pairs for the filters in use, in words."""
        names = agency_names or {}
        found = []
        if self.agency:
            found.append(("Agency", names.get(self.agency, self.agency)))
        if self.phase:
            found.append(("Phase", PHASES.get(self.phase, self.phase)))
        if self.primary_need:
            found.append(("Primary need", PRIMARY_NEEDS.get(self.primary_need, self.primary_need)))
        if self.setting_type:
            found.append(("Setting type", self.setting_type))
        return found


@dataclass(frozen=True)
class FilterChoices:
    """What each filter can be set to: (code, label) pairs that occur in the data."""

    agencies: list[tuple[str, str]]
    phases: list[tuple[str, str]]
    primary_needs: list[tuple[str, str]]
    setting_types: list[tuple[str, str]]
    years: list[str]
    cycles: list[str]


def filter_choices(session: Session) -> FilterChoices:
    agencies = [(a.code, a.name) for a in session.scalars(select(Agency).order_by(Agency.name))]
    year_groups = session.scalars(select(Case.year_group).where(Case.year_group.is_not(None)).distinct())
    phases_present = {phase_for_year_group(y) for y in year_groups}
    needs = sorted(n for n in session.scalars(select(Case.primary_need).distinct()) if n)
    settings = sorted(s for s in session.scalars(select(Case.setting_type).distinct()) if s)
    cycles = sorted((c for c in session.scalars(select(Audit.cycle).distinct()) if _is_cycle(c)), key=cycle_index)
    years = sorted({c.split(" ", 1)[0] for c in cycles})
    return FilterChoices(
        agencies=agencies,
        phases=[(code, label) for code, label in PHASES.items() if code in phases_present],
        primary_needs=[(n, PRIMARY_NEEDS.get(n, n)) for n in needs],
        setting_types=[(s, s) for s in settings],
        years=years,
        cycles=cycles,
    )


def _is_cycle(label: str) -> bool:
    try:
        parse_cycle_label(label)
    except ValueError:
        return False
    return True


def _case_conditions(session: Session, filters: BoardFilters) -> list[ColumnElement[bool]]:
    """Conditions on ``Case`` for the phase, primary need and setting filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.phase:
        year_groups = session.scalars(select(Case.year_group).where(Case.year_group.is_not(None)).distinct())
        matching = sorted(y for y in year_groups if y and phase_for_year_group(y) == filters.phase)
        conditions.append(Case.year_group.in_(matching))
    if filters.primary_need:
        conditions.append(Case.primary_need == filters.primary_need)
    if filters.setting_type:
        conditions.append(Case.setting_type == filters.setting_type)
    return conditions


def _approved_tier4() -> ColumnElement[bool]:
    """Tier 4 reviews count only once their board summary is approved (docs/domain-notes.md §6)."""
    approved = select(ReviewConversation.audit_id).where(ReviewConversation.board_approved_at.is_not(None))
    return or_(Audit.tier != int(Tier.SYSTEM_LEADER), Audit.id.in_(approved))


def _audits(session: Session, cycles: Sequence[str], filters: BoardFilters) -> list[ColumnElement[bool]]:
    """Finished audits of these half terms that pass the filters (join ``Case`` when ``filters.on_cases``)."""
    conditions = [Audit.status.in_(FINISHED), Audit.cycle.in_(list(cycles)), _approved_tier4()]
    if filters.agency:
        conditions.append(Audit.agency_code == filters.agency)
    if filters.on_cases:
        conditions.append(Audit.case_id.in_(select(Case.id).where(*_case_conditions(session, filters))))
    return conditions


def _grade() -> Any:
    return func.coalesce(Audit.moderated_grade, Audit.auditor_grade, Audit.suggested_grade)


# --- Audits done and grades --------------------------------------------------------------------------


@dataclass(frozen=True)
class TierDone:
    tier: int
    label: str
    done: Count
    #: None where the area sets no target for the tier.
    target: int | None


def audits_by_tier(session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters()) -> list[TierDone]:
    """Finished audits per tier against the targets: Tier 1 the area's monthly target over the period's
    months (for the co-ordinators or teams it is set for); Tiers 3 and 4 the cases sampled for them."""
    done = dict(
        session.execute(
            select(Audit.tier, func.count()).where(*_audits(session, period.cycles, filters)).group_by(Audit.tier)
        ).all()
    )
    targets: dict[int, int | None] = {int(t): None for t in Tier}
    if not filters.active:
        targets[int(Tier.AGENCY_CHECK)] = _tier1_target(session, period)
        sampled = session.scalar(
            select(func.count(SampleItem.id))
            .join(Sample, Sample.id == SampleItem.sample_id)
            .where(Sample.cycle.in_(list(period.cycles)), Sample.kind == "cases", SampleItem.case_id.is_not(None))
        )
        if sampled:
            targets[int(Tier.MULTI_AGENCY)] = int(sampled)
    return [TierDone(int(t), TIER_LABELS[t], suppress_count(int(done.get(int(t), 0))), targets[int(t)]) for t in Tier]


def _tier1_target(session: Session, period: ReportPeriod) -> int | None:
    from qaframework.operations.dashboard import COORDINATOR_AGENCY  # the target's definition lives there

    rule = tier1_target(session)
    people = session.scalars(
        select(User.team).where(
            User.role == Role.AUDITOR.value, User.active.is_(True), User.agency_code == COORDINATOR_AGENCY
        )
    ).all()
    if not people:
        return None
    months = max(1, round(((period.end - period.start).days + 1) / (365.25 / 12)))
    return rule.for_group(len(people), len(set(people))) * months


@dataclass(frozen=True)
class TierRate:
    """% good or better of one tier, with the period before beside it."""

    tier: int
    label: str
    graded: Count
    good: Count
    rate: Rate
    previous_graded: Count
    previous_good: Count
    previous_rate: Rate


def _good_counts(session: Session, cycles: Sequence[str], filters: BoardFilters) -> dict[int, tuple[int, int]]:
    rows = session.execute(
        select(Audit.tier, _grade(), func.count())
        .where(*_audits(session, cycles, filters), _grade().is_not(None))
        .group_by(Audit.tier, _grade())
    ).all()
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for tier, grade, count in rows:
        found[int(tier)][0] += int(count)
        if grade in GOOD_OR_BETTER:
            found[int(tier)][1] += int(count)
    return {tier: (graded, good) for tier, (graded, good) in found.items()}


def good_or_better_by_tier(
    session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters()
) -> list[TierRate]:
    """Per tier, the share of graded audits graded Outstanding or Good (Tier 4: Positive), this period
    and the one before (the cycle before a half term; the year before a year)."""
    now = _good_counts(session, period.cycles, filters)
    before = _good_counts(session, period.previous_cycles, filters)
    rows = []
    for tier in Tier:
        graded, good = now.get(int(tier), (0, 0))
        was_graded, was_good = before.get(int(tier), (0, 0))
        rows.append(TierRate(
            int(tier), TIER_LABELS[tier], suppress_count(graded), suppress_count(good), suppress_rate(good, graded),
            suppress_count(was_graded), suppress_count(was_good), suppress_rate(was_good, was_graded),
        ))
    return rows


@dataclass(frozen=True)
class GradeRow:
    key: str
    label: str
    counts: list[Count]
    total: Count


@dataclass(frozen=True)
class GradeTable:
    """Counts of grades (columns, best first) by tier, agency or plan section (rows), with totals."""

    by: str
    codes: tuple[str, ...]
    labels: tuple[str, ...]
    rows: list[GradeRow]
    totals: list[Count]
    total: Count


def grade_distribution(
    session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters(), by: str = "tier"
) -> GradeTable:
    """Tier 1-3 grades (Outstanding to Inadequate) by tier, agency, or plan section A-K.

    By plan section, each section grade (the panel's where moderated) counts under every plan
    section it covers.
    """
    scale = OFSTED4
    tiers = [int(t) for t in QUALITY_TIERS]
    conditions = [*_audits(session, period.cycles, filters), Audit.tier.in_(tiers)]
    raw: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(scale.codes, 0))
    labels: dict[str, str] = {}
    if by == "tier":
        for tier, grade, count in session.execute(
            select(Audit.tier, _grade(), func.count()).where(*conditions).group_by(Audit.tier, _grade())
        ):
            if grade in scale.codes:
                raw[str(tier)][grade] += int(count)
        keys = [str(t) for t in tiers]
        labels = {str(int(t)): TIER_LABELS[t] for t in QUALITY_TIERS}
    elif by == "agency":
        agency_key = func.coalesce(Audit.agency_code, "")
        for code, grade, count in session.execute(
            select(agency_key, _grade(), func.count()).where(*conditions).group_by(agency_key, _grade())
        ):
            if grade in scale.codes:
                raw[code][grade] += int(count)
        names = dict(session.execute(select(Agency.code, Agency.name)).all())
        labels = {code: names.get(code, code) if code else NO_AGENCY_LABEL for code in raw}
        keys = sorted(raw, key=lambda k: (k == "", labels[k]))
    elif by == "plan_section":
        section_grade = func.coalesce(SectionGrade.moderated_grade, SectionGrade.suggested_grade)
        letters_text = cast(SectionGrade.plan_sections, String)
        for letters, grade, count in session.execute(
            select(letters_text, section_grade, func.count())
            .join(Audit, Audit.id == SectionGrade.audit_id)
            .where(*conditions, section_grade.is_not(None))
            .group_by(letters_text, section_grade)
        ):
            if grade not in scale.codes:
                continue
            for letter in json.loads(letters or "[]"):
                raw[str(letter)][grade] += int(count)
        order = list(PLAN_SECTIONS)
        keys = sorted(raw, key=lambda k: (order.index(k) if k in order else len(order), k))
        labels = {k: _plan_section_label(k) for k in keys}
    else:
        raise ValueError(f"grades are counted by tier, agency or plan_section, not {by!r}")
    table = suppress_table([[raw[k][c] for c in scale.codes] for k in keys] or [[0] * len(scale.codes)])
    rows = [GradeRow(k, labels.get(k, k), table.cells[i], table.row_totals[i]) for i, k in enumerate(keys)]
    return GradeTable(by, scale.codes, scale.labels, rows, table.column_totals, table.total)


def _plan_section_label(code: str) -> str:
    """'Section F: Special educational provision' for a lettered section, else the words ("The plan as a whole")."""
    words = PLAN_SECTIONS.get(code, code)
    return words if code in ("whole_plan", "process") or code not in PLAN_SECTIONS else f"Section {code}: {words}"


@dataclass(frozen=True)
class TrendPoint:
    cycle: str
    tier: int
    graded: Count
    good: Count
    rate: Rate


def trend_cycles(period: ReportPeriod) -> list[str]:
    """The half terms a trend shows, oldest first: the year's six, or this one and the five before."""
    if period.cycle is None:
        return list(period.cycles)
    return [*reversed(cycle_labels_before(period.cycle, TREND_CYCLES - 1)), period.cycle]


def trend_by_half_term(
    session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters()
) -> list[TrendPoint]:
    """% good or better per tier in each half term of :func:`trend_cycles`, cycle by cycle then tier."""
    cycles = trend_cycles(period)
    rows = session.execute(
        select(Audit.cycle, Audit.tier, _grade(), func.count())
        .where(*_audits(session, cycles, filters), _grade().is_not(None))
        .group_by(Audit.cycle, Audit.tier, _grade())
    ).all()
    counts: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for cycle_label, tier, grade, count in rows:
        counts[(cycle_label, int(tier))][0] += int(count)
        if grade in GOOD_OR_BETTER:
            counts[(cycle_label, int(tier))][1] += int(count)
    points = []
    for cycle_label in cycles:
        for tier in Tier:
            graded, good = counts.get((cycle_label, int(tier)), [0, 0])
            points.append(TrendPoint(cycle_label, int(tier), suppress_count(graded), suppress_count(good),
                                     suppress_rate(good, graded)))
    return points


# --- Tier 4 -----------------------------------------------------------------------------------------------

#: Family experience columns: v1's "mixed" and v2's "inconsistent" are the same middle judgement.
TIER4_COLUMNS = (("positive", "Positive"), ("mixed", "Mixed or inconsistent"), ("negative", "Negative"))


def tier4_experience(session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters()) -> GradeTable:
    """Tier 4 reviews by half term and the family's experience, from approved board summaries only."""
    grade = func.coalesce(Audit.auditor_grade, Audit.suggested_grade)
    rows = session.execute(
        select(Audit.cycle, grade, func.count())
        .join(ReviewConversation, ReviewConversation.audit_id == Audit.id)
        .where(*_audits(session, period.cycles, filters), Audit.tier == int(Tier.SYSTEM_LEADER),
               ReviewConversation.board_approved_at.is_not(None))
        .group_by(Audit.cycle, grade)
    ).all()
    raw: dict[str, dict[str, int]] = {c: {code: 0 for code, _ in TIER4_COLUMNS} for c in period.cycles}
    for cycle_label, code, count in rows:
        column = "mixed" if code == "inconsistent" else code
        if cycle_label in raw and column in raw[cycle_label]:
            raw[cycle_label][column] += int(count)
    keys = list(period.cycles)
    table = suppress_table([[raw[k][code] for code, _ in TIER4_COLUMNS] for k in keys])
    return GradeTable(
        "cycle", tuple(c for c, _ in TIER4_COLUMNS), tuple(label for _, label in TIER4_COLUMNS),
        [GradeRow(k, k, table.cells[i], table.row_totals[i]) for i, k in enumerate(keys)],
        table.column_totals, table.total,
    )


# --- Moderation agreement ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    """Agreement between the auditor's grade and the moderated grade for a group of audits."""

    group: str
    label: str
    n: Count
    exact: Rate
    within_one: Rate
    kappa_linear: float | Suppressed | None
    kappa_quadratic: float | Suppressed | None


def _agreement_row(group: str, label: str, matrix: list[list[int]]) -> AgreementRow:
    result = agreement_of_matrix(matrix)
    n = result.n
    exact = sum(matrix[i][i] for i in range(len(matrix)))
    within = sum(matrix[i][j] for i in range(len(matrix)) for j in range(len(matrix)) if abs(i - j) <= 1)
    small = 0 < n < 5

    def kappa(value: float | None) -> float | Suppressed | None:
        if small:
            return SUPPRESSED
        return None if value is None else round(value, 3)

    return AgreementRow(
        group, label, suppress_count(n), suppress_rate(exact, n), suppress_rate(within, n),
        kappa(result.kappa_linear), kappa(result.kappa_quadratic),
    )


@_shared
def moderation_agreement(
    session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters()
) -> list[AgreementRow]:
    """Agreement of moderated Tier 1 and 2 audits: overall, then by half term, then by agency.

    Counted as ``operations.agreement`` counts it (the auditor's grade, else the suggestion, against
    the moderated grade); nothing is grouped by auditor.
    """
    original = func.coalesce(Audit.auditor_grade, Audit.suggested_grade)
    conditions = [
        *_audits(session, period.cycles, filters),
        Audit.moderated_grade.is_not(None),
        original.is_not(None),
        Audit.tier.in_([int(t) for t in MODERATED_TIERS]),
    ]
    agency_key = func.coalesce(Audit.agency_code, "")
    rows = session.execute(
        select(Audit.cycle, agency_key, original, Audit.moderated_grade, func.count())
        .where(*conditions)
        .group_by(Audit.cycle, agency_key, original, Audit.moderated_grade)
    ).all()
    index = {code: i for i, code in enumerate(OFSTED4.codes)}
    size = len(OFSTED4.codes)

    def empty() -> list[list[int]]:
        return [[0] * size for _ in range(size)]

    overall = empty()
    by_cycle: dict[str, list[list[int]]] = {c: empty() for c in period.cycles}
    by_agency: dict[str, list[list[int]]] = defaultdict(empty)
    for cycle_label, agency, was, agreed, count in rows:
        if was not in index or agreed not in index:
            continue
        for matrix in (overall, by_cycle.setdefault(cycle_label, empty()), by_agency[agency]):
            matrix[index[was]][index[agreed]] += int(count)
    names = dict(session.execute(select(Agency.code, Agency.name)).all())
    found = [_agreement_row("overall", f"All moderated audits, {period.label}", overall)]
    found += [_agreement_row("cycle", c, by_cycle[c]) for c in sorted(by_cycle, key=cycle_index)]
    found += [
        _agreement_row("agency", names.get(code, code) if code else NO_AGENCY_LABEL, by_agency[code])
        for code in sorted(by_agency, key=lambda c: (c == "", names.get(c, c)))
    ]
    return found


# --- Statutory compliance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceFigures:
    audits: Count
    compliant: Count
    rate: Rate
    #: (breach label, audits showing it), in the order of ``Breach``, only those found.
    breaches: list[tuple[str, Count]] = field(default_factory=list)


@_shared
def statutory_compliance(
    session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters(), *, today: date
) -> ComplianceFigures:
    """Finished audits with no statutory breach found, by the rules of ``qaframework.compliance``.

    The rules read each audit's Not met answers and its case's dates; those few columns are
    streamed as plain rows in six queries, however many audits there are.
    """
    audit_ids = select(Audit.id).where(*_audits(session, period.cycles, filters))
    audits = session.execute(
        select(Audit.id, Audit.subject, Audit.agency_code, Audit.submitted_at, Audit.template_version_id,
               Audit.request_id, Audit.case_id).where(Audit.id.in_(audit_ids))
    ).all()
    not_met: dict[int, dict[str, Rating]] = defaultdict(dict)
    for audit_id, question_id in session.execute(
        select(Response.audit_id, Response.question_id)
        .where(Response.audit_id.in_(audit_ids), Response.rating == Rating.NOT_MET.value)
    ):
        not_met[audit_id][question_id] = Rating.NOT_MET
    templates = {v.id: v.template for v in session.scalars(
        select(TemplateVersion).where(TemplateVersion.id.in_({a.template_version_id for a in audits}))
    )}
    request_ids = select(Audit.request_id).where(Audit.id.in_(audit_ids), Audit.request_id.is_not(None))
    case_ids = select(Audit.case_id).where(Audit.id.in_(audit_ids))
    requests = {}
    for row in session.execute(select(Request.id, *REQUEST_FACT_COLUMNS).where(Request.id.in_(request_ids))):
        try:
            requests[row.id] = request_facts(row)
        except ValueError:
            continue  # contradictory dates: shown as a problem on the case page, not judged
    advice: dict[int, list[AdviceFacts]] = defaultdict(list)
    for request_id, agency, asked, received, exception in session.execute(
        select(AdviceRequest.request_id, AdviceRequest.agency_code, AdviceRequest.requested_date,
               AdviceRequest.received_date, AdviceRequest.exception)
        .where(AdviceRequest.request_id.in_(request_ids)).order_by(AdviceRequest.agency_code)
    ):
        if received is not None and received < asked:
            continue  # a recording error, not a breach (as ``operations.compliance``)
        advice[request_id].append(
            AdviceFacts(agency, asked, received, None if exception is None else AdviceException(exception))
        )
    plans = dict(session.execute(
        select(Request.case_id, func.max(Request.final_issued_date))
        .where(Request.case_id.in_(case_ids)).group_by(Request.case_id)
    ).all())
    decisions: dict[int, list[date]] = defaultdict(list)
    for case_id, decided in session.execute(
        select(Review.case_id, Review.decision_date)
        .where(Review.case_id.in_(case_ids), Review.decision_date.is_not(None))
    ):
        if decided is not None:
            decisions[case_id].append(decided)
    compliant = 0
    breach_counts = dict.fromkeys(Breach, 0)
    for audit in audits:
        dates = CaseDates(
            request=requests.get(audit.request_id) if audit.request_id is not None else None,
            plan_issued=plans.get(audit.case_id),
            review_decisions=tuple(sorted(decisions.get(audit.case_id, []))),
            advice=tuple(advice.get(audit.request_id, [])) if audit.request_id is not None else (),
        )
        on = audit.submitted_at.date() if audit.submitted_at is not None else today
        advice_agency = audit.agency_code if audit.subject == Subject.ADVICE.value else None
        result = assess_compliance(templates[audit.template_version_id], not_met.get(audit.id, {}),
                                   audit.subject, dates, on, advice_agency)
        compliant += result.compliant
        for found in result.breaches:
            breach_counts[found.breach] += 1
    total = len(audits)
    return ComplianceFigures(
        suppress_count(total), suppress_count(compliant), suppress_rate(compliant, total),
        [(b.label, suppress_count(n)) for b, n in breach_counts.items() if n],
    )


# --- Timeliness -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRate:
    label: str
    start: date
    plans_issued: Count
    within: Count
    rate: Rate


@dataclass(frozen=True)
class TwentyWeekFigures:
    """Final plans issued in the period after a first assessment, and the share within 20 weeks."""

    plans_issued: Count
    within: Count
    rate: Rate
    rate_excl_exceptions: Rate
    refused_to_assess_rate: Rate
    requests: Count
    months: list[MonthRate]


def _case_filter(session: Session, filters: BoardFilters) -> ColumnElement[bool] | None:
    if not filters.on_cases:
        return None
    return Request.case_id.in_(select(Case.id).where(*_case_conditions(session, filters)))


@_shared
def twenty_week_rate(
    session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters()
) -> TwentyWeekFigures:
    """The DfE 20-week measure for the period, and month by month (``operations.timeliness``'s rules).

    Requests belong to no agency, so the agency filter does not narrow them; phase, need and setting do.
    """
    table = timeliness_by_period(session, None, PeriodKind.MONTH, period.start, period.end,
                                 where=_case_filter(session, filters))
    plans = sum(r.plans_issued for r in table.rows)
    within = sum(r.within_20_weeks for r in table.rows)
    plans_ex = sum(r.plans_issued_excl_exceptions for r in table.rows)
    within_ex = sum(r.within_20_weeks_excl_exceptions for r in table.rows)
    requests = sum(r.requests for r in table.rows)
    refused = sum(r.refused_to_assess for r in table.rows)
    months = [
        MonthRate(r.period.label, r.period.start, suppress_count(r.plans_issued), suppress_count(r.within_20_weeks),
                  suppress_rate(r.within_20_weeks, r.plans_issued))
        for r in table.rows
    ]
    return TwentyWeekFigures(
        suppress_count(plans), suppress_count(within), suppress_rate(within, plans),
        suppress_rate(within_ex, plans_ex), suppress_rate(refused, requests), suppress_count(requests), months,
    )


@dataclass(frozen=True)
class YearRate:
    label: str
    requests: Count
    plans_issued: Count
    rate: Rate
    rate_excl_exceptions: Rate
    refused_to_assess_rate: Rate
    refused_to_issue_rate: Rate


@_shared
def timeliness_by_year(session: Session, filters: BoardFilters = BoardFilters()) -> list[YearRate]:
    """Every calendar year of recorded requests, as ``qa timeliness --by year`` reports them."""
    table = timeliness_by_period(session, None, PeriodKind.YEAR, where=_case_filter(session, filters))
    return [
        YearRate(r.period.label, suppress_count(r.requests), suppress_count(r.plans_issued),
                 suppress_rate(r.within_20_weeks, r.plans_issued),
                 suppress_rate(r.within_20_weeks_excl_exceptions, r.plans_issued_excl_exceptions),
                 suppress_rate(r.refused_to_assess, r.requests), suppress_rate(r.refused_to_issue, r.requests))
        for r in table.rows
    ]


@_shared
def at_risk_count(session: Session, today: date, filters: BoardFilters = BoardFilters()) -> Count:
    """Open requests at or past the area's at-risk week, due today or overdue, on ``today``
    (the number at the top of the at-risk page)."""
    milestones = local_milestones(session)
    query = select(*REQUEST_FACT_COLUMNS).where(Request.outcome == RequestOutcome.IN_PROGRESS.value,
                                                Request.request_date <= today)
    case_filter = _case_filter(session, filters)
    if case_filter is not None:
        query = query.where(case_filter)
    count = 0
    for row in session.execute(query.execution_options(yield_per=5_000)):
        try:
            status = clock(request_facts(row), today, milestones).status
        except ValueError:
            continue
        count += status in ATTENTION
    return suppress_count(count)


# --- Actions --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    """Actions of one agency, theme or owner role: open (on time, overdue), done, cancelled.

    The four columns after ``open`` do not overlap, so they add up to ``total`` (and are suppressed
    as a table with totals); ``open`` is on time plus overdue, hidden if either is. RAG from the
    share of open actions that are overdue.
    """

    label: str
    open: Count
    on_time: Count
    overdue: Count
    done: Count
    cancelled: Count
    total: Count
    rag: str | None


@dataclass(frozen=True)
class ActionFigures:
    open: Count
    on_time: Count
    overdue: Count
    done: Count
    cancelled: Count
    total: Count
    by_agency: list[ActionRow]
    by_theme: list[ActionRow]
    by_owner_role: list[ActionRow]


#: Over this share of open actions overdue is red; any overdue is amber; none is green.
RED_OVERDUE_SHARE = Decimal("0.25")
#: A theme is free text typed by leads; one used by fewer actions than this is shown only within "Other themes".
THEME_MIN_ACTIONS = 5
OTHER_THEMES = "Other themes (each on fewer than 5 actions)"
NO_THEME = "No theme"


def rag(open_: int, overdue: int) -> str:
    """Red when more than a quarter of open actions are overdue, amber when any are, else green."""
    if overdue and Decimal(overdue) > RED_OVERDUE_SHARE * open_:
        return "red"
    return "amber" if overdue else "green"


def _sum(*counts: Count) -> Count:
    if any(isinstance(c, Suppressed) for c in counts):
        return SUPPRESSED
    return sum(c for c in counts if isinstance(c, int))


def _action_rows(groups: dict[str, list[int]], order: list[str], labels: Mapping[str, str]) -> list[ActionRow]:
    """Rows of (on time, overdue, done, cancelled) suppressed as one table with totals."""
    keys = [k for k in order if k in groups]
    if not keys:
        return []
    table = suppress_table([groups[k] for k in keys])
    rows = []
    for i, key in enumerate(keys):
        on_time, overdue, done, cancelled = table.cells[i]
        open_ = _sum(on_time, overdue)
        raw_open = groups[key][0] + groups[key][1]
        rows.append(ActionRow(labels.get(key, key), open_, on_time, overdue, done, cancelled, table.row_totals[i],
                              rag(raw_open, groups[key][1]) if isinstance(open_, int) and raw_open else None))
    return rows


@_shared
def actions_summary(
    session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters(), *, today: date
) -> ActionFigures:
    """Actions raised from the period's audits (or, with no audit, raised during the period): counts by
    status, and by agency, theme and owner's role, with overdue (open past its due date) and a RAG.

    "Open" counts open and in-progress actions. No description, owner or note is read.
    """
    start = datetime(period.start.year, period.start.month, period.start.day, tzinfo=UTC)
    end = datetime(period.end.year, period.end.month, period.end.day, tzinfo=UTC) + timedelta(days=1)
    of_audits = select(Audit.id).where(*_audits(session, period.cycles, filters))
    in_period = or_(
        Action.audit_id.in_(of_audits),
        and_(Action.audit_id.is_(None), Action.created_at >= start, Action.created_at < end),
    ) if not filters.active else Action.audit_id.in_(of_audits)
    overdue = and_(Action.status.in_([s.value for s in ACTION_OPEN]), Action.due_date < today)
    agency_key = func.coalesce(Action.agency_code, "")
    theme_key = func.coalesce(Action.theme, "")
    fetched = session.execute(
        select(agency_key, theme_key, User.role, Action.status, overdue, func.count())
        .join(User, User.id == Action.owner_id)
        .where(in_period)
        .group_by(agency_key, theme_key, User.role, Action.status, overdue)
    ).all()
    theme_sizes: dict[str, int] = defaultdict(int)
    for _agency, theme, _role, _status, _late, count in fetched:
        theme_sizes[theme.strip().casefold()] += int(count)
    by_agency: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_theme: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_role: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    totals = [0, 0, 0, 0]
    for agency, theme, role, status, late, count in fetched:
        column = {ActionStatus.DONE.value: 2, ActionStatus.CANCELLED.value: 3}.get(status, 1 if late else 0)
        shown_theme = theme.strip()
        if not shown_theme:
            shown_theme = NO_THEME
        elif theme_sizes[shown_theme.casefold()] < THEME_MIN_ACTIONS:
            shown_theme = OTHER_THEMES
        for groups, key in ((by_agency, agency), (by_theme, shown_theme), (by_role, role)):
            groups[key][column] += int(count)
        totals[column] += int(count)
    names = dict(session.execute(select(Agency.code, Agency.name)).all())
    agency_labels = {code: names.get(code, code) if code else "No agency" for code in by_agency}
    whole = suppress_table([totals])
    on_time, late_total, done, cancelled = whole.cells[0]
    return ActionFigures(
        _sum(on_time, late_total), on_time, late_total, done, cancelled, whole.total,
        by_agency=_action_rows(by_agency, sorted(by_agency, key=lambda c: (c == "", agency_labels[c])), agency_labels),
        by_theme=_action_rows(by_theme, sorted(by_theme, key=lambda t: (t in (OTHER_THEMES, NO_THEME), t.casefold())),
                              {}),
        by_owner_role=_action_rows(by_role, sorted(by_role), {r: _role_label(r) for r in by_role}),
    )


def _role_label(code: str) -> str:
    try:
        return ROLE_LABELS[Role(code)]
    except ValueError:
        return code


# --- Themes ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeRow:
    """A checklist question often rated Not met or Partially met (its wording is the template's)."""

    template: str
    section: str
    question: str
    plan_sections: str
    shortfall: Count
    rated: Count
    rate: Rate
    previous_rate: Rate


def theme_counts(
    session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters(), limit: int = 15
) -> list[ThemeRow]:
    """The questions with the most Not met or Partially met answers in the period's finished audits,
    with the share of rated answers, and the share the period before (as ``operations.themes``)."""
    from qaframework.operations.themes import RATED, SHORTFALL, _latest_templates

    def counts(cycles: Sequence[str]) -> dict[tuple[str, str], tuple[int, int]]:
        shortfall = func.sum(sql_case((Response.rating.in_(SHORTFALL), 1), else_=0))
        rated = func.sum(sql_case((Response.rating.in_(RATED), 1), else_=0))
        rows = session.execute(
            select(TemplateVersion.template_id, Response.question_id, shortfall, rated)
            .join(Audit, Audit.id == Response.audit_id)
            .join(TemplateVersion, TemplateVersion.id == Audit.template_version_id)
            .where(*_audits(session, cycles, filters))
            .group_by(TemplateVersion.template_id, Response.question_id)
        ).all()
        return {(t, q): (int(s or 0), int(r or 0)) for t, q, s, r in rows}

    now = counts(period.cycles)
    before = counts(period.previous_cycles)
    templates = _latest_templates(session, sorted({t for t, _ in now}))
    found: list[tuple[int, Decimal, ThemeRow]] = []
    for (template_id, question_id), (short, rated) in now.items():
        template = templates.get(template_id)
        if not short or template is None:
            continue
        section = next((s for s in template.sections if any(q.id == question_id for q in s.questions)), None)
        if section is None:
            continue
        question = next(q for q in section.questions if q.id == question_id)
        was_short, was_rated = before.get((template_id, question_id), (0, 0))
        rate = suppress_rate(short, rated)
        found.append((short, rate if isinstance(rate, Decimal) else Decimal(0), ThemeRow(
            template.title, section.title, question.text,
            ", ".join(_plan_section_label(p) for p in question.plan_sections or section.plan_sections),
            suppress_count(short), suppress_count(rated), rate, suppress_rate(was_short, was_rated),
        )))
    found.sort(key=lambda t: (-t[0], -t[1], t[2].template, t[2].question))
    return [row for _, _, row in found[:limit]]


# --- The headline ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The Summary sheet's and the dashboard's first numbers."""

    period: ReportPeriod
    audits_done: Count
    good_or_better: Rate
    compliance: Rate
    agreement_exact: Rate
    twenty_week: Rate
    open_actions: Count
    overdue_actions: Count
    at_risk: Count


def headline_figures(
    session: Session, period: ReportPeriod, filters: BoardFilters = BoardFilters(), *, today: date
) -> Headline:
    counts = _good_counts(session, period.cycles, filters)
    graded = sum(g for g, _ in counts.values())
    good = sum(g for _, g in counts.values())
    done = session.scalar(select(func.count()).select_from(Audit).where(*_audits(session, period.cycles, filters)))
    actions = actions_summary(session, period, filters, today=today)
    return Headline(
        period=period,
        audits_done=suppress_count(int(done or 0)),
        good_or_better=suppress_rate(good, graded),
        compliance=statutory_compliance(session, period, filters, today=today).rate,
        agreement_exact=moderation_agreement(session, period, filters)[0].exact,
        twenty_week=twenty_week_rate(session, period, filters).rate,
        open_actions=actions.open,
        overdue_actions=actions.overdue,
        at_risk=at_risk_count(session, today, filters),
    )


#: Labels of the family-experience scale, for the Definitions sheet.
TIER4_SCALE = FAMILY_EXPERIENCE3
