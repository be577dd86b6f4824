"""A fingerprint of every table, to prove a refused request changed nothing.

Tables that change on every request by design are left out: the session table (last used) and
the wrong-password counters (a refused guess is counted on purpose).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, func, select

from qaframework.store import Base

#: Written by any request, refused or not, and expected to be.
BOOKKEEPING = frozenset({"user_sessions", "throttle_counters"})
#: Never changed by a request (published checklists are immutable): counted, not read whole.
COUNTED_ONLY = frozenset({"template_versions"})


def table_fingerprints(connection: Connection, *, skip: frozenset[str] = BOOKKEEPING) -> dict[str, tuple[int, str]]:
    """``{table: (rows, sha256 of every row in key order)}`` for every table of the model."""
    prints: dict[str, tuple[int, str]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in skip:
            continue
        if table.name in COUNTED_ONLY:
            prints[table.name] = (int(connection.scalar(select(func.count()).select_from(table)) or 0), "")
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        rows = 0
        for row in connection.execute(select(table).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
            rows += 1
        prints[table.name] = (rows, digest.hexdigest())
    return prints


def changed_tables(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    """Names of the tables whose rows differ, for an assertion message that says where."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def longest_text(connection: Connection, table_name: str, column_name: str) -> int:
    """The length of the longest value stored in one text column (0 when empty)."""
    table = Base.metadata.tables[table_name]
    return int(connection.scalar(select(func.max(func.length(table.c[column_name])))) or 0)
