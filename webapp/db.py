"""The request-scoped database session: one per request, closed at teardown.

Views use :func:`db_session` and hand it to ``qaframework.operations``; they never build queries.
Tests may supply ``DB_SESSION_FACTORY`` (a zero-argument callable) to bind requests to a test
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from qaframework.store.db import database_url, make_engine, session_factory


def init_app(app: Flask) -> None:
    factory: Callable[[], Session] | None = app.config.get("DB_SESSION_FACTORY")
    if factory is None:
        url = app.config.get("DATABASE_URL") or None
        if url is None and not _env_database():
            url = f"sqlite:///{Path(app.instance_path) / 'qa.sqlite'}"
        engine = make_engine(database_url(url))
        app.extensions["qa_engine"] = engine
        # Requests read in deferred transactions; each operation takes the write lock itself.
        factory = session_factory(engine, writes=False)
    app.extensions["qa_session_factory"] = factory
    app.teardown_appcontext(_close_session)


def _env_database() -> bool:
    import os

    return bool(os.environ.get("DATABASE_URL"))


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["qa_session_factory"]()
    session: Session = g.db_session
    return session


def _close_session(_error: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()
