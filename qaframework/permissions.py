"""Who may see and do what: roles and agency scope, decided in one place.

Pure functions over users and records, so the web app, the ``qa`` command and the tests all ask
the same questions. The operations layer calls these before every write.
"""

from __future__ import annotations

from qaframework.checklists.model import Template
from qaframework.framework import ROLE_TIERS, Role, Tier
from qaframework.store import Action, Audit, User

#: Roles that see every agency's audits (panels moderate across agencies; admins support everyone).
CROSS_AGENCY_ROLES = frozenset({Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN})


def role_of(user: User) -> Role:
    return Role(user.role)


def can_view_cases(user: User) -> bool:
    """Case records are for people who audit; board viewers see aggregates only."""
    return user.active and role_of(user) is not Role.BOARD_VIEWER


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


def can_start_audits(user: User) -> bool:
    """Roles with a tier of their own to audit; administrators and board viewers never start one."""
    return user.active and bool(ROLE_TIERS[role_of(user)])


def can_view_audit(user: User, audit: Audit) -> bool:
    if not user.active:
        return False
    role = role_of(user)
    if role in CROSS_AGENCY_ROLES:
        return True
    if role is Role.AUDITOR:
        return audit.auditor_id == user.id or (
            audit.agency_code is not None and audit.agency_code == user.agency_code
        )
    return False


def can_edit_audit(user: User, audit: Audit) -> bool:
    """Only the author edits, and only while it is a draft or was returned to them."""
    return user.active and audit.auditor_id == user.id and audit.status in {"draft", "returned"}


def can_discard_audit(user: User, audit: Audit) -> bool:
    """A draft may be thrown away by the person who started it, or by an administrator."""
    return user.active and audit.status == "draft" and (audit.auditor_id == user.id or role_of(user) is Role.ADMIN)


def can_return_audit(user: User, audit: Audit) -> bool:
    """A panel member (or admin) sends a submitted audit back with comments."""
    return user.active and role_of(user) in {Role.PANEL_MEMBER, Role.ADMIN} and audit.status == "submitted"


def can_manage_users(user: User) -> bool:
    return user.active and role_of(user) is Role.ADMIN


def can_view_team(user: User) -> bool:
    """Team managers oversee their own team's checks; admins every team's."""
    return user.active and (role_of(user) is Role.ADMIN or (user.is_team_manager and user.team is not None))


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
