"""The job store's contract: what every implementation guarantees, written once, held by one test suite.

`JobStore` is the interface the service uses. `SqliteJobStore` (jobs/sqlite.py) implements it on one SQLite
file shared by every server process on the machine; `PostgresJobStore` (jobs/postgres.py) implements the same
methods one to one (noted per method). tests/jobs/store_contract.py holds any implementation to this contract.

Leases. Work on a job is done only by the process holding the job's lease: an owner id (host:pid:random),
an expiry, and an epoch that grows by one each time the lease is taken. `claim` takes free or expired leases in
one transaction (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, then `UPDATE`); the holder renews it while it
works (`renew`), and every write of its work is fenced (`update(lease=...)`): it applies only while the lease is
still the same owner and epoch, so a process whose expired lease was taken over can never overwrite the new
holder's work. An expired lease that nobody took yet still fences nobody out. Times of leases come from the
store's own clock (SQLite: the machine's; PostgreSQL: the server's `now()`).

Versions. `version` grows by one with every `create`/`update` of a job (claim, renew and a bare release do not
change it): a reader that sees the same version has seen the same data, so waiting for a change is re-reading
one integer, without locks.

Crashes. Each method is one transaction: after a crash a job is exactly as the last committed method left it.
A dead process's leases stay until they expire; nothing else is left behind in the store.

A store also keeps the providers' memo of uploaded files (`AssetMemo` in providers/base.py: remembered_asset,
remember_asset, forget_asset, each one atomic statement), which is not job state.
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from avatar_mcp.errors import JobNotFound
from avatar_mcp.models import OPEN_STATUSES, JobRecord, utcnow

if TYPE_CHECKING:
    from avatar_mcp.jobs.sqlite import SqliteJobStore as SqliteJobStore


class _Row(Protocol):
    """A row as either store reads it (sqlite3.Row, psycopg's dict row)."""

    def __getitem__(self, key: str, /) -> Any: ...


R = TypeVar("R", bound=_Row)


def new_job_id() -> str:
    return "job_" + secrets.token_hex(8)


@dataclass(frozen=True)
class Lease:
    """The right to work on one job, as `claim` (or `create`) granted it."""

    job_id: str
    owner: str
    epoch: int

    @classmethod
    def of(cls, job: JobRecord) -> Lease:
        """The lease a record returned by `claim`/`create` carries."""
        if job.lease_owner is None:
            raise ValueError(f"job {job.id} has no lease")
        return cls(job.id, job.lease_owner, job.lease_epoch)


@dataclass(frozen=True)
class StatusChange:
    """One row of a job's history: every change of status, in commit order."""

    job_id: str
    seq: int
    source: str | None
    target: str
    owner: str | None
    at: datetime


class StaleWrite(Exception):
    """A conditional write found the job changed under it (its lease was taken over or ended, or the job is no
    longer in an expected state). Nothing was written."""

    def __init__(self, job_id: str, reason: str) -> None:
        super().__init__(f"job {job_id}: {reason}")
        self.job_id = job_id
        self.reason = reason


UPDATABLE: frozenset[str] = frozenset({
    "vendor_id", "request", "status", "progress", "message", "result", "error", "vendor_state", "updated_at",
    "next_poll_at", "poll_count", "expected_seconds"})
"""The fields `update` may change: not the identity (id, kind, provider, operation, created_at, principal), the
version or the lease."""


def stamped(changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` as every store's `update` writes them: checked against UPDATABLE (ValueError), with the time."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    return {"updated_at": utcnow(), **changes}


def fence(job_id: str, row: R | None, lease: Lease | None, expect: Collection[str] | None) -> R:
    """The conditions of a write (`JobStore.update`), checked on the job's row (`status`, `lease_owner`,
    `lease_epoch`) as read under the write's lock; returns it. JobNotFound without a row, StaleWrite when the
    lease is no longer `lease` or the status is not one of `expect`."""
    if row is None:
        raise JobNotFound(job_id)
    if lease is not None and (row["lease_owner"], row["lease_epoch"]) != (lease.owner, lease.epoch):
        raise StaleWrite(job_id, f"the lease of {lease.owner} (epoch {lease.epoch}) is no longer held")
    if expect is not None and row["status"] not in expect:
        raise StaleWrite(job_id, f"it is {row['status']}, not {' or '.join(sorted(expect))}")
    return row


class JobStore(Protocol):
    """Durable jobs. Every method is one transaction; every method may be called from many processes at once."""

    async def create(self, job: JobRecord, *, owner: str | None = None, ttl: float | None = None) -> JobRecord:
        """Insert `job` with version 1 and return it as stored. With `owner`, the row is inserted already leased
        to it for `ttl` seconds (epoch 1), so no other process can claim it before the creator is done with it.
        The insert is logged in the history as a change from None to the job's status. Raises ValueError when
        the id exists. (PostgreSQL: one INSERT.)"""
        ...

    async def get(self, job_id: str) -> JobRecord:
        """The committed job (never a half-written one); JobNotFound if there is none. Never waits for writers
        (SQLite WAL readers; PostgreSQL MVCC)."""
        ...

    async def version(self, job_id: str) -> int:
        """The job's version alone (cheap: a waiting reader polls it); JobNotFound if there is none."""
        ...

    async def list(self, *, statuses: Sequence[str] | None = None, kind: str | None = None,
                   provider: str | None = None, principal: str | None = None,
                   limit: int = 50) -> builtins.list[JobRecord]:
        """Jobs matching every given filter, newest first (created_at, then insertion order). `principal` keeps
        one tenant's jobs (the column is set at create and never changes)."""
        ...

    async def find_by_vendor_id(self, provider: str, vendor_id: str) -> JobRecord | None:
        """The newest job of `provider` with this vendor id, or None."""
        ...

    async def due(self, limit: int = 100, *, statuses: Collection[str] = OPEN_STATUSES,
                  providers: Collection[str] | None = None) -> builtins.list[JobRecord]:
        """Jobs in `statuses` whose time has come (next_poll_at unset or past) and whose lease is free or expired,
        those waiting longest first, at most `limit`; with `providers`, only theirs (a process lists only what it
        can work on, or jobs of a vendor it has no key for would fill every batch). A snapshot without locks:
        `claim` decides who gets them."""
        ...

    async def claim(self, job_ids: Sequence[str], owner: str, ttl: float, *,
                    statuses: Collection[str] = OPEN_STATUSES, due_only: bool = True) -> builtins.list[JobRecord]:
        """Take the lease of each of `job_ids` that is claimable now, in one transaction, skipping the others:
        claimable = status in `statuses`, lease free or expired, and (with `due_only`) next_poll_at unset or past.
        Each job taken gets owner `owner`, expiry now + `ttl`, epoch + 1, and takeovers + 1 when the lease taken
        had expired (a dead owner's). Returns the taken jobs in the order of `job_ids`; two concurrent claims never
        both get one job. (PostgreSQL: SELECT ... WHERE id = ANY($1) AND <claimable> FOR UPDATE SKIP LOCKED, then
        UPDATE ... RETURNING.)"""
        ...

    async def renew(self, leases: Sequence[Lease], ttl: float) -> set[str]:
        """Extend every lease still held (same owner and epoch) to now + `ttl`, in one transaction; returns the ids
        of the jobs renewed. A lease that was taken over or ended is not renewed, and never comes back."""
        ...

    async def update(self, job_id: str, *, lease: Lease | None = None, expect: Collection[str] | None = None,
                     release: bool = False, **changes: Any) -> JobRecord:
        """Apply `changes` (JobRecord field names, not the identity, version or lease fields) in one transaction
        and return the job as committed, version + 1.

        Conditions, checked in the same transaction: with `lease`, the job's lease must still be that owner and
        epoch (fencing: a taken-over holder is refused even if it does not know yet); with `expect`, the status
        must be one of them (the lifecycle table's sources of the new state). A failed condition raises StaleWrite
        and writes nothing. With `release`, the lease ends in the same transaction (owner and expiry cleared), so
        another process may claim the job at once. A change of status appends one row to the history, with the
        lease's owner. JobNotFound if there is no such job; ValueError for a field that cannot be updated."""
        ...

    async def release(self, leases: Sequence[Lease]) -> set[str]:
        """End every lease still held (same owner and epoch), in one transaction, without changing the jobs'
        data or version; returns the ids released. Used at shutdown so another process takes over at once."""
        ...

    async def delete(self, job_id: str, *, lease: Lease | None = None) -> None:
        """Remove the job and its history (only refusals before anything was sent do this). With `lease`, only
        while that lease is held (else StaleWrite). Deleting a missing job does nothing."""
        ...

    async def history(self, job_id: str) -> builtins.list[StatusChange]:
        """Every change of the job's status, oldest first (the first row is its creation)."""
        ...

    async def close(self) -> None:
        """Release the store's connections. Leases held stay until they expire (release them first)."""
        ...


def __getattr__(name: str) -> Any:
    # `from avatar_mcp.jobs.store import SqliteJobStore` keeps working without importing sqlite3 here.
    if name == "SqliteJobStore":
        from avatar_mcp.jobs.sqlite import SqliteJobStore

        return SqliteJobStore
    raise AttributeError(name)
