"""A small hand-made set of audits, reviews and actions whose board figures are worked out by hand
(tests/test_board_figures.py, tests/test_board_pack.py). Every text typed into it is something the
board pack must never show: case references, names, evidence, summaries, action descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.framework import AuditStatus
from qaframework.store import Action, Audit, Case, Request, Response, ReviewConversation, TemplateVersion, User

S1 = "2025-26 Summer 1"
SP2 = "2025-26 Spring 2"
TODAY = date(2026, 6, 1)
#: A theme typed on five actions: shown by its words, and it must stay text.
FORMULA_THEME = '=HYPERLINK("http://evil.example","x")'


@dataclass
class Made:
    coordinator: User
    audits: list[Audit]
    #: Every identifier and free text stored, none of which may reach the pack.
    secrets: list[str] = field(default_factory=list)


def _version(session: Session, template_id: str) -> int:
    found = session.scalar(select(TemplateVersion.id).where(TemplateVersion.template_id == template_id)
                           .order_by(TemplateVersion.version.desc()))
    assert found is not None, template_id
    return found


def _audit(session: Session, case_id: int, tv_id: int, auditor: User, *, tier: int, cycle: str, grade: str,
           moderated: str | None = None, agency: str | None = "send_service",
           status: AuditStatus = AuditStatus.SUBMITTED, summary: str | None = None) -> Audit:
    audit = Audit(case_id=case_id, template_version_id=tv_id, subject="final_plan", tier=tier, agency_code=agency,
                  auditor_id=auditor.id, status=status.value, cycle=cycle, auditor_grade=grade,
                  moderated_grade=moderated, submitted_at=datetime(2026, 5, 1, tzinfo=UTC), summary=summary)
    session.add(audit)
    session.flush()
    return audit


def make_board_data(session: Session) -> Made:
    """Summer 1 2025-26: Tier 1 [1 outstanding, 5 good, 3 RI, 1 inadequate], Tier 2 [5 good, 2 RI],
    Tier 3 [1 good, 1 RI], Tier 4 one approved Positive review (and one not approved); Spring 2: Tier 1
    5 good of 8. Five Tier 1 audits moderated (good/good x3, good/RI, RI/RI). Actions: "Child's voice"
    10 open (5 overdue on TODAY), 5 done each with a theme typed once, 5 cancelled with a formula theme."""
    coordinator = User(email="priya.shah@example.test", display_name="Priya Shah", password_hash="x",
                       role="auditor", agency_code="send_service", team="North")
    health = User(email="tom.okafor@example.test", display_name="Tom Okafor", password_hash="x",
                  role="auditor", agency_code="health", team=None)
    session.add_all([coordinator, health])
    primary_case = Case(case_ref="BRD-CASE-0001", year_group="5", primary_need="ASD", setting_type="Mainstream school")
    secondary_case = Case(case_ref="BRD-CASE-0002", year_group="9", primary_need="SEMH", setting_type="Special school")
    for case in (primary_case, secondary_case):
        case.requests.append(Request(request_date=date(2026, 3, 2), outcome="in_progress"))
    session.add_all([primary_case, secondary_case])
    session.flush()
    primary, secondary = primary_case.id, secondary_case.id
    t1 = _version(session, "t1-coordinator-plan-check")
    t2 = _version(session, "t2-health-advice-audit")
    t3 = _version(session, "t3-multi-agency-new-plan")
    t4 = _version(session, "t4-system-leader-review")
    secrets = ["BRD-CASE-0001", "BRD-CASE-0002", "Priya Shah", "Tom Okafor", "priya.shah@example.test",
               "tom.okafor@example.test"]
    audits = []
    for grade, moderated in [("outstanding", None), ("good", "good"), ("good", "good"), ("good", "good"),
                             ("good", None), ("good", None), ("good", "requires_improvement"),
                             ("requires_improvement", "requires_improvement"), ("requires_improvement", None)]:
        audits.append(_audit(session, primary, t1, coordinator, tier=1, cycle=S1, grade=grade, moderated=moderated,
                             summary="Summary naming Alfie Brown, Year 6 at Oakfield Primary"))
    audits.append(_audit(session, secondary, t1, coordinator, tier=1, cycle=S1, grade="inadequate"))
    secrets.append("Alfie Brown")
    session.add(Response(audit_id=audits[0].id, question_id="views", section_id="a", rating="not_met",
                         evidence="=1+1 Mum (Jane Brown) says Alfie was never asked"))
    secrets += ["Jane Brown", "never asked"]
    _audit(session, primary, t1, coordinator, tier=1, cycle=S1, grade="good", status=AuditStatus.DRAFT)
    _audit(session, primary, t1, coordinator, tier=1, cycle=S1, grade="good", status=AuditStatus.RETURNED)
    for grade in ["good"] * 5 + ["requires_improvement"] * 3:
        _audit(session, primary, t1, coordinator, tier=1, cycle=SP2, grade=grade)
    for grade, case_id in [("good", primary)] * 5 + [("requires_improvement", secondary)] * 2:
        _audit(session, case_id, t2, health, tier=2, cycle=S1, grade=grade, agency="health")
    for grade in ("good", "requires_improvement"):
        _audit(session, primary, t3, coordinator, tier=3, cycle=S1, grade=grade, agency=None)
    for approved in (True, False):
        review = _audit(session, primary, t4, coordinator, tier=4, cycle=S1, grade="positive", agency=None)
        session.add(ReviewConversation(
            audit_id=review.id, board_summary="The family of a Year 6 boy felt heard by the panel.",
            notes="Met Mrs Brown at home", board_approved_at=datetime(2026, 5, 2, tzinfo=UTC) if approved else None,
        ))
    secrets += ["felt heard", "Mrs Brown"]
    source = audits[0].id
    for n in range(10):
        session.add(Action(audit_id=source, description=f"Ask Jo Bloggs for the child's views {n}",
                           owner_id=coordinator.id, agency_code="send_service",
                           due_date=date(2026, 5, 1) if n < 5 else date(2026, 7, 1),
                           status="open" if n % 2 else "in_progress", theme="Child's voice",
                           created_by_id=coordinator.id))
    for n, theme in enumerate(["Ask Sam Patel", "Spelling", "Dates", "Tone", "Layout"]):
        session.add(Action(audit_id=source, description=f"Done {n}", owner_id=coordinator.id,
                           agency_code="send_service", due_date=date(2026, 5, 1), status="done", theme=theme,
                           created_by_id=coordinator.id, closing_note="Rang Sam Patel back"))
    secrets += ["Jo Bloggs", "Sam Patel"]
    for _ in range(5):
        session.add(Action(audit_id=source, description="Not needed", owner_id=health.id, agency_code="health",
                           due_date=date(2026, 5, 1), status="cancelled", theme=FORMULA_THEME,
                           created_by_id=coordinator.id, closing_note="Duplicate"))
    session.flush()
    return Made(coordinator, audits, secrets)
