"""Fixtures for the web app tests: a fresh app per test, with its own instance folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

# Assertion details in the shared page checker, not just "AssertionError".
pytest.register_assert_rewrite("tests.webapp.pagecheck")

from webapp import create_app  # noqa: E402


@pytest.fixture
def instance_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private instance folder, so tests never read or write the developer's `instance/`."""
    path = tmp_path / "instance"
    monkeypatch.setenv("QA_INSTANCE_PATH", str(path))
    return path


@pytest.fixture
def app(instance_path: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
