"""Who may see and do what, table by table: role × agency × authorship × status.

``qaframework.permissions`` is pure, so these tests hand it plain objects with the attributes it
reads (no database): the same rules the operations and pages ask about, checked directly.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pytest

from qaframework import permissions as p
from qaframework.framework import AuditStatus, ExemplarStatus, PeerChallengeStatus, Role, SampleKind, Tier

if TYPE_CHECKING:
    from qaframework.checklists.model import Template
    from qaframework.store import Action, Audit, Exemplar, Job, PeerChallenge, User

ME, COLLEAGUE = 1, 2
ALL_STATUSES = list(AuditStatus)


@dataclass
class Person:
    role: str
    agency_code: str | None = None
    id: int = ME
    active: bool = True
    team: str | None = None
    is_team_manager: bool = False
    leads_panel: bool = False


@dataclass
class Record:
    """Stands in for an audit, action or peer challenge: only the attributes the rules read."""

    auditor_id: int = COLLEAGUE
    agency_code: str | None = "health"
    status: str = AuditStatus.SUBMITTED
    owner_id: int = COLLEAGUE
    created_by_id: int = COLLEAGUE
    reviewer_id: int = COLLEAGUE
    requested_by_id: int = COLLEAGUE
    case_id: int = 7
    tier: int = Tier.SINGLE_AGENCY
    #: A panel audit's members present (objects with ``user_id``).
    participants: list[Any] = field(default_factory=list)


@dataclass
class Present:
    user_id: int


@dataclass
class FakeTemplate:
    tier: int
    agencies: list[str] = field(default_factory=list)


def person(role: Role, agency: str | None = None, **kw: Any) -> User:
    return cast("User", Person(role=role.value, agency_code=agency, **kw))


def audit(**kw: Any) -> Audit:
    return cast("Audit", Record(**kw))


def action(**kw: Any) -> Action:
    return cast("Action", Record(**kw))


def challenge(**kw: Any) -> PeerChallenge:
    return cast("PeerChallenge", Record(**kw))


def template(tier: Tier, agencies: list[str]) -> Template:
    return cast("Template", FakeTemplate(int(tier), agencies))


def test_permissions_module_does_not_load_the_orm() -> None:
    """The rules are pure: importing them must not pull in SQLAlchemy or the store."""
    code = (
        "import sys, qaframework.permissions; "
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'qaframework.store'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_role_sets_are_derived_from_the_roles() -> None:
    assert {Role.AUDITOR, Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN, Role.PARENT_CARER_FORUM} == (
        p.CASEWORK_ROLES
    )
    assert {Role.AUDITOR, Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.PARENT_CARER_FORUM} == p.AUDITING_ROLES
    assert {Role.PARENT_CARER_FORUM} == p.ASSIGNED_ONLY_ROLES
    assert {Role.PANEL_MEMBER, Role.ADMIN} == p.RETURN_ROLES


# (role, user's agency, audit's agency, author?) -> may view
VIEW_AUDIT = [
    (Role.AUDITOR, "health", "health", False, True),  # same agency
    (Role.AUDITOR, "health", "education", False, False),  # another agency
    (Role.AUDITOR, "health", "education", True, True),  # own audit, whatever agency it is filed under
    (Role.AUDITOR, "health", None, False, False),  # panel audit: not an agency's
    (Role.AUDITOR, None, None, False, False),  # an auditor with no agency sees nothing of others
    (Role.PANEL_MEMBER, None, "education", False, True),
    (Role.SYSTEM_LEADER, None, "health", False, True),
    (Role.ADMIN, None, "health", False, True),
    (Role.BOARD_VIEWER, None, "health", False, False),
    (Role.BOARD_VIEWER, None, None, True, False),  # even "their own" (cannot happen, still refused)
    (Role.PARENT_CARER_FORUM, None, None, True, True),  # their own review
    (Role.PARENT_CARER_FORUM, None, "health", False, False),  # nothing assigned: nobody else's
]


@pytest.mark.parametrize(("role", "agency", "audit_agency", "author", "expected"), VIEW_AUDIT)
def test_who_may_view_an_audit(
    role: Role, agency: str | None, audit_agency: str | None, author: bool, expected: bool
) -> None:
    record = audit(auditor_id=ME if author else COLLEAGUE, agency_code=audit_agency)
    assert p.can_view_audit(person(role, agency), record) is expected
    assert p.can_view_audit(person(role, agency, active=False), record) is False


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("author", [True, False])
@pytest.mark.parametrize("role", list(Role))
def test_only_the_author_edits_and_only_drafts_or_returned(role: Role, author: bool, status: AuditStatus) -> None:
    record = audit(auditor_id=ME if author else COLLEAGUE, agency_code="health", status=status)
    expected = author and status in (AuditStatus.DRAFT, AuditStatus.RETURNED)
    assert p.can_edit_audit(person(role, "health"), record) is expected
    assert p.is_author(person(role, "health"), record) is author
    assert p.can_edit_audit(person(role, "health", active=False), record) is False


# (role, tier, recorded as present?, status) -> may edit; the author here is always a colleague.
PANEL_EDIT = [
    (Role.PANEL_MEMBER, Tier.MULTI_AGENCY, True, AuditStatus.DRAFT, True),  # a member present edits
    (Role.PANEL_MEMBER, Tier.MULTI_AGENCY, True, AuditStatus.RETURNED, True),  # returned to the panel
    (Role.PANEL_MEMBER, Tier.MULTI_AGENCY, True, AuditStatus.SUBMITTED, False),  # submitted: nobody
    (Role.PANEL_MEMBER, Tier.MULTI_AGENCY, True, AuditStatus.MODERATED, False),
    (Role.PANEL_MEMBER, Tier.MULTI_AGENCY, False, AuditStatus.DRAFT, False),  # a panel member not present
    (Role.AUDITOR, Tier.MULTI_AGENCY, True, AuditStatus.DRAFT, True),  # an agency's auditor at the panel
    (Role.SYSTEM_LEADER, Tier.MULTI_AGENCY, True, AuditStatus.DRAFT, True),  # a strategic lead at the panel
    (Role.ADMIN, Tier.MULTI_AGENCY, False, AuditStatus.DRAFT, False),  # admins support, they do not audit
    # Tier 1, 2 and 4 audits are one person's: a stray participant row gives nobody else the pen.
    (Role.PANEL_MEMBER, Tier.SINGLE_AGENCY, True, AuditStatus.DRAFT, False),
    (Role.AUDITOR, Tier.AGENCY_CHECK, True, AuditStatus.DRAFT, False),
    (Role.SYSTEM_LEADER, Tier.SYSTEM_LEADER, True, AuditStatus.DRAFT, False),
]


@pytest.mark.parametrize(("role", "tier", "present", "status", "expected"), PANEL_EDIT)
def test_members_present_edit_a_panel_audit(
    role: Role, tier: Tier, present: bool, status: AuditStatus, expected: bool
) -> None:
    record = audit(tier=tier, agency_code=None, status=status,
                   participants=[Present(COLLEAGUE)] + ([Present(ME)] if present else []))
    assert p.can_edit_audit(person(role, "health"), record) is expected
    assert p.is_participant(person(role, "health"), record) is (present and tier is Tier.MULTI_AGENCY)
    assert p.can_edit_audit(person(role, "health", active=False), record) is False
    assert p.is_author(person(role, "health"), record) is False


# (role, recorded as present?) -> may view a panel audit (filed under no agency)
PANEL_VIEW = [
    (Role.AUDITOR, True, True),  # an auditor at the panel reads the audit they helped write
    (Role.AUDITOR, False, False),  # other auditors do not: it is not their agency's
    (Role.PANEL_MEMBER, False, True),  # panel members see every audit
    (Role.BOARD_VIEWER, True, False),  # board viewers never read individual audits
]


@pytest.mark.parametrize(("role", "present", "expected"), PANEL_VIEW)
def test_who_may_view_a_panel_audit(role: Role, present: bool, expected: bool) -> None:
    record = audit(tier=Tier.MULTI_AGENCY, agency_code=None, participants=[Present(ME)] if present else [])
    assert p.can_view_audit(person(role, "health"), record) is expected


@pytest.mark.parametrize("role", list(Role))
def test_who_may_be_recorded_at_a_panel(role: Role) -> None:
    expected = role in (Role.PANEL_MEMBER, Role.AUDITOR, Role.SYSTEM_LEADER)
    assert p.can_join_panel(person(role, "health")) is expected
    assert p.can_join_panel(person(role, "health", active=False)) is False


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("role", list(Role))
def test_panel_members_and_admins_return_submitted_audits_only(role: Role, status: AuditStatus) -> None:
    expected = role in (Role.PANEL_MEMBER, Role.ADMIN) and status is AuditStatus.SUBMITTED
    assert p.can_return_audit(person(role), audit(status=status)) is expected


# A parent carer forum representative: (author?, audit's case, cases assigned to them) -> may view.
FORUM_VIEW_AUDIT = [
    (True, 7, set(), True),  # their own review
    (False, 7, {7}, True),  # another audit of a case assigned to them
    (False, 7, {8}, False),  # a case not assigned to them
    (False, 7, set(), False),  # nothing assigned: nothing of anyone else's
]


@pytest.mark.parametrize(("author", "case_id", "assigned", "expected"), FORUM_VIEW_AUDIT)
def test_forum_representative_sees_only_assigned_audits(
    author: bool, case_id: int, assigned: set[int], expected: bool
) -> None:
    record = audit(auditor_id=ME if author else COLLEAGUE, case_id=case_id, agency_code=None)
    forum = person(Role.PARENT_CARER_FORUM)
    assert p.can_view_audit(forum, record, assigned) is expected
    assert p.can_view_audit(person(Role.PARENT_CARER_FORUM, active=False), record, assigned) is False


# (role, case, cases assigned) -> may view the case; may record a family's consent on it
VIEW_CASE = [
    (Role.SYSTEM_LEADER, 7, set(), True, True),
    (Role.PANEL_MEMBER, 7, set(), True, False),
    (Role.AUDITOR, 7, set(), True, False),
    (Role.ADMIN, 7, set(), True, False),
    (Role.BOARD_VIEWER, 7, {7}, False, False),
    (Role.PARENT_CARER_FORUM, 7, {7}, True, True),
    (Role.PARENT_CARER_FORUM, 7, {8}, False, False),
    (Role.PARENT_CARER_FORUM, 7, set(), False, False),
]


@pytest.mark.parametrize(("role", "case_id", "assigned", "view", "consent"), VIEW_CASE)
def test_who_may_view_a_case_and_record_consent(
    role: Role, case_id: int, assigned: set[int], view: bool, consent: bool
) -> None:
    assert p.can_view_case(person(role, "health"), case_id, assigned) is view
    assert p.can_record_consent(person(role, "health"), case_id, assigned) is consent
    assert p.can_view_case(person(role, "health", active=False), case_id, assigned) is False


# (role, user's agency, template tier, template agencies) -> may use
USE_TEMPLATE = [
    (Role.AUDITOR, "send_service", Tier.AGENCY_CHECK, ["send_service"], True),
    (Role.AUDITOR, "health", Tier.AGENCY_CHECK, ["send_service"], False),  # another agency's checklist
    (Role.AUDITOR, "health", Tier.AGENCY_CHECK, [], True),  # open to every agency
    (Role.AUDITOR, "health", Tier.SINGLE_AGENCY, ["health"], True),
    (Role.AUDITOR, None, Tier.AGENCY_CHECK, [], False),  # no agency, no auditing
    (Role.AUDITOR, "health", Tier.MULTI_AGENCY, [], False),
    (Role.PANEL_MEMBER, None, Tier.MULTI_AGENCY, [], True),
    (Role.PANEL_MEMBER, None, Tier.AGENCY_CHECK, [], False),
    (Role.SYSTEM_LEADER, None, Tier.SYSTEM_LEADER, [], True),
    (Role.SYSTEM_LEADER, None, Tier.MULTI_AGENCY, [], False),
    (Role.ADMIN, None, Tier.AGENCY_CHECK, [], False),
    (Role.BOARD_VIEWER, None, Tier.SYSTEM_LEADER, [], False),
    (Role.PARENT_CARER_FORUM, None, Tier.SYSTEM_LEADER, [], True),
    (Role.PARENT_CARER_FORUM, None, Tier.MULTI_AGENCY, [], False),
]


@pytest.mark.parametrize(("role", "agency", "tier", "agencies", "expected"), USE_TEMPLATE)
def test_who_may_use_a_template(
    role: Role, agency: str | None, tier: Tier, agencies: list[str], expected: bool
) -> None:
    checklist = template(tier, agencies)
    assert p.can_use_template(person(role, agency), checklist) is expected
    assert p.can_use_template(person(role, agency, active=False), checklist) is False


@pytest.mark.parametrize("role", list(Role))
def test_role_wide_rules(role: Role) -> None:
    user = person(role, "send_service")
    casework = role is not Role.BOARD_VIEWER
    assert p.can_view_cases(user) is casework
    assert p.can_own_action(user) is casework
    assert p.can_start_audits(user) is (
        role in (Role.AUDITOR, Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.PARENT_CARER_FORUM)
    )
    assert p.can_administer(user) is (role is Role.ADMIN)
    assert p.can_manage_users(user) is (role is Role.ADMIN)
    inactive = person(role, "send_service", active=False)
    assert not any(
        rule(inactive) for rule in (p.can_view_cases, p.can_own_action, p.can_start_audits, p.can_administer)
    )


# (role, is team manager, team) -> may view team oversight
TEAM = [
    (Role.AUDITOR, True, "North", True),
    (Role.AUDITOR, True, None, False),  # a manager of no team has nothing to oversee
    (Role.AUDITOR, False, "North", False),
    (Role.ADMIN, False, None, True),
    (Role.PANEL_MEMBER, True, "North", True),
    (Role.BOARD_VIEWER, False, None, False),
]


@pytest.mark.parametrize(("role", "manager", "team", "expected"), TEAM)
def test_who_may_view_team_oversight(role: Role, manager: bool, team: str | None, expected: bool) -> None:
    assert p.can_view_team(person(role, "send_service", is_team_manager=manager, team=team)) is expected


# (role, leads_panel flag, active) -> is a panel lead
PANEL_LEAD = [
    (Role.PANEL_MEMBER, True, True, True),
    (Role.PANEL_MEMBER, False, True, False),  # an ordinary panel member
    (Role.PANEL_MEMBER, True, False, False),  # deactivated: leads nothing
    (Role.ADMIN, True, True, False),  # the flag means nothing outside the panel (the library refuses to set it)
    (Role.SYSTEM_LEADER, True, True, False),
    (Role.AUDITOR, True, True, False),
    (Role.BOARD_VIEWER, True, True, False),
]


@pytest.mark.parametrize(("role", "leads", "active", "expected"), PANEL_LEAD)
def test_who_leads_the_panel(role: Role, leads: bool, active: bool, expected: bool) -> None:
    assert p.is_panel_lead(person(role, None, leads_panel=leads, active=active)) is expected


@pytest.mark.parametrize("status", list(PeerChallengeStatus))
@pytest.mark.parametrize("who", ["reviewer", "author", "someone else"])
def test_peer_challenge_turns(who: str, status: PeerChallengeStatus) -> None:
    """The reviewer answers a request or a response; the author answers a challenge; nobody else acts."""
    record = challenge(
        reviewer_id=ME if who == "reviewer" else 3, requested_by_id=ME if who == "author" else 4, status=status
    )
    user = person(Role.AUDITOR, "send_service")
    reviewers_turn = status in (PeerChallengeStatus.REQUESTED, PeerChallengeStatus.RESPONDED)
    assert p.can_review_challenge(user, record) is (who == "reviewer" and reviewers_turn)
    assert p.can_respond_to_challenge(user, record) is (who == "author" and status is PeerChallengeStatus.CHALLENGED)
    assert not p.can_review_challenge(person(Role.AUDITOR, "send_service", active=False), record)


# (role, user's agency, action's agency, relation to the action) -> (may view, may update)
ACTIONS = [
    (Role.AUDITOR, "health", "health", "owner", True, True),
    (Role.AUDITOR, "health", "education", "owner", True, True),  # owner in another agency still sees it
    (Role.AUDITOR, "health", "education", "raiser", True, True),
    (Role.AUDITOR, "health", "health", None, True, False),  # same agency: read only
    (Role.AUDITOR, "health", "education", None, False, False),
    (Role.AUDITOR, "health", None, None, False, False),
    (Role.PANEL_MEMBER, None, "education", None, True, False),
    (Role.SYSTEM_LEADER, None, "education", None, True, False),
    (Role.ADMIN, None, "education", None, True, True),
    (Role.BOARD_VIEWER, None, "education", None, False, False),
]


@pytest.mark.parametrize(("role", "agency", "action_agency", "relation", "view", "update"), ACTIONS)
def test_who_may_see_and_update_an_action(
    role: Role, agency: str | None, action_agency: str | None, relation: str | None, view: bool, update: bool
) -> None:
    record = action(
        agency_code=action_agency,
        owner_id=ME if relation == "owner" else COLLEAGUE,
        created_by_id=ME if relation == "raiser" else COLLEAGUE,
    )
    user = person(role, agency)
    assert p.can_view_action(user, record) is view
    assert p.can_update_action(user, record) is update
    inactive = person(role, agency, active=False)
    assert not p.can_view_action(inactive, record) and not p.can_update_action(inactive, record)


@pytest.mark.parametrize(
    ("role", "agency", "audit_agency", "expected"),
    [
        (Role.AUDITOR, "health", "health", True),
        (Role.AUDITOR, "health", "education", False),  # cannot see it, so cannot raise from it
        (Role.PANEL_MEMBER, None, "education", True),
        (Role.ADMIN, None, "education", True),
        (Role.BOARD_VIEWER, None, "education", False),
    ],
)
def test_who_may_raise_an_action(role: Role, agency: str | None, audit_agency: str, expected: bool) -> None:
    assert p.can_raise_action(person(role, agency), audit(agency_code=audit_agency)) is expected


# role -> (sees the panel pages, draws/assigns audit samples, draws/assigns case samples,
#          may be given an audit sample, may be given a case sample)
SAMPLES = [
    (Role.PANEL_MEMBER, True, True, True, True, True),
    (Role.SYSTEM_LEADER, True, False, True, False, True),
    (Role.ADMIN, True, True, False, False, False),
    (Role.AUDITOR, False, False, False, False, False),
    (Role.BOARD_VIEWER, False, False, False, False, False),
]


@pytest.mark.parametrize(("role", "view", "draw_audits", "draw_cases", "given_audits", "given_cases"), SAMPLES)
def test_who_may_draw_assign_and_be_given_samples(
    role: Role, view: bool, draw_audits: bool, draw_cases: bool, given_audits: bool, given_cases: bool
) -> None:
    user = person(role)
    assert p.can_view_samples(user) is view
    assert p.can_draw_sample(user, SampleKind.AUDITS) is draw_audits
    assert p.can_draw_sample(user, "cases") is draw_cases
    assert p.can_assign_sample(user, SampleKind.AUDITS) is draw_audits
    assert p.can_assign_sample(user, SampleKind.CASES) is draw_cases
    assert p.can_be_assigned_sample(user, SampleKind.AUDITS) is given_audits
    assert p.can_be_assigned_sample(user, SampleKind.CASES) is given_cases
    inactive = person(role, active=False)
    assert not any([p.can_view_samples(inactive), p.can_draw_sample(inactive, "cases"),
                    p.can_draw_sample(inactive, "audits"), p.can_be_assigned_sample(inactive, "cases")])


# --- The learning loop ---------------------------------------------------------------------------------


@dataclass
class FakeExemplar:
    status: str
    nominated_by_id: int = COLLEAGUE


@pytest.mark.parametrize("role", list(Role))
def test_learning_pages_by_role(role: Role) -> None:
    """Themes' counts for every role; actions, training needs and exemplars for casework; the group
    (panel, leaders, admins) reads every agency's."""
    user = person(role, "health")
    assert p.can_view_themes(user) is True
    assert p.can_view_learning(user) is (role is not Role.BOARD_VIEWER)
    assert p.can_view_theme_evidence(user) is (role is not Role.BOARD_VIEWER)
    assert p.is_learning_group(user) is (role in (Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN))
    inactive = person(role, "health", active=False)
    assert not any(rule(inactive) for rule in (p.can_view_themes, p.can_view_learning, p.is_learning_group))


# (role, owns the action, raised it) -> may mark a training need and record the training delivered
TRAINING = [
    (Role.AUDITOR, False, False, False),  # a colleague in the agency sees it, but does not run it
    (Role.AUDITOR, True, False, True),
    (Role.AUDITOR, False, True, True),
    (Role.PANEL_MEMBER, False, False, True),
    (Role.SYSTEM_LEADER, False, False, True),
    (Role.ADMIN, False, False, True),
    (Role.BOARD_VIEWER, False, False, False),
]


@pytest.mark.parametrize(("role", "owns", "raised", "expected"), TRAINING)
def test_who_may_manage_training(role: Role, owns: bool, raised: bool, expected: bool) -> None:
    record = action(owner_id=ME if owns else COLLEAGUE, created_by_id=ME if raised else COLLEAGUE, agency_code="health")
    assert p.can_manage_training(person(role, "health"), record) is expected
    assert p.can_manage_training(person(role, "health", active=False), record) is False


# (role, leads the panel, exemplar status, nominated it) -> may read it; may decide
EXEMPLARS = [
    (Role.AUDITOR, False, ExemplarStatus.APPROVED, False, True, False),
    (Role.AUDITOR, False, ExemplarStatus.NOMINATED, False, False, False),  # not until approved
    (Role.AUDITOR, False, ExemplarStatus.NOMINATED, True, True, False),  # their own
    (Role.AUDITOR, False, ExemplarStatus.REJECTED, True, True, False),  # and why it was turned down
    (Role.PANEL_MEMBER, False, ExemplarStatus.NOMINATED, False, True, False),  # the panel reads, the lead decides
    (Role.PANEL_MEMBER, True, ExemplarStatus.NOMINATED, False, True, True),
    (Role.SYSTEM_LEADER, False, ExemplarStatus.NOMINATED, False, False, False),
    (Role.SYSTEM_LEADER, False, ExemplarStatus.APPROVED, False, True, False),
    (Role.ADMIN, False, ExemplarStatus.NOMINATED, False, True, False),
    (Role.BOARD_VIEWER, False, ExemplarStatus.APPROVED, False, False, False),  # casework, however anonymised
]


@pytest.mark.parametrize(("role", "leads", "status", "mine", "may_read", "may_decide"), EXEMPLARS)
def test_who_reads_and_decides_exemplars(
    role: Role, leads: bool, status: ExemplarStatus, mine: bool, may_read: bool, may_decide: bool
) -> None:
    user = person(role, "send_service", leads_panel=leads)
    exemplar = cast("Exemplar", FakeExemplar(status.value, ME if mine else COLLEAGUE))
    assert p.can_view_exemplar(user, exemplar) is may_read
    assert p.can_decide_exemplar(user) is may_decide
    assert p.can_nominate_exemplar(user, audit(agency_code="send_service")) is (role is not Role.BOARD_VIEWER)
    assert p.can_decide_exemplar(person(role, "send_service", leads_panel=leads, active=False)) is False


# (role, leads the panel?) -> may produce the analysts' extract (record-level, pseudonymous)
EXTRACT = [
    (Role.ADMIN, False, True),
    (Role.PANEL_MEMBER, True, True),  # the panel's lead is the QA lead
    (Role.PANEL_MEMBER, False, False),
    (Role.SYSTEM_LEADER, False, False),
    (Role.AUDITOR, False, False),
    (Role.BOARD_VIEWER, False, False),  # aggregates only: the board pack
    (Role.PARENT_CARER_FORUM, False, False),
]


@pytest.mark.parametrize(("role", "leads", "expected"), EXTRACT)
def test_who_may_produce_the_analysts_extract(role: Role, leads: bool, expected: bool) -> None:
    assert p.can_download_extract(person(role, leads_panel=leads)) is expected
    assert p.can_download_extract(person(role, leads_panel=leads, active=False)) is False


# --- Reports and background jobs -----------------------------------------------------------------

BOARD_PACK = [
    # role, leads the panel, active, may make the board pack
    (Role.BOARD_VIEWER, False, True, True),
    (Role.SYSTEM_LEADER, False, True, True),
    (Role.ADMIN, False, True, True),
    (Role.PANEL_MEMBER, True, True, True),  # the QA lead
    (Role.PANEL_MEMBER, False, True, False),
    (Role.AUDITOR, False, True, False),
    (Role.PARENT_CARER_FORUM, False, True, False),
    (Role.BOARD_VIEWER, False, False, False),  # deactivated
]


@pytest.mark.parametrize(("role", "leads", "active", "expected"), BOARD_PACK)
def test_who_may_make_the_board_pack(role: Role, leads: bool, active: bool, expected: bool) -> None:
    assert p.can_make_board_pack(person(role, leads_panel=leads, active=active)) is expected


JOBS = [
    # role, asked for it, active, may see it and download its file
    (Role.BOARD_VIEWER, True, True, True),
    (Role.BOARD_VIEWER, False, True, False),
    (Role.SYSTEM_LEADER, False, True, False),
    (Role.PANEL_MEMBER, False, True, False),
    (Role.AUDITOR, True, True, True),
    (Role.ADMIN, False, True, True),  # administrators help with anyone's
    (Role.ADMIN, True, False, False),  # deactivated: not even their own
]


@pytest.mark.parametrize(("role", "mine", "active", "expected"), JOBS)
def test_who_may_see_a_job_and_download_its_file(role: Role, mine: bool, active: bool, expected: bool) -> None:
    job = Record(requested_by_id=ME if mine else COLLEAGUE)
    user = person(role, "health" if role is Role.AUDITOR else None, active=active)
    assert p.can_view_job(user, cast("Job", job)) is expected
# (role, leads the panel) -> may read the board's dashboard
BOARD_DASHBOARD = [
    (Role.BOARD_VIEWER, False, True),
    (Role.SYSTEM_LEADER, False, True),
    (Role.ADMIN, False, True),
    (Role.PANEL_MEMBER, True, True),  # the QA lead answers to the board
    (Role.PANEL_MEMBER, False, False),
    (Role.AUDITOR, False, False),
    (Role.AUDITOR, True, False),  # "leads the panel" means nothing for an auditor
    (Role.PARENT_CARER_FORUM, False, False),
]


@pytest.mark.parametrize(("role", "leads", "expected"), BOARD_DASHBOARD)
def test_who_reads_the_board_dashboard(role: Role, leads: bool, expected: bool) -> None:
    assert p.can_view_board_dashboard(person(role, "health", leads_panel=leads)) is expected
    assert p.can_view_board_dashboard(person(role, "health", leads_panel=leads, active=False)) is False
