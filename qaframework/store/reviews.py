"""A Tier 4 review's conversation with the family, kept apart from the checklist answers.

Apart because its parts are read by different people (docs/domain-notes.md §6.3): the raw
notes and the family's own words only by the reviewer and the QA lead, and deleted on a retention
schedule; the board summary by others only once it passed the anonymisation checklist and was
approved; the ratings, reflection and system actions by whoever may read the review.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaframework.store.audits import Audit
from qaframework.store.base import Base, utcnow


class ReviewConversation(Base):
    """What a Tier 4 conversation recorded: when, who took part (by role), the family's words and
    experience ratings, the leader's reflection and system actions, and the board summary."""

    __tablename__ = "review_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), unique=True)
    held_on: Mapped[date | None] = mapped_column(Date)
    #: Keys of :data:`~qaframework.framework.CONVERSATION_ROLES`: roles, never names.
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Per conversation question: {"rating": family-experience code or "not_applicable", "na_reason": ...}.
    ratings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Raw: per conversation question, the family's own words. Reviewer and QA lead only.
    family_words: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Raw: the reviewer's notes of the conversation. Reviewer and QA lead only.
    notes: Mapped[str | None] = mapped_column(Text)
    reflection: Mapped[str | None] = mapped_column(Text)
    system_actions: Mapped[str | None] = mapped_column(Text)
    #: When the raw notes and words were deleted, and why ("retention", "withdrawn", "expired").
    notes_deleted_at: Mapped[datetime | None]
    notes_deleted_reason: Mapped[str | None] = mapped_column(String(20))
    #: A withdrawn consent locks the conversation: nothing more can be recorded.
    locked_at: Mapped[datetime | None]
    board_summary: Mapped[str | None] = mapped_column(Text)
    #: The anonymisation checklist items the approver confirmed.
    board_checks: Mapped[list[str]] = mapped_column(JSON, default=list)
    board_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    board_approved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    audit: Mapped[Audit] = relationship()
