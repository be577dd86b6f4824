"""What panels, leaders and the learning group record: samples, moderation, consent, actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaframework.framework import ACTION_OPEN, ActionStatus
from qaframework.store.audits import Audit
from qaframework.store.base import Base, utcnow
from qaframework.store.cases import Case
from qaframework.store.people import User


class Sample(Base):
    """A reproducible stratified draw for a cycle; the seed is kept so it can be drawn again.

    ``criteria`` holds every other parameter of the draw (see ``operations.samples``), so the
    same list can be drawn again from the row alone.
    """

    __tablename__ = "samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle: Mapped[str] = mapped_column(String(30), index=True)
    #: "cases" (for new audits) or "audits" (dip-sample of lower-tier audits for moderation).
    kind: Mapped[str] = mapped_column(String(20))
    seed: Mapped[int] = mapped_column(Integer)
    #: How many items the draw gave (the stratified draw, per-auditor minimums and risk additions).
    size: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: None when drawn by the ``qa`` command (an operator, not a signed-in person).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[SampleItem]] = relationship(cascade="all, delete-orphan", order_by="SampleItem.id")
    assignments: Mapped[list[SampleAssignment]] = relationship(
        cascade="all, delete-orphan", order_by="SampleAssignment.id"
    )
    created_by: Mapped[User | None] = relationship()


class SampleItem(Base):
    """One case or audit in a sample, and why it is in. An audit item also names the audit's case."""

    __tablename__ = "sample_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id"), index=True)
    #: "stratum" (the stratified draw), "auditor_minimum" or a risk rule (``operations.samples.RISK_RULES``).
    reason: Mapped[str] = mapped_column(String(30), default="stratum", server_default="stratum")
    #: The item's stratum, field → value (e.g. {"phase": "primary"}), whatever brought it in.
    stratum: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)

    case: Mapped[Case | None] = relationship()
    audit: Mapped[Audit | None] = relationship()


class SampleAssignment(Base):
    """A sample, or one item of it, given to a person to audit, review or moderate."""

    __tablename__ = "sample_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="CASCADE"), index=True)
    #: None: the whole sample.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("sample_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ModerationRecord(Base):
    """One panel member's blind re-grade of an audit, and (once agreed) the grade the panel agreed.

    One per moderator and audit; saved whole, so a record exists only once its blind grades are
    saved. ``agreed_grade``, ``reason`` and ``agreed_at`` are the panel's agreement, written on
    every moderator's record of the audit so each blind grade can be compared with it.
    """

    __tablename__ = "moderation_records"
    __table_args__ = (Index("uq_moderation_records_audit_moderator", "audit_id", "moderator_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The grade given before seeing the original (REDCap-style blind second entry).
    blind_grade: Mapped[str | None] = mapped_column(String(30))
    original_grade: Mapped[str | None] = mapped_column(String(30))
    agreed_grade: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    section_grades: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    agreed_at: Mapped[datetime | None]

    audit: Mapped[Audit] = relationship()
    moderator: Mapped[User] = relationship()
    ratings: Mapped[list[ModerationRating]] = relationship(cascade="all, delete-orphan")
    sections: Mapped[list[ModerationSectionGrade]] = relationship(cascade="all, delete-orphan")


class ModerationRating(Base):
    """A moderator's blind rating of one question, on the checklist's own rating scale."""

    __tablename__ = "moderation_ratings"
    __table_args__ = (UniqueConstraint("record_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("moderation_records.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(40))
    section_id: Mapped[str] = mapped_column(String(40))
    rating: Mapped[str] = mapped_column(String(20))


class ModerationSectionGrade(Base):
    """A moderator's blind grade of one template section."""

    __tablename__ = "moderation_section_grades"
    __table_args__ = (UniqueConstraint("record_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("moderation_records.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[str] = mapped_column(String(40))
    blind_grade: Mapped[str] = mapped_column(String(30))


class ConsentRecord(Base):
    """One person's decision about a Tier 4 conversation, per review: no conversation without a "yes".

    Recorded on the case page before the review starts (``audit_id`` is None until then); starting
    the review takes the case's unattached decisions, so a second review asks again. A withdrawal
    keeps the record and stamps ``withdrawn_at`` (docs/domain-notes.md §6.1).
    """

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id"))
    #: a :class:`~qaframework.framework.ConsentParty` value: whose decision this is
    given_by: Mapped[str] = mapped_column(String(20))
    #: a :class:`~qaframework.framework.ConsentDecision` value
    decision: Mapped[str] = mapped_column(String(10))
    method: Mapped[str | None] = mapped_column(String(120))
    #: The day the person was asked (None only on records made before it was kept).
    asked_on: Mapped[date | None] = mapped_column(Date)
    #: :class:`~qaframework.framework.ConsentScope` values agreed to (empty for a refusal).
    scope: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: After this day the "yes" no longer allows the conversation or keeping its notes.
    expires_on: Mapped[date | None] = mapped_column(Date)
    #: A young person's decision: a :class:`~qaframework.framework.Capacity` value.
    capacity: Mapped[str | None] = mapped_column(String(20))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]


class Action(Base):
    """Something an audit raised for someone to do. Overdue is derived from the due date."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id", ondelete="SET NULL"), index=True)
    question_id: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    due_date: Mapped[date] = mapped_column(Date)
    #: an :class:`~qaframework.framework.ActionStatus` value
    status: Mapped[str] = mapped_column(String(20), default=ActionStatus.OPEN.value, index=True)
    theme: Mapped[str | None] = mapped_column(String(80))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    #: What was done, or why it was cancelled: required when the action is closed.
    closing_note: Mapped[str | None] = mapped_column(Text)
    #: What changed as a result (for plans, children, practice): required when the action is Done.
    outcome: Mapped[str | None] = mapped_column(Text)
    #: A training need for the action's agency (or the service area named), which the Learning and
    #: Improvement Group follows until the training is delivered.
    training_need: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    training_area: Mapped[str | None] = mapped_column(String(120))
    training_delivered_on: Mapped[date | None] = mapped_column(Date)
    training_attendees: Mapped[int | None] = mapped_column(Integer)

    audit: Mapped[Audit | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])

    def is_overdue(self, today: date) -> bool:
        return self.status in ACTION_OPEN and self.due_date < today
