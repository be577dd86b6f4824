"""Case import: all-or-nothing, every bad row named, re-import updates."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qaframework.case_import import CaseFileError, parse_date
from qaframework.operations.cases import find_case, import_cases
from qaframework.store import Case, Request, TrailEntry

HEADER = "case_ref,year_group,date_of_birth,primary_need,setting_type,team,request_date,decision_to_assess_date,final_issued_date,outcome,exception,last_review_date"
GOOD_ROWS = [
    "IMP001,5,14/03/2016,ASD,Mainstream school,North,2025-01-06,2025-02-10,2025-05-19,issued,,",
    "IMP002,Year 9,2012-07-01,semh,Special school,South,06/01/2025,,,refused_to_assess,,",
    "IMP002,9,,SEMH,,South,2025-09-01,2025-10-06,2026-03-30,issued,school_closure,",
    "IMP003,R,,SLCN,Early years setting,North,2026-09-07,,,,,",
]


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_good_csv_imports_cases_and_requests(session: Session) -> None:
    report = import_cases(session, None, "cases.csv", csv_bytes(*GOOD_ROWS))
    assert report.rows == 4
    assert sorted(report.cases_created) == ["IMP001", "IMP002", "IMP003"]
    assert report.requests_created == 4
    case = find_case(session, "imp002")
    assert case is not None and case.year_group == "9" and case.primary_need == "SEMH"
    assert case.birth_month == date(2012, 7, 1)
    assert [(r.request_date, r.outcome, r.exception) for r in case.requests] == [
        (date(2025, 1, 6), "refused_to_assess", None),
        (date(2025, 9, 1), "issued", "school_closure"),
    ]
    first = find_case(session, "IMP001")
    assert first is not None and first.birth_month == date(2016, 3, 1)  # month only: data minimisation
    assert first.requests[0].final_issued_date == date(2025, 5, 19)
    entry = session.scalars(select(TrailEntry).where(TrailEntry.action == "cases.import")).one()
    assert entry.after is not None and entry.after["rows"] == 4


def test_reimport_updates_the_same_request(session: Session) -> None:
    import_cases(session, None, "cases.csv", csv_bytes(*GOOD_ROWS))
    import_cases(session, None, "cases.csv", csv_bytes("IMP003,1,,SLCN,Mainstream school,North,07/09/2026,2026-10-12,,in_progress,,"))
    case = find_case(session, "IMP003")
    assert case is not None and case.year_group == "1" and case.setting_type == "Mainstream school"
    assert len(case.requests) == 1 and case.requests[0].decision_to_assess_date == date(2026, 10, 12)
    assert count(session, Request) == 4


def test_bad_file_changes_nothing_and_names_every_bad_row(session: Session) -> None:
    import_cases(session, None, "cases.csv", csv_bytes(GOOD_ROWS[0]))
    before = (count(session, Case), count(session, Request))
    bad = csv_bytes(
        "NEW001,5,,ASD,,North,2025-02-30,,,,,",  # row 2: no 30 February
        "NEW002,5,,XYZ,,North,2025-01-06,,,,,",  # row 3: unknown need code
        "NEW003,5,,ASD,,North,2025-03-03,,2025-01-10,issued,,",  # row 4: issued before requested
        "NEW004,5,,ASD,,North,2025-03-03,,,,,",
        "new004,5,,ASD,,North,03/03/2025,,,,,",  # row 6: duplicate of row 5
        "NEW005,5,,ASD,,North,2025-03-03,,,issued,,",  # row 7: issued with no date
        "IMP001,5,,ASD,,North,2025-05-05,,,,holiday,",  # row 8: unknown exception
    )
    with pytest.raises(CaseFileError) as raised:
        import_cases(session, None, "bad.csv", bad)
    found = {(p.row, p.column) for p in raised.value.problems}
    assert found == {(2, "request_date"), (3, "primary_need"), (4, "final_issued_date"), (6, "request_date"),
                     (7, "final_issued_date"), (8, "exception")}
    messages = "\n".join(str(p) for p in raised.value.problems)
    assert "row 2, column request_date: “2025-02-30” is not a real date" in messages
    assert "row 4, column final_issued_date: the plan is issued before it was requested" in messages
    assert "row 6, column request_date: duplicate of row 5" in messages
    assert (count(session, Case), count(session, Request)) == before
    assert find_case(session, "NEW004") is None


def test_unknown_and_missing_columns_are_reported(session: Session) -> None:
    with pytest.raises(CaseFileError) as raised:
        import_cases(session, None, "x.csv", csv_bytes("Jo Bloggs,5", header="child_name,year_group"))
    messages = [str(p) for p in raised.value.problems]
    assert any("row 1, column child_name: unknown column" in m for m in messages)
    assert any("case_ref is missing" in m for m in messages)
    assert count(session, Case) == 0


def test_header_names_are_case_insensitive_in_any_order(session: Session) -> None:
    import_cases(session, None, "x.csv", csv_bytes("2025-04-07,ORD001,Mld", header="Request Date,CASE_REF,Primary_Need"))
    case = find_case(session, "ORD001")
    assert case is not None and case.primary_need == "MLD" and case.requests[0].request_date == date(2025, 4, 7)


def test_xlsx_with_excel_dates_and_serials(session: Session) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["case_ref", "request_date", "decision_to_assess_date", "year_group"])
    sheet.append(["XL001", datetime(2025, 1, 6), 45698, 7])  # 45698 = 2025-02-10 as an Excel serial
    buffer = io.BytesIO()
    workbook.save(buffer)
    import_cases(session, None, "cases.xlsx", buffer.getvalue())
    case = find_case(session, "XL001")
    assert case is not None and case.year_group == "7"
    assert case.requests[0].decision_to_assess_date == date(2025, 2, 10)


def test_broken_spreadsheet_is_a_clear_error(session: Session) -> None:
    with pytest.raises(CaseFileError) as raised:
        import_cases(session, None, "cases.xlsx", b"this is not a zip file")
    assert "could not be read as an Excel workbook" in str(raised.value)
    with pytest.raises(CaseFileError, match="choose a .csv or .xlsx"):
        import_cases(session, None, "cases.pdf", b"%PDF")


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-02-29", date(2024, 2, 29)), ("29/02/2024", date(2024, 2, 29)), ("1/3/2024", date(2024, 3, 1)),
    (45292, date(2024, 1, 1)), ("45321", date(2024, 1, 30)),
])
def test_parse_date_formats(text: object, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2023-02-29", "31/04/2024", "2024/01/01", "tomorrow", "13/13/2024"])
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_text_longer_than_its_column_is_refused(session: Session) -> None:
    with pytest.raises(CaseFileError) as raised:
        import_cases(session, None, "x.csv", csv_bytes("LONG01," + "x" * 61, header="case_ref,setting_type"))
    assert str(raised.value.problems[0]) == "row 2, column setting_type: keep this to 60 characters or fewer"


def test_existing_case_refs_in_one_query(session: Session) -> None:
    from qaframework.operations.cases import existing_case_refs

    import_cases(session, None, "cases.csv", csv_bytes(*GOOD_ROWS))
    assert existing_case_refs(session, ["imp001", "IMP003", "NOPE"]) == {"IMP001", "IMP003"}
