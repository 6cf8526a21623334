"""Schema changes of both job stores through one tool: yoyo-migrations, with the SQL files in jobs/migrations/.

`migrations/sqlite/` and `migrations/postgres/` hold each store's steps (the SQL differs: jsonb and timestamptz on
PostgreSQL, and PostgreSQL also carries the work queue's schema, procrastinate's own). yoyo records what it applied
in the database itself and takes a lock while applying, so many processes may start at once: one applies, the
others wait and find nothing left to do. Calls here block (yoyo is synchronous): async callers use a thread.

SQLite files older than yoyo (user_version 1 or 2, written by the first releases' built-in migrations) are adopted:
the steps they already have are marked applied, the rest run. A file that is up to date is recognised by its
user_version alone, so the server's start-up never imports yoyo for it.
"""

from __future__ import annotations

import logging
import re
import sqlite3
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

    conn = sqlite3.connect(path, timeout=10)
    try:
        if sqlite_current(conn):
            return []
        legacy = int(conn.execute("PRAGMA user_version").fetchone()[0])
        adopted = conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_yoyo_migration'").fetchone() is None
    finally:
        conn.close()
    backend = get_backend(f"sqlite:///{path}")
    migrations = read_migrations(str(MIGRATIONS / "sqlite"))
    with backend.lock():
        if adopted and legacy >= 1:
            done = migrations.filter(lambda m: int(m.id.split("_")[0]) <= legacy)
            backend.mark_migrations(backend.to_apply(done))
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    backend.connection.execute(f"PRAGMA user_version = {SQLITE_VERSION}")
    backend.connection.close()
    return [m.id for m in pending]


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
    """Apply what the PostgreSQL database lacks, under yoyo's lock; returns the ids of the steps applied."""
    backend, migrations = _postgres(url, schema)
    try:
        with backend.lock():
            pending = backend.to_apply(migrations)
            if pending:
                logger.info("applying %d schema step(s) to PostgreSQL: %s", len(pending), [m.id for m in pending])
            backend.apply_migrations(pending)
        return [m.id for m in pending]
    finally:
        backend.connection.close()
