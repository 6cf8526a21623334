"""Leased work that runs in the background of this process, off the poller's loop, with bounded concurrency.

Kinds and their slots: `render` 1 and `prep` 1 (local studio work, in worker threads: the machine's cores are
the limit), `download` 2 (finished media of `finishing` jobs), `reconcile` 2 (jobs a crash left in
`submitting`). The poller claims only as many jobs of a kind as there are free slots, so a busy process leaves
the rest to other processes. Each piece of work holds its job's lease (renewed by the LeaseKeeper) until it
ends; it stops when the lease is lost, the job is canceled, or the server shuts down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import anyio
import anyio.abc

from avatar_mcp.jobs.leases import LeaseKeeper
from avatar_mcp.jobs.store import Lease
from avatar_mcp.models import JobRecord

logger = logging.getLogger(__name__)

Kind = Literal["render", "prep", "download", "reconcile"]
SLOTS: Mapping[Kind, int] = {"render": 1, "prep": 1, "download": 2, "reconcile": 2}
THREADED: frozenset[Kind] = frozenset({"render", "prep"})
"""Work whose body runs in a worker thread: it is stopped by its flag, not cancelled mid-call."""
Reason = Literal["lost", "canceled", "shutdown"]


@dataclass(eq=False)
class Work:
    job_id: str
    kind: Kind
    lease: Lease
    stop: threading.Event = field(default_factory=threading.Event)
    reason: Reason | None = None
    done: anyio.Event = field(default_factory=anyio.Event)
    scope: anyio.CancelScope | None = None

    def halt(self, reason: Reason) -> None:
        """Ask the work to stop: threads see `stop`; async work is cancelled."""
        if self.reason is None:
            self.reason = reason
        self.stop.set()
        if self.scope is not None and self.kind not in THREADED:
            self.scope.cancel()


Body = Callable[[Work], Awaitable[None]]


class WorkPool:
    def __init__(self, keeper: LeaseKeeper, slots: Mapping[Kind, int] = SLOTS) -> None:
        self.keeper = keeper
        self.slots = dict(slots)
        self._running: dict[str, Work] = {}
        self._tg: anyio.abc.TaskGroup | None = None

    def free(self, kind: Kind) -> int:
        return self.slots[kind] - sum(1 for w in self._running.values() if w.kind == kind)

    def running(self, job_id: str) -> Work | None:
        return self._running.get(job_id)

    def start(self, kind: Kind, job: JobRecord, body: Body) -> Work:
        """Run `body` for `job` (leased to this process, as `claim` returned it) in the background. The lease now
        belongs to the work: it is renewed while the work runs and forgotten when it ends."""
        if self._tg is None:
            raise RuntimeError("the work pool is not running")
        if job.id in self._running:
            raise RuntimeError(f"job {job.id} is already being worked on here")
        work = Work(job.id, kind, self.keeper.hold(job))
        self.keeper.on_lost(job.id, lambda: work.halt("lost"))
        self._running[job.id] = work
        self._tg.start_soon(self._run, work, body)
        return work

    async def _run(self, work: Work, body: Body) -> None:
        try:
            with anyio.CancelScope() as scope:
                work.scope = scope
                if work.reason is not None:
                    scope.cancel()
                await body(work)
        except Exception:
            logger.exception("%s work on job %s failed", work.kind, work.job_id)
        finally:
            self._running.pop(work.job_id, None)
            if work.reason != "shutdown":  # at shutdown the keeper releases what is still held, all at once
                self.keeper.forget(work.job_id)
            work.done.set()

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Host the work until cancelled."""
        async with anyio.create_task_group() as tg:
            self._tg = tg
            task_status.started()
            await anyio.sleep_forever()

    async def stop_all(self, grace: float = 10.0) -> None:
        """Stop every piece of work (server shutdown) and wait for it, at most `grace` seconds."""
        works = list(self._running.values())
        for work in works:
            work.halt("shutdown")
        with anyio.move_on_after(grace):
            for work in works:
                await work.done.wait()
