"""Malformed input is a clear 400 or 404 (or a form error), never a 500 (security review, finding 8).

Run on SQLite and on PostgreSQL (``bash scripts/with-postgres.sh ...``): the limits differ (ids
overflow SQLite at 2^63 and PostgreSQL at 2^31; only PostgreSQL refuses NUL and long strings).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from qaframework.framework import Role
from qaframework.numbers import MAX_ID, whole_number
from qaframework.store import User
from tests.support import TEST_PASSWORD, CheckFor, ClientAs, MakeUser
from tests.webapp.journey import error_links, page

HUGE_IDS = (str(MAX_ID + 1), str(2**63), "9" * 30, "9" * 5000, "²", "٣")


def test_whole_number_takes_ascii_digits_in_range_only() -> None:
    assert whole_number(" 42 ") == 42
    assert whole_number(str(MAX_ID)) == MAX_ID
    assert [whole_number(text) for text in ("", "²", "٣", "4²", "-1", "1.0", "1e3", str(MAX_ID + 1), None)] == [
        None
    ] * 9
    assert whole_number("5", low=1, high=4) is None and whole_number("0", low=1) is None


def test_ids_too_big_for_the_database_are_404_on_every_route(app: Flask, client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    checked = not_found = 0
    for rule in app.url_map.iter_rules():
        ints = [name for name in rule.arguments if isinstance(rule._converters[name], IntegerConverter)]
        if not ints:
            continue
        for bad in HUGE_IDS:
            url = rule.rule
            for name in rule.arguments:
                url = url.replace(f"<int:{name}>", bad).replace(f"<{name}>", "a-views")
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                # 405 where another rule takes the same path for other methods (Werkzeug checks the
                # method before converting the id): still a refusal, not a crash.
                response = client.open(url, method=method)
                assert response.status_code in (404, 405), f"{method} {url[:80]} answered {response.status_code}"
                not_found += response.status_code == 404
                checked += 1
    assert checked >= 150 and not_found >= checked - 10


def test_numbers_in_query_strings_and_forms_never_crash(client_as: ClientAs, check_for: CheckFor) -> None:
    client, auditor = client_as(Role.AUDITOR, agency="send_service", manager=True)
    for url in ("/cases?page=²", "/audits?page=²", "/audits?tier=²", f"/audits/new?case_id={2**63}",
                "/audits/new?case_id=²", "/audits?scope=team&auditor=²"):
        assert client.get(url).status_code == 200, url
    for case_id in (str(2**63), "²", str(MAX_ID + 1)):
        response = client.post("/audits/new", data={"case_id": case_id, "subject": "final_plan"})
        assert response.status_code == 302 and response.headers["Location"] == "/audits/new", case_id
    draft = check_for(auditor, submit=False)
    for version in ("²", str(2**63)):
        response = client.post(f"/audits/{draft.id}/checklist", data={"version": version})
        assert response.status_code == 400, version
    response = client.post(f"/audits/{draft.id}/actions/new", data={
        "description": "Ask for the latest advice", "owner": str(2**63), "due_date-day": "²",
        "due_date-month": "1", "due_date-year": "2027"})
    assert response.status_code == 200
    assert "Due date must be a real date" in response.get_data(as_text=True)


def test_admin_numbers_in_query_strings(client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    for url in ("/admin/audit-trail?page=²&actor=²", f"/admin/audit-trail?actor={2**63}"):
        assert client.get(url).status_code == 200, url
    response = client.post("/admin/at-risk-week", data={"at_risk_from_week": "1²"})
    assert response.status_code == 200
    assert "Enter a whole number of weeks" in response.get_data(as_text=True)


def test_a_line_break_or_backslash_in_next_is_ignored(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user()
    for target in ("/%0D%0ASet-Cookie:%20evil=1", "/cases%0A", "/%5Cevil.example", "/%09/evil.example"):
        response = client.post(f"/sign-in?next={target}", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/", target
        assert "evil" not in response.headers.get("Set-Cookie", "")
        client.post("/sign-out")


def test_a_nul_character_anywhere_is_400_even_before_sign_in(client: FlaskClient, client_as: ClientAs) -> None:
    response = client.post("/sign-in", data={"email": "a\x00@example.test", "password": "x"})
    assert response.status_code == 400
    assert client.post("/sign-in", data={"email\x00": "a@example.test", "password": "x"}).status_code == 400
    signed_in, _ = client_as(Role.AUDITOR)
    for url in ("/cases?q=%00", "/audits/new?case_ref=%00&subject=final_plan", "/cases?q%00=x", "/admin%00"):
        assert signed_in.get(url).status_code == 400, url
    response = signed_in.post("/account/password", data={"current": "x\x00", "new": "y", "confirm": "y"})
    assert response.status_code == 400


def test_admin_fields_longer_than_their_columns_are_form_errors(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    users_before = session.scalar(select(func.count(User.id)))
    response = client.post("/admin/users/new", data={
        "email": "a" * 250 + "@example.test", "password": TEST_PASSWORD, "role": "panel_member",
        "display_name": "N" * 121, "agency": "", "team": "__new__", "new_team": "T" * 81})
    assert set(error_links(page(response)).values()) >= {
        "Email address must be 254 characters or fewer",
        "Full name must be 120 characters or fewer",
        "Keep the team name to 80 characters or fewer",
    }
    assert session.scalar(select(func.count(User.id))) == users_before


def test_editing_a_user_with_a_name_too_long_is_a_form_error(client_as: ClientAs, make_user: MakeUser,
                                                             session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    other = make_user(Role.PANEL_MEMBER)
    name = other.display_name
    response = client.post(f"/admin/users/{other.id}/edit", data={
        "display_name": "N" * 5000, "role": "panel_member", "agency": "", "team": ""})
    assert "Full name must be 120 characters or fewer" in error_links(page(response)).values()
    session.refresh(other)
    assert other.display_name == name


def test_no_code_trusts_str_isdigit_alone() -> None:
    """``str.isdigit()`` says yes to ``²``, which ``int()`` refuses: use ``whole_number`` (or isascii too)."""
    root = Path(__file__).resolve().parents[2]
    careless = [
        f"{path.relative_to(root)}:{number}"
        for package in ("qaframework", "webapp")
        for path in sorted((root / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".isdigit()" in line and "isascii()" not in line
    ]
    assert careless == []
