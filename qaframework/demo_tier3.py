"""Demo data for Tier 3 panel audits: who sat on each panel and how each agency's part was graded.

The demo's Tier 3 audits (made by ``qaframework.demo``) become panel audits as a real panel would
leave them: the panel member who started each is joined by auditors from two or three agencies,
everyone with the agency they represent, and every submitted audit grades each agency's
contribution (or says why it was not involved). In the current half term one panel audit is left
in draft, part graded, so the shared editing can be tried. The panel also audits the cases it
sampled each half term (``audit_case_samples``). Random generators of its own, so the rest of the
seeded area is unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.contributions import has_contributions
from qaframework.framework import AuditStatus, Cycle, SampleKind, Tier
from qaframework.numbers import whole_number
from qaframework.store import (
    Agency,
    AgencyContribution,
    Audit,
    AuditParticipant,
    Sample,
    TemplateVersion,
    TrailEntry,
    User,
)

#: The agency each demo panel member speaks for (panel members have no agency of their own).
PANEL_AGENCIES = {"panel.chair": "send_service", "panel.member": "education"}
#: Agencies' auditors who join panels, by the local part of their e-mail address.
AGENCY_GUESTS = ("ellen.price", "hana.lee", "marcus.bell", "ruth.adams")

NOTES = {
    "outstanding": "Advice specific and quantified, on time; the author joined the planning meeting.",
    "good": "Advice clear and on time; outcomes and provision carried into the plan.",
    "requires_improvement": "Advice describes needs in general terms; provision not quantified.",
    "inadequate": "Advice late and not specific; needs from the assessment are missing from the plan.",
}
NOT_INVOLVED_NOTE = "The child is below Year 9, so adult social care has no part in this plan yet."


def make_panel_audits(session: Session, users: dict[str, User], audits: list[Audit], current_cycle: str,
                      seed: int) -> int:
    """Record members present and agency grades on the demo's Tier 3 audits; returns how many.

    Call before the audit trail history is written and before timestamps are clamped, so the draft
    left in the current half term has no submission recorded.
    """
    rng = random.Random(seed + 3)
    agencies = list(session.scalars(select(Agency).where(Agency.active).order_by(Agency.code)))
    panel = [a for a in audits if a.tier == Tier.MULTI_AGENCY and has_contributions(a.template)]
    current = [a for a in panel if a.cycle == current_cycle]
    if current and not any(a.status == AuditStatus.DRAFT for a in current):
        draft = current[-1]  # a panel part-way through, so shared editing can be tried
        draft.status, draft.submitted_at, draft.return_comment = AuditStatus.DRAFT.value, None, None
    for audit in panel:
        _record_members(session, rng, users, audit)
        _grade_agencies(rng, audit, agencies)
    return len(panel)


def _record_members(session: Session, rng: random.Random, users: dict[str, User], audit: Audit) -> None:
    starter = next(local for local, user in users.items() if user is audit.auditor)
    own = PANEL_AGENCIES.get(starter, audit.auditor.agency_code)
    others = [local for local in AGENCY_GUESTS if users[local].agency_code != own]
    guests = rng.sample(others, k=rng.randint(2, 3))
    members = [(audit.auditor, own)]
    members += [(users[local], users[local].agency_code) for local in guests]
    for user, agency in members:
        audit.participants.append(
            AuditParticipant(user=user, agency_code=agency, added_by_id=audit.auditor_id, added_at=audit.created_at)
        )
    session.flush()
    for user, agency in members:
        session.add(TrailEntry(at=audit.created_at, actor_id=audit.auditor_id, action="audit.participant",
                               entity="audit", entity_id=str(audit.id),
                               after={"user_id": user.id, "name": user.display_name, "agency_code": agency}))


def _grade_agencies(rng: random.Random, audit: Audit, agencies: list[Agency]) -> None:
    scale = audit.template.scale
    centre = scale.rank(audit.suggested_grade) if audit.suggested_grade in scale.codes else 1
    finished = audit.status != AuditStatus.DRAFT
    year = whole_number(audit.case.year_group)
    young = year is not None and year < 9
    graded = agencies if finished else agencies[: rng.randint(1, 2)]
    when = (audit.submitted_at or audit.updated_at) - timedelta(minutes=30)
    for agency in graded:
        if agency.code == "adult_social_care" and young:
            row = AgencyContribution(agency_code=agency.code, grade=None, involved=False, note=NOT_INVOLVED_NOTE)
        else:
            grade = scale.from_rank(centre + rng.choice((-1, 0, 0, 0, 1)))
            row = AgencyContribution(agency_code=agency.code, grade=grade, involved=True, note=NOTES.get(grade, ""))
        row.updated_at = when
        audit.contributions.append(row)


def audit_case_samples(
    session: Session,
    users: dict[str, User],
    samples: Sequence[Sample],
    cycles: Sequence[Cycle],
    today: date,
    seed: int,
    template_for: Callable[[str, bool], TemplateVersion],
) -> list[Audit]:
    """The panel audits the cases it sampled: a Tier 3 panel audit of the first two cases of each
    half term's panel case sample, with members present and agency grades like the others.

    Call after the samples are drawn; the audits' trail history is written here.
    """
    from qaframework import demo  # imported here: demo imports this module

    rng = random.Random(seed + 5)
    chair = users["panel.chair"]
    by_label = {cycle.label: (index, cycle) for index, cycle in enumerate(cycles)}
    made: list[Audit] = []
    for sample in samples:
        if sample.kind != SampleKind.CASES or sample.created_by_id != chair.id or sample.cycle not in by_label:
            continue
        index, cycle = by_label[sample.cycle]
        is_current = index == len(cycles) - 1
        for item in sorted(sample.items, key=lambda i: i.id)[:2]:
            if item.case is None:
                continue
            starter = users[rng.choice(sorted(PANEL_AGENCIES))]
            tv = template_for("t3-multi-agency-new-plan", is_current)
            made.append(demo._make_audit(session, rng, starter, item.case, tv, "final_plan", cycle, index,
                                         is_current, today))
    session.flush()
    make_panel_audits(session, users, made, cycles[-1].label, seed + 7)
    demo._record_history(session, made)
    return made
