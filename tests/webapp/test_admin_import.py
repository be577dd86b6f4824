"""Admin: case import. Every problem listed and nothing changed on error; preview, then confirm.

The checked file stays on the server between preview and confirm; the browser holds only a token.
"""

from __future__ import annotations

import io
import os
import stat
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from qaframework.framework import Role
from qaframework.operations.cases import check_case_file, find_case
from qaframework.store import Case, Request, TrailEntry
from tests.support import ClientAs, MakeCase
from tests.webapp.journey import error_summary
from tests.webapp.pagecheck import check_page
from webapp.admin.uploads import UploadStore, safe_filename

GOOD_CSV = (
    "case_ref,year_group,primary_need,team,request_date,decision_to_assess_date,final_issued_date,outcome\r\n"
    "IMP-001,5,ASD,North,2026-01-12,2026-02-20,,in_progress\r\n"
    "IMP-002,Y9,SEMH,South,08/09/2025,17/10/2025,23/01/2026,issued\r\n"
    "IMP-003,R,SLCN,North,2026-02-02,,,\r\n"
)
BAD_CSV = (
    "case_ref,year_group,primary_need,request_date,final_issued_date\r\n"
    "IMP-101,5,ASD,2026-01-12,\r\n"
    "IMP-102,year 42,XYZ,2026-01-12,\r\n"
    ",5,ASD,2026-01-12,2025-01-01\r\n"
)


def _counts(session: Session) -> tuple[int, int, int]:
    return (session.scalar(select(func.count(Case.id))) or 0, session.scalar(select(func.count(Request.id))) or 0,
            session.scalar(select(func.count(TrailEntry.id)).where(TrailEntry.action == "cases.import")) or 0)


def _upload(client: FlaskClient, data: bytes, filename: str) -> TestResponse:
    return client.post("/admin/case-import", data={"case_file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _uploads(instance_path: Path) -> list[Path]:
    folder = instance_path / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_upload_page(client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    soup = check_page(client.get("/admin/case-import"))
    field = soup.select_one("input[type=file]#case_file")
    assert field is not None and ".csv" in field["accept"] and ".xlsx" in field["accept"]
    assert soup.select_one("form[enctype='multipart/form-data']") is not None
    example = client.get("/admin/case-import/example.csv")
    assert example.status_code == 200 and example.mimetype == "text/csv"
    assert example.get_data().decode("utf-8-sig").startswith("case_ref,year_group,date_of_birth")
    assert [row.case_ref for row in check_case_file("example.csv", example.get_data())] == [
        "EHC-000123",
        "EHC-000123",
        "EHC-000124",
    ]


def test_bad_file_lists_every_problem_and_changes_nothing(
    client_as: ClientAs, session: Session, make_case: MakeCase, instance_path: Path
) -> None:
    client, _ = client_as(Role.ADMIN)
    make_case("IMP-101", year_group="3")
    before = _counts(session)
    response = _upload(client, BAD_CSV.encode(), "cases.csv")
    soup = check_page(response)
    assert error_summary(soup) == [
        ("The file has 4 problems. Nothing has been imported. Fix the file and upload it again.", "#case_file")
    ]
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in soup.select("tbody tr")]
    assert sorted((r[0], r[1]) for r in rows) == [
        ("3", "primary_need"),
        ("3", "year_group"),
        ("4", "case_ref"),
        ("4", "final_issued_date"),
    ]
    assert "case_ref is required" in {r[2] for r in rows}
    assert "Problems in cases.csv" in soup.get_text()
    assert _counts(session) == before
    assert find_case(session, "IMP-101").year_group == "3"
    assert _uploads(instance_path) == []  # nothing kept for a bad file


def test_good_csv_preview_then_confirm_imports(
    client_as: ClientAs, session: Session, make_case: MakeCase, instance_path: Path
) -> None:
    client, admin = client_as(Role.ADMIN)
    make_case("IMP-003", year_group="1")
    cases_before, requests_before, imports_before = _counts(session)

    response = _upload(client, GOOD_CSV.encode(), "Autumn import (final).csv")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    token = preview_url.rsplit("/", 1)[1]
    stored = _uploads(instance_path)
    assert [p.name for p in stored] == sorted([f"{token}.bin", f"{token}.json"])
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in stored)
    assert _counts(session) == (cases_before, requests_before, imports_before)  # checking changes nothing

    soup = check_page(client.get(preview_url))
    summary = {
        row.dt.get_text(strip=True): row.dd.get_text(strip=True) for row in soup.select(".govuk-summary-list__row")
    }
    assert (summary["Rows"], summary["New cases"], summary["Existing cases to update"]) == ("3", "2", "1")
    headings = [th.get_text(strip=True) for th in soup.select("thead th")]
    assert headings == [
        "Row",
        "Case reference",
        "Year group",
        "Primary need",
        "Team",
        "Request received",
        "Decision to assess",
        "Final plan issued",
        "Outcome",
    ]
    first = [td.get_text(strip=True) for td in soup.select("tbody tr")[0].select("td")]
    assert first[:4] == ["2", "IMP-001", "5", "ASD"]
    assert "12 Jan 2026" in first
    assert soup.select_one("input[name=token]")["value"] == token
    assert soup.select_one("form button").get_text(strip=True) == "Import 3 rows"
    assert _counts(session) == (cases_before, requests_before, imports_before)

    response = client.post("/admin/case-import/confirm", data={"token": token})
    soup = check_page(response)
    assert response.status_code == 200
    assert "Cases imported" in soup.h1.get_text()
    numbers = {
        row.dt.get_text(strip=True): row.dd.get_text(strip=True) for row in soup.select(".govuk-summary-list__row")
    }
    assert numbers == {"Cases added": "2", "Cases updated": "1", "Requests added": "3", "Requests updated": "0"}
    assert _counts(session) == (cases_before + 2, requests_before + 3, imports_before + 1)
    assert find_case(session, "IMP-002").primary_need == "SEMH"
    assert find_case(session, "IMP-003").year_group == "R"
    entry = session.scalar(select(TrailEntry).where(TrailEntry.action == "cases.import").order_by(TrailEntry.id.desc()))
    assert entry.actor_id == admin.id and entry.entity_id == "Autumn_import_final.csv"  # Werkzeug secure_filename
    assert _uploads(instance_path) == []  # deleted after import

    # the same token again (a refresh, a double click) imports nothing
    again = client.post("/admin/case-import/confirm", data={"token": token})
    assert again.status_code == 400
    assert "could not be found" in check_page(again).select_one(".govuk-error-summary").get_text()
    assert _counts(session)[2] == imports_before + 1


def test_good_xlsx_is_previewed(client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Case ref", "Year group", "Request date"])
    sheet.append(["XL-1", 7, "2026-03-02"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = _upload(client, buffer.getvalue(), "cases.xlsx")
    assert response.status_code == 302
    soup = check_page(client.get(response.headers["Location"]))
    assert soup.select_one("tbody tr td:nth-of-type(2)").get_text(strip=True) == "XL-1"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"PK\x03\x04 not really a workbook", "cases.xlsx", "The file could not be read as an Excel workbook"),
        (b"\x00\x01\x02garbage", "cases.xlsx", "The file could not be read"),
        (b"case_ref\r\n", "cases.csv", "The file has a header but no rows"),
        (b"", "cases.csv", "The selected file is empty"),
        (b"case_ref\r\nA1\r\n", "cases.txt",
         "The selected file must be a CSV, an Excel workbook (.xlsx) or a SEN2 return (.xml)"),
        (b"<Message><Persons><Person>", "sen2.xml", "The file is not well-formed XML"),
        ((b"<Message><Persons><Person><UPN>A1</UPN><Requests><RequestOutcome>A</RequestOutcome>"
          b"<ReceivedDate>2025-01-01</ReceivedDate></Requests></Person></Persons></Message>"), "sen2.xml",
         "The file has 1 problem."),
        (b"case_ref\r\nA1\r\n", "", "Select a CSV or Excel file"),
        (b"name,case_ref\r\nMaya,A1\r\n", "cases.csv", "The file has 1 problem."),
    ],
)
def test_unusable_files_get_a_clear_message(
    client_as: ClientAs, session: Session, data: bytes, filename: str, message: str
) -> None:
    client, _ = client_as(Role.ADMIN)
    before = _counts(session)
    response = _upload(client, data, filename)
    soup = check_page(response)
    assert response.status_code == 200
    [(text, href)] = error_summary(soup)
    assert text.startswith(message) and href == "#case_file"
    assert soup.select_one("#case_file-error") is not None
    assert _counts(session) == before


def test_too_big_a_file_gets_the_upload_page_with_a_message(app: Flask, client_as: ClientAs, session: Session) -> None:
    client, _ = client_as(Role.ADMIN)
    app.config["CASE_IMPORT_MAX_CONTENT_LENGTH"] = 4096
    before = _counts(session)
    response = _upload(client, b"case_ref\r\n" + b"A1\r\n" * 5000, "cases.csv")
    soup = check_page(response)
    assert response.status_code == 413
    assert error_summary(soup) == [("The selected file must be smaller than 4 KB", "#case_file")]
    assert _counts(session) == before


@pytest.mark.parametrize("token", ["", "../../secret_key", "A" * 32, "short", "A" * 31 + "!"])
def test_tampered_or_unknown_token_imports_nothing(client_as: ClientAs, session: Session, token: str) -> None:
    client, _ = client_as(Role.ADMIN)
    _upload(client, GOOD_CSV.encode(), "cases.csv")  # a real upload exists, but is not named
    before = _counts(session)
    response = client.post("/admin/case-import/confirm", data={"token": token})
    soup = check_page(response)
    assert response.status_code == 400
    assert "could not be found" in soup.select_one(".govuk-error-summary").get_text()
    assert _counts(session) == before


def test_another_admins_upload_cannot_be_used(client_as: ClientAs, session: Session) -> None:
    first, _ = client_as(Role.ADMIN)
    second, _ = client_as(Role.ADMIN)
    token = _upload(first, GOOD_CSV.encode(), "cases.csv").headers["Location"].rsplit("/", 1)[1]
    before = _counts(session)
    assert second.get(f"/admin/case-import/{token}").status_code == 404
    assert second.post("/admin/case-import/confirm", data={"token": token}).status_code == 400
    assert _counts(session) == before
    assert first.post("/admin/case-import/confirm", data={"token": token}).status_code == 200


def test_store_expires_old_uploads(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads", max_age_seconds=60)
    token = store.save(b"data", "a.csv", owner_id=1)
    assert store.load(token, 1) is not None
    assert store.load(token, 2) is None
    old = time.time() - 120
    for path in (tmp_path / "uploads").iterdir():
        os.utime(path, (old, old))
    meta = tmp_path / "uploads" / f"{token}.json"
    meta.write_text(meta.read_text().replace('"created": ', '"created": 1, "was": '))
    assert store.load(token, 1) is None
    other = store.save(b"more", "b.csv", owner_id=1)  # saving purges what is past its time
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == sorted([f"{other}.bin", f"{other}.json"])


def test_safe_filename() -> None:
    assert safe_filename("C:\\Users\\me\\cases.CSV") == "cases.csv"
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("<script>.xlsx") == "script.xlsx"
    long = safe_filename("a" * 100 + ".xlsx")
    assert len(long) == 40 and long.endswith(".xlsx")
    assert safe_filename(".csv") == "cases.csv"
    assert safe_filename("../../My Cases (2025).xlsx") == "My_Cases_2025.xlsx"  # Werkzeug's rules, no spaces


def test_preview_names_new_teams_and_setting_types(client_as: ClientAs, make_case: MakeCase) -> None:
    client, _ = client_as(Role.ADMIN)
    make_case("KNOWN-1", team="North", setting_type="Special school")
    data = b"case_ref,team,setting_type\r\nNV-1,north,Special school\r\nNV-2,Nrth,Speshal school\r\n"
    response = _upload(client, data, "teams.csv")
    assert response.status_code == 302
    soup = check_page(client.get(response.headers["Location"]))
    assert [li.get_text(" ", strip=True) for li in soup.select("#new-values li")] == [
        "New team: Nrth",
        "New setting type: Speshal school",
    ]
    assert "not used before" in soup.select_one(".govuk-warning-text").get_text()
    response = _upload(client, b"case_ref,team\r\nNV-3,North\r\n", "known.csv")
    assert check_page(client.get(response.headers["Location"])).select_one("#new-values") is None


def test_a_20_mb_upload_is_taken_and_its_reader_limits_answer(
        app: Flask, client_as: ClientAs, session: Session) -> None:
    """The import route takes a 20 MB SEN2 return (MAX_CONTENT_LENGTH is 16 MB for every other form);
    this 20 MB CSV's one long line is then refused by the reader, with the upload page, unparsed."""
    client, _ = client_as(Role.ADMIN)
    assert app.config["MAX_CONTENT_LENGTH"] < 20 * 1024 * 1024 < app.config["CASE_IMPORT_MAX_CONTENT_LENGTH"]
    before = _counts(session)
    # The body is built here: the test client would spool a large one to a temporary file it never closes.
    token = client.csrf_token().encode()  # type: ignore[attr-defined]
    body = (b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token + b"\r\n"
            b'--B\r\nContent-Disposition: form-data; name="case_file"; filename="wide.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\ncase_ref" + b",a" * (10 * 1024 * 1024) + b"\r\n\r\n--B--\r\n")
    response = client.post("/admin/case-import", data=body, content_type="multipart/form-data; boundary=B")
    soup = check_page(response)
    assert response.status_code == 200
    message = "The file has 1 problem. Nothing has been imported. Fix the file and upload it again."
    assert error_summary(soup) == [(message, "#case_file")]
    assert "the line has 20,971,530 characters" in soup.select_one("#problems + p + div table").get_text()
    assert _counts(session) == before


def test_problems_past_200_are_counted_not_listed(client_as: ClientAs) -> None:
    client, _ = client_as(Role.ADMIN)
    data = ("case_ref,year_group\r\n" + "".join(f"A{n},year 42\r\n" for n in range(450))).encode()
    soup = check_page(_upload(client, data, "bad.csv"))
    assert error_summary(soup)[0][0] == ("The file has 450 problems. Nothing has been imported. "
                                         "Fix the file and upload it again.")
    assert len(soup.select("#problems + p + div tbody tr")) == 200
    texts = [p.get_text(" ", strip=True) for p in soup.select("p.govuk-body")]
    assert "And 250 more problems, not listed. Fix these and upload the file again to see the rest." in texts
