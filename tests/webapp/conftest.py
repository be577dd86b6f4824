"""Fixtures for the web app tests: an app whose requests share the test's rolled-back transaction,
and clients signed in as any role."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from qaframework.framework import Role
from qaframework.store import Audit, User
from tests.support import (
    T1,
    TEST_PASSWORD,
    CheckFor,
    ClientAs,
    MakeCase,
    MakeUser,
    TemplateVersionOf,
    savepoint_session,
    submitted_check,
)

# Assertion details in the shared page checker, not just "AssertionError".
pytest.register_assert_rewrite("tests.webapp.pagecheck")

from webapp import create_app  # noqa: E402


@pytest.fixture
def instance_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private instance folder, so tests never read or write the developer's `instance/`."""
    path = tmp_path / "instance"
    monkeypatch.setenv("QA_INSTANCE_PATH", str(path))
    return path


class CSRFClient(FlaskClient):
    """A test client that, like a browser on our pages, sends a valid CSRF token with every POST.

    CSRF protection stays on in the tests, so pages must render the token and views must check
    it; pass ``csrf_token`` explicitly to test a missing or wrong one.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        method = kwargs.get("method", "GET").upper()
        data = kwargs.get("data")
        if method in {"POST", "PUT", "PATCH", "DELETE"} and (data is None or isinstance(data, dict)):
            data = data.copy() if isinstance(data, MultiDict) else dict(data or {})  # keep repeated keys
            if "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
            kwargs["data"] = data
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        secret_key = self.application.secret_key
        assert secret_key is not None
        with self.session_transaction() as sess:
            raw = sess.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
        token: str = URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token").dumps(raw)
        return token


@pytest.fixture
def app(instance_path: Path, connection: Connection) -> Flask:
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test",
        "DB_SESSION_FACTORY": lambda: savepoint_session(connection),
    })
    app.test_client_class = CSRFClient
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign_in(client: FlaskClient, user: User) -> FlaskClient:
    response = client.post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def client_as(app: Flask, make_user: MakeUser) -> ClientAs:
    """``client, user = client_as(Role.AUDITOR, agency="health")``: a fresh client signed in as a new user.

    CSRF is on: the client adds a valid token to each POST unless the test passes its own."""

    def factory(role: Role | str = Role.AUDITOR, **user_args: object) -> tuple[FlaskClient, User]:
        user = make_user(role, **user_args)
        return sign_in(app.test_client(), user), user

    return factory


@pytest.fixture
def check_for(session: Session, make_case: MakeCase, template_version: TemplateVersionOf) -> CheckFor:
    """A Tier 1 check by ``author`` on a new case: submitted, or left a draft with ``submit=False``."""

    def factory(author: User, submit: bool = True) -> Audit:
        return submitted_check(session, author, make_case().id, template_version(T1).id, submit)

    return factory
