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
from qaframework.store import AdviceRequest, Case, Request, TrailEntry
from tests.support import MakeUser

HEADER = (
    "case_ref,year_group,date_of_birth,primary_need,setting_type,team,request_date,decision_to_assess_date,"
    "final_issued_date,outcome,exception,last_review_date"
)
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
    assert case.birth_cohort == 2011  # July 2012 is in the 2011-12 academic year
    assert [(r.request_date, r.outcome, r.exception) for r in case.requests] == [
        (date(2025, 1, 6), "refused_to_assess", None),
        (date(2025, 9, 1), "issued", "school_closure"),
    ]
    first = find_case(session, "IMP001")
    assert first is not None and first.birth_cohort == 2015  # academic year only: data minimisation
    assert first.requests[0].final_issued_date == date(2025, 5, 19)
    entry = session.scalars(select(TrailEntry).where(TrailEntry.action == "cases.import")).one()
    assert entry.after is not None and entry.after["rows"] == 4


def test_reimport_updates_the_same_request(session: Session) -> None:
    import_cases(session, None, "cases.csv", csv_bytes(*GOOD_ROWS))
    import_cases(
        session,
        None,
        "cases.csv",
        csv_bytes("IMP003,1,,SLCN,Mainstream school,North,07/09/2026,2026-10-12,,in_progress,,"),
    )
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
    assert found == {
        (2, "request_date"),
        (3, "primary_need"),
        (4, "final_issued_date"),
        (6, "request_date"),
        (7, "final_issued_date"),
        (8, "exception"),
    }
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
    import_cases(
        session, None, "x.csv", csv_bytes("2025-04-07,ORD001,Mld", header="Request Date,CASE_REF,Primary_Need")
    )
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
    with pytest.raises(CaseFileError, match=r"choose a \.csv or \.xlsx"):
        import_cases(session, None, "cases.pdf", b"%PDF")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("29/02/2024", date(2024, 2, 29)),
        ("1/3/2024", date(2024, 3, 1)),
        (45292, date(2024, 1, 1)),
        ("45321", date(2024, 1, 30)),
    ],
)
def test_parse_date_formats(text: object, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2023-02-29", "31/04/2024", "2024/01/01", "tomorrow", "13/13/2024"])
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a (real )?date"):
        parse_date(text)


def test_text_longer_than_its_column_is_refused(session: Session) -> None:
    with pytest.raises(CaseFileError) as raised:
        import_cases(session, None, "x.csv", csv_bytes("LONG01," + "x" * 61, header="case_ref,setting_type"))
    assert str(raised.value.problems[0]) == "row 2, column setting_type: keep this to 60 characters or fewer"


def test_existing_case_refs_in_one_query(session: Session) -> None:
    """One SELECT per 1,000 references, whatever their case: never a query per row of the file."""
    from sqlalchemy import event

    from qaframework.operations.cases import existing_case_refs

    import_cases(session, None, "cases.csv", csv_bytes(*GOOD_ROWS))
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        assert existing_case_refs(session, ["imp001", "IMP003", "NOPE"]) == {"IMP001", "IMP003"}
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1, statements
        statements.clear()
        many = [f"imp{n:03d}" for n in range(2500)]  # imp000 … imp2499, three of them stored
        assert existing_case_refs(session, many) == {"IMP001", "IMP002", "IMP003"}
        assert len(statements) == 3, statements  # 2,500 references: three chunks of at most 1,000
    finally:
        event.remove(connection, "before_cursor_execute", count)



# --- issue 7: the dates the clocks need, NSA refused, new teams and settings named ---------------

CLOCK_HEADER = ("case_ref,request_date,request_source,responsible_date,decision_to_assess_date,assessment_outcome_date,"
                "draft_issued_date,final_issued_date,outcome,exception,exception_start,exception_end,family_told_date")


def test_request_clock_dates_are_imported_and_judged(session: Session) -> None:
    """Review §3.2 C4, C6, C8: the outcome date, the draft, the exception period, responsibility, source."""
    rows = (
        "CLK001,2025-01-06,3,2025-01-13,2025-02-10,2025-04-28,2025-05-05,2025-06-23,issued,school_closure,2025-03-03,2025-03-31,2025-03-04",
        "CLK002,2025-01-06,parent or young person,,2025-02-10,2025-05-12,,,refused_to_issue,,,,",
    )
    import_cases(session, None, "c.csv", csv_bytes(*rows, header=CLOCK_HEADER))
    first = find_case(session, "CLK001")
    assert first is not None
    request = first.requests[0]
    assert (
        request.request_source,
        request.responsible_date,
        request.assessment_outcome_date,
        request.draft_issued_date,
    ) == (3, date(2025, 1, 13), date(2025, 4, 28), date(2025, 5, 5))
    assert (request.exception_start, request.exception_end, request.family_told_date) == (
        date(2025, 3, 3),
        date(2025, 3, 31),
        date(2025, 3, 4),
    )
    from qaframework.timeliness import clock, issued_late

    result = clock(request.facts(), today=date(2025, 12, 1))
    assert result.start == date(2025, 1, 13)  # the clock starts when the authority became responsible
    assert (result.days_late, result.exception_days, result.days_late_net) == (21, 29, 0)
    assert issued_late(request.facts()) is False
    refused = find_case(session, "CLK002")
    assert refused is not None and refused.requests[0].request_source == 1
    milestones = {m.label: m.met for m in clock(refused.requests[0].facts(), today=date(2025, 12, 1)).milestones}
    assert milestones["Decision not to issue (16 weeks)"] is False  # 12 May is day 126: judged, not "not recorded"


def test_review_transfer_phase_and_cohort_columns(session: Session) -> None:
    header = (
        "case_ref,academic_year_of_birth,next_phase,phase_transfer_date,transferred_in_date,transfer_from_la,"
        "transfer_family_told_date,review_meeting_date,review_decision_date,review_outcome,"
        "review_amendments_sent_date,review_amended_plan_date,phase_transfer_final_date"
    )
    import_cases(
        session,
        None,
        "r.csv",
        csv_bytes(
            "REV001,2014-15,primary_to_secondary,2026-09-01,2025-04-01, 351,2025-04-20,2025-10-06,2025-10-27,A,"
            "2025-10-27,2025-12-15,2025-12-15",
            header=header,
        ),
    )
    case = find_case(session, "REV001")
    assert case is not None
    assert (case.birth_cohort, case.next_phase, case.phase_transfer_date) == (
        2014,
        "primary_to_secondary",
        date(2026, 9, 1),
    )
    assert (case.transferred_in_date, case.transfer_from_la, case.transfer_family_told_date) == (
        date(2025, 4, 1),
        "351",
        date(2025, 4, 20),
    )
    assert [(r.meeting_date, r.decision_date, r.outcome, r.draft_date, r.amended_plan_date) for r in case.reviews] == [
        (date(2025, 10, 6), date(2025, 10, 27), "A", date(2025, 10, 27), date(2025, 12, 15))
    ]
    assert case.last_review_decision_date == date(2025, 10, 27)
    # Re-importing the same meeting updates that review rather than adding one.
    import_cases(
        session,
        None,
        "r.csv",
        csv_bytes("REV001,2025-10-06,2025-11-03", header="case_ref,review_meeting_date,review_decision_date"),
    )
    assert [(r.meeting_date, r.decision_date) for r in case.reviews] == [(date(2025, 10, 6), date(2025, 11, 3))]


def test_last_review_date_is_read_as_the_review_decision_date(session: Session) -> None:
    """Review §3.2 C3: SEN2 LastReview is the decision date; the old column now says so."""
    import_cases(session, None, "x.csv", csv_bytes("OLD001,2025-03-10", header="case_ref,last_review_date"))
    case = find_case(session, "OLD001")
    assert case is not None and [(r.meeting_date, r.decision_date) for r in case.reviews] == [(None, date(2025, 3, 10))]
    with pytest.raises(CaseFileError, match="appears twice"):
        import_cases(
            session,
            None,
            "x.csv",
            csv_bytes("OLD001,2025-03-10,2025-03-10", header="case_ref,last_review_date,review_decision_date"),
        )


def test_advice_rows_one_per_agency(session: Session) -> None:
    header = (
        "case_ref,request_date,decision_to_assess_date,advice_agency,advice_requested_date,advice_received_date,"
        "advice_exception"
    )
    import_cases(
        session,
        None,
        "a.csv",
        csv_bytes(
            "ADV001,2025-01-06,2025-02-10,health,2025-02-12,2025-03-28,",
            "ADV001,2025-01-06,2025-02-10,education,2025-02-12,,missed_appointment",
            header=header,
        ),
    )
    case = find_case(session, "ADV001")
    assert case is not None and len(case.requests) == 1
    advice = {a.agency_code: (a.requested_date, a.received_date, a.exception) for a in case.requests[0].advice}
    assert advice == {
        "health": (date(2025, 2, 12), date(2025, 3, 28), None),
        "education": (date(2025, 2, 12), None, "missed_appointment"),
    }
    assert count(session, AdviceRequest) == 2
    with pytest.raises(CaseFileError) as raised:
        import_cases(
            session,
            None,
            "a.csv",
            csv_bytes(
                "ADV002,2025-01-06,2025-02-10,dentistry,2025-02-12,,",
                "ADV003,2025-01-06,2025-02-10,health,2025-02-12,,school_closure",
                "ADV004,2025-01-06,2025-02-10,health,2025-02-12,,",
                "ADV004,2025-01-06,2025-02-11,education,2025-02-12,,",
                header=header,
            ),
        )
    found = {(p.row, p.column): p.message for p in raised.value.problems}
    assert set(found) == {(3, "advice_exception"), (5, "decision_to_assess_date")}
    assert "reg 8(2)" in found[(3, "advice_exception")]
    assert found[(5, "decision_to_assess_date")] == "differs from row 4 for the same request"
    with pytest.raises(CaseFileError, match="“dentistry” is not an agency"):
        import_cases(
            session, None, "a.csv", csv_bytes("ADV002,2025-01-06,2025-02-10,dentistry,2025-02-12,,", header=header)
        )
    assert find_case(session, "ADV002") is None


def test_nsa_is_refused_as_an_ehc_plan_need(session: Session) -> None:
    with pytest.raises(CaseFileError) as raised:
        import_cases(session, None, "x.csv", csv_bytes("NSA001,NSA", header="case_ref,primary_need"))
    assert str(raised.value.problems[0]).startswith(
        "row 2, column primary_need: NSA is a school census code for SEN support"
    )
    assert count(session, Case) == 0


def test_bad_clock_dates_are_named(session: Session) -> None:
    header = (
        "case_ref,request_date,decision_to_assess_date,assessment_outcome_date,exception,exception_start,exception_end,"
        "family_told_date,review_meeting_date,review_decision_date,next_phase,phase_transfer_date,academic_year_of_birth"
    )
    with pytest.raises(CaseFileError) as raised:
        import_cases(
            session,
            None,
            "x.csv",
            csv_bytes(
                "BAD001,2025-01-06,2025-02-10,2025-02-01,,,,,,,,,",  # outcome before the decision to assess
                "BAD002,2025-01-06,,,school_closure,2025-03-10,2025-03-01,,,,,,",  # exception ends before it starts
                "BAD003,2025-01-06,,,,,,2025-03-01,,,,,",  # family told of no exception
                "BAD004,,,,,,,,2025-05-01,2025-04-01,,,",  # decision before the meeting
                "BAD005,,,,,,,,,,primary_to_secondary,,",  # a move with no date
                "BAD006,,,,,,,,,,,,2012-14",  # not an academic year
                header=header,
            ),
        )
    found = {(p.row, p.column) for p in raised.value.problems}
    assert found == {
        (2, "assessment_outcome_date"),
        (3, "exception_end"),
        (4, "family_told_date"),
        (5, "review_decision_date"),
        (6, "phase_transfer_date"),
        (7, "academic_year_of_birth"),
    }


def test_new_team_and_setting_values_are_named_before_import(session: Session, make_user: MakeUser) -> None:
    from qaframework.operations.cases import check_case_file, known_case_values

    import_cases(session, None, "x.csv", csv_bytes("KN001,North,Special school", header="case_ref,team,setting_type"))
    make_user(team="East")
    known = known_case_values(session)
    assert {"North", "East"} <= set(known.teams)
    assert "Mainstream school" in known.setting_types  # the defaults are known before any case uses them
    rows = check_case_file(
        "y.csv",
        csv_bytes("KN002,north ,special SCHOOL", "KN003,Nrth,Speshal school", header="case_ref,team,setting_type"),
    )
    assert known.new_values(rows) == {"team": ["Nrth"], "setting_type": ["Speshal school"]}
    import_cases(session, None, "y.csv", csv_bytes("KN002,north ,special SCHOOL", header="case_ref,team,setting_type"))
    case = find_case(session, "KN002")
    assert case is not None and (case.team, case.setting_type) == ("North", "Special school")  # known spelling kept
