"""Double posts apply once: a one-time token per create form (security review, finding 7).

A form that creates something (an action, a peer-challenge request, an audit) carries a random
token issued when the page is drawn. The operation claims it in its own transaction, before it
creates anything: the first claim inserts a ``form_submissions`` row (the token is its primary
key), so a second post of the same form (a double click, a resend after a slow response, two tabs)
finds the row and is refused with :class:`AlreadySubmitted`, which names what the first one made;
the web app then shows that instead. Two posts at the same moment are serialised by the primary
key: the second insert waits for the first transaction and then fails, so exactly one row exists.

Transitions (reviewing a peer challenge, responding to it) need no token: they lock the row they
move (:func:`locked`) and check its state in the same transaction, so the second post finds the
move already made.
"""

from __future__ import annotations

import re
import secrets
from typing import TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qaframework.operations.base import InvalidInput, OperationError
from qaframework.store import Base, FormSubmission, User

#: What ``secrets.token_urlsafe(32)`` gives; anything else was not issued by :func:`new_form_token`.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
FIELD = "form_token"

Row = TypeVar("Row", bound=Base)


class AlreadySubmitted(OperationError):
    """This form was sent before and made ``kind`` ``entity_id``; nothing new was made."""

    def __init__(self, kind: str, entity_id: int | None) -> None:
        self.kind, self.entity_id = kind, entity_id
        super().__init__("You already sent this form. Nothing was added again.")


def new_form_token() -> str:
    """A token for one drawing of a create form (not stored until the form is sent)."""
    return secrets.token_urlsafe(32)


def claim_form(session: Session, actor: User, token: str | None, kind: str) -> FormSubmission | None:
    """Claim ``token`` for this create, inside the operation's transaction; call
    :func:`made` once the new row has its id. ``None`` (the CLI, scripts) skips the check."""
    if token is None:
        return None
    if not TOKEN_PATTERN.fullmatch(token):
        raise InvalidInput("This form has expired. Go back, reload the page and send it again.")
    _refuse_if_claimed(session, actor, token)
    claim = FormSubmission(token=token, user_id=actor.id, kind=kind)
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
    except IntegrityError:  # the same form, sent at the same moment, claimed it first
        _refuse_if_claimed(session, actor, token)
        raise
    return claim


def made(claim: FormSubmission | None, entity_id: int) -> None:
    """Record what the claimed form made, so a second post can be shown it."""
    if claim is not None:
        claim.entity_id = entity_id


def _refuse_if_claimed(session: Session, actor: User, token: str) -> None:
    earlier = session.get(FormSubmission, token, populate_existing=True)
    if earlier is None:
        return
    if earlier.user_id != actor.id:
        raise InvalidInput("This form has expired. Go back, reload the page and send it again.")
    raise AlreadySubmitted(earlier.kind, earlier.entity_id)


def locked(session: Session, model: type[Row], row_id: int) -> Row | None:
    """The row as it is now, locked until the operation ends (``SELECT … FOR UPDATE`` on
    PostgreSQL; on SQLite the operation already holds the write lock), so a state check made on it
    cannot be overtaken by a second post of the same form."""
    key = inspect(model).primary_key[0]
    # Lock with a bare SELECT of the key: the ORM's load may join other tables (an audit's
    # checklist), and PostgreSQL cannot lock the nullable side of an outer join.
    if session.execute(select(key).where(key == row_id).with_for_update()).first() is None:
        return None
    return session.get(model, row_id, populate_existing=True)
