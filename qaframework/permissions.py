"""Who may see and do what: roles and agency scope, decided in one place.

Pure functions over users and records, so the web app, the ``qa`` command and the tests all ask
the same questions. The operations layer calls these before every write. Nothing here touches the
database: the records are only read through their attributes (the store is imported for type
checking only), which keeps the rules testable with plain objects.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from qaframework.framework import (
    PEER_REVIEWABLE,
    ROLE_TIERS,
    AuditStatus,
    ExemplarStatus,
    PeerChallengeStatus,
    Role,
    SampleKind,
    Tier,
)

if TYPE_CHECKING:
    from qaframework.checklists.model import Template
    from qaframework.store import Action, Audit, Exemplar, Job, PeerChallenge, User

#: Roles that see every agency's audits (panels moderate across agencies; admins support everyone).
CROSS_AGENCY_ROLES = frozenset({Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN})
#: Roles that see only the cases assigned to them (their own Tier 4 reviews, the samples they sit
#: on): a parent carer forum representative is a volunteer from the families' own community, so
#: reading every family's records would be disproportionate (docs/domain-notes.md §6.4).
ASSIGNED_ONLY_ROLES = frozenset({Role.PARENT_CARER_FORUM})
#: Everyone who works with individual cases, audits and actions; board viewers see aggregates only.
CASEWORK_ROLES = frozenset(Role) - {Role.BOARD_VIEWER}
#: Roles that carry out audits themselves: those with a tier in ``ROLE_TIERS``.
AUDITING_ROLES = frozenset(role for role, tiers in ROLE_TIERS.items() if tiers)
#: Roles that may send a submitted audit back to its author.
RETURN_ROLES = frozenset({Role.PANEL_MEMBER, Role.ADMIN})
#: An audit its author may still change.
EDITABLE_STATUSES = frozenset({AuditStatus.DRAFT, AuditStatus.RETURNED})
#: Who reads the half-term pages (cycles and samples).
PANEL_PAGE_ROLES = frozenset({Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN})
#: Who draws (and assigns) each kind of sample: the panel moderates audits, with administrators to
#: help; panels and system leaders choose the cases for Tier 3 audits and Tier 4 reviews.
SAMPLE_DRAWERS: dict[SampleKind, frozenset[Role]] = {
    SampleKind.AUDITS: frozenset({Role.PANEL_MEMBER, Role.ADMIN}),
    SampleKind.CASES: frozenset({Role.PANEL_MEMBER, Role.SYSTEM_LEADER}),
}
#: Who a sample may be given to: moderation is the panel's; cases go to panel members (Tier 3) and
#: system leaders (Tier 4, with the parent carer forum).
SAMPLE_ASSIGNEES: dict[SampleKind, frozenset[Role]] = {
    SampleKind.AUDITS: frozenset({Role.PANEL_MEMBER}),
    SampleKind.CASES: frozenset({Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.PARENT_CARER_FORUM}),
}
#: Tiers whose audits a panel carries out together: every member present edits the one shared audit.
PANEL_TIERS = frozenset({Tier.MULTI_AGENCY})
#: Who may sit on a panel audit as a member present: panel members, agencies' auditors and system
#: leaders (strategic leads); not administrators (support) or board viewers (aggregates only).
PANEL_PARTICIPANT_ROLES = frozenset({Role.PANEL_MEMBER, Role.AUDITOR, Role.SYSTEM_LEADER})
#: Who re-grades sampled audits blind and agrees the moderated grade.
MODERATING_ROLES = frozenset({Role.PANEL_MEMBER})
#: The tiers a panel moderates: agencies' own checks and audits.
MODERATED_TIERS = frozenset({Tier.AGENCY_CHECK, Tier.SINGLE_AGENCY})
#: Submitted work the panel may re-grade; a moderated audit is re-agreed, not re-graded.
REGRADABLE_STATUSES = frozenset({AuditStatus.SUBMITTED, AuditStatus.CLOSED})
#: Who reads agreement figures: the board reads them too, by cycle and agency (no names).
AGREEMENT_ROLES = frozenset({Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN, Role.BOARD_VIEWER})
#: Who reads agreement by template section and question and each moderated audit: casework roles only.
AGREEMENT_DETAIL_ROLES = frozenset({Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN})


def role_of(user: User) -> Role:
    return Role(user.role)


def can_view_cases(user: User) -> bool:
    """Case records are for people who audit; board viewers see aggregates only."""
    return user.active and role_of(user) in CASEWORK_ROLES


def sees_assigned_cases_only(user: User) -> bool:
    return role_of(user) in ASSIGNED_ONLY_ROLES


def can_view_case(user: User, case_id: int, assigned_case_ids: Collection[int] = ()) -> bool:
    """Any case for casework roles, except that a forum representative sees only the cases assigned
    to them (``operations.tier4.assigned_case_ids`` works that set out from the database)."""
    if not can_view_cases(user):
        return False
    return not sees_assigned_cases_only(user) or case_id in assigned_case_ids


def can_start_audits(user: User) -> bool:
    """Whether to offer "Start an audit" at all; the template and case are checked when it starts."""
    return user.active and role_of(user) in AUDITING_ROLES


def can_use_template(user: User, template: Template) -> bool:
    """Tier by role; agency-specific templates only for that agency's auditors."""
    role = role_of(user)
    if not user.active or Tier(template.tier) not in ROLE_TIERS[role]:
        return False
    if role is Role.AUDITOR:
        if user.agency_code is None:
            return False
        return not template.agencies or user.agency_code in template.agencies
    return True


def can_view_audit(user: User, audit: Audit, assigned_case_ids: Collection[int] = ()) -> bool:
    """Panels, leaders and admins read every audit; an auditor their own agency's; a forum
    representative their own reviews and the audits of cases assigned to them."""
    if not user.active:
        return False
    role = role_of(user)
    if role in CROSS_AGENCY_ROLES:
        return True
    if role in ASSIGNED_ONLY_ROLES:
        return audit.auditor_id == user.id or audit.case_id in assigned_case_ids
    if role is Role.AUDITOR:
        return (
            audit.auditor_id == user.id
            or (audit.agency_code is not None and audit.agency_code == user.agency_code)
            or is_participant(user, audit)
        )
    return False


def is_author(user: User, audit: Audit) -> bool:
    return user.active and audit.auditor_id == user.id


def is_panel_audit(audit: Audit) -> bool:
    """A Tier 3 audit: one shared audit that the members present at the panel carry out together."""
    return audit.tier in PANEL_TIERS


def is_participant(user: User, audit: Audit) -> bool:
    """Recorded as present at the panel carrying out this audit (and still an active user)."""
    return user.active and is_panel_audit(audit) and any(p.user_id == user.id for p in audit.participants)


def can_edit_audit(user: User, audit: Audit) -> bool:
    """The author edits, and on a panel audit every member recorded as present, while it is a draft
    or was returned."""
    return (is_author(user, audit) or is_participant(user, audit)) and audit.status in EDITABLE_STATUSES


def can_join_panel(user: User) -> bool:
    """Whether someone can be recorded as a member present at a panel audit."""
    return user.active and role_of(user) in PANEL_PARTICIPANT_ROLES


def can_discard_audit(user: User, audit: Audit) -> bool:
    """A draft may be thrown away by the person who started it, or by an administrator."""
    return user.active and audit.status == "draft" and (audit.auditor_id == user.id or role_of(user) is Role.ADMIN)


def can_return_audit(user: User, audit: Audit) -> bool:
    """A panel member (or admin) sends a submitted audit back with comments."""
    return user.active and role_of(user) in RETURN_ROLES and audit.status == AuditStatus.SUBMITTED


def can_administer(user: User) -> bool:
    """Administrators alone change the service: users, settings, term dates, templates, imports, the trail."""
    return user.active and role_of(user) is Role.ADMIN


def can_manage_users(user: User) -> bool:
    return can_administer(user)


def is_panel_lead(user: User) -> bool:
    """An active panel member an administrator marked as leading the panel. Panel leads alone read
    named auditors' drift (generous or severe) and approve what is reserved to the panel's lead."""
    return user.active and role_of(user) is Role.PANEL_MEMBER and bool(user.leads_panel)


def is_blind_to(user: User, audit: Audit, *, sampled: bool, own_regrade_saved: bool) -> bool:
    """Whether the audit's answers and grades must be withheld from this user (REDCap double entry).

    A panel member re-grades a sampled audit before seeing the auditor's ratings, evidence, comments
    or grades, so that the two gradings are independent. Until their own blind grades are saved and
    while the panel has not yet agreed a grade, every page that would show those withholds them.
    The facts that need the database (sampled? saved?) are asked by ``operations.blinding``.
    """
    return (
        user.active
        and role_of(user) in MODERATING_ROLES
        and sampled
        and audit.moderated_grade is None
        and not own_regrade_saved
        and audit.auditor_id != user.id
    )


def can_regrade(user: User, audit: Audit, *, sampled: bool) -> bool:
    """A panel member re-grades blind a sampled, submitted Tier 1 or 2 audit the panel has not yet agreed."""
    return (
        user.active
        and role_of(user) in MODERATING_ROLES
        and sampled
        and Tier(audit.tier) in MODERATED_TIERS
        and audit.status in REGRADABLE_STATUSES
        and audit.moderated_grade is None
        and audit.auditor_id != user.id
    )


def can_agree_grades(user: User, audit: Audit, *, own_regrade_saved: bool) -> bool:
    """A panel member who has saved their own blind re-grade records (or corrects) the agreed grades."""
    return (
        user.active
        and role_of(user) in MODERATING_ROLES
        and own_regrade_saved
        and audit.status in REGRADABLE_STATUSES | {AuditStatus.MODERATED}
    )


def can_view_agreement(user: User) -> bool:
    """Agreement by cycle and agency: figures without names, so the board reads them too."""
    return user.active and role_of(user) in AGREEMENT_ROLES


def can_view_agreement_detail(user: User) -> bool:
    """Agreement by template section and question, and the moderated audits behind the figures."""
    return user.active and role_of(user) in AGREEMENT_DETAIL_ROLES


def can_view_auditor_agreement(user: User) -> bool:
    """Agreement per auditor and who drifts (generous or severe), by name: panel leads only."""
    return is_panel_lead(user)




def is_qa_lead(user: User) -> bool:
    """The QA lead of Tier 4: the panel's lead (a panel member an administrator marked as leading
    the panel). Administrators are not QA leads: they support the service, they do not read what
    families said (docs/architecture.md, "Tier 4 reviews")."""
    return is_panel_lead(user)


def can_download_extract(user: User) -> bool:
    """The analysts' extract (one row per response, pseudonymous case keys): administrators and QA
    leads only. It is record-level data about children, so board viewers get the aggregated pack."""
    return user.active and (role_of(user) is Role.ADMIN or is_qa_lead(user))


def can_record_consent(user: User, case_id: int, assigned_case_ids: Collection[int] = ()) -> bool:
    """Whoever carries out Tier 4 reviews records the family's decision, on a case they may see."""
    return (
        user.active
        and Tier.SYSTEM_LEADER in ROLE_TIERS[role_of(user)]
        and can_view_case(user, case_id, assigned_case_ids)
    )


def can_read_review_notes(user: User, audit: Audit) -> bool:
    """Raw conversation notes and the family's own words: the reviewer and the QA lead alone
    (docs/domain-notes.md §6.3)."""
    return user.active and (audit.auditor_id == user.id or is_qa_lead(user))


def can_read_board_summary(user: User, audit: Audit, approved: bool) -> bool:
    """The board summary: the reviewer and QA lead while it is prepared; anyone signed in once it
    passed the anonymisation checklist and was approved (it names no one and no case)."""
    return can_read_review_notes(user, audit) or (user.active and approved)


def can_approve_board_summary(user: User, audit: Audit) -> bool:
    """A second pair of eyes: the QA lead approves, never the reviewer who wrote it."""
    return is_qa_lead(user) and audit.auditor_id != user.id


def can_view_team(user: User) -> bool:
    """Team managers oversee their own team's checks; admins every team's."""
    return user.active and (role_of(user) is Role.ADMIN or (user.is_team_manager and user.team is not None))


def can_review_challenge(user: User, challenge: PeerChallenge) -> bool:
    """The colleague asked reviews: the first request, or the author's response (the next round).
    ``operations.peer.review_refusal`` adds the audit's side: a check being revised waits."""
    return user.active and challenge.reviewer_id == user.id and challenge.status in PEER_REVIEWABLE


def can_respond_to_challenge(user: User, challenge: PeerChallenge) -> bool:
    """The author of the check answers a challenge."""
    return user.active and challenge.requested_by_id == user.id and challenge.status == PeerChallengeStatus.CHALLENGED


def can_raise_action(user: User, audit: Audit) -> bool:
    """Anyone who works with audits and may see this one may raise an action from it."""
    return role_of(user) in CASEWORK_ROLES and can_view_audit(user, audit)


def can_own_action(user: User) -> bool:
    """Actions go to active people who do casework; board viewers only see aggregates."""
    return user.active and role_of(user) in CASEWORK_ROLES


def can_view_action(user: User, action: Action) -> bool:
    if not user.active:
        return False
    if role_of(user) in CROSS_AGENCY_ROLES or action.owner_id == user.id or action.created_by_id == user.id:
        return True
    return role_of(user) is Role.AUDITOR and action.agency_code is not None and action.agency_code == user.agency_code


def can_update_action(user: User, action: Action) -> bool:
    return user.active and (
        action.owner_id == user.id or action.created_by_id == user.id or role_of(user) is Role.ADMIN
    )


def can_view_compliance_figures(user: User) -> bool:
    """Compliance and grade figures per audit carry no case reference, so the board reads them too;
    auditors see their own agency's (the query narrows them)."""
    return user.active


# --- The learning loop ----------------------------------------------------------------------------

#: The Learning and Improvement Group: panel members, system leaders and administrators read every
#: agency's actions and training needs and record training delivered.
LEARNING_GROUP_ROLES = frozenset({Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN})


def can_view_learning(user: User) -> bool:
    """Actions, training needs and exemplars are casework: board viewers see the themes' figures only."""
    return user.active and role_of(user) in CASEWORK_ROLES


def can_view_themes(user: User) -> bool:
    """Themes are counts of ratings by question, with no case in them, so the board reads them too."""
    return user.active


def can_view_theme_evidence(user: User) -> bool:
    """The audits behind a theme are case records: casework roles only (each audit still checked)."""
    return can_view_cases(user)


def is_learning_group(user: User) -> bool:
    return user.active and role_of(user) in LEARNING_GROUP_ROLES


def can_manage_training(user: User, action: Action) -> bool:
    """Mark an action as a training need and record the training delivered: the group, or the
    action's owner or raiser (who know when the session ran)."""
    return is_learning_group(user) or can_update_action(user, action)


def can_nominate_exemplar(user: User, audit: Audit) -> bool:
    """Whoever works with cases and may read the audit may put one of its sections forward."""
    return can_view_learning(user) and can_view_audit(user, audit)


def can_decide_exemplar(user: User) -> bool:
    """A panel lead approves (or turns down) what every auditor will be shown as good practice."""
    return is_panel_lead(user)


def can_view_exemplar(user: User, exemplar: Exemplar) -> bool:
    """Approved exemplars are for everyone doing casework; a nomination only for its nominator, the
    panel (who decide) and administrators, until it is approved."""
    if not can_view_learning(user):
        return False
    if exemplar.status == ExemplarStatus.APPROVED:
        return True
    return exemplar.nominated_by_id == user.id or role_of(user) in {Role.PANEL_MEMBER, Role.ADMIN}


# --- Half-term samples ----------------------------------------------------------------------------


def can_view_samples(user: User) -> bool:
    """The cycle and sample pages: panel members, system leaders and administrators."""
    return user.active and role_of(user) in PANEL_PAGE_ROLES


def can_draw_sample(user: User, kind: SampleKind | str) -> bool:
    """Audit samples (moderation): panel members and admins; case samples: panel members and system leaders."""
    return user.active and role_of(user) in SAMPLE_DRAWERS[SampleKind(kind)]


def can_assign_sample(user: User, kind: SampleKind | str) -> bool:
    """Whoever may draw a kind of sample shares its work out."""
    return can_draw_sample(user, kind)


def can_be_assigned_sample(user: User, kind: SampleKind | str) -> bool:
    """Whether a sample of this kind (or one of its items) may be given to this person."""
    return user.active and role_of(user) in SAMPLE_ASSIGNEES[SampleKind(kind)]


# --- Reports and background jobs -----------------------------------------------------------------

#: Who reads the board's aggregates and so may make the board pack (and the timeliness figures):
#: the board, system leaders and administrators; QA leads too (:func:`can_make_board_pack`).
BOARD_PACK_ROLES = frozenset({Role.BOARD_VIEWER, Role.SYSTEM_LEADER, Role.ADMIN})


def can_make_board_pack(user: User) -> bool:
    """The board pack holds aggregates only (small cells suppressed): the board and those who lead QA."""
    return user.active and (role_of(user) in BOARD_PACK_ROLES or is_qa_lead(user))


def can_view_board_dashboard(user: User) -> bool:
    """The board's dashboard shows the pack's own figures on screen (aggregates, small cells
    suppressed), so whoever may make the pack reads it, and nobody else: one rule for both."""
    return can_make_board_pack(user)


def can_view_job(user: User, job: Job) -> bool:
    """A job and its result are the requester's; an administrator may see them too, to help.
    Nobody else, whatever their role: an extract is for the person who asked for it."""
    return user.active and (job.requested_by_id == user.id or role_of(user) is Role.ADMIN)
