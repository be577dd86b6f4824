"""Team oversight: a manager sees their own team's Tier 1 checks this month; admins choose a team."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.peer import request_challenge
from qaframework.operations.settings import TargetBasis, set_tier1_target, tier1_target
from qaframework.store import Audit, User
from tests.support import T1, ClientAs, MakeUser, submitted_check
from tests.webapp.journey import page


@pytest.fixture
def checks(
    session: Session, make_case: Callable[..., Any], template_version: Callable[[str], Any]
) -> Callable[..., list[Audit]]:
    def factory(author: User, n: int, submit: bool = True) -> list[Audit]:
        return [submitted_check(session, author, make_case().id, template_version(T1).id, submit) for _ in range(n)]

    return factory


def table(soup: BeautifulSoup) -> dict[str, dict[str, str]]:
    """The oversight table as {co-ordinator: {column header: cell text}}."""
    headers = [th.get_text(" ", strip=True) for th in soup.select("table.app-oversight-table thead th")]
    rows = {}
    for tr in soup.select("table.app-oversight-table tbody tr"):
        for hidden in tr.select(".govuk-visually-hidden"):  # words for screen readers, not the visible value
            hidden.decompose()
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        name = tr.th.a or tr.th
        rows[str(name.contents[0]).strip()] = dict(zip(headers, cells, strict=True))
    return rows


def test_manager_sees_their_own_team_this_month(
    client_as: ClientAs, make_user: MakeUser, checks: Callable[..., list[Audit]], session: Session
) -> None:
    client, manager = client_as(Role.AUDITOR, team="North", manager=True)
    busy, quiet = make_user(team="North"), make_user(team="North")
    south = make_user(team="South")
    make_user(agency="health", team="North")
    busy_checks = checks(busy, 2)
    checks(busy, 1, submit=False)  # drafts do not count
    checks(quiet, 1)
    checks(south, 3)
    request_challenge(session, busy, busy_checks[0].id, quiet.id)
    set_tier1_target(session, None, 25, TargetBasis.PER_PERSON)
    target = tier1_target(session).checks

    soup = page(client.get("/team"))
    assert soup.h1.get_text(strip=True) == "Team North"
    rows = table(soup)
    assert set(rows) == {manager.display_name, busy.display_name, quiet.display_name}
    assert rows[busy.display_name]["Checks this month"] == f"2 of {target}"
    assert rows[busy.display_name]["Good"] == "2" and rows[busy.display_name]["Inadequate"] == "0"
    assert rows[busy.display_name]["Open peer challenges"] == "1"
    assert rows[quiet.display_name]["Checks this month"] == f"1 of {target}"
    assert rows[quiet.display_name]["Open peer challenges"] == "0"
    assert rows[manager.display_name]["Checks this month"] == f"0 of {target}"
    summary = " ".join(soup.select_one("#team-summary").get_text().split())
    assert summary.startswith(f"3 of {3 * target} plan checks submitted")
    assert "1 peer challenge is open." in summary

    soup = page(client.get("/team?team=South"))  # a manager cannot look at another team
    assert set(table(soup)) == {manager.display_name, busy.display_name, quiet.display_name}
    assert soup.select_one("select#team") is None


def test_team_total_is_shared_by_the_team(
    client_as: ClientAs, make_user: MakeUser, checks: Callable[..., list[Audit]], session: Session
) -> None:
    client, manager = client_as(Role.AUDITOR, team="North", manager=True)
    member = make_user(team="North")
    checks(member, 2)
    checks(make_user(team="South"), 4)
    soup = page(client.get("/team"))
    rows = table(soup)
    assert rows[member.display_name]["Checks this month"] == "2"
    assert rows[manager.display_name]["Checks this month"] == "0"
    summary = " ".join(soup.select_one("#team-summary").get_text().split())
    assert summary.startswith("2 of 25 plan checks submitted (8%)")
    rule = soup.select_one("#target-rule").get_text(" ", strip=True)
    assert "25 plan checks a month for each team, between its co-ordinators" in rule
    assert "not advice self-checks" in rule


def test_only_team_managers_and_admins(client_as: ClientAs) -> None:
    for role, args in ((Role.AUDITOR, {"team": "North"}), (Role.PANEL_MEMBER, {}), (Role.BOARD_VIEWER, {})):
        client, _ = client_as(role, **args)
        page(client.get("/team"), 403)


def test_admin_chooses_a_team(client_as: ClientAs, make_user: MakeUser, checks: Callable[..., list[Audit]]) -> None:
    client, _ = client_as(Role.ADMIN)
    north, south = make_user(team="North"), make_user(team="South")
    checks(south, 1)

    soup = page(client.get("/team"))
    assert soup.h1.get_text(strip=True) == "All teams"
    options = [o["value"] for o in soup.select("select#team option")]
    assert "" in options and "North" in options and "South" in options
    assert {north.display_name, south.display_name} <= set(table(soup))

    soup = page(client.get("/team?team=South"))
    assert soup.h1.get_text(strip=True) == "Team South"
    assert soup.select_one("select#team option[selected]")["value"] == "South"
    rows = table(soup)
    assert south.display_name in rows and north.display_name not in rows
    assert rows[south.display_name]["Checks this month"] == "1"  # a team total: no per-person target

    soup = page(client.get("/team?team=Nowhere"))
    assert soup.h1.get_text(strip=True) == "All teams"


def test_manager_can_act_links_to_checks_and_challenges_month_picker_overdue_actions_and_old_drafts(
    client_as: ClientAs, make_user: MakeUser, checks: Callable[..., list[Audit]], session: Session
) -> None:
    from datetime import UTC, date, datetime, timedelta

    from qaframework.store import Action

    client, _ = client_as(Role.AUDITOR, team="North", manager=True)
    busy, quiet = make_user(team="North"), make_user(team="North")
    south = make_user(team="South")
    done = checks(busy, 2)
    old_month = checks(busy, 1)[0]
    old_month.created_at = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    stale = checks(quiet, 1, submit=False)[0]
    stale.updated_at = datetime.now(UTC) - timedelta(days=45)
    checks(quiet, 1, submit=False)  # a fresh draft is not "old"
    south_draft = checks(south, 1, submit=False)[0]
    south_draft.updated_at = datetime.now(UTC) - timedelta(days=90)
    for text, days in (("Add the therapy hours", -3), ("Not yet due", 3)):
        session.add(Action(audit_id=done[0].id, description=text, owner_id=busy.id, agency_code="send_service",
                           due_date=date.today() + timedelta(days=days), status="open", created_by_id=busy.id))
    session.commit()
    request_challenge(session, busy, done[0].id, quiet.id)

    soup = page(client.get("/team"))
    link = soup.find("a", href=lambda h: h and f"auditor={busy.id}" in h and "tier=1" in h)
    assert link is not None and busy.display_name in link.get_text()
    listed = page(client.get(link["href"]))
    assert listed.h1.get_text(strip=True).startswith(f"{busy.display_name}’s audits started in")
    linked_ids = {a["href"] for a in listed.select("tbody a")}
    assert linked_ids == {f"/audits/{a.id}" for a in done}  # this month's only, not January's
    peer_link = soup.find("a", href=lambda h: h and f"auditor={busy.id}" in h and "peer=open" in h)
    assert {a["href"] for a in page(client.get(peer_link["href"])).select("tbody a")} == {f"/audits/{done[0].id}"}
    # Another team's co-ordinator is not the manager's to list.
    assert client.get(f"/audits?scope=team&auditor={south.id}").status_code == 403

    # The month picker: January shows the check started then.
    january = page(client.get("/team?month=2026-01"))
    assert january.select_one("span.govuk-caption-l").get_text(strip=True) == "Tier 1 checks in January 2026"
    assert table(january)[busy.display_name]["Checks this month"] == "1"  # a team total: no per-person figure

    overdue = soup.select_one("#overdue-actions").find_next("ul").get_text(" ", strip=True)
    assert "Add the therapy hours" in overdue and "Not yet due" not in overdue
    drafts = soup.select_one("#stale-drafts").find_next("ul")
    assert {a["href"] for a in drafts.select("a")} == {f"/audits/{stale.id}"}
