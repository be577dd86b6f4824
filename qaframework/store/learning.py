"""What the Learning and Improvement Group keeps: "what good looks like" exemplars.

An exemplar is an anonymised extract of a plan section that a panel agreed was Good or better,
nominated by someone who saw the audit and approved (or not) by a panel lead. It points at the
audit it came from, but what auditors read is the extract alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaframework.framework import ExemplarStatus
from qaframework.store.audits import Audit
from qaframework.store.base import Base, utcnow
from qaframework.store.people import User


class Exemplar(Base):
    __tablename__ = "exemplars"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    #: The checklist section (template section id) and, copied at nomination, its title and the
    #: plan sections (A-K) it covers: auditors browse by plan section without parsing templates.
    section_id: Mapped[str] = mapped_column(String(40))
    section_title: Mapped[str] = mapped_column(String(200))
    plan_sections: Mapped[list[str]] = mapped_column(JSON)
    template_id: Mapped[str] = mapped_column(String(60))
    #: The section's moderated grade when it was nominated (Good or better).
    grade: Mapped[str] = mapped_column(String(30))
    extract: Mapped[str] = mapped_column(Text)
    #: The anonymisation checks the nominator confirmed (codes of ``operations.exemplars.ANONYMISATION_CHECKS``).
    checks: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: an :class:`~qaframework.framework.ExemplarStatus` value
    status: Mapped[str] = mapped_column(String(20), default=ExemplarStatus.NOMINATED.value, index=True)
    nominated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    nominated_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    #: Why a panel lead did not approve it (required then), so the nominator can put it right.
    decision_reason: Mapped[str | None] = mapped_column(Text)

    audit: Mapped[Audit] = relationship()
    nominated_by: Mapped[User] = relationship(foreign_keys=[nominated_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
