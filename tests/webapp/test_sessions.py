"""Sessions end for real (security review, finding 1): sign-out, timeouts, sign out everywhere.

A cookie copied before its session ended must not read or write anything afterwards, from any
browser; the server decides, not the cookie.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, select, update
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.sessions import SessionLimits, resume_session, start_session
from qaframework.passwords import verify_password
from qaframework.store import User, UserSession, utcnow
from tests.support import TEST_PASSWORD, MakeUser, refreshed, savepoint_session
from tests.webapp.conftest import sign_in
from tests.webapp.journey import page

COOKIE = "qa_session"


def _copy_cookie(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie(COOKIE)
    assert cookie is not None
    target.set_cookie(COOKIE, cookie.value)


def _sessions_of(session: Session, user: User) -> list[UserSession]:
    session.expire_all()
    return list(session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)))


def test_a_cookie_copied_before_sign_out_reads_and_writes_nothing(app: Flask, make_user: MakeUser,
                                                                 session: Session) -> None:
    admin, victim = make_user(Role.ADMIN), make_user(Role.PANEL_MEMBER)
    browser = sign_in(app.test_client(), admin)
    attacker = app.test_client()
    _copy_cookie(browser, attacker)
    assert attacker.get(f"/admin/users/{victim.id}/password").status_code == 200  # the copy works while signed in
    assert browser.post("/sign-out").headers["Location"] == "/sign-in"

    response = attacker.get(f"/admin/users/{victim.id}/password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    response = attacker.post(f"/admin/users/{victim.id}/password", data={"password": "a-password-of-my-own"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert verify_password(refreshed(session, victim).password_hash, TEST_PASSWORD)
    [row] = _sessions_of(session, admin)
    assert row.ended_reason == "signed_out" and row.ended_at is not None
    assert len(row.token_hash) == 64  # only a hash is stored


def _age(session: Session, user: User, **ago: timedelta) -> None:
    session.execute(update(UserSession).where(UserSession.user_id == user.id).values(
        **{column: utcnow() - delta for column, delta in ago.items()}))
    session.commit()


def test_a_session_unused_for_the_idle_timeout_ends_with_a_message(client: FlaskClient, make_user: MakeUser,
                                                                  session: Session) -> None:
    user = make_user()
    sign_in(client, user)
    _age(session, user, last_seen_at=timedelta(minutes=61))
    response = client.get("/cases")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in?next=")
    text = page(client.get(response.headers["Location"])).get_text(" ", strip=True)
    assert "You were signed out because you had not used the service for 60 minutes" in text
    assert [row.ended_reason for row in _sessions_of(session, user)] == ["idle"]
    assert client.get("/cases").status_code == 302  # and it stays ended


def test_a_session_ends_after_its_absolute_lifetime_however_busy(client: FlaskClient, make_user: MakeUser,
                                                                 session: Session) -> None:
    user = make_user()
    sign_in(client, user)
    _age(session, user, created_at=timedelta(hours=8, seconds=1), last_seen_at=timedelta(seconds=5))
    response = client.get("/cases", follow_redirects=True)
    assert "You were signed out because you had been signed in for 8 hours" in page(response).get_text(" ")
    assert [row.ended_reason for row in _sessions_of(session, user)] == ["expired"]


def test_timeouts_are_settings(app: Flask, make_user: MakeUser, session: Session) -> None:
    app.config.update(SESSION_IDLE_MINUTES=5)
    user = make_user()
    client = sign_in(app.test_client(), user)
    _age(session, user, last_seen_at=timedelta(minutes=6))
    response = client.get("/cases", follow_redirects=True)
    assert "had not used the service for 5 minutes" in page(response).get_text(" ")


def test_last_seen_is_written_at_most_once_a_minute(client: FlaskClient, make_user: MakeUser,
                                                    session: Session) -> None:
    user = make_user()
    sign_in(client, user)
    [row] = _sessions_of(session, user)
    first_seen = row.last_seen_at
    for _ in range(3):
        assert client.get("/cases").status_code == 200
    assert _sessions_of(session, user)[0].last_seen_at == first_seen
    _age(session, user, last_seen_at=timedelta(seconds=61))
    assert client.get("/cases").status_code == 200
    assert _sessions_of(session, user)[0].last_seen_at > first_seen


def test_sign_out_everywhere_ends_every_session_of_that_person_only(app: Flask, make_user: MakeUser,
                                                                    session: Session) -> None:
    user, colleague = make_user(), make_user()
    laptop, phone = sign_in(app.test_client(), user), sign_in(app.test_client(), user)
    other = sign_in(app.test_client(), colleague)
    account = page(laptop.get("/account/password")).get_text(" ", strip=True)
    assert "You are also signed in on 1 other computer or device." in account
    response = laptop.post("/account/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert "signed out on every computer and device" in page(laptop.get("/sign-in")).get_text(" ")
    assert laptop.get("/cases").status_code == 302
    assert phone.get("/cases").status_code == 302
    assert other.get("/cases").status_code == 200
    assert {row.ended_reason for row in _sessions_of(session, user)} == {"everywhere"}


def test_changing_your_password_ends_other_sessions_and_copies_of_this_one(app: Flask, make_user: MakeUser) -> None:
    user = make_user()
    browser, elsewhere, copy = sign_in(app.test_client(), user), sign_in(app.test_client(), user), app.test_client()
    _copy_cookie(browser, copy)
    response = browser.post("/account/password", data={
        "current": TEST_PASSWORD, "new": "a-brand-new-passphrase", "confirm": "a-brand-new-passphrase"})
    assert response.status_code == 302
    assert browser.get("/cases").status_code == 200  # carries on in a new session
    assert elsewhere.get("/cases").status_code == 302
    assert copy.get("/cases").status_code == 302


def test_an_administrator_resetting_or_deactivating_a_user_ends_their_sessions(app: Flask, make_user: MakeUser,
                                                                               session: Session) -> None:
    admin = sign_in(app.test_client(), make_user(Role.ADMIN))
    reset, deactivated = make_user(), make_user()
    reset_browser, deactivated_browser = sign_in(app.test_client(), reset), sign_in(app.test_client(), deactivated)
    response = admin.post(f"/admin/users/{reset.id}/password", data={"password": "set-by-the-admin-2026"})
    assert response.status_code == 302
    assert admin.post(f"/admin/users/{deactivated.id}/deactivate").status_code == 302
    assert reset_browser.get("/cases").status_code == 302
    assert deactivated_browser.get("/cases").status_code == 302
    assert [row.ended_reason for row in _sessions_of(session, reset)] == ["password"]
    assert [row.ended_reason for row in _sessions_of(session, deactivated)] == ["deactivated"]


def test_resume_session_in_the_library(session: Session, make_user: MakeUser) -> None:
    user = make_user()
    limits = SessionLimits(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
    now = utcnow()
    token = start_session(session, user, now=now)
    assert resume_session(session, token, limits, now=now + timedelta(minutes=29)).user is user
    assert resume_session(session, "not-a-token", limits, now=now).user is None
    ended = resume_session(session, token, limits, now=now + timedelta(minutes=29 + 31))
    assert ended.user is None and ended.ended == "idle"
    again = resume_session(session, token, limits, now=now + timedelta(minutes=61))
    assert again.user is None and again.ended is None  # already ended: nothing new to say


def test_checking_a_session_is_one_query(connection: Connection, session: Session, make_user: MakeUser) -> None:
    """Every request checks its session: the session, its user and the user's agency in one SELECT."""
    token = start_session(session, make_user(agency="health"))
    fresh = savepoint_session(connection)  # nothing cached: as a new request's session
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        user = resume_session(fresh, token, SessionLimits(timedelta(minutes=30), timedelta(hours=8))).user
        assert user is not None and user.agency is not None and user.agency.code == "health"
        assert user.get_id() and user.role == "auditor"
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert [s.split()[0] for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))] == ["SELECT"]
