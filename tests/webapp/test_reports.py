"""The reports page and a background job's pages: asking, progress without scripts, download,
need-to-know (someone else's job is "not found"), expiry."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from qaframework.framework import JobStatus, Role
from qaframework.jobs.queue import JobQueue
from qaframework.operations.timeliness import CSV_COLUMNS
from qaframework.store import Job, TrailEntry, utcnow
from tests.jobs_support import run_queued
from tests.support import ClientAs, MakeCase, MakeUser
from tests.test_extract import make_dataset, read_xlsx
from webapp.jobs import queue_of


def _queue(app: Flask) -> JobQueue:
    return queue_of(app)


def _ask_for_timeliness(client: FlaskClient, by: str = "month") -> int:
    response = client.post("/reports/timeliness", data={"by": by})
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    match = re.fullmatch(r"/jobs/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _text(response: object) -> str:
    return " ".join(BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text().split())  # type: ignore[attr-defined]


def test_who_reaches_the_reports_page(client_as: ClientAs, session: Session) -> None:
    for role in (Role.BOARD_VIEWER, Role.SYSTEM_LEADER, Role.ADMIN):
        client, _ = client_as(role)
        page = client.get("/reports")
        assert page.status_code == 200, role
        assert "Create the timeliness figures" in _text(page)
        nav = BeautifulSoup(page.get_data(as_text=True), "html.parser").select(".govuk-service-navigation a")
        assert "Reports" in [a.get_text(strip=True) for a in nav]
    for role in (Role.AUDITOR, Role.PANEL_MEMBER, Role.PARENT_CARER_FORUM):
        client, _ = client_as(role)
        assert client.get("/reports").status_code == 403, role
        assert client.post("/reports/timeliness", data={"by": "year"}).status_code in (403, 404), role
    lead_client, lead = client_as(Role.PANEL_MEMBER)
    lead.leads_panel = True
    session.commit()
    assert lead_client.get("/reports").status_code == 200  # the QA lead


def test_a_report_is_asked_for_followed_and_downloaded(app: Flask, client_as: ClientAs, make_case: MakeCase,
                                                       session: Session) -> None:
    make_case()
    client, user = client_as(Role.BOARD_VIEWER)
    job_id = _ask_for_timeliness(client)

    waiting = client.get(f"/jobs/{job_id}")
    assert waiting.status_code == 200
    text = _text(waiting)
    assert "Waiting to start" in text and "Check again" in text and "Download" not in text
    soup = BeautifulSoup(waiting.get_data(as_text=True), "html.parser")
    assert soup.select_one(f'a[href="/jobs/{job_id}"]').get_text(strip=True) == "Check again"  # no script needed
    assert soup.select_one('script[src*="job-progress.js"]') is not None  # the enhancement, from a static file
    assert not soup.select('meta[http-equiv="refresh"]')
    assert client.get(f"/jobs/{job_id}/status").get_json() == {
        "status": "queued", "label": "Waiting to start", "done": 0, "total": 0, "percent": None, "finished": False}
    assert client.get(f"/jobs/{job_id}/download").status_code == 404  # nothing to download yet

    run_queued(_queue(app))

    assert client.get(f"/jobs/{job_id}/status").get_json()["finished"] is True
    done = client.get(f"/jobs/{job_id}")
    assert "Ready to download" in _text(done)
    link = BeautifulSoup(done.get_data(as_text=True), "html.parser").select_one(f'a[href="/jobs/{job_id}/download"]')
    assert link is not None and link.get_text(strip=True).startswith("Download timeliness-by-month-")
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert re.search(r'attachment; filename=timeliness-by-month-\d{4}-\d{2}-\d{2}\.csv',
                     download.headers["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    download.close()
    assert rows[0] == list(CSV_COLUMNS) and len(rows) >= 2
    assert session.query(TrailEntry).filter_by(action="job.downloaded", entity_id=str(job_id),
                                               actor_id=user.id).count() == 1

    listing = BeautifulSoup(client.get("/reports").get_data(as_text=True), "html.parser")
    row = listing.select_one(f'#recent-reports a[href="/jobs/{job_id}"]').find_parent("tr")
    assert "Ready" in row.get_text()


def test_someone_elses_job_is_not_found_and_an_admin_may_help(app: Flask, client_as: ClientAs) -> None:
    owner, _ = client_as(Role.BOARD_VIEWER)
    job_id = _ask_for_timeliness(owner, "year")
    run_queued(_queue(app))
    for role in (Role.BOARD_VIEWER, Role.SYSTEM_LEADER, Role.AUDITOR):
        stranger, _ = client_as(role)
        for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/status", f"/jobs/{job_id}/download"):
            assert stranger.get(url).status_code == 404, (role, url)
        listing = stranger.get("/reports")
        assert f"/jobs/{job_id}" not in listing.get_data(as_text=True)
    admin, _ = client_as(Role.ADMIN)
    helped = admin.get(f"/jobs/{job_id}/download")
    assert helped.status_code == 200 and helped.get_data(as_text=True).startswith("period,")
    helped.close()
    assert owner.get("/jobs/999999999").status_code == 404


def test_a_result_past_its_time_cannot_be_downloaded(app: Flask, client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.SYSTEM_LEADER)
    job_id = _ask_for_timeliness(client, "year")
    run_queued(_queue(app))
    job = session.get(Job, job_id)
    assert job is not None and job.expires_at is not None
    job.expires_at = utcnow() - timedelta(minutes=1)  # its 24 hours are up (the session's clock must not move)
    session.commit()
    gone = client.get(f"/jobs/{job_id}/download")
    assert gone.status_code == 410 and "deleted 24 hours after it was made" in _text(gone)
    path = _queue(app).result_path(job)
    assert path.exists()
    _queue(app).tidy()
    assert not path.exists()
    page = client.get(f"/jobs/{job_id}")
    assert "has been deleted" in _text(page) and "Download" not in _text(page)
    session.expire_all()
    assert session.get(Job, job_id).status == JobStatus.EXPIRED.value


def test_a_bad_request_is_shown_on_the_form_and_nothing_is_queued(client_as: ClientAs, session: Session) -> None:
    client, user = client_as(Role.BOARD_VIEWER)
    page = client.post("/reports/timeliness", data={"by": "fortnight"})
    assert page.status_code == 400
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.select_one(".govuk-error-summary a[href='#timeliness-by']").get_text(strip=True) == (
        "Choose whether to show the figures by year or by month")
    assert session.query(Job).filter_by(requested_by_id=user.id).count() == 0
    assert client.post("/reports/timeliness", data={"by": "year", "csrf_token": "forged"}).status_code == 400
    assert session.query(Job).filter_by(requested_by_id=user.id).count() == 0
    assert client.post("/reports/no-such-report", data={}).status_code == 404


def test_a_failed_job_page_says_why(app: Flask, client_as: ClientAs, session: Session) -> None:
    client, user = client_as(Role.BOARD_VIEWER)
    job_id = _ask_for_timeliness(client)
    job = session.get(Job, job_id)
    assert job is not None
    job.params = {"by": "decade"}  # as if a kind changed under a queued job: the run refuses it
    session.commit()
    run_queued(_queue(app))
    page = client.get(f"/jobs/{job_id}")
    text = _text(page)
    assert "This was not finished" in text and "Something went wrong" in text and "Traceback" not in text
    _ = user


def test_the_analysts_extract_is_made_in_the_background_and_read_back(
        app: Flask, client_as: ClientAs, make_user: MakeUser, session: Session, tmp_path: Path) -> None:
    dataset = make_dataset(session, make_user(Role.AUDITOR))
    admin, _ = client_as(Role.ADMIN)
    assert "Create the extract" in _text(admin.get("/reports"))
    asked = admin.post("/reports/extract", data={"year": "2025-26", "format": "xlsx"})
    assert asked.status_code == 302, asked.get_data(as_text=True)[:800]
    job_id = int(asked.headers["Location"].rsplit("/", 1)[1])
    run_queued(_queue(app))

    page = _text(admin.get(f"/jobs/{job_id}"))
    assert "Ready to download" in page and f"{len(dataset.expected)} responses." in page
    download = admin.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert download.headers["Content-Disposition"] == "attachment; filename=qa-extract-2025-26.xlsx"
    saved = tmp_path / "downloaded.xlsx"
    saved.write_bytes(download.get_data())
    download.close()
    sheets = read_xlsx(saved)  # openpyxl reads it; no cell is a formula
    assert list(sheets) == ["Data", "Definitions"]
    data = sheets["Data"]
    assert len(data) == 1 + len(dataset.expected)
    assert [row[0] for row in data[1:]] == [row[0] for row in dataset.expected]  # audit ids, in order
    assert {row[1] for row in data[1:]}.isdisjoint({row[1] for row in dataset.expected})  # case keys, not references


def test_only_admins_and_qa_leads_are_offered_the_extract(client_as: ClientAs, session: Session) -> None:
    for role in (Role.BOARD_VIEWER, Role.SYSTEM_LEADER):
        client, user = client_as(role)
        assert "Create the extract" not in _text(client.get("/reports"))
        assert client.post("/reports/extract", data={"year": "2025-26", "format": "csv"}).status_code == 404
        assert session.query(Job).filter_by(requested_by_id=user.id).count() == 0
    lead, user = client_as(Role.PANEL_MEMBER)
    user.leads_panel = True
    session.commit()
    page = lead.post("/reports/extract", data={"year": "2025-6", "format": "pdf"})
    assert page.status_code == 400
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert [a["href"] for a in soup.select(".govuk-error-summary a")] == ["#extract-year", "#extract-format"]
    assert "is not an academic year like 2025-26" in soup.select_one("#extract-year-error").get_text()
    assert lead.post("/reports/extract", data={"year": "2025-26", "format": "csv"}).status_code == 302


def test_the_board_pack_is_made_in_the_background_and_opens_in_openpyxl(
        app: Flask, client_as: ClientAs, session: Session, tmp_path: Path) -> None:
    client, user = client_as(Role.BOARD_VIEWER)
    page = BeautifulSoup(client.get("/reports").get_data(as_text=True), "html.parser")
    assert page.select_one("form[action='/reports/board_pack'] button").get_text(strip=True) == "Create the board pack"
    year = page.select_one("#board_pack-year option[selected]")["value"]
    asked = client.post("/reports/board_pack", data={"year": year, "cycle": "Autumn 1"})
    assert asked.status_code == 302, asked.get_data(as_text=True)[:800]
    job_id = int(asked.headers["Location"].rsplit("/", 1)[1])
    assert f"Board pack, {year} Autumn 1" in _text(client.get(f"/jobs/{job_id}"))
    run_queued(_queue(app))

    job = session.get(Job, job_id)
    assert job is not None and job.status == JobStatus.DONE.value, job and job.error
    assert job.done == job.total > 0  # the pack reported its steps
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert download.headers["Content-Disposition"] == f"attachment; filename=board-pack-{year}-autumn-1.xlsx"
    saved = tmp_path / "pack.xlsx"
    saved.write_bytes(download.get_data())
    download.close()
    workbook = load_workbook(saved)
    assert workbook.sheetnames[0] == "Summary" and "Definitions" in workbook.sheetnames
    assert user.id == job.requested_by_id


def test_a_board_pack_for_a_half_term_that_is_not_one_is_refused_on_the_form(
        client_as: ClientAs, session: Session) -> None:
    client, user = client_as(Role.SYSTEM_LEADER)
    page = client.post("/reports/board_pack", data={"year": "2025-26", "cycle": "Winter 3"})
    assert page.status_code == 400
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.select_one(".govuk-error-summary a")["href"] == "#board_pack-cycle"
    assert "is not a half term" in soup.select_one("#board_pack-cycle-error").get_text()
    assert session.query(Job).filter_by(requested_by_id=user.id).count() == 0
