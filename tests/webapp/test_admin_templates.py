"""Admin: checklist template versions, what each asks, retiring and restoring."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.templates import current_versions
from tests.support import ClientAs, TemplateVersionOf, refreshed
from tests.webapp.pagecheck import check_page


def _statuses(soup: BeautifulSoup) -> dict[tuple[str, int], str]:
    """(Checklist title, version) → status tag text, from the list page."""
    return {
        (row.find("a").get_text(" ", strip=True).split(",")[0].strip(), int(row.select("td")[1].get_text(strip=True))):
            row.select_one(".govuk-tag").get_text(strip=True)
        for row in soup.select("tbody tr")
    }


def test_list_shows_every_version_and_which_is_current(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    soup = check_page(client.get("/admin/templates"))
    statuses = _statuses(soup)
    current = {(tv.title, tv.version) for tv in current_versions(session)}
    assert {key for key, status in statuses.items() if status == "Current"} == current
    assert {status for key, status in statuses.items() if key not in current} == {"Superseded"}
    assert statuses[("Agency advice self-check", 2)] == "Current"
    assert statuses[("Agency advice self-check", 1)] == "Superseded"
    assert [c.get_text(strip=True) for c in soup.select("caption")][:1] == ["Tier 1: agency contribution check"]
    assert f"{len(current)} checklists are in use" in soup.get_text()
    counts = [int(row.select("td")[-1].get_text()) for row in soup.select("tbody tr")]
    assert all(n > 0 for n in counts)


def test_view_shows_questions_with_guidance_and_rules(client_as: ClientAs, template_version: TemplateVersionOf) -> None:
    client, _ = client_as(Role.ADMIN)
    tv = template_version("t1-agency-advice-self-check")
    soup = check_page(client.get(f"/admin/templates/{tv.id}"))
    assert soup.h1.get_text(" ", strip=True) == "Agency advice self-check Current"
    questions = tv.template.questions()
    headings = [h.get_text(" ", strip=True) for h in soup.select(".app-admin-question h3")]
    assert len(headings) == len(questions)
    assert headings[0] == f"{questions[0].id} {questions[0].text}"
    first = soup.select_one(".app-admin-question").get_text(" ", strip=True)
    assert questions[0].guidance in first
    assert "What good looks like" in first and "Not applicable" in first and "Good practice" in first
    assert soup.find(id="grading") is not None
    assert "Retire this version" in soup.get_text()


def test_retire_then_restore(client_as: ClientAs, template_version: TemplateVersionOf, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    tv = template_version("t3-refusal-decision-audit")  # a checklist with one version: nothing takes over
    soup = check_page(client.get(f"/admin/templates/{tv.id}/retire"))
    assert "No version of “" in soup.select_one(".govuk-inset-text").get_text()

    response = client.post(f"/admin/templates/{tv.id}/retire")
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/templates/{tv.id}"
    session.refresh(tv)
    assert tv.retired is True
    assert tv.id not in {v.id for v in current_versions(session)}
    soup = check_page(client.get(response.headers["Location"]))
    assert "has been retired" in soup.select_one(".govuk-notification-banner").get_text()
    assert _statuses(check_page(client.get("/admin/templates")))[(tv.title, tv.version)] == "Retired"

    check_page(client.get(f"/admin/templates/{tv.id}/restore"))
    assert client.post(f"/admin/templates/{tv.id}/restore").status_code == 302
    assert refreshed(session, tv).retired is False
    assert _statuses(check_page(client.get("/admin/templates")))[(tv.title, tv.version)] == "Current"


def test_retiring_twice_changes_nothing(
    client_as: ClientAs, template_version: TemplateVersionOf, session: Session
) -> None:
    client, _ = client_as(Role.ADMIN)
    tv = template_version("t3-annual-review")
    client.post(f"/admin/templates/{tv.id}/retire")
    response = client.post(f"/admin/templates/{tv.id}/retire")
    assert response.status_code == 302
    soup = check_page(client.get(response.headers["Location"]))
    assert "is already retired" in soup.get_text()


def test_unknown_version_is_404(client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    for url in ("/admin/templates/999999", "/admin/templates/999999/retire"):
        response = client.get(url)
        assert response.status_code == 404
        check_page(response)
