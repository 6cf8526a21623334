"""`avatar-mcp worker`: a process that runs the steps of jobs from the queue (jobs/queue.py), and nothing else.

A step is what the poller of an embedded server does for one job, done here for the job the task names: claim its
lease (nothing happens if another process holds it), then submit it, poll it (with the other due jobs of the same
vendor when the vendor has a batched status request), download its outputs or render it, and wait until that work
is over, so a worker never holds more work than its queues' concurrency. Each step's last write defers the next.
Besides the steps, a worker sweeps the attempt folders dead processes left (there is no poller in a cluster).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import anyio

from avatar_mcp.errors import AvatarError, JobNotFound
from avatar_mcp.jobs.engine import DUE_BATCH, POLLABLE
from avatar_mcp.jobs.poller import SWEEP_SECONDS
from avatar_mcp.jobs.queue import RESCUE_BATCH
from avatar_mcp.models import utcnow
from avatar_mcp.providers.local.tasks import RunsLocally

if TYPE_CHECKING:
    from avatar_mcp.config import Settings
    from avatar_mcp.runtime import ProviderFactory
    from avatar_mcp.service import AvatarService

logger = logging.getLogger(__name__)

EARLY_SECONDS = 0.5
"""A step that comes this much before the job's time defers itself again instead of working."""


class JobWorker:
    def __init__(self, service: AvatarService) -> None:
        assert service.queue is not None, "a worker needs the work queue (AVATAR_MCP_WORK=workers)"
        self.service = service
        self.queue = service.queue
        self.steps = 0

    async def step(self, job_id: str) -> None:
        """One step of one job, if it is due and nobody else holds it."""
        service, engine = self.service, self.service.engine
        try:
            job = await service.store.get(job_id)
        except JobNotFound:
            return
        if not job.is_open:
            return
        if job.next_poll_at is not None and job.next_poll_at > utcnow() + timedelta(seconds=EARLY_SECONDS):
            if job.lease_owner is None:
                await self.queue.schedule(job)  # its time moved later since this step was deferred
            return
        self.steps += 1
        entry = service.providers.entries.get(job.provider)
        provider = entry.provider if entry is not None else None
        if provider is None:
            logger.warning("job %s belongs to %s, which is not configured on this worker", job.id, job.provider)
            return
        if job.status in POLLABLE and not isinstance(provider, RunsLocally) and provider.capabilities.batch_status:
            others = [j for j in await service.store.due(DUE_BATCH, statuses=POLLABLE)
                      if j.provider == job.provider and j.id != job.id]
            await engine.poll_group(provider, [job, *others])
        else:
            await engine.refresh(job_id)
        running = engine.pool.running(job_id)
        if running is not None:  # a render or download this step started: the task lasts as long as the work
            await running.done.wait()

    async def sweep(self) -> None:
        """Now and every SWEEP_SECONDS: remove attempt folders nobody works on (as an embedded server's poller does;
        a cluster has no poller). Each folder is removed under its job's lease, so workers may sweep side by side."""
        while True:
            try:
                await self.service.engine.sweep()
            except Exception:
                logger.exception("sweeping abandoned attempt folders failed")
            await anyio.sleep(SWEEP_SECONDS)

    async def rescue(self) -> int:
        """Defer a step for every due, unleased job (a dead worker's, or one whose deferral was lost)."""
        deferred = 0
        for job in await self.service.store.due(RESCUE_BATCH):
            try:
                deferred += int(await self.queue.schedule(job, at=utcnow()))
            except AvatarError:
                logger.exception("rescue could not defer %s", job.id)
        return deferred


async def run_worker(settings: Settings, *, provider_factory: ProviderFactory | None = None,
                     signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM)) -> None:
    """Open the service in worker mode and work until SIGINT/SIGTERM; then stop taking tasks, stop the work in
    progress and release its leases (another worker takes those jobs over at once)."""
    from avatar_mcp.runtime import open_service

    async with open_service(settings, provider_factory, poll=False) as service:
        worker = JobWorker(service)
        assert service.queue is not None
        async with anyio.create_task_group() as tg:

            async def stop_on_signal() -> None:
                with anyio.open_signal_receiver(*signals) as received:
                    async for number in received:
                        logger.info("worker: signal %d, stopping", number)
                        tg.cancel_scope.cancel()
                        return

            tg.start_soon(stop_on_signal)
            tg.start_soon(worker.sweep)
            logger.info("worker %s: taking job steps (%d at once, %d render(s))", service.owner,
                        settings.worker_concurrency, settings.render_concurrency)
            await service.queue.run(runner=worker.step, rescuer=worker.rescue, name=service.owner,
                                    concurrency=settings.worker_concurrency,
                                    render_concurrency=settings.render_concurrency,
                                    tick=settings.poll_interval_seconds)
