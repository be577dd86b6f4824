"""The learning loop through the library: filtered actions, what changed on closing, training
needs by agency, and themes counted in SQL against the previous cycle (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from qaframework.framework import Rating, Role
from qaframework.operations import action_lists, themes, training
from qaframework.operations import actions as ops
from qaframework.operations.audits import ResponseInput, save_answers, start_audit, submit_audit
from qaframework.operations.base import InvalidInput, PermissionDenied
from qaframework.store import Action, Audit, User
from tests.support import T1, MakeCase, MakeUser, TemplateVersionOf, all_met

TODAY = date(2026, 11, 2)
CYCLE, BEFORE = "2026-27 Autumn 2", "2026-27 Autumn 1"


def audit_with(
    session: Session, author: User, case_id: int, tv_id: int, cycle: str, shortfalls: dict[str, str]
) -> Audit:
    """A submitted Tier 1 check in ``cycle``: every question Met except the ones given."""
    audit = start_audit(session, author, case_id=case_id, template_version_id=tv_id, subject="final_plan")
    answers = all_met(audit.template)
    answers.update({q: ResponseInput(r, "Provision is not quantified.") for q, r in shortfalls.items()})
    save_answers(session, author, audit.id, audit.version_id, answers)
    submit_audit(session, author, audit.id, audit.version_id)
    audit.cycle = cycle
    session.commit()
    return audit


def add_action(session: Session, audit: Audit | None, owner: User, *, due: date, theme: str | None = None,
               agency: str | None = "send_service", status: str = "open", training_need: bool = False) -> Action:
    action = Action(audit_id=audit.id if audit else None, description="Quantify provision in F", owner_id=owner.id,
                    agency_code=agency, due_date=due, status=status, theme=theme, created_by_id=owner.id,
                    training_need=training_need)
    session.add(action)
    session.commit()
    return action


@pytest.fixture
def t1(template_version: TemplateVersionOf) -> int:
    return template_version(T1).id


def first_questions(session: Session, tv_id: int, n: int) -> list[str]:
    from qaframework.store import TemplateVersion

    tv = session.get(TemplateVersion, tv_id)
    assert tv is not None
    return [q.id for q in tv.template.questions()][:n]


# --- What changed as a result ---------------------------------------------------------------------


def test_done_needs_what_changed_as_a_result(session: Session, make_user: MakeUser, make_case: MakeCase,
                                              t1: int) -> None:
    author = make_user()
    audit = audit_with(session, author, make_case().id, t1, CYCLE, {})
    action = add_action(session, audit, author, due=TODAY + timedelta(days=3))
    with pytest.raises(InvalidInput) as refused:
        ops.update_action_status(session, author, action.id, "done", "Hours added to F.", "  ")
    assert [(e.field, e.message) for e in refused.value.errors] == [("outcome", "Say what changed as a result")]
    done = ops.update_action_status(session, author, action.id, "done", "Hours added to F.",
                                    "New plans state weekly therapy hours.")
    assert (done.status, done.outcome) == ("done", "New plans state weekly therapy hours.")
    # Cancelling needs no outcome, and forgets one.
    cancelled = ops.update_action_status(session, author, action.id, "cancelled", "Duplicate of another action.")
    assert cancelled.outcome is None and cancelled.closing_note == "Duplicate of another action."


# --- Filtered actions ---------------------------------------------------------------------------------


def test_actions_filter_by_agency_owner_theme_status_cycle(
    session: Session, make_user: MakeUser, make_case: MakeCase, t1: int
) -> None:
    author, other = make_user(), make_user(agency="health")
    panel = make_user(Role.PANEL_MEMBER)
    now = audit_with(session, author, make_case().id, t1, CYCLE, {})
    then = audit_with(session, author, make_case().id, t1, BEFORE, {})
    late = add_action(session, now, author, due=TODAY - timedelta(days=1), theme="Quantified provision")
    soon = add_action(session, then, other, due=TODAY + timedelta(days=9), theme="Child's voice", agency="health")
    closed = add_action(session, now, author, due=TODAY - timedelta(days=5), theme="quantified provision",
                        status="done")

    def ids(**args: str) -> list[int]:
        filters, errors = action_lists.ActionFilters.parse(args)
        assert errors == []
        return [a.id for a in action_lists.filtered_actions(session, panel, filters, TODAY).actions]

    mine = {late.id, soon.id, closed.id}
    assert set(ids()) >= mine
    assert [i for i in ids(agency="health") if i in mine] == [soon.id]
    assert ids(owner=str(other.id)) == [soon.id]
    assert [i for i in ids(theme="Quantified provision") if i in mine] == [closed.id, late.id]  # case-insensitive
    assert [i for i in ids(status="overdue") if i in mine] == [late.id]  # derived: open and past due
    assert [i for i in ids(status="done") if i in mine] == [closed.id]
    assert [i for i in ids(cycle=BEFORE) if i in mine] == [soon.id]
    page = action_lists.filtered_actions(session, panel, action_lists.ActionFilters(owner_id=author.id), TODAY)
    assert (page.total, page.overdue) == (2, 1)
    choices = action_lists.filter_choices(session, panel)
    assert {CYCLE, BEFORE} <= set(choices.cycles) and choices.cycles.index(CYCLE) < choices.cycles.index(BEFORE)
    # A bad value names its field; the query string round-trips.
    filters, errors = action_lists.ActionFilters.parse({"status": "finished", "owner": "x"})
    assert [e.field for e in errors] == ["owner", "status"] and filters.status is None
    parsed, _ = action_lists.ActionFilters.parse({"agency": "health", "status": "overdue", "training": "yes"})
    assert parsed.query_args(page=2) == {"agency": "health", "status": "overdue", "training": "yes", "page": "2"}


def test_an_auditor_sees_their_agencys_actions_and_a_board_viewer_none(
    session: Session, make_user: MakeUser, make_case: MakeCase, t1: int
) -> None:
    author, health = make_user(), make_user(agency="health")
    audit = audit_with(session, author, make_case().id, t1, CYCLE, {})
    ours = add_action(session, audit, author, due=TODAY)
    theirs = add_action(session, audit, author, due=TODAY, agency="health")
    everything = action_lists.ActionFilters()
    seen = {a.id for a in action_lists.filtered_actions(session, health, everything, TODAY).actions}
    assert theirs.id in seen and ours.id not in seen
    with pytest.raises(PermissionDenied):
        action_lists.filtered_actions(session, make_user(Role.BOARD_VIEWER), everything, TODAY)
    with pytest.raises(PermissionDenied):
        training.training_by_agency(session, make_user(Role.BOARD_VIEWER))


# --- Training needs -----------------------------------------------------------------------------------


def test_training_needs_by_agency_with_training_delivered(
    session: Session, make_user: MakeUser, make_case: MakeCase, t1: int
) -> None:
    author, leader = make_user(), make_user(Role.SYSTEM_LEADER)
    audit = audit_with(session, author, make_case().id, t1, CYCLE, {})
    first = add_action(session, audit, author, due=TODAY)
    second = add_action(session, audit, author, due=TODAY, agency="health")
    stranger = make_user(agency="education")
    with pytest.raises(PermissionDenied):
        training.set_training_need(session, stranger, first.id, need=True)
    training.set_training_need(session, leader, first.id, need=True, area="Early years SEN team")
    training.set_training_need(session, author, second.id, need=True)
    with pytest.raises(InvalidInput) as refused:
        training.record_training_delivered(session, leader, first.id, delivered_on=TODAY + timedelta(days=1),
                                           attendees="twelve", today=TODAY)
    assert {e.field for e in refused.value.errors} == {"delivered_on", "attendees"}
    done = training.record_training_delivered(session, leader, first.id, delivered_on=TODAY, attendees="14",
                                              today=TODAY)
    assert (done.training_delivered_on, done.training_attendees, done.training_area) == (
        TODAY, 14, "Early years SEN team")
    groups = {g.agency_code: g for g in training.training_by_agency(session, leader)}
    assert (groups["send_service"].needs, groups["send_service"].delivered, groups["send_service"].people) >= (1, 1, 14)
    assert first.id in [a.id for a in groups["send_service"].actions]
    assert second.id in [a.id for a in groups["health"].actions]
    # Not a training need after all: the delivery is forgotten too.
    undone = training.set_training_need(session, leader, first.id, need=False)
    assert (undone.training_need, undone.training_delivered_on, undone.training_attendees) == (False, None, None)
    with pytest.raises(InvalidInput):
        training.record_training_delivered(session, leader, first.id, delivered_on=TODAY, attendees=3, today=TODAY)


# --- Themes ---------------------------------------------------------------------------------------------


def test_previous_cycle_and_order() -> None:
    assert themes.previous_cycle("2026-27 Autumn 2") == "2026-27 Autumn 1"
    assert themes.previous_cycle("2026-27 Autumn 1") == "2025-26 Summer 2"
    assert themes.previous_cycle("nonsense") is None
    labels = ["2025-26 Summer 2", "2026-27 Autumn 1", "2025-26 Autumn 1", "2026-27 Spring 1"]
    assert sorted(labels, key=themes.cycle_key) == [
        "2025-26 Autumn 1", "2025-26 Summer 2", "2026-27 Autumn 1", "2026-27 Spring 1"]


def test_themes_count_shortfalls_against_the_previous_cycle(
    session: Session, make_user: MakeUser, make_case: MakeCase, t1: int
) -> None:
    author, health, panel = make_user(), make_user(agency="health"), make_user(Role.PANEL_MEMBER)
    q1, q2, q3 = first_questions(session, t1, 3)
    cycle, before = "2030-31 Spring 1", "2030-31 Autumn 2"  # cycles no other test uses
    nm, pm = Rating.NOT_MET.value, Rating.PARTIALLY_MET.value
    a1 = audit_with(session, author, make_case().id, t1, cycle, {q1: nm, q2: pm})
    audit_with(session, author, make_case().id, t1, cycle, {q1: pm})
    audit_with(session, author, make_case().id, t1, cycle, {q1: nm, q3: nm})
    audit_with(session, author, make_case().id, t1, before, {q1: nm})
    audit_with(session, author, make_case().id, t1, before, {})
    a1.moderated_grade = "requires_improvement"
    session.commit()

    found = {t.question_id: t for t in themes.themes(session, panel, cycle=cycle)}
    assert next(iter(found)) == q1  # the most shortfalls first
    top = found[q1]
    assert (top.current.not_met, top.current.partially_met, top.current.rated, top.current.moderated) == (2, 1, 3, 1)
    assert top.current.percent == 100 and top.previous.percent == 50 and top.change == 50
    assert (found[q2].current.shortfall, found[q2].previous.rated, found[q2].previous.shortfall) == (1, 2, 0)
    assert top.checklist and top.question_text and top.section_title
    # One agency's audits only: none of these were health's.
    assert themes.themes(session, panel, cycle=cycle, agency="health") == []
    # Plan section filter: only questions mapped to that section.
    letter = top.plan_sections[0]
    assert all(letter in t.plan_sections for t in themes.themes(session, panel, cycle=cycle, plan_section=letter))
    # The board reads the figures, never the audits behind them.
    viewer = make_user(Role.BOARD_VIEWER)
    assert [t.question_id for t in themes.themes(session, viewer, cycle=cycle)] == list(found)
    with pytest.raises(PermissionDenied):
        themes.theme_evidence(session, viewer, template_id=T1, question_id=q1, cycle=cycle)
    # Evidence: moderated first, then Not met; an auditor of another agency sees none of it.
    evidence = themes.theme_evidence(session, panel, template_id=T1, question_id=q1, cycle=cycle)
    assert [e.rating for e in evidence] == [nm, nm, pm] and evidence[0].audit_id == a1.id
    assert evidence[0].moderated and evidence[0].reported_grade == "requires_improvement"
    assert themes.theme_evidence(session, health, template_id=T1, question_id=q1, cycle=cycle) == []
    assert len(themes.theme_evidence(session, author, template_id=T1, question_id=q1, cycle=cycle)) == 3
    assert cycle in themes.theme_cycles(session)


# --- Exemplars ------------------------------------------------------------------------------------------

EXTRACT = ("Section F sets out weekly speech and language therapy: 3 sessions of 30 minutes a week, delivered by "
           "a qualified therapist, reviewed each term against the outcomes in section E.")


def moderated_audit(session: Session, author: User, case_id: int, tv_id: int, grade: str = "good") -> Audit:
    audit = audit_with(session, author, case_id, tv_id, CYCLE, {})
    for row in audit.section_grades:
        row.moderated_grade = grade
    audit.moderated_grade = grade
    session.commit()
    return audit


def test_a_moderated_good_section_is_nominated_then_approved_by_a_panel_lead(
    session: Session, make_user: MakeUser, make_case: MakeCase, t1: int
) -> None:
    from qaframework.operations import exemplars
    from qaframework.operations.base import WorkflowError

    author, panel = make_user(), make_user(Role.PANEL_MEMBER)
    lead = make_user(Role.PANEL_MEMBER)
    lead.leads_panel = True
    session.commit()
    case = make_case()
    audit = moderated_audit(session, author, case.id, t1)
    section = audit.section_grades[0]
    assert (audit.id, section.section_id) in {(c.audit_id, c.section_id) for c in exemplars.candidates(session, author)}
    everything = set(exemplars.ANONYMISATION_CHECKS)
    # The extract is checked: the case reference, a written date, every item of the checklist confirmed.
    for extract, confirmed, message in [
        (EXTRACT + f" See {case.case_ref}.", everything, f"Take the case reference {case.case_ref} out of the extract"),
        (EXTRACT + " Reviewed on 12/03/2026.", everything, "Take the date ‘12/03/2026’ out of the extract"),
        ("Too short.", everything, "Enter the extract: at least 40 characters of the section"),
        (EXTRACT, everything - {"no_names"}, "Confirm every item of the anonymisation checklist"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            exemplars.nominate(session, author, audit_id=audit.id, section_id=section.section_id, extract=extract,
                               confirmed=confirmed)
        assert message in [e.message for e in refused.value.errors]
    exemplar = exemplars.nominate(session, author, audit_id=audit.id, section_id=section.section_id,
                                  extract=EXTRACT, confirmed=everything)
    assert (exemplar.status, exemplar.grade, exemplar.plan_sections) == ("nominated", "good", section.plan_sections)
    with pytest.raises(WorkflowError):  # once is enough
        exemplars.nominate(session, author, audit_id=audit.id, section_id=section.section_id, extract=EXTRACT,
                           confirmed=everything)
    assert (audit.id, section.section_id) not in {(c.audit_id, c.section_id)
                                                  for c in exemplars.candidates(session, author)}
    # Not yet for everyone: another auditor cannot read it; a panel member can, but only a lead decides.
    other = make_user(agency="health")
    with pytest.raises(PermissionDenied):
        exemplars.get_exemplar(session, other, exemplar.id)
    assert exemplar.id in [e.id for e in exemplars.waiting(session, panel)]
    with pytest.raises(PermissionDenied):
        exemplars.decide(session, panel, exemplar.id, approve=True)
    with pytest.raises(InvalidInput):
        exemplars.decide(session, lead, exemplar.id, approve=False, reason=" ")
    exemplars.decide(session, lead, exemplar.id, approve=True)
    assert exemplars.get_exemplar(session, other, exemplar.id).status == "approved"
    letter = section.plan_sections[0]
    grouped = exemplars.approved_by_plan_section(session, other, letter)
    assert list(grouped) == [letter] and exemplar.id in [e.id for e in grouped[letter]]
    with pytest.raises(WorkflowError):
        exemplars.decide(session, lead, exemplar.id, approve=False, reason="Changed my mind")
    with pytest.raises(PermissionDenied):
        exemplars.approved_by_plan_section(session, make_user(Role.BOARD_VIEWER))


def test_only_moderated_sections_graded_good_or_better_qualify(
    session: Session, make_user: MakeUser, make_case: MakeCase, t1: int
) -> None:
    from qaframework.operations import exemplars
    from qaframework.operations.base import WorkflowError

    author = make_user()
    unmoderated = audit_with(session, author, make_case().id, t1, CYCLE, {})
    weak = moderated_audit(session, author, make_case().id, t1, grade="requires_improvement")
    for audit in (unmoderated, weak):
        assert audit.id not in {c.audit_id for c in exemplars.candidates(session, author)}
        with pytest.raises(WorkflowError):
            exemplars.nominate(session, author, audit_id=audit.id, section_id=audit.section_grades[0].section_id,
                               extract=EXTRACT, confirmed=set(exemplars.ANONYMISATION_CHECKS))
    # A rejected nomination frees the section to be put forward again, and its nominator sees why.
    lead = make_user(Role.PANEL_MEMBER)
    lead.leads_panel = True
    session.commit()
    good = moderated_audit(session, author, make_case().id, t1)
    first = exemplars.nominate(session, author, audit_id=good.id, section_id=good.section_grades[0].section_id,
                               extract=EXTRACT, confirmed=set(exemplars.ANONYMISATION_CHECKS))
    exemplars.decide(session, lead, first.id, approve=False, reason="Say 'the young person', not the first name.")
    mine = {e.id: e for e in exemplars.waiting(session, author)}
    assert mine[first.id].decision_reason == "Say 'the young person', not the first name."
    assert (good.id, first.section_id) in {(c.audit_id, c.section_id) for c in exemplars.candidates(session, author)}
