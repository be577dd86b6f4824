"""Cases and their requests for assessment, shaped to hold what the DfE SEN2 return holds.

A case is one child or young person, known only by the council's pseudonymous ``case_ref``: no
names, no addresses, and only the month of birth. The statutory milestones belong to a request,
because a case may have several requests over the years (a refusal, then a later one that leads
to a plan).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaframework.framework import phase_for_year_group
from qaframework.store.base import Base, utcnow


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(40), unique=True)
    year_group: Mapped[str | None] = mapped_column(String(10))
    #: First day of the birth month: enough for age-based rules, less identifying than a birth date.
    birth_month: Mapped[date | None] = mapped_column(Date)
    primary_need: Mapped[str | None] = mapped_column(String(10), index=True)
    setting_type: Mapped[str | None] = mapped_column(String(60), index=True)
    team: Mapped[str | None] = mapped_column(String(80), index=True)
    last_review_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    requests: Mapped[list[Request]] = relationship(
        back_populates="case", order_by="Request.request_date", cascade="all, delete-orphan"
    )
    needs: Mapped[list[CaseNeed]] = relationship(cascade="all, delete-orphan", order_by="CaseNeed.rank")
    placements: Mapped[list[Placement]] = relationship(cascade="all, delete-orphan")
    reviews: Mapped[list[Review]] = relationship(cascade="all, delete-orphan", order_by="Review.meeting_date")

    @property
    def phase(self) -> str | None:
        return phase_for_year_group(self.year_group)

    @property
    def latest_request(self) -> Request | None:
        return self.requests[-1] if self.requests else None


class Request(Base):
    """One request for an EHC needs assessment and its statutory milestones (SEN2 module 2-4)."""

    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("case_id", "request_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    request_date: Mapped[date] = mapped_column(Date)
    #: SEN2 RequestSource 1-5 (young person/parent, setting, health, social care, other).
    request_source: Mapped[int | None] = mapped_column(Integer)
    decision_to_assess_date: Mapped[date | None] = mapped_column(Date)
    #: Decision whether to issue (SEN2 AssessmentOutcomeDate).
    assessment_outcome_date: Mapped[date | None] = mapped_column(Date)
    final_issued_date: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(30), default="in_progress")
    exception: Mapped[str | None] = mapped_column(String(40))
    request_mediation: Mapped[bool | None] = mapped_column(Boolean)
    request_tribunal: Mapped[bool | None] = mapped_column(Boolean)
    assessment_mediation: Mapped[bool | None] = mapped_column(Boolean)
    assessment_tribunal: Mapped[bool | None] = mapped_column(Boolean)
    other_mediation: Mapped[bool | None] = mapped_column(Boolean)
    other_tribunal: Mapped[bool | None] = mapped_column(Boolean)
    personal_budget: Mapped[bool | None] = mapped_column(Boolean)
    cease_date: Mapped[date | None] = mapped_column(Date)
    #: SEN2 CeaseReason 1-9.
    cease_reason: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship(back_populates="requests")


class CaseNeed(Base):
    """A type of SEN (SEN2 SENneed): rank 1 is the primary need."""

    __tablename__ = "case_needs"
    __table_args__ = (UniqueConstraint("case_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    need: Mapped[str] = mapped_column(String(10))
    rank: Mapped[int] = mapped_column(Integer, default=1)


class Placement(Base):
    """Where the plan is delivered (SEN2 PlacementDetail): a URN/UKPRN or a setting code."""

    __tablename__ = "placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    urn: Mapped[str | None] = mapped_column(String(8))
    ukprn: Mapped[str | None] = mapped_column(String(8))
    sen_setting: Mapped[str | None] = mapped_column(String(10))
    placement_rank: Mapped[int] = mapped_column(Integer, default=1)
    entry_date: Mapped[date | None] = mapped_column(Date)
    leaving_date: Mapped[date | None] = mapped_column(Date)
    sen_unit: Mapped[bool | None] = mapped_column(Boolean)
    resourced_provision: Mapped[bool | None] = mapped_column(Boolean)


class Review(Base):
    """An annual review of a plan (SEN2 ReviewMeeting, ReviewOutcome, LastReview, phase transfer)."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    meeting_date: Mapped[date | None] = mapped_column(Date)
    #: A amend, C cease, M maintain.
    outcome: Mapped[str | None] = mapped_column(String(1))
    decision_date: Mapped[date | None] = mapped_column(Date)
    draft_date: Mapped[date | None] = mapped_column(Date)
    phase_transfer_due_date: Mapped[date | None] = mapped_column(Date)
    phase_transfer_final_date: Mapped[date | None] = mapped_column(Date)
