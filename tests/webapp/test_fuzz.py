"""Property-based: hostile values posted to every route of the URL map, as every role, never
give a 500, and a refused request changes nothing in the database (security review, findings 5,
7 and 8: "prove the whole class is gone").

Routes come from ``app.url_map``, so a new blueprint is fuzzed without editing this file. Each
hypothesis example is one sweep over every route and method, with ids, path words, query values and
form fields drawn from hostile strategies (huge and control-character strings, NUL, Unicode
digits, ids past 2^31 and 2^63, SQL, formula and HTML text, missing, repeated and unknown fields,
a missing or wrong CSRF token) mixed with the ids of real rows, so pages past the 404 are reached.
Bounded (``derandomize``, a fixed number of sweeps) so the run costs the same every time; the
number of requests is printed at the end of the run (``tests/fuzzcount.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, String, func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule

import webapp
from qaframework import limits
from qaframework.framework import Role
from qaframework.operations.peer import request_challenge
from qaframework.store import Audit, Base
from tests import fuzzcount
from tests.db_snapshot import changed_tables, table_fingerprints
from tests.support import ClientAs, MakeCase, MakeUser
from tests.webapp.conftest import sign_in

SWEEPS = 1  # hypothesis examples per role; each is one request per route and method (~120)

HOSTILE_TEXT = [
    "", " ", "\x00", "a\x00b", "\r\nSet-Cookie: evil=1", "\t=1+1", "²", "٣", "-1", "0", "1.5", "1e3",
    str(2**31), str(2**63), "9" * 40, "=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(A1)",
    "'; DROP TABLE users; --", "\" OR 1=1 --", "<script>alert(1)</script>", "<svg/onload=alert(1)>",
    "../../etc/passwd", "%00", "\u202eevil", "\u200b", "😀" * 50, "x" * (limits.LONGEST + 1), "y" * 200_000,
    "yes", "no", "agree", "challenge", "met", "not_met", "not_applicable", "good", "outstanding", "continue",
]
#: Every field name the templates and forms use, so fuzzed forms reach the views' parsing.
TEMPLATES = Path(webapp.__file__).parent / "templates"


def _field_names() -> list[str]:
    names: set[str] = {"version", "form_token", "next", "page", "q", "decision", "comment", "status", "owner"}
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        names.update(re.findall(r'name="([a-z][a-z_-]*)"', text))
        names.update(re.findall(r'"name(?:Prefix)?": "([a-z][a-z_-]*)"', text))
    names.discard("csrf_token")
    return sorted(names)


FIELD_NAMES = _field_names()


def _id_strategy(ids: list[int]) -> st.SearchStrategy[str]:
    hostile = st.sampled_from(["0", "-1", str(2**31 - 1), str(2**31), str(2**63), "9" * 30, "²", "1_0", "0x1"])
    return st.one_of(st.sampled_from([str(i) for i in ids]), hostile, st.integers(-2**70, 2**70).map(str))


def _value_strategy(ids: list[int]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=40),  # any Unicode, control characters and surrogates excluded by hypothesis
        st.sampled_from([str(i) for i in ids]),
        st.integers(-2**70, 2**70).map(str),
    )


def _routes(app: Flask) -> list[tuple[Rule, str]]:
    return sorted(
        ((rule, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
         for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})),
        key=lambda pair: (pair[0].rule, pair[1]),
    )


def _url(rule: Rule, draw: Callable[..., Any], ids: st.SearchStrategy[str], words: st.SearchStrategy[str]) -> str:
    url = rule.rule
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        value = draw(ids if "Id" in converter or "Integer" in converter else words)
        url = re.sub(rf"<[^>]*\b{re.escape(name)}>", _quote(value), url)
    return url


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="") or "x"


def _refused(response: Any) -> bool:
    if response.status_code >= 400:
        return True
    return response.status_code == 200 and b"govuk-error-summary" in response.data


def _sweep(app: Flask, client: FlaskClient, who: str, data: st.DataObject, connection: Connection,
           ids: list[int], words: list[str], relogin: Callable[[], FlaskClient] | None) -> None:
    id_values, values = _id_strategy(ids), _value_strategy(ids)
    word_values = st.one_of(st.sampled_from(words), st.sampled_from(HOSTILE_TEXT[:30]), st.text(max_size=20))
    for rule, method in _routes(app):
        if who != "anonymous" and rule.endpoint in {"auth.sign_out", "auth.sign_out_everywhere"}:
            continue  # would end the fuzzing user's own session; covered by their own tests
        url = _url(rule, data.draw, id_values, word_values)
        query = data.draw(st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=3), label="query")
        form: MultiDict[str, str] = MultiDict()
        if method != "GET":
            for name, value in data.draw(st.lists(st.tuples(st.sampled_from(FIELD_NAMES), values), max_size=8),
                                         label="form"):
                form.add(name, value)  # repeated names included
            csrf = data.draw(st.sampled_from(["valid"] * 6 + ["missing", "wrong"]), label="csrf")
            if csrf == "missing":
                form.add("csrf_token", "")
            elif csrf == "wrong":
                form.add("csrf_token", "IjQ5ZjJmYzg2In0.aGVsbG8.forged")
        before = table_fingerprints(connection)
        response = client.open(url, method=method, query_string=query, data=form)
        fuzzcount.count(who)
        where = f"{method} {url[:120]} query={str(query)[:200]} form={str(list(form.items(multi=True)))[:300]}"
        assert response.status_code < 500, f"{response.status_code} from {where}"
        if method == "GET" or _refused(response):
            changed = changed_tables(before, table_fingerprints(connection))
            assert changed == [], f"{where} answered {response.status_code} but changed {changed}"
        if relogin is not None and response.status_code == 302 and "/sign-in" in response.headers.get("Location", ""):
            client = relogin()  # the fuzz signed this user out some other way (a password change)


def _seed(session: Session, make_user: MakeUser, make_case: MakeCase,
          check_for: Callable[..., Audit]) -> tuple[list[int], list[str]]:
    """A little of everything, so real ids (and section ids) lead past the 404s into forms and their
    validation."""
    author = make_user(Role.AUDITOR, team="North")
    colleague = make_user(Role.AUDITOR, team="North")
    submitted, draft = check_for(author), check_for(author, submit=False)
    challenge = request_challenge(session, author, submitted.id, colleague.id)
    make_case()
    ids = sorted({1, 2, 3, author.id, colleague.id, submitted.id, draft.id, challenge.id})
    return ids, sorted({section.id for section in draft.template.sections} | {"x"})


def _longest_stored_text(connection: Connection) -> tuple[int, str]:
    longest = (0, "")
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String) and table.name not in {"template_versions", "audit_trail"}:
                length = int(connection.scalar(select(func.max(func.length(column)))) or 0)
                longest = max(longest, (length, f"{table.name}.{column.name}"))
    return longest


ROLES: list[tuple[str, dict[str, Any]]] = [
    ("anonymous", {}),
    ("auditor", {"role": Role.AUDITOR, "agency": "send_service", "team": "North", "manager": True}),
    ("panel_member", {"role": Role.PANEL_MEMBER}),
    ("system_leader", {"role": Role.SYSTEM_LEADER}),
    ("board_viewer", {"role": Role.BOARD_VIEWER}),
    ("parent_carer_forum", {"role": Role.PARENT_CARER_FORUM}),
    ("admin", {"role": Role.ADMIN}),
]


@pytest.mark.parametrize(("who", "user_args"), ROLES, ids=[who for who, _ in ROLES])
def test_hostile_input_never_crashes_and_refusals_change_nothing(
    who: str, user_args: dict[str, Any], app: Flask, client_as: ClientAs, make_user: MakeUser,
    make_case: MakeCase, check_for: Callable[..., Audit], session: Session, connection: Connection,
) -> None:
    ids, words = _seed(session, make_user, make_case, check_for)
    if who == "anonymous":
        client, relogin = app.test_client(), None
    else:
        client, user = client_as(**user_args)

        def relogin() -> FlaskClient:
            return sign_in(app.test_client(), user)

    @settings(max_examples=SWEEPS, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def sweep(data: st.DataObject) -> None:
        _sweep(app, client, who, data, connection, ids, words, relogin)

    sweep()
    length, where = _longest_stored_text(connection)
    assert length <= limits.LONGEST, f"{where} holds {length:,} characters, over every limit"
