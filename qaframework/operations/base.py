"""What every write shares: typed errors, the audit trail, and one transaction per operation."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qaframework.store import TrailEntry, User
from qaframework.store.db import WRITE_OPTION


class OperationError(Exception):
    """A request the library refuses, with a message fit to show the person who made it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(OperationError):
    pass


class NotFound(OperationError):
    pass


@dataclass
class FieldError:
    field: str
    message: str


class InvalidInput(OperationError):
    """Input that fails validation; ``errors`` name each field with its problem."""

    def __init__(self, errors: list[FieldError] | str) -> None:
        self.errors = [FieldError("", errors)] if isinstance(errors, str) else errors
        super().__init__("; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in self.errors))


class WorkflowError(OperationError):
    """A status change the workflow does not allow (e.g. editing a submitted audit)."""


@dataclass
class StaleEdit(OperationError):
    """Someone saved the record after this editor opened it; nothing of theirs was overwritten."""

    entity: str
    entity_id: int | None
    expected_version: int | None
    current_version: int | None
    changed_by: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.expected_version is None:  # caught at write time: versions not known here
            message = f"This {self.entity} was changed by someone else while you were saving; nothing was saved."
        else:
            message = (f"This {self.entity} changed since you opened it (version {self.expected_version}, "
                       f"now {self.current_version}).")
        super().__init__(message)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def record(
    session: Session,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> TrailEntry:
    """Append one audit-trail entry in the current transaction (so it commits or fails with the change).

    Free text and case references in ``before`` and ``after`` are kept only as keyed fingerprints
    (``qaframework.trail_text``, applied as the entry is flushed, ``store.trail``): the trail can
    never be edited, so the words never go into it.
    """
    entry = TrailEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )
    session.add(entry)
    return entry


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    return {name: _jsonable(getattr(obj, name)) for name in fields}


P = ParamSpec("P")
R = TypeVar("R")


def operation(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a write in one transaction: commit on success, roll back everything on any error."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        assert isinstance(session, Session), "operations take the session as their first argument"
        try:
            begin_writing(session)
            result = fn(*args, **kwargs)
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise StaleEdit("record", None, None, None) from exc
        except BaseException:
            session.rollback()
            raise
        return result

    return wrapper


def begin_writing(session: Session) -> None:
    """Start the operation's own transaction, as a writer.

    Reads before the operation (loading the signed-in user, say) ran in a deferred transaction,
    which on SQLite cannot later wait for the write lock; end it, then begin with the write
    lock (``BEGIN IMMEDIATE``, see ``qaframework.store.db``) so concurrent writers queue for just
    the length of the operation. Nothing is expired (sessions use ``expire_on_commit=False``).
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_OPTION: True})


@contextmanager
def atomic(session: Session) -> Iterator[Session]:
    """The same guarantee as :func:`operation`, for scripts that group several steps."""
    try:
        begin_writing(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)
