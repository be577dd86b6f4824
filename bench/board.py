"""Time the board's reports at the size of a large area, each in a process of its own.

Builds a throwaway SQLite database (``--audits`` audits x 60 responses in the 2025-26 year, and
``--requests`` requests for assessment over five years) with bulk inserts, then runs, each in a
fresh process whose wall time, CPU time and peak memory (max RSS, from GNU time) are measured:

- ``qa report extract`` to .xlsx and to .csv (the analysts' extract);
- ``qa report board`` (the board pack), when this checkout has it;
- ``qa timeliness --by month`` over the requests;
- the frontier, on the same rows (fetched first, then timed writing only): openpyxl write-only
  with lxml, and XlsxWriter (``pip install -e '.[bench]'``) in its default and constant_memory modes.

It prints the ratios measured in this run, the load average before and after (the machine is
shared), and whether each target of issue 9 is met: extract <= 1.3x raw openpyxl and < 300 MB,
board pack < 10 s, timeliness by month < 2 s.

    .venv/bin/python bench/board.py [--audits 10000] [--requests 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qaframework.store import Audit, Case, Request, Response, TemplateVersion, User  # noqa: E402
from qaframework.store.db import make_engine, session_factory  # noqa: E402

BIN = Path(sys.executable).parent
YEAR = "2025-26"
HALF_TERMS = ("Autumn 1", "Autumn 2", "Spring 1", "Spring 2", "Summer 1", "Summer 2")
QUESTIONS = 60
GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
RATINGS = ("met", "met", "partially_met", "not_met", "not_applicable")
NEEDS = ("ASD", "SLCN", "SEMH", "MLD", "SPLD", "PD", "HI", "VI")
SETTINGS = ("Mainstream school", "Special school", "Resourced provision", "Post-16 college", "Early years setting")
#: The ``qa`` commands timed, each run by the click command inside a fresh process.
COMMANDS = {
    "extract": ["report", "extract", "--year", YEAR],
    "board": ["report", "board", "--year", YEAR],
    "timeliness": ["timeliness", "--by", "month", "--format", "csv"],
}
#: Targets from issue 9.
EXTRACT_RATIO, EXTRACT_MB, BOARD_S, TIMELINESS_S = 1.3, 300, 10.0, 2.0


@dataclass
class Run:
    label: str
    seconds: float
    #: CPU seconds (user + system) of the process: on a shared machine this moves far less than wall time.
    cpu: float
    peak_mb: float
    inner: dict[str, Any]


def build(url: str, audits: int, requests: int, seed: int = 2026) -> None:
    """The schema and templates as ``qa init`` makes them, then cases, requests, audits and responses in bulk."""
    from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_directory
    from qaframework.operations.templates import sync_templates
    from qaframework.operations.users import ensure_default_agencies
    from qaframework.store.migrate import upgrade

    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)  # what `qa init` does, with this checkout's code
    with session_factory(engine)() as session:
        ensure_default_agencies(session)
        sync_templates(session, None, load_directory(DEFAULT_TEMPLATE_DIR))
        session.commit()
        versions = session.scalars(select(TemplateVersion).where(TemplateVersion.tier <= 3)).all()
        auditor = User(email="bench@example.test", display_name="Bench", password_hash="x", role="auditor",
                       agency_code="send_service", team="North")
        session.add(auditor)
        session.flush()
        cases = max(requests // 2, audits // 2, 1)
        session.execute(insert(Case), [
            {"id": i, "case_ref": f"B{i:07d}", "year_group": str(rng.randint(1, 13)), "primary_need": rng.choice(NEEDS),
             "setting_type": rng.choice(SETTINGS), "team": rng.choice(("North", "South", "East", "West"))}
            for i in range(1, cases + 1)
        ])
        session.execute(insert(Request), [_request(rng, i) for i in range(requests)])
        submitted = datetime(2025, 9, 8, 10, 0, tzinfo=UTC)
        for start in range(0, audits, 2_000):
            rows = []
            for audit_id in range(start + 1, min(start + 2_000, audits) + 1):
                tv = versions[audit_id % len(versions)]
                moderated = rng.choice(GRADES) if audit_id % 10 == 0 else None
                rows.append({
                    "id": audit_id, "case_id": rng.randint(1, cases), "template_version_id": tv.id,
                    "subject": "final_plan", "tier": tv.tier, "agency_code": "send_service" if tv.tier < 3 else None,
                    "auditor_id": auditor.id, "status": "moderated" if moderated else "closed",
                    "cycle": f"{YEAR} {HALF_TERMS[audit_id % 6]}", "suggested_grade": rng.choice(GRADES),
                    "auditor_grade": rng.choice(GRADES), "moderated_grade": moderated,
                    "submitted_at": submitted + timedelta(minutes=audit_id * 45), "exemplary_sections": [],
                    "version_id": 1, "summary": "Free text that the extract must leave out.",
                })
            session.execute(insert(Audit), rows)
            session.execute(insert(Response), [
                {"audit_id": row["id"], "question_id": f"q{q:02d}", "section_id": f"s{q // 6 + 1}",
                 "rating": rng.choice(RATINGS), "evidence": "Evidence the extract must leave out."}
                for row in rows for q in range(1, QUESTIONS + 1)
            ])
        session.commit()
    engine.dispose()


def _request(rng: random.Random, i: int) -> dict[str, Any]:
    """A first request over 2021-2025: most issued (some late, some with an exception), some refused."""
    # A case's first request in 2021-22, its second in 2023-25: never the same day twice for one case.
    received = date(2021, 1, 4) + timedelta(days=i % 2 * 760 + rng.randint(0, 700 + i % 2 * 300))
    row: dict[str, Any] = {"case_id": i // 2 + 1, "request_date": received, "kind": "assessment",
                           "outcome": "in_progress"}
    roll = rng.random()
    if roll < 0.15:
        row |= {"outcome": "refused_to_assess", "decision_to_assess_date": received + timedelta(days=40)}
    elif roll < 0.2:
        row |= {"outcome": "refused_to_issue", "decision_to_assess_date": received + timedelta(days=35),
                "assessment_outcome_date": received + timedelta(days=110)}
    elif roll < 0.9:
        days = rng.randint(90, 220)
        row |= {"outcome": "issued", "decision_to_assess_date": received + timedelta(days=35),
                "assessment_outcome_date": received + timedelta(days=days - 30),
                "draft_issued_date": received + timedelta(days=days - 20),
                "final_issued_date": received + timedelta(days=days),
                "exception": "unspecified" if rng.random() < 0.1 else None}
    return row


def measure(label: str, args: list[str], env: dict[str, str], scratch: Path) -> Run:
    """Run one process: wall time, CPU time, its peak RSS, and the JSON it printed last.

    The peak comes from GNU time (``/usr/bin/time -f %M``) where installed: a child spawned straight
    from this process inherits this process's own high-water mark through vfork and exec, so
    ``wait4``'s figure (the fallback) is only an upper bound.
    """
    gnu_time = Path("/usr/bin/time")
    peak_file = scratch / "peak.txt"
    command = [str(gnu_time), "-f", "%M", "-o", str(peak_file), *args] if gnu_time.exists() else args
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{label} failed ({process.returncode}):\n{out.decode()}\n{err.decode()}")
    peak_kb = int(peak_file.read_text().split()[-1]) if gnu_time.exists() else usage.ru_maxrss
    lines = out.decode().strip().splitlines()
    inner = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return Run(label, seconds, usage.ru_utime + usage.ru_stime, peak_kb / 1024, inner)


def child(mode: str, url: str, out: str) -> None:
    """In a fresh process: fetch the extract's rows into memory (not timed), then time one writer."""
    from qaframework.pseudonyms import load_or_create_key
    from qaframework.reports.extract import HEADER, extract_rows
    from qaframework.store.db import instance_path

    engine = make_engine(url)
    with session_factory(engine)() as session:
        rows = [] if mode in COMMANDS else list(extract_rows(session, YEAR, load_or_create_key(instance_path())))
    engine.dispose()
    started, cpu = time.perf_counter(), time.process_time()
    if mode in COMMANDS:  # the command itself, timed from inside its process (imports and startup excluded)
        from qaframework.cli import main as qa

        qa(["--database-url", url, *COMMANDS[mode], *(["-o", out] if out != "-" else [])], standalone_mode=False)
        elapsed, used = time.perf_counter() - started, time.process_time() - cpu
        print(json.dumps({"write_s": elapsed, "write_cpu": used, "rows": count_rows_of(url)}))
        return
    if mode == "openpyxl":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Data")
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
        workbook.save(out)
    else:
        import xlsxwriter

        book = xlsxwriter.Workbook(out, {"constant_memory": mode == "xlsxwriter-constant",
                                         "strings_to_formulas": False, "default_date_format": "yyyy-mm-dd"})
        sheet = book.add_worksheet("Data")
        sheet.write_row(0, 0, HEADER)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, row)
        book.close()
    print(json.dumps({"write_s": time.perf_counter() - started, "write_cpu": time.process_time() - cpu,
                      "rows": len(rows)}))


def count_rows_of(url: str) -> int:
    from qaframework.reports.extract import count_rows

    engine = make_engine(url)
    with session_factory(engine)() as session:
        rows = count_rows(session, YEAR)
    engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audits", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--constant-memory", action="store_true", help="also time XlsxWriter's constant_memory mode")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="qa-bench-board-") as folder:
        tmp = Path(folder)
        url = f"sqlite:///{tmp / 'bench.sqlite'}"
        env = os.environ | {"QA_INSTANCE_PATH": str(tmp / "instance"), "DATABASE_URL": url}
        os.environ["QA_INSTANCE_PATH"] = env["QA_INSTANCE_PATH"]
        started = time.perf_counter()
        build(url, args.audits, args.requests)
        print(f"Built {args.audits:,} audits x {QUESTIONS} responses and {args.requests:,} requests on SQLite "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
        qa = [str(BIN / "qa"), "--database-url", url]
        me = [sys.executable, __file__, "--child"]
        runs: dict[str, Run] = {}
        plan: list[tuple[str, list[str]]] = [
            ("timeliness", [*me, "timeliness", url, "-"]),
            ("extract csv", [*qa, "report", "extract", "--year", YEAR, "-o", str(tmp / "extract.csv")]),
            ("extract xlsx", [*me, "extract", url, str(tmp / "extract.xlsx")]),
            ("openpyxl write-only", [*me, "openpyxl", url, str(tmp / "openpyxl.xlsx")]),
        ]
        if _has_board(qa, env):
            plan.insert(1, ("board pack", [*me, "board", url, str(tmp / "board.xlsx")]))
        else:
            print("qa report board is not in this checkout: the board pack is not timed.")
        if _has_xlsxwriter():
            plan.append(("XlsxWriter", [*me, "xlsxwriter", url, str(tmp / "xlsxwriter.xlsx")]))
            if args.constant_memory:
                plan.append(("XlsxWriter constant_memory",
                             [*me, "xlsxwriter-constant", url, str(tmp / "xw-const.xlsx")]))
        else:
            print("XlsxWriter is not installed (pip install -e '.[bench]'): the frontier is not timed.")
        for label, command in plan:
            runs[label] = run = measure(label, command, env, tmp)
            inner = ""
            if "write_s" in run.inner:
                inner = f" (inside: {run.inner['write_s']:.1f} s, {run.inner['write_cpu']:.1f} s CPU)"
            size = ""
            if command[-1].endswith((".xlsx", ".csv")):
                size = f", {Path(command[-1]).stat().st_size / 1e6:.1f} MB file"
            print(f"{label:26} {run.seconds:6.1f} s, {run.cpu:6.1f} s CPU{inner}, peak {run.peak_mb:4.0f} MB{size}",
                  flush=True)
    load_after = os.getloadavg()
    return report(runs, load_before, load_after)


def _has_board(qa: list[str], env: dict[str, str]) -> bool:
    listing = subprocess.run([*qa, "report", "--help"], env=env, capture_output=True, text=True, check=False)
    return re.search(r"^\s+board\b", listing.stdout, re.MULTILINE) is not None


def _has_xlsxwriter() -> bool:
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        return False
    return True


def report(runs: dict[str, Run], before: tuple[float, ...], after: tuple[float, ...]) -> int:
    print(f"\nLoad average (1, 5, 15 min): before {_load(before)}, after {_load(after)}; {os.cpu_count()} CPUs")
    extract, raw = runs["extract xlsx"].inner, runs["openpyxl write-only"].inner
    print(f"{extract['rows']:,} rows. Writing them (the extract from SQL; the others from rows already in memory), "
          "CPU seconds (wall seconds):")
    ratio = extract["write_cpu"] / raw["write_cpu"]
    print(f"  qa report extract / raw openpyxl write-only: {ratio:.2f}x CPU, "
          f"{extract['write_s'] / raw['write_s']:.2f}x wall ({_times(extract)} / {_times(raw)})")
    for label in ("timeliness", "board pack"):
        if label in runs:
            print(f"  {label}: {_times(runs[label].inner)} in its process, {runs[label].seconds:.1f} s with start-up")
    for label in ("XlsxWriter", "XlsxWriter constant_memory"):
        if label in runs:
            other = runs[label].inner
            print(f"  {label} / raw openpyxl: {other['write_cpu'] / raw['write_cpu']:.2f}x CPU ({_times(other)}); "
                  f"the extract / {label}: {extract['write_cpu'] / other['write_cpu']:.2f}x CPU")
    checks = [
        (f"extract <= {EXTRACT_RATIO}x raw openpyxl write time (CPU)", ratio <= EXTRACT_RATIO),
        (f"extract peak < {EXTRACT_MB} MB", runs["extract xlsx"].peak_mb < EXTRACT_MB),
        (f"qa timeliness --by month < {TIMELINESS_S:.0f} s", runs["timeliness"].inner["write_s"] < TIMELINESS_S),
    ]
    if "board pack" in runs:
        checks.append((f"qa report board < {BOARD_S:.0f} s", runs["board pack"].inner["write_s"] < BOARD_S))
    for name, ok in checks:
        print(f"  {'met   ' if ok else 'MISSED'} {name}")
    return 0


def _times(inner: dict[str, Any]) -> str:
    return f"{inner['write_cpu']:.1f} s ({inner['write_s']:.1f} s)"


def _load(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    raise SystemExit(main())
