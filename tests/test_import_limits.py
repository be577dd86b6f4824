"""Hostile case files (issue 10, finding 2): refused with a reason before they can fill the memory.

The files are the security review's, built here small on disk: a workbook whose one shared string
unpacks to 1 GB, a CSV header of very many columns, a workbook claiming Excel's 1,048,576 rows.
Each is refused with a clear message, and ``tracemalloc`` shows the check stayed small.
"""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from qaframework.case_import import CaseFileError, ImportProblem, read_table
from qaframework.cli import main
from qaframework.import_limits import MB, ImportLimits
from qaframework.operations.cases import check_case_file
from qaframework.sen2 import read_return
from tests.sen2_files import generated_persons, sen2_return
from tests.support import scratch_database

KEY = bytes(32)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    with scratch_database(tmp_path, "qa_limits") as url:
        yield url


def peak_bytes(work: Callable[[], Any]) -> tuple[BaseException | None, int]:
    """Run ``work``; the exception it raised (if any) and the peak of memory Python allocated meanwhile."""
    tracemalloc.start()
    try:
        work()
        failure: BaseException | None = None
    except Exception as exc:
        failure = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return failure, peak


def workbook_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten(data: bytes, replace: dict[str, bytes | Callable[[zipfile.ZipFile, str], None]]) -> bytes:
    """The workbook with some parts replaced: by bytes, or by a function that writes the part itself."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            new = replace.get(item.filename)
            if new is None:
                target.writestr(item, source.read(item.filename))
            elif isinstance(new, bytes):
                target.writestr(item.filename, new)
            else:
                new(target, item.filename)
    return out.getvalue()


def refusal(failure: BaseException | None) -> str:
    assert isinstance(failure, CaseFileError), failure
    return str(failure)


# -- workbooks ------------------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"


def hand_made_workbook(sheet_rows: str, shared_strings: Callable[[zipfile.ZipFile, str], None]) -> bytes:
    """A minimal workbook whose one sheet uses shared strings written by ``shared_strings``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", f'<Types xmlns="{PKG}/content-types">'
                      '<Default Extension="rels" '
                      'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                      '<Default Extension="xml" ContentType="application/xml"/>'
                      '<Override PartName="/xl/workbook.xml" '
                      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                      '<Override PartName="/xl/worksheets/sheet1.xml" '
                      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      '<Override PartName="/xl/sharedStrings.xml" '
                      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                      "</Types>")
        book.writestr("_rels/.rels", f'<Relationships xmlns="{PKG}/relationships"><Relationship Id="rId1" '
                      f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        book.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                      '<sheet name="Cases" sheetId="1" r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG}/relationships">'
                      f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                      f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
                      "</Relationships>")
        book.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_rows}'
                      "</sheetData></worksheet>")
        shared_strings(book, "xl/sharedStrings.xml")
    return out.getvalue()


def test_a_shared_string_that_unpacks_to_a_gigabyte_is_refused_unread() -> None:
    """The review's 1 MB workbook whose one shared string unpacks to 1 GB (8.5 GB in a worker before).

    Here the string is 256 MB (about 1 MB on disk), so the test is quick; anything over the 200 MB
    limit is refused the same way, before a byte is inflated.
    """
    chunk = b"a" * MB

    def huge_strings(target: zipfile.ZipFile, name: str) -> None:
        # Deflated as it is written: 1 GB of "a" is about 1 MB on disk, as in the review.
        with target.open(name, "w", force_zip64=True) as part:
            part.write(f'<sst xmlns="{MAIN}" count="2" uniqueCount="2"><si><t>case_ref</t></si><si><t>'.encode())
            for _ in range(256):
                part.write(chunk)
            part.write(b"</t></si></sst>")

    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    data = hand_made_workbook(rows, huge_strings)
    assert len(data) < 3 * MB
    failure, peak = peak_bytes(lambda: read_table("bomb.xlsx", data))
    message = refusal(failure)
    assert message.startswith("The workbook unpacks to 256 MB; a case file may unpack to at most 200 MB")
    assert peak < 20 * MB  # nothing was inflated


def test_the_hand_made_workbook_reads_when_its_strings_are_small() -> None:
    """The same workbook with a short string: the refusal above is the size's, not the file's shape."""
    def strings(target: zipfile.ZipFile, name: str) -> None:
        target.writestr(name, f'<sst xmlns="{MAIN}"><si><t>case_ref</t></si><si><t>A-1</t></si></sst>')

    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    assert read_table("small.xlsx", hand_made_workbook(rows, strings)) == [["case_ref"], ["A-1"]]


def test_a_zip_bomb_part_is_refused_by_its_compression_ratio_even_under_the_size_limit() -> None:
    """2 GB of spaces in the sheet in the review; here 20 MB, under the total, caught by the ratio."""
    def spaces(target: zipfile.ZipFile, name: str) -> None:
        with target.open(name, "w") as part:
            part.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for _ in range(20):
                part.write(b" " * MB)
            part.write(b"</sheetData></worksheet>")

    data = rewritten(workbook_bytes([["case_ref"]]), {"xl/worksheets/sheet1.xml": spaces})
    failure, peak = peak_bytes(lambda: read_table("spaces.xlsx", data))
    assert "times its packed size" in refusal(failure) and "xl/worksheets/sheet1.xml" in refusal(failure)
    assert peak < 20 * MB


def test_shared_strings_over_their_own_limit_are_refused_before_openpyxl_loads_them() -> None:
    def strings(target: zipfile.ZipFile, name: str) -> None:
        target.writestr(name, f'<sst xmlns="{MAIN}"><si><t>case_ref</t></si>'
                        + "".join(f"<si><t>REF-{n:06d}-{'x' * 30}</t></si>" for n in range(3000)) + "</sst>")

    data = hand_made_workbook('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', strings)
    message = refusal(peak_bytes(lambda: read_table("cases.xlsx", data,
                                                    ImportLimits(max_shared_strings_bytes=64 * 1024)))[0])
    assert "shared strings" in message and "at most 64 KB is read" in message


def _sheet_claiming_every_row(dimension: bool) -> bytes:
    base = workbook_bytes([["case_ref"], ["A1"]])
    with zipfile.ZipFile(io.BytesIO(base)) as source:
        sheet = source.read("xl/worksheets/sheet1.xml").decode()
    last = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>LAST</t></is></c></row>'
    sheet = sheet.replace("</sheetData>", last + "</sheetData>")
    sheet = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:A1048576"/>' if dimension else "", sheet)
    return rewritten(base, {"xl/worksheets/sheet1.xml": sheet.encode()})


def test_a_workbook_claiming_excels_1048576_rows_is_refused_before_reading_them() -> None:
    data = _sheet_claiming_every_row(dimension=True)
    failure, peak = peak_bytes(lambda: read_table("rows.xlsx", data))
    message = refusal(failure)
    assert "used range has 1,048,576 rows" in message and "at most 100,000" in message
    assert peak < 10 * MB


def test_a_workbook_hiding_its_size_is_stopped_once_past_the_row_limit() -> None:
    """No used range in the sheet: the rows are counted as they stream, and reading stops past the limit."""
    data = _sheet_claiming_every_row(dimension=False)
    failure, peak = peak_bytes(lambda: read_table("rows.xlsx", data, ImportLimits(max_rows=1000)))
    assert "more than 1,000 rows" in refusal(failure)
    assert peak < 10 * MB


def test_a_workbook_wider_than_the_limit_is_refused_by_its_used_range_or_by_its_row() -> None:
    data = workbook_bytes([["case_ref"], ["A1", *(["x"] * 120)]])
    failure = peak_bytes(lambda: read_table("wide.xlsx", data))[0]
    assert isinstance(failure, CaseFileError)
    assert failure.problems == [ImportProblem(None, None, "The first sheet's used range has 121 columns; a case file "
                                              "has at most 100. Delete the empty columns beside your data and save "
                                              "it again.")]
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        sheet = re.sub(r'<dimension ref="[^"]*"\s*/>', "", source.read("xl/worksheets/sheet1.xml").decode())
    narrow_claim = rewritten(data, {"xl/worksheets/sheet1.xml": sheet.encode()})
    failure = peak_bytes(lambda: read_table("wide.xlsx", narrow_claim))[0]
    assert isinstance(failure, CaseFileError)
    assert failure.problems == [ImportProblem(2, None, "the row has 121 columns; a case file has at most 100")]


def test_a_cell_longer_than_the_limit_names_its_row_and_column() -> None:
    data = workbook_bytes([["case_ref", "team"], ["A1", "x" * 10_001]])
    failure = peak_bytes(lambda: read_table("long.xlsx", data))[0]
    assert isinstance(failure, CaseFileError)
    assert failure.problems == [
        ImportProblem(2, "B", "the cell has 10,001 characters; a cell may have at most 10,000")]


def test_an_ordinary_workbook_still_reads() -> None:
    data = workbook_bytes([["case_ref", "team"], ["A1", "North"], [], ["A2", None]])
    assert read_table("cases.xlsx", data) == [["case_ref", "team"], ["A1", "North"], [], ["A2"]]


# -- CSV ------------------------------------------------------------------------------------------

def test_a_csv_header_of_half_a_million_columns_is_refused_unsplit() -> None:
    """The review's header of 8M unknown columns took 5.6 GB; here 1 MB of it, refused as one line."""
    data = ("case_ref" + ",a" * 500_000 + "\r\nA1\r\n").encode()
    failure, peak = peak_bytes(lambda: check_case_file("wide.csv", data, KEY))
    assert isinstance(failure, CaseFileError)
    assert failure.problems == [
        ImportProblem(1, None, "the line has 1,000,010 characters; a line of a case file may have at most 100,000")]
    assert peak < 12 * MB  # the file (1 MB) and its text, never half a million fields


def test_a_csv_header_under_the_line_limit_but_too_wide_is_refused_before_its_columns_are_checked() -> None:
    data = ("case_ref" + ",a" * 150 + "\r\nA1\r\n").encode()
    failure = peak_bytes(lambda: check_case_file("wide.csv", data, KEY))[0]
    assert isinstance(failure, CaseFileError)
    assert failure.problems == [ImportProblem(1, None, "the row has 151 columns; a case file has at most 100")]


def test_csv_rows_past_the_limit_are_refused_as_they_stream() -> None:
    data = ("case_ref\r\n" + "A1\r\n" * 50).encode()
    assert "more than 20 rows" in refusal(peak_bytes(lambda: read_table("x.csv", data, ImportLimits(max_rows=20)))[0])
    assert len(read_table("x.csv", data, ImportLimits(max_rows=50))) == 51


def test_a_csv_field_over_the_cell_limit_is_refused() -> None:
    data = ('case_ref,team\r\nA1,"' + "x" * 20_000 + '"\r\n').encode()
    failure = peak_bytes(lambda: read_table("x.csv", data))[0]
    assert isinstance(failure, CaseFileError)
    assert failure.problems == [
        ImportProblem(2, "B", "the cell has 20,000 characters; a cell may have at most 10,000")]


def test_a_file_over_the_size_limit_is_refused_before_parsing() -> None:
    data = b"case_ref\r\n" + b"A1\r\n" * 1000
    for name in ("x.csv", "x.xlsx"):
        message = refusal(peak_bytes(partial(read_table, name, data, ImportLimits(max_file_bytes=1024)))[0])
        assert message.startswith("The file is 3 KB; a case file must be smaller than 1 KB")


# -- problems listed ------------------------------------------------------------------------------

def test_problems_stop_being_listed_after_the_cap_and_the_rest_are_counted() -> None:
    data = ("case_ref,year_group\r\n" + "".join(f"A{n},year 42\r\n" for n in range(500))).encode()
    failure = peak_bytes(lambda: check_case_file("bad.csv", data, KEY))[0]
    assert isinstance(failure, CaseFileError)
    assert (len(failure.problems), failure.total, failure.more) == (200, 500, 300)
    assert failure.problems[0] == ImportProblem(2, "year_group",
                                                "“year 42” is not a year group; use N1, N2, R or 1 to 14")
    assert str(failure).endswith("\nand 300 more problems")


def test_the_cli_lists_200_problems_then_counts_the_rest(tmp_path: Path, db_url: str) -> None:
    file = tmp_path / "bad.csv"
    file.write_text("case_ref,year_group\n" + "".join(f"A{n},year 42\n" for n in range(450)))
    runner = CliRunner()
    assert runner.invoke(main, ["--database-url", db_url, "init"]).exit_code == 0
    result = runner.invoke(main, ["--database-url", db_url, "cases", "import", str(file)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert sum(line.startswith("bad.csv: row ") for line in lines) == 200
    assert lines[-2:] == ["... and 250 more problems.", "Nothing was imported: 450 problem(s)."]


def test_the_cli_refuses_a_file_over_the_size_limit_before_reading_it(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "big.csv"
    file.write_bytes(b"case_ref\n" + b"A1\n" * 2000)
    monkeypatch.setenv("QA_IMPORT_MAX_FILE_BYTES", "2048")
    runner = CliRunner()
    assert runner.invoke(main, ["--database-url", db_url, "init"]).exit_code == 0
    result = runner.invoke(main, ["--database-url", db_url, "cases", "import", str(file)])
    assert result.exit_code == 1
    assert "big.csv: the file is 5 KB; a case file must be smaller than 2 KB" in result.stderr


def test_limits_are_configured_by_environment_variables() -> None:
    limits = ImportLimits.from_environment({"QA_IMPORT_MAX_ROWS": "150_000", "QA_IMPORT_MAX_COLUMNS": "nonsense",
                                            "QA_IMPORT_MAX_CELL_CHARS": "0"})
    assert (limits.max_rows, limits.max_columns, limits.max_cell_chars) == (150_000, 100, 10_000)


# -- SEN2 XML -------------------------------------------------------------------------------------

def _message(persons: str) -> bytes:
    header = "<Header><CollectionDetails><Collection>SEN2</Collection></CollectionDetails></Header>"
    return f"<Message>{header}<Persons>{persons}</Persons></Message>".encode()


def test_a_return_nested_deeper_than_any_real_one_is_refused() -> None:
    data = _message("<Person>" + "<x>" * 5000 + "</x>" * 5000 + "</Person>")
    failure, peak = peak_bytes(lambda: read_return(data, KEY))
    assert isinstance(failure, CaseFileError)
    assert [str(p) for p in failure.problems] == [
        "The file nests elements more than 32 deep, which a SEN2 return never does; it was not read"]
    assert peak < 10 * MB


def test_a_person_of_too_many_elements_is_refused() -> None:
    data = _message("<Person>" + "<Requests/>" * 20_000 + "</Person>")
    failure = peak_bytes(lambda: read_return(data, KEY))[0]
    assert isinstance(failure, CaseFileError)
    assert "Person 1 has more than 10,000 elements" in str(failure)


def test_elements_outside_every_person_are_limited() -> None:
    """Elements outside a Person are never emptied, so their number is what bounds the memory."""
    data = _message("<Junk/>" * 50_000)
    failure, peak = peak_bytes(lambda: read_return(data, KEY))
    assert isinstance(failure, CaseFileError)
    assert "more than 10,000 elements outside its Persons" in str(failure)
    assert peak < 10 * MB


def test_entities_are_never_expanded() -> None:
    data = (b'<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b"<Message><Persons><Person><Surname>&b;</Surname></Person></Persons></Message>")
    failure = peak_bytes(lambda: read_return(data, KEY))[0]
    assert isinstance(failure, CaseFileError) and "declares a DTD or entities" in str(failure)


def test_a_return_over_the_size_limit_is_refused_unparsed() -> None:
    data = sen2_return(2025, generated_persons(50)).encode()
    failure = peak_bytes(lambda: read_return(data, KEY, ImportLimits(max_file_bytes=10 * 1024)))[0]
    assert isinstance(failure, CaseFileError) and "at most 10 KB is read" in str(failure)
    assert len(read_return(data, KEY)) >= 50  # within the default limits the same return reads
