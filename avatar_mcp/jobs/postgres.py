"""The job store on PostgreSQL (psycopg 3, one connection pool per process): the JobStore contract of jobs/store.py
for any number of processes on any number of machines.

Each method is one transaction. `claim` locks the claimable rows with `SELECT ... FOR UPDATE SKIP LOCKED` and takes
them with one UPDATE, so concurrent claims never wait for each other and never share a job; fenced writes lock the
row (`FOR UPDATE`), check owner, epoch and status, and write in the same transaction. Times of leases come from the
server's clock (`now()`), so the machines' clocks cannot expire a live lease (a job's next_poll_at is written with
the clock of the process that schedules it: a skew moves its step by as much). Reads see committed rows only (MVCC)
and never wait for writers. Rows become `JobRecord`s at this edge and nowhere else. The schema is applied by yoyo
(jobs/migrate.py), together with the work queue's.

Needs the `postgres` extra (psycopg, psycopg-pool, procrastinate, yoyo-migrations).
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from avatar_mcp.errors import JobNotFound
from avatar_mcp.jobs.migrate import check_schema_name
from avatar_mcp.jobs.store import Lease, StatusChange, fence, stamped
from avatar_mcp.models import OPEN_STATUSES, JobError, JobRecord, JobResult

Row = dict[str, Any]

_LEASE = ("version", "lease_owner", "lease_expires_at", "lease_epoch", "takeovers")
_COLUMNS = ("id", "principal", "kind", "provider", "operation", "vendor_id", "request", "status", "progress", "message",
            "result", "error", "vendor_state", "created_at", "updated_at", "next_poll_at", "poll_count",
            "expected_seconds", *_LEASE)
_JSON = frozenset({"request", "result", "error", "vendor_state"})
_CLAIMABLE = "(lease_owner IS NULL OR lease_expires_at <= now())"
_DUE = "(next_poll_at IS NULL OR next_poll_at <= now())"


def connection_kwargs(schema: str | None) -> dict[str, Any]:
    """What every connection to the database gets: the schema as its search path (the job store's pool adds
    autocommit, since its transactions are explicit, and rows as dicts)."""
    check_schema_name(schema)
    kwargs: dict[str, Any] = {}
    if schema:
        kwargs["options"] = f"-c search_path={schema}"
    return kwargs


def _to_column(name: str, value: Any) -> Any:
    if isinstance(value, JobResult | JobError):
        return Jsonb(value.model_dump(mode="json", exclude_none=True))
    if name in _JSON and value is not None:
        return Jsonb(value)
    return value


def _row_to_job(row: Row) -> JobRecord:
    values = {name: row[name] for name in _COLUMNS}
    values["result"] = JobResult.model_validate(row["result"]) if row["result"] is not None else None
    values["error"] = JobError.model_validate(row["error"]) if row["error"] is not None else None
    return JobRecord(**values)


class PostgresJobStore:
    """The JobStore contract (jobs/store.py) on PostgreSQL. Open it with `open`; `close` closes its pool."""

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Row]]) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str, *, schema: str | None = None, min_size: int = 1,
                   max_size: int = 10) -> PostgresJobStore:
        """A store on a pool of connections to `url`; the schema must be applied already (jobs/migrate.py)."""
        kwargs = {**connection_kwargs(schema), "autocommit": True, "row_factory": dict_row}
        pool: AsyncConnectionPool[AsyncConnection[Row]] = AsyncConnectionPool(
            url, min_size=min_size, max_size=max_size, kwargs=kwargs,
            open=False, name="avatar-mcp-jobs")
        await pool.open(wait=True, timeout=30)
        return cls(pool)

    async def _one(self, query: str | sql.Composable, args: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(query, args)  # type: ignore[arg-type]
            return await cursor.fetchone()

    async def _all(self, query: str | sql.Composable, args: Sequence[Any] | dict[str, Any] = ()) -> builtins.list[Row]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(query, args)  # type: ignore[arg-type]
            return await cursor.fetchall()

    @staticmethod
    async def _log(conn: AsyncConnection[Row], job_id: str, source: str | None, target: str,
                   owner: str | None) -> None:
        await conn.execute("INSERT INTO job_history (job_id, source, target, owner) VALUES (%s, %s, %s, %s)",
                           (job_id, source, target, owner))

    # ------------------------------------------------------------------------------------------ rows
    async def create(self, job: JobRecord, *, owner: str | None = None, ttl: float | None = None) -> JobRecord:
        values = {name: _to_column(name, getattr(job, name)) for name in _COLUMNS if name not in _LEASE}
        columns = [*values]
        lease: sql.Composable = sql.SQL("NULL, NULL, 0")
        if owner is not None:
            lease = sql.SQL("{}, now() + {} * interval '1 second', 1").format(sql.Literal(owner),
                                                                            sql.Literal(ttl or 0.0))
        query = sql.SQL("INSERT INTO jobs ({}, version, lease_owner, lease_expires_at, lease_epoch, takeovers) "
                        "VALUES ({}, 1, {}, 0) RETURNING *").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            lease)
        async with self.pool.connection() as conn, conn.transaction():
            try:
                cursor = await conn.execute(query, [values[c] for c in columns])
            except errors.UniqueViolation as exc:
                raise ValueError(f"job {job.id} exists already") from exc
            row = await cursor.fetchone()
            await self._log(conn, job.id, None, job.status, owner)
        assert row is not None
        return _row_to_job(row)

    async def get(self, job_id: str) -> JobRecord:
        row = await self._one("SELECT * FROM jobs WHERE id = %s", (job_id,))
        if row is None:
            raise JobNotFound(job_id)
        return _row_to_job(row)

    async def version(self, job_id: str) -> int:
        row = await self._one("SELECT version FROM jobs WHERE id = %s", (job_id,))
        if row is None:
            raise JobNotFound(job_id)
        return int(row["version"])

    async def list(self, *, statuses: Sequence[str] | None = None, kind: str | None = None,
                   provider: str | None = None, principal: str | None = None,
                   limit: int = 50) -> builtins.list[JobRecord]:
        where: builtins.list[sql.Composable] = []
        args: builtins.list[Any] = []
        if principal is not None:  # as on SQLite: any principal filters, even ""
            where.append(sql.SQL("principal = %s"))
            args.append(principal)
        for column, value in (("kind", kind), ("provider", provider)):
            if value:
                where.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
                args.append(value)
        if statuses:
            where.append(sql.SQL("status = ANY(%s)"))
            args.append(list(statuses))
        clause = sql.SQL("WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL("")
        query = sql.SQL("SELECT * FROM jobs {} ORDER BY created_at DESC, seq DESC LIMIT %s").format(clause)
        return [_row_to_job(r) for r in await self._all(query, [*args, limit])]

    async def find_by_vendor_id(self, provider: str, vendor_id: str) -> JobRecord | None:
        row = await self._one("SELECT * FROM jobs WHERE provider = %s AND vendor_id = %s "
                              "ORDER BY created_at DESC, seq DESC LIMIT 1", (provider, vendor_id))
        return _row_to_job(row) if row is not None else None

    async def history(self, job_id: str) -> builtins.list[StatusChange]:
        rows = await self._all("SELECT * FROM job_history WHERE job_id = %s ORDER BY seq", (job_id,))
        return [StatusChange(job_id=r["job_id"], seq=r["seq"], source=r["source"], target=r["target"],
                             owner=r["owner"], at=r["at"]) for r in rows]

    # ------------------------------------------------------------------------------------------ leases
    async def due(self, limit: int = 100, *, statuses: Collection[str] = OPEN_STATUSES,
                  providers: Collection[str] | None = None) -> builtins.list[JobRecord]:
        only = " AND provider = ANY(%s)" if providers is not None else ""
        args: tuple[Any, ...] = (sorted(statuses), *([sorted(providers)] if providers is not None else []), limit)
        rows = await self._all(f"SELECT * FROM jobs WHERE status = ANY(%s){only} AND {_DUE} AND {_CLAIMABLE} "  # noqa: S608
                               "ORDER BY next_poll_at ASC NULLS FIRST, seq LIMIT %s", args)
        return [_row_to_job(r) for r in rows]

    async def claim(self, job_ids: Sequence[str], owner: str, ttl: float, *,
                    statuses: Collection[str] = OPEN_STATUSES, due_only: bool = True) -> builtins.list[JobRecord]:
        ids = list(dict.fromkeys(job_ids))
        if not ids:
            return []
        due = f" AND {_DUE}" if due_only else ""
        # The rows another transaction is claiming right now are skipped, not waited for; READ COMMITTED re-checks
        # the conditions on the newest version of each row it locks, so a lease just taken is never taken twice.
        query = (f"WITH free AS (SELECT id, lease_owner IS NOT NULL AS expired FROM jobs "  # noqa: S608
                 f"WHERE id = ANY(%(ids)s) AND status = ANY(%(states)s) AND {_CLAIMABLE}{due} "
                 f"FOR UPDATE SKIP LOCKED) "
                 f"UPDATE jobs SET lease_owner = %(owner)s, lease_expires_at = now() + %(ttl)s * interval '1 second', "
                 f"lease_epoch = jobs.lease_epoch + 1, takeovers = jobs.takeovers + free.expired::int "
                 f"FROM free WHERE jobs.id = free.id RETURNING jobs.*")
        async with self.pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(query, {"ids": ids, "states": sorted(statuses), "owner": owner, "ttl": ttl})
            rows = {r["id"]: _row_to_job(r) for r in await cursor.fetchall()}
        return [rows[i] for i in ids if i in rows]

    async def renew(self, leases: Sequence[Lease], ttl: float) -> set[str]:
        if not leases:
            return set()
        rows = await self._all(
            "UPDATE jobs SET lease_expires_at = now() + %s * interval '1 second' FROM unnest(%s::text[], %s::text[], "
            "%s::int[]) AS held(id, owner, epoch) WHERE jobs.id = held.id AND jobs.lease_owner = held.owner "
            "AND jobs.lease_epoch = held.epoch RETURNING jobs.id",
            (ttl, [lease.job_id for lease in leases], [lease.owner for lease in leases],
             [lease.epoch for lease in leases]))
        return {r["id"] for r in rows}

    async def release(self, leases: Sequence[Lease]) -> set[str]:
        if not leases:
            return set()
        rows = await self._all(
            "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL FROM unnest(%s::text[], %s::text[], "
            "%s::int[]) AS held(id, owner, epoch) WHERE jobs.id = held.id AND jobs.lease_owner = held.owner "
            "AND jobs.lease_epoch = held.epoch RETURNING jobs.id",
            ([lease.job_id for lease in leases], [lease.owner for lease in leases], [lease.epoch for lease in leases]))
        return {r["id"] for r in rows}

    # ------------------------------------------------------------------------------------------ writes
    @staticmethod
    async def _check(conn: AsyncConnection[Row], job_id: str, lease: Lease | None,
                     expect: Collection[str] | None) -> Row:
        cursor = await conn.execute("SELECT status, lease_owner, lease_epoch FROM jobs WHERE id = %s FOR UPDATE",
                                    (job_id,))
        row = await cursor.fetchone()
        return fence(job_id, row, lease, expect)

    async def update(self, job_id: str, *, lease: Lease | None = None, expect: Collection[str] | None = None,
                     release: bool = False, **changes: Any) -> JobRecord:
        changes = stamped(changes)
        values = {name: _to_column(name, value) for name, value in changes.items()}
        sets: builtins.list[sql.Composable] = [sql.SQL("{} = %s").format(sql.Identifier(c)) for c in values]
        sets.append(sql.SQL("version = version + 1"))
        if release:
            sets.append(sql.SQL("lease_owner = NULL, lease_expires_at = NULL"))
        query = sql.SQL("UPDATE jobs SET {} WHERE id = %s RETURNING *").format(sql.SQL(", ").join(sets))
        async with self.pool.connection() as conn, conn.transaction():
            before = await self._check(conn, job_id, lease, expect)
            cursor = await conn.execute(query, [*values.values(), job_id])
            row = await cursor.fetchone()
            if "status" in changes and changes["status"] != before["status"]:
                await self._log(conn, job_id, before["status"], changes["status"], lease.owner if lease else None)
        assert row is not None
        return _row_to_job(row)

    async def delete(self, job_id: str, *, lease: Lease | None = None) -> None:
        async with self.pool.connection() as conn, conn.transaction():
            try:
                await self._check(conn, job_id, lease, None)
            except JobNotFound:
                return
            await conn.execute("DELETE FROM jobs WHERE id = %s", (job_id,))
            await conn.execute("DELETE FROM job_history WHERE job_id = %s", (job_id,))

    # ------------------------------------------------------------------------------------------ uploaded assets
    # The providers' AssetMemo (providers/base.py), as on SQLite: one statement each, not job state.

    async def remembered_asset(self, account: str, digest: str) -> str | None:
        """The vendor asset id these bytes were uploaded as for this account, or None."""
        row = await self._one("SELECT asset_id FROM vendor_assets WHERE account = %s AND digest = %s",
                              (account, digest))
        return str(row["asset_id"]) if row is not None else None

    async def remember_asset(self, account: str, digest: str, asset_id: str) -> None:
        """Record (or replace) the asset id these bytes were uploaded as for this account."""
        await self._one("INSERT INTO vendor_assets (account, digest, asset_id) VALUES (%s, %s, %s) "
                        "ON CONFLICT (account, digest) DO UPDATE SET asset_id = excluded.asset_id, stored_at = now() "
                        "RETURNING account", (account, digest, asset_id))

    async def forget_asset(self, account: str, digest: str) -> None:
        """Drop a remembered asset (the vendor no longer has it)."""
        await self._one("DELETE FROM vendor_assets WHERE account = %s AND digest = %s RETURNING account",
                        (account, digest))

    # ------------------------------------------------------------------------------------------ one-time facts
    # ledger.py's contract (webhook deliveries seen, spending confirmation codes) for every replica at once.

    async def remember(self, kind: str, keys: Sequence[str], ttl_seconds: float) -> bool:
        """Record `keys` for `ttl_seconds`; False (recording nothing) when any of them is already recorded."""
        wanted = list(dict.fromkeys(keys))
        try:
            async with self.pool.connection() as conn, conn.transaction():
                await conn.execute("DELETE FROM once WHERE expires <= now()")
                cursor = await conn.execute(
                    "INSERT INTO once (kind, key, value, expires) SELECT %s, k, '', now() + %s * interval '1 second' "
                    "FROM unnest(%s::text[]) AS k ON CONFLICT DO NOTHING RETURNING key", (kind, ttl_seconds, wanted))
                if len(await cursor.fetchall()) != len(wanted):
                    raise _Seen
        except _Seen:
            return False
        return True

    async def issue(self, kind: str, value: str, ttl_seconds: float) -> str:
        """A new random code bound to `value`, valid for `ttl_seconds` and for one `redeem`."""
        code = secrets.token_hex(6)
        await self._one("INSERT INTO once (kind, key, value, expires) VALUES (%s, %s, %s, now() + %s) RETURNING key",
                        (kind, code, value, timedelta(seconds=ttl_seconds)))
        return code

    async def redeem(self, kind: str, code: str, value: str) -> bool:
        """Use up `code` if it is unexpired and bound to exactly `value`; a code for another value stays valid."""
        row = await self._one("DELETE FROM once WHERE kind = %s AND key = %s AND value = %s AND expires > now() "
                              "RETURNING key", (kind, code, value))
        return row is not None

    async def close(self) -> None:
        await self.pool.close()


class _Seen(Exception):
    """Rolls back a `remember` that found a key already recorded."""
