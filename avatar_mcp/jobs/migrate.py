"""Schema changes of both job stores through one tool: yoyo-migrations, with the SQL files in jobs/migrations/.

`migrations/sqlite/` and `migrations/postgres/` hold each store's steps (the SQL differs: jsonb and timestamptz on
PostgreSQL, and PostgreSQL also carries the work queue's schema, procrastinate's own). yoyo records what it applied
in the database itself and takes a lock while applying, so many processes may start at once: one applies, the
others wait and find nothing left to do. Calls here block (yoyo is synchronous): async callers use a thread.

SQLite files older than yoyo (user_version 1 or 2, written by the first releases' built-in migrations) are adopted:
the steps they already have are marked applied, the rest run. A file that is up to date is recognised by its
user_version alone, so the server's start-up never imports yoyo for it.

A process may be killed at any moment, in the middle of a migration too. So the lock that serialises migrations is
one the operating system or the database server ends with its process (a file lock beside the SQLite file, a
PostgreSQL advisory lock): yoyo's own lock is a row that a killed process leaves behind, and it refused every later
start ('run yoyo break-lock'); under our lock such a row can only be a dead process's, and is removed. Each step is
applied and recorded in ONE transaction (yoyo commits the two separately), so a kill never leaves a step applied
but unrecorded, which the next start would apply again and fail on ('duplicate column', 'relation exists').
"""

from __future__ import annotations

import logging
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_VERSION = 3
"""The number of steps in migrations/sqlite/, stamped as the file's user_version once they are applied."""
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def sqlite_current(conn: sqlite3.Connection) -> bool:
    """Whether this file has every step already (no yoyo needed)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0]) >= SQLITE_VERSION


def migrate_sqlite(path: Path) -> list[str]:
    """Bring the SQLite job store at `path` up to date; returns the ids of the steps applied."""
    from yoyo import get_backend, read_migrations

    with _file_lock(path.with_name(path.name + ".migrating")):
        conn = sqlite3.connect(path, timeout=10)
        try:
            if sqlite_current(conn):
                return []
            legacy = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
        backend = get_backend(f"sqlite:///{path}")
        try:
            migrations = read_migrations(str(MIGRATIONS / "sqlite"))
            # The steps a file of an earlier release has (its user_version) are marked, if a killed migration
            # did not mark them already.
            done = migrations.filter(lambda m: int(m.id.split("_")[0]) <= legacy)
            pending = _apply(backend, migrations, done)
            backend.connection.execute(f"PRAGMA user_version = {SQLITE_VERSION}")
        finally:
            backend.connection.close()
    return [m.id for m in pending]


def _apply(backend: Any, migrations: Any, done: Any = ()) -> Any:
    """Under the caller's lock (ours, which dies with its process): clear a lock row a killed process left, then
    mark `done` and apply what is missing, each step with its record in one transaction. Returns what it applied."""
    backend.break_lock()
    with backend.lock():
        if done:
            backend.mark_migrations(backend.to_apply(done))
        pending = backend.to_apply(migrations)
        if pending:
            logger.info("applying %d schema step(s): %s", len(pending), [m.id for m in pending])
        for migration in pending:
            with backend.transaction():
                migration.process_steps(backend, "apply")
                backend.log_migration(migration, "apply")
                backend.mark_one(migration, log=False)
    return pending


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created if missing) that the operating system ends when its process dies."""
    with open(path, "a+b") as handle:
        if sys.platform == "win32":
            import msvcrt

            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def yoyo_uri(url: str, schema: str | None) -> str:
    """yoyo's spelling of a PostgreSQL URL: the psycopg 3 driver, and the schema as its search path."""
    parts = urlsplit(url)
    query = "&".join(q for q in [parts.query, f"schema={quote(schema)}" if schema else ""] if q)
    return urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, query, parts.fragment))


def check_schema_name(schema: str | None) -> None:
    if schema is not None and not _SCHEMA.match(schema):
        raise ValueError(f"{schema!r} is not a plain PostgreSQL schema name (lower-case letters, digits, _).")


def _postgres(url: str, schema: str | None) -> tuple[Any, Any]:
    from yoyo import get_backend, read_migrations

    check_schema_name(schema)
    if schema:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return get_backend(yoyo_uri(url, schema)), read_migrations(str(MIGRATIONS / "postgres"))


def pending_postgres(url: str, schema: str | None = None) -> list[str]:
    """The steps a PostgreSQL database still lacks (for `avatar-mcp migrate --check` and health checks)."""
    backend, migrations = _postgres(url, schema)
    try:
        return [m.id for m in backend.to_apply(migrations)]
    finally:
        backend.connection.close()


def migrate_postgres(url: str, schema: str | None = None) -> list[str]:
    """Apply what the PostgreSQL database lacks, under a lock that ends with its process; returns the ids of the
    steps applied."""
    import psycopg

    check_schema_name(schema)
    # A session-level advisory lock: the server ends it when the session ends, a killed process's included.
    with psycopg.connect(url, autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"avatar-mcp migrate {schema or ''}",))
        backend, migrations = _postgres(url, schema)
        try:
            return [m.id for m in _apply(backend, migrations)]
        finally:
            backend.connection.close()
