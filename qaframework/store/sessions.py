"""Signed-in sessions, kept on the server so that signing out really ends one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaframework.store.base import Base, utcnow
from qaframework.store.people import User


class UserSession(Base):
    """One signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so a
    copy of the database gives no one a way in."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: Updated at most once a minute (see ``qaframework.operations.sessions.TOUCH_EVERY``).
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    #: Why it ended: one of ``qaframework.operations.sessions.EndReason``.
    ended_reason: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship(lazy="joined")
