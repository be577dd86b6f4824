"""CPU time per request of the one-page checklist against the bare 60-question form, in one process.

Throughput under load on a shared 2-core machine swings with whatever else runs; CPU time spent
in this process per request hardly does. This drives the real app (demo data, SQLite, CSRF and
sessions on, a signed-in auditor) and the baseline app through Flask's test client, takes the
median ``time.process_time()`` per request over ``--requests`` requests, and can print a cProfile
of the checklist requests.

    .venv/bin/python bench/profile_page.py [--requests 300] [--profile 40] [--sort tottime] [--empty-drafts]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from werkzeug.datastructures import MultiDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.web import PASSWORD, TOKEN_RE, VERSION_RE, prepare, save_form, token  # noqa: E402


def cpu_ms_per_request(get: Any, path: str, requests: int) -> list[float]:
    """CPU time (this process, all threads) of each of ``requests`` GETs, in milliseconds."""
    samples = []
    for _ in range(requests):
        t0 = time.process_time()
        response = get(path)
        samples.append((time.process_time() - t0) * 1000)
        assert response.status_code == 200 and b"</html>" in response.data, response.status_code
    return samples


def signed_in_client(app: Any, email: str) -> Any:
    client = app.test_client()
    page = client.get("/sign-in").data
    response = client.post("/sign-in", data={"csrf_token": token(page, TOKEN_RE), "email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def answer_all(client: Any, page: str) -> None:
    """Every question answered with evidence, as an audit in progress (as bench/web.py does)."""
    html = client.get(page).data
    form = MultiDict(save_form(-1, token(html, TOKEN_RE), int(token(html, VERSION_RE))))
    response = client.post(page, data=form)
    assert response.status_code in (302, 303), response.status_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page (after 20 warm-up)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also print the N most expensive functions of the checklist page under cProfile",
    )
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--empty-drafts", action="store_true", help="leave the draft unanswered")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qa-profile-") as tmp:
        print("Preparing demo data (SQLite) in a temp instance ...", flush=True)
        accounts = prepare(Path(tmp), 1)
        import os

        os.environ["QA_DEVELOPMENT"] = "true"
        from bench.baseline_app import app as baseline
        from webapp import create_app

        app = create_app()
        email, audit_id = accounts[0]
        client = signed_in_client(app, email)
        page = f"/audits/{audit_id}/checklist"
        if not args.empty_drafts:
            answer_all(client, page)
        base = baseline.test_client()
        for _ in range(20):
            client.get(page)
            base.get("/form")
        size = len(client.get(page).data)
        # Interleaved rounds, so a burst of load elsewhere hits both pages alike.
        ours: list[float] = []
        theirs: list[float] = []
        rounds = 5
        for _ in range(rounds):
            ours += cpu_ms_per_request(client.get, page, args.requests // rounds)
            theirs += cpu_ms_per_request(base.get, "/form", args.requests // rounds)
        mine, bare = statistics.median(ours), statistics.median(theirs)
        print(
            f"checklist page ({size // 1024} KB): median {mine:.2f} ms CPU a request "
            f"(p10 {statistics.quantiles(ours, n=10)[0]:.2f}, p90 {statistics.quantiles(ours, n=10)[-1]:.2f})"
        )
        print(
            f"baseline form:         median {bare:.2f} ms CPU a request "
            f"(p10 {statistics.quantiles(theirs, n=10)[0]:.2f}, p90 {statistics.quantiles(theirs, n=10)[-1]:.2f})"
        )
        print(f"baseline / checklist CPU: {bare / mine:.0%} (the throughput ratio's ceiling with the CPU as the limit)")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(100):
                client.get(page)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(args.sort).print_stats(args.profile)
            print(f"\ncProfile of 100 checklist requests, by {args.sort}:")
            print(re.sub(r"\n{3,}", "\n\n", out.getvalue()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
