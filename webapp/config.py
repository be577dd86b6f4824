"""Configuration defaults and the settings that must be derived after all sources are loaded.

Order of precedence (lowest first): `DefaultConfig` here, `config.py` in the instance folder,
`SECRET_KEY` from the environment, `QA_*` environment variables, then the mapping passed to
`create_app` (tests).

Production is the default. Only development (`make run`, which sets ``QA_DEVELOPMENT=true``), the
debug server and the tests may run without a configured secret key (one is then generated in the
instance folder) or with cookies that travel over plain http.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

SECRET_KEY_FILENAME = "secret_key"
#: A production secret key must be at least this long (``secrets.token_hex(32)`` gives 64).
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_DISTINCT = 10
GENERATE_KEY_HINT = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


class ConfigError(RuntimeError):
    """A setting the service cannot safely start with; the message says which and what to do."""


class DefaultConfig:
    """Safe defaults: a council can run the app with no configuration and get secure cookies."""

    SERVICE_NAME = "EHC plan quality assurance"
    # Development (make run, set QA_DEVELOPMENT=true): a secret key is generated in the instance
    # folder if none is set, and cookies may travel over plain http. Never in production.
    DEVELOPMENT = False
    # Who runs this installation, e.g. "Anytown Council"; shown in the footer and the
    # accessibility statement. Unset means "your local authority".
    ORGANISATION_NAME: str | None = None
    # Where users report problems (accessibility statement). Unset means "your QA administrator".
    CONTACT_EMAIL: str | None = None
    ACCESSIBILITY_STATEMENT_DATE = "22 November 2026"
    # When the statement was last checked against the service (shown if set).
    ACCESSIBILITY_STATEMENT_REVIEWED: str | None = "27 November 2026"

    # Signs the session cookie and CSRF tokens. Required in production (SECRET_KEY or QA_SECRET_KEY,
    # at least 32 random characters); in development `finalise_config` generates and persists one.
    SECRET_KEY: str | None = None

    # Children's data: cookies never readable by scripts, never sent cross-site on POSTs,
    # and HTTPS-only unless in development, tests or the debug server (None = decide from those).
    SESSION_COOKIE_NAME = "qa_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE: bool | None = None
    # A session ends after this long without a request (an unattended screen), and after this long
    # however busy (a working day). Checked on the server on every request (webapp.auth). The cookie's
    # own lifetime (PERMANENT_SESSION_LIFETIME) is set to the absolute lifetime by finalise_config.
    SESSION_IDLE_MINUTES = 60
    SESSION_ABSOLUTE_HOURS = 8

    WTF_CSRF_ENABLED = True
    # Audit forms can take an auditor an hour or more; the token lives as long as the session
    # (itself capped by PERMANENT_SESSION_LIFETIME) rather than Flask-WTF's default of one hour.
    WTF_CSRF_TIME_LIMIT: int | None = None

    # Wrong passwords (signing in, or the current one when changing it) are counted per address,
    # per account and address, and per account (qaframework.throttle; docs/operations.md). The
    # counts are shared by every worker: in the database, or in Redis when REDIS_URL is set.
    THROTTLE_PER_IP = 50  # failures from one address ...
    THROTTLE_IP_WINDOW_MINUTES = 15  # ... in this long, then it waits for the window to end
    THROTTLE_FREE_TRIES = 5  # failures for one account from one address before backoff starts
    THROTTLE_MAX_DELAY_MINUTES = 15  # the backoff (30 s, doubling) never waits longer than this
    THROTTLE_PER_ACCOUNT = 100  # failures for one account from anywhere in an hour before backoff
    REDIS_URL: str | None = None

    # Static files are requested with a content-hash query string, so browsers may keep them.
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)
    # Forms carry text; nothing legitimate is bigger than this.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Except the case import, whose SEN2 return can be 20 MB or more: its route alone takes this much
    # (webapp.admin.uploads.init_app); the readers' own limits (qaframework.import_limits) guard memory.
    CASE_IMPORT_MAX_CONTENT_LENGTH = 32 * 1024 * 1024

    # Number of trusted proxies in front of the app (X-Forwarded-For/-Proto/-Host); 0 = none.
    PROXY_FIX_COUNT = 0


def is_development(app: Flask) -> bool:
    """Development, tests or the debug server: the only places production's rules are relaxed."""
    return bool(app.config.get("DEVELOPMENT") or app.config.get("TESTING") or app.debug)


def finalise_config(app: Flask) -> None:
    """Fill in settings that depend on the others, once every source has been loaded.

    Raises :class:`ConfigError` in production when the secret key is missing or weak, so the
    service refuses to start rather than sign cookies with a key someone could guess.
    """
    relaxed = is_development(app)
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = not relaxed
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config["SESSION_ABSOLUTE_HOURS"]))
    if relaxed:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = load_or_create_secret_key(Path(app.instance_path))
    else:
        problem = secret_key_problem(app.config.get("SECRET_KEY"))
        if problem:
            raise ConfigError(problem)


def secret_key_problem(key: object) -> str | None:
    """Why ``key`` cannot sign production cookies, or None if it can.

    Missing, short or repetitive keys are refused: with a guessable key anyone could forge a
    session cookie's contents or a CSRF token.
    """
    how = (f"Set SECRET_KEY (or QA_SECRET_KEY) to a long random value, e.g. the output of {GENERATE_KEY_HINT}, "
           "the same on every server. Only development (QA_DEVELOPMENT=true, as make run sets) runs without one.")
    if not isinstance(key, str) or not key.strip():
        return f"SECRET_KEY is not set. {how}"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY is too short: {len(key)} characters, at least {MIN_SECRET_KEY_LENGTH} are needed. {how}"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return f"SECRET_KEY is too easy to guess: it repeats a few characters. {how}"
    return None


def load_or_create_secret_key(instance_path: Path) -> str:
    """Return the instance's persisted secret key, creating it (mode 0600) on first use.

    Persisting it means restarts keep users signed in and their forms valid. Creation is
    atomic (write a private temp file, then hard-link it into place), so several workers
    starting at once all end up with the same key. Installs spread over several hosts must
    set QA_SECRET_KEY instead.
    """
    path = instance_path / SECRET_KEY_FILENAME
    if not path.exists():
        tmp = instance_path / f".{SECRET_KEY_FILENAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another worker won the race; use its key
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it to generate a new secret key")
    return key
