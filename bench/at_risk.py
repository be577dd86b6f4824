"""Time the at-risk lists (``qaframework.operations.clocks.at_risk``) on the demo area, in one process.

Loads the demo (``--cases`` cases, seed 2026) into a throwaway SQLite file, then calls ``at_risk``
for all teams and for one team ``--repeat`` times each, and prints the median and worst wall time,
the SQL statements each call ran and the cases it loaded.

    .venv/bin/python bench/at_risk.py [--cases 300] [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_directory  # noqa: E402
from qaframework.demo import load_demo  # noqa: E402
from qaframework.operations.clocks import at_risk  # noqa: E402
from qaframework.operations.templates import sync_templates  # noqa: E402
from qaframework.operations.users import ensure_default_agencies  # noqa: E402
from qaframework.store import Case, User  # noqa: E402
from qaframework.store.db import make_engine, session_factory  # noqa: E402
from qaframework.store.migrate import upgrade  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.sqlite")
        upgrade(engine)
        with session_factory(engine)() as session:
            ensure_default_agencies(session)
            sync_templates(session, None, load_directory(DEFAULT_TEMPLATE_DIR))
            session.commit()
            load_demo(session, case_total=args.cases)
        statements = loaded = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        def count_case(*_: object) -> None:
            nonlocal loaded
            loaded += 1

        event.listen(engine, "before_cursor_execute", count)
        event.listen(Case, "load", count_case)
        today = date.today()
        with session_factory(engine)() as session:
            actor = session.scalars(select(User).where(User.role == "admin")).first()
            assert actor is not None
            team = session.scalars(select(Case.team).where(Case.team.is_not(None)).limit(1)).first() or ""
            for label, team_name in (("all teams", ""), (f"team {team}", team)):
                times: list[float] = []
                lists = at_risk(session, actor, today, team_name)  # warm-up: caches, statement compilation
                for _ in range(args.repeat):
                    session.expunge_all()
                    statements = loaded = 0
                    t0 = time.perf_counter()
                    lists = at_risk(session, actor, today, team_name)
                    times.append((time.perf_counter() - t0) * 1000)
                print(f"at_risk ({label}, {args.cases} demo cases): median {statistics.median(times):.1f} ms, "
                      f"worst {max(times):.1f} ms; {statements} SQL statements, {loaded} cases loaded; "
                      f"{len(lists.requests)} open requests ({lists.requests_at_risk} at risk), "
                      f"{len(lists.advice)} advice, {len(lists.reviews)} reviews, "
                      f"{len(lists.phase_transfers)} phase transfers")
        engine.dispose()


if __name__ == "__main__":
    main()
