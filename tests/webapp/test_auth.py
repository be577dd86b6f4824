"""Sign-in, sign-out, sessions and the rule that every page needs a signed-in user."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter, Rule

from qaframework.framework import Role
from tests.support import TEST_PASSWORD, ClientAs, MakeUser
from tests.webapp.conftest import sign_in
from tests.webapp.pagecheck import check_page
from webapp.access import is_public


def _example_url(rule: Rule) -> str:
    values = {arg: (1 if isinstance(rule._converters[arg], IntegerConverter) else "A") for arg in rule.arguments}
    built = rule.build(values)
    assert built is not None, rule
    return built[1]


def test_every_route_declares_who_may_use_it(app: Flask) -> None:
    unprotected = [
        f"{rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if not is_public(app, rule.endpoint) and not hasattr(app.view_functions[rule.endpoint], "required_roles")
    ]
    assert unprotected == [], "routes without @requires(...): " + ", ".join(unprotected)


def test_urls_are_kebab_case(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        static_parts = re.sub(r"<[^>]+>", "", rule.rule)
        assert static_parts == static_parts.lower() and "_" not in static_parts, rule.rule


def test_anonymous_users_are_sent_to_sign_in_from_every_page(app: Flask, client: FlaskClient) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        if is_public(app, rule.endpoint):
            continue
        url = _example_url(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url} answered {response.status_code}"
            assert response.headers["Location"].startswith("/sign-in"), url
            checked += 1
    assert checked >= 3


def test_public_pages_need_no_sign_in(client: FlaskClient) -> None:
    for url in ("/accessibility", "/cookies", "/healthz", "/sign-in"):
        assert client.get(url).status_code == 200, url


def test_sign_in_page_and_wrong_password(client: FlaskClient, make_user: MakeUser) -> None:
    check_page(client.get("/sign-in"))
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": "not the password"})
    soup = check_page(response)
    assert response.status_code == 200
    assert soup.title.get_text().startswith("Error: ")
    assert "Enter a correct email address and password" in soup.select_one(".govuk-error-summary").get_text()
    assert client.get("/").status_code == 302


def test_sign_in_goes_to_next_page_but_never_off_site(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user()
    response = client.post("/sign-in?next=/account/password", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/account/password"
    client.post("/sign-out")
    response = client.post("/sign-in?next=//evil.example/x", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session(client: FlaskClient, make_user: MakeUser) -> None:
    sign_in(client, make_user())
    check_page(client.get("/sign-out"))
    response = client.post("/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert client.get("/").status_code == 302


def test_deactivated_user_is_signed_out_at_once(client: FlaskClient, make_user: MakeUser, session: Session) -> None:
    user = make_user()
    sign_in(client, user)
    assert client.get("/account/password").status_code == 200
    user.active = False
    session.commit()
    assert client.get("/account/password").status_code == 302


def test_changing_password_signs_out_other_sessions(app: Flask, make_user: MakeUser) -> None:
    user = make_user()
    first, second = sign_in(app.test_client(), user), sign_in(app.test_client(), user)
    response = first.post(
        "/account/password",
        data={"current": TEST_PASSWORD, "new": "a-brand-new-passphrase", "confirm": "a-brand-new-passphrase"},
    )
    assert response.status_code == 302
    assert first.get("/account/password").status_code == 200  # this session carries on
    assert second.get("/account/password").status_code == 302  # the other one is signed out


def test_change_password_errors(client_as: ClientAs) -> None:
    client, _ = client_as(Role.PANEL_MEMBER)
    soup = check_page(client.post("/account/password", data={"current": "wrong", "new": "short", "confirm": "other"}))
    summary = soup.select_one(".govuk-error-summary").get_text()
    assert "Password must be 12 characters or more" in summary
    assert "Passwords must match" in summary


def test_csrf_is_enforced_on_sign_in(instance_path: Path, connection: Connection) -> None:
    from tests.support import savepoint_session
    from webapp import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DB_SESSION_FACTORY": lambda: savepoint_session(connection)})
    client = app.test_client()
    soup = check_page(client.get("/sign-in"))
    assert soup.select_one("input[name=csrf_token]")["value"]
    response = client.post("/sign-in", data={"email": "a@example.test", "password": "x"})
    assert response.status_code == 400 and "Your form could not be sent" in response.get_data(as_text=True)


def test_403_page_says_who_the_page_is_for(client_as: ClientAs) -> None:
    client, _ = client_as(Role.BOARD_VIEWER)
    response = client.get("/cases")
    assert response.status_code == 403
    text = check_page(response).get_text(" ", strip=True)
    assert (
        "This page is for administrators, auditors, multi-agency panel members, parent carer forum representatives "
        "and system leaders. "
        "You are signed in as board viewer."
    ) in text
