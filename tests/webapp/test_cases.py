"""The case list (search, filters, pagination) and the case page (statutory clock, audits)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.audits import start_audit
from tests.support import ClientAs, MakeCase, MakeUser, TemplateVersionOf
from tests.webapp.journey import check_page


def _refs(soup: BeautifulSoup) -> list[str]:
    return [a.get_text(strip=True) for a in soup.select("table.govuk-table tbody th a")]


def test_search_and_filters_narrow_the_list(client_as: ClientAs, make_case: MakeCase) -> None:
    make_case("CSA-001", primary_need="ASD", team="North", year_group="3")
    make_case("CSA-002", primary_need="SEMH", team="South", year_group="9")
    make_case("OTHER-9", primary_need="ASD", team="South", year_group="R", setting_type="Special school")
    client, _ = client_as(Role.AUDITOR)

    soup = check_page(client.get("/cases"))
    assert _refs(soup) == ["CSA-001", "CSA-002", "OTHER-9"]
    assert soup.select_one("#case-count").get_text(strip=True) == "3 cases."
    assert soup.find("a", string="CSA-001")["href"].startswith("/cases/")

    assert _refs(check_page(client.get("/cases?q=csa"))) == ["CSA-001", "CSA-002"]
    assert _refs(check_page(client.get("/cases?primary_need=ASD"))) == ["CSA-001", "OTHER-9"]
    assert _refs(check_page(client.get("/cases?team=South&primary_need=ASD"))) == ["OTHER-9"]
    assert _refs(check_page(client.get("/cases?phase=secondary"))) == ["CSA-002"]
    assert _refs(check_page(client.get("/cases?setting_type=Special+school"))) == ["OTHER-9"]

    soup = check_page(client.get("/cases?q=nothing-like-this"))
    assert _refs(soup) == []
    assert "No cases match these filters" in soup.select_one("#case-count").get_text()
    # The filters keep what was chosen, and the team options come from the data.
    soup = check_page(client.get("/cases?team=South"))
    assert soup.select_one("#team option[selected]")["value"] == "South"
    assert [o["value"] for o in soup.select("#team option")] == ["", "North", "South"]


def test_list_paginates_and_keeps_filters(client_as: ClientAs, make_case: MakeCase) -> None:
    for n in range(27):
        make_case(f"PG-{n:03d}", team="East")
    client, _ = client_as(Role.PANEL_MEMBER)
    soup = check_page(client.get("/cases?team=East"))
    assert len(_refs(soup)) == 25
    assert "Showing 1 to 25 of 27 cases" in soup.select_one("#case-count").get_text()
    next_href = soup.select_one(".govuk-pagination__next a")["href"]
    assert parse_qs(urlsplit(str(next_href)).query) == {"team": ["East"], "page": ["2"]}
    soup = check_page(client.get(next_href))
    assert _refs(soup) == ["PG-025", "PG-026"]
    assert soup.select_one(".govuk-pagination__item--current").get_text(strip=True) == "2"
    assert check_page(client.get("/cases?page=not-a-number")).select_one("#case-count") is not None


def test_case_page_makes_a_late_plan_visible(client_as: ClientAs, make_case: MakeCase) -> None:
    case = make_case("LATE-1", request_date=date.today() - timedelta(days=160))
    client, _ = client_as(Role.AUDITOR)
    soup = check_page(client.get(f"/cases/{case.id}"))
    assert soup.h1.get_text(strip=True) == "LATE-1"
    tags = [t.get_text(strip=True) for t in soup.select(".app-request .govuk-tag")]
    assert tags[0] == "Overdue: week 23"
    assert "Missed" in tags  # the 20-week milestone has passed without a plan
    keys = [dt.get_text(strip=True) for dt in soup.select(".govuk-summary-list__key")]
    assert {"Year group", "Primary need", "Setting type", "Team", "Final plan (20 weeks)"} <= set(keys)
    assert "20 days late" in soup.get_text()
    start = soup.find("a", string=lambda s: s and "Start an audit of this case" in s)
    assert start["href"] == f"/audits/new?case_id={case.id}"


def test_case_page_on_track_and_issued(client_as: ClientAs, make_case: MakeCase, session: Session) -> None:
    case = make_case("ONTIME-1", request_date=date.today() - timedelta(days=10))
    client, _ = client_as(Role.AUDITOR)
    assert "On track: week 2" in check_page(client.get(f"/cases/{case.id}")).get_text()
    request = case.requests[0]
    request.request_date = date.today() - timedelta(days=200)
    request.decision_to_assess_date = date.today() - timedelta(days=170)
    request.final_issued_date = date.today() - timedelta(days=80)
    request.outcome = "issued"
    session.commit()
    text = check_page(client.get(f"/cases/{case.id}")).get_text(" ", strip=True)
    assert "Issued in week 18" in text and "within 20 weeks" in text


def test_case_page_lists_only_audits_the_user_may_see(
    client_as: ClientAs, make_case: MakeCase, make_user: MakeUser, session: Session, template_version: TemplateVersionOf
) -> None:
    case = make_case()
    health = make_user(agency="health")
    coordinator = make_user(agency="send_service")
    start_audit(
        session,
        coordinator,
        case_id=case.id,
        template_version_id=template_version("t1-coordinator-plan-check").id,
        subject="final_plan",
    )
    client, _ = client_as(Role.AUDITOR, agency="send_service")
    soup = check_page(client.get(f"/cases/{case.id}"))
    assert [a.get_text(strip=True) for a in soup.select("#case-audits a")] == ["EHC co-ordinator plan quality check"]
    assert coordinator.display_name in soup.get_text()

    client, _ = client_as(Role.AUDITOR, agency="health")
    assert health.id  # a different agency sees the case but not the other agency's audit
    soup = check_page(client.get(f"/cases/{case.id}"))
    assert soup.select("#case-audits a") == []
    assert "There are no audits of this case that you can see." in soup.get_text()


@pytest.mark.parametrize("role", [Role.BOARD_VIEWER])
def test_board_viewers_see_no_cases(client_as: ClientAs, make_case: MakeCase, role: Role) -> None:
    case = make_case()
    client, _ = client_as(role)
    for url in ("/cases", f"/cases/{case.id}"):
        response = client.get(url)
        assert response.status_code == 403, url
        check_page(response)


@pytest.mark.parametrize("role", [Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN])
def test_other_roles_see_cases_but_only_auditing_roles_may_start(
    client_as: ClientAs, make_case: MakeCase, role: Role
) -> None:
    case = make_case()
    client, _ = client_as(role)
    assert client.get("/cases").status_code == 200
    soup = check_page(client.get(f"/cases/{case.id}"))
    has_start = soup.find("a", string=lambda s: s and "Start an audit" in s) is not None
    assert has_start == (role is not Role.ADMIN)


def test_unknown_case_is_404(client_as: ClientAs) -> None:
    client, _ = client_as(Role.AUDITOR)
    response = client.get("/cases/999999")
    assert response.status_code == 404
    check_page(response)


def test_case_page_day_140_is_due_today_not_overdue(client_as: ClientAs, make_case: MakeCase) -> None:
    case = make_case("DUE-140", request_date=date.today() - timedelta(days=140))
    client, _ = client_as(Role.AUDITOR)
    soup = check_page(client.get(f"/cases/{case.id}"))
    tags = [t.get_text(strip=True) for t in soup.select(".app-request .govuk-tag")]
    assert tags[0] == "Due today: week 20"  # was "Overdue: week 21" (review §3.2 C1)


def _day_month_year(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _clock_rows(soup: BeautifulSoup) -> dict[str, tuple[str, str]]:
    rows = {}
    for tr in soup.select("#clock-summary tbody tr"):
        cells = tr.select("td")
        key, first, second = (cell.get_text(" ", strip=True) for cell in cells[:3])
        rows[key] = (first, second)
    return rows


def test_case_page_shows_every_clock_that_applies(client_as: ClientAs, make_case: MakeCase, session: Session) -> None:
    from qaframework.store import AdviceRequest, Review

    today = date.today()
    case = make_case("ALL-1", request_date=today - timedelta(days=400))
    request = case.requests[0]
    request.decision_to_assess_date = today - timedelta(days=370)
    request.assessment_outcome_date = today - timedelta(days=320)
    request.draft_issued_date = today - timedelta(days=300)
    request.final_issued_date, request.outcome = today - timedelta(days=250), "issued"
    request.exception, request.exception_start = "school_closure", today - timedelta(days=340)
    request.exception_end, request.family_told_date = today - timedelta(days=300), today - timedelta(days=338)
    request.advice.append(AdviceRequest(agency_code="health", requested_date=today - timedelta(days=368),
                                        received_date=today - timedelta(days=300)))
    case.reviews.append(Review(meeting_date=today - timedelta(days=20), notice_date=today - timedelta(days=40)))
    case.next_phase, case.phase_transfer_date = "secondary_to_post_16", date(today.year + 1, 9, 1)
    case.birth_cohort = 2011
    session.add(case.requests[0].__class__(request_date=today - timedelta(days=30), kind="reassessment",
                                           outcome="in_progress", decision_to_assess_date=today - timedelta(days=20),
                                           case_id=case.id))
    session.commit()
    client, _ = client_as(Role.AUDITOR)
    soup = check_page(client.get(f"/cases/{case.id}"))
    rows = _clock_rows(soup)
    assert set(rows) == {
        f"Request for a re-assessment, received {_day_month_year(today - timedelta(days=30))}",
        f"Request for an EHC needs assessment, received {_day_month_year(today - timedelta(days=400))}",
        "Advice from Health", "Annual review", "Phase transfer review"}
    assert rows["Advice from Health"][1] == "Received late"
    assert rows["Annual review"][1] == "Awaiting decision"  # meeting held 20 days ago, no decision yet
    reassessment = next(v for k, v in rows.items() if "re-assessment" in k)
    assert reassessment == (f"{_day_month_year(today + timedelta(days=78))} 78 days left", "On track: week 3")
    text = soup.get_text(" ", strip=True)
    assert "Days late net of the exception 0" in text  # issued on day 150, with a 41-day closure inside the clock
    assert "Phase transfer" in text and "Secondary school to a post-16 institution" in text
    assert "Academic year of birth 2011 to 2012" in text
    steps = {
        tr.select("td")[0].get_text(strip=True): tr.select("td")[2].get_text(strip=True)
        for tr in soup.select("#annual-review ~ .app-table-wrapper table tbody tr")
    }
    assert steps["Meeting notice (2 weeks before)"] == "Met"
    assert steps["Advice and papers circulated (2 weeks before)"] == "Missed"  # meeting held, no papers recorded


def test_at_risk_page_lists_open_requests_past_the_at_risk_week_first(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    today = date.today()
    make_case("RISK-OVER", request_date=today - timedelta(days=150), team="North")
    make_case("RISK-TODAY", request_date=today - timedelta(days=140), team="South")
    wk14 = make_case("RISK-WK14", request_date=today - timedelta(days=92), team="North")
    wk14.requests[0].decision_to_assess_date = today - timedelta(days=92 - 20)  # decided on day 20
    session.commit()
    make_case("RISK-WK13", request_date=today - timedelta(days=91), team="North")  # not yet at risk
    client, _ = client_as(Role.AUDITOR)
    soup = check_page(client.get("/cases/at-risk"))
    rows = [
        [c.get_text(" ", strip=True) for c in tr.select("th, td")] for tr in soup.select("#at-risk-requests tbody tr")
    ]
    assert [(r[0], r[-1]) for r in rows] == [
        ("RISK-OVER", "Overdue: week 22"),
        ("RISK-TODAY", "Due today: week 20"),
        ("RISK-WK14", "At risk: week 14"),
        ("RISK-WK13", "On track: week 13"),  # open, but not yet at risk: listed after those that are
    ]
    # The local milestones, met or missed: panel by week 4, decision panel by week 12, draft by week 14.
    assert rows[2][3] == ("Assessment panel (local, week 4): Met "
                          "Decision whether to issue (local panel, week 12): Missed "
                          "Draft plan sent (local, week 14): Not yet due")
    assert rows[3][3].startswith("Assessment panel (local, week 4): Not recorded ")
    assert soup.select_one("#requests-at-risk").get_text(strip=True) == "3 at or past week 14, due today or overdue."
    assert (
        rows[0][2].endswith("10 days late") and rows[1][2].endswith("Due today") and rows[2][2].endswith("48 days left")
    )
    soup = check_page(client.get("/cases/at-risk?team=South"))
    assert [tr.th.get_text(strip=True) for tr in soup.select("#at-risk-requests tbody tr")] == ["RISK-TODAY"]
    assert soup.select_one("#team option[selected]")["value"] == "South"
    assert client_as(Role.BOARD_VIEWER)[0].get("/cases/at-risk").status_code == 403
