"""The append-only audit trail: who changed what, when, with before and after values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from qaframework.store.base import Base, utcnow


class TrailEntry(Base):
    __tablename__ = "audit_trail"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: None for system actions (the ``qa`` command run by an operator, migrations).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class TrailIsAppendOnly(Exception):
    """Raised when code tries to change or delete audit-trail history."""


@event.listens_for(Session, "before_flush")
def _refuse_trail_edits(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TrailEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise TrailIsAppendOnly("the audit trail is append-only; entries cannot be changed or deleted")


@event.listens_for(Session, "before_flush")
def _keep_no_free_text(session: Session, _context: Any, _instances: Any) -> None:
    """However an entry is made (``operations.base.record``, the demo loader, a script), free text
    and case references are replaced by keyed fingerprints before it is written
    (``qaframework.trail_text``)."""
    new = [obj for obj in session.new if isinstance(obj, TrailEntry)]
    if not new:
        return
    from qaframework.trail_text import redact, trail_key  # it imports the store

    key = trail_key(session)
    for entry in new:
        if entry.before is not None:
            entry.before = redact(key, entry.before)
        if entry.after is not None:
            entry.after = redact(key, entry.after)
