"""Half-term samples: draw one for a cycle, record it, draw it again, share it out.

A panel draws, each half term, the cases it will audit (Tier 3) or review (Tier 4) and the
submitted Tier 1 and 2 audits it will moderate blind. The draw is ``qaframework.sampling``'s:
stratified by the fields chosen, a size or a proportion, topped up so every auditor has at least
a minimum moderated, leaving out cases sampled in recent cycles, with optional risk-targeted
additions. The seed and every parameter are stored in the ``samples`` row, and candidates are
sorted by their key before any random choice, so drawing again with them gives the same list
whatever order the database returns rows in. Each item records why it is in.

The late-plan and overdue-review rules are the clocks' own (``qaframework.timeliness`` through
``operations.clocks``), judged on the day the sample records (``as_of``), never on the day it is
shown again.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, and_, distinct, func, or_, select
from sqlalchemy.orm import Session, selectinload

from qaframework import sampling
from qaframework.cycles import cycle_labels_before, is_cycle_label
from qaframework.framework import (
    PHASES,
    PRIMARY_NEEDS,
    SUBJECT_LABELS,
    AuditStatus,
    Cycle,
    SampleKind,
    Subject,
    Tier,
    phase_for_year_group,
)
from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    operation,
    record,
    require,
)
from qaframework.operations.clocks import case_clocks, local_milestones
from qaframework.operations.settings import configured_cycles, current_cycle, cycle_named
from qaframework.permissions import (
    SAMPLE_ASSIGNEES,
    can_assign_sample,
    can_be_assigned_sample,
    can_draw_sample,
    can_view_samples,
)
from qaframework.store import (
    Agency,
    Audit,
    Case,
    ModerationRecord,
    Request,
    Sample,
    SampleAssignment,
    SampleItem,
    TemplateVersion,
    User,
)
from qaframework.timeliness import issued_late

#: The fields a sample can be stratified by, in the order forms list them.
FIELD_LABELS: dict[str, str] = {
    "phase": "Phase",
    "primary_need": "Primary need",
    "setting_type": "Setting type",
    "team": "Team",
    "agency": "Agency",
    "subject": "What was audited",
}
#: Case samples have no agency or subject: those belong to an audit.
STRATA_FIELDS: dict[SampleKind, tuple[str, ...]] = {
    SampleKind.CASES: ("phase", "primary_need", "setting_type", "team"),
    SampleKind.AUDITS: ("phase", "primary_need", "setting_type", "team", "agency", "subject"),
}
#: Audits a panel moderates: Tier 1 and 2, submitted (or already moderated or closed).
MODERATED_TIERS = (Tier.AGENCY_CHECK, Tier.SINGLE_AGENCY)
SAMPLED_STATUSES = (AuditStatus.SUBMITTED, AuditStatus.MODERATED, AuditStatus.CLOSED)
#: Tier 3 audits and Tier 4 reviews are what a case sample is for.
CASE_WORK_TIERS = (Tier.MULTI_AGENCY, Tier.SYSTEM_LEADER)
#: How far back "leave out what was sampled" may reach: two academic years.
MAX_EXCLUDE_CYCLES = 12
MAX_SIZE = 1000
SEED_LIMIT = 2**31


class RiskRule(enum.StrEnum):
    """A reason to add an item whatever the random draw gave."""

    ISSUED_LATE = "issued_late"
    REVIEW_OVERDUE = "review_overdue"
    GRADED_INADEQUATE = "graded_inadequate"
    GRADE_OVERRIDDEN = "grade_overridden"

    @property
    def label(self) -> str:
        return RISK_LABELS[self]


RISK_LABELS: dict[RiskRule, str] = {
    RiskRule.ISSUED_LATE: "Plan issued late in the half term",
    RiskRule.REVIEW_OVERDUE: "Annual review overdue",
    RiskRule.GRADED_INADEQUATE: "Audit graded Inadequate",
    RiskRule.GRADE_OVERRIDDEN: "Auditor overrode the suggested grade",
}
RISK_RULES: dict[SampleKind, tuple[RiskRule, ...]] = {
    SampleKind.CASES: (RiskRule.ISSUED_LATE, RiskRule.REVIEW_OVERDUE),
    SampleKind.AUDITS: (RiskRule.GRADED_INADEQUATE, RiskRule.GRADE_OVERRIDDEN),
}
#: Risk rules that name an audit's grade: a moderator does not see them before grading blind.
GRADE_RISKS = frozenset({RiskRule.GRADED_INADEQUATE, RiskRule.GRADE_OVERRIDDEN})
_KIND_WORD = {SampleKind.CASES: "case", SampleKind.AUDITS: "audit"}
REASON_STRATUM = "stratum"
REASON_MINIMUM = "auditor_minimum"
REASON_LABELS: dict[str, str] = {
    REASON_STRATUM: "Random draw",
    REASON_MINIMUM: "Auditor's minimum",
    **{rule.value: rule.label for rule in RiskRule},
}
#: The grade the risk rule "graded Inadequate" looks for (the auditor's, else the suggested).
INADEQUATE = "inadequate"


# ---------------------------------------------------------------------------------------------
# Parameters


@dataclass(frozen=True)
class SampleParameters:
    """Everything a draw depends on besides the data: stored so the draw can be repeated."""

    cycle: str
    kind: SampleKind
    size: int | None = None
    proportion: Fraction | None = None
    strata: tuple[str, ...] = ()
    minimum_per_auditor: int = 0
    exclude_cycles: int = 0
    risk_rules: tuple[RiskRule, ...] = ()
    #: At most this many items per risk rule (a seeded random pick of them); None: all.
    risk_limit: int | None = None
    seed: int | None = None
    #: The day risk rules are judged on (default today); never after the cycle's end.
    as_of: date | None = None

    def criteria(self) -> dict[str, Any]:
        """The stored form (``samples.criteria``): plain JSON, proportion as an exact fraction."""
        return {
            "of": self.kind.value,
            "size": self.size,
            "proportion": None if self.proportion is None else str(self.proportion),
            "by": list(self.strata),
            "minimum_per_auditor": self.minimum_per_auditor,
            "exclude_cycles": self.exclude_cycles,
            "risk": [rule.value for rule in self.risk_rules],
            "risk_limit": self.risk_limit,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
        }

    @classmethod
    def of_sample(cls, sample: Sample) -> SampleParameters:
        """The parameters a stored sample was drawn with."""
        c = sample.criteria or {}
        return cls(
            cycle=sample.cycle,
            kind=SampleKind(sample.kind),
            size=c.get("size"),
            proportion=None if c.get("proportion") is None else Fraction(c["proportion"]),
            strata=tuple(c.get("by") or ()),
            minimum_per_auditor=int(c.get("minimum_per_auditor") or 0),
            exclude_cycles=int(c.get("exclude_cycles") or 0),
            risk_rules=tuple(RiskRule(r) for r in c.get("risk") or ()),
            risk_limit=c.get("risk_limit"),
            seed=sample.seed,
            as_of=None if c.get("as_of") is None else date.fromisoformat(c["as_of"]),
        )


def parse_proportion(text: str) -> Fraction:
    """ "10%", "10 %", "0.1" or "1/10" as an exact fraction; ValueError with what to type."""
    value = text.strip().replace(" ", "")
    try:
        share = Fraction(value[:-1]) / 100 if value.endswith("%") else Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise ValueError("Enter the proportion as a percentage like 10% or a fraction like 0.1") from None
    return share


@dataclass(frozen=True)
class RawParameters:
    """A draw as typed into the form or on the command line: text, read by :func:`read_parameters`."""

    cycle: str = ""
    kind: str = ""
    size: str = ""
    proportion: str = ""
    strata: tuple[str, ...] = ()
    minimum_per_auditor: str = ""
    exclude_cycles: str = ""
    risks: tuple[str, ...] = ()
    risk_limit: str = ""
    seed: str = ""
    as_of: str = ""


def _whole(text: str, name: str, message: str, errors: list[FieldError]) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        errors.append(FieldError(name, message))
        return None
    return int(value)


def read_parameters(raw: RawParameters) -> tuple[SampleParameters | None, list[FieldError]]:
    """Typed parameters from text, and what could not be read (each error names its field).

    None when the kind cannot be read, since every other check depends on it.
    """
    errors: list[FieldError] = []
    kind = SampleKind(raw.kind) if raw.kind in {k.value for k in SampleKind} else None
    if kind is None:
        errors.append(FieldError("kind", "Choose whether to sample cases or audits"))
    size = _whole(raw.size, "size", "The sample size must be a whole number, like 12", errors)
    proportion = None
    if raw.proportion.strip():
        try:
            proportion = parse_proportion(raw.proportion)
        except ValueError as exc:
            errors.append(FieldError("proportion", str(exc)))
    minimum = _whole(raw.minimum_per_auditor, "minimum_per_auditor",
                     "The minimum per auditor must be a whole number, like 1", errors)
    exclude = _whole(raw.exclude_cycles, "exclude_cycles", "Enter how many half terms back, like 2", errors)
    risk_limit = _whole(raw.risk_limit, "risk_limit", "The most to add per risk must be a whole number, like 3",
                        errors)
    seed = _whole(raw.seed, "seed", "The seed must be a whole number, like 2026", errors)
    rules = []
    for name in raw.risks:
        if name in {r.value for r in RiskRule}:
            rules.append(RiskRule(name))
        else:
            allowed = RISK_RULES[kind] if kind is not None else tuple(RiskRule)
            errors.append(FieldError("risk", f"{name!r} is not a risk rule; choose from "
                                             f"{', '.join(r.value for r in allowed)}"))
    as_of = None
    if raw.as_of.strip():
        try:
            as_of = date.fromisoformat(raw.as_of.strip())
        except ValueError:
            errors.append(FieldError("as_of", "Enter the day risks are judged on as a date like 2026-11-27"))
    if kind is None:
        return None, errors
    return SampleParameters(
        cycle=raw.cycle.strip(), kind=kind, size=size, proportion=proportion, strata=tuple(raw.strata),
        minimum_per_auditor=minimum or 0, exclude_cycles=exclude or 0, risk_rules=tuple(rules),
        risk_limit=risk_limit, seed=seed, as_of=as_of,
    ), errors


@operation
def draw_sample_from(session: Session, actor: User | None, raw: RawParameters, today: date) -> Sample:
    """Read the typed parameters and draw; InvalidInput lists every problem at once, each once per field."""
    params, errors = read_parameters(raw)
    if params is not None and actor is not None:
        require(can_draw_sample(actor, params.kind), _draw_refusal(params.kind))
    if params is not None:
        unread = {e.field for e in errors} - {"risk"}
        errors += [e for e in _check(params, session, today)[0] if e.field not in unread
                   and not (e.field == "size" and "proportion" in unread)]
    if errors or params is None:
        raise InvalidInput(errors)
    return add_sample(session, actor, params, today)


def _check(params: SampleParameters, session: Session, today: date) -> tuple[list[FieldError], Cycle | None]:
    """Every problem with the parameters at once, each naming its field."""
    errors: list[FieldError] = []
    kind = params.kind
    cycle: Cycle | None = None
    if not is_cycle_label(params.cycle):
        known = ", ".join(c.label for c in configured_cycles(session)[-3:]) or current_cycle(session, today).label
        errors.append(FieldError("cycle", f"{params.cycle!r} is not a half term: use a name like {known}"))
    else:
        cycle = cycle_named(session, params.cycle)
        if cycle.start > today:
            starts = f"{cycle.start.day} {cycle.start:%B %Y}"
            errors.append(FieldError("cycle", f"{cycle.label} has not started yet (it starts on {starts})"))
    if params.size is None and params.proportion is None:
        errors.append(FieldError("size", "Enter how many to sample, or a proportion"))
    elif params.size is not None and params.proportion is not None:
        errors.append(FieldError("size", "Enter a number to sample or a proportion, not both"))
    elif params.size is not None and not 1 <= params.size <= MAX_SIZE:
        errors.append(FieldError("size", f"The sample size must be a whole number from 1 to {MAX_SIZE}"))
    elif params.proportion is not None and not 0 < params.proportion <= 1:
        errors.append(FieldError("proportion", "The proportion must be more than 0% and at most 100%"))
    allowed = STRATA_FIELDS[kind]
    for name in params.strata:
        if name in allowed:
            continue
        if name in STRATA_FIELDS[SampleKind.AUDITS]:
            errors.append(FieldError("strata", f"{name} applies to audit samples only; a case sample can be "
                                               f"stratified by {', '.join(allowed)}"))
        else:
            errors.append(FieldError("strata", f"{name!r} is not a field to stratify by; choose from "
                                               f"{', '.join(allowed)}"))
    if len(set(params.strata)) != len(params.strata):
        errors.append(FieldError("strata", "Choose each field to stratify by once"))
    if params.minimum_per_auditor < 0 or params.minimum_per_auditor > MAX_SIZE:
        errors.append(FieldError("minimum_per_auditor", "The minimum per auditor must be a whole number, 0 or more"))
    elif params.minimum_per_auditor and kind is not SampleKind.AUDITS:
        errors.append(FieldError("minimum_per_auditor", "A minimum per auditor applies to audit samples only"))
    if not 0 <= params.exclude_cycles <= MAX_EXCLUDE_CYCLES:
        errors.append(FieldError("exclude_cycles", f"Leave out cases from 0 to {MAX_EXCLUDE_CYCLES} half terms back"))
    for rule in params.risk_rules:
        if rule not in RISK_RULES[kind]:
            names = ", ".join(r.value for r in RISK_RULES[kind])
            errors.append(FieldError("risk", f"{rule.value} does not apply to {_KIND_WORD[kind]} samples; "
                                             f"choose from {names}"))
    if params.risk_limit is not None and not 1 <= params.risk_limit <= MAX_SIZE:
        errors.append(FieldError("risk_limit", f"The most to add per risk must be a whole number from 1 to {MAX_SIZE}"))
    if params.seed is not None and not 0 <= params.seed < SEED_LIMIT:
        errors.append(FieldError("seed", f"The seed must be a whole number from 0 to {SEED_LIMIT - 1}"))
    return errors, cycle


# ---------------------------------------------------------------------------------------------
# Drawing


@dataclass(frozen=True)
class Candidate:
    """One case or audit the draw may pick, with what the strata and rules read."""

    key: str | int
    case_id: int
    audit_id: int | None
    auditor_id: int | None
    values: dict[str, str | None]
    risks: frozenset[RiskRule]


@dataclass(frozen=True)
class DrawnItem:
    candidate: Candidate
    reason: str
    stratum: dict[str, str | None]


@dataclass(frozen=True)
class Draw:
    items: list[DrawnItem]
    #: How many were eligible before and after leaving out recently sampled cases.
    population: int
    excluded: int


def _audit_candidates(session: Session, params: SampleParameters) -> list[Candidate]:
    query = (
        select(Audit.id, Audit.case_id, Audit.auditor_id, Audit.agency_code, Audit.subject,
               Audit.suggested_grade, Audit.auditor_grade, Case.year_group, Case.primary_need,
               Case.setting_type, Case.team)
        .join(Case, Case.id == Audit.case_id)
        .where(Audit.cycle == params.cycle, Audit.tier.in_([int(t) for t in MODERATED_TIERS]),
               Audit.status.in_([s.value for s in SAMPLED_STATUSES]))
    )
    candidates = []
    for row in session.execute(query):
        risks = set()
        if (row.auditor_grade or row.suggested_grade) == INADEQUATE:
            risks.add(RiskRule.GRADED_INADEQUATE)
        if row.auditor_grade is not None and row.auditor_grade != row.suggested_grade:
            risks.add(RiskRule.GRADE_OVERRIDDEN)
        values = {"phase": phase_for_year_group(row.year_group), "primary_need": row.primary_need,
                  "setting_type": row.setting_type, "team": row.team, "agency": row.agency_code,
                  "subject": row.subject}
        candidates.append(Candidate(row.id, row.case_id, row.id, row.auditor_id, values, frozenset(risks)))
    return candidates


def judged_on(params: SampleParameters, cycle: Cycle) -> date:
    """The day the clocks are read for a case sample: the recorded day, or the cycle's end if earlier."""
    assert params.as_of is not None
    return min(params.as_of, cycle.end)


def _case_candidates(session: Session, params: SampleParameters, cycle: Cycle) -> list[Candidate]:
    """Cases with an EHC plan in force on the day (issued or transferred in by then, not ceased)."""
    day = judged_on(params, cycle)
    milestones = local_milestones(session)
    query = select(Case).options(selectinload(Case.requests), selectinload(Case.reviews))
    candidates = []
    for case in session.scalars(query):
        issued = [r.final_issued_date for r in case.requests if r.final_issued_date is not None]
        has_plan = any(d <= day for d in issued) or (
            case.transferred_in_date is not None and case.transferred_in_date <= day)
        if not has_plan:
            continue
        review = case_clocks(case, day, milestones).review
        if review is None:  # the plan has ceased (or its dates cannot give a review clock)
            continue
        risks = set()
        if review.status in ("overdue", "decision_overdue"):
            risks.add(RiskRule.REVIEW_OVERDUE)
        if any(_issued_late_in(request, cycle, day) for request in case.requests):
            risks.add(RiskRule.ISSUED_LATE)
        values = {"phase": phase_for_year_group(case.year_group), "primary_need": case.primary_need,
                  "setting_type": case.setting_type, "team": case.team}
        candidates.append(Candidate(case.case_ref, case.id, None, None, values, frozenset(risks)))
    return candidates


def _issued_late_in(request: Request, cycle: Cycle, day: date) -> bool:
    final = request.final_issued_date
    if final is None or not cycle.start <= final <= day:
        return False
    try:
        return issued_late(request.facts()) is True
    except ValueError:  # contradictory dates: shown on the case page, not judged here
        return False


def _recently_sampled_cases(session: Session, params: SampleParameters, before_sample_id: int | None) -> set[int]:
    """Cases in any sample of the ``exclude_cycles`` cycles before this one (drawn before this sample)."""
    if not params.exclude_cycles:
        return set()
    labels = cycle_labels_before(params.cycle, params.exclude_cycles)
    query = (select(SampleItem.case_id).distinct().join(Sample, Sample.id == SampleItem.sample_id)
             .where(Sample.cycle.in_(labels), SampleItem.case_id.is_not(None)))
    if before_sample_id is not None:
        query = query.where(Sample.id < before_sample_id)
    return {case_id for case_id in session.scalars(query) if case_id is not None}


def _key(candidate: Candidate) -> str | int:
    return candidate.key


def draw(session: Session, params: SampleParameters, cycle: Cycle, *, before_sample_id: int | None = None) -> Draw:
    """The items the parameters give on the data as it stands (nothing is stored).

    ``before_sample_id``: when drawing a stored sample again, only samples recorded before it are
    left out as "recently sampled".
    """
    assert params.seed is not None and params.as_of is not None
    kind = params.kind
    everyone = _audit_candidates(session, params) if kind is SampleKind.AUDITS else \
        _case_candidates(session, params, cycle)
    recent = _recently_sampled_cases(session, params, before_sample_id)
    eligible = [c for c in everyone if c.case_id not in recent]

    def stratum_of(candidate: Candidate) -> tuple[str | None, ...]:
        return tuple(candidate.values[name] for name in params.strata)

    def stratum(candidate: Candidate) -> dict[str, str | None]:
        return {name: candidate.values[name] for name in params.strata}

    if params.size is not None:
        target = params.size
    else:
        assert params.proportion is not None
        target = math.ceil(params.proportion * len(eligible))
    chosen = sampling.draw_stratified(eligible, _key, stratum_of, target, params.seed)
    items = [DrawnItem(c, REASON_STRATUM, stratum(c)) for c in chosen]
    if kind is SampleKind.AUDITS and params.minimum_per_auditor:
        extra = sampling.top_up(eligible, _key, lambda c: c.auditor_id, chosen, params.minimum_per_auditor,
                                params.seed)
        items += [DrawnItem(c, REASON_MINIMUM, stratum(c)) for c in extra]
    taken = {item.candidate.key for item in items}
    for rule in params.risk_rules:
        matching = [c for c in eligible if rule in c.risks and c.key not in taken]
        if params.risk_limit is not None:
            matching = sampling.draw_stratified(matching, _key, lambda _c: 0, params.risk_limit, params.seed)
        items += [DrawnItem(c, rule.value, stratum(c)) for c in matching]
        taken |= {c.key for c in matching}
    items.sort(key=lambda item: item.candidate.key)
    return Draw(items, len(everyone), len(everyone) - len(eligible))


def _completed(params: SampleParameters, today: date) -> SampleParameters:
    """The parameters with a seed and a judging day filled in, as they will be stored."""
    return SampleParameters(
        cycle=params.cycle.strip(), kind=params.kind, size=params.size, proportion=params.proportion,
        strata=params.strata, minimum_per_auditor=params.minimum_per_auditor, exclude_cycles=params.exclude_cycles,
        risk_rules=params.risk_rules, risk_limit=params.risk_limit,
        seed=sampling.new_seed() if params.seed is None else params.seed,
        as_of=params.as_of or today,
    )


def add_sample(session: Session, actor: User | None, params: SampleParameters, today: date) -> Sample:
    """Draw and record a sample in the caller's transaction (the demo loader's); ``draw_sample``
    is the same in a transaction of its own. Refused unless the actor may draw this kind."""
    if actor is not None:
        require(can_draw_sample(actor, params.kind), _draw_refusal(params.kind))
    errors, cycle = _check(params, session, today)
    if errors:
        raise InvalidInput(errors)
    assert cycle is not None
    params = _completed(params, today)
    result = draw(session, params, cycle)
    criteria = {**params.criteria(), "population": result.population, "excluded": result.excluded}
    sample = Sample(cycle=params.cycle, kind=params.kind.value, seed=params.seed, size=len(result.items),
                    criteria=criteria, created_by_id=None if actor is None else actor.id)
    for item in result.items:
        sample.items.append(SampleItem(case_id=item.candidate.case_id, audit_id=item.candidate.audit_id,
                                       reason=item.reason, stratum=item.stratum))
    session.add(sample)
    session.flush()
    record(session, actor, "sample.draw", "sample", sample.id,
           after={"cycle": sample.cycle, "kind": sample.kind, "seed": sample.seed, "items": sample.size,
                  "criteria": criteria})
    return sample


@operation
def draw_sample(session: Session, actor: User | None, params: SampleParameters, today: date) -> Sample:
    """Draw a sample for a cycle and record it, with its seed and parameters, in the audit trail.

    ``actor`` None is the ``qa`` command (an operator). InvalidInput names every bad parameter.
    """
    return add_sample(session, actor, params, today)


def _draw_refusal(kind: SampleKind) -> str:
    if kind is SampleKind.AUDITS:
        return "Only panel members and administrators can draw a sample of audits for moderation."
    return "Only panel members and system leaders can draw a sample of cases."


def redraw(session: Session, sample: Sample) -> Draw:
    """The sample drawn again from its stored seed and parameters (to check it, or to explain it)."""
    params = SampleParameters.of_sample(sample)
    return draw(session, params, cycle_named(session, sample.cycle), before_sample_id=sample.id)


def item_keys(session: Session, sample: Sample) -> list[str]:
    """One line per item as the ``qa`` command prints it: the case reference, or the audit id."""
    if sample.kind == SampleKind.AUDITS:
        return [str(item.audit_id) for item in sample.items]
    refs = dict(session.execute(select(Case.id, Case.case_ref).where(
        Case.id.in_([i.case_id for i in sample.items if i.case_id is not None]))).all())
    return [refs[item.case_id] for item in sample.items if item.case_id is not None]


# ---------------------------------------------------------------------------------------------
# Reading samples (for the panel pages and the other half-term features)


def get_sample(session: Session, actor: User, sample_id: int) -> Sample:
    require(can_view_samples(actor), "Samples are for panel members, system leaders and administrators.")
    sample = session.get(Sample, sample_id)
    if sample is None:
        raise NotFound(f"There is no sample {sample_id}")
    return sample


def samples_for_cycle(session: Session, cycle_label: str, kind: SampleKind | None = None) -> list[Sample]:
    """A cycle's samples, oldest first (no permission check: callers check their own)."""
    query = select(Sample).where(Sample.cycle == cycle_label.strip()).order_by(Sample.id)
    if kind is not None:
        query = query.where(Sample.kind == kind.value)
    return list(session.scalars(query))


def sampled_audit_ids(session: Session, cycle_label: str) -> set[int]:
    """Every audit in an audit sample of the cycle: the ones the panel moderates."""
    query = (select(SampleItem.audit_id).distinct().join(Sample, Sample.id == SampleItem.sample_id)
             .where(Sample.cycle == cycle_label.strip(), SampleItem.audit_id.is_not(None)))
    return {audit_id for audit_id in session.scalars(query) if audit_id is not None}


def sampled_case_ids(session: Session, cycle_label: str) -> set[int]:
    """Every case in a case sample of the cycle (for Tier 3 audits and Tier 4 reviews)."""
    query = (select(SampleItem.case_id).distinct().join(Sample, Sample.id == SampleItem.sample_id)
             .where(Sample.cycle == cycle_label.strip(), Sample.kind == SampleKind.CASES.value))
    return {case_id for case_id in session.scalars(query) if case_id is not None}


def sample_items(session: Session, sample_id: int) -> list[SampleItem]:
    """A sample's items in order, with their case and audit (and its checklist and auditor) loaded."""
    query = (select(SampleItem).where(SampleItem.sample_id == sample_id).order_by(SampleItem.id)
             .options(selectinload(SampleItem.case),
                      selectinload(SampleItem.audit).selectinload(Audit.auditor)))
    return list(session.scalars(query))


def moderation_states(session: Session, audit_ids: Collection[int]) -> dict[int, str]:
    """ "Agreed" or "Blind grade saved" per audit that has either: where moderation stands, never a grade."""
    states: dict[int, str] = {}
    if not audit_ids:
        return states
    query = select(ModerationRecord.audit_id, ModerationRecord.blind_grade, ModerationRecord.agreed_grade).where(
        ModerationRecord.audit_id.in_(list(audit_ids)))
    for audit_id, blind, agreed in session.execute(query):
        if agreed is not None:
            states[audit_id] = "Agreed"
        elif blind is not None and states.get(audit_id) != "Agreed":
            states[audit_id] = "Blind grade saved"
    return states


#: What a moderator reads instead of a grade-based reason before grading blind.
HELD_BACK_REASON = "Added for a risk (shown after your blind grade)"


def reasons_shown_to(session: Session, actor: User, sample: Sample, items: Iterable[SampleItem]) -> dict[int, str]:
    """Why each item is in, per item id, as this person may read it. "Audit graded Inadequate" or
    "grade overridden" would tell a moderator the original grade, so apart from whoever drew the
    sample (who chose those rules) nobody reads them before saving their own blind grade of it."""
    items = list(items)
    held = {i.audit_id for i in items if i.reason in {r.value for r in GRADE_RISKS} and i.audit_id is not None}
    graded: set[int] = set()
    if held and sample.created_by_id != actor.id:
        graded = set(session.scalars(select(ModerationRecord.audit_id).where(
            ModerationRecord.moderator_id == actor.id, ModerationRecord.audit_id.in_(held),
            ModerationRecord.blind_grade.is_not(None))))
    else:
        graded = held
    return {item.id: HELD_BACK_REASON if item.audit_id in held - graded else REASON_LABELS.get(item.reason, item.reason)
            for item in items}


# ---------------------------------------------------------------------------------------------
# Assignment


def _assigned_items(user_id: int) -> Select[int | None]:
    """Case ids of the items given to a person: whole samples, or single items."""
    whole = and_(SampleAssignment.item_id.is_(None), SampleAssignment.sample_id == SampleItem.sample_id)
    single = SampleAssignment.item_id == SampleItem.id
    return (select(SampleItem.case_id).distinct().join(SampleAssignment, or_(whole, single))
            .where(SampleAssignment.user_id == user_id, SampleItem.case_id.is_not(None)))


def case_ids_assigned_to(session: Session, user_id: int) -> set[int]:
    """The cases of every sample (or sample item) assigned to this person: what a parent carer
    forum representative may see. One query."""
    return {case_id for case_id in session.scalars(_assigned_items(user_id)) if case_id is not None}


def samples_assigned_to(session: Session, user_id: int) -> list[Sample]:
    """Samples given to a person, wholly or an item of them, newest first."""
    ids = select(SampleAssignment.sample_id).where(SampleAssignment.user_id == user_id)
    return list(session.scalars(select(Sample).where(Sample.id.in_(ids)).order_by(Sample.id.desc())))


def assignable_people(session: Session, kind: SampleKind | str) -> list[User]:
    """Active people a sample of this kind may be given to, by name."""
    roles = [role.value for role in SAMPLE_ASSIGNEES[SampleKind(kind)]]
    query = select(User).where(User.active.is_(True), User.role.in_(roles)).order_by(User.display_name, User.id)
    return list(session.scalars(query))


def add_assignments(session: Session, actor: User | None, sample: Sample, user_ids: Collection[int],
                    item_id: int | None = None) -> list[SampleAssignment]:
    """Give a sample (or one item) to people in the caller's transaction; ``assign`` commits."""
    kind = SampleKind(sample.kind)
    if actor is not None:
        require(can_assign_sample(actor, kind), _draw_refusal(kind).replace("draw", "share out"))
    errors: list[FieldError] = []
    if not user_ids:
        errors.append(FieldError("people", "Choose at least one person to give this to"))
    if item_id is not None and item_id not in {item.id for item in sample.items}:
        errors.append(FieldError("item", f"Item {item_id} is not in sample {sample.id}"))
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(user_ids))))}
    for user_id in sorted(set(user_ids)):
        person = people.get(user_id)
        if person is None or not can_be_assigned_sample(person, kind):
            who = person.display_name if person is not None else f"user {user_id}"
            roles = " and ".join(sorted(r.label.lower() + "s" for r in SAMPLE_ASSIGNEES[kind]))
            errors.append(FieldError("people", f"{who} cannot be given a sample of {kind.value}: it is for {roles}"))
    if errors:
        raise InvalidInput(errors)
    existing = {(a.user_id, a.item_id) for a in sample.assignments}
    added = []
    for user_id in sorted(set(user_ids)):
        if (user_id, item_id) in existing:
            continue
        assignment = SampleAssignment(user_id=user_id, item_id=item_id,
                                      assigned_by_id=None if actor is None else actor.id)
        sample.assignments.append(assignment)
        added.append(assignment)
    session.flush()
    for assignment in added:
        record(session, actor, "sample.assign", "sample", sample.id,
               after={"user_id": assignment.user_id, "item_id": item_id})
    return added


@operation
def assign(session: Session, actor: User, sample_id: int, user_ids: Collection[int],
           item_id: int | None = None) -> list[SampleAssignment]:
    """Give a sample, or one item of it, to people (already given: left as it is)."""
    return add_assignments(session, actor, get_sample(session, actor, sample_id), user_ids, item_id)


@operation
def unassign(session: Session, actor: User, sample_id: int, assignment_id: int) -> SampleAssignment:
    """Take a sample (or item) back from someone; the audit trail keeps who had it."""
    sample = get_sample(session, actor, sample_id)
    require(can_assign_sample(actor, sample.kind), _draw_refusal(SampleKind(sample.kind)).replace("draw", "share out"))
    assignment = next((a for a in sample.assignments if a.id == assignment_id), None)
    if assignment is None:
        raise NotFound(f"Sample {sample_id} has no assignment {assignment_id}")
    sample.assignments.remove(assignment)
    record(session, actor, "sample.unassign", "sample", sample.id,
           before={"user_id": assignment.user_id, "item_id": assignment.item_id})
    return assignment


# ---------------------------------------------------------------------------------------------
# Progress through a cycle


@dataclass(frozen=True)
class SampleProgress:
    sample: Sample
    items: int
    #: Audit samples: items with a blind grade saved, and with an agreed grade.
    moderated: int = 0
    agreed: int = 0
    #: Case samples: cases with a Tier 3 audit or Tier 4 review in the cycle, started and submitted.
    started: int = 0
    done: int = 0

    @property
    def left(self) -> int:
        return self.items - (self.agreed if self.sample.kind == SampleKind.AUDITS else self.done)


@dataclass(frozen=True)
class CycleProgress:
    cycle: Cycle
    samples: list[SampleProgress] = field(default_factory=list)

    def total(self, kind: SampleKind, attribute: str) -> int:
        return sum(getattr(p, attribute) for p in self.samples if p.sample.kind == kind)

    @property
    def audits_sampled(self) -> int:
        return self.total(SampleKind.AUDITS, "items")

    @property
    def cases_sampled(self) -> int:
        return self.total(SampleKind.CASES, "items")

    @property
    def moderated(self) -> int:
        return self.total(SampleKind.AUDITS, "moderated")

    @property
    def agreed(self) -> int:
        return self.total(SampleKind.AUDITS, "agreed")

    @property
    def cases_done(self) -> int:
        return self.total(SampleKind.CASES, "done")

    @property
    def left(self) -> int:
        return sum(p.left for p in self.samples)


def _progress(session: Session, samples: list[Sample]) -> list[SampleProgress]:
    """Counts per sample, each one grouped query over all the samples."""
    ids = [s.id for s in samples]
    if not ids:
        return []
    items = dict(session.execute(select(SampleItem.sample_id, func.count(SampleItem.id))
                                 .where(SampleItem.sample_id.in_(ids)).group_by(SampleItem.sample_id)).all())

    def per_sample(condition: Any, *joins: Any) -> dict[int, int]:
        query = select(SampleItem.sample_id, func.count(distinct(SampleItem.id)))
        for target, on in joins:
            query = query.join(target, on)
        query = query.where(SampleItem.sample_id.in_(ids), condition).group_by(SampleItem.sample_id)
        return dict(session.execute(query).all())

    moderation = (ModerationRecord, ModerationRecord.audit_id == SampleItem.audit_id)
    moderated = per_sample(ModerationRecord.blind_grade.is_not(None), moderation)
    agreed = per_sample(ModerationRecord.agreed_grade.is_not(None), moderation)
    work = (Audit, and_(Audit.case_id == SampleItem.case_id, Audit.tier.in_([int(t) for t in CASE_WORK_TIERS])))
    cycle_of = (Sample, Sample.id == SampleItem.sample_id)
    same_cycle = and_(Audit.cycle == Sample.cycle, Sample.kind == SampleKind.CASES.value)
    started = per_sample(same_cycle, work, cycle_of)
    done = per_sample(and_(same_cycle, Audit.status.in_([s.value for s in SAMPLED_STATUSES])), work, cycle_of)
    return [SampleProgress(s, items.get(s.id, 0), moderated.get(s.id, 0), agreed.get(s.id, 0),
                           started.get(s.id, 0), done.get(s.id, 0)) for s in samples]


def cycle_progress(session: Session, actor: User, cycle_label: str) -> CycleProgress:
    """What was sampled, moderated and agreed in one cycle, and what is left."""
    require(can_view_samples(actor), "Samples are for panel members, system leaders and administrators.")
    try:
        cycle = cycle_named(session, cycle_label)
    except ValueError as exc:
        raise NotFound(str(exc)) from None
    return CycleProgress(cycle, _progress(session, samples_for_cycle(session, cycle.label)))


def recent_cycles(session: Session, actor: User, today: date, count: int = 6) -> list[CycleProgress]:
    """The current half term and the ones before it, most recent first, each with its samples."""
    require(can_view_samples(actor), "Samples are for panel members, system leaders and administrators.")
    current = current_cycle(session, today)
    labels = [current.label, *cycle_labels_before(current.label, count - 1)]
    samples = list(session.scalars(select(Sample).where(Sample.cycle.in_(labels)).order_by(Sample.id)))
    progress = _progress(session, samples)
    return [CycleProgress(cycle_named(session, label), [p for p in progress if p.sample.cycle == label])
            for label in labels]


def stratum_label(stratum: Mapping[str, Any] | None, agencies: Mapping[str, str] | None = None) -> str:
    """ "Primary, Autistic spectrum disorder" from an item's stratum; "Whole population" when unstratified."""
    if not stratum:
        return "Whole population"
    names = []
    for name, value in stratum.items():
        if value is None:
            names.append(f"{FIELD_LABELS.get(name, name)} not recorded")
        elif name == "phase":
            names.append(PHASES.get(value, value))
        elif name == "primary_need":
            names.append(PRIMARY_NEEDS.get(value, value))
        elif name == "subject":
            names.append(SUBJECT_LABELS.get(Subject(value), value) if value in Subject else value)
        elif name == "agency":
            names.append((agencies or {}).get(value, value))
        else:
            names.append(str(value))
    return ", ".join(names)


def agency_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Agency.code, Agency.name)).all())


def template_titles(session: Session, audit_ids: Iterable[int]) -> dict[int, str]:
    """Checklist title per audit, one query."""
    ids = list(audit_ids)
    if not ids:
        return {}
    query = (select(Audit.id, TemplateVersion.title)
             .join(TemplateVersion, TemplateVersion.id == Audit.template_version_id).where(Audit.id.in_(ids)))
    return dict(session.execute(query).all())
