"""Production's rules (issue 10, production set-up): no start without a strong secret key outside
development; secure cookies unless in development; the key read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp import create_app
from webapp.config import SECRET_KEY_FILENAME, ConfigError

STRONG_KEY = "9c1f5e0a7b3d48e2a6f1c0d9b8e7a6f5c4d3b2a1908f7e6d"


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET_KEY", "QA_SECRET_KEY", "QA_DEVELOPMENT", "QA_TESTING", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def test_production_refuses_to_start_without_a_secret_key(instance_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        create_app()
    message = str(refused.value)
    assert message.startswith("SECRET_KEY is not set.")
    assert "QA_DEVELOPMENT=true" in message and "secrets.token_hex(32)" in message
    assert not (instance_path / SECRET_KEY_FILENAME).exists()  # no key quietly generated


@pytest.mark.parametrize(("key", "problem"), [
    ("change-me", "SECRET_KEY is too short: 9 characters, at least 32 are needed."),
    ("x" * 31, "SECRET_KEY is too short: 31 characters, at least 32 are needed."),
    ("abababababababababababababababababab", "SECRET_KEY is too easy to guess: it repeats a few characters."),
    ("   ", "SECRET_KEY is not set."),
])
def test_production_refuses_a_weak_secret_key(instance_path: Path, key: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem.replace(".", r"\.")):
        create_app({"SECRET_KEY": key})


def test_secret_key_from_the_environment_with_or_without_prefix(
        instance_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    app = create_app()
    assert app.config["SECRET_KEY"] == STRONG_KEY
    assert app.config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.setenv("QA_SECRET_KEY", STRONG_KEY[::-1])
    assert create_app().config["SECRET_KEY"] == STRONG_KEY[::-1]
    assert not (instance_path / SECRET_KEY_FILENAME).exists()


def test_development_generates_a_key_and_allows_plain_http(
        instance_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_DEVELOPMENT", "true")  # as make run sets it
    app = create_app()
    assert app.config["SECRET_KEY"] == (instance_path / SECRET_KEY_FILENAME).read_text().strip()
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_an_instance_config_key_counts(instance_path: Path) -> None:
    instance_path.mkdir(parents=True)
    (instance_path / "config.py").write_text(f'SECRET_KEY = "{STRONG_KEY}"\n')
    assert create_app().config["SECRET_KEY"] == STRONG_KEY
