"""Durable job storage: one SQLite file in WAL mode, each state change one transaction.

`JobStore` is the interface the service uses; `SqliteJobStore` is the implementation, checked by the
contract tests in tests/jobs/test_store.py. Rows become `JobRecord`s at this edge and nowhere else.
SQLite calls run in a worker thread so a busy database never stalls the event loop.
"""

from __future__ import annotations

import builtins
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import anyio.to_thread

from avatar_mcp.errors import JobNotFound
from avatar_mcp.models import OPEN_STATUSES, JobError, JobRecord, JobResult, utcnow

T = TypeVar("T")

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 5000

DDL = """
CREATE TABLE IF NOT EXISTS jobs (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    provider         TEXT NOT NULL,
    operation        TEXT NOT NULL,
    vendor_id        TEXT,
    request          TEXT NOT NULL,
    status           TEXT NOT NULL,
    progress         REAL NOT NULL DEFAULT 0,
    message          TEXT,
    result           TEXT,
    error            TEXT,
    vendor_state     TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    next_poll_at     REAL,
    poll_count       INTEGER NOT NULL DEFAULT 0,
    expected_seconds REAL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_poll_at);
CREATE INDEX IF NOT EXISTS jobs_vendor ON jobs (provider, vendor_id);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
"""

ASSET_DDL = """
CREATE TABLE IF NOT EXISTS vendor_assets (
    account    TEXT NOT NULL,
    digest     TEXT NOT NULL,
    asset_id   TEXT NOT NULL,
    stored_at  TEXT NOT NULL,
    PRIMARY KEY (account, digest)
)
"""
"""Files already uploaded to a vendor, by account and content hash (see SqliteJobStore.remembered_asset). Its own
table, created on first use: nothing about jobs depends on it."""

_COLUMNS = ("id", "kind", "provider", "operation", "vendor_id", "request", "status", "progress", "message", "result",
            "error", "vendor_state", "created_at", "updated_at", "next_poll_at", "poll_count", "expected_seconds")
_UPDATABLE = frozenset(_COLUMNS) - {"id", "kind", "provider", "operation", "created_at"}


def new_job_id() -> str:
    return "job_" + secrets.token_hex(8)


class JobStore(Protocol):
    async def create(self, job: JobRecord) -> JobRecord: ...
    async def get(self, job_id: str) -> JobRecord: ...
    async def update(self, job_id: str, **changes: Any) -> JobRecord: ...
    async def delete(self, job_id: str) -> None: ...
    async def find_by_vendor_id(self, provider: str, vendor_id: str) -> JobRecord | None: ...
    async def list(self, *, statuses: Sequence[str] | None = None, kind: str | None = None,
                   provider: str | None = None, limit: int = 50) -> builtins.list[JobRecord]: ...
    async def due(self, now: datetime, limit: int = 100) -> builtins.list[JobRecord]: ...
    async def close(self) -> None: ...


def _dump(value: Any) -> Any:
    if isinstance(value, JobResult | JobError):
        return value.model_dump_json(exclude_none=True)
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _to_column(name: str, value: Any) -> Any:
    if name == "next_poll_at":
        return value.timestamp() if isinstance(value, datetime) else value
    return _dump(value)


def _row_to_job(row: sqlite3.Row) -> JobRecord:
    next_poll = row["next_poll_at"]
    return JobRecord(
        id=row["id"], kind=row["kind"], provider=row["provider"], operation=row["operation"],
        vendor_id=row["vendor_id"], request=json.loads(row["request"]), status=row["status"],
        progress=row["progress"], message=row["message"],
        result=JobResult.model_validate_json(row["result"]) if row["result"] else None,
        error=JobError.model_validate_json(row["error"]) if row["error"] else None,
        vendor_state=json.loads(row["vendor_state"] or "{}"),
        created_at=datetime.fromisoformat(row["created_at"]), updated_at=datetime.fromisoformat(row["updated_at"]),
        next_poll_at=datetime.fromtimestamp(next_poll, UTC) if next_poll is not None else None,
        poll_count=row["poll_count"], expected_seconds=row["expected_seconds"],
    )


class SqliteJobStore:
    """The job store on one SQLite file. Safe to share between processes (WAL + busy timeout)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                     timeout=BUSY_TIMEOUT_MS / 1000)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in DDL.strip().split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def locked() -> T:
            with self._lock:
                return fn(self._conn)

        return await anyio.to_thread.run_sync(locked)

    @staticmethod
    def _transaction(conn: sqlite3.Connection, fn: Callable[[], T]) -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    async def create(self, job: JobRecord) -> JobRecord:
        values = {name: _to_column(name, getattr(job, name)) for name in _COLUMNS}
        sql = f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"  # noqa: S608

        def insert(conn: sqlite3.Connection) -> None:
            self._transaction(conn, lambda: conn.execute(sql, [values[c] for c in _COLUMNS]))

        await self._run(insert)
        return job

    async def get(self, job_id: str) -> JobRecord:
        def select(conn: sqlite3.Connection) -> sqlite3.Row | None:
            row: sqlite3.Row | None = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return row

        row = await self._run(select)
        if row is None:
            raise JobNotFound(job_id)
        return _row_to_job(row)

    async def update(self, job_id: str, **changes: Any) -> JobRecord:
        """Apply `changes` (JobRecord field names) in one transaction and return the new record."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        changes.setdefault("updated_at", utcnow())
        columns = list(changes)
        sql = f"UPDATE jobs SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?"  # noqa: S608

        def write(conn: sqlite3.Connection) -> sqlite3.Row | None:
            def body() -> sqlite3.Row | None:
                conn.execute(sql, [*(_to_column(c, changes[c]) for c in columns), job_id])
                row: sqlite3.Row | None = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
                return row

            return self._transaction(conn, body)

        row = await self._run(write)
        if row is None:
            raise JobNotFound(job_id)
        return _row_to_job(row)

    async def delete(self, job_id: str) -> None:
        await self._run(lambda conn: self._transaction(
            conn, lambda: conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))))

    async def find_by_vendor_id(self, provider: str, vendor_id: str) -> JobRecord | None:
        def select(conn: sqlite3.Connection) -> sqlite3.Row | None:
            row: sqlite3.Row | None = conn.execute(
                "SELECT * FROM jobs WHERE provider = ? AND vendor_id = ? ORDER BY created_at DESC LIMIT 1",
                (provider, vendor_id)).fetchone()
            return row

        row = await self._run(select)
        return _row_to_job(row) if row is not None else None

    async def list(self, *, statuses: Sequence[str] | None = None, kind: str | None = None,
                   provider: str | None = None, limit: int = 50) -> builtins.list[JobRecord]:
        """Newest first."""
        where: builtins.list[str] = []
        args: builtins.list[Any] = []
        if statuses:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            args.extend(statuses)
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if provider:
            where.append("provider = ?")
            args.append(provider)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT * FROM jobs {clause} ORDER BY created_at DESC, rowid DESC LIMIT ?"  # noqa: S608
        rows = await self._run(lambda conn: conn.execute(sql, [*args, limit]).fetchall())
        return [_row_to_job(r) for r in rows]

    async def due(self, now: datetime, limit: int = 100) -> builtins.list[JobRecord]:
        """Open jobs whose next poll time has come, oldest first."""
        open_states = sorted(OPEN_STATUSES)
        sql = (f"SELECT * FROM jobs WHERE status IN ({', '.join('?' for _ in open_states)}) "  # noqa: S608
               "AND next_poll_at IS NOT NULL AND next_poll_at <= ? ORDER BY next_poll_at LIMIT ?")
        rows = await self._run(lambda conn: conn.execute(sql, [*open_states, now.timestamp(), limit]).fetchall())
        return [_row_to_job(r) for r in rows]

    async def close(self) -> None:
        def close(conn: sqlite3.Connection) -> None:
            conn.close()

        await self._run(close)

    # ------------------------------------------------------------------ uploaded assets (a separate table)
    # A memo, not job state: `account` is an opaque hash the provider derives from its credentials and base URL
    # (never a key itself), `digest` the SHA-256 of the file's bytes. Each call is one statement (atomic); losing a
    # row only costs an upload, so callers check that a remembered asset still exists before using it.

    async def remembered_asset(self, account: str, digest: str) -> str | None:
        """The vendor asset id these bytes were uploaded as for this account, or None."""
        def select(conn: sqlite3.Connection) -> str | None:
            conn.execute(ASSET_DDL)
            row = conn.execute("SELECT asset_id FROM vendor_assets WHERE account = ? AND digest = ?",
                               (account, digest)).fetchone()
            return str(row["asset_id"]) if row is not None else None

        return await self._run(select)

    async def remember_asset(self, account: str, digest: str, asset_id: str) -> None:
        """Record (or replace) the asset id these bytes were uploaded as for this account."""
        def upsert(conn: sqlite3.Connection) -> None:
            conn.execute(ASSET_DDL)
            conn.execute("INSERT OR REPLACE INTO vendor_assets (account, digest, asset_id, stored_at) "
                         "VALUES (?, ?, ?, ?)", (account, digest, asset_id, utcnow().isoformat()))

        await self._run(upsert)

    async def forget_asset(self, account: str, digest: str) -> None:
        """Drop a remembered asset (the vendor no longer has it)."""
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute(ASSET_DDL)
            conn.execute("DELETE FROM vendor_assets WHERE account = ? AND digest = ?", (account, digest))

        await self._run(delete)
