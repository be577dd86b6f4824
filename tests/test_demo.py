"""The demo area is realistic enough to show every part of the product."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_directory
from qaframework.demo import load_demo
from qaframework.framework import ActionStatus, AuditStatus, CommentKind, ConsentDecision, PeerChallengeStatus, Role
from qaframework.operations.audits import missing_items
from qaframework.operations.templates import sync_templates
from qaframework.operations.users import ensure_default_agencies
from qaframework.store import (
    Action,
    Audit,
    Case,
    ConsentRecord,
    ModerationRecord,
    PeerChallenge,
    PeerComment,
    TemplateVersion,
    User,
)
from qaframework.store.db import make_engine, session_factory
from qaframework.store.migrate import upgrade
from tests.support import scratch_database

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    with scratch_database(tmp_path_factory.mktemp("demo"), "qa_demo") as url:
        engine = make_engine(url)
        upgrade(engine)
        with session_factory(engine)() as session:
            ensure_default_agencies(session)
            sync_templates(session, None, load_directory(DEFAULT_TEMPLATE_DIR))
            load_demo(session, seed=7, case_total=120, today=TODAY)
            yield session
        engine.dispose()


def test_every_role_and_tier_is_present(demo_session: Session) -> None:
    roles = set(demo_session.scalars(select(User.role)))
    assert roles == {r.value for r in Role}
    tiers = Counter(demo_session.scalars(select(Audit.tier)))
    assert set(tiers) == {1, 2, 3, 4} and tiers[1] > tiers[2] > tiers[4]
    assert demo_session.scalar(select(func.count(Case.id))) == 120


def test_several_half_terms_and_a_mix_of_statuses(demo_session: Session) -> None:
    cycles = set(demo_session.scalars(select(Audit.cycle)))
    assert len(cycles) == 6 and "2026-27 Autumn 2" in cycles
    statuses = set(demo_session.scalars(select(Audit.status)))
    assert {"draft", "submitted", "closed", "moderated"} <= statuses


def test_submitted_audits_are_complete_and_graded(demo_session: Session) -> None:
    for audit in demo_session.scalars(select(Audit).where(Audit.status != "draft")):
        assert missing_items(audit) == [], audit.id  # Tier 4: conversation questions on the conversation
        assert audit.reported_grade is not None


def test_moderation_actions_and_peer_challenge_exist(demo_session: Session) -> None:
    assert (demo_session.scalar(select(func.count(ModerationRecord.id))) or 0) >= 5
    assert (demo_session.scalar(select(func.count(Action.id))) or 0) >= 10
    assert (demo_session.scalar(select(func.count(PeerChallenge.id))) or 0) >= 10


def test_demo_writes_only_states_the_workflow_produces(demo_session: Session) -> None:
    """Every stored status is a member of its enum; closed peer challenges carry what the operations record."""
    assert set(demo_session.scalars(select(Audit.status))) <= set(AuditStatus)
    assert set(demo_session.scalars(select(Action.status))) <= set(ActionStatus)
    assert set(demo_session.scalars(select(PeerComment.kind))) <= set(CommentKind)
    assert set(demo_session.scalars(select(ConsentRecord.decision))) <= set(ConsentDecision)
    challenges = list(demo_session.scalars(select(PeerChallenge)))
    assert {c.status for c in challenges} == set(PeerChallengeStatus)  # every state, and nothing else ("closed" was)
    for challenge in challenges:
        kinds = [c.kind for c in challenge.comments]
        # agreed is the only end state; a responded round waits for the reviewer (PEER_TRANSITIONS)
        assert (challenge.closed_at is not None) is (challenge.status == PeerChallengeStatus.AGREED)
        if challenge.closed_at is not None:
            assert challenge.created_at <= challenge.closed_at and challenge.closed_at.date() <= TODAY
        expected = {
            PeerChallengeStatus.REQUESTED: [],
            PeerChallengeStatus.AGREED: [CommentKind.AGREE],
            PeerChallengeStatus.CHALLENGED: [CommentKind.CHALLENGE],
            PeerChallengeStatus.RESPONDED: [CommentKind.CHALLENGE, CommentKind.RESPONSE],
        }[PeerChallengeStatus(challenge.status)]
        assert kinds == expected, challenge.id


def test_same_seed_same_area(tmp_path: Path) -> None:
    def refs(seed: int, name: str) -> list[str]:
        with scratch_database(tmp_path, name) as url:
            engine = make_engine(url)
            upgrade(engine)
            with session_factory(engine)() as session:
                ensure_default_agencies(session)
                sync_templates(session, None, load_directory(DEFAULT_TEMPLATE_DIR))
                load_demo(session, seed=seed, case_total=15, today=TODAY)
                result = list(session.scalars(select(Case.case_ref).order_by(Case.id)))
            engine.dispose()
            return result

    assert refs(3, "qa_seed_a") == refs(3, "qa_seed_b")


def test_no_demo_timestamp_is_in_the_future(demo_session: Session) -> None:
    """The demo's "now" is never after the real clock, nor after the end of the day it was loaded for."""
    from datetime import UTC, datetime, time

    from qaframework.store import PeerComment, Response, TrailEntry

    latest = min(datetime.now(UTC), datetime.combine(TODAY, time(23, 59), tzinfo=UTC))
    columns = [
        Audit.created_at,
        Audit.updated_at,
        Audit.submitted_at,
        Response.updated_at,
        Action.created_at,
        Action.completed_at,
        ModerationRecord.created_at,
        ModerationRecord.agreed_at,
        PeerChallenge.created_at,
        PeerComment.created_at,
        TrailEntry.at,
    ]
    for column in columns:
        query = select(func.max(column))
        if column is TrailEntry.at:  # the demo's history (set-up and the load itself really happened now)
            query = query.where(TrailEntry.entity == "audit")
        newest = demo_session.scalar(query)
        assert newest is not None and newest.replace(tzinfo=newest.tzinfo or UTC) <= latest, (str(column), newest)


def test_current_half_term_uses_the_newest_checklists_and_earlier_ones_keep_version_1(demo_session: Session) -> None:
    """New audits use the newest version, as real ones do; audits started before it keep theirs."""
    rows = demo_session.execute(
        select(Audit.cycle, Audit.subject, TemplateVersion.template_id, TemplateVersion.version, Audit.case_id)
        .join(TemplateVersion, Audit.template_version_id == TemplateVersion.id)
    ).all()
    by_template = select(TemplateVersion.template_id, func.max(TemplateVersion.version)).group_by(
        TemplateVersion.template_id
    )
    newest: dict[str, int] = {row[0]: row[1] for row in demo_session.execute(by_template)}
    assert newest["t1-coordinator-plan-check"] == 2
    current = "2026-27 Autumn 2"
    assert {(r.template_id, r.version) for r in rows if r.cycle == current} <= set(newest.items())
    assert {r.version for r in rows if r.cycle != current} == {1}
    assert {r.template_id for r in rows if r.cycle != current} <= {t for t, v in newest.items() if v > 1}
    started_now = {r.template_id for r in rows if r.cycle == current}
    assert {"t1-pre-issue-check", "t1-annual-review-check", "t3-refusal-decision-audit"} <= started_now
    for row in rows:
        if row.subject == "refusal_decision":
            case = demo_session.get(Case, row.case_id)
            assert case is not None and case.requests[-1].outcome in ("refused_to_assess", "refused_to_issue")


def test_tier3_panel_audits_have_members_from_several_agencies_and_agency_grades(demo_session: Session) -> None:
    from qaframework.operations.audits import panel_problems

    panel = list(demo_session.scalars(select(Audit).where(Audit.tier == 3)))
    assert panel
    for audit in panel:
        agencies = {p.agency_code for p in audit.participants}
        assert None not in agencies and len(agencies) >= 3, audit.id
        assert audit.auditor_id in {p.user_id for p in audit.participants}
        if audit.status != AuditStatus.DRAFT:
            assert panel_problems(demo_session, audit) == [], audit.id  # every agency graded or not involved
    drafts = [a for a in panel if a.status == AuditStatus.DRAFT]
    assert drafts and all(0 < len(a.contributions) < 5 for a in drafts)
    grades = Counter(c.grade for a in panel for c in a.contributions if c.involved)
    assert len(grades) >= 3, grades
    assert any(not c.involved and c.note for a in panel for c in a.contributions)


def test_the_panel_audits_cases_it_sampled(demo_session: Session) -> None:
    from qaframework.framework import SampleKind
    from qaframework.store import Sample, SampleItem

    sampled = set(demo_session.scalars(
        select(SampleItem.case_id).join(Sample, Sample.id == SampleItem.sample_id)
        .where(Sample.kind == SampleKind.CASES.value)))
    audited = [a for a in demo_session.scalars(select(Audit).where(Audit.tier == 3)) if a.case_id in sampled]
    assert len({a.cycle for a in audited}) >= 5, "a sampled case audited by the panel in most half terms"
    assert all(a.participants and a.contributions for a in audited)


def test_the_learning_loop_has_something_to_show(demo_session: Session) -> None:
    """Training needs with training delivered, themes across cycles, exemplars approved and waiting."""
    from qaframework.framework import ExemplarStatus
    from qaframework.operations import exemplars, themes, training
    from qaframework.store import Exemplar

    lead = demo_session.scalars(select(User).where(User.leads_panel.is_(True))).one()
    needs = training.training_by_agency(demo_session, lead)
    assert len(needs) >= 3 and sum(g.delivered for g in needs) >= 2 and sum(g.people for g in needs) > 0
    assert any(g.delivered < g.needs for g in needs)  # some still waiting for training
    delivered = [a.training_delivered_on for g in needs for a in g.actions if a.training_delivered_on]
    assert max(delivered) <= TODAY
    done = list(demo_session.scalars(select(Action).where(Action.status == ActionStatus.DONE)))
    assert done and all(a.outcome and a.closing_note for a in done)
    cycles = themes.theme_cycles(demo_session)
    latest = themes.themes(demo_session, lead, cycle=cycles[0])
    assert latest and any(t.previous.rated for t in latest)  # compared with the cycle before
    statuses = Counter(demo_session.scalars(select(Exemplar.status)))
    assert statuses[ExemplarStatus.APPROVED] >= 2 and statuses[ExemplarStatus.NOMINATED] >= 1
    assert exemplars.waiting(demo_session, lead)
    newest = demo_session.scalar(select(func.max(Exemplar.nominated_at)))
    assert newest is not None and newest.date() <= TODAY
