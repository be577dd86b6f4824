"""Admin: term dates (one academic year's six half terms) and the Tier 1 monthly target."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from qaframework.framework import HALF_TERMS, Role
from qaframework.operations.base import InvalidInput
from qaframework.operations.settings import (
    TargetBasis,
    configured_cycles,
    get_setting,
    tier1_target,
    validate_term_dates,
)
from tests.support import ClientAs, MakeCase
from tests.webapp.journey import error_summary
from tests.webapp.pagecheck import check_page
from webapp.admin.dates import parse_date_text

GOOD_2025 = [("3/9/2025", "24/10/2025"), ("3/11/2025", "19/12/2025"), ("5/1/2026", "13/2/2026"),
             ("23/2/2026", "27/3/2026"), ("13/4/2026", "22/5/2026"), ("1/6/2026", "22/7/2026")]


def _form(pairs: list[tuple[str, str]]) -> dict[str, str]:
    data = {}
    for n, (start, end) in enumerate(pairs, start=1):
        data[f"half_term_{n}-start"], data[f"half_term_{n}-end"] = start, end
    return data


def test_overview_labels_standard_dates_until_the_area_sets_its_own(client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    soup = check_page(client.get("/admin/term-dates"))
    captions = [c.get_text(" ", strip=True) for c in soup.select("caption")]
    assert len(captions) == 3 and all(c.endswith("Standard dates") for c in captions)
    assert "Today is in" in soup.get_text()

    assert client.post("/admin/term-dates/2025-26", data=_form(GOOD_2025)).status_code == 302
    soup = check_page(client.get("/admin/term-dates"))
    caption_set = {c.get_text(" ", strip=True) for c in soup.select("caption")}
    assert "2025 to 2026 academic year Your dates" in caption_set


def test_edit_page_is_prefilled_with_standard_dates(client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    soup = check_page(client.get("/admin/term-dates/2025-26"))
    assert soup.select_one("input[name=half_term_1-start]")["value"] == "1/9/2025"
    assert soup.select_one("input[name=half_term_6-end]")["value"] == "31/8/2026"
    assert [legend.get_text(strip=True) for legend in soup.select("legend")] == list(HALF_TERMS)
    assert "These are the standard dates" in soup.get_text()


def test_valid_dates_are_saved_and_used(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    response = client.post("/admin/term-dates/2025-26", data=_form(GOOD_2025))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/term-dates"
    cycles = configured_cycles(session)
    assert [(c.academic_year, c.half_term) for c in cycles] == [("2025-26", ht) for ht in HALF_TERMS]
    assert (cycles[0].start, cycles[0].end) == (date(2025, 9, 3), date(2025, 10, 24))
    assert cycles[-1].end == date(2026, 7, 22)
    soup = check_page(client.get("/admin/term-dates/2025-26"))
    assert soup.select_one("input[name=half_term_2-start]")["value"] == "3/11/2025"
    assert "These are the standard dates" not in soup.get_text()


def test_other_date_formats_are_accepted(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    pairs = list(GOOD_2025)
    pairs[0] = ("2025-09-03", "24 Oct 2025")
    pairs[1] = ("3 November 2025", "19.12.2025")
    assert client.post("/admin/term-dates/2025-26", data=_form(pairs)).status_code == 302
    assert [c.end for c in configured_cycles(session)][:2] == [date(2025, 10, 24), date(2025, 12, 19)]


def test_end_before_start_and_overlap_show_errors_and_save_nothing(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    pairs = list(GOOD_2025)
    pairs[0] = ("24/10/2025", "3/9/2025")  # ends before it starts
    pairs[3] = ("10/2/2026", "27/3/2026")  # starts before Spring 1 ends
    response = client.post("/admin/term-dates/2025-26", data=_form(pairs))
    soup = check_page(response)
    assert response.status_code == 200
    assert error_summary(soup) == [
        ("Autumn 1 must end after it starts", "#half_term_1-start"),
        ("Spring 2 must start after Spring 1 ends", "#half_term_4-start"),
    ]
    assert soup.select_one("#half_term_1-error") is not None
    assert "govuk-input--error" in soup.select_one("#half_term_4-start")["class"]
    assert soup.select_one("input[name=half_term_4-start]")["value"] == "10/2/2026"  # kept as typed
    assert configured_cycles(session) == []
    assert get_setting(session, "term_dates") == []


def test_unreadable_dates_are_named_and_linked_to_their_box(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    pairs = list(GOOD_2025)
    pairs[1] = ("3/11/2025", "")
    pairs[2] = ("31/2/2026", "13/2/2026")
    pairs[4] = ("13/4/26", "22/5/2026")
    pairs[5] = ("next june", "22/7/2026")
    soup = check_page(client.post("/admin/term-dates/2025-26", data=_form(pairs)))
    assert error_summary(soup) == [
        ("Enter the Autumn 2 end date", "#half_term_2-end"),
        ("The Spring 1 start date must be a real date, like 3/9/2025", "#half_term_3-start"),
        ("The year of the Summer 1 start date must include 4 numbers, like 3/9/2025", "#half_term_5-start"),
        ("The Summer 2 start date must be a real date, like 3/9/2025", "#half_term_6-start"),
    ]
    assert configured_cycles(session) == []


def test_dates_outside_the_academic_year_are_refused(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    pairs = list(GOOD_2025)
    pairs[0] = ("3/9/2024", "24/10/2024")
    soup = check_page(client.post("/admin/term-dates/2025-26", data=_form(pairs)))
    assert error_summary(soup) == [
        (
            "Autumn 1 must be in the 2025-26 academic year, between 1 August 2025 and 31 August 2026",
            "#half_term_1-start",
        )
    ]
    assert configured_cycles(session) == []


def test_saving_one_year_keeps_the_others(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    client.post("/admin/term-dates/2025-26", data=_form(GOOD_2025))
    next_year = [
        (s.replace("2026", "2027").replace("2025", "2026"), e.replace("2026", "2027").replace("2025", "2026"))
        for s, e in GOOD_2025
    ]
    assert client.post("/admin/term-dates/2026-27", data=_form(next_year)).status_code == 302
    assert {c.academic_year for c in configured_cycles(session)} == {"2025-26", "2026-27"}
    assert len(configured_cycles(session)) == 12


def test_bad_academic_year_in_the_url_is_404(client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    for year in ("2025-27", "2025", "1890-91", "abcd-ef"):
        response = client.get(f"/admin/term-dates/{year}")
        assert response.status_code == 404, year
        check_page(response)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the monthly target"),
        ("0", "The monthly target must be between 1 and 200"),
        ("201", "The monthly target must be between 1 and 200"),
        ("abc", "The monthly target must be a whole number, like 25"),
        ("2.5", "The monthly target must be a whole number, like 25"),
        ("-3", "The monthly target must be a whole number, like 25"),
    ],
)
def test_target_validation(client_as: ClientAs, session: Session, typed: str, message: str) -> None:
    client, _ = client_as(Role.ADMIN)
    soup = check_page(client.post("/admin/tier-1-target", data={"target": typed, "basis": "team"}))
    assert error_summary(soup) == [(message, "#target")]
    assert soup.select_one("input[name=target]")["value"] == typed
    assert tier1_target(session).checks == 25


def test_target_is_saved(client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    soup = check_page(client.get("/admin/tier-1-target"))
    assert soup.select_one("input[name=target]")["value"] == "25"
    assert soup.select_one("input[name=basis][checked]")["value"] == "team"  # a team total unless the area chooses
    assert "advice self-checks do not" in soup.select_one("#target-hint").get_text()
    soup = check_page(client.post("/admin/tier-1-target", data={"target": "30"}))
    assert error_summary(soup) == [("Choose whether the target is for each team or for each co-ordinator", "#basis")]
    response = client.post("/admin/tier-1-target", data={"target": " 30 ", "basis": "per_person"})
    assert response.status_code == 302
    assert (tier1_target(session).checks, tier1_target(session).basis) == (30, TargetBasis.PER_PERSON)
    soup = check_page(client.get(response.headers["Location"]))
    banner = soup.select_one(".govuk-notification-banner").get_text()
    assert "The Tier 1 target is now 30 plan checks a month for each co-ordinator." in banner
    row = soup.select_one(".govuk-summary-list__value").get_text(" ", strip=True)
    assert row.startswith("30 plan checks a month for each co-ordinator.") and "not advice self-checks" in row


def test_parse_date_text() -> None:
    assert parse_date_text(" 3/9/2025 ", "x") == date(2025, 9, 3)
    assert parse_date_text("03-09-2025", "x") == date(2025, 9, 3)
    assert parse_date_text("3rd Sept 2025", "x") == date(2025, 9, 3)
    with pytest.raises(ValueError, match="Enter the start date"):
        parse_date_text("  ", "start date")
    with pytest.raises(ValueError, match="must be a real date"):
        parse_date_text("29/2/2025", "start date")
    with pytest.raises(ValueError, match="must be a real date"):
        parse_date_text("3 Smarch 2025", "start date")


def test_validate_term_dates_checks_the_year_label() -> None:
    dates = [(date(2025, 9, 1), date(2025, 10, 1))] * 6
    with pytest.raises(InvalidInput) as raised:
        validate_term_dates("2025/26", dates)
    assert raised.value.errors[0].field == "academic_year"


def test_at_risk_week_setting_changes_the_at_risk_list(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    from datetime import timedelta

    from qaframework.operations.clocks import local_milestones

    client, _ = client_as(Role.ADMIN)
    assert local_milestones(session).at_risk_from_week == 14
    soup = check_page(client.get("/admin/at-risk-week"))
    assert soup.select_one("#at_risk_from_week")["value"] == "14"
    soup = check_page(client.post("/admin/at-risk-week", data={"at_risk_from_week": "21"}))
    assert error_summary(soup) == [("Enter a whole number of weeks from 1 to 20, like 14", "#at_risk_from_week")]
    response = client.post("/admin/at-risk-week", data={"at_risk_from_week": "16"})
    assert response.status_code == 302
    session.expire_all()
    assert local_milestones(session).at_risk_from_week == 16
    assert "at risk from week 16" in check_page(client.get("/admin")).get_text()
    make_case("WK15", request_date=date.today() - timedelta(days=100))  # week 15: at risk at 14, not at 16
    coordinator, _ = client_as(Role.AUDITOR)
    soup = check_page(coordinator.get("/cases/at-risk"))
    tags = [tr.select("td")[-1].get_text(strip=True) for tr in soup.select("#at-risk-requests tbody tr")]
    assert tags == ["On track: week 15"]
    assert "0 at or past week 16" in soup.select_one("#requests-at-risk").get_text()
