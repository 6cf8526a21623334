"""Work distribution (AVATAR_MCP_WORK=workers): each step of a job is a task on procrastinate's queue, in the same
PostgreSQL database as the jobs, run by `avatar-mcp worker` processes.

Why procrastinate: it is a queue made for PostgreSQL and asyncio (psycopg 3 underneath, as the job store), so
no broker is added to run; tasks can be deferred for a time (`schedule_at`), a `queueing_lock` keeps at most one
task waiting per job, and periodic tasks are deferred once for the whole cluster, not once per worker.

The queue is the distribution; leases stay the correctness guarantee. A step task claims the job's lease before
working and does nothing if another process holds it, so a duplicated or early task is harmless. Every write that
releases a lease of an open job defers that job's next step for its next_poll_at (one waiting task per job, so N
replicas never poll one job N times); a periodic rescue task (every RESCUE_SECONDS, once in the cluster) defers a
step for any job that is due and unleased without one (its worker died, or a deferral was lost in a crash).

Queues: `renders` for local renders (a worker runs AVATAR_MCP_RENDER_CONCURRENCY at once), `jobs` for the rest:
submissions, polls, downloads, reconciliations (AVATAR_MCP_WORKER_CONCURRENCY at once).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued

from avatar_mcp.jobs.postgres import connection_kwargs
from avatar_mcp.models import JobRecord, utcnow

logger = logging.getLogger(__name__)

STEP_TASK = "avatar.step"
RESCUE_TASK = "avatar.rescue"
RENDERS, JOBS = "renders", "jobs"
RESCUE_SECONDS = 5
RESCUE_BATCH = 500
Runner = Callable[[str], Awaitable[None]]
"""What a worker does for one step of a job (worker.py: JobWorker.step)."""
Rescuer = Callable[[], Awaitable[int]]


def lock_of(job_id: str) -> str:
    return f"avatar-job:{job_id}"


class WorkQueue:
    """The procrastinate app on the job store's database: defers steps (replicas and workers) and runs them
    (workers, with `runner`/`rescuer` in the context)."""

    def __init__(self, url: str, schema: str | None, *, is_local: Callable[[JobRecord], bool]) -> None:
        self.is_local = is_local
        connector = PsycopgConnector(conninfo=url, kwargs=connection_kwargs(schema), min_size=1, max_size=4,
                                     name="avatar-mcp-queue")
        self.app = App(connector=connector)
        self._register()

    def _register(self) -> None:
        @self.app.task(name=STEP_TASK, pass_context=True)
        async def step(context: JobContext, job_id: str) -> None:
            runner: Runner = context.additional_context["runner"]
            await runner(job_id)

        @self.app.periodic(cron=f"*/{RESCUE_SECONDS} * * * * *", periodic_id="rescue")
        @self.app.task(name=RESCUE_TASK, pass_context=True, queue=JOBS, queueing_lock="avatar-rescue")
        async def rescue(context: JobContext, timestamp: int) -> None:
            rescuer: Rescuer = context.additional_context["rescuer"]
            deferred = await rescuer()
            if deferred:
                logger.info("rescue: deferred %d due job(s) that had no step waiting", deferred)

        self._step = step

    async def open(self) -> None:
        await self.app.open_async()

    async def close(self) -> None:
        await self.app.close_async()

    def queue_for(self, job: JobRecord) -> str:
        return RENDERS if self.is_local(job) and job.status in ("queued", "processing") else JOBS

    async def schedule(self, job: JobRecord, at: datetime | None = None) -> bool:
        """Defer the job's next step for `at` (default: its next_poll_at, or now). With a step already waiting for
        the job, a later one is moved earlier; returns whether a task was deferred."""
        now = utcnow()
        when = max(at or job.next_poll_at or now, now)
        lock = lock_of(job.id)
        # A step due now is deferred unscheduled: the workers hear of it at once (LISTEN/NOTIFY); a later one is
        # picked up by the workers' fetch loop, every `tick` seconds.
        deferrer = self._step.configure(queue=self.queue_for(job), queueing_lock=lock,
                                        schedule_at=when if when > now + timedelta(seconds=0.05) else None)
        try:
            await deferrer.defer_async(job_id=job.id)
            return True
        except AlreadyEnqueued:
            pass
        manager = self.app.job_manager
        for waiting in await manager.list_jobs_async(queueing_lock=lock, status="todo"):
            scheduled = waiting.scheduled_at
            later = scheduled is not None and scheduled > when + timedelta(seconds=0.5)
            # Sooner than planned (a webhook said it changed): replace the waiting task.
            if later and waiting.id is not None and await manager.cancel_job_by_id_async(waiting.id, delete_job=True):
                try:
                    await deferrer.defer_async(job_id=job.id)
                    return True
                except AlreadyEnqueued:
                    return False
        return False

    async def run(self, *, runner: Runner, rescuer: Rescuer, name: str, concurrency: int,
                  render_concurrency: int, tick: float = 1.0) -> None:
        """Work on both queues until cancelled: `jobs` with `concurrency` tasks at once, `renders` with
        `render_concurrency` (each render takes a core). Steps deferred for a later time are looked for every
        `tick` seconds (AVATAR_MCP_POLL_TICK, the embedded poller's tick), steps due now at once."""
        import anyio

        context: dict[str, Any] = {"runner": runner, "rescuer": rescuer}
        common: dict[str, Any] = {"additional_context": context, "install_signal_handlers": False,
                                  "shutdown_graceful_timeout": 10.0, "delete_jobs": "successful",
                                  "fetch_job_polling_interval": tick}
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: self.app.run_worker_async(queues=[JOBS], concurrency=concurrency,
                                                            name=f"{name}-jobs", **common))
            tg.start_soon(lambda: self.app.run_worker_async(queues=[RENDERS], concurrency=render_concurrency,
                                                            name=f"{name}-renders", **common))
