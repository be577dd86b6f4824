"""Moderation benchmark: the agreement page of a half term with 5,000 moderated audits in the database.

Builds a database (SQLite in WAL mode, in a temporary instance) holding 5,000 moderated Tier 1 checks
over six half terms, ten auditors in four agencies, each audit with its 60 responses, section grades,
one or two blind re-grades with question-level ratings and agreed grades (about 600,000 rows), then
serves the real app behind gunicorn and measures, signed in as a panel lead (who sees every
breakdown, the most work): the agreement page for the latest half term and the question-by-question
page; and, in the same run, the bare 60-question form of ``bench/baseline_app.py`` as the baseline,
as ``bench/web.py`` does. Target (issue 8): agreement page p50 < 150 ms on SQLite.

    .venv/bin/python bench/moderation.py [--audits 5000] [--seconds 10] [--workers 2] [--clients 1,4]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import Client, Result, run  # noqa: E402
from bench.web import BIN, PASSWORD, TEMPLATE, TEMPLATE_VERSION, free_port, load, serve, sign_in  # noqa: E402

TARGET_P50_MS = 150.0
GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
RATINGS = ("met", "partially_met", "not_met")


def prepare(instance: Path, audits: int) -> tuple[str, str]:
    """The database; returns the panel lead's email and the latest half term."""
    env = {**os.environ, "QA_INSTANCE_PATH": str(instance), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    subprocess.run([BIN / "qa", "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ["QA_INSTANCE_PATH"] = str(instance)
    from sqlalchemy import insert, select

    from qaframework.framework import default_cycles
    from qaframework.operations.users import add_user
    from qaframework.store import (
        Audit,
        Case,
        ModerationRating,
        ModerationRecord,
        ModerationSectionGrade,
        Response,
        SectionGrade,
        TemplateVersion,
    )
    from qaframework.store.db import make_engine, session_factory

    rng = random.Random(8)
    engine = make_engine()
    with session_factory(engine)() as session:
        tv = session.scalars(select(TemplateVersion).where(
            TemplateVersion.template_id == TEMPLATE, TemplateVersion.version == TEMPLATE_VERSION)).one()
        template = tv.template
        lead = add_user(session, None, email="bench.lead@qa-demo.example", password=PASSWORD, role="panel_member",
                        leads_panel=True)
        member = add_user(session, None, email="bench.member@qa-demo.example", password=PASSWORD,
                          role="panel_member")
        agencies = ["send_service", "education", "health", "childrens_social_care"]
        auditors = [
            add_user(session, None, email=f"bench.auditor{n}@qa-demo.example", password=PASSWORD, role="auditor",
                     agency_code=agencies[n % 4], team="North").id
            for n in range(10)
        ]
        now = datetime.now(UTC)
        session.execute(insert(Case), [{"case_ref": f"B{n:06d}", "created_at": now, "updated_at": now}
                                       for n in range(audits)])
        case_ids = list(session.scalars(select(Case.id).order_by(Case.id)))
        cycles = [c.label for c in default_cycles(2024)]
        audit_rows = []
        for n in range(audits):
            suggested = rng.choice(GRADES[:3])
            moderated = suggested if rng.random() < 0.7 else GRADES[min(3, GRADES.index(suggested) + 1)]
            auditor = auditors[n % 10]
            audit_rows.append({
                "case_id": case_ids[n], "template_version_id": tv.id, "subject": "final_plan", "tier": 1,
                "agency_code": agencies[(n % 10) % 4], "auditor_id": auditor, "status": "moderated",
                "cycle": cycles[n % 6], "suggested_grade": suggested, "moderated_grade": moderated,
                "exemplary_sections": [], "created_at": now - timedelta(days=30), "updated_at": now,
                "submitted_at": now - timedelta(days=29), "version_id": 3,
            })
        session.execute(insert(Audit), audit_rows)
        audit_ids = list(session.scalars(select(Audit.id).order_by(Audit.id)))
        questions = [(q.id, template.section_of(q.id).id) for q in template.questions()]
        responses: list[dict[str, Any]] = []
        sections: list[dict[str, Any]] = []
        records: list[dict[str, Any]] = []
        for audit_id, row in zip(audit_ids, audit_rows, strict=True):
            responses += [{"audit_id": audit_id, "question_id": qid, "section_id": sid,
                           "rating": RATINGS[(audit_id + i) % 3], "evidence": "Evidence.", "na_reason": "",
                           "updated_at": now} for i, (qid, sid) in enumerate(questions)]
            sections += [{"audit_id": audit_id, "section_id": s.id, "plan_sections": list(s.plan_sections),
                          "suggested_grade": row["suggested_grade"], "moderated_grade": row["moderated_grade"]}
                         for s in template.sections]
            records.extend(
                {"audit_id": audit_id, "moderator_id": moderator, "section_grades": {},
                 "blind_grade": rng.choice([row["moderated_grade"], row["suggested_grade"]]),
                 "original_grade": row["suggested_grade"], "agreed_grade": row["moderated_grade"],
                 "created_at": now, "agreed_at": now}
                for moderator in ([lead.id, member.id] if audit_id % 3 == 0 else [lead.id])
            )
        session.execute(insert(Response), responses)
        session.execute(insert(SectionGrade), sections)
        session.execute(insert(ModerationRecord), records)
        record_ids = session.execute(select(ModerationRecord.id, ModerationRecord.audit_id)).all()
        ratings: list[dict[str, Any]] = []
        blind_sections: list[dict[str, Any]] = []
        for record_id, audit_id in record_ids:
            ratings += [{"record_id": record_id, "question_id": qid, "section_id": sid,
                         "rating": RATINGS[(audit_id + i + (1 if i % 7 == 0 else 0)) % 3]}
                        for i, (qid, sid) in enumerate(questions)]
            blind_sections += [{"record_id": record_id, "section_id": s.id, "blind_grade": "good"}
                               for s in template.sections]
        session.execute(insert(ModerationRating), ratings)
        session.execute(insert(ModerationSectionGrade), blind_sections)
        session.commit()
        total = len(audit_rows) + len(responses) + len(sections) + len(records) + len(ratings) + len(blind_sections)
        print(f"  {len(audit_rows):,} moderated audits, {len(records):,} blind re-grades, {total:,} rows in all")
    engine.dispose()
    return "bench.lead@qa-demo.example", cycles[-1]


def get(path: str) -> Callable[[Client, int], bool]:
    """A load step fetching one page (True when it came back whole)."""

    def step(client: Client, _i: int) -> bool:
        status, body, _ = client.request("GET", path)
        return status == 200 and b"</html>" in body

    return step


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", default="1,4", help="comma-separated numbers of concurrent clients")
    args = parser.parse_args()
    concurrency = tuple(int(n) for n in args.clients.split(","))
    with tempfile.TemporaryDirectory(prefix="qa-bench-moderation-") as tmp:
        instance = Path(tmp)
        print(f"Preparing {args.audits:,} moderated audits (SQLite, WAL) in a temp instance ...", flush=True)
        email, cycle = prepare(instance, args.audits)
        app_port, base_port = free_port(), free_port()
        app_server = serve("webapp:create_app()", app_port, args.workers, instance)
        base_server = serve("bench.baseline_app:app", base_port, args.workers, None)
        results: list[Result] = []
        try:
            print(f"gunicorn, {args.workers} sync workers; {load()}", flush=True)
            page = f"/moderation/agreement?cycle={quote(cycle)}"
            questions = f"/moderation/agreement/questions?cycle={quote(cycle)}"
            for clients in concurrency:
                signed = []
                for _ in range(clients):
                    client = sign_in(app_port, email)
                    status, body, _ = client.request("GET", page)
                    assert status == 200 and b"by-auditor" in body, status
                    signed.append(client)


                pool = [Client("127.0.0.1", base_port) for _ in range(clients)]

                def get_form(client: Client, _i: int) -> bool:
                    status, body, _ = client.request("GET", "/form")
                    return status == 200 and b"</html>" in body

                for result in (
                    run("agreement page (5,000 moderated)", signed, get(page), args.seconds),
                    run("questions page", signed, get(questions), args.seconds),
                    run("baseline: plain 60-question form", pool, get_form, args.seconds),
                ):
                    results.append(result)
                    print(result.row(), flush=True)
        finally:
            for server in (app_server, base_server):
                server.terminate()
                server.wait(10)
    single = next((r for r in results if r.label.startswith("agreement") and r.clients == 1), None)
    if single is not None:
        p50 = single.percentile(50)
        print(f"\n{'PASS' if p50 < TARGET_P50_MS else 'MISS'}  agreement page p50 {p50:.1f} ms at 1 client "
              f"(target < {TARGET_P50_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
