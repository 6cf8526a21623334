"""This process's leases: who it is, and the heartbeat that keeps its leases alive while it works.

A lease lives `ttl` seconds (AVATAR_MCP_LEASE_SECONDS, 12 by default) and is renewed every third of that, in one
transaction for all the leases the process holds. A live process's lease therefore never expires; a dead one's
expires at most `ttl` seconds after its last renewal, and then any live process may take the job over. When a
renewal finds a lease gone (the job was canceled, or the process was so stalled that another took it over), the
work holding it is told to stop at once, and whatever it would still write is refused by the store anyway.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio

from avatar_mcp.jobs.store import JobStore, Lease
from avatar_mcp.models import JobRecord

logger = logging.getLogger(__name__)


def new_owner_id() -> str:
    """host:pid:random: unique per process, and readable in the job store when looking for who works on what."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class Held:
    lease: Lease
    on_lost: list[Callable[[], None]] = field(default_factory=list)


class LeaseKeeper:
    def __init__(self, store: JobStore, owner: str, ttl: float) -> None:
        self.store = store
        self.owner = owner
        self.ttl = ttl
        self.renew_every = ttl / 3
        self._held: dict[str, Held] = {}

    def hold(self, job: JobRecord, on_lost: Callable[[], None] | None = None) -> Lease:
        """Keep renewing the lease `job` carries (as `claim` or `create` returned it) until `forget`."""
        lease = Lease.of(job)
        if lease.owner != self.owner:
            raise ValueError(f"job {job.id} is leased to {lease.owner}, not to this process")
        held = self._held.setdefault(job.id, Held(lease))
        held.lease = lease
        if on_lost is not None:
            held.on_lost.append(on_lost)
        return lease

    def on_lost(self, job_id: str, callback: Callable[[], None]) -> None:
        held = self._held.get(job_id)
        if held is not None:
            held.on_lost.append(callback)

    def forget(self, job_id: str) -> None:
        self._held.pop(job_id, None)

    def lease(self, job_id: str) -> Lease | None:
        held = self._held.get(job_id)
        return held.lease if held is not None else None

    @property
    def leases(self) -> list[Lease]:
        return [h.lease for h in self._held.values()]

    async def renew(self) -> set[str]:
        """Renew every lease held now; tell the work of each lost one to stop. Returns the lost job ids."""
        held = dict(self._held)
        if not held:
            return set()
        kept = await self.store.renew([h.lease for h in held.values()], self.ttl)
        lost = set()
        for job_id, entry in held.items():
            if job_id in kept or self._held.get(job_id) is not entry:
                continue  # renewed, or released and forgotten while the renewal ran
            lost.add(job_id)
            self._held.pop(job_id, None)
            logger.warning("lost the lease of job %s (canceled, or taken over); its work here stops", job_id)
            for callback in entry.on_lost:
                callback()
        return lost

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Renew until cancelled."""
        task_status.started()
        while True:
            await anyio.sleep(self.renew_every)
            try:
                await self.renew()
            except Exception:
                # A failed renewal (a locked database, say) is retried next time; the lease lasts 3 renewals.
                logger.exception("renewing leases failed")

    async def release_all(self) -> None:
        """End every lease still held (at shutdown), so other processes take the jobs over at once."""
        leases = self.leases
        self._held.clear()
        if leases:
            released = await self.store.release(leases)
            logger.info("released %d lease(s) at shutdown", len(released))
