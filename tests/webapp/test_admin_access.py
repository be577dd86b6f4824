"""Admin pages: for administrators only, every one of them, whatever the method."""

from __future__ import annotations

import pytest
from flask import Flask

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_directory
from qaframework.framework import Role
from tests.support import ClientAs
from tests.webapp.pagecheck import check_page

EXAMPLE_ARGS = {"user_id": 1, "version_id": 1, "case_id": 1, "token": "A" * 32, "academic_year": "2025-26"}


def _admin_urls(app: Flask) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.build({arg: EXAMPLE_ARGS[arg] for arg in rule.arguments})[1]
        urls += [(method, url) for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
    return urls


def test_there_are_admin_pages_to_check(app: Flask) -> None:
    urls = _admin_urls(app)
    assert len(urls) >= 20
    assert ("GET", "/admin") in urls and ("POST", "/admin/case-import/confirm") in urls


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.BOARD_VIEWER])
def test_other_roles_get_403_everywhere(app: Flask, client_as: ClientAs, role: Role) -> None:
    client, _ = client_as(role, manager=True)
    for method, url in _admin_urls(app):
        response = client.open(url, method=method)
        assert response.status_code == 403, f"{role} {method} {url} answered {response.status_code}"
        soup = check_page(response)
        assert "This page is for administrators" in soup.get_text(), url


def test_admin_landing_page_links_every_task(client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    soup = check_page(client.get("/admin"))
    assert soup.h1.get_text(strip=True) == "Admin"
    links = {a["href"] for a in soup.select("main a")}
    assert {
        "/admin/users",
        "/admin/templates",
        "/admin/term-dates",
        "/admin/case-import",
        "/admin/audit-trail",
    } <= links
    text = soup.get_text(" ", strip=True)
    checklists = len({t.id for t in load_directory(DEFAULT_TEMPLATE_DIR)})  # one current version each
    assert f"{checklists} in use" in text
    assert "Tier 1 target: 25 plan checks a month for each team, between its co-ordinators" in text
