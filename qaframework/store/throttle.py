"""Failure counters for password throttling, shared by every worker (``qaframework.throttle``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qaframework.store.base import Base


class ThrottleCounter(Base):
    """Failures under one key (an address, an account, or both) in a window that ends at ``expires_at``."""

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
