"""Half-term samples on a real database: the same seed and parameters give the same list whatever
order the rows were stored in, strata, per-auditor minimums, exclusions, risk additions,
validation, permission, assignment and progress."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from qaframework.framework import AuditStatus, Role, SampleKind
from qaframework.operations.base import InvalidInput, NotFound, PermissionDenied
from qaframework.operations.samples import (
    REASON_MINIMUM,
    REASON_STRATUM,
    RawParameters,
    RiskRule,
    SampleParameters,
    assign,
    case_ids_assigned_to,
    cycle_progress,
    draw_sample,
    draw_sample_from,
    item_keys,
    recent_cycles,
    redraw,
    sample_items,
    sampled_audit_ids,
    sampled_case_ids,
    samples_assigned_to,
    samples_for_cycle,
    unassign,
)
from qaframework.store import (
    Audit,
    Case,
    ModerationRecord,
    Request,
    Review,
    Sample,
    SampleItem,
    TemplateVersion,
    TrailEntry,
    User,
)
from tests.support import MakeUser, savepoint_session

TODAY = date(2026, 11, 20)
CYCLE = "2026-27 Autumn 2"  # 1 November to 31 December on the default term dates
EARLIER = "2026-27 Autumn 1"
T1 = "t1-coordinator-plan-check"


def _template(session: Session, template_id: str = T1) -> TemplateVersion:
    found = session.scalar(select(TemplateVersion).where(TemplateVersion.template_id == template_id)
                           .order_by(TemplateVersion.version.desc()))
    assert found is not None
    return found


def plan_case(session: Session, ref: str, issued: date = date(2026, 1, 15), *, requested: date | None = None,
              phase_year: str = "5", need: str = "ASD", team: str = "North", ceased: bool = False) -> Case:
    """A case with an issued plan (on time unless ``requested`` is more than 20 weeks before)."""
    requested = requested or issued - timedelta(weeks=15)
    case = Case(case_ref=ref, year_group=phase_year, primary_need=need, setting_type="Mainstream school", team=team)
    case.requests.append(Request(request_date=requested, decision_to_assess_date=None, final_issued_date=issued,
                                 outcome="issued"))
    if ceased:
        case.reviews.append(Review(meeting_date=issued + timedelta(days=200),
                                   decision_date=issued + timedelta(days=210), outcome="C"))
    session.add(case)
    return case


def audit_of(session: Session, case: Case, auditor: User, *, agency: str = "send_service", tier: int = 1,
             status: str = AuditStatus.SUBMITTED, cycle: str = CYCLE, suggested: str = "good",
             given: str | None = None, audit_id: int | None = None) -> Audit:
    tv = _template(session, T1 if tier == 1 else "t3-annual-review")
    audit = Audit(case=case, template_version_id=tv.id, subject="final_plan", tier=tier, agency_code=agency,
                  auditor_id=auditor.id, status=status, cycle=cycle, suggested_grade=suggested, auditor_grade=given)
    if audit_id is not None:
        audit.id = audit_id
    session.add(audit)
    return audit


def params(kind: SampleKind = SampleKind.AUDITS, **values: object) -> SampleParameters:
    values.setdefault("cycle", CYCLE)
    values.setdefault("seed", 42)
    values.setdefault("as_of", TODAY)
    if "proportion" not in values:
        values.setdefault("size", 5)
    return SampleParameters(kind=kind, **values)  # type: ignore[arg-type]


def drawn_keys(session: Session, sample: Sample) -> list[str]:
    return item_keys(session, sample)


@pytest.fixture
def panel(make_user: MakeUser) -> User:
    return make_user(Role.PANEL_MEMBER)


# --------------------------------------------------------------------------------------------
# The same list whatever order the rows were stored in


def _in_a_savepoint(connection: Connection, build: Callable[[Session], Sample]) -> list[str]:
    """Build rows and draw inside a savepoint that is rolled back, so each build starts clean."""
    nested = connection.begin_nested()
    session = savepoint_session(connection)
    try:
        sample = build(session)
        return drawn_keys(session, sample)
    finally:
        session.close()
        nested.rollback()


def _auditors(session: Session, count: int) -> list[User]:
    people = [User(email=f"det{n}@example.test", display_name=f"Auditor {n}", password_hash="x",
                   role=Role.AUDITOR.value, agency_code="send_service") for n in range(count)]
    session.add_all(people)
    session.flush()
    return people


AGENCIES = ["send_service", "education", "health"]


def test_same_seed_same_audits_whatever_order_the_rows_were_stored_in(connection: Connection) -> None:
    """Audits keyed by id are inserted in three different orders (on PostgreSQL the table then
    returns them in those orders); the list drawn is the same each time and differs for another seed."""
    specs = [(1_000 + n, AGENCIES[n % 3], n % 4, "inadequate" if n % 7 == 0 else "good") for n in range(40)]

    def build(order: Sequence[int], seed: int) -> Callable[[Session], Sample]:
        def run(session: Session) -> Sample:
            people = _auditors(session, 4)
            panel_member = User(email="det-panel@example.test", display_name="Panel", password_hash="x",
                                role=Role.PANEL_MEMBER.value)
            session.add(panel_member)
            cases = {n: plan_case(session, f"DET{n:03d}") for n in range(40)}
            session.flush()
            for index in order:
                audit_id, agency, who, grade = specs[index]
                audit_of(session, cases[index], people[who], agency=agency, suggested=grade, audit_id=audit_id)
            session.commit()
            return draw_sample(session, panel_member, params(size=8, strata=("agency",), minimum_per_auditor=3,
                                                             risk_rules=(RiskRule.GRADED_INADEQUATE,), seed=seed),
                               TODAY)
        return run

    forwards = list(range(40))
    backwards = forwards[::-1]
    shuffled = forwards[:]
    random.Random(5).shuffle(shuffled)
    first = _in_a_savepoint(connection, build(forwards, 42))
    assert _in_a_savepoint(connection, build(backwards, 42)) == first
    assert _in_a_savepoint(connection, build(shuffled, 42)) == first
    assert _in_a_savepoint(connection, build(forwards, 43)) != first
    assert first == sorted(first, key=int) and len(set(first)) == len(first)


def test_same_seed_same_cases_whatever_order_the_rows_were_stored_in(connection: Connection) -> None:
    """Cases are keyed by reference: stored in shuffled orders (so their ids differ), the same
    references are drawn."""
    refs = [f"ORD{n:03d}" for n in range(30)]
    needs = ["ASD", "SEMH", "SLCN", "PMLD"]

    def build(order: Sequence[str]) -> Callable[[Session], Sample]:
        def run(session: Session) -> Sample:
            leader = User(email="ord-leader@example.test", display_name="Leader", password_hash="x",
                          role=Role.SYSTEM_LEADER.value)
            session.add(leader)
            for ref in order:
                n = int(ref[3:])
                plan_case(session, ref, need=needs[n % 4], phase_year=str(1 + n % 13))
            session.commit()
            return draw_sample(session, leader, params(SampleKind.CASES, size=6, strata=("primary_need", "phase")),
                               TODAY)
        return run

    orders = [refs, refs[::-1], random.Random(9).sample(refs, len(refs))]
    results = [_in_a_savepoint(connection, build(order)) for order in orders]
    assert results[0] == results[1] == results[2]
    assert len(results[0]) == 6 and results[0] == sorted(results[0])


# --------------------------------------------------------------------------------------------
# What is recorded


def test_the_sample_row_keeps_the_seed_and_every_parameter_and_draws_again(session: Session, panel: User,
                                                                         make_user: MakeUser) -> None:
    auditors = [make_user(Role.AUDITOR) for _ in range(3)]
    for n in range(12):
        audit_of(session, plan_case(session, f"REC{n:03d}"), auditors[n % 3], suggested="good")
    session.commit()
    chosen = params(proportion=Fraction(1, 4), strata=("agency", "subject"), minimum_per_auditor=1,
                    risk_rules=(RiskRule.GRADE_OVERRIDDEN,), risk_limit=2, seed=7, exclude_cycles=2)
    sample = draw_sample(session, panel, chosen, TODAY)
    assert sample.seed == 7 and sample.cycle == CYCLE and sample.kind == "audits"
    assert sample.created_by_id == panel.id and sample.size == len(sample.items)
    assert [i.reason for i in sample.items].count(REASON_STRATUM) == 3  # a quarter of 12
    assert sample.criteria == {
        "of": "audits", "size": None, "proportion": "1/4", "by": ["agency", "subject"], "minimum_per_auditor": 1,
        "exclude_cycles": 2, "risk": ["grade_overridden"], "risk_limit": 2, "as_of": "2026-11-20",
        "population": 12, "excluded": 0,
    }
    assert SampleParameters.of_sample(sample) == chosen
    again = redraw(session, sample)
    assert [(i.candidate.audit_id, i.reason) for i in again.items] == [(i.audit_id, i.reason) for i in sample.items]
    entry = session.scalar(select(TrailEntry).where(TrailEntry.action == "sample.draw",
                                                    TrailEntry.entity_id == str(sample.id)))
    assert entry is not None and entry.actor_id == panel.id
    assert entry.after is not None and entry.after["seed"] == 7 and entry.after["items"] == sample.size
    assert all(item.case_id == item.audit.case_id for item in sample.items if item.audit is not None)


def test_a_new_seed_is_chosen_and_stored_when_none_is_given(session: Session, panel: User) -> None:
    for n in range(5):
        plan_case(session, f"SEED{n}")
    session.commit()
    sample = draw_sample(session, panel, params(SampleKind.CASES, seed=None, size=2), TODAY)
    assert 0 <= sample.seed < 2**31
    assert [i.candidate.case_id for i in redraw(session, sample).items] == [i.case_id for i in sample.items]


# --------------------------------------------------------------------------------------------
# Strata, proportion, minimum per auditor


def test_every_stratum_is_represented_and_seats_follow_size(session: Session, panel: User,
                                                            make_user: MakeUser) -> None:
    auditor = make_user(Role.AUDITOR)
    for n, agency in enumerate(["send_service"] * 12 + ["education"] * 6 + ["health"] * 2):
        audit_of(session, plan_case(session, f"STR{n:03d}"), auditor, agency=agency)
    session.commit()
    sample = draw_sample(session, panel, params(size=5, strata=("agency",)), TODAY)
    agencies = [str(item.audit.agency_code) for item in sample_items(session, sample.id) if item.audit is not None]
    assert sorted(agencies) == ["education", "health", "send_service", "send_service", "send_service"]
    assert all(item.reason == REASON_STRATUM for item in sample.items)
    assert {item.stratum["agency"] for item in sample.items if item.stratum} == {"send_service", "education", "health"}


def test_a_proportion_is_exact(session: Session, panel: User, make_user: MakeUser) -> None:
    auditor = make_user(Role.AUDITOR)
    for n in range(30):
        audit_of(session, plan_case(session, f"PRO{n:03d}"), auditor)
    session.commit()
    assert draw_sample(session, panel, params(proportion=Fraction(1, 10)), TODAY).size == 3  # not 4
    assert draw_sample(session, panel, params(proportion=Fraction(11, 100)), TODAY).size == 4  # 3.3 rounds up


def test_every_auditor_gets_the_minimum(session: Session, panel: User, make_user: MakeUser) -> None:
    busy, quiet, rare = make_user(Role.AUDITOR), make_user(Role.AUDITOR), make_user(Role.AUDITOR)
    n = 0
    for auditor, count in ((busy, 20), (quiet, 3), (rare, 1)):
        for _ in range(count):
            audit_of(session, plan_case(session, f"MIN{n:03d}"), auditor)
            n += 1
    session.commit()
    sample = draw_sample(session, panel, params(size=2, minimum_per_auditor=2), TODAY)
    per_auditor: dict[int, int] = {}
    for item in sample_items(session, sample.id):
        assert item.audit is not None
        per_auditor[item.audit.auditor_id] = per_auditor.get(item.audit.auditor_id, 0) + 1
    assert per_auditor[busy.id] >= 2 and per_auditor[quiet.id] == 2 and per_auditor[rare.id] == 1  # all they did
    assert sum(per_auditor.values()) == sample.size
    minimum_items = [i for i in sample.items if i.reason == REASON_MINIMUM]
    assert len(minimum_items) == sample.size - 2


def test_only_submitted_tier_1_and_2_audits_of_the_cycle_are_drawn(session: Session, panel: User,
                                                                   make_user: MakeUser) -> None:
    auditor = make_user(Role.AUDITOR)
    wanted = [audit_of(session, plan_case(session, f"POP{n}"), auditor, status=status)
              for n, status in enumerate([AuditStatus.SUBMITTED, AuditStatus.MODERATED, AuditStatus.CLOSED])]
    audit_of(session, plan_case(session, "POPD"), auditor, status=AuditStatus.DRAFT)
    audit_of(session, plan_case(session, "POPR"), auditor, status=AuditStatus.RETURNED)
    audit_of(session, plan_case(session, "POPT3"), auditor, tier=3, agency="send_service")
    audit_of(session, plan_case(session, "POPOLD"), auditor, cycle=EARLIER)
    session.commit()
    sample = draw_sample(session, panel, params(size=50), TODAY)
    assert sorted(i.audit_id for i in sample.items if i.audit_id) == sorted(a.id for a in wanted)
    assert sampled_audit_ids(session, CYCLE) == {a.id for a in wanted}


def test_cases_need_a_plan_in_force(session: Session, panel: User) -> None:
    live = plan_case(session, "LIVE1")
    plan_case(session, "CEASED1", ceased=True)
    plan_case(session, "LATER1", issued=date(2026, 12, 10), requested=date(2026, 9, 1))  # after the day judged
    unplanned = Case(case_ref="NOPLAN1", year_group="3")
    unplanned.requests.append(Request(request_date=date(2026, 9, 1), outcome="in_progress"))
    session.add(unplanned)
    session.commit()
    sample = draw_sample(session, panel, params(SampleKind.CASES, size=10), TODAY)
    assert [i.case_id for i in sample.items] == [live.id]
    assert sampled_case_ids(session, CYCLE) == {live.id}


# --------------------------------------------------------------------------------------------
# Exclusions and risk additions


def test_cases_sampled_in_the_last_cycles_are_left_out(session: Session, panel: User) -> None:
    cases = [plan_case(session, f"EXC{n:02d}") for n in range(8)]
    session.commit()
    last_time = Sample(cycle=EARLIER, kind="cases", seed=1, size=3, criteria={}, created_by_id=panel.id)
    two_back = Sample(cycle="2025-26 Summer 2", kind="cases", seed=1, size=1, criteria={}, created_by_id=panel.id)
    last_time.items.extend(item_for(c) for c in cases[:3])
    two_back.items.append(item_for(cases[3]))
    session.add_all([last_time, two_back])
    session.commit()
    one = draw_sample(session, panel, params(SampleKind.CASES, size=10, exclude_cycles=1), TODAY)
    assert {i.case_id for i in one.items} == {c.id for c in cases[3:]}
    assert one.criteria["excluded"] == 3 and one.criteria["population"] == 8
    two = draw_sample(session, panel, params(SampleKind.CASES, size=10, exclude_cycles=2), TODAY)
    assert {i.case_id for i in two.items} == {c.id for c in cases[4:]}
    none = draw_sample(session, panel, params(SampleKind.CASES, size=10), TODAY)
    assert len(none.items) == 8
    # Drawing an older sample again leaves out only what was sampled before it.
    assert len(redraw(session, one).items) == 5


def item_for(case: Case) -> SampleItem:
    return SampleItem(case_id=case.id)


def test_risky_cases_are_added_with_their_reason(session: Session, panel: User) -> None:
    plain = [plan_case(session, f"RSK{n}") for n in range(6)]
    late = plan_case(session, "RSKLATE", issued=date(2026, 11, 10), requested=date(2026, 5, 1))  # week 27
    late_before = plan_case(session, "RSKOLD", issued=date(2026, 9, 10), requested=date(2026, 3, 1))  # not this cycle
    overdue = plan_case(session, "RSKREV", issued=date(2025, 6, 2), requested=date(2025, 2, 1))
    session.commit()
    sample = draw_sample(session, panel, params(SampleKind.CASES, size=1, seed=3, risk_rules=(
        RiskRule.ISSUED_LATE, RiskRule.REVIEW_OVERDUE)), TODAY)
    reasons = {i.case_id: i.reason for i in sample.items}
    # Both risky cases are in: by their rule, unless the random draw of one had already taken it.
    assert reasons[late.id] in (RiskRule.ISSUED_LATE, REASON_STRATUM)
    assert reasons[overdue.id] in (RiskRule.REVIEW_OVERDUE, REASON_STRATUM)
    assert list(reasons.values()).count(REASON_STRATUM) == 1
    randomly_drawn = next(case_id for case_id, reason in reasons.items() if reason == REASON_STRATUM)
    expected = 2 if randomly_drawn in (late.id, overdue.id) else 3
    assert len(sample.items) == expected
    assert set(reasons) <= {c.id for c in plain} | {late_before.id, late.id, overdue.id}
    # A plan issued late in an earlier half term is no risk of this one.
    assert reasons.get(late_before.id, REASON_STRATUM) == REASON_STRATUM


def test_risky_audits_are_added_and_capped(session: Session, panel: User, make_user: MakeUser) -> None:
    auditor = make_user(Role.AUDITOR)
    inadequate = [audit_of(session, plan_case(session, f"INA{n}"), auditor, suggested="inadequate") for n in range(4)]
    overridden = audit_of(session, plan_case(session, "OVR1"), auditor, suggested="good", given="outstanding")
    for n in range(10):
        audit_of(session, plan_case(session, f"OK{n:02d}"), auditor)
    session.commit()
    sample = draw_sample(session, panel, params(size=1, seed=11, risk_rules=(
        RiskRule.GRADED_INADEQUATE, RiskRule.GRADE_OVERRIDDEN), risk_limit=2), TODAY)
    by_reason: dict[str, list[int]] = {}
    for item in sample.items:
        assert item.audit_id is not None
        by_reason.setdefault(item.reason, []).append(item.audit_id)
    assert by_reason[RiskRule.GRADE_OVERRIDDEN] == [overridden.id]
    drawn_inadequate = [i for i in sample.items if i.audit_id in {a.id for a in inadequate}]
    assert 2 <= len(drawn_inadequate) <= 3 and len(by_reason[RiskRule.GRADED_INADEQUATE]) <= 2
    assert len(by_reason[REASON_STRATUM]) == 1


# --------------------------------------------------------------------------------------------
# Validation and permission


def test_every_bad_parameter_is_named_at_once(session: Session, panel: User) -> None:
    raw = RawParameters(cycle="2026-27 Autum 2", kind="cases", size="ten", strata=("agency", "colour"),
                        minimum_per_auditor="2", exclude_cycles="x", risks=("graded_inadequate", "nope"),
                        risk_limit="0", seed="-1")
    with pytest.raises(InvalidInput) as caught:
        draw_sample_from(session, panel, raw, TODAY)
    messages = {(e.field, e.message) for e in caught.value.errors}
    fields = [e.field for e in caught.value.errors]
    assert ("cycle", "'2026-27 Autum 2' is not a half term: use a name like 2026-27 Autumn 2") in messages
    assert ("size", "The sample size must be a whole number, like 12") in messages
    assert ("strata", ("agency applies to audit samples only; a case sample can be stratified by phase, "
                      "primary_need, setting_type, team")) in messages
    assert ("strata", ("'colour' is not a field to stratify by; choose from phase, primary_need, setting_type, "
                      "team")) in messages
    assert ("minimum_per_auditor", "A minimum per auditor applies to audit samples only") in messages
    assert ("risk", "'nope' is not a risk rule; choose from issued_late, review_overdue") in messages
    assert ("risk", ("graded_inadequate does not apply to case samples; choose from issued_late, "
                    "review_overdue")) in messages
    assert {"exclude_cycles", "risk_limit", "seed"} <= set(fields)
    assert fields.count("size") == 1
    assert session.scalar(select(Sample.id)) is None  # nothing half-written


@pytest.mark.parametrize(("raw", "field", "message"), [
    (RawParameters(cycle=CYCLE, kind="audits"), "size", "Enter how many to sample, or a proportion"),
    (RawParameters(cycle=CYCLE, kind="audits", size="3", proportion="10%"), "size",
     "Enter a number to sample or a proportion, not both"),
    (RawParameters(cycle=CYCLE, kind="audits", proportion="150%"), "proportion",
     "The proportion must be more than 0% and at most 100%"),
    (RawParameters(cycle=CYCLE, kind="audits", proportion="lots"), "proportion",
     "Enter the proportion as a percentage like 10% or a fraction like 0.1"),
    (RawParameters(cycle="2027-28 Autumn 1", kind="audits", size="3"), "cycle",
     "2027-28 Autumn 1 has not started yet (it starts on 1 September 2027)"),
    (RawParameters(cycle="2026-27 Winter 1", kind="audits", size="3"), "cycle",
     "'2026-27 Winter 1' is not a half term: use a name like 2026-27 Autumn 2"),
    (RawParameters(cycle=CYCLE, kind="people", size="3"), "kind", "Choose whether to sample cases or audits"),
])
def test_one_bad_parameter(session: Session, panel: User, raw: RawParameters, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        draw_sample_from(session, panel, raw, TODAY)
    assert [(e.field, e.message) for e in caught.value.errors] == [(field, message)]


@pytest.mark.parametrize(("role", "kind", "allowed"), [
    (Role.PANEL_MEMBER, SampleKind.AUDITS, True),
    (Role.PANEL_MEMBER, SampleKind.CASES, True),
    (Role.ADMIN, SampleKind.AUDITS, True),
    (Role.ADMIN, SampleKind.CASES, False),
    (Role.SYSTEM_LEADER, SampleKind.CASES, True),
    (Role.SYSTEM_LEADER, SampleKind.AUDITS, False),
    (Role.AUDITOR, SampleKind.CASES, False),
    (Role.BOARD_VIEWER, SampleKind.AUDITS, False),
])
def test_who_may_draw(session: Session, make_user: MakeUser, role: Role, kind: SampleKind, allowed: bool) -> None:
    plan_case(session, "WHO1")
    session.commit()
    actor = make_user(role)
    if allowed:
        assert draw_sample(session, actor, params(kind, size=1), TODAY).created_by_id == actor.id
    else:
        with pytest.raises(PermissionDenied):
            draw_sample(session, actor, params(kind, size=1), TODAY)
        assert session.scalar(select(Sample.id)) is None


# --------------------------------------------------------------------------------------------
# Assignment


def test_assigning_a_sample_or_one_item(session: Session, panel: User, make_user: MakeUser) -> None:
    cases = [plan_case(session, f"ASG{n}") for n in range(4)]
    session.commit()
    leader, forum_rep, auditor = make_user(Role.SYSTEM_LEADER), make_user(Role.SYSTEM_LEADER), make_user(Role.AUDITOR)
    sample = draw_sample(session, panel, params(SampleKind.CASES, size=4), TODAY)
    assign(session, panel, sample.id, [leader.id])
    first = sample.items[0]
    assign(session, panel, sample.id, [forum_rep.id], item_id=first.id)
    assign(session, panel, sample.id, [forum_rep.id], item_id=first.id)  # twice: one assignment
    assert case_ids_assigned_to(session, leader.id) == {c.id for c in cases}
    assert case_ids_assigned_to(session, forum_rep.id) == {first.case_id}
    assert case_ids_assigned_to(session, auditor.id) == set()
    assert [s.id for s in samples_assigned_to(session, forum_rep.id)] == [sample.id]
    assert len(sample.assignments) == 2
    with pytest.raises(InvalidInput) as refused:
        assign(session, panel, sample.id, [auditor.id])
    assert refused.value.errors[0].field == "people"
    assert "parent carer forum representatives and system leaders" in refused.value.message
    with pytest.raises(InvalidInput):
        assign(session, panel, sample.id, [])
    with pytest.raises(PermissionDenied):
        assign(session, auditor, sample.id, [leader.id])
    rep_assignment = next(a for a in sample.assignments if a.user_id == forum_rep.id)
    unassign(session, panel, sample.id, rep_assignment.id)
    assert case_ids_assigned_to(session, forum_rep.id) == set()
    with pytest.raises(NotFound):
        unassign(session, panel, sample.id, rep_assignment.id)
    actions = list(session.scalars(select(TrailEntry.action).where(TrailEntry.entity == "sample",
                                                                   TrailEntry.entity_id == str(sample.id))))
    assert actions == ["sample.draw", "sample.assign", "sample.assign", "sample.unassign"]


def test_audit_samples_go_to_panel_members_only(session: Session, panel: User, make_user: MakeUser) -> None:
    auditor = make_user(Role.AUDITOR)
    audit_of(session, plan_case(session, "AUP1"), auditor)
    session.commit()
    sample = draw_sample(session, panel, params(size=1), TODAY)
    leader = make_user(Role.SYSTEM_LEADER)
    with pytest.raises(InvalidInput, match="it is for multi-agency panel members"):
        assign(session, panel, sample.id, [leader.id])


# --------------------------------------------------------------------------------------------
# Progress through a cycle


def test_cycle_progress_counts_sampled_moderated_agreed_and_left(session: Session, panel: User,
                                                                  make_user: MakeUser) -> None:
    auditor = make_user(Role.AUDITOR)
    audits = [audit_of(session, plan_case(session, f"PRG{n}"), auditor) for n in range(4)]
    session.commit()
    sample = draw_sample(session, panel, params(size=4), TODAY)
    cases = draw_sample(session, panel, params(SampleKind.CASES, size=2), TODAY)
    session.add_all([
        ModerationRecord(audit_id=audits[0].id, moderator_id=panel.id, blind_grade="good", agreed_grade="good"),
        ModerationRecord(audit_id=audits[1].id, moderator_id=panel.id, blind_grade="good"),
        ModerationRecord(audit_id=audits[1].id, moderator_id=make_user(Role.PANEL_MEMBER).id,
                         blind_grade="inadequate"),  # a second moderator of the same audit
    ])
    first_case = session.get(Case, cases.items[0].case_id)
    assert first_case is not None
    audit_of(session, first_case, panel, tier=3, agency="send_service")  # a submitted Tier 3 audit
    session.commit()
    progress = cycle_progress(session, panel, CYCLE)
    assert (progress.audits_sampled, progress.moderated, progress.agreed) == (4, 2, 1)
    assert (progress.cases_sampled, progress.cases_done) == (2, 1)
    assert progress.left == (4 - 1) + (2 - 1)
    by_sample = {p.sample.id: p for p in progress.samples}
    assert by_sample[sample.id].left == 3 and by_sample[cases.id].started == 1
    recent = recent_cycles(session, panel, TODAY)
    assert [c.cycle.label for c in recent][:2] == [CYCLE, EARLIER] and len(recent) == 6
    assert recent[0].audits_sampled == 4 and recent[1].samples == []
    assert [s.id for s in samples_for_cycle(session, CYCLE)] == [sample.id, cases.id]
    with pytest.raises(PermissionDenied):
        cycle_progress(session, auditor, CYCLE)
