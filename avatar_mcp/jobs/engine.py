"""The work on jobs, each step done by the process holding the job's lease (jobs/lifecycle.py has the table).

A poller round reads the due jobs, claims as many as this process can take (batched per vendor for polls,
up to the free slots for other work) and does the step each state calls for: poll a vendor job, reconcile one a
crash left in `submitting`, download a `finishing` job's outputs, render a local job. Polls run in the round;
everything slow runs in the work pool (jobs/work.py), off the poller's loop. Each result is written in one fenced
transaction that also releases the lease (or keeps it for the next step), so any process can do the next step.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import anyio
import anyio.to_thread

from avatar_mcp.config import Settings
from avatar_mcp.errors import AvatarError, JobNotFound, NotFound, RateLimited
from avatar_mcp.jobs import lifecycle, workspace
from avatar_mcp.jobs.dispatch import is_first_claim
from avatar_mcp.jobs.events import JobEvents
from avatar_mcp.jobs.finisher import Finisher
from avatar_mcp.jobs.leases import LeaseKeeper
from avatar_mcp.jobs.schedule import next_poll_delay
from avatar_mcp.jobs.store import JobStore, Lease, StaleWrite
from avatar_mcp.jobs.work import SLOTS, THREADED, Kind, Work, WorkPool
from avatar_mcp.models import JobError, JobRecord, utcnow
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import JobUpdate, Provider
from avatar_mcp.providers.local.tasks import RunsLocally
from avatar_mcp.providers.selection import ProviderSet

logger = logging.getLogger(__name__)

POLL_CONCURRENCY = 4
"""Status requests in flight at once per vendor, when it has no batch endpoint."""
DUE_BATCH = 100
"""Jobs looked at per poller round (per vendor, batched status requests take up to this many)."""
ERROR_BACKOFF_SECONDS = 30.0
POLLABLE = frozenset({"queued", "processing"})
ALL_STATES = lifecycle.OPEN | lifecycle.TERMINAL
AVATAR_KINDS = ("avatar", "training")
INTERRUPTED_ADVICE = (
    "This submission may or may not have reached {provider}, and {provider} cannot be asked whether it received "
    "it. It was NOT resubmitted, so nothing is paid twice. Check your {provider} dashboard or list_jobs; if the "
    "job is not there, submit it again."
)


class JobEngine:
    def __init__(self, settings: Settings, store: JobStore, providers: ProviderSet, http: SharedHTTP, *, owner: str,
                 events: JobEvents, callback_url: Callable[[Provider], str | None],
                 on_finished: Callable[[JobRecord], None]) -> None:
        self.settings = settings
        self.store = store
        self.providers = providers
        self.owner = owner
        self.ttl = settings.lease_seconds
        self.events = events
        self.callback_url = callback_url
        self.on_finished = on_finished
        self.keeper = LeaseKeeper(store, owner, self.ttl)
        self.pool = WorkPool(self.keeper, {**SLOTS, "render": settings.render_concurrency})
        self.finisher = Finisher(self, http)
        self.scheduler: Callable[[JobRecord], Awaitable[Any]] | None = None
        """With workers (jobs/queue.py): defers a job's next step whenever its lease is released while it is open."""
        self.send_stored: Callable[[JobRecord], Awaitable[JobRecord]] | None = None
        """Sends a queued submission on its first claim (jobs/dispatch.py); set by the service."""

    # ------------------------------------------------------------------------------------------ writes
    async def commit(self, lease: Lease, *, status: str | None = None, release: bool = False,
                     expect: Sequence[str] | frozenset[str] | None = None, **changes: Any) -> JobRecord:
        """One fenced write of work done under `lease` (and, with `status`, a transition of the lifecycle table)."""
        if status is not None:
            changes["status"] = status
            expect = expect if expect is not None else lifecycle.sources_of(status)
        job = await self.store.update(lease.job_id, lease=lease, expect=expect, release=release, **changes)
        if release:
            self.keeper.forget(lease.job_id)
        await self.events.changed(job)
        if release and job.is_open:
            await self.schedule(job)
        return job

    async def schedule(self, job: JobRecord) -> None:
        """Defer the open job's next step on the queue (with workers; the poller finds it otherwise). A failed
        deferral is logged: the queue's periodic rescue defers any due job that has no step waiting."""
        if self.scheduler is None:
            return
        try:
            await self.scheduler(job)
        except Exception:
            logger.exception("could not defer the next step of %s; the rescue task will", job.id)

    async def renew(self, lease: Lease) -> None:
        """Make sure the lease is still ours right before an irreversible step (moving files into place)."""
        if lease.job_id not in await self.store.renew([lease], self.ttl):
            raise StaleWrite(lease.job_id, "the lease was lost before the results were moved into place")

    async def guard(self, job_id: str, step: Awaitable[Any]) -> None:
        """Run one step of work on a job; a lost lease or a crash of the step is logged, not raised. After a crash
        the job waits ERROR_BACKOFF_SECONDS before any process tries it again (a bug must not spin a poller)."""
        try:
            await step
        except StaleWrite as exc:
            logger.info("dropped the work on %s: %s", job_id, exc.reason)
        except Exception:
            logger.exception("working on job %s failed", job_id)
            lease = self.keeper.lease(job_id)
            if lease is not None:
                with contextlib.suppress(StaleWrite):
                    await self.commit(lease, release=True,
                                      next_poll_at=utcnow() + timedelta(seconds=ERROR_BACKOFF_SECONDS))

    # ------------------------------------------------------------------------------------------ rounds
    async def poll_due(self, *, wait: bool = True) -> int:
        """One round: claim what is due and this process can take, and start or do its step. With `wait`, return
        only when the steps are done (renders and preparations excepted: they keep running in the pool)."""
        served = [name for name, entry in self.providers.entries.items() if entry.provider is not None]
        due = await self.store.due(DUE_BATCH, providers=served)
        polls: dict[str, list[JobRecord]] = {}
        wanted: dict[Kind, list[JobRecord]] = {}
        for job in due:
            entry = self.providers.entries.get(job.provider)
            if entry is None or entry.provider is None:
                continue
            if job.status == "submitting":
                wanted.setdefault("reconcile", []).append(job)
            elif job.status == "finishing":
                wanted.setdefault("download", []).append(job)
            elif isinstance(entry.provider, RunsLocally):
                wanted.setdefault(entry.provider.pool_for(job.operation), []).append(job)
            else:
                polls.setdefault(job.provider, []).append(job)
        started: list[Work] = []
        for kind, jobs in wanted.items():
            free = self.pool.free(kind)
            if free > 0:
                statuses = {"reconcile": {"submitting"}, "download": {"finishing"}}.get(kind, POLLABLE)
                for job in await self.store.claim([j.id for j in jobs[:free]], self.owner, self.ttl,
                                                  statuses=statuses):
                    started.append(self.start(kind, job))
        async with anyio.create_task_group() as tg:
            for name, jobs in polls.items():
                tg.start_soon(self.poll_group, self.providers.entries[name].provider, jobs)
        if wait:
            for work in started:
                if work.kind not in THREADED:
                    await work.done.wait()
        return len(due)

    def start(self, kind: Kind, job: JobRecord) -> Work:
        """Hand a leased job to the work pool for the step its state calls for."""
        finisher = self.finisher
        if kind == "reconcile":
            return self.pool.start(kind, job, lambda work: self.guard(job.id, self.reconcile(job, inline=False)))
        if kind == "download":
            return self.pool.start(kind, job, lambda work: self.guard(job.id, finisher.download(job, work.lease)))
        return self.pool.start(kind, job, lambda work: self.guard(job.id, finisher.render(job, work)))

    async def poll_group(self, provider: Provider | None, jobs: Sequence[JobRecord]) -> None:
        """Poll one vendor's due jobs: claim their leases first (a batch status request covers only jobs this
        process holds), ask, write each answer and release."""
        assert provider is not None
        claimed = await self.store.claim([j.id for j in jobs], self.owner, self.ttl, statuses=POLLABLE)
        for job in claimed:
            self.keeper.hold(job)
        try:
            if provider.capabilities.batch_status and len(claimed) > 1:
                try:
                    updates = await provider.get_jobs(claimed)
                except AvatarError as exc:
                    for job in claimed:
                        await self.guard(job.id, self.poll_failed(job, exc))
                    return
                for job in claimed:
                    update = updates.get(job.id)
                    await self.guard(job.id, self.apply(job, update) if update else self.poll_failed(job, None))
                return
            limiter = anyio.CapacityLimiter(POLL_CONCURRENCY)

            async def one(job: JobRecord) -> None:
                async with limiter:
                    await self.guard(job.id, self.poll_one(provider, job, inline=False))

            async with anyio.create_task_group() as tg:
                for job in claimed:
                    tg.start_soon(one, job)
        finally:
            await self._release_unless_working(claimed)

    async def _release_unless_working(self, jobs: Sequence[JobRecord]) -> None:
        leftover = []
        for job in jobs:
            lease = self.keeper.lease(job.id)
            if lease is not None and self.pool.running(job.id) is None:
                leftover.append(lease)
                self.keeper.forget(job.id)
        if leftover:
            with anyio.CancelScope(shield=True):
                await self.store.release(leftover)

    # ------------------------------------------------------------------------------------------ steps
    async def poll_one(self, provider: Provider, job: JobRecord, *, inline: bool) -> JobRecord:
        try:
            update = await provider.get_job(job)
        except AvatarError as exc:
            return await self.poll_failed(job, exc)
        return await self.apply(job, update, inline=inline)

    async def poll_failed(self, job: JobRecord, exc: AvatarError | None) -> JobRecord:
        """A status request failed (or a batch left the job out): keep it open and try later, unless the vendor
        lost the job, or the work is local (its errors do not go away by waiting)."""
        lease = Lease.of(job)
        if isinstance(exc, NotFound) and job.poll_count >= 2:
            return await self.apply(job, JobUpdate(status="failed", error=JobError(
                code=exc.code, message=f"{exc} The vendor no longer knows this job.")))
        if exc is not None and isinstance(self.providers.for_job(job), RunsLocally):
            return await self.apply(job, JobUpdate(status="failed", message=str(exc), error=JobError(
                code=exc.code, message=str(exc), retryable=exc.retryable)))
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        if exc is not None:
            logger.info("status of %s failed: %s", job.id, exc)
        return await self.commit(lease, release=True, next_poll_at=self.next_poll(job, retry_after))

    async def apply(self, job: JobRecord, update: JobUpdate, *, inline: bool = False) -> JobRecord:
        """Write what a status request (or a reconciliation) found, as one transition of the table."""
        lease = Lease.of(job)
        changes: dict[str, Any] = {"poll_count": job.poll_count + 1}
        if update.vendor_id is not None:
            changes["vendor_id"] = update.vendor_id
        if update.progress is not None:
            changes["progress"] = max(0.0, min(1.0, update.progress))
        if update.message is not None:
            changes["message"] = update.message
        if update.error is not None:
            changes["error"] = update.error
        if update.vendor_state is not None:
            changes["vendor_state"] = {**job.vendor_state, **update.vendor_state}
        if not lifecycle.allowed(job.status, update.status):
            logger.warning("job %s: %s reported %s, which cannot follow %s; asking again later", job.id,
                           job.provider, update.status, job.status)
            return await self.poll_failed(job, None)
        if update.status == "succeeded":
            finisher = self.finisher
            return await finisher.vendor_done(job, update.result, changes, inline=inline)
        if update.result is not None:
            changes["result"] = update.result
        if update.status in POLLABLE:
            local = isinstance(self.providers.for_job(job), RunsLocally)
            # A local job is due at once: whichever process has a free slot renders it.
            changes["next_poll_at"] = utcnow() if local else self.next_poll(job, update.retry_after,
                                                                              update.poll_after)
            return await self.commit(lease, status=update.status, release=True, **changes)
        return await self.commit(lease, status=update.status, release=True, next_poll_at=None, **changes)

    def next_poll(self, job: JobRecord, retry_after: float | None, poll_after: float | None = None) -> datetime:
        now = utcnow()
        if poll_after is not None and retry_after is None:
            delay = poll_after
        else:
            provider = self.providers.for_job(job)
            delay = next_poll_delay(elapsed=(now - job.created_at).total_seconds(), expected=job.expected_seconds,
                                    poll_count=job.poll_count, progress=job.progress or None,
                                    retry_after=retry_after, webhooks=self.callback_url(provider) is not None)
        return now + timedelta(seconds=delay)

    async def reconcile(self, job: JobRecord, *, inline: bool) -> JobRecord:
        """A job in `submitting` whose submitter is gone: recover it safely (replay it with its request key, or find
        it at the vendor) or mark it unknown."""
        if is_first_claim(job) and self.send_stored is not None:
            return await self.send_stored(job)  # queued by a replica, never leased before: nothing was sent
        provider = self.providers.for_job(job)
        if not (provider.capabilities.idempotent_create or provider.capabilities.findable_create):
            return await self.unknown(Lease.of(job), Exception("Submission interrupted."))
        try:
            update = await provider.reconcile(job)
        except AvatarError as exc:
            return await self.poll_failed(job, exc)
        if update is None:
            return await self.unknown(Lease.of(job), Exception("Submission interrupted."))
        return await self.apply(job, update, inline=inline)

    async def unknown(self, lease: Lease, exc: Exception) -> JobRecord:
        job = await self.store.get(lease.job_id)
        advice = INTERRUPTED_ADVICE.format(provider=job.provider)
        return await self.commit(lease, status="unknown", release=True, message=f"{exc} {advice}", next_poll_at=None,
                                 error=JobError(code="submission_unknown", message=advice, retryable=False))

    # ------------------------------------------------------------------------------------------ on demand
    async def refresh(self, job_id: str, *, force: bool = False) -> JobRecord:
        """Do the due step of an open job now, here, if no process is working on it (`force`: even if its time has
        not come). Returns the job as stored afterwards; a render started here keeps running in the pool."""
        job = await self.store.get(job_id)
        if not job.is_open:
            return job
        running = self.pool.running(job_id)
        if running is not None:
            if running.kind not in THREADED:
                await running.done.wait()
            return await self.store.get(job_id)
        claimed = await self.store.claim([job_id], self.owner, self.ttl, due_only=not force)
        if not claimed:
            return job
        job = claimed[0]
        self.keeper.hold(job)
        try:
            await self.guard(job.id, self._step(job))
        finally:
            await self._release_unless_working([job])
        return await self.store.get(job_id)

    async def _step(self, job: JobRecord) -> None:
        provider = self.providers.for_job(job)
        finisher = self.finisher
        if job.status == "submitting":
            await self.reconcile(job, inline=True)
        elif job.status == "finishing":
            await finisher.download(job, Lease.of(job))
        elif isinstance(provider, RunsLocally):
            kind = provider.pool_for(job.operation)
            # A render waits for a free slot here too: a check_job on each queued job must not start them all.
            if self.pool.free(kind) > 0:
                self.start(kind, job)
        else:
            await self.poll_one(provider, job, inline=True)

    async def nudge(self, job: JobRecord) -> None:
        """Make an open vendor job due now (a webhook said it changed while another process held it)."""
        if job.status in POLLABLE:
            with contextlib.suppress(StaleWrite):
                nudged = await self.store.update(job.id, expect=POLLABLE, next_poll_at=utcnow())
                await self.events.changed(nudged)
                await self.schedule(nudged)

    async def sweep(self, min_age: float | None = None) -> int:
        """Remove attempt folders that nobody works on any more (their process died mid-work), untouched for
        `min_age` seconds (a lease's lifetime by default); returns how many. Like any work on a job, this is done
        only while holding the job's lease: a folder whose job a live process holds is never touched."""
        age = self.ttl if min_age is None else min_age
        found = await anyio.to_thread.run_sync(lambda: list(workspace.attempts(self.settings.media_dir, age)))
        removed = 0
        for job_id in dict.fromkeys(job_id for job_id, _ in found):
            folders = [folder for jid, folder in found if jid == job_id]
            if self.pool.running(job_id) is not None or self.keeper.lease(job_id) is not None:
                continue
            try:
                await self.store.get(job_id)
            except JobNotFound:
                claimed = None  # a job that never existed (a refusal): nobody can hold it
            else:
                taken = await self.store.claim([job_id], self.owner, self.ttl, statuses=ALL_STATES, due_only=False)
                if not taken:
                    continue
                claimed = Lease.of(taken[0])
            try:
                for folder in folders:
                    await anyio.to_thread.run_sync(workspace.discard, folder)
                    removed += 1
            finally:
                if claimed is not None:
                    await self.store.release([claimed])
        if removed:
            logger.info("swept %d abandoned attempt folder(s)", removed)
        return removed
