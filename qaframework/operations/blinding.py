"""The database facts behind :func:`qaframework.permissions.is_blind_to`: is an audit sampled for
moderation, and has this panel member saved their own blind grades for it?

Kept apart from ``operations.moderation`` so that ``operations.audits.get_audit`` (which every
page showing an audit goes through) can ask without an import cycle. A role that never moderates
costs no query.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, exists, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from qaframework.operations.base import PermissionDenied
from qaframework.permissions import MODERATING_ROLES, is_blind_to, role_of
from qaframework.store import Audit, ModerationRecord, Sample, SampleItem, User

AuditIdColumn = InstrumentedAttribute[int] | ColumnElement[int] | int

#: The sample kind whose items are submitted audits drawn for moderation.
AUDIT_SAMPLE = "audits"


class BlindModeration(PermissionDenied):
    """The audit's answers and grades are withheld from this panel member until they re-grade it."""

    def __init__(self, audit_id: int) -> None:
        super().__init__(
            "This audit is sampled for moderation and you have not saved your own grades for it yet, so its "
            "ratings, evidence and grades are hidden from you. Re-grade it first; then you will see both side by side."
        )
        self.audit_id = audit_id


def sampled_condition(audit_id: AuditIdColumn) -> ColumnElement[bool]:
    """SQL: the audit is an item of an audit sample (drawn for moderation)."""
    return exists().where(
        SampleItem.audit_id == audit_id, SampleItem.sample_id == Sample.id, Sample.kind == AUDIT_SAMPLE
    )


def own_regrade_condition(audit_id: AuditIdColumn, user_id: int) -> ColumnElement[bool]:
    """SQL: this user saved a blind re-grade of the audit (a record exists only once saved)."""
    return exists().where(ModerationRecord.audit_id == audit_id, ModerationRecord.moderator_id == user_id)


def is_sampled(session: Session, audit_id: int) -> bool:
    return bool(session.scalar(select(sampled_condition(audit_id))))


def has_own_regrade(session: Session, user_id: int, audit_id: int) -> bool:
    return bool(session.scalar(select(own_regrade_condition(audit_id, user_id))))


def is_blind(session: Session, user: User, audit: Audit) -> bool:
    """The rule in permissions, with its facts from the database (none asked for non-moderators)."""
    if role_of(user) not in MODERATING_ROLES or audit.moderated_grade is not None or audit.auditor_id == user.id:
        return False
    return is_blind_to(
        user,
        audit,
        sampled=is_sampled(session, audit.id),
        own_regrade_saved=has_own_regrade(session, user.id, audit.id),
    )


def refuse_if_blind(session: Session, user: User, audit: Audit) -> None:
    """Every page showing an audit's answers or grades goes through this (via ``get_audit``)."""
    if is_blind(session, user, audit):
        raise BlindModeration(audit.id)


def not_blind(user: User) -> ColumnElement[bool]:
    """SQL: audits this user may see the answers and grades of, as far as blinding goes (a WHERE
    condition for queries that return audits' ratings or evidence row by row)."""
    if role_of(user) not in MODERATING_ROLES:
        return true()
    return or_(
        Audit.moderated_grade.is_not(None),
        Audit.auditor_id == user.id,
        ~sampled_condition(Audit.id),
        own_regrade_condition(Audit.id, user.id),
    )


def blind_audit_ids(session: Session, user: User, audit_ids: Iterable[int]) -> set[int]:
    """Which of these audits (a list page's rows) this user must not see graded: one query."""
    ids = list(set(audit_ids))
    if role_of(user) not in MODERATING_ROLES or not ids or not user.active:
        return set()
    rows = session.scalars(
        select(Audit.id).where(
            Audit.id.in_(ids),
            Audit.moderated_grade.is_(None),
            Audit.auditor_id != user.id,
            sampled_condition(Audit.id),
            ~own_regrade_condition(Audit.id, user.id),
        )
    )
    return set(rows)
