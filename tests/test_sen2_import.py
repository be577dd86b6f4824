"""SEN2 XML returns as a source of cases: the mapping, every year's shape, pseudonyms, no identifier stored."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from qaframework.case_import import CaseFileError
from qaframework.cli import main
from qaframework.operations.cases import check_case_file, import_cases
from qaframework.operations.timeliness import PeriodKind, timeliness_by_period
from qaframework.pseudonyms import KEY_FILENAME, load_or_create_key, person_reference
from qaframework.store import Case
from qaframework.store.db import make_engine
from tests.sen2_files import Sen2Person, Sen2Request, sen2_return
from tests.support import scratch_database

KEY = bytes(range(32))


def research_example(year: int = 2025) -> list[Sen2Person]:
    """The three people of the worked example: a plan in 19 weeks, one late with an exception, a refusal."""
    return [
        Sen2Person("Quenbyridge", "Alphonsine", "2016-05-01", upn="A123456789012", postcode="ZZ1 1ZZ", requests=[
            Sen2Request("2024-02-05", "Y", "2024-03-11", "Y", "2024-05-20", week20="0", plan_start="2024-06-17",
                        active_plans=True, need="ASD", second_need="SLCN", urn="100001", resourced="1")]),
        Sen2Person("Quenbyridge", "Bartholomew", "2012-11-20", upn="B123456789012", postcode="ZZ2 2ZZ", requests=[
            Sen2Request("2024-03-04", "Y", "2024-04-12", "Y", "2024-07-01", week20="1", plan_start="2024-09-16",
                        active_plans=True, need="SEMH", urn=None, setting="OTH")]),
        Sen2Person("Quenbyridge", "Cressida", "2018-02-14", upn="C123456789012", postcode="ZZ3 3ZZ", requests=[
            Sen2Request("2024-09-09", "N", "2024-10-14")]),
    ]


def _import(session: Session, xml: str, name: str = "sen2.xml") -> None:
    import_cases(session, None, name, xml.encode(), KEY)


def _case(session: Session, upn: str) -> Case:
    case = session.scalar(select(Case).where(Case.case_ref == person_reference(KEY, upn=upn)))
    assert case is not None
    return case


def test_the_worked_example_gives_the_published_rates(session: Session) -> None:
    _import(session, sen2_return(2025, research_example()))
    table = timeliness_by_period(session, None, PeriodKind.YEAR, date(2024, 1, 1), date(2024, 12, 31))
    # 1 of 2 plans within 20 weeks; 1 of 1 without exceptions; 1 of 3 requests refused; none refused to issue.
    assert [r.csv_row() for r in table.rows] == [["2024", "3", "2", "50.0", "100.0", "33.3", "0.0"]]
    first = _case(session, "A123456789012")
    assert first.case_ref.startswith("S2-") and len(first.case_ref) == 27
    assert (first.primary_need, first.setting_type, first.birth_cohort) == ("ASD", "Resourced provision", 2015)
    request = first.requests[0]
    assert (request.request_date, request.decision_to_assess_date, request.assessment_outcome_date,
            request.final_issued_date, request.outcome, request.exception, request.request_source) == (
        date(2024, 2, 5), date(2024, 3, 11), date(2024, 5, 20), date(2024, 6, 17), "issued", None, 1)
    second = _case(session, "B123456789012")
    assert second.requests[0].exception == "unspecified"  # Week20: an exception applied, reason unrecorded
    assert (second.primary_need, second.setting_type) == ("SEMH", "Other setting")
    third = _case(session, "C123456789012")
    assert (third.requests[0].outcome, third.requests[0].decision_to_assess_date) == (
        "refused_to_assess", date(2024, 10, 14))


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_every_collection_year_is_read(session: Session, year: int) -> None:
    person = Sen2Person("Yarrowby", "Delphine", "2014-10-03", upn="D123456789012", requests=[
        Sen2Request("2022-03-01", "Y", "2022-04-01", "Y", "2022-06-01", week20="0", plan_start="2022-07-15",
                    active_plans=True, need="DS" if year >= 2025 else "MLD", review_meeting="2023-06-01",
                    review_outcome="M", last_review="2023-06-20", review_draft=None)])
    _import(session, sen2_return(year, [person]))
    case = _case(session, "D123456789012")
    assert case.requests[0].outcome == "issued" and case.requests[0].final_issued_date == date(2022, 7, 15)
    assert case.primary_need == ("DS" if year >= 2025 else "MLD")
    review = case.reviews[0]
    assert review.decision_date == date(2023, 6, 20)  # LastReview, in every year
    if year >= 2024:
        assert (review.meeting_date, review.outcome) == (date(2023, 6, 1), "M")


@pytest.mark.parametrize(("true", "false"), [("1", "0"), ("true", "false"), ("TRUE", "FALSE"), (" True ", "False"),
                                          ("Y", "N")])
def test_every_boolean_form(true: str, false: str) -> None:
    people = research_example()
    people[0].requests[0].week20 = false
    people[1].requests[0].week20 = true
    rows = check_case_file("r.xml", sen2_return(2025, people).encode(), KEY)
    exceptions = [row.values.get("exception") for row in rows]
    assert exceptions == [None, "unspecified", None]


def test_element_order_and_namespaces_do_not_matter() -> None:
    plain = sen2_return(2025, research_example())
    # Reverse every person's first two elements and the request's received/outcome order; add a namespace.
    shuffled = (plain.replace("<Surname>Quenbyridge</Surname><Forename>Alphonsine</Forename>",
                              "<Forename>Alphonsine</Forename><Surname>Quenbyridge</Surname>")
                .replace("<ReceivedDate>2024-02-05</ReceivedDate><RequestSource>1</RequestSource>",
                         "<RequestSource>1</RequestSource><Unknown>ignored</Unknown><ReceivedDate>2024-02-05</ReceivedDate>")
                .replace("<Message>", '<Message xmlns="urn:example:sen2">'))
    assert shuffled != plain
    rows = [(r.case_ref, r.values) for r in check_case_file("a.xml", plain.encode(), KEY)]
    assert [(r.case_ref, r.values) for r in check_case_file("b.xml", shuffled.encode(), KEY)] == rows


def test_next_years_return_updates_the_same_case_and_request(session: Session) -> None:
    open_request = Sen2Request("2024-11-04", "Y", "2024-12-09", "A")
    person = Sen2Person("Ostrava", "Evangeline", "2013-07-07", upn="E123456789012", requests=[open_request])
    _import(session, sen2_return(2025, [person]), "sen2-2025.xml")
    # In the 2026 return the same request has its plan, and a second request appears.
    later = Sen2Request("2024-11-04", "Y", "2024-12-09", "Y", "2025-02-10", week20="1", plan_start="2025-04-28",
                        active_plans=True, need="SLD", urn="100002")
    person.requests = [later, Sen2Request("2025-10-01", "A")]
    person.surname = "Ostrava-Smith"  # a changed name does not matter: the UPN is the key
    _import(session, sen2_return(2026, [person]), "sen2-2026.xml")
    assert session.scalar(select(func.count(Case.id))) == 1
    case = _case(session, "E123456789012")
    assert [(r.request_date, r.outcome, r.final_issued_date, r.exception) for r in case.requests] == [
        (date(2024, 11, 4), "issued", date(2025, 4, 28), "unspecified"),
        (date(2025, 10, 1), "in_progress", None, None),
    ]
    assert case.primary_need == "SLD"


def test_without_upn_the_uln_or_names_and_birth_date_make_the_reference() -> None:
    people = [
        Sen2Person("Ferncastle", "Gwendolyn", "2007-01-02", uln="1234567890",
                   requests=[Sen2Request("2024-05-01", "A")]),
        Sen2Person("Ferncastle", "Horatio", "2008-03-04", requests=[Sen2Request("2024-05-02", "A")]),
    ]
    refs = [r.case_ref for r in check_case_file("x.xml", sen2_return(2025, people).encode(), KEY)]
    assert refs == [person_reference(KEY, uln="1234567890"),
                    person_reference(KEY, surname=" ferncastle ", forename="HORATIO", birth_date=date(2008, 3, 4))]
    other_key = bytes(32)
    assert [r.case_ref for r in check_case_file("x.xml", sen2_return(2025, people).encode(), other_key)] != refs


def test_a_historic_request_without_a_received_date_adds_the_case_only(session: Session) -> None:
    person = Sen2Person("Hollowmere", "Ignatius", "2010-12-12", upn="F123456789012", requests=[
        Sen2Request(None, "H", None, "H", None, plan_start="2019-05-01", active_plans=True, need="HI",
                    last_review="2023-05-01")])
    _import(session, sen2_return(2024, [person]))
    case = _case(session, "F123456789012")
    assert (case.requests, case.primary_need, case.last_review_decision_date) == ([], "HI", date(2023, 5, 1))


def test_every_problem_is_listed_and_nothing_is_imported(session: Session) -> None:
    people = research_example()
    people[0].requests[0].received = "2024-02-31"  # not a real date
    people[1].upn = "B12345"  # not a UPN
    people[2].requests[0].outcome = "Q"
    people.append(Sen2Person("Jolliffe", "Kestrel", "2015-01-01", upn="G123456789012",
                             requests=[Sen2Request(None, "Y", "2024-01-01")]))  # no ReceivedDate, not historic
    people.append(Sen2Person("Jolliffe", "Leopold", "2015-01-01", upn="H123456789012",
                             requests=[Sen2Request("2024-03-01", "Y", "2024-02-01")]))  # decided before received
    people.append(Sen2Person("Quenbyridge", "Cressida", "2018-02-14", upn="C123456789012",
                             requests=[Sen2Request("2024-01-01", "A")]))  # person 3 again
    before = session.scalar(select(func.count(Case.id)))
    with pytest.raises(CaseFileError) as failure:
        _import(session, sen2_return(2025, people))
    assert [str(p) for p in failure.value.problems] == [
        "person 1, element Requests/ReceivedDate: “2024-02-31” is not a date; SEN2 dates are written yyyy-mm-dd",
        "person 2, element UPN: is not a UPN (a letter, 11 digits, then a digit or letter)",
        "person 3, element Requests/RequestOutcome: “Q” is not a request outcome; use one of Y, N, A, W, H",
        "person 4, element Requests/ReceivedDate: is missing; only a historic request (outcome H) may leave it out",
        "person 5, element Requests/RequestOutcomeDate: is before the ReceivedDate",
        "person 6, element Person: is the same child as person 3; a return holds each child once",
    ]
    assert session.scalar(select(func.count(Case.id))) == before


@pytest.mark.parametrize(("xml", "message"), [
    ("<Message><Header>", "not well-formed XML (line 1"),
    ("<Return><Persons/></Return>", "first element must be Message, not Return"),
    ("<Message><Header/><Persons/></Message>", "The return has no Person"),
    (('<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
      "<Message><Persons><Person><Surname>&b;</Surname></Person></Persons></Message>"), "declares a DTD or entities"),
    ('<?xml version="1.0"?><!DOCTYPE Message SYSTEM "http://example.invalid/sen2.dtd"><Message/>',
     "declares a DTD or entities"),
])
def test_unreadable_and_hostile_files_are_refused(xml: str, message: str) -> None:
    with pytest.raises(CaseFileError) as failure:
        check_case_file("bad.xml", xml.encode(), KEY)
    assert len(failure.value.problems) == 1 and message in str(failure.value.problems[0])


def test_the_key_is_created_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "instance")
    path = tmp_path / "instance" / KEY_FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path / "instance") == key and len(key) == 32
    path.write_text("not a key\n")
    with pytest.raises(RuntimeError, match="restore it from the backup"):
        load_or_create_key(tmp_path / "instance")


def identifiers(people: list[Sen2Person]) -> list[str]:
    """Everything in a return that identifies a child: names, birth dates, UPN, ULN, postcode."""
    found = []
    for p in people:
        found += [p.surname, p.forename, p.born, p.postcode, p.postcode.replace(" ", "")]
        found += [i for i in (p.upn, p.uln) if i]
    return found


def test_no_identifier_from_the_return_is_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    people = research_example()
    people.append(Sen2Person("Marchbanks", "Ottoline", "2006-06-06", uln="9876543210", postcode="ZZ7 7ZQ",
                             requests=[Sen2Request("2024-04-04", "A")]))
    people.append(Sen2Person("Nettleford", "Peregrine", "2009-09-19", postcode="ZZ8 8ZQ",
                             requests=[Sen2Request("2024-05-05", "A")]))
    return_file = tmp_path / "sen2-2025.xml"
    return_file.write_text(sen2_return(2025, people))
    instance = tmp_path / "instance"
    monkeypatch.setenv("QA_INSTANCE_PATH", str(instance))
    runner = CliRunner()
    with scratch_database(tmp_path, "qa_sen2_grep") as url:
        assert runner.invoke(main, ["--database-url", url, "init"]).exit_code == 0
        result = runner.invoke(main, ["--database-url", url, "cases", "import", str(return_file)])
        assert result.exit_code == 0, result.output
        assert "Imported 5 person(s): 5 new case(s)" in result.output
        assert stat.S_IMODE((instance / KEY_FILENAME).stat().st_mode) == 0o600
        wanted = identifiers(people)
        # Every value in every table, read back as text, on either database...
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                dump = [" ".join(str(v) for v in row)
                        for table in inspect(connection).get_table_names()
                        for row in connection.execute(text(f'SELECT * FROM "{table}"'))]
        finally:
            engine.dispose()
        stored = "\n".join(dump)
        assert "S2-" in stored and "2024-06-17" in stored  # the import did store the cases and their dates
        assert [i for i in wanted if i.casefold() in stored.casefold()] == []
        # ...and, on SQLite, the raw bytes of the database files (journal included).
        if url.startswith("sqlite"):
            database = Path(url.removeprefix("sqlite:///"))
            raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
            assert raw and [i for i in wanted if i.encode() in raw or i.upper().encode() in raw] == []
    assert os.environ["QA_INSTANCE_PATH"] == str(instance)


def test_the_command_lists_the_first_200_problems_then_how_many_more(tmp_path: Path) -> None:
    people = [Sen2Person("Rook", f"P{n}", "2015-01-01", upn="BAD", requests=[Sen2Request("2024-01-01", "A")])
              for n in range(230)]
    return_file = tmp_path / "bad.xml"
    return_file.write_text(sen2_return(2025, people))
    runner = CliRunner()
    with scratch_database(tmp_path, "qa_sen2_many") as url:
        assert runner.invoke(main, ["--database-url", url, "init"]).exit_code == 0
        result = runner.invoke(main, ["--database-url", url, "cases", "import", str(return_file)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "bad.xml: person 1, element UPN: is not a UPN (a letter, 11 digits, then a digit or letter)"
    assert lines[199].startswith("bad.xml: person 200,") and lines[200] == "... and 30 more problems."
    assert lines[201] == "Nothing was imported: 230 problem(s)."


def _snapshot(session: Session) -> dict[str, object]:
    """Every stored value of every case, its requests, needs and reviews (no ids or timestamps)."""
    skip = {"id", "case_id", "created_at", "updated_at"}

    def values(record: object) -> tuple[tuple[str, object], ...]:
        state = inspect(record)
        return tuple(sorted((a.key, getattr(record, a.key)) for a in state.mapper.column_attrs if a.key not in skip))

    session.expire_all()
    return {case.case_ref: (values(case), *(sorted(repr(values(item)) for item in items)
                                            for items in (case.requests, case.needs, case.reviews)))
            for case in session.scalars(select(Case))}


def test_returns_imported_in_either_order_give_the_same_database(session: Session) -> None:
    """A request in two yearly returns is one request, set by the later return whichever is imported first."""
    def returns() -> tuple[str, str]:
        early = Sen2Person("Quillfeather", "Rosalind", "2014-02-02", upn="Q123456789012", requests=[
            Sen2Request("2023-03-01", "Y", "2023-04-10", "A", active_plans=False),
            Sen2Request("2023-09-01", "N", "2023-10-02")])
        only_early = Sen2Person("Tamsworth", "Ulric", "2012-05-05", upn="T123456789012", requests=[
            Sen2Request("2023-06-01", "A", source=None)])
        old = sen2_return(2024, [early, only_early])
        early.requests = [
            Sen2Request("2023-03-01", "Y", "2023-04-10", "Y", "2023-07-01", week20="1", plan_start="2023-08-01",
                        source="2", active_plans=True, need="SEMH", review_meeting="2024-07-01",
                        review_outcome="M", last_review="2024-07-08")]
        return old, sen2_return(2025, [early])

    old, new = returns()
    _import(session, old, "sen2-2024.xml")
    _import(session, new, "sen2-2025.xml")
    in_order = _snapshot(session)
    for case in session.scalars(select(Case)):
        session.delete(case)
    session.flush()
    _import(session, new, "sen2-2025.xml")
    _import(session, old, "sen2-2024.xml")
    assert _snapshot(session) == in_order
    case = _case(session, "Q123456789012")
    assert [(r.request_date, r.outcome, r.final_issued_date, r.exception, r.request_source, r.sen2_year)
            for r in case.requests] == [
        (date(2023, 3, 1), "issued", date(2023, 8, 1), "unspecified", 2, 2025),  # the 2025 return's values
        (date(2023, 9, 1), "refused_to_assess", None, None, None, 2024),  # only in the 2024 return
    ]
    assert (case.primary_need, case.sen2_year, case.last_review_decision_date) == ("SEMH", 2025, date(2024, 7, 8))
