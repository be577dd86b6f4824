"""Time importing a large synthetic SEN2 return (about 20 MB by default) and its peak memory.

Writes a return of ``--persons`` invented people (``tests/sen2_files.py``), then on a throwaway
SQLite database times reading and checking it (no database) and the whole import (checks, pseudonyms,
one transaction), and prints the file size, the times (wall clock, and CPU time of this process,
which a shared machine's load hardly changes) and the process's peak resident memory.

    .venv/bin/python bench/sen2_import.py [--persons 20000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qaframework.operations.cases import check_case_file, import_cases  # noqa: E402
from qaframework.operations.users import ensure_default_agencies  # noqa: E402
from qaframework.store.db import make_engine, session_factory  # noqa: E402
from qaframework.store.migrate import upgrade  # noqa: E402
from tests.sen2_files import generated_persons, sen2_return  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=20_000)
    args = parser.parse_args()
    data = sen2_return(2025, generated_persons(args.persons)).encode()
    key = bytes(32)
    size = len(data) / 1_000_000
    print(f"SEN2 return: {args.persons:,} people, {size:.1f} MB; peak memory so far {peak_mb():.0f} MB")
    t0, c0 = time.perf_counter(), time.process_time()
    rows = check_case_file("bench.xml", data, key)
    print(f"read and checked: {len(rows):,} rows in {time.perf_counter() - t0:.1f} s "
          f"({time.process_time() - c0:.1f} s of CPU); peak memory {peak_mb():.0f} MB")
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.sqlite")
        upgrade(engine)
        with session_factory(engine)() as session:
            ensure_default_agencies(session)
            session.commit()
            t0, c0 = time.perf_counter(), time.process_time()
            report = import_cases(session, None, "bench.xml", data, key)
            took, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"imported: {report.persons or 0:,} people, {len(report.cases_created):,} new cases, "
              f"{report.requests_created:,} requests in {took:.1f} s ({cpu:.1f} s of CPU); "
              f"peak memory {peak_mb():.0f} MB")
        engine.dispose()


if __name__ == "__main__":
    main()
