"""The panel pages: the half-term cycle page, drawing a sample, a sample's items and who has them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from qaframework.framework import AuditStatus, Role, SampleKind, cycle_for
from qaframework.operations.samples import HELD_BACK_REASON, SampleParameters, draw_sample
from qaframework.store import Audit, Case, ModerationRecord, Request, Sample, SampleItem, TemplateVersion, User
from tests.support import ClientAs, MakeUser
from tests.webapp.conftest import sign_in
from tests.webapp.journey import error_links, page

TODAY = date.today()
CYCLE = cycle_for(TODAY).label  # no term dates configured: the default half terms


def _plan(session: Session, ref: str, year: str = "5") -> Case:
    case = Case(case_ref=ref, year_group=year, primary_need="ASD", setting_type="Mainstream school", team="North")
    issued = TODAY - timedelta(days=100)
    case.requests.append(Request(request_date=issued - timedelta(weeks=15), final_issued_date=issued,
                                 outcome="issued"))
    session.add(case)
    return case


def _audit(session: Session, case: Case, auditor: User, grade: str = "good") -> Audit:
    tv = session.scalar(select(TemplateVersion).where(TemplateVersion.template_id == "t1-coordinator-plan-check")
                        .order_by(TemplateVersion.version.desc()))
    assert tv is not None
    audit = Audit(case=case, template_version_id=tv.id, subject="final_plan", tier=1, agency_code="send_service",
                  auditor_id=auditor.id, status=AuditStatus.SUBMITTED, cycle=CYCLE, suggested_grade=grade)
    session.add(audit)
    return audit


@pytest.fixture
def area(session: Session, make_user: MakeUser) -> dict[str, object]:
    """Six planned cases, four submitted audits this half term (one Inadequate), an audit sample
    and a case sample drawn by a panel chair."""
    auditor = make_user(Role.AUDITOR)
    chair = make_user(Role.PANEL_MEMBER)
    cases = [_plan(session, f"PNL{n}") for n in range(6)]
    audits = [_audit(session, cases[n], auditor, "inadequate" if n == 0 else "good") for n in range(4)]
    session.commit()
    audit_sample = draw_sample(session, chair, SampleParameters(
        cycle=CYCLE, kind=SampleKind.AUDITS, size=1, seed=1, risk_rules=(),
    ), TODAY)
    from qaframework.operations.samples import RiskRule

    risky = draw_sample(session, chair, SampleParameters(
        cycle=CYCLE, kind=SampleKind.AUDITS, size=1, seed=2, risk_rules=(RiskRule.GRADED_INADEQUATE,),
    ), TODAY)
    case_sample = draw_sample(session, chair, SampleParameters(cycle=CYCLE, kind=SampleKind.CASES, size=3, seed=3),
                              TODAY)
    return {"chair": chair, "auditor": auditor, "audits": audits, "audit_sample": audit_sample, "risky": risky,
            "case_sample": case_sample, "cases": cases}


def _urls(area: dict[str, object]) -> list[tuple[str, str]]:
    sample = area["case_sample"]
    assert isinstance(sample, Sample)
    return [("GET", "/panel"), ("GET", f"/panel?cycle={CYCLE}"), ("GET", "/panel/samples/new"),
            ("POST", "/panel/samples/new"), ("GET", f"/panel/samples/{sample.id}"),
            ("POST", f"/panel/samples/{sample.id}/assign"),
            ("POST", f"/panel/samples/{sample.id}/assignments/1/remove")]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.BOARD_VIEWER])
def test_auditors_and_board_viewers_are_refused_every_panel_page(client_as: ClientAs, area: dict[str, object],
                                                                 role: Role) -> None:
    client, _ = client_as(role)
    for method, url in _urls(area):
        response = client.open(url, method=method, data={} if method == "POST" else None)
        assert response.status_code == 403, (method, url)
    home = client.get("/").get_data(as_text=True)
    assert "/panel" not in home  # no Panel entry in the navigation


def test_the_cycle_page_shows_this_half_term_and_recent_ones(client_as: ClientAs, area: dict[str, object]) -> None:
    client, _ = client_as(Role.SYSTEM_LEADER)
    soup = page(client.get("/panel"))
    assert soup.h1 is not None and soup.h1.get_text(strip=True) == "Half terms"
    assert f"{CYCLE} (this half term)" in soup.get_text()
    rows = {dt.get_text(strip=True): dd.get_text(strip=True)
            for dt, dd in zip(soup.select(".govuk-summary-list__key"), soup.select(".govuk-summary-list__value"),
                              strict=True)}
    assert rows["Audits sampled for moderation"] == "2" and rows["Cases sampled"] == "3"
    assert rows["Audits with a blind grade"] == "0" and rows["Left to do"] == "5"
    links = [a.get_text(strip=True) for a in soup.select("a[href^='/panel/samples/']")]
    sample = area["case_sample"]
    assert isinstance(sample, Sample)
    assert f"Sample {sample.id}" in links and "Draw a sample" in links
    recent = soup.select("th[scope=row] a")
    assert len(recent) == 6 and recent[0].get_text(strip=True) == CYCLE
    earlier = recent[1].get_text(strip=True)
    other = page(client.get("/panel", query_string={"cycle": earlier}))
    assert "No sample has been drawn in this half term yet." in other.get_text()
    unknown = page(client.get("/panel", query_string={"cycle": "2026-27 Winter 9"}))
    assert "There is no half term called 2026-27 Winter 9" in unknown.get_text()


def test_drawing_shows_every_error_at_once_and_keeps_the_answers(client_as: ClientAs, area: dict[str, object]) -> None:
    client, _ = client_as(Role.PANEL_MEMBER)
    form = page(client.get("/panel/samples/new"))
    assert form.select_one("input[name=kind][value=audits]") and form.select_one("input[name=kind][value=cases]")
    data = MultiDict([("cycle", CYCLE), ("kind", "cases"), ("size_by", "number"), ("size", "lots"),
                      ("strata", "agency"), ("minimum_per_auditor", "2"), ("exclude_cycles", "x"),
                      ("risk", "graded_inadequate"), ("seed", "")])
    soup = page(client.post("/panel/samples/new", data=data), 200)
    errors = error_links(soup)
    assert errors == {
        "#size": "The sample size must be a whole number, like 12",
        "#exclude_cycles": "Enter how many half terms back, like 2",
        "#strata": "agency applies to audit samples only; a case sample can be stratified by phase, primary_need, "
                   "setting_type, team",
        "#risk": "graded_inadequate does not apply to case samples; choose from issued_late, review_overdue",
    }
    size = soup.select_one("input#size")
    assert size is not None and size.get("value") == "lots"
    checked = soup.select_one("input[name=strata][value=agency]")
    assert checked is not None and checked.has_attr("checked")
    nothing = page(client.post("/panel/samples/new", data={"cycle": CYCLE, "kind": "audits"}), 200)
    assert error_links(nothing) == {"#size_by": "Enter how many to sample, or a proportion"}


def test_a_panel_member_draws_a_sample_and_reads_why_each_item_is_in(client_as: ClientAs, session: Session,
                                                                     area: dict[str, object]) -> None:
    client, user = client_as(Role.PANEL_MEMBER)
    data = MultiDict([("cycle", CYCLE), ("kind", "cases"), ("size_by", "proportion"), ("proportion", "50%"),
                      ("strata", "phase"), ("minimum_per_auditor", ""), ("exclude_cycles", "0"), ("seed", "77")])
    response = client.post("/panel/samples/new", data=data)
    assert response.status_code == 302
    sample = session.scalar(select(Sample).where(Sample.created_by_id == user.id))
    assert sample is not None and sample.seed == 77 and sample.size == 3  # half of six, rounded up
    assert response.headers["Location"] == f"/panel/samples/{sample.id}"
    soup = page(client.get(response.headers["Location"]))
    assert "Sample drawn: 3 cases for" in soup.get_text()
    cells = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in soup.select("tbody tr")]
    assert len(cells) == 3 and all(row[1] == "Random draw" and row[2] == "Primary" for row in cells)
    starts = soup.select("a[href^='/audits/new?case_id=']")
    assert len(starts) == 3 and starts[0].get_text(" ", strip=True).startswith("Start a Tier 3 panel audit")
    case_links = soup.select("a[href^='/cases/']")
    assert [a.get_text(strip=True) for a in case_links] == sorted(a.get_text(strip=True) for a in case_links)
    summary = soup.get_text(" ", strip=True)
    assert "Seed 77" in summary and "50% drawn at random" in summary and "Stratified by Phase" in summary


def test_a_system_leader_draws_cases_only_and_starts_tier_4_reviews(client_as: ClientAs,
                                                                     area: dict[str, object]) -> None:
    client, _ = client_as(Role.SYSTEM_LEADER)
    form = page(client.get("/panel/samples/new"))
    hidden = form.select_one("input[type=hidden][name=kind]")
    assert hidden is not None and hidden.get("value") == "cases"
    refused = client.post("/panel/samples/new", data={"cycle": CYCLE, "kind": "audits", "size_by": "number",
                                                      "size": "1"})
    assert refused.status_code == 302  # the form fixes the kind to the one they may draw: cases
    sample = area["case_sample"]
    assert isinstance(sample, Sample)
    soup = page(client.get(f"/panel/samples/{sample.id}"))
    assert len(soup.select("a[href^='/audits/new?case_id=']")) == 3
    assert "Start a Tier 4 review" in soup.get_text()
    assert soup.select_one("form[action$='/assign']") is not None  # case samples: leaders assign too


def test_grade_reasons_are_held_back_until_the_moderator_grades_blind(app: Flask, client_as: ClientAs,
                                                                       session: Session,
                                                                       area: dict[str, object]) -> None:
    """ "Audit graded Inadequate" would tell a moderator the original grade: they read it only after
    saving their own blind grade (whoever drew the sample chose the rule, so they read it)."""
    audits, chair = area["audits"], area["chair"]
    assert isinstance(audits, list) and isinstance(chair, User)
    inadequate = audits[0]
    risky = Sample(cycle=CYCLE, kind="audits", seed=5, size=1, criteria={"size": 1, "risk": ["graded_inadequate"]},
                   created_by_id=chair.id)
    risky.items.append(SampleItem(audit_id=inadequate.id, case_id=inadequate.case_id, reason="graded_inadequate",
                                  stratum={}))
    session.add(risky)
    session.commit()
    client, moderator = client_as(Role.PANEL_MEMBER)
    soup = page(client.get(f"/panel/samples/{risky.id}"))
    html = str(soup)
    assert HELD_BACK_REASON in html and "graded Inadequate" not in html and "Not moderated yet" in html
    link = soup.select_one("tbody a")
    assert link is not None and link.get_text(strip=True) == f"Audit {inadequate.id}"
    session.add(ModerationRecord(audit_id=inadequate.id, moderator_id=moderator.id, blind_grade="good"))
    session.commit()
    after = client.get(f"/panel/samples/{risky.id}").get_data(as_text=True)
    assert "Audit graded Inadequate" in after and HELD_BACK_REASON not in after and "Blind grade saved" in after
    drawer = sign_in(app.test_client(), chair)  # who drew it chose the rule, so reads it at once
    assert "Audit graded Inadequate" in drawer.get(f"/panel/samples/{risky.id}").get_data(as_text=True)


def test_giving_a_sample_to_people_and_taking_it_back(client_as: ClientAs, session: Session, make_user: MakeUser,
                                                      area: dict[str, object]) -> None:
    client, _ = client_as(Role.PANEL_MEMBER)
    leader = make_user(Role.SYSTEM_LEADER)
    sample = area["case_sample"]
    assert isinstance(sample, Sample)
    none = client.post(f"/panel/samples/{sample.id}/assign", data={"item": ""})
    assert none.status_code == 400
    assert error_links(page(none, 400)) == {"#people": "Choose at least one person to give this to"}
    item = sample.items[1]
    given = client.post(f"/panel/samples/{sample.id}/assign", data={"people": str(leader.id), "item": str(item.id)})
    assert given.status_code == 302
    soup = page(client.get(f"/panel/samples/{sample.id}"))
    case = session.get(Case, item.case_id)
    assert case is not None
    assigned = soup.select_one("#assigned + ul")
    assert assigned is not None and f"{leader.display_name}: case {case.case_ref}" in assigned.get_text(" ", strip=True)
    form = soup.select_one("form[action*='/assignments/']")
    assert form is not None
    back = client.post(str(form["action"]))
    assert back.status_code == 302
    assert "Nobody has been given this sample yet." in page(client.get(f"/panel/samples/{sample.id}")).get_text()
    auditor = area["auditor"]
    assert isinstance(auditor, User)
    wrong = client.post(f"/panel/samples/{sample.id}/assign", data={"people": str(auditor.id)})
    assert wrong.status_code == 400 and "cannot be given a sample of cases" in wrong.get_data(as_text=True)


def test_admins_see_the_pages_but_draw_audit_samples_only(client_as: ClientAs, area: dict[str, object]) -> None:
    client, _ = client_as(Role.ADMIN)
    assert client.get("/panel").status_code == 200
    form = page(client.get("/panel/samples/new"))
    hidden = form.select_one("input[type=hidden][name=kind]")
    assert hidden is not None and hidden.get("value") == "audits"
    sample = area["case_sample"]
    assert isinstance(sample, Sample)
    soup = page(client.get(f"/panel/samples/{sample.id}"))
    assert soup.select_one("form[action$='/assign']") is None and "Start a Tier" not in soup.get_text()
    assert client.post(f"/panel/samples/{sample.id}/assign", data={"people": "1"}).status_code == 403
