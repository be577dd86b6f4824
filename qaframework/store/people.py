"""Agencies and the people who audit, moderate, lead and read the reports."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaframework import limits
from qaframework.store.base import Base, utcnow

#: Column sizes, which forms and operations check before PostgreSQL would refuse a longer value.
AGENCY_CODE_LENGTH, AGENCY_NAME_LENGTH = limits.AGENCY_CODE, limits.AGENCY_NAME
EMAIL_LENGTH, DISPLAY_NAME_LENGTH, TEAM_LENGTH = limits.EMAIL, limits.DISPLAY_NAME, limits.TEAM


class Agency(Base):
    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(AGENCY_CODE_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(AGENCY_NAME_LENGTH))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    """A signed-in person. Auditors belong to one agency and usually one team."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_LENGTH))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(30))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    team: Mapped[str | None] = mapped_column(String(TEAM_LENGTH))
    #: Team managers oversee their team's Tier 1 checks against the monthly target.
    is_team_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A panel member who leads the panel: sees each auditor's drift and approves what the panel agrees.
    leads_panel: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]

    agency: Mapped[Agency | None] = relationship(lazy="joined")

    # The session-login protocol (as Flask-Login expects it), written without importing Flask.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """A session id that stops working when the password changes, signing out other sessions."""
        return f"{self.id}.{hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"
