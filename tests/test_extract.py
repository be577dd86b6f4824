"""The analysts' extract, read back from real xlsx and CSV files against a hand-made dataset.

Runs on both databases (``QA_TEST_DATABASE_URL``). The dataset puts a name, a case reference and
formula text in every free-text field, so a scan of every cell proves none of them leaks.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.cli import main
from qaframework.framework import Role
from qaframework.operations.base import InvalidInput, PermissionDenied
from qaframework.pseudonyms import case_key
from qaframework.reports.extract import EXCEL_MAX_ROWS, HEADER, write_extract
from qaframework.store import Audit, Case, Response, TemplateVersion, TrailEntry, User
from qaframework.store.db import make_engine, session_factory
from tests.support import MakeUser, scratch_database

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
#: Case references and free text: none of it may appear in any cell of the extract.
REF_A, REF_B = "LA-778123", "LA-990045"
SECRETS = [REF_A, REF_B, "Jane Doe", "evidence about Jane", "not seen: Tom Price", "Alice Smith summary",
           "rationale of Bob", "sent back to Carol"]
HOSTILE_SETTING = "=HYPERLINK(\"http://evil.example\",\"x\")"


@dataclass
class Dataset:
    auditor: User
    #: (audit id, case ref, tier, agency, template id, version, cycle, status, submitted on, grade,
    #:  moderated, phase, need, setting) per included audit, and its (section, question, rating) responses.
    expected: list[tuple[object, ...]]


def _audit(session: Session, auditor: User, case: Case, tv: TemplateVersion, *, cycle: str, status: str,
           submitted: datetime | None, grades: tuple[str | None, str | None, str | None],
           ratings: list[str | None]) -> Audit:
    suggested, by_auditor, moderated = grades
    audit = Audit(case_id=case.id, template_version_id=tv.id, subject="final_plan", tier=tv.tier,
                  agency_code=auditor.agency_code if tv.tier < 3 else None, auditor_id=auditor.id, status=status,
                  cycle=cycle, suggested_grade=suggested, auditor_grade=by_auditor, moderated_grade=moderated,
                  summary="Alice Smith summary", override_rationale="rationale of Bob",
                  return_comment="sent back to Carol", submitted_at=submitted)
    questions = [(s.id, q.id) for s in tv.template.sections for q in s.questions][: len(ratings)]
    for (section, question), rating in zip(questions, ratings, strict=True):
        audit.responses.append(Response(question_id=question, section_id=section, rating=rating,
                                        evidence="evidence about Jane", na_reason="not seen: Tom Price"))
    session.add(audit)
    session.flush()
    return audit


def make_dataset(session: Session, auditor: User) -> Dataset:
    latest = {tv.template_id: tv for tv in session.scalars(select(TemplateVersion).order_by(TemplateVersion.version))}
    t1, t2 = latest["t1-coordinator-plan-check"], latest["t2-education-advice-audit"]
    a = Case(case_ref=REF_A, year_group="5", primary_need="ASD", setting_type="Mainstream school", team="Jane Doe")
    b = Case(case_ref=REF_B, year_group="10", primary_need="SEMH", setting_type=HOSTILE_SETTING)
    session.add_all([a, b])
    session.flush()
    first = _audit(session, auditor, a, t1, cycle="2025-26 Autumn 1", status="closed",
                   submitted=datetime(2025, 10, 3, 14, 5, tzinfo=UTC), grades=("good", "good", None),
                   ratings=["met", "not_applicable", "partially_met"])
    second = _audit(session, auditor, b, t2, cycle="2025-26 Spring 2", status="moderated",
                    submitted=datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
                    grades=("good", "outstanding", "requires_improvement"), ratings=["not_met", None])
    third = _audit(session, auditor, a, t2, cycle="2025-26 Summer 1", status="submitted",
                   submitted=datetime(2026, 5, 1, 23, 30, tzinfo=UTC), grades=("inadequate", None, None),
                   ratings=["met"])
    # Left out: a draft and a returned audit of the year, and a closed audit of the year before.
    _audit(session, auditor, a, t1, cycle="2025-26 Autumn 2", status="draft", submitted=None,
           grades=(None, None, None), ratings=["met"])
    _audit(session, auditor, b, t1, cycle="2025-26 Autumn 2", status="returned",
           submitted=datetime(2025, 11, 1, tzinfo=UTC), grades=("good", None, None), ratings=["met"])
    _audit(session, auditor, b, t1, cycle="2024-25 Summer 2", status="closed",
           submitted=datetime(2025, 7, 1, tzinfo=UTC), grades=("good", None, None), ratings=["met"])
    session.commit()
    london = ZoneInfo("Europe/London")
    expected: list[tuple[object, ...]] = [
        (audit.id, case.case_ref, audit.template_version.tier, audit.agency_code, audit.template_version.template_id,
         audit.template_version.version, audit.cycle, audit.status,
         audit.submitted_at.astimezone(london).date() if audit.submitted_at else None, audit.reported_grade,
         audit.moderated_grade is not None, phase, case.primary_need,
         "'" + HOSTILE_SETTING if case.setting_type == HOSTILE_SETTING else case.setting_type,
         response.section_id, response.question_id, response.rating)
        for audit, case, phase in ((first, a, "primary"), (second, b, "secondary"), (third, a, "primary"))
        for response in sorted(audit.responses, key=lambda r: r.id)
    ]
    return Dataset(auditor, expected)


@pytest.fixture
def dataset(session: Session, make_user: MakeUser) -> Dataset:
    return make_dataset(session, make_user(Role.AUDITOR))


def keyed(rows: list[tuple[object, ...]], key: bytes) -> list[tuple[object, ...]]:
    """The expected rows with the case reference replaced by its key under ``key``."""
    return [(row[0], case_key(key, str(row[1])), *row[2:]) for row in rows]


def read_xlsx(path: Path) -> dict[str, list[tuple[object, ...]]]:
    workbook = load_workbook(path)
    sheets: dict[str, list[tuple[object, ...]]] = {
        sheet.title: [tuple(cell.value for cell in row) for row in sheet.iter_rows()] for sheet in workbook.worksheets
    }
    formulas = [cell.coordinate for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
                if cell.data_type == "f"]
    assert formulas == [], "no cell of the extract may be a formula"
    return sheets


def as_dates(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """openpyxl reads a date cell back as a datetime at midnight."""
    return [tuple(c.date() if isinstance(c, datetime) else c for c in row) for row in rows]


def test_xlsx_rows_equal_the_responses_and_leak_nothing(session: Session, dataset: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "extract.xlsx"
    summary = write_extract(session, None, "2025-26", out, key=KEY)
    assert summary.rows == len(dataset.expected) == 6 and summary.fmt == "xlsx"
    sheets = read_xlsx(out)
    assert list(sheets) == ["Data", "Definitions"] == summary.sheets
    data = sheets["Data"]
    assert data[0] == HEADER
    assert as_dates(data[1:]) == keyed(dataset.expected, KEY)
    # Dates are real dates; the formula text in a setting type stays text (a quoted string).
    submitted_on = HEADER.index("submitted_on")
    assert isinstance(data[1][submitted_on], datetime)
    # 23:30 UTC on 1 May is 00:30 on 2 May in England (BST): the day in England is written.
    assert data[6][submitted_on] == datetime(2026, 5, 2)
    assert data[4][HEADER.index("setting_type")] == "'" + HOSTILE_SETTING
    assert data[5][HEADER.index("rating")] is None  # an unanswered question: a blank cell
    definitions = {row[0]: row[1] for row in sheets["Definitions"] if row and row[0]}
    assert definitions["Academic year"] == "2025-26" and definitions["Rows (responses)"] == 6
    assert all(definitions.get(name) for name in HEADER), "every column is defined"
    every_cell = " ".join(str(c) for rows in sheets.values() for row in rows for c in row if c is not None)
    assert [s for s in SECRETS if s in every_cell] == []


def test_csv_rows_equal_the_responses_and_leak_nothing(session: Session, dataset: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "extract.csv"
    summary = write_extract(session, None, "2025-26", out, key=KEY)
    assert summary.rows == 6 and summary.fmt == "csv" and summary.sheets == []
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == HEADER
    expected = [tuple("" if c is None else "TRUE" if c is True else "FALSE" if c is False
                      else c.isoformat() if isinstance(c, date) else str(c) for c in row)
                for row in keyed(dataset.expected, KEY)]
    assert [tuple(row) for row in rows[1:]] == expected
    assert [s for s in SECRETS if s in raw.decode("utf-8-sig")] == []
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_case_keys_are_stable_under_one_key_and_differ_under_another(
    session: Session, dataset: Dataset, tmp_path: Path
) -> None:
    keys = []
    for name, key in (("one.csv", KEY), ("two.csv", KEY), ("other.csv", OTHER_KEY)):
        write_extract(session, None, "2025-26", tmp_path / name, key=key)
        with (tmp_path / name).open(encoding="utf-8-sig") as fh:
            keys.append([row["case_key"] for row in csv.DictReader(fh)])
    one, two, other = keys
    assert one == two and len(set(one)) == 2  # two cases, the same keys on both runs
    assert set(one).isdisjoint(other) and len(set(other)) == 2
    assert all(k.startswith("K-") and REF_A not in k and REF_B not in k for k in one)


def test_rows_continue_on_data_2_with_the_header_repeated(
    session: Session, dataset: Dataset, tmp_path: Path
) -> None:
    assert EXCEL_MAX_ROWS == 1_048_576 == 2**20  # Excel's rows per worksheet
    out = tmp_path / "split.xlsx"
    summary = write_extract(session, None, "2025-26", out, key=KEY, row_limit=3)  # header + 2 rows a sheet
    sheets = read_xlsx(out)
    assert list(sheets) == ["Data", "Data 2", "Data 3", "Definitions"] == summary.sheets
    assert all(sheets[name][0] == HEADER and len(sheets[name]) == 3 for name in ("Data", "Data 2", "Data 3"))
    continued = [row for name in ("Data", "Data 2", "Data 3") for row in sheets[name][1:]]
    assert as_dates(continued) == keyed(dataset.expected, KEY)  # every row, once, in order
    exact = tmp_path / "exact.xlsx"  # 6 rows fill two sheets of 3 exactly: no empty third sheet
    assert write_extract(session, None, "2025-26", exact, key=KEY, row_limit=4).sheets == ["Data", "Data 2",
                                                                                          "Definitions"]


def test_progress_is_reported_up_to_the_total(session: Session, dataset: Dataset, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    write_extract(session, None, "2025-26", tmp_path / "x.csv", key=KEY, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 6) and calls[-1] == (6, 6)


def test_an_empty_year_gives_the_header_and_definitions(session: Session, dataset: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "empty.xlsx"
    assert write_extract(session, None, "2023-24", out, key=KEY).rows == 0
    assert read_xlsx(out)["Data"] == [HEADER]


@pytest.mark.parametrize(("year", "name", "fmt", "message"), [
    ("2025", "x.xlsx", None, "not an academic year"),
    ("2025-27", "x.xlsx", None, "not an academic year"),
    ("2025-26", "x.txt", None, "as .xlsx or .csv"),
    ("2025-26", "x.xlsx", "pdf", "as .xlsx or .csv"),
])
def test_bad_year_or_format_is_refused_and_nothing_is_written(
    session: Session, tmp_path: Path, year: str, name: str, fmt: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        write_extract(session, None, year, tmp_path / name, fmt=fmt, key=KEY)
    assert list(tmp_path.iterdir()) == []


def test_format_option_wins_over_the_extension(session: Session, dataset: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "extract.data"
    assert write_extract(session, None, "2025-26", out, fmt="csv", key=KEY).fmt == "csv"
    assert out.read_text(encoding="utf-8-sig").startswith("audit_id,case_key,")


def test_only_admins_and_qa_leads_may_extract_and_each_extract_is_on_the_trail(
    session: Session, dataset: Dataset, make_user: MakeUser, tmp_path: Path
) -> None:
    admin, viewer, member = make_user(Role.ADMIN), make_user(Role.BOARD_VIEWER), make_user(Role.PANEL_MEMBER)
    lead = make_user(Role.PANEL_MEMBER)
    lead.leads_panel = True
    session.commit()
    for refused in (viewer, member, dataset.auditor):
        with pytest.raises(PermissionDenied, match="administrators and QA leads"):
            write_extract(session, refused, "2025-26", tmp_path / "no.xlsx", key=KEY)
    assert list(tmp_path.iterdir()) == []
    for allowed in (admin, lead):
        assert write_extract(session, allowed, "2025-26", tmp_path / "yes.csv", key=KEY).rows == 6
    entries = session.scalars(select(TrailEntry).where(TrailEntry.action == "extract.write")
                              .order_by(TrailEntry.id)).all()
    assert [(e.actor_id, e.entity_id, e.after) for e in entries[-2:]] == [
        (admin.id, "2025-26", {"format": "csv", "rows": 6}), (lead.id, "2025-26", {"format": "csv", "rows": 6})]


def test_qa_report_extract_writes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_INSTANCE_PATH", str(tmp_path / "instance"))  # the pseudonym key is made here
    runner = CliRunner()
    with scratch_database(tmp_path, "qa_extract") as url:
        engine = make_engine(url)
        try:
            assert runner.invoke(main, ["--database-url", url, "init"]).exit_code == 0
            with session_factory(engine)() as session:
                auditor = User(email="extract-auditor@example.test", display_name="Auditor", password_hash="x",
                               role="auditor", agency_code="send_service", team="North")
                session.add(auditor)
                session.commit()
                dataset = make_dataset(session, auditor)
        finally:
            engine.dispose()
        out = tmp_path / "out.xlsx"
        result = runner.invoke(main, ["--database-url", url, "report", "extract", "--year", "2025-26", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert f"Wrote 6 response(s) for 2025-26 to {out} on Data, Definitions." in result.output
        key = (tmp_path / "instance" / "pseudonym.key").read_text().strip()
        assert as_dates(read_xlsx(out)["Data"][1:]) == keyed(dataset.expected, bytes.fromhex(key))
        csv_out = tmp_path / "out.txt"
        as_csv = runner.invoke(main, ["--database-url", url, "report", "extract", "--year", "2025-26", "-o",
                                      str(csv_out), "--format", "csv"])
        assert as_csv.exit_code == 0 and csv_out.read_text(encoding="utf-8-sig").count("\n") == 7
        bad = runner.invoke(main, ["--database-url", url, "report", "extract", "--year", "2025", "-o", str(out)])
        assert bad.exit_code == 1 and "not an academic year like 2025-26" in bad.output

