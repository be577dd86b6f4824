"""Admin: the audit trail page, who changed what, filtered and paginated."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.settings import TIER1_MONTHLY_TARGET, set_setting
from tests.support import ClientAs, MakeUser
from tests.webapp.pagecheck import check_page


def _rows(soup: BeautifulSoup) -> list[list[str]]:
    return [[" ".join(td.get_text(" ").split()) for td in tr.select("td")] for tr in soup.select("tbody tr")]


def test_changes_show_who_what_and_before_after(client_as: ClientAs, make_user: MakeUser, session: Session) -> None:
    client, admin = client_as(Role.ADMIN)
    user = make_user(Role.AUDITOR, agency="health")
    client.post(
        f"/admin/users/{user.id}/edit",
        data={"display_name": "Renamed Person", "role": "auditor", "agency": "education"},
    )
    soup = check_page(client.get(f"/admin/audit-trail?entity=user&entity_id={user.id}"))
    rows = _rows(soup)
    assert len(rows) == 1
    _when, who, what, record, changes = rows[0]
    assert (who, what, record) == (admin.display_name, "Changed a user's details", "User Renamed Person")
    assert "Display name" in changes and "Renamed Person" in changes and "Agency code" in changes
    assert "Role" not in changes  # unchanged fields are left out
    assert soup.select_one("tbody a")["href"] == f"/admin/users/{user.id}"


def test_sign_ins_are_hidden_unless_asked_for(client_as: ClientAs) -> None:
    client, admin = client_as(Role.ADMIN)
    soup = check_page(client.get(f"/admin/audit-trail?actor={admin.id}"))
    assert "Signed in" not in [r[2] for r in _rows(soup)]
    soup = check_page(client.get(f"/admin/audit-trail?actor={admin.id}&sign_ins=yes"))
    assert "Signed in" in [r[2] for r in _rows(soup)]
    assert soup.select_one("input[name=sign_ins]").has_attr("checked")
    assert soup.select_one(f"select[name=actor] option[value='{admin.id}']").has_attr("selected")


def test_pagination_and_nonsense_filters(client_as: ClientAs, session: Session) -> None:
    client, admin = client_as(Role.ADMIN)
    for n in range(55):
        set_setting(session, admin, TIER1_MONTHLY_TARGET, n + 1)
    soup = check_page(client.get(f"/admin/audit-trail?actor={admin.id}"))
    assert len(_rows(soup)) == 50
    assert "55 entries, page 1 of 2" in soup.select_one("#trail-count").get_text()
    next_link = soup.select_one(".govuk-pagination__next a")["href"]
    soup = check_page(client.get(next_link))
    assert len(_rows(soup)) == 5
    assert "Audit trail (page 2 of 2)" in soup.title.get_text()
    # unknown filter values are ignored, not errors
    response = client.get("/admin/audit-trail?entity=nope&actor=abc&page=-4")
    assert response.status_code == 200
    check_page(response)


def test_system_entries_are_labelled(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    set_setting(session, None, TIER1_MONTHLY_TARGET, 40)
    soup = check_page(client.get("/admin/audit-trail?entity=setting"))
    first = _rows(soup)[0]
    assert first[1:4] == ["System", "Changed a setting", "Setting Tier 1 monthly target"]
    assert "40" in first[4]
