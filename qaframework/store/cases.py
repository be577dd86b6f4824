"""Cases and their requests for assessment, shaped to hold what the DfE SEN2 return holds.

A case is one child or young person, known only by the council's pseudonymous ``case_ref``: no
names, no addresses, and of the birth date only the academic year (the cohort), which is all the
age rules need (Year 9, under 5, end of compulsory school age, the year they turn 25). The
statutory milestones belong to a request, because a case may have several requests over the years
(a refusal, then a later one that leads to a plan); the clocks after the plan belong to the case
(reviews, phase transfer, transfer in). ``facts()`` and friends turn rows into the pure
``qaframework.timeliness`` inputs, so the mapping lives in one place.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaframework.framework import RequestOutcome, TimelinessException, phase_for_year_group
from qaframework.store.base import Base, utcnow
from qaframework.timeliness import (
    AdviceException,
    AdviceFacts,
    PhaseTransfer,
    RequestFacts,
    RequestKind,
    RequestSource,
    ReviewFacts,
    ReviewOutcome,
    add_months,
)


def cohort_of(born: date) -> int:
    """Academic year of birth: the calendar year its 1 September falls in (born 1 Sep 2012–31 Aug 2013 → 2012)."""
    return born.year if born.month >= 9 else born.year - 1


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(40), unique=True)
    year_group: Mapped[str | None] = mapped_column(String(10))
    #: Academic year of birth, as the year it starts (2012 = born 1 Sep 2012–31 Aug 2013): every age
    #: rule in scope needs no more, and it is far less identifying than a month of birth.
    birth_cohort: Mapped[int | None] = mapped_column(Integer)
    primary_need: Mapped[str | None] = mapped_column(String(10), index=True)
    setting_type: Mapped[str | None] = mapped_column(String(60), index=True)
    team: Mapped[str | None] = mapped_column(String(80), index=True)
    #: The next move the plan must be reviewed and amended for (a ``PhaseTransfer`` value), and when.
    next_phase: Mapped[str | None] = mapped_column(String(30))
    phase_transfer_date: Mapped[date | None] = mapped_column(Date)
    #: A plan transferred in from another authority (reg 15): the day it moved, from where (SEN2
    #: TransferLA, 3-digit code), and the day the family was told.
    transferred_in_date: Mapped[date | None] = mapped_column(Date)
    transfer_from_la: Mapped[str | None] = mapped_column(String(3))
    transfer_family_told_date: Mapped[date | None] = mapped_column(Date)
    #: The SEN2 collection year of the return that last set these values (None: a spreadsheet or the
    #: app): an older return imported later only fills what is blank (docs/architecture.md).
    sen2_year: Mapped[int | None] = mapped_column(Integer)
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

    @property
    def plan_issued_date(self) -> date | None:
        """The latest final plan issued for this case (the annual review runs from it or a later review)."""
        issued = [r.final_issued_date for r in self.requests if r.final_issued_date is not None]
        return max(issued) if issued else None

    @property
    def last_review_decision_date(self) -> date | None:
        """SEN2 LastReview: the date of the latest review decision (the decision concludes a review)."""
        decided = [r.decision_date for r in self.reviews if r.decision_date is not None]
        return max(decided) if decided else None

    @property
    def next_phase_enum(self) -> PhaseTransfer | None:
        return PhaseTransfer(self.next_phase) if self.next_phase else None

    def phase_transfer_completed(self) -> date | None:
        """When the plan was reviewed and amended for the recorded move (SEN2 PhaseTransferFinalDate).

        Only a date within the 12 months before the move counts (reg 18(1)): an earlier one was for
        an earlier move.
        """
        if self.phase_transfer_date is None:
            return None
        earliest = add_months(self.phase_transfer_date, -12)
        done = [r.phase_transfer_final_date for r in self.reviews
                if r.phase_transfer_final_date is not None and r.phase_transfer_final_date >= earliest]
        return max(done) if done else None

    def review_facts(self) -> list[ReviewFacts]:
        return [r.facts() for r in self.reviews]


class Request(Base):
    """One request for an EHC needs assessment and its statutory milestones (SEN2 module 2-4)."""

    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("case_id", "request_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    request_date: Mapped[date] = mapped_column(Date)
    #: "assessment" or "reassessment" (a ``RequestKind`` value): a re-assessment has 14 weeks.
    kind: Mapped[str] = mapped_column(String(20), default="assessment", server_default="assessment")
    #: SEN2 RequestSource 1-5 (young person/parent, setting, health, social care, other).
    request_source: Mapped[int | None] = mapped_column(Integer)
    #: The day the authority became responsible for the child (CFA s24), when later than the request.
    responsible_date: Mapped[date | None] = mapped_column(Date)
    decision_to_assess_date: Mapped[date | None] = mapped_column(Date)
    #: Decision whether to issue (SEN2 AssessmentOutcomeDate).
    assessment_outcome_date: Mapped[date | None] = mapped_column(Date)
    draft_issued_date: Mapped[date | None] = mapped_column(Date)
    final_issued_date: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(30), default="in_progress")
    exception: Mapped[str | None] = mapped_column(String(40))
    #: The period the exception covered and the day the family was told of it (CoP 9.42–9.43).
    exception_start: Mapped[date | None] = mapped_column(Date)
    exception_end: Mapped[date | None] = mapped_column(Date)
    family_told_date: Mapped[date | None] = mapped_column(Date)
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
    #: The SEN2 collection year of the return that last set these values (None: a spreadsheet or the
    #: app): an older return imported later only fills what is blank (docs/architecture.md).
    sen2_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship(back_populates="requests")
    advice: Mapped[list[AdviceRequest]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="AdviceRequest.agency_code"
    )

    def facts(self) -> RequestFacts:
        """The request as the pure clock sees it; ValueError if its dates contradict each other."""
        return request_facts(self)


class RequestRow(Protocol):
    """What ``request_facts`` reads: a ``Request``, or a row selected with ``REQUEST_FACT_COLUMNS``."""

    request_date: date
    decision_to_assess_date: date | None
    final_issued_date: date | None
    outcome: str
    exception: str | None
    assessment_outcome_date: date | None
    draft_issued_date: date | None
    responsible_date: date | None
    request_source: int | None
    kind: str
    exception_start: date | None
    exception_end: date | None
    family_told_date: date | None


def request_facts(row: RequestRow) -> RequestFacts:
    """A stored request (object or selected row) as the pure clock sees it; ValueError if dates contradict.

    Reports stream rows selected with ``REQUEST_FACT_COLUMNS`` through this, so the mapping from the
    table to the clock's inputs is written once and no ORM object is loaded for a figure.
    """
    return RequestFacts(
        request_date=row.request_date,
        decision_to_assess_date=row.decision_to_assess_date,
        final_issued_date=row.final_issued_date,
        outcome=RequestOutcome(row.outcome),
        exception=None if row.exception is None else TimelinessException(row.exception),
        assessment_outcome_date=row.assessment_outcome_date,
        draft_issued_date=row.draft_issued_date,
        responsible_date=row.responsible_date,
        source=None if row.request_source is None else RequestSource(row.request_source),
        kind=RequestKind(row.kind or RequestKind.ASSESSMENT),
        exception_start=row.exception_start,
        exception_end=row.exception_end,
        family_told_date=row.family_told_date,
    )


#: The columns ``request_facts`` reads, for ``select(*REQUEST_FACT_COLUMNS)``.
REQUEST_FACT_COLUMNS = (
    Request.request_date, Request.decision_to_assess_date, Request.final_issued_date, Request.outcome,
    Request.exception, Request.assessment_outcome_date, Request.draft_issued_date, Request.responsible_date,
    Request.request_source, Request.kind, Request.exception_start, Request.exception_end, Request.family_told_date,
)


class AdviceRequest(Base):
    """One body asked for advice for an assessment (reg 6, 8): 6 weeks from its receipt of the request."""

    __tablename__ = "advice_requests"
    __table_args__ = (UniqueConstraint("request_id", "agency_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    #: The day the body received the authority's request for advice (day 0 of its 6 weeks).
    requested_date: Mapped[date] = mapped_column(Date)
    #: The day the authority received the advice.
    received_date: Mapped[date | None] = mapped_column(Date)
    #: A reg 8(2) exception (an ``AdviceException`` value).
    exception: Mapped[str | None] = mapped_column(String(40))

    request: Mapped[Request] = relationship(back_populates="advice")

    def facts(self) -> AdviceFacts:
        exception = None if self.exception is None else AdviceException(self.exception)
        return AdviceFacts(self.agency_code, self.requested_date, self.received_date, exception)


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
    """An annual review of a plan (SEN2 ReviewMeeting, ReviewOutcome, ReviewDraft, LastReview, phase transfer).

    ``decision_date`` is SEN2 LastReview: the day the decision was notified, which concludes the
    review and starts the next 12 months.
    """

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    notice_date: Mapped[date | None] = mapped_column(Date)
    papers_date: Mapped[date | None] = mapped_column(Date)
    meeting_date: Mapped[date | None] = mapped_column(Date)
    report_date: Mapped[date | None] = mapped_column(Date)
    #: A amend, C cease, M maintain.
    outcome: Mapped[str | None] = mapped_column(String(1))
    decision_date: Mapped[date | None] = mapped_column(Date)
    #: The proposed amendments (draft amended plan) sent to the family (SEN2 ReviewDraft).
    draft_date: Mapped[date | None] = mapped_column(Date)
    amended_plan_date: Mapped[date | None] = mapped_column(Date)
    phase_transfer_due_date: Mapped[date | None] = mapped_column(Date)
    phase_transfer_final_date: Mapped[date | None] = mapped_column(Date)
    #: The SEN2 collection year of the return that last set these values (None: a spreadsheet or the
    #: app): an older return imported later only fills what is blank (docs/architecture.md).
    sen2_year: Mapped[int | None] = mapped_column(Integer)

    def facts(self) -> ReviewFacts:
        return ReviewFacts(
            meeting_date=self.meeting_date, notice_date=self.notice_date, papers_date=self.papers_date,
            report_date=self.report_date, decision_date=self.decision_date,
            outcome=None if self.outcome is None else ReviewOutcome(self.outcome),
            amendments_sent_date=self.draft_date, amended_plan_date=self.amended_plan_date,
        )
