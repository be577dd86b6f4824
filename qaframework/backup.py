"""``qa backup FILE`` and ``qa restore FILE``: a consistent copy of the whole database, and back.

SQLite uses its online backup API, so a copy taken while the service runs is consistent (a plain
file copy of a WAL database is not). PostgreSQL uses ``pg_dump``/``pg_restore`` in the custom
format, restored in a single transaction. A restore refuses a database that holds anything
unless forced, so a typo in ``DATABASE_URL`` cannot overwrite the live service. Backup files hold
children's data: written readable by their owner only (0600).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, MetaData, func, inspect, select
from sqlalchemy.engine import URL

from qaframework.trail_text import forget_cached_key

#: The first bytes of a pg_dump custom-format archive and of a SQLite database file.
PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class TableCount:
    table: str
    rows: int


def row_counts(engine: Engine) -> list[TableCount]:
    """Rows per table, every table the database holds (alembic's version table included)."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return [TableCount(t.name, conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in sorted(meta.tables.values(), key=lambda t: t.name)]


def is_empty(engine: Engine) -> bool:
    """True when no table holds a row (a brand-new database, or one with only empty tables)."""
    return all(count.rows == 0 for count in row_counts(engine))


def _private_temp(target: Path) -> Path:
    """A new file next to ``target``, mode 0600, so a finished backup replaces it in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return tmp


def backup(engine: Engine, target: Path) -> list[TableCount]:
    """Write a backup of the database behind ``engine`` to ``target``; returns what it holds."""
    tmp = _private_temp(target)
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(engine, tmp)
        elif engine.dialect.name == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={tmp}"], engine.url)
        else:
            raise BackupError(f"Backups of {engine.dialect.name} databases are not supported")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return row_counts(engine)


def restore(engine: Engine, source: Path, *, force: bool = False) -> list[TableCount]:
    """Replace the database behind ``engine`` with the backup in ``source``.

    Refused if the database holds any row, unless ``force``; refused if the file is not a backup
    of this kind of database. Returns what the database holds afterwards.
    """
    kind = _kind_of(source)
    if kind != engine.dialect.name:
        what = f"a {kind} backup" if kind else "not a backup of this service"
        raise BackupError(f"{source} is {what}, but the database is {engine.dialect.name}: restore a backup "
                          "into the same kind of database it was taken from")
    if not force and not is_empty(engine):
        raise BackupError("The database already holds data. Restore into a new, empty database, or add --force "
                          "to replace everything in it with the backup")
    if kind == "sqlite":
        _sqlite_restore(engine, source)
    else:
        _postgres_restore(engine, source)
    forget_cached_key(engine)
    engine.dispose()  # pooled connections may hold the old schema
    return row_counts(engine)


def _kind_of(source: Path) -> str | None:
    try:
        with source.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise BackupError(f"Cannot read {source}: {exc.strerror}") from exc
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head == SQLITE_MAGIC:
        return "sqlite"
    return None


def _sqlite_backup(engine: Engine, target: Path) -> None:
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        with contextlib.closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
    finally:
        raw.close()


def _sqlite_restore(engine: Engine, source: Path) -> None:
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_db:
        try:
            tables = {r[0] for r in backup_db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a readable SQLite database: {exc}") from exc
        if "alembic_version" not in tables:
            raise BackupError(f"{source} is a SQLite database but not a backup of this service")
        engine.dispose()
        raw = engine.raw_connection()
        try:
            target = raw.driver_connection
            assert isinstance(target, sqlite3.Connection)
            backup_db.backup(target)  # the whole file is replaced, page by page, under a lock
        finally:
            raw.close()


def _postgres_restore(engine: Engine, source: Path) -> None:
    listing = _run(["pg_restore", "--list", str(source)], None)
    in_backup = set()
    for line in listing.splitlines():  # "215; 1259 16390 TABLE public audits owner"
        words = line.split()
        if not line.startswith(";") and "TABLE" in words and words[words.index("TABLE") + 1:][:1] == ["public"]:
            in_backup.add(words[words.index("TABLE") + 2])
    if "alembic_version" not in in_backup:
        raise BackupError(f"{source} is a PostgreSQL backup but not of this service")
    engine.dispose()
    # Tables the backup does not have (a newer schema) would survive a restore and confuse `qa init`.
    extra = set(inspect(engine).get_table_names()) - in_backup
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", str(source)], engine.url)
    if extra:
        meta = MetaData()
        meta.reflect(engine, only=sorted(extra))
        meta.drop_all(engine)


def _run(command: list[str], url: URL | None) -> str:
    """Run a PostgreSQL client program against ``url``; the password goes in the environment,
    never on the command line (where other users of the server could read it)."""
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(f"{command[0]} is not installed: install the PostgreSQL client programs "
                          f"(Debian: postgresql-client) of the server's version or newer")
    env = dict(os.environ)
    args = [program, *command[1:]]
    if url is not None:
        if url.password is not None:
            env["PGPASSWORD"] = str(url.password)
        if url.host:
            env["PGHOST"] = url.host
        if url.port:
            env["PGPORT"] = str(url.port)
        if url.username:
            env["PGUSER"] = url.username
        args.append(f"--dbname={url.database}")
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout
