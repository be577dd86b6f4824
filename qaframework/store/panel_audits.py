"""What a Tier 3 panel audit records beyond its answers: who was present, and each agency's grade.

A panel audit is one shared audit: every member present may edit it, so the members are rows here
(users only; guests are not recorded, to keep no personal data beyond the workflow). The Tier 3
checklists ask the panel to grade each agency's contribution; the grade and a short note live in
``agency_contributions``, one row per agency, changed with the audit's version like its answers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaframework.store.base import Base, utcnow
from qaframework.store.people import Agency, User


class AuditParticipant(Base):
    """A member present at the panel that carries out one audit, with the agency they speak for."""

    __tablename__ = "audit_participants"
    __table_args__ = (UniqueConstraint("audit_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: The agency the member represents: their own, or (for a member without one) as recorded.
    #: None only until it is recorded; a panel audit cannot be submitted while any is missing.
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    agency: Mapped[Agency | None] = relationship(lazy="joined")


class AgencyContribution(Base):
    """The panel's grade of one agency's contribution to the plan, or why the agency was not involved."""

    __tablename__ = "agency_contributions"
    __table_args__ = (UniqueConstraint("audit_id", "agency_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    #: A grade on the audit's template scale; None when the agency was not involved.
    grade: Mapped[str | None] = mapped_column(String(30))
    involved: Mapped[bool] = mapped_column(Boolean, default=True)
    #: What was strong or must improve; for an agency not involved, why not.
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship(lazy="joined")
