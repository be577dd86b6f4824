"""Home page: my audits by status, the Tier 1 target for this month, activity, things waiting."""

from __future__ import annotations

from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.audits import start_audit
from qaframework.operations.settings import TIER1_MONTHLY_TARGET, TargetBasis, set_setting, set_tier1_target
from tests.support import ClientAs, MakeCase, MakeUser, TemplateVersionOf, submitted_check
from tests.webapp.pagecheck import check_page


def test_home_shows_drafts_submitted_and_target(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, auditor = client_as(Role.AUDITOR, agency="send_service", team="North")
    set_setting(session, None, TIER1_MONTHLY_TARGET, 4)
    tv = template_version("t1-coordinator-plan-check")
    draft_case, done_case = make_case("HOME01"), make_case("HOME02")
    start_audit(session, auditor, case_id=draft_case.id, template_version_id=tv.id, subject="draft_plan")
    submitted_check(session, auditor, done_case.id, tv.id)
    soup = check_page(client.get("/"))
    text = soup.get_text(" ", strip=True)
    assert "Your team (North): 1 of 4 plan checks submitted" in text and "3 still due" in text
    assert soup.select_one("#target-own").get_text(strip=True) == "You have submitted 1 of them."
    rule = soup.select_one("#target-rule").get_text(" ", strip=True)
    assert "4 plan checks a month for each team, between its co-ordinators" in rule
    assert "advice self-checks do not" in rule
    headings = [h.get_text(" ", strip=True) for h in soup.select("h2")]
    assert any(h.startswith("Drafts") for h in headings) and any(h.startswith("Submitted") for h in headings)
    assert "HOME01" in text and "HOME02" in text
    assert "Submitted an audit" in text  # recent activity


def test_home_target_per_co_ordinator(
    client_as: ClientAs, session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    client, auditor = client_as(Role.AUDITOR, agency="send_service", team="North")
    colleague = make_user(team="North")
    set_tier1_target(session, None, 3, TargetBasis.PER_PERSON)
    tv = template_version("t1-coordinator-plan-check")
    submitted_check(session, auditor, make_case().id, tv.id)
    submitted_check(session, colleague, make_case().id, tv.id)  # a colleague's check is not mine
    soup = check_page(client.get("/"))
    progress = soup.select_one("#target-progress").get_text(" ", strip=True)
    assert progress.startswith("1 of 3 plan checks submitted") and progress.endswith("2 still due.")
    assert soup.select_one("#target-own") is None
    assert "3 plan checks a month for each co-ordinator" in soup.select_one("#target-rule").get_text()


def test_home_for_roles_without_tier1_target(client_as: ClientAs) -> None:
    for role in (Role.PANEL_MEMBER, Role.BOARD_VIEWER, Role.ADMIN, Role.SYSTEM_LEADER):
        client, _ = client_as(role)
        soup = check_page(client.get("/"))
        assert "Tier 1 checks this month" not in soup.get_text()
        nav = [a.get_text(strip=True) for a in soup.select(".govuk-service-navigation a")]
        assert "Home" in nav and "Sign out" in nav
        assert ("Cases" in nav) is (role is not Role.BOARD_VIEWER)
        assert ("Admin" in nav) is (role is Role.ADMIN)


def test_every_role_finds_the_tier4_board_summaries_from_home(client_as: ClientAs) -> None:
    """The board reads Tier 4 through the approved summaries; before, nothing linked to them."""
    for role in Role:
        client, _ = client_as(role)
        link = check_page(client.get("/")).select_one("#board-summaries-link")
        assert link is not None, role
        assert link["href"] == "/board-summaries"
        assert client.get(str(link["href"])).status_code == 200
