"""Server-side sessions: started at sign-in, checked on every request, ended for real.

The browser's cookie carries a random token (256 bits); the ``user_sessions`` table keeps its
SHA-256 with the user, when it started, when it was last used and whether it has ended. A copy of
the cookie is therefore worth nothing once its session ends: at sign-out, after the idle timeout or
the absolute lifetime, when the person signs out everywhere or changes their password, and when an
administrator deactivates the account or sets a new password.

"Last seen" is written at most once a minute (:data:`TOUCH_EVERY`), so checking a session costs one
indexed read on almost every request, not a write.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from qaframework.operations.base import operation, record
from qaframework.store import User, UserSession, utcnow

#: How often "last seen" is written: the idle timeout is exact to within this.
TOUCH_EVERY = timedelta(minutes=1)
#: Ended or expired sessions are deleted this long after they started (they hold no content).
KEEP_ENDED = timedelta(days=30)


class EndReason(StrEnum):
    SIGNED_OUT = "signed_out"
    IDLE = "idle"
    EXPIRED = "expired"
    EVERYWHERE = "everywhere"
    PASSWORD = "password"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class SessionLimits:
    """How long a session may sit unused, and how long it may last however busy."""

    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class SessionCheck:
    """The outcome of :func:`resume_session`: the user, or why there is none.

    ``ended`` is set only when this check ended the session (idle or expired), so the page can say
    "you were signed out"; an unknown or already-ended token gives neither.
    """

    user: User | None
    ended: EndReason | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@operation
def start_session(session: Session, user: User, now: datetime | None = None) -> str:
    """Record a new session for ``user`` and return its token (for the cookie; never stored)."""
    now = now or utcnow()
    session.execute(delete(UserSession).where(UserSession.created_at < now - KEEP_ENDED))
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now))
    return token


def resume_session(session: Session, token: str, limits: SessionLimits, now: datetime | None = None) -> SessionCheck:
    """The active user whose session this token names, ending it if it has run out of time.

    Reads only, unless the session has just expired or "last seen" is more than a minute old.
    """
    now = now or utcnow()
    found = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if found is None or found.ended_at is not None or not found.user.active:
        return SessionCheck(None)
    if now - found.created_at >= limits.absolute:
        _end(session, found.id, EndReason.EXPIRED, now)
        return SessionCheck(None, EndReason.EXPIRED)
    if now - found.last_seen_at >= limits.idle:
        _end(session, found.id, EndReason.IDLE, now)
        return SessionCheck(None, EndReason.IDLE)
    if now - found.last_seen_at >= TOUCH_EVERY:
        _touch(session, found.id, now)
    return SessionCheck(found.user)


@operation
def _touch(session: Session, session_id: int, now: datetime) -> None:
    session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))


@operation
def _end(session: Session, session_id: int, reason: EndReason, now: datetime) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason.value)
    )


@operation
def end_session(session: Session, token: str, now: datetime | None = None) -> None:
    """Sign out: the token stops working everywhere, at once."""
    found = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if found is not None and found.ended_at is None:
        found.ended_at, found.ended_reason = now or utcnow(), EndReason.SIGNED_OUT.value
        record(session, found.user, "user.sign_out", "user", found.user_id)


@operation
def sign_out_everywhere(session: Session, user: User) -> int:
    """End every session of the signed-in person (a lost laptop, a shared computer); how many ended."""
    ended = end_user_sessions(session, user.id, EndReason.EVERYWHERE)
    record(session, user, "user.sign_out_everywhere", "user", user.id, after={"sessions_ended": ended})
    return ended


def end_user_sessions(session: Session, user_id: int, reason: EndReason, now: datetime | None = None) -> int:
    """End all of a user's sessions inside the caller's operation (password change, deactivation)."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), ended_reason=reason.value)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def active_session_count(session: Session, user_id: int, limits: SessionLimits, now: datetime | None = None) -> int:
    """How many browsers this person is signed in on (shown beside "Sign out everywhere")."""
    now = now or utcnow()
    return session.scalar(
        select(func.count(UserSession.id)).where(
            UserSession.user_id == user_id,
            UserSession.ended_at.is_(None),
            UserSession.created_at > now - limits.absolute,
            UserSession.last_seen_at > now - limits.idle,
        )
    ) or 0
