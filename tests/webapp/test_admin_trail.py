"""Admin: the audit trail page, who changed what, filtered and paginated."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.settings import TIER1_MONTHLY_TARGET, set_setting
from tests.support import ClientAs, MakeCase, MakeUser, TemplateVersionOf
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
    assert "Name" in changes and "Renamed Person" in changes and "Agency Before: Health" in changes  # names, not codes
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


def test_trail_names_records_filters_by_case_and_date_and_exports_safe_csv(
    client_as: ClientAs, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf, session: Session
) -> None:
    import csv
    import io
    from datetime import UTC, datetime

    from qaframework.exports import safe_cell
    from qaframework.store import TrailEntry
    from tests.support import T1, submitted_check

    client, _ = client_as(Role.ADMIN)
    author = make_user(agency="send_service")
    mine = submitted_check(session, author, make_case("TRL-001").id, template_version(T1).id)
    other = submitted_check(session, author, make_case("TRL-002").id, template_version(T1).id)
    session.add(TrailEntry(at=datetime(2026, 3, 4, 12, 0, tzinfo=UTC), actor_id=author.id, action="audit.save",
                           entity="audit", entity_id=str(mine.id), after={"summary": "Better"}))
    author.display_name = "=2+5"  # a name a spreadsheet would run as a formula
    session.commit()

    soup = check_page(client.get("/admin/audit-trail?case_ref=trl-001"))
    records = [td.get_text(" ", strip=True) for td in soup.select("tbody tr td:nth-of-type(4)")]
    assert records and all("TRL-001" in r for r in records), records
    assert not any("TRL-002" in r for r in records) and not any(r == f"Audit {mine.id}" for r in records)
    assert f"Audit case TRL-001, {mine.template_version.title}" in records
    assert str(other.id) not in " ".join(records)

    dated = check_page(client.get("/admin/audit-trail?case_ref=TRL-001&from=1/3/2026&to=31/3/2026"))
    assert dated.select_one("#trail-count").get_text(strip=True).startswith("1 entry")
    bad = client.get("/admin/audit-trail?from=31/2/2026")
    assert bad.status_code == 200
    assert "The first date must be a real date" in check_page(bad).select_one(".govuk-error-summary").get_text()

    link = dated.select_one("#trail-count a")
    response = client.get(link["href"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["When", "Who", "What", "Type of record", "Record", "Record id", "Changes"]
    assert len(rows) == 2 and rows[1][4] == f"case TRL-001, {mine.template_version.title}"
    assert rows[1][1] == "'=2+5" and rows[1][6].startswith("summary: – → Text 6 characters, fingerprint ")
    assert "Better" not in response.get_data(as_text=True)  # the trail keeps a fingerprint, not the words
    assert safe_cell("=1+2") == "'=1+2" and safe_cell("@SUM(A1)") == "'@SUM(A1)" and safe_cell("\t=x") == "'\t=x"
    assert safe_cell("a\x00b\x1bc") == "abc" and safe_cell("-2") == "'-2" and safe_cell("plain") == "plain"


def test_trail_shows_agency_names_not_codes(client_as: ClientAs, session: Session) -> None:
    from qaframework.operations.users import add_user

    client, admin = client_as(Role.ADMIN)
    add_user(session, admin, email="new.person@example.test", password="a-long-enough-password", role="auditor",
             display_name="New Person", agency_code="send_service")
    text = check_page(client.get("/admin/audit-trail?entity=user")).get_text(" ", strip=True)
    assert "send_service" not in text and "agency code" not in text.lower()
    assert "SEND" in text
