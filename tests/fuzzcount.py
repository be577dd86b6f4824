"""How many hostile inputs the property-based tests sent, for the summary at the end of the run."""

from __future__ import annotations

from collections import Counter

from tests.support import on_postgres

#: (database, who) -> requests sent by tests/webapp/test_fuzz.py in this run.
SENT: Counter[tuple[str, str]] = Counter()


def count(who: str, requests: int = 1) -> None:
    SENT["postgresql" if on_postgres() else "sqlite", who] += requests


def summary() -> list[str]:
    """Lines for the terminal summary: the total per database, then per role."""
    lines = []
    for database in sorted({db for db, _ in SENT}):
        roles = {who: n for (db, who), n in SENT.items() if db == database}
        detail = ", ".join(f"{who} {n:,}" for who, n in sorted(roles.items()))
        lines.append(f"fuzz: {sum(roles.values()):,} hostile requests on {database} ({detail})")
    return lines
