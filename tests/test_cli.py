"""The `qa` command end to end on a database of its own."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_directory
from qaframework.cli import main
from tests.support import TEST_PASSWORD, scratch_database


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    with scratch_database(tmp_path, "qa_cli") as url:
        yield url


def qa(url: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--database-url", url, *args], input=input, catch_exceptions=False)


def test_commands_refuse_an_uninitialised_database(db_url: str) -> None:
    result = qa(db_url, "users", "list")
    assert result.exit_code == 1 and "run `qa init` first" in result.output


def test_init_is_idempotent_and_loads_templates(db_url: str) -> None:
    first = qa(db_url, "init")
    assert first.exit_code == 0, first.output
    shipped = load_directory(DEFAULT_TEMPLATE_DIR)
    versions, checklists = len(shipped), len({t.id for t in shipped})
    assert "upgraded empty" in first.output and f"{versions} added" in first.output
    second = qa(db_url, "init")
    assert "up to date" in second.output and f"0 added, {versions} already loaded" in second.output
    listing = qa(db_url, "templates", "list")
    assert listing.output.count("current") == checklists


def test_init_refuses_a_changed_published_template(db_url: str, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, templates, ignore=shutil.ignore_patterns("*.md"))
    assert qa(db_url, "init", "--templates", str(templates)).exit_code == 0
    target = templates / "t3-annual-review.v1.yaml"
    target.write_text(target.read_text().replace("title: ", "title: Changed ", 1))
    result = qa(db_url, "init", "--templates", str(templates))
    assert result.exit_code == 1
    assert "t3-annual-review@v1" in result.output and "save the change as version 2" in result.output


def test_users_add_with_password_from_stdin(db_url: str) -> None:
    qa(db_url, "init")
    added = qa(db_url, "users", "add", "Co.Ordinator@example.test", "--role", "auditor", "--agency", "send_service",
               "--team", "North", "--password-stdin", input=TEST_PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "Added co.ordinator@example.test as Auditor (send_service)" in added.output
    assert "co.ordinator@example.test" in qa(db_url, "users", "list").output
    refused = qa(db_url, "users", "add", "x@example.test", "--role", "auditor", "--password-stdin", input="short\n")
    assert refused.exit_code == 1 and "An auditor must belong to an agency" in refused.output


def test_users_add_prompts_for_the_password(db_url: str) -> None:
    qa(db_url, "init")
    result = qa(db_url, "users", "add", "board@example.test", "--role", "board_viewer",
                input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n")
    assert result.exit_code == 0 and "Board viewer" in result.output


def test_cases_import_reports_bad_rows_and_imports_good_files(db_url: str, tmp_path: Path) -> None:
    qa(db_url, "init")
    bad = tmp_path / "bad.csv"
    bad.write_text("case_ref,request_date,primary_need\nA1,2025-13-01,ASD\nA2,2025-01-01,NOPE\n")
    result = qa(db_url, "cases", "import", str(bad))
    assert result.exit_code == 1
    assert "bad.csv: row 2, column request_date" in result.output
    assert "bad.csv: row 3, column primary_need" in result.output
    assert "Nothing was imported: 2 problem(s)." in result.output
    good = tmp_path / "good.csv"
    good.write_text("case_ref,request_date,primary_need\nA1,2025-01-13,ASD\nA2,2025-01-01,SLCN\n")
    result = qa(db_url, "cases", "import", str(good))
    assert result.exit_code == 0 and "2 new case(s)" in result.output
    assert "2 cases, 2 requests" in qa(db_url, "summary").output


def test_templates_check_names_file_field_and_line(tmp_path: Path) -> None:
    good = tmp_path / "t3-annual-review.v1.yaml"
    shutil.copy(DEFAULT_TEMPLATE_DIR / good.name, good)
    bad = tmp_path / "t1-agency-advice-self-check.v1.yaml"
    text = (DEFAULT_TEMPLATE_DIR / bad.name).read_text()
    assert "basis: statutory" in text
    bad.write_text(text.replace("basis: statutory", "basis: compulsory", 1))
    line = text.splitlines().index(next(ln for ln in text.splitlines() if "basis: statutory" in ln)) + 1
    result = CliRunner().invoke(main, ["templates", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{bad.name}:{line}:" in result.output and ".basis:" in result.output
    assert "ok  t3-annual-review@v1" in result.output


def test_templates_check_passes_on_the_shipped_templates() -> None:
    result = CliRunner().invoke(main, ["templates", "check"])
    assert result.exit_code == 0, result.output
    assert f"{len(load_directory(DEFAULT_TEMPLATE_DIR))} template(s) and 2 grading rule(s) valid." in result.output


def test_demo_loads_once(db_url: str) -> None:
    qa(db_url, "init")
    result = qa(db_url, "demo", "--cases", "40")
    assert result.exit_code == 0, result.output
    assert "Demo local area loaded: 40 cases" in result.output and "demo-password-2026" in result.output
    again = qa(db_url, "demo", "--if-empty")
    assert again.exit_code == 0 and "already has cases" in again.output


def test_sample_draw_prints_records_and_shows_again(db_url: str) -> None:
    """On the demo area: one line per item, the same list for the same seed and options, `show`
    prints the recorded list, and bad options are each named with what is allowed."""
    from datetime import date

    from qaframework.framework import cycle_for  # the demo area keeps the default term dates

    assert qa(db_url, "init").exit_code == 0
    assert qa(db_url, "demo", "--cases", "80").exit_code == 0
    cycle = cycle_for(date.today()).label
    options = ["sample", "draw", "--cycle", cycle, "--of", "audits", "--size", "4", "--by", "agency",
               "--minimum-per-auditor", "1", "--seed", "99"]
    first = CliRunner().invoke(main, ["--database-url", db_url, *options])
    assert first.exit_code == 0, first.output
    lines = first.stdout.split()
    assert len(lines) >= 4 and all(line.isdigit() for line in lines) and lines == sorted(lines, key=int)
    assert "seed 99" in first.stderr
    again = CliRunner().invoke(main, ["--database-url", db_url, *options])
    assert again.stdout.split() == lines
    number = again.stderr.split()[1].rstrip(":")
    shown = CliRunner().invoke(main, ["--database-url", db_url, "sample", "show", number])
    assert shown.exit_code == 0 and shown.stdout.split() == lines

    cases = CliRunner().invoke(main, ["--database-url", db_url, "sample", "draw", "--cycle", cycle, "--of", "cases",
                                      "--proportion", "5%", "--by", "phase", "--seed", "1"])
    assert cases.exit_code == 0 and all(line.startswith("EHC") for line in cases.stdout.split())

    bad = CliRunner().invoke(main, ["--database-url", db_url, "sample", "draw", "--cycle", "2026-27 Autum 1",
                                    "--of", "cases", "--size", "3", "--by", "agency", "--by", "colour"])
    assert bad.exit_code == 1 and bad.stdout == ""
    assert "--cycle: '2026-27 Autum 1' is not a half term" in bad.stderr
    assert ("--by: agency applies to audit samples only; a case sample can be stratified by phase, primary_need, "
            "setting_type, team") in bad.stderr
    assert "--by: 'colour' is not a field to stratify by; choose from phase" in bad.stderr
    assert "No sample was drawn." in bad.stderr
    missing = CliRunner().invoke(main, ["--database-url", db_url, "sample", "show", "999"])
    assert missing.exit_code == 1 and "There is no sample 999." in missing.output


def test_moderation_agreement_csv_and_table(db_url: str) -> None:
    """The CSV has exactly the agreed columns, one row per half term, and its figures equal the library's
    pair-by-pair statistics computed from the moderated audits themselves (not the SQL counts)."""
    from sqlalchemy import select

    from qaframework.framework import OFSTED4
    from qaframework.moderation import agreement
    from qaframework.store import Audit
    from qaframework.store.db import make_engine, session_factory

    qa(db_url, "init")
    assert qa(db_url, "demo", "--cases", "40").exit_code == 0
    result = qa(db_url, "moderation", "agreement", "--by", "cycle", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "group,n,exact_pct,within_one_pct,kappa_linear,kappa_quadratic,mean_shift"
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            audits = session.scalars(select(Audit).where(Audit.moderated_grade.is_not(None), Audit.tier.in_([1, 2])))
            pairs: dict[str, list[tuple[str, str]]] = {}
            for audit in audits:
                original = audit.auditor_grade or audit.suggested_grade
                assert original is not None and audit.moderated_grade is not None
                pairs.setdefault(audit.cycle, []).append((original, audit.moderated_grade))
    finally:
        engine.dispose()
    assert {line.split(",")[0] for line in lines[1:]} == set(pairs) and len(pairs) >= 2
    for line in lines[1:]:
        group, n, exact, within, linear, _quadratic, shift = line.split(",")
        expected = agreement(pairs[group], OFSTED4)
        assert int(n) == expected.n
        assert exact == f"{(expected.exact or 0) * 100:.1f}" and within == f"{(expected.within_one or 0) * 100:.1f}"
        assert linear == ("" if expected.kappa_linear is None else f"{expected.kappa_linear:.3f}")
        assert shift == f"{expected.mean_shift:.3f}"
    table = qa(db_url, "moderation", "agreement", "--by", "agency", "--format", "table")
    assert table.exit_code == 0 and table.output.splitlines()[0].split()[:2] == ["Agency", "n"]
    unknown = qa(db_url, "moderation", "agreement", "--by", "cycle", "--cycle", "1999-00 Autumn 1")
    assert unknown.exit_code == 1 and "No moderated audits in the half term '1999-00 Autumn 1'" in unknown.output
