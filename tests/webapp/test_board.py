"""The board's dashboard (/board): who reads it, filters that change the figures, small cells hidden,
and tables that say exactly what the charts draw, against a hand-made set of audits."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy.orm import Session

from qaframework.framework import Role, Tier
from qaframework.store import Audit, User
from tests.support import ClientAs, MakeCase, MakeUser, TemplateVersionOf

YEAR, HALF = "2025-26", "Autumn 1"
CYCLE = f"{YEAR} {HALF}"
T2 = "t2-health-advice-audit"

AddAudits = Callable[..., list[Audit]]


@pytest.fixture
def add_audits(session: Session, make_user: MakeUser, make_case: MakeCase,
               template_version: TemplateVersionOf) -> AddAudits:
    """``add_audits(n, grade, tier=2, agency="health", year_group="5", cycle=CYCLE, ...)``: n submitted audits
    graded ``grade``, each on its own case (the case's phase, need and setting as given)."""
    auditor = make_user(Role.AUDITOR, agency="health")
    version = template_version(T2)

    def add(n: int, grade: str, *, tier: int = Tier.SINGLE_AGENCY, agency: str | None = "health",
            year_group: str = "5", primary_need: str = "ASD", setting_type: str = "Mainstream school",
            cycle: str = CYCLE) -> list[Audit]:
        made = []
        for _ in range(n):
            case = make_case(year_group=year_group, primary_need=primary_need, setting_type=setting_type)
            audit = Audit(case_id=case.id, template_version_id=version.id, subject="advice", tier=int(tier),
                          agency_code=agency, auditor_id=auditor.id, status="submitted", cycle=cycle,
                          auditor_grade=grade, suggested_grade=grade, summary="Free text about Jo Bloggs")
            session.add(audit)
            made.append(audit)
        session.commit()
        return made

    return add


@pytest.fixture
def area(add_audits: AddAudits) -> None:
    """Tier 2: health audits of primary-age children (6 good, 5 requires improvement) and education
    audits of secondary-age children with SEMH (7 outstanding, 5 inadequate); nothing small."""
    add_audits(6, "good")
    add_audits(5, "requires_improvement")
    add_audits(7, "outstanding", agency="education", year_group="9", primary_need="SEMH")
    add_audits(5, "inadequate", agency="education", year_group="9", primary_need="SEMH")


def page(client: object, query: str = "") -> BeautifulSoup:
    response = client.get(f"/board?year={YEAR}&{query}")  # type: ignore[attr-defined]
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def grade_row(soup: BeautifulSoup, tier: int) -> list[str]:
    row = soup.select_one(f"#grades-table tr[data-key='{tier}']")
    assert isinstance(row, Tag)
    return [cell.get_text(" ", strip=True).split(" (")[0] for cell in row.find_all("td")]


def chart_segments(soup: BeautifulSoup, tier_index: int) -> dict[str, str]:
    """The counts the grade chart writes on the bar of the tier_index-th row, by grade."""
    bars = soup.select("#grades-chart")
    assert bars, "no grade chart"
    found: dict[str, str] = {}
    labels = soup.select("#grades-chart .app-chart__label")
    label = labels[tier_index].get_text()
    # segments follow their row's label in document order
    node = labels[tier_index]
    for sibling in node.find_all_next(["g", "text"]):
        if sibling.name == "text" and "app-chart__label" in (sibling.get("class") or []):
            break
        if sibling.name == "g" and "app-chart__segment" in (sibling.get("class") or []):
            found[str(sibling["data-key"])] = str(sibling["data-count"])
    assert label
    return found


@pytest.mark.parametrize(
    ("role", "leads", "status"),
    [
        (Role.BOARD_VIEWER, False, 200),
        (Role.SYSTEM_LEADER, False, 200),
        (Role.ADMIN, False, 200),
        (Role.PANEL_MEMBER, True, 200),
        (Role.PANEL_MEMBER, False, 403),
        (Role.AUDITOR, False, 403),
        (Role.PARENT_CARER_FORUM, False, 403),
    ],
)
def test_who_reads_the_dashboard(client_as: ClientAs, session: Session, role: Role, leads: bool, status: int) -> None:
    client, user = client_as(role)
    if leads:
        user.leads_panel = True
        session.commit()
    response = client.get("/board")
    assert response.status_code == status
    nav = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser").select(".govuk-service-navigation a")
    assert ("Board" in [a.get_text(strip=True) for a in nav]) is (status == 200)


def test_signed_out_people_are_sent_to_sign_in(client: object) -> None:
    response = client.get("/board")  # type: ignore[attr-defined]
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_grade_table_counts_the_audits_and_the_filters_narrow_them(client_as: ClientAs, area: None) -> None:
    client, _ = client_as(Role.BOARD_VIEWER)
    # Outstanding, Good, Requires improvement, Inadequate, Total
    assert grade_row(page(client), 2) == ["7", "6", "5", "5", "23"]
    assert grade_row(page(client, "agency=health"), 2) == ["0", "6", "5", "0", "11"]
    assert grade_row(page(client, "phase=secondary"), 2) == ["7", "0", "0", "5", "12"]
    assert grade_row(page(client, "primary_need=SEMH&agency=education"), 2) == ["7", "0", "0", "5", "12"]
    assert grade_row(page(client, "setting_type=Mainstream+school&phase=primary"), 2) == ["0", "6", "5", "0", "11"]
    assert grade_row(page(client, f"cycle={HALF.replace(' ', '+')}"), 2) == ["7", "6", "5", "5", "23"]
    assert grade_row(page(client, "cycle=Spring+1"), 2) == ["0", "0", "0", "0", "0"]


def test_headline_and_good_or_better_follow_the_filters(client_as: ClientAs, area: None) -> None:
    client, _ = client_as(Role.BOARD_VIEWER)
    soup = page(client)
    headline = {dt.get_text(strip=True): dd.get_text(" ", strip=True)
                for dt, dd in zip(soup.select("#headline dt"), soup.select("#headline dd"), strict=True)}
    assert headline["Audits done"] == "23"
    assert headline["Graded good or better"] == "56.5%"  # 13 of 23
    soup = page(client, "agency=health")
    assert soup.select_one("#headline dd").get_text(strip=True) == "11"
    tier2 = soup.select("#good tbody tr")[1]
    assert [td.get_text(strip=True) for td in tier2.find_all("td")][:2] == ["11", "54.5%"]  # 6 of 11
    assert "Agency: Health" in soup.select_one("#filters-in-use").get_text()


def test_the_chart_draws_the_numbers_in_its_table(client_as: ClientAs, area: None) -> None:
    client, _ = client_as(Role.BOARD_VIEWER)
    soup = page(client)
    # row order in the chart: Tier 1, Tier 2, Tier 3
    assert chart_segments(soup, 1) == {"outstanding": "7", "good": "6", "requires_improvement": "5", "inadequate": "5"}
    written = [t.get_text() for t in soup.select("#grades-chart .app-chart__value")]
    assert written == ["7", "6", "5", "5"]
    # every bar's segments fill the chart's width in proportion to the table's counts
    widths = {str(g["data-key"]): float(str(g.select_one("rect")["width"]))
              for g in soup.select("#grades-chart .app-chart__segment")}
    assert widths["outstanding"] / widths["inadequate"] == pytest.approx(7 / 5, rel=1e-3)
    # the trend's markers carry the rates the trend table prints
    table_rate = soup.select_one("#trend-table tbody tr:first-child td[data-tier='2']").get_text(" ", strip=True)
    markers = soup.select("#trend-chart .app-chart__series[data-key='tier-2'] .app-chart__marker")
    assert table_rate.startswith("56.5%") and len(markers) == 1 and markers[0]["data-value"] == "56.5"
    svg = soup.select_one("#grades-chart")
    assert svg["role"] == "img" and svg["aria-labelledby"] == "grades-chart-title grades-chart-desc"
    assert svg.select_one("title").get_text().startswith("Grades by tier")


def test_small_counts_show_as_c_in_the_table_and_are_never_drawn(client_as: ClientAs, add_audits: AddAudits,
                                                                  area: None) -> None:
    add_audits(2, "good", tier=Tier.AGENCY_CHECK)
    client, _ = client_as(Role.BOARD_VIEWER)
    soup = page(client)
    tier1 = grade_row(soup, 1)
    assert tier1[1] == "[c]" and tier1[4] == "[c]"
    assert "fewer than 5" in soup.select_one("#grades-table").get_text()
    assert chart_segments(soup, 0) == {}
    notes = [t.get_text() for t in soup.select("#grades-chart .app-chart__note")]
    assert notes[0] == "Too few to show"
    # secondary suppression: the tier 2 row hides another cell (and its total); the chart leaves the
    # hidden cell out, draws the others at their counts and writes "[c]" after the bar
    tier2 = grade_row(soup, 2)
    assert tier2.count("[c]") >= 2
    codes = ("outstanding", "good", "requires_improvement", "inadequate")
    assert chart_segments(soup, 1) == {code: text for code, text in zip(codes, tier2, strict=False)
                                       if text not in ("[c]", "0")}
    assert [t.get_text() for t in soup.select("#grades-chart .app-chart__hidden-mark")] == ["[c]"]


def test_the_twenty_week_table_and_chart_agree(client_as: ClientAs, area: None) -> None:
    client, _ = client_as(Role.BOARD_VIEWER)
    soup = page(client)
    table = [td.get_text(" ", strip=True).split(" (")[0] for td in soup.select("#week20-table td[data-rate]")]
    chart = [t.get_text() for t in soup.select("#week20-chart .app-chart__value")]
    assert len(table) == 12 and chart == table
    # the hand-made area has audits but no request: no plan was issued, said in words
    summary = soup.select_one("#week20-summary").get_text(" ", strip=True)
    assert summary.startswith("No EHC plans were issued in 2025-26.")


def test_no_case_reference_name_or_free_text_reaches_the_page(client_as: ClientAs, area: None,
                                                              session: Session) -> None:
    client, _ = client_as(Role.BOARD_VIEWER)
    html = client.get(f"/board?year={YEAR}").get_data(as_text=True)
    refs = [a.case.case_ref for a in session.query(Audit).all()]
    assert refs and not [ref for ref in refs if ref in html]
    assert "Jo Bloggs" not in html
    auditors = [u.display_name for u in session.query(User).filter(User.role == "auditor")]
    assert auditors and not [name for name in auditors if name in html]


@pytest.mark.parametrize(
    ("query", "field"),
    [("year=1999-00", "year"), ("cycle=Winter", "cycle"), ("agency=nowhere", "agency"), ("phase=college", "phase"),
     ("primary_need=XYZ", "primary_need"), ("setting_type=Moon+base", "setting_type")],
)
def test_a_choice_not_offered_is_named_on_the_form(client_as: ClientAs, area: None, query: str, field: str) -> None:
    client, _ = client_as(Role.BOARD_VIEWER)
    response = client.get(f"/board?{query}")
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one(".govuk-error-summary a")["href"] == f"#{field}"
    assert soup.select_one(f"#{field}-error") is not None
    assert soup.select_one("#headline") is None
    assert soup.title.get_text().startswith("Error:")


def test_the_form_works_without_javascript_and_keeps_the_choices(client_as: ClientAs, area: None) -> None:
    client, _ = client_as(Role.BOARD_VIEWER)
    soup = page(client, "agency=health&cycle=Autumn+1")
    form = soup.select_one("form.app-board-filters")
    assert form["method"] == "get"
    assert soup.select_one("#agency option[selected]")["value"] == "health"
    assert soup.select_one("#cycle option[selected]")["value"] == HALF
    assert soup.select_one("#year option[selected]")["value"] == YEAR
    assert soup.select_one("h1").get_text(strip=True) == f"Board dashboard: {CYCLE}"
    assert soup.select_one("#board-pack-link a")["href"].endswith("/reports")


def test_a_board_viewers_home_leads_to_the_dashboard(client_as: ClientAs) -> None:
    client, _ = client_as(Role.BOARD_VIEWER)
    soup = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    link = soup.select_one("#board-dashboard-link")
    assert link is not None and link["href"] == "/board"
    assert re.search(r"dashboard", link.get_text(), re.I)


def test_the_default_is_the_latest_year_with_audits(client_as: ClientAs, add_audits: AddAudits) -> None:
    add_audits(5, "good", cycle="2024-25 Summer 2")
    client, _ = client_as(Role.BOARD_VIEWER)
    soup = BeautifulSoup(client.get("/board").get_data(as_text=True), "html.parser")
    assert soup.select_one("#year option[selected]")["value"] == "2024-25"
    assert grade_row(soup, 2)[1] == "5"
    assert date.today().year >= 2025  # the current year is offered too
    assert len(soup.select("#year option")) >= 2
