"""Home page: my audits by status, the Tier 1 target for this month, activity, things waiting."""

from __future__ import annotations

from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.audits import start_audit
from qaframework.operations.settings import TIER1_MONTHLY_TARGET, set_setting
from tests.support import ClientAs, MakeCase, TemplateVersionOf, submitted_check
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
    assert "1 of 4 checks submitted" in text and "3 still due" in text
    headings = [h.get_text(" ", strip=True) for h in soup.select("h2")]
    assert any(h.startswith("Drafts") for h in headings) and any(h.startswith("Submitted") for h in headings)
    assert "HOME01" in text and "HOME02" in text
    assert "Submitted an audit" in text  # recent activity


def test_home_for_roles_without_tier1_target(client_as: ClientAs) -> None:
    for role in (Role.PANEL_MEMBER, Role.BOARD_VIEWER, Role.ADMIN, Role.SYSTEM_LEADER):
        client, _ = client_as(role)
        soup = check_page(client.get("/"))
        assert "Tier 1 checks this month" not in soup.get_text()
        nav = [a.get_text(strip=True) for a in soup.select(".govuk-service-navigation a")]
        assert "Home" in nav and "Sign out" in nav
        assert ("Cases" in nav) is (role is not Role.BOARD_VIEWER)
        assert ("Admin" in nav) is (role is Role.ADMIN)
