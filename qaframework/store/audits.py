"""Template versions, audits, responses, grades and Tier 1 peer challenge."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaframework.checklists.model import Template
from qaframework.framework import PeerChallengeStatus
from qaframework.store.base import Base, utcnow
from qaframework.store.cases import Case, Request
from qaframework.store.panel_audits import AgencyContribution, AuditParticipant
from qaframework.store.people import User

if TYPE_CHECKING:
    from qaframework.store.panel import ConsentRecord
    from qaframework.store.reviews import ReviewConversation

_PARSED_TEMPLATES: dict[str, Template] = {}


class TemplateVersion(Base):
    """One loaded version of a checklist template; its content never changes once stored."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    tier: Mapped[int] = mapped_column(Integer)
    agencies: Mapped[list[str]] = mapped_column(JSON)
    subjects: Mapped[list[str]] = mapped_column(JSON)
    #: Deferred: parsed templates are cached by checksum, so most requests never need the JSON.
    content: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    checksum: Mapped[str] = mapped_column(String(64))
    #: Retired versions stay for the audits that used them but cannot start new audits.
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def template(self) -> Template:
        """The validated checklist, parsed once per process (content never changes per checksum)."""
        parsed = _PARSED_TEMPLATES.get(self.checksum)
        if parsed is None:
            parsed = _PARSED_TEMPLATES[self.checksum] = Template.model_validate(self.content)
        return parsed

    @property
    def key(self) -> str:
        return f"{self.template_id}@v{self.version}"


class Audit(Base):
    """One use of one template version on one case by one auditor.

    Workflow status is kept apart from the three grades (suggested, auditor's, moderated).
    ``version_id`` gives optimistic locking: a stale save is refused, never silently applied.
    """

    __tablename__ = "audits"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_versions.id"), index=True)
    subject: Mapped[str] = mapped_column(String(20))
    tier: Mapped[int] = mapped_column(Integer, index=True)
    #: The agency whose work is audited (the auditor's agency; None for panel and leader audits).
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), index=True)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    #: The half term the audit belongs to, e.g. "2024-25 Autumn 1".
    cycle: Mapped[str] = mapped_column(String(30), index=True)
    suggested_grade: Mapped[str | None] = mapped_column(String(30))
    auditor_grade: Mapped[str | None] = mapped_column(String(30))
    override_rationale: Mapped[str | None] = mapped_column(Text)
    moderated_grade: Mapped[str | None] = mapped_column(String(30))
    exemplary_sections: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str | None] = mapped_column(Text)
    return_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version_id}

    case: Mapped[Case] = relationship()
    request: Mapped[Request | None] = relationship()
    template_version: Mapped[TemplateVersion] = relationship(lazy="joined")
    auditor: Mapped[User] = relationship(foreign_keys=[auditor_id])
    responses: Mapped[list[Response]] = relationship(back_populates="audit", cascade="all, delete-orphan")
    section_grades: Mapped[list[SectionGrade]] = relationship(cascade="all, delete-orphan")
    #: Tier 3 panel audits only: the members present, and each agency's contribution graded.
    participants: Mapped[list[AuditParticipant]] = relationship(
        cascade="all, delete-orphan", order_by=AuditParticipant.id
    )
    contributions: Mapped[list[AgencyContribution]] = relationship(
        cascade="all, delete-orphan", order_by=AgencyContribution.agency_code
    )
    #: Tier 4: the family's decisions for this review, and its conversation (read only here;
    #: ``operations.tier4`` writes them).
    consents: Mapped[list[ConsentRecord]] = relationship(viewonly=True, order_by="ConsentRecord.id")
    conversation: Mapped[ReviewConversation | None] = relationship(viewonly=True)

    @property
    def template(self) -> Template:
        return self.template_version.template

    @property
    def reported_grade(self) -> str | None:
        """The moderated grade where the panel agreed one, else the auditor's, else the suggestion."""
        return self.moderated_grade or self.auditor_grade or self.suggested_grade


class Response(Base):
    """The rating of one question, with the evidence a moderator will read."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("audit_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(40))
    section_id: Mapped[str] = mapped_column(String(40))
    rating: Mapped[str | None] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(Text, default="")
    na_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    audit: Mapped[Audit] = relationship(back_populates="responses")


class SectionGrade(Base):
    """The suggested (and later moderated) grade of one template section, kept for SQL reporting."""

    __tablename__ = "section_grades"
    __table_args__ = (UniqueConstraint("audit_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[str] = mapped_column(String(40))
    plan_sections: Mapped[list[str]] = mapped_column(JSON)
    suggested_grade: Mapped[str | None] = mapped_column(String(30))
    moderated_grade: Mapped[str | None] = mapped_column(String(30))
    #: Why the panel agreed a grade different from the original (required then).
    moderation_reason: Mapped[str | None] = mapped_column(Text)


class PeerChallenge(Base):
    """Tier 1 peer challenge: a colleague agrees with or challenges a submitted check."""

    __tablename__ = "peer_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: a :class:`~qaframework.framework.PeerChallengeStatus` value (the moves are ``PEER_TRANSITIONS``)
    status: Mapped[str] = mapped_column(String(20), default=PeerChallengeStatus.REQUESTED.value)
    #: Which exchange this is: each challenge and response starts the next round.
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    audit: Mapped[Audit] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    comments: Mapped[list[PeerComment]] = relationship(cascade="all, delete-orphan", order_by="PeerComment.id")


class PeerComment(Base):
    __tablename__ = "peer_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("peer_challenges.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: None for a comment on the check as a whole.
    question_id: Mapped[str | None] = mapped_column(String(40))
    #: a :class:`~qaframework.framework.CommentKind` value
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()
