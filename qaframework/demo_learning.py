"""The learning loop in the demo area: actions closed with what changed, training needs (some
delivered), and "what good looks like" exemplars (approved, waiting and one turned down).

Kept apart from ``qaframework.demo`` so its additions never touch the same lines; ``load_demo``
calls :func:`add_learning_loop` once, after the audits, moderation and actions exist. It draws from
its own seeded generator, so the rest of the demo area stays as it was.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.framework import GOOD_OR_BETTER, ActionStatus, AuditStatus, ExemplarStatus
from qaframework.operations.exemplars import ANONYMISATION_CHECKS
from qaframework.store import Action, Audit, Exemplar, SectionGrade, User

#: What was done and what changed as a result, by theme (closing notes of the demo's Done actions).
OUTCOMES: dict[str, tuple[str, str]] = {
    "Child's voice": ("Met the family and rewrote section A in the young person's words.",
                      "Section A of new plans now quotes the child's own views, gathered before the draft."),
    "Health advice": ("Asked the therapy service for advice with frequency and duration.",
                      "Health advice now arrives with provision quantified, so section G can be specific."),
    "Social care advice": ("Social care assessment requested and added to section H.",
                           "Section H1/H2 is now completed from a current social care assessment."),
    "Quantified provision": ("Provision in section F rewritten with hours, group size and who delivers it.",
                             "Sections F in the team's new plans now state how often, how long and by whom."),
    "Timeliness": ("Advice chased through the weekly tracker.",
                   "Advice requests overdue at week 5 are escalated; none went past 6 weeks this half term."),
    "Outcomes": ("Outcomes in section E rewritten to be specific and measurable.",
                 "Section E outcomes now say what the child will do and by when, tied to their aspirations."),
}
#: Training needs: (agency, service area or None for the whole agency, delivered people or None).
TRAINING = (
    ("send_service", "North team co-ordinators", 14),
    ("send_service", "South team co-ordinators", 11),
    ("send_service", None, None),
    ("education", "Educational psychology service", 9),
    ("health", "Speech and language therapy", 22),
    ("health", None, None),
    ("childrens_social_care", "Disabled children's team", 7),
    ("adult_social_care", "Preparing for adulthood team", None),
)
#: Anonymised extracts by plan section: what a strong section reads like, with no one in it.
EXTRACTS: dict[str, str] = {
    "A": ("The young person describes what a good day looks like: arriving to a quiet start, knowing who will "
          "help, and time to practise cooking, which they want to do for a living. Their parents describe what "
          "works at home and what has not worked before, in their own words, and both are reflected later in "
          "the outcomes in section E."),
    "B": ("Communication and interaction: the child understands short spoken instructions of 2-3 key words when "
          "supported by visuals, and communicates needs using a combination of single words and signing. "
          "Assessment by the speech and language therapist shows receptive language well below age expectations; "
          "the needs are specific and each is linked to provision in section F."),
    "E": ("By the end of Key stage 2, the child will read a simple timetable and move between lessons with no "
          "more than one adult prompt, working towards their aspiration of travelling to college independently. "
          "Progress will be reviewed at each annual review against the steps below."),
    "F": ("Speech and language therapy: 3 sessions of 30 minutes a week, delivered 1:1 by a teaching assistant "
          "trained and supervised by a qualified speech and language therapist, who reviews the programme each "
          "half term. Visual timetable in every lesson. Small-group literacy (no more than 4) daily for 20 "
          "minutes."),
    "G": ("Health provision: the occupational therapist will provide a sensory programme reviewed termly; the "
          "community paediatrician reviews medication every 6 months. Each item says who provides it, how often, "
          "and which need in section C it meets."),
    "H": ("Social care provision under section 2 of the Chronically Sick and Disabled Persons Act 1970: 6 hours a "
          "week of short breaks with a named provider type, reviewed by the disabled children's team at each "
          "annual review."),
    "K": ("The plan lists every piece of advice and information gathered, with its author's role and the date it "
          "was received in each month of the assessment, so the family can see what the plan was built on."),
}
DEFAULT_EXTRACT = ("The section is specific, written in plain English, and every statement links to the need or "
                   "outcome it serves, so anyone reading it knows exactly what will happen, who does it and how "
                   "often. The child's and family's views are visible throughout.")


def add_learning_loop(session: Session, users: dict[str, User], today: date, now: datetime, seed: int = 2026) -> None:
    """Close Done actions with what changed, mark training needs, nominate and approve exemplars.

    Runs after the demo's other records are final: its queries flush them. Its own times are never
    after ``now`` (the demo's clock)."""
    rng = random.Random(seed + 8)
    actions = list(session.scalars(select(Action).order_by(Action.id)))
    for action in actions:
        if action.status == ActionStatus.DONE and not action.outcome:
            done, changed = OUTCOMES.get(action.theme or "", OUTCOMES["Quantified provision"])
            action.closing_note = action.closing_note or done
            action.outcome = changed
    by_agency: dict[str | None, list[Action]] = {}
    for action in actions:
        by_agency.setdefault(action.agency_code, []).append(action)
    for agency, area, people in TRAINING:
        pool = [a for a in by_agency.get(agency, []) if not a.training_need]
        need = rng.choice(pool) if pool else _raise_training_action(session, agency, today, now)
        if need is None:
            continue
        need.training_need = True
        need.training_area = area
        if people is not None:
            need.training_delivered_on = today - timedelta(days=rng.randint(7, 60))
            need.training_attendees = people
    _exemplars(session, users, today, rng, now)
    session.flush()


#: What the agencies with few actions of their own are asked to train on.
TRAINING_ACTIONS: dict[str, tuple[str, str]] = {
    "health": ("Therapy advice should state frequency, duration and who delivers it, so section G can be specific.",
               "Health advice"),
    "childrens_social_care": (("Social care advice should say whether provision is under section 2 of the CSDPA "
                              "1970, so it can be written into section H1."), "Social care advice"),
    "adult_social_care": (("Preparing for adulthood advice should start from Year 9 and cover employment, "
                          "independent living, community and health."), "Outcomes"),
    "education": ("Educational psychology advice should link each need to the provision that meets it.",
                  "Quantified provision"),
    "send_service": ("Co-ordinators to gather the child's views before the draft plan.", "Child's voice"),
}


def _raise_training_action(session: Session, agency: str, today: date, now: datetime) -> Action | None:
    """An action raised from the agency's latest finished audit, for an agency the audits raised none for."""
    audit = session.scalar(
        select(Audit)
        .where(Audit.agency_code == agency, Audit.status.in_([AuditStatus.SUBMITTED.value, AuditStatus.CLOSED.value,
                                                               AuditStatus.MODERATED.value]))
        .order_by(Audit.id.desc())
        .limit(1)
    )
    if audit is None or agency not in TRAINING_ACTIONS:
        return None
    description, theme = TRAINING_ACTIONS[agency]
    action = Action(audit_id=audit.id, description=description, owner_id=audit.auditor_id, agency_code=agency,
                    due_date=today + timedelta(days=42), status=ActionStatus.IN_PROGRESS.value, theme=theme,
                    created_by_id=audit.auditor_id, created_at=min(now, audit.created_at))
    session.add(action)
    return action


def _exemplars(session: Session, users: dict[str, User], today: date, rng: random.Random, now: datetime) -> None:
    """Up to seven exemplars from moderated sections graded Good or better, one per plan section: four
    approved by the panel lead, then two waiting for a decision and one turned down with a reason."""
    lead = next((u for u in users.values() if u.leads_panel), None)
    rows = session.execute(
        select(SectionGrade, Audit)
        .join(Audit, Audit.id == SectionGrade.audit_id)
        .where(SectionGrade.moderated_grade.in_(sorted(GOOD_OR_BETTER)))
        .order_by(Audit.id, SectionGrade.id)
    ).all()
    chosen: list[tuple[SectionGrade, Audit]] = []
    letters_used: set[str] = set()
    for grade_row, audit in rows:  # one per plan section, so the browse page shows several sections
        letter = next((p for p in grade_row.plan_sections if p in EXTRACTS), None)
        if letter and letter not in letters_used:
            letters_used.add(letter)
            chosen.append((grade_row, audit))
        if len(chosen) == 7:
            break
    for grade_row, audit in rows:  # fewer plan sections than exemplars: a second from a section
        if len(chosen) >= 7:
            break
        if any(p in EXTRACTS for p in grade_row.plan_sections) and (grade_row, audit) not in chosen:
            chosen.append((grade_row, audit))
    if lead is None or not chosen:
        return
    plan = ["approved", "approved", "approved", "approved", "nominated", "nominated", "rejected"]
    for (grade_row, audit), status in zip(chosen, plan, strict=False):
        section = next((s for s in audit.template.sections if s.id == grade_row.section_id), None)
        if section is None or grade_row.moderated_grade is None:
            continue
        letter = next(p for p in grade_row.plan_sections if p in EXTRACTS)
        nominated = max(audit.created_at.date(), today - timedelta(days=rng.randint(10, 40)))
        nominator = audit.auditor if status != "approved" else users.get("panel.member", lead)
        exemplar = Exemplar(
            audit_id=audit.id,
            section_id=section.id,
            section_title=section.title,
            plan_sections=list(grade_row.plan_sections),
            template_id=audit.template_version.template_id,
            grade=grade_row.moderated_grade,
            extract=EXTRACTS.get(letter, DEFAULT_EXTRACT),
            checks=sorted(ANONYMISATION_CHECKS),
            status=ExemplarStatus(status).value,
            nominated_by_id=nominator.id,
            nominated_at=min(now, datetime.combine(nominated, time(10, 0), tzinfo=UTC)),
        )
        if status != "nominated":
            exemplar.decided_by_id = lead.id
            exemplar.decided_at = min(now, datetime.combine(nominated + timedelta(days=5), time(15, 0), tzinfo=UTC))
        if status == "rejected":
            exemplar.decision_reason = ("The extract names the setting type and the town; say 'a mainstream "
                                        "school' and take the town out, then put it forward again.")
        session.add(exemplar)
