"""A realistic synthetic local area for demonstrations, training and benchmarks.

Everything is invented and seeded, so the same seed always gives the same area. The data carries
the weaknesses the framework exists to find (views that don't bring the child to life, health
needs in general terms, missing social care needs, late plans, an auditor who grades generously)
and shows plans improving over the half terms, so every report has a story to tell.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from qaframework.checklists.model import Template
from qaframework.demo_learning import add_learning_loop
from qaframework.demo_moderation import make_moderation
from qaframework.demo_samples import load_demo_samples
from qaframework.demo_tier3 import audit_case_samples, make_panel_audits
from qaframework.demo_tier4 import add_tier4_reviews
from qaframework.framework import (
    ActionStatus,
    AuditStatus,
    CommentKind,
    ConsentDecision,
    Cycle,
    PeerChallengeStatus,
    Rating,
    Role,
    Tier,
    cycle_for,
    default_cycles,
)
from qaframework.operations.audits import regrade
from qaframework.operations.base import record
from qaframework.operations.templates import all_versions, current_versions
from qaframework.passwords import hash_password
from qaframework.store import (
    Action,
    AdviceRequest,
    Audit,
    Case,
    CaseNeed,
    ConsentRecord,
    PeerChallenge,
    PeerComment,
    Request,
    Response,
    Review,
    TemplateVersion,
    TrailEntry,
    User,
)
from qaframework.timeliness import months_starting_with

DEMO_PASSWORD = "demo-password-2026"
DOMAIN = "qa-demo.example"

#: (email local part, name, role, agency, team, team manager)
DEMO_USERS: tuple[tuple[str, str, Role, str | None, str | None, bool], ...] = (
    ("admin", "Alex Morgan", Role.ADMIN, None, None, False),
    ("priya.shah", "Priya Shah", Role.AUDITOR, "send_service", "North", False),
    ("tom.reid", "Tom Reid", Role.AUDITOR, "send_service", "North", False),
    ("grace.okafor", "Grace Okafor", Role.AUDITOR, "send_service", "North", True),
    ("sam.patel", "Sam Patel", Role.AUDITOR, "send_service", "South", False),
    ("lucy.evans", "Lucy Evans", Role.AUDITOR, "send_service", "South", False),
    ("daniel.hughes", "Daniel Hughes", Role.AUDITOR, "send_service", "South", True),
    ("ellen.price", "Ellen Price", Role.AUDITOR, "education", "Educational psychology", False),
    ("hana.lee", "Dr Hana Lee", Role.AUDITOR, "health", "Designated clinical officer team", False),
    ("marcus.bell", "Marcus Bell", Role.AUDITOR, "childrens_social_care", "Disabled children's team", False),
    ("ruth.adams", "Ruth Adams", Role.AUDITOR, "adult_social_care", "Preparing for adulthood team", False),
    ("panel.chair", "Joanne Clarke", Role.PANEL_MEMBER, None, None, False),
    ("panel.member", "Imran Hussain", Role.PANEL_MEMBER, None, None, False),
    ("system.leader", "Catherine Wood", Role.SYSTEM_LEADER, None, None, False),
    ("parent.forum", "Nadia Rahman", Role.PARENT_CARER_FORUM, None, None, False),
    ("board.viewer", "Peter Graham", Role.BOARD_VIEWER, None, None, False),
)

NEEDS = {
    "ASD": 31,
    "SEMH": 18,
    "SLCN": 20,
    "MLD": 8,
    "SPLD": 4,
    "SLD": 5,
    "PMLD": 2,
    "PD": 3,
    "HI": 2,
    "VI": 1,
    "MSI": 1,
    "OTH": 3,
    "DS": 2,
}
SETTINGS = {
    "Mainstream school": 45,
    "Special school": 22,
    "Resourced provision": 8,
    "Independent special school": 7,
    "Early years setting": 5,
    "Further education college": 8,
    "Education otherwise than at school": 3,
    "Out of area placement": 2,
}
YEAR_GROUPS = ["N2", "R"] + [str(n) for n in range(1, 15)]
GENEROUS_AUDITOR = "tom.reid"
#: The panel member who leads the panel (sees auditors' drift by name).
PANEL_LEAD = "panel.chair"
EVIDENCE = {
    Rating.MET: [
        "Clear and specific; matches the advice in K.",
        "Written in the child's words and attributed.",
        "Quantified: who, what, how often and for how long.",
        "Consistent with the advice and the other sections.",
    ],
    Rating.PARTIALLY_MET: [
        "Some of it is there but it is general in places.",
        "Partly quantified; frequency missing for two items.",
        "Views are present but third person and generic.",
        "Needs listed by diagnosis without their impact.",
    ],
    Rating.NOT_MET: [
        "Not recorded.",
        "Health needs described only in general terms ('under the paediatrician').",
        "No social care advice sought; section says 'not known to service'.",
        "Provision uses 'access to' and 'as required'.",
    ],
}


@dataclass
class DemoSummary:
    users: list[str] = field(default_factory=list)
    cases: int = 0
    requests: int = 0
    audits_by_tier: Counter[int] = field(default_factory=Counter)
    audits_by_status: Counter[str] = field(default_factory=Counter)
    cycles: list[str] = field(default_factory=list)
    actions: int = 0
    moderated: int = 0

    def describe(self) -> str:
        lines = [
            f"Demo local area loaded: {self.cases} cases, {self.requests} requests for assessment.",
            "Audits by tier: " + ", ".join(f"Tier {t}: {n}" for t, n in sorted(self.audits_by_tier.items())),
            "Audits by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(self.audits_by_status.items())),
            f"Half terms covered: {', '.join(self.cycles)}",
            f"Moderated by the panel: {self.moderated}; actions raised: {self.actions}",
            "",
            "Demo users (email, role):",
        ]
        lines += [f"  {u}" for u in self.users]
        return "\n".join(lines)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moment(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 8 * 60))


def _not_after(session: Session, now: datetime) -> None:
    """Pull every generated timestamp later than ``now`` back to it (times of day and "submitted a
    day later" are drawn at random, and the last day drawn is today). Trail entries are written
    from the clamped values and are append-only, so they are left alone."""
    for obj in [*session.new, *session.identity_map.values()]:
        if isinstance(obj, TrailEntry):
            continue
        for column in inspect(obj).mapper.column_attrs:
            value = getattr(obj, column.key)
            if isinstance(value, datetime) and value > now:
                setattr(obj, column.key, now)


def _recent_cycles(today: date, count: int) -> list[Cycle]:
    cycles: list[Cycle] = []
    for start_year in (today.year - 2, today.year - 1, today.year):
        cycles += [c for c in default_cycles(start_year) if c.start <= today]
    current = cycle_for(today)
    cycles = [c for c in cycles if c.start <= current.start]
    return cycles[-count:]


def load_demo(session: Session, *, seed: int = 2026, case_total: int = 300, today: date | None = None) -> DemoSummary:
    """Fill an empty (initialised) database with a synthetic area. One transaction."""
    today = today or date.today()
    rng = random.Random(seed)
    summary = DemoSummary()
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: argon2 is slow on purpose
    users: dict[str, User] = {}
    for local, name, role, agency, team, manager in DEMO_USERS:
        user = User(
            email=f"{local}@{DOMAIN}",
            display_name=name,
            password_hash=password_hash,
            role=role.value,
            agency_code=agency,
            team=team,
            is_team_manager=manager,
            leads_panel=local == PANEL_LEAD,
        )
        users[local] = user
        session.add(user)
        summary.users.append(
            f"{user.email:36} {role.label}" + (f", {agency}" if agency else "") + (f", team {team}" if team else "")
            + (", leads the panel" if user.leads_panel else "")
        )
    session.flush()

    cases = _make_cases(session, rng, case_total, today, summary)
    templates = _DemoTemplates(session)
    if len(templates.current) < 8:
        raise RuntimeError("load the checklist templates first (qa init)")
    cycles = _recent_cycles(today, 6)
    summary.cycles = [c.label for c in cycles]
    # The demo's "now": never after the real clock, so no page shows something saved tomorrow.
    now = min(datetime.now(UTC), datetime.combine(today, time(23, 59), tzinfo=UTC))
    audits = _make_audits(session, rng, users, cases, templates, cycles, today)
    make_panel_audits(session, users, audits, cycles[-1].label, seed)
    _not_after(session, now)
    _record_history(session, audits)
    samples = load_demo_samples(session, seed, users, cycles, today)
    sampled = audit_case_samples(session, users, samples, cycles, today, seed, templates.for_cycle)  # Tier 3
    summary.moderated = make_moderation(session, rng, users, audits, [c.label for c in cycles], now).moderated
    _make_actions_and_challenges(session, rng, users, audits, today, summary)
    _not_after(session, now)
    audits += add_tier4_reviews(session, users, cases, today)  # its own dates are all in the past
    add_learning_loop(session, users, today, now, seed)  # after _not_after: it queries, so it flushes
    for audit in [*audits, *sampled]:
        summary.audits_by_tier[audit.tier] += 1
        summary.audits_by_status[audit.status] += 1
    record(session, None, "demo.load", "database", None, after={"seed": seed, "cases": summary.cases})
    session.commit()
    return summary


def _make_cases(session: Session, rng: random.Random, total: int, today: date, summary: DemoSummary) -> list[Case]:
    cases: list[Case] = []
    academic_year = today.year if today.month >= 9 else today.year - 1
    for n in range(total):
        year_group = rng.choice(YEAR_GROUPS)
        age = {"N2": 3, "R": 4}.get(year_group) or int(year_group) + 4
        rng.randint(1, 12)  # was the birth month; kept so the seeded area stays the same
        need = _weighted(rng, NEEDS)
        setting = "Early years setting" if year_group in {"N2"} else _weighted(rng, SETTINGS)
        if setting == "Early years setting" and year_group not in {"N2", "R"}:
            setting = "Mainstream school"
        if int(year_group) >= 12 if year_group.isascii() and year_group.isdigit() else False:
            setting = rng.choice(["Further education college", "Special school", "Further education college"])
        # Age on 1 September is ``age``, so the academic year of birth is the one ``age + 1`` years back.
        case = Case(
            case_ref=f"EHC{100000 + n * 7 + rng.randint(0, 6):06d}",
            year_group=year_group,
            birth_cohort=academic_year - age - 1,
            primary_need=need,
            setting_type=setting,
            team=rng.choice(["North", "South"]),
        )
        case.needs.append(CaseNeed(need=need, rank=1))
        if rng.random() < 0.1:  # an earlier refusal, then the request that led to a plan
            first = today - timedelta(days=rng.randint(500, 800))
            case.requests.append(
                Request(
                    request_date=first,
                    decision_to_assess_date=first + timedelta(days=rng.randint(30, 45)),
                    outcome="refused_to_assess",
                )
            )
        request_date = today - timedelta(days=rng.randint(30, 720))
        request = Request(request_date=request_date)
        decision = request_date + timedelta(days=rng.choice([35, 38, 40, 41, 42, 44, 49, 56]))
        weeks = rng.choices([17, 18, 19, 20, 21, 23, 26, 30, 38], weights=[12, 14, 16, 12, 9, 10, 10, 9, 8])[0]
        final = request_date + timedelta(days=weeks * 7 - rng.randint(0, 6))
        if decision <= today:
            request.decision_to_assess_date = decision
        if rng.random() < 0.05:
            request.outcome = "refused_to_assess"
        elif final <= today:
            request.final_issued_date, request.outcome = final, "issued"
            if weeks > 20 and rng.random() < 0.2:
                request.exception = rng.choice(
                    ["school_closure", "exceptional_personal_circumstances", "absent_from_area"]
                )
            if (today - final).days > 365:
                rng.randint(300, 380)  # was the last review date; reviews now come from _add_clock_dates
        else:
            request.outcome = "in_progress"
        case.requests.append(request)
        _add_clock_dates(case, request, random.Random(case.case_ref), today, academic_year)
        session.add(case)
        cases.append(case)
        summary.requests += len(case.requests)
    session.flush()
    summary.cases = len(cases)
    return cases


#: Who asks for assessments (SEN2 RequestSource), roughly as published.
SOURCES = {1: 45, 2: 40, 3: 8, 4: 4, 5: 3}
ADVICE_AGENCIES = ("education", "health", "childrens_social_care")
#: Days each body takes to give its advice: education and social care mostly within 6 weeks, health often not.
ADVICE_DAYS = {"education": (25, 50), "health": (30, 75), "childrens_social_care": (20, 55)}
#: Year group → the move at the end of this academic year (reg 18).
PHASE_MOVES = {"N2": "early_years_to_school", "6": "primary_to_secondary", "11": "secondary_to_post_16"}


def _add_clock_dates(case: Case, request: Request, rng: random.Random, today: date, academic_year: int) -> None:
    """The dates the statutory clocks need: source, decisions, draft, advice, reviews, transfers.

    A separate generator per case (seeded by its reference) keeps the rest of the seeded area as it was.
    """

    def past(day: date) -> date | None:
        return day if day <= today else None

    request.request_source = rng.choices(list(SOURCES), weights=list(SOURCES.values()))[0]
    decided = request.decision_to_assess_date
    if decided is not None and request.outcome != "refused_to_assess":
        for agency in ADVICE_AGENCIES:
            asked = decided + timedelta(days=rng.randint(0, 4))
            if asked > today:
                continue
            low, high = ADVICE_DAYS[agency]
            advice = AdviceRequest(
                agency_code=agency,
                requested_date=asked,
                received_date=past(asked + timedelta(days=rng.randint(low, high))),
            )
            if advice.received_date and (advice.received_date - asked).days > 42 and rng.random() < 0.25:
                advice.exception = rng.choice(["missed_appointment", "absent_from_area", "exceptional_circumstances"])
            request.advice.append(advice)
    start = request.request_date
    if request.final_issued_date is not None:
        final = request.final_issued_date
        request.draft_issued_date = final - timedelta(days=rng.randint(16, 30))
        request.assessment_outcome_date = max(
            decided or start, request.draft_issued_date - timedelta(days=rng.randint(0, 10))
        )
        if request.exception:
            request.exception_start = start + timedelta(days=rng.randint(50, 90))
            request.exception_end = request.exception_start + timedelta(days=rng.randint(28, 56))
            request.family_told_date = request.exception_start + timedelta(days=rng.randint(1, 10))
        _add_reviews(case, final, rng, today)
        if rng.random() < 0.04:  # a re-assessment asked for after the plan
            asked = final + timedelta(days=rng.randint(120, 400))
            if asked + timedelta(days=20) <= today:
                case.requests.append(
                    Request(
                        request_date=asked,
                        kind="reassessment",
                        outcome="in_progress",
                        decision_to_assess_date=asked + timedelta(days=rng.randint(8, 20)),
                    )
                )
        if rng.random() < 0.04:  # a plan that moved here from another authority
            case.transferred_in_date = final + timedelta(days=rng.randint(60, 200))
            if case.transferred_in_date > today:
                case.transferred_in_date = None
            else:
                case.transfer_from_la = str(rng.randint(301, 938))
                case.transfer_family_told_date = past(case.transferred_in_date + timedelta(days=rng.randint(10, 60)))
        move = PHASE_MOVES.get(case.year_group or "")
        if move:
            case.next_phase, case.phase_transfer_date = move, date(academic_year + 1, 9, 1)
            this_year = [r for r in case.reviews if r.decision_date and r.decision_date >= date(academic_year, 9, 1)]
            if this_year:  # reviewed this academic year: the plan names the next school
                this_year[-1].phase_transfer_final_date = this_year[-1].amended_plan_date or this_year[-1].decision_date
    elif request.outcome == "in_progress":
        day = (today - start).days
        if decided is not None and day > 70 and rng.random() < 0.8:
            request.assessment_outcome_date = start + timedelta(days=rng.randint(70, min(day, 112)))
        if request.assessment_outcome_date is not None and day > 95 and rng.random() < 0.7:
            request.draft_issued_date = request.assessment_outcome_date + timedelta(
                days=rng.randint(3, max(3, min(25, (today - request.assessment_outcome_date).days)))
            )


def _add_reviews(case: Case, issued: date, rng: random.Random, today: date) -> None:
    """Annual reviews from the plan onwards: most on time, some decided late, a few lapsed."""
    due = months_starting_with(issued, 12)
    while due - timedelta(days=30) <= today:
        if rng.random() < 0.12:
            return  # this review never happened: the plan's review has lapsed
        meeting = due - timedelta(days=rng.randint(5, 60))
        if meeting > today:
            return
        review = Review(
            meeting_date=meeting,
            notice_date=meeting - timedelta(days=rng.choice([21, 18, 15, 14, 10])),
            papers_date=meeting - timedelta(days=rng.choice([16, 14, 14, 9, 5])),
            report_date=past_or_none(meeting + timedelta(days=rng.randint(5, 20)), today),
        )
        decision = meeting + timedelta(days=rng.choice([14, 21, 26, 28, 33, 45]))
        if decision > today:
            case.reviews.append(review)
            return
        review.decision_date = decision
        review.outcome = rng.choices(["A", "M", "C"], weights=[60, 38, 2])[0]
        if review.outcome == "A":
            review.draft_date = decision
            review.amended_plan_date = past_or_none(
                decision + timedelta(days=rng.choice([35, 42, 50, 56, 63, 80])), today
            )
        case.reviews.append(review)
        if review.outcome == "C":
            return
        due = months_starting_with(decision, 12)


def past_or_none(day: date, today: date) -> date | None:
    return day if day <= today else None


#: How often each kind of plan comes up in the first half term, and how that shifts each half term
#: (plans get better): roughly the shape of published reviews (about a third Good, most RI).
PROFILE_START = {"outstanding": 0.01, "good": 0.14, "requires_improvement": 0.65, "inadequate": 0.20}
PROFILE_SHIFT = {"outstanding": 0.004, "good": 0.04, "requires_improvement": -0.02, "inadequate": -0.024}
#: Sections where audits most often find weaknesses, and how much likelier they are to hold them.
WEAK_SECTION_WEIGHT = {"a": 4, "c": 4, "d": 5, "h": 3, "f": 2, "e": 2}
NA_REASON = "Not relevant for this child at this stage (e.g. under Year 9, no personal budget requested)."


def _profile(rng: random.Random, half_term_index: int) -> str:
    weights = {k: max(0.01, PROFILE_START[k] + PROFILE_SHIFT[k] * half_term_index) for k in PROFILE_START}
    return _weighted_float(rng, weights)


def _weighted_float(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _weakness_weight(section_id: str) -> int:
    return next((w for prefix, w in WEAK_SECTION_WEIGHT.items() if section_id.lower().startswith(prefix)), 1)


def _answers(rng: random.Random, template: Template, profile: str) -> dict[str, tuple[Rating, str, str]]:
    """Answers consistent with the kind of plan: Good plans meet every statutory item; RI plans have
    a few statutory weaknesses, mostly in the usual sections; Inadequate ones also miss something
    that makes the plan unenforceable."""
    answers: dict[str, tuple[Rating, str, str]] = {}
    questions = template.questions()
    for q in questions:
        if q.not_applicable.allowed and rng.random() < 0.12:
            answers[q.id] = (Rating.NOT_APPLICABLE, "", NA_REASON)
        elif not q.statutory and rng.random() < (0.15 if profile in ("good", "outstanding") else 0.35):
            answers[q.id] = (Rating.PARTIALLY_MET, rng.choice(EVIDENCE[Rating.PARTIALLY_MET]), "")
        else:
            answers[q.id] = (Rating.MET, rng.choice(EVIDENCE[Rating.MET]), "")
    if profile == "outstanding":
        return {
            qid: (
                Rating.MET if r != Rating.NOT_APPLICABLE else r,
                rng.choice(EVIDENCE[Rating.MET]) if r != Rating.NOT_APPLICABLE else "",
                na,
            )
            for qid, (r, _e, na) in answers.items()
        }
    if profile in ("requires_improvement", "inadequate"):
        statutory = [q for q in questions if q.statutory and answers[q.id][0] != Rating.NOT_APPLICABLE]
        weights = [_weakness_weight(template.section_of(q.id).id) for q in statutory]
        for q in {q.id: q for q in rng.choices(statutory, weights=weights, k=rng.randint(1, 4))}.values():
            answers[q.id] = (Rating.PARTIALLY_MET, rng.choice(EVIDENCE[Rating.PARTIALLY_MET]), "")
    if profile == "inadequate":
        limiting = [q for q in questions if q.limiting and answers[q.id][0] != Rating.NOT_APPLICABLE] or questions
        weights = [_weakness_weight(template.section_of(q.id).id) for q in limiting]
        q = rng.choices(limiting, weights=weights)[0]
        answers[q.id] = (Rating.NOT_MET, rng.choice(EVIDENCE[Rating.NOT_MET]), "")
    return answers


def _day_in(rng: random.Random, cycle: Cycle, today: date) -> date:
    end = min(cycle.end, today)
    return cycle.start + timedelta(days=rng.randint(0, max(0, (end - cycle.start).days)))


class _DemoTemplates:
    """Which template version a demo audit uses: audits of the current half term start on the newest
    version, as real new audits do; audits of earlier half terms were started before it was
    published, so they keep the first version (as real audits keep the version they started with)."""

    def __init__(self, session: Session) -> None:
        self.current = {tv.template_id: tv for tv in current_versions(session)}
        self.first: dict[str, TemplateVersion] = {}
        for tv in all_versions(session):
            if not tv.retired and (tv.template_id not in self.first or tv.version < self.first[tv.template_id].version):
                self.first[tv.template_id] = tv

    def for_cycle(self, template_id: str, is_current: bool) -> TemplateVersion:
        return self.current[template_id] if is_current else self.first[template_id]


#: Checklists first published alongside version 2 of the others: the demo uses them in the current half term only.
_NEW_CHECKLISTS = {
    "t1-pre-issue-check": ("send_service", "draft_plan"),
    "t1-annual-review-check": ("send_service", "annual_review"),
    "t3-refusal-decision-audit": ("panel", "refusal_decision"),
}


def _make_audits(
    session: Session,
    rng: random.Random,
    users: dict[str, User],
    cases: list[Case],
    templates: _DemoTemplates,
    cycles: list[Cycle],
    today: date,
) -> list[Audit]:
    audits: list[Audit] = []
    coordinators = [u for u in users.values() if u.agency_code == "send_service"]
    tier2 = {
        "education": "t2-education-advice-audit",
        "health": "t2-health-advice-audit",
        "childrens_social_care": "t2-social-care-advice-audit",
        "adult_social_care": "t2-social-care-advice-audit",
    }
    panel = [users["panel.chair"], users["panel.member"]]
    leaders = [users["system.leader"], users["parent.forum"]]
    plan_cases = [c for c in cases if any(r.final_issued_date for r in c.requests)] or cases
    refused = ("refused_to_assess", "refused_to_issue")
    refused_cases = [c for c in cases if c.requests and c.requests[-1].outcome in refused]
    current = cycles[-1]
    for index, cycle in enumerate(cycles):
        is_current = cycle is current
        plan: list[tuple[User, str, str]] = []
        for coordinator in coordinators:
            count = rng.randint(6, 16) if is_current else rng.randint(8, 12)
            plan += [
                (coordinator, "t1-coordinator-plan-check", rng.choice(["draft_plan", "final_plan"]))
                for _ in range(count)
            ]
            plan += [(coordinator, "t1-agency-advice-self-check", "advice") for _ in range(rng.randint(0, 2))]
        for user in users.values():
            if user.role == Role.AUDITOR and user.agency_code in tier2:
                plan += [
                    (user, tier2[user.agency_code], rng.choice(["advice", "final_plan"]))
                    for _ in range(rng.randint(3, 5))
                ]
        plan += [(rng.choice(panel), "t3-multi-agency-new-plan", "final_plan") for _ in range(rng.randint(3, 5))]
        plan += [(rng.choice(panel), "t3-annual-review", "annual_review") for _ in range(rng.randint(2, 3))]
        if index % 2 == 1 or is_current:
            plan += [(rng.choice(leaders), "t4-system-leader-review", "final_plan")]
        if is_current:
            for template_id, (who, subject) in _NEW_CHECKLISTS.items():
                if template_id not in templates.current:
                    continue
                if who == "panel":
                    plan += [(rng.choice(panel), template_id, subject) for _ in range(rng.randint(1, 2))]
                else:
                    plan += [(c, template_id, subject) for c in coordinators for _ in range(rng.randint(0, 2))]
        for auditor, template_id, subject in plan:
            pool = refused_cases if subject == "refusal_decision" and refused_cases else plan_cases
            audits.append(
                _make_audit(
                    session,
                    rng,
                    auditor,
                    rng.choice(pool),
                    templates.for_cycle(template_id, is_current),
                    subject,
                    cycle,
                    index,
                    is_current,
                    today,
                )
            )
    session.flush()
    return audits


def _make_audit(
    session: Session,
    rng: random.Random,
    auditor: User,
    case: Case,
    tv: TemplateVersion,
    subject: str,
    cycle: Cycle,
    half_term_index: int,
    is_current: bool,
    today: date,
) -> Audit:
    template = tv.template
    day = _day_in(rng, cycle, today)
    if is_current and auditor.agency_code == "send_service" and rng.random() < 0.6:
        day = max(cycle.start, today.replace(day=1)) + timedelta(days=rng.randint(0, max(0, today.day - 1)))
        day = min(day, today)
    started = _moment(rng, day)
    audit = Audit(
        case=case,
        request=case.requests[-1] if case.requests else None,
        template_version=tv,
        subject=subject,
        tier=tv.tier,
        agency_code=auditor.agency_code if auditor.role == Role.AUDITOR else None,
        auditor=auditor,
        status=AuditStatus.DRAFT.value,
        cycle=cycle.label,
        exemplary_sections=[],
        created_at=started,
        updated_at=started,
    )
    profile = _profile(rng, half_term_index)
    answers = _answers(rng, template, profile)
    draft = is_current and rng.random() < 0.25
    questions = template.questions()
    answered = questions if not draft else questions[: rng.randint(3, len(questions))]
    for question in answered:
        rating, evidence, na_reason = answers[question.id]
        audit.responses.append(
            Response(
                question_id=question.id,
                section_id=template.section_of(question.id).id,
                rating=rating.value,
                evidence=evidence,
                na_reason=na_reason,
                updated_at=started,
            )
        )
    if profile == "outstanding":
        audit.exemplary_sections = [s.id for s in template.sections]
    quality = {"outstanding": 0.95, "good": 0.8, "requires_improvement": 0.55, "inadequate": 0.3}[profile]
    session.add(audit)
    regrade(audit)
    if template.grading.mode == "judgement":
        audit.auditor_grade = template.scale.codes[0 if quality > 0.7 else (1 if quality > 0.45 else 2)]
        audit.summary = (
            "The family recognised their child in the plan; "
            "the speech and language therapy in F is not yet being delivered."
        )
        session.add(
            ConsentRecord(
                case_id=case.id,
                given_by="parent_carer",
                decision=ConsentDecision.GIVEN,
                method="Phone call, then written consent",
                recorded_by_id=auditor.id,
                recorded_at=started - timedelta(days=3),
            )
        )
    elif audit.suggested_grade and (
        rng.random() < 0.04 or (auditor.email.startswith(GENEROUS_AUDITOR) and rng.random() < 0.45)
    ):
        scale = template.scale
        audit.auditor_grade = scale.from_rank(scale.rank(audit.suggested_grade) + 1)
        if audit.auditor_grade != audit.suggested_grade:
            audit.override_rationale = "The weaknesses are minor and already being put right at the next review."
    if not draft:
        audit.status = AuditStatus.SUBMITTED.value
        audit.submitted_at = audit.updated_at = started + timedelta(hours=rng.randint(1, 30))
        if not is_current and rng.random() < 0.5:
            audit.status = AuditStatus.CLOSED.value
        elif is_current and rng.random() < 0.05:
            audit.status, audit.return_comment = (
                AuditStatus.RETURNED.value,
                "Please add evidence for section F: which provision is unquantified?",
            )
    return audit


def _record_history(session: Session, audits: list[Audit]) -> None:
    """The audit-trail entries the real workflow would have written, with their own dates."""
    for audit in audits:
        session.add(
            TrailEntry(
                at=audit.created_at,
                actor_id=audit.auditor_id,
                action="audit.start",
                entity="audit",
                entity_id=str(audit.id),
                after={"case_ref": audit.case.case_ref, "cycle": audit.cycle},
            )
        )
        if audit.submitted_at:
            session.add(
                TrailEntry(
                    at=audit.submitted_at,
                    actor_id=audit.auditor_id,
                    action="audit.submit",
                    entity="audit",
                    entity_id=str(audit.id),
                    before={"status": AuditStatus.DRAFT.value},
                    after={"status": AuditStatus.SUBMITTED.value, "suggested_grade": audit.suggested_grade},
                )
            )


def _make_actions_and_challenges(
    session: Session, rng: random.Random, users: dict[str, User], audits: list[Audit], today: date, summary: DemoSummary
) -> None:
    themes = ["Child's voice", "Health advice", "Social care advice", "Quantified provision", "Timeliness", "Outcomes"]
    for audit in audits:
        not_met = [r for r in audit.responses if r.rating == Rating.NOT_MET.value]
        if audit.status == AuditStatus.DRAFT or not not_met or rng.random() > 0.35:
            continue
        response = rng.choice(not_met)
        question = audit.template.question(response.question_id)
        due = audit.created_at.date() + timedelta(days=rng.randint(14, 60))
        status = (
            ActionStatus.DONE
            if due < today and rng.random() < 0.6
            else rng.choice([ActionStatus.OPEN, ActionStatus.OPEN, ActionStatus.IN_PROGRESS])
        )
        session.add(
            Action(
                audit=audit,
                question_id=question.id,
                description=f"Put right: {question.text}",
                owner_id=audit.auditor_id,
                agency_code=audit.agency_code,
                due_date=due,
                status=status,
                theme=rng.choice(themes),
                created_by_id=audit.auditor_id,
                created_at=audit.created_at,
                completed_at=_moment(rng, due) if status == ActionStatus.DONE else None,
            )
        )
        summary.actions += 1
    coordinators = [u for u in users.values() if u.agency_code == "send_service"]
    tier1 = [
        a
        for a in audits
        if a.tier == Tier.AGENCY_CHECK
        and a.status in (AuditStatus.SUBMITTED, AuditStatus.CLOSED, AuditStatus.MODERATED)
    ]
    for audit in rng.sample(tier1, k=min(len(tier1), 24)):
        colleagues = [u for u in coordinators if u.team == audit.auditor.team and u.id != audit.auditor_id]
        if not colleagues:
            continue
        reviewer = rng.choice(colleagues)
        challenge = PeerChallenge(
            audit=audit,
            requested_by_id=audit.auditor_id,
            reviewer=reviewer,
            created_at=audit.submitted_at or audit.created_at,
        )
        outcome = rng.choice(
            [
                PeerChallengeStatus.AGREED,
                PeerChallengeStatus.AGREED,
                PeerChallengeStatus.CHALLENGED,
                PeerChallengeStatus.RESPONDED,
                PeerChallengeStatus.REQUESTED,
            ]
        )
        # "responded": the author answered and the reviewer is yet to confirm or challenge again.
        challenge.status = outcome
        if outcome is PeerChallengeStatus.AGREED:
            challenge.closed_at = challenge.created_at + timedelta(days=2)
        if outcome is not PeerChallengeStatus.REQUESTED:
            question = rng.choice(audit.template.questions())
            kind = CommentKind.AGREE if outcome is PeerChallengeStatus.AGREED else CommentKind.CHALLENGE
            body = (
                "I agree with the grades and the evidence."
                if kind == "agree"
                else "I would rate this Partially met: the frequency of therapy is missing."
            )
            challenge.comments.append(
                PeerComment(
                    author_id=reviewer.id,
                    question_id=None if kind == "agree" else question.id,
                    kind=kind,
                    body=body,
                    created_at=challenge.created_at + timedelta(days=2),
                )
            )
            if outcome is PeerChallengeStatus.RESPONDED:
                challenge.comments.append(
                    PeerComment(
                        author_id=audit.auditor_id,
                        question_id=question.id,
                        kind=CommentKind.RESPONSE,
                        body="Agreed; I have asked the co-ordinator to add the frequency before the plan is finalised.",
                        created_at=challenge.created_at + timedelta(days=4),
                    )
                )
        session.add(challenge)


def describe_database(session: Session) -> str:
    """A plain-text summary for ``qa summary`` (and ``make run`` before the web app is up)."""
    cases = session.scalar(select(func.count(Case.id))) or 0
    requests = session.scalar(select(func.count(Request.id))) or 0
    users = session.scalar(select(func.count(User.id))) or 0
    rows = session.execute(
        select(Audit.tier, Audit.status, func.count()).group_by(Audit.tier, Audit.status).order_by(Audit.tier)
    ).all()
    lines = [f"{cases} cases, {requests} requests for assessment, {users} users."]
    by_tier: dict[int, list[str]] = {}
    for tier, status, count in rows:
        by_tier.setdefault(tier, []).append(f"{status} {count}")
    for tier, parts in sorted(by_tier.items()):
        lines.append(f"{Tier(tier).label}: {', '.join(parts)}")
    return "\n".join(lines)
