"""The job store on one SQLite file in WAL mode, shared by every server process on the machine.

Writes take the database's write lock at once (BEGIN IMMEDIATE), check their conditions and write in the same
transaction: that is what makes `claim` exclusive and `update(lease=...)` fenced across processes. Reads use their
own connections, so a reader never queues behind a writer waiting for the lock. Calls run in worker threads, so a
busy database never stalls the event loop; the one exception is a read of one job by its id (check_job's), which
runs in place on a connection that never waits (falling back to a thread if SQLite ever says busy). Rows become
`JobRecord`s at this edge and nowhere else.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

from avatar_mcp.errors import JobNotFound
from avatar_mcp.jobs import migrate
from avatar_mcp.jobs.store import Lease, StatusChange, fence, stamped
from avatar_mcp.models import OPEN_STATUSES, JobError, JobRecord, JobResult, utcnow

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000

_LEASE = ("version", "lease_owner", "lease_expires_at", "lease_epoch", "takeovers")
_COLUMNS = ("id", "kind", "provider", "operation", "vendor_id", "request", "status", "progress", "message", "result",
            "error", "vendor_state", "created_at", "updated_at", "next_poll_at", "poll_count", "expected_seconds",
            "principal", *_LEASE)
_CLAIMABLE = "(lease_owner IS NULL OR lease_expires_at <= ?)"
_DUE = "(next_poll_at IS NULL OR next_poll_at <= ?)"


def _marks(values: Collection[Any]) -> str:
    return ", ".join("?" for _ in values)


def _to_column(name: str, value: Any) -> Any:
    if isinstance(value, JobResult | JobError):
        return value.model_dump_json(exclude_none=True)
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    if isinstance(value, datetime):
        return value.timestamp() if name in ("next_poll_at", "lease_expires_at") else value.astimezone(UTC).isoformat()
    return value


def _instant(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _row_to_job(row: sqlite3.Row) -> JobRecord:
    return JobRecord(
        id=row["id"], kind=row["kind"], provider=row["provider"], operation=row["operation"],
        vendor_id=row["vendor_id"], request=json.loads(row["request"]), status=row["status"],
        progress=row["progress"], message=row["message"],
        result=JobResult.model_validate_json(row["result"]) if row["result"] else None,
        error=JobError.model_validate_json(row["error"]) if row["error"] else None,
        vendor_state=json.loads(row["vendor_state"] or "{}"),
        created_at=datetime.fromisoformat(row["created_at"]), updated_at=datetime.fromisoformat(row["updated_at"]),
        next_poll_at=_instant(row["next_poll_at"]), poll_count=row["poll_count"],
        expected_seconds=row["expected_seconds"], version=row["version"], lease_owner=row["lease_owner"],
        lease_expires_at=_instant(row["lease_expires_at"]), lease_epoch=row["lease_epoch"],
        takeovers=row["takeovers"], principal=row["principal"],
    )


class _Connection:
    """One connection, used by one thread at a time."""

    def __init__(self, path: Path, busy_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.lock = threading.Lock()
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=busy_ms / 1000)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute(f"PRAGMA busy_timeout = {busy_ms}")

    def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn` inside BEGIN IMMEDIATE: the write lock is taken first, so the checks and writes of `fn` see no
        other process's changes in between."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(self.conn)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return result


class SqliteJobStore:
    """The JobStore contract (jobs/store.py) on one SQLite file. `clock` (seconds since the epoch) times leases."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.clock = clock
        self._writer = _Connection(path)
        self._writer.conn.execute("PRAGMA journal_mode = WAL")
        self._writer.conn.execute("PRAGMA synchronous = NORMAL")
        if not migrate.sqlite_current(self._writer.conn):
            migrate.migrate_sqlite(path)
        self._reader = _Connection(path)
        self._glance = _Connection(path, busy_ms=0)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def locked() -> T:
            with self._writer.lock:
                return self._writer.transaction(fn)

        return await anyio.to_thread.run_sync(locked)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def locked() -> T:
            with self._reader.lock:
                return fn(self._reader.conn)

        return await anyio.to_thread.run_sync(locked)

    async def _read_one(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Row | None:
        """One small read by primary key. A WAL reader does not wait for writers, so it runs right here (a
        thread hop would cost more than the read) on a connection that never waits for a lock: in the rare case
        SQLite answers busy, or the connection is in use, it runs in a worker thread like every other call."""
        glance = self._glance
        if glance.lock.acquire(blocking=False):
            try:
                row: sqlite3.Row | None = glance.conn.execute(sql, args).fetchone()
                return row
            except sqlite3.OperationalError:
                pass
            finally:
                glance.lock.release()
        return await self._read(lambda conn: conn.execute(sql, args).fetchone())

    def _log(self, conn: sqlite3.Connection, job_id: str, source: str | None, target: str, owner: str | None) -> None:
        conn.execute("INSERT INTO job_history (job_id, source, target, owner, at) VALUES (?, ?, ?, ?, ?)",
                     (job_id, source, target, owner, self.clock()))

    # ------------------------------------------------------------------------------------------ rows
    async def create(self, job: JobRecord, *, owner: str | None = None, ttl: float | None = None) -> JobRecord:
        values = {name: _to_column(name, getattr(job, name)) for name in _COLUMNS}
        values.update(version=1, lease_owner=None, lease_expires_at=None, lease_epoch=0, takeovers=0)
        if owner is not None:
            values.update(lease_owner=owner, lease_expires_at=self.clock() + (ttl or 0.0), lease_epoch=1)
        sql = f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({_marks(_COLUMNS)})"  # noqa: S608

        def insert(conn: sqlite3.Connection) -> sqlite3.Row:
            try:
                conn.execute(sql, [values[c] for c in _COLUMNS])
            except sqlite3.IntegrityError as exc:
                raise ValueError(f"job {job.id} exists already") from exc
            self._log(conn, job.id, None, job.status, owner)
            row: sqlite3.Row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job.id,)).fetchone()
            return row

        return _row_to_job(await self._write(insert))

    async def get(self, job_id: str) -> JobRecord:
        row = await self._read_one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise JobNotFound(job_id)
        return _row_to_job(row)

    async def version(self, job_id: str) -> int:
        row = await self._read_one("SELECT version FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise JobNotFound(job_id)
        return int(row[0])

    async def list(self, *, statuses: Sequence[str] | None = None, kind: str | None = None,
                   provider: str | None = None, principal: str | None = None,
                   limit: int = 50) -> builtins.list[JobRecord]:
        where: builtins.list[str] = []
        args: builtins.list[Any] = []
        if principal is not None:
            where.append("principal = ?")
            args.append(principal)
        if statuses:
            where.append(f"status IN ({_marks(statuses)})")
            args.extend(statuses)
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if provider:
            where.append("provider = ?")
            args.append(provider)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT * FROM jobs {clause} ORDER BY created_at DESC, rowid DESC LIMIT ?"  # noqa: S608
        rows = await self._read(lambda conn: conn.execute(sql, [*args, limit]).fetchall())
        return [_row_to_job(r) for r in rows]

    async def find_by_vendor_id(self, provider: str, vendor_id: str) -> JobRecord | None:
        row = await self._read(lambda conn: conn.execute(
            "SELECT * FROM jobs WHERE provider = ? AND vendor_id = ? ORDER BY created_at DESC LIMIT 1",
            (provider, vendor_id)).fetchone())
        return _row_to_job(row) if row is not None else None

    async def history(self, job_id: str) -> builtins.list[StatusChange]:
        rows = await self._read(lambda conn: conn.execute(
            "SELECT * FROM job_history WHERE job_id = ? ORDER BY seq", (job_id,)).fetchall())
        return [StatusChange(job_id=r["job_id"], seq=r["seq"], source=r["source"], target=r["target"],
                             owner=r["owner"], at=datetime.fromtimestamp(r["at"], UTC)) for r in rows]

    # ------------------------------------------------------------------------------------------ leases
    async def due(self, limit: int = 100, *, statuses: Collection[str] = OPEN_STATUSES,
                  providers: Collection[str] | None = None) -> builtins.list[JobRecord]:
        states = sorted(statuses)
        names = sorted(providers) if providers is not None else []
        only = f" AND provider IN ({_marks(names)})" if providers is not None else ""
        sql = (f"SELECT * FROM jobs WHERE status IN ({_marks(states)}){only} AND {_DUE} AND {_CLAIMABLE} "  # noqa: S608
               "ORDER BY coalesce(next_poll_at, 0), rowid LIMIT ?")
        now = self.clock()
        rows = await self._read(lambda conn: conn.execute(sql, [*states, *names, now, now, limit]).fetchall())
        return [_row_to_job(r) for r in rows]

    async def claim(self, job_ids: Sequence[str], owner: str, ttl: float, *,
                    statuses: Collection[str] = OPEN_STATUSES, due_only: bool = True) -> builtins.list[JobRecord]:
        ids = list(dict.fromkeys(job_ids))
        if not ids:
            return []
        states = sorted(statuses)

        def take(conn: sqlite3.Connection) -> builtins.list[sqlite3.Row]:
            now = self.clock()
            due = f" AND {_DUE}" if due_only else ""
            sql = (f"SELECT id, lease_owner FROM jobs WHERE id IN ({_marks(ids)}) "  # noqa: S608
                   f"AND status IN ({_marks(states)}) AND {_CLAIMABLE}{due}")
            args: builtins.list[Any] = [*ids, *states, now] + ([now] if due_only else [])
            free = conn.execute(sql, args).fetchall()
            for row in free:
                conn.execute("UPDATE jobs SET lease_owner = ?, lease_expires_at = ?, lease_epoch = lease_epoch + 1, "
                             "takeovers = takeovers + ? WHERE id = ?",
                             (owner, now + ttl, int(row["lease_owner"] is not None), row["id"]))
            taken = [row["id"] for row in free]
            if not taken:
                return []
            return conn.execute(f"SELECT * FROM jobs WHERE id IN ({_marks(taken)})", taken).fetchall()  # noqa: S608

        rows = {r["id"]: _row_to_job(r) for r in await self._write(take)}
        return [rows[i] for i in ids if i in rows]

    async def renew(self, leases: Sequence[Lease], ttl: float) -> set[str]:
        if not leases:
            return set()

        def extend(conn: sqlite3.Connection) -> set[str]:
            until = self.clock() + ttl
            kept = set()
            for lease in leases:
                cursor = conn.execute("UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? "
                                      "AND lease_epoch = ?", (until, lease.job_id, lease.owner, lease.epoch))
                if cursor.rowcount:
                    kept.add(lease.job_id)
            return kept

        return await self._write(extend)

    async def release(self, leases: Sequence[Lease]) -> set[str]:
        if not leases:
            return set()

        def end(conn: sqlite3.Connection) -> set[str]:
            ended = set()
            for lease in leases:
                cursor = conn.execute("UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? "
                                      "AND lease_owner = ? AND lease_epoch = ?",
                                      (lease.job_id, lease.owner, lease.epoch))
                if cursor.rowcount:
                    ended.add(lease.job_id)
            return ended

        return await self._write(end)

    # ------------------------------------------------------------------------------------------ writes
    @staticmethod
    def _check(conn: sqlite3.Connection, job_id: str, lease: Lease | None,
               expect: Collection[str] | None) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute("SELECT status, lease_owner, lease_epoch FROM jobs WHERE id = ?",
                                               (job_id,)).fetchone()
        return fence(job_id, row, lease, expect)

    async def update(self, job_id: str, *, lease: Lease | None = None, expect: Collection[str] | None = None,
                     release: bool = False, **changes: Any) -> JobRecord:
        changes = stamped(changes)
        values = {name: _to_column(name, value) for name, value in changes.items()}
        columns = [*values]
        sets = [f"{c} = ?" for c in columns] + ["version = version + 1"]
        if release:
            sets += ["lease_owner = NULL", "lease_expires_at = NULL"]
        sql = f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?"  # noqa: S608

        def write(conn: sqlite3.Connection) -> sqlite3.Row:
            before = self._check(conn, job_id, lease, expect)
            conn.execute(sql, [*(values[c] for c in columns), job_id])
            if "status" in changes and changes["status"] != before["status"]:
                self._log(conn, job_id, before["status"], changes["status"], lease.owner if lease else None)
            row: sqlite3.Row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return row

        return _row_to_job(await self._write(write))

    async def delete(self, job_id: str, *, lease: Lease | None = None) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            try:
                self._check(conn, job_id, lease, None)
            except JobNotFound:
                return
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            conn.execute("DELETE FROM job_history WHERE job_id = ?", (job_id,))

        await self._write(remove)

    # ------------------------------------------------------------------------------------------ uploaded assets
    # The AssetMemo of providers/base.py, in its own table: a memo, not job state. `account` is an opaque hash the
    # provider derives from its credentials and base URL (never a key itself), `digest` the SHA-256 of the file's
    # bytes. Each call is one statement (atomic); losing a row only costs an upload, so callers check that a
    # remembered asset still exists before using it.

    async def remembered_asset(self, account: str, digest: str) -> str | None:
        """The vendor asset id these bytes were uploaded as for this account, or None."""
        row = await self._read(lambda conn: conn.execute(
            "SELECT asset_id FROM vendor_assets WHERE account = ? AND digest = ?", (account, digest)).fetchone())
        return str(row["asset_id"]) if row is not None else None

    async def remember_asset(self, account: str, digest: str, asset_id: str) -> None:
        """Record (or replace) the asset id these bytes were uploaded as for this account."""
        await self._write(lambda conn: conn.execute(
            "INSERT OR REPLACE INTO vendor_assets (account, digest, asset_id, stored_at) VALUES (?, ?, ?, ?)",
            (account, digest, asset_id, utcnow().isoformat())))

    async def forget_asset(self, account: str, digest: str) -> None:
        """Drop a remembered asset (the vendor no longer has it)."""
        await self._write(lambda conn: conn.execute(
            "DELETE FROM vendor_assets WHERE account = ? AND digest = ?", (account, digest)))

    async def close(self) -> None:
        def close() -> None:
            for connection in (self._glance, self._reader, self._writer):
                with connection.lock:
                    connection.conn.close()

        await anyio.to_thread.run_sync(close)
