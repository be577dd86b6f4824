"""Background jobs: reports and imports that take longer than a web request may (``qaframework.jobs``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaframework.store.base import Base, utcnow
from qaframework.store.people import User


class Job(Base):
    """One piece of background work someone asked for, and how far it has got.

    The queue (Huey, on SQLite or Redis) only carries the job's id; everything a person sees is
    here, so a page can show it from any worker and it survives restarts. The result is a file in
    the instance folder's ``jobs/`` (``result_file``, a random name), downloadable by the requester
    or an administrator until ``expires_at``.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One of ``qaframework.jobs.kinds``' registered kinds, e.g. ``board_pack``.
    kind: Mapped[str] = mapped_column(String(40))
    #: What the requester asked for, as the kind reads it (year, cycle, format …); no free text.
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: One of ``qaframework.framework.JobStatus``.
    status: Mapped[str] = mapped_column(String(20), index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    #: A message for the requester when the job failed (never a traceback: that goes to the log).
    error: Mapped[str | None] = mapped_column(String(500))
    result_file: Mapped[str | None] = mapped_column(String(100))
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_type: Mapped[str | None] = mapped_column(String(100))
    result_size: Mapped[int | None] = mapped_column(Integer)
    #: What the job did, for the requester (e.g. "Imported 1,200 cases"); shown on its page.
    summary: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    #: Last progress (or start); a running job silent for long is taken to have lost its worker.
    updated_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    requested_by: Mapped[User] = relationship(lazy="joined")
