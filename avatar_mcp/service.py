"""AvatarService: the one thing tool handlers call.

It picks the provider, writes the job row (leased to this process) BEFORE calling the vendor, submits and records
the vendor's answer; the job engine (jobs/engine.py) does every later step under the job's lease, in whichever
server process claims it. Reads answer from the job store and never wait for work: a waiting check_job re-reads
the job's version. No MCP here: everything is testable without a client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import anyio
from pydantic import BaseModel

from avatar_mcp import operations
from avatar_mcp.config import Settings
from avatar_mcp.errors import AvatarError, InvalidInput, JobNotFound, ProviderConnectionError, ProviderStatusError
from avatar_mcp.jobs import lifecycle
from avatar_mcp.jobs.engine import AVATAR_KINDS, POLLABLE, JobEngine
from avatar_mcp.jobs.events import JobEvents
from avatar_mcp.jobs.leases import new_owner_id
from avatar_mcp.jobs.store import JobStore, Lease, StaleWrite, new_job_id
from avatar_mcp.ledger import Ledger, OneTimeFacts, ThreadedLedger
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import (
    LOCAL_PRINCIPAL,
    OPEN_STATUSES,
    CatalogQuery,
    JobDetail,
    JobError,
    JobHandle,
    JobRecord,
    utcnow,
)
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.planning import Plan, Planner, check_job_id
from avatar_mcp.providers.base import AssetMemo, ProgressFn, Provider, Submission, SubmitContext
from avatar_mcp.providers.local.tasks import RunsLocally
from avatar_mcp.providers.selection import ProviderSet
from avatar_mcp.providers.spec import ProviderEntry

if TYPE_CHECKING:
    from avatar_mcp.jobs.queue import WorkQueue

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[JobRecord], Awaitable[None]]


MAX_WAIT_SECONDS = 600.0
CATALOGUE_TTL_SECONDS = 60.0
WAIT_SLICE_SECONDS = 2.0
"""How often a waiting check_job sends a progress notification even when nothing changed."""
VERSION_POLL_SECONDS = 0.25
"""How often a waiting check_job re-reads the job's version, to see changes made by other processes."""
RETRY_SUBMIT_SECONDS = 5.0
UNSTOPPABLE = {
    "submitting": "the request is still being sent to {provider}, and its answer must be recorded first (it may "
                  "already be paid for). Call check_job until it is queued or processing, then cancel_job again.",
    "finishing": "{provider} has finished the job (and charged for it); only the download of its files is left. "
                 "Call check_job to get them.",
}
"""What cancel_job answers for the open states it must not stop (lifecycle.CANCELABLE has the others)."""
AVATAR_SCAN = 1000
"""Avatar jobs looked at when hiding other principals' avatars from a listing."""


class AvatarService:
    def __init__(self, settings: Settings, store: JobStore, providers: Sequence[ProviderEntry],
                 http: SharedHTTP, media: MediaPolicy, *, owner: str | None = None,
                 ledger: OneTimeFacts | None = None) -> None:
        self.settings = settings
        self.store = store
        self.ledger: OneTimeFacts = ledger or ThreadedLedger(Ledger(settings.data_dir))
        """Webhook deliveries seen and spending confirmation codes, shared by every process on this store."""
        self.providers = ProviderSet(providers, settings.default_provider)
        self.entries = self.providers.entries
        self.http = http
        self.media = media
        self.owner = owner or new_owner_id()
        self.events = JobEvents()
        self.engine = JobEngine(settings, store, self.providers, http, owner=self.owner, events=self.events,
                                callback_url=self._callback_url, on_finished=self._finished)
        self.engine.send_stored = self.send_stored
        self.queue: WorkQueue | None = None
        """With AVATAR_MCP_WORK=workers: where each step of a job goes (runtime.py sets it)."""
        self._catalogues: dict[tuple[str, str, str], tuple[float, list[Any]]] = {}
        self.planner = Planner(self)

    async def plan(self, operation: str, request: Mapping[str, Any], provider: str | None = None, *,
                   principal: str = LOCAL_PRINCIPAL) -> Plan:
        """What submitting `request` (tool arguments, None meaning absent) for `principal` would take: the provider,
        what is still missing, the cost. Refuses at once what can never work (unknown provider, unusable local
        media, another principal's generation job)."""
        return await self.planner.plan(operation, request, provider, principal=principal)

    # ------------------------------------------------------------------------------------------ catalogue

    async def catalogue(self, provider: Provider, kind: Literal["voices", "avatars"],
                        query: CatalogQuery) -> list[Any]:
        """A provider's voices or avatars, remembered briefly: one tool call reads them up to three times (the
        checklist's resolver runs on each protocol round, then the body), and vendor listings are paginated."""
        key = (provider.name, kind, query.model_dump_json())
        now = time.monotonic()
        hit = self._catalogues.get(key)
        if hit is not None and now - hit[0] < CATALOGUE_TTL_SECONDS:
            return list(hit[1])
        items = list(await (provider.list_voices(query) if kind == "voices" else provider.list_avatars(query)))
        self._catalogues[key] = (now, items)
        return list(items)

    async def foreign_avatars(self, provider: str, principal: str) -> set[str]:
        """Ids of the avatars another principal made through this server (and `principal` did not): avatars made
        here belong to the principal whose job made them."""
        made = await self.store.list(kind="avatar", provider=provider, statuses=["succeeded"], limit=AVATAR_SCAN)
        made += await self.store.list(kind="training", provider=provider, statuses=["succeeded"], limit=AVATAR_SCAN)
        others = {j.result.avatar_id for j in made if j.principal != principal and j.result is not None}
        mine = {j.result.avatar_id for j in made if j.principal == principal and j.result is not None}
        return {a for a in others - mine if a}

    async def own_avatars(self, provider: str, items: list[Any], principal: str) -> list[Any]:
        """`items` (a provider's avatars) less those another principal made through this server."""
        foreign = await self.foreign_avatars(provider, principal)
        return [i for i in items if getattr(i, "avatar_id", None) not in foreign]

    async def delete_avatar(self, provider: Provider, avatar_id: str, principal: str) -> None:
        """Delete one of `principal`'s avatars at the vendor; another principal's avatar is refused unsent."""
        if avatar_id in await self.foreign_avatars(provider.name, principal):
            raise InvalidInput(f"{avatar_id!r} is not one of your avatars at {provider.name}: list_avatars shows "
                               f"yours. Nothing was deleted.", field="avatar_id")
        await provider.delete_avatar(avatar_id)
        self.forget_avatars(provider.name)

    def forget_avatars(self, provider: str) -> None:
        """An avatar was made or deleted here: the next listing asks the vendor again."""
        self._catalogues = {k: v for k, v in self._catalogues.items() if not (k[0] == provider and k[1] == "avatars")}

    def _finished(self, job: JobRecord) -> None:
        if job.kind in AVATAR_KINDS:
            self.forget_avatars(job.provider)

    # ------------------------------------------------------------------------------------------ submit

    async def submit(self, operation: str, spec: BaseModel, provider: Provider, *,
                     checklist: dict[str, Any] | None = None, generation: JobRecord | None = None,
                     report: ProgressFn | None = None, principal: str = LOCAL_PRINCIPAL) -> JobRecord:
        """Create the job row (leased to this process, so nobody else touches it meanwhile), then call the vendor.

        A refusal before anything was sent (bad input, media, capability) leaves no job behind. A vendor's error
        leaves a failed job. Anything that may have reached the vendor (a lost answer, a crash or a cancelled
        request mid-call) is never forgotten: it is reconciled by its request key where the vendor has one, and
        otherwise becomes `unknown` with advice, so nothing is paid twice or lost.
        """
        op = operations.get(operation)
        request: dict[str, Any] = {"arguments": spec.model_dump(mode="json", exclude_none=True)}
        if checklist:
            request["checklist"] = checklist
        engine = self.engine
        record = JobRecord(id=new_job_id(), kind=op.kind, provider=provider.name, operation=operation, request=request,
                           next_poll_at=utcnow(), principal=principal)
        if self.queue is not None:
            return await self._queue_submission(record, report)
        # Due at once: if this process dies before recording the answer, whoever takes the expired lease
        # reconciles the job.
        job = await self.store.create(record, owner=self.owner, ttl=engine.ttl)
        lease = engine.keeper.hold(job)
        lifecycle.reached("created", job.id)
        return await self._send(job, lease, provider, spec, generation, report)

    async def _send(self, job: JobRecord, lease: Lease, provider: Provider, spec: BaseModel,
                    generation: JobRecord | None, report: ProgressFn | None) -> JobRecord:
        """Call the vendor's create for a job leased here, and record its answer (or what its failure means)."""
        engine = self.engine
        op = operations.get(job.operation)
        ctx = SubmitContext(job_id=job.id, callback_url=self._callback_url(provider),
                            assets=self.store if isinstance(self.store, AssetMemo) else None)
        if report is not None:
            ctx.report = report
        try:
            submission = await op.call(provider, spec, ctx, generation)
        except ProviderConnectionError as exc:
            if exc.request_sent and not provider.capabilities.idempotent_create:
                if provider.capabilities.findable_create:
                    return await self._find_lost(job, provider, exc)
                return await engine.unknown(lease, exc)
            if exc.request_sent:
                # The create is replayable: leave it in `submitting`; a poller reconciles it safely.
                return await engine.commit(lease, release=True, message=f"{exc} Will retry safely with the same "
                                           f"request key.", vendor_state=ctx.vendor_state,
                                           next_poll_at=utcnow() + timedelta(seconds=RETRY_SUBMIT_SECONDS))
            await self._drop(lease, exc)
            raise
        except ProviderStatusError as exc:
            await engine.commit(lease, status="failed", release=True, next_poll_at=None,
                                error=JobError(code=exc.code, message=str(exc), retryable=exc.retryable))
            raise
        except AvatarError as exc:
            await self._drop(lease, exc)
            raise
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await self._interrupted(lease, provider, exc)
            raise
        lifecycle.reached("vendor_accepted", job.id)
        return await self._record(job, lease, submission)

    async def _queue_submission(self, record: JobRecord, report: ProgressFn | None) -> JobRecord:
        from avatar_mcp.jobs import dispatch

        return await dispatch.queue_submission(self, record, report)

    async def send_stored(self, job: JobRecord) -> JobRecord:
        """A worker sends a submission a replica queued (jobs/dispatch.py), under the lease `job` carries."""
        from avatar_mcp.jobs import dispatch

        return await dispatch.send_stored(self, job)

    async def _find_lost(self, job: JobRecord, provider: Provider, exc: ProviderConnectionError) -> JobRecord:
        """A create that may have reached a vendor that cannot replay it: look for it there now (the provider's
        reconcile), still under the creator's lease; `unknown` with advice when it cannot be found."""
        try:
            update = await provider.reconcile(job)
        except AvatarError as error:
            logger.info("looking for %s at %s failed: %s", job.id, provider.name, error)
            update = None
        if update is None:
            return await self.engine.unknown(Lease.of(job), exc)
        return await self.engine.apply(job, update)

    async def _drop(self, lease: Lease, exc: AvatarError | None = None) -> None:
        """Nothing was sent: the job never existed. A queued submission (a worker's) fails instead, so the replica
        waiting for it can tell its caller why."""
        job = await self.store.get(lease.job_id)
        if job.request.get("queued") and exc is not None:
            await self.engine.commit(lease, status="failed", release=True, next_poll_at=None, message=str(exc),
                                     error=JobError(code=exc.code, message=str(exc), retryable=exc.retryable))
            return
        self.engine.keeper.forget(lease.job_id)
        await self.store.delete(lease.job_id, lease=lease)

    async def _interrupted(self, lease: Lease, provider: Provider, exc: BaseException) -> None:
        cancelled = isinstance(exc, anyio.get_cancelled_exc_class())
        try:
            if cancelled and (provider.capabilities.idempotent_create or provider.capabilities.findable_create):
                await self.engine.commit(lease, release=True, next_poll_at=utcnow(), message="The request was "
                                         "cancelled while being submitted; it is being reconciled with the same "
                                         "request key.")
                return
            if not cancelled:
                logger.error("creating %s with %s failed unexpectedly", lease.job_id, provider.name, exc_info=exc)
            await self.engine.unknown(lease, Exception("The submission was interrupted."))
        except StaleWrite:
            # The lease went first (a shutdown released it): the job stays `submitting`, due, and whichever
            # process claims it next reconciles it the same way.
            logger.info("job %s left to be reconciled by the next process", lease.job_id)

    def _callback_url(self, provider: Provider) -> str | None:
        from avatar_mcp.webhooks import callback_path

        if not (self.settings.public_url and provider.capabilities.webhooks):
            return None
        return f"{self.settings.public_url.rstrip('/')}{callback_path(self.settings, provider.name)}"

    async def _record(self, job: JobRecord, lease: Lease, submission: Submission) -> JobRecord:
        """Record the vendor's answer to the create (one transition). A vendor job's lease ends here; a local job
        starts rendering here when a worker slot is free, else any process with one takes it."""
        engine = self.engine
        changes: dict[str, Any] = {
            "vendor_id": submission.vendor_id, "progress": submission.progress, "message": submission.message,
            "vendor_state": submission.vendor_state, "expected_seconds": submission.expected_seconds}
        if submission.status == "succeeded":
            return await engine.finisher.vendor_done(job, submission.result, changes, inline=False)
        if submission.result is not None:
            changes["result"] = submission.result
        if submission.status not in POLLABLE:
            return await engine.commit(lease, status=submission.status, release=True, next_poll_at=None, **changes)
        provider = self.providers.for_job(job)
        if isinstance(provider, RunsLocally):
            work_kind = provider.pool_for(job.operation)
            # With workers, the render is a task of the `renders` queue (the commit below defers it).
            keep = engine.pool.free(work_kind) > 0 and self.queue is None
            job = await engine.commit(lease, status=submission.status, release=not keep, next_poll_at=utcnow(),
                                      **changes)
            if keep:
                engine.keeper.forget(job.id)  # the work holds the lease from here
                engine.start(work_kind, job)
            return job
        planned = job.model_copy(update={"expected_seconds": submission.expected_seconds})
        return await engine.commit(lease, status=submission.status, release=True,
                                   next_poll_at=engine.next_poll(planned, None, submission.poll_after), **changes)

    # ------------------------------------------------------------------------------------------ work

    async def refresh(self, job_id: str, *, force: bool = False) -> JobRecord:
        """Do the due step of an open job now, here (see JobEngine.refresh)."""
        return await self.engine.refresh(job_id, force=force)

    async def poll_due(self) -> int:
        """One poller round, waiting for the steps it started (renders excepted); returns how many jobs were due."""
        return await self.engine.poll_due(wait=True)

    async def on_vendor_event(self, provider: str, vendor_id: str) -> JobRecord | None:
        """A webhook said a job changed: do its step now, or have whoever holds it poll again soon."""
        job = await self.store.find_by_vendor_id(provider, vendor_id)
        if job is None or not job.is_open:
            return job
        if self.queue is not None:  # a worker polls it, now
            await self.engine.nudge(job)
            return job
        refreshed = await self.engine.refresh(job.id, force=True)
        if refreshed.version == job.version:
            await self.engine.nudge(refreshed)
        return refreshed

    async def download_result(self, job_id: str, *, principal: str | None = None) -> JobRecord:
        """Download (again) what a finished job produced, with fresh URLs from the vendor where possible."""
        await self.get(job_id, principal=principal)
        return await self.engine.finisher.redownload(job_id)

    async def shutdown(self) -> None:
        """Stop this process's work and hand its jobs over: another process takes them at once."""
        await self.engine.pool.stop_all()
        await self.engine.keeper.release_all()

    # ------------------------------------------------------------------------------------------ read

    async def wait(self, job_id: str, wait_seconds: float, on_progress: ProgressCallback | None = None, *,
                   principal: str | None = None) -> JobRecord:
        """The job as stored, waiting (up to the bound) for it to finish, reporting progress meanwhile.

        Never holds a lock and never does work: changes made here wake it at once, changes made by other
        processes are seen by re-reading the job's version every VERSION_POLL_SECONDS."""
        deadline = anyio.current_time() + max(0.0, min(wait_seconds, MAX_WAIT_SECONDS))
        job = await self.get(job_id, principal=principal)
        reported: tuple[float, str, str | None] | None = None
        reported_at = 0.0
        while True:
            now = anyio.current_time()
            state = (job.progress, job.status, job.message)
            if on_progress is not None and (state != reported or now - reported_at >= WAIT_SLICE_SECONDS):
                await on_progress(job)
                reported, reported_at = state, now
            remaining = deadline - now
            if not job.is_open or remaining <= 0:
                return job
            await self.events.wait(job_id, min(remaining, VERSION_POLL_SECONDS))
            if await self.store.version(job_id) != job.version:
                job = await self.store.get(job_id)

    async def get(self, job_id: str, *, principal: str | None = None) -> JobRecord:
        """The job as stored. With `principal` (every tool and resource passes the caller's), another principal's
        job is JobNotFound, exactly as an id that does not exist: its existence is not revealed either."""
        job = await self.store.get(check_job_id(job_id, "job_id"))
        if principal is not None and job.principal != principal:
            raise JobNotFound(job_id)
        return job

    async def list_jobs(self, *, status: str | None = None, kind: str | None = None, provider: str | None = None,
                        limit: int = 20, principal: str | None = None) -> list[JobRecord]:
        statuses = sorted(OPEN_STATUSES) if status == "open" else ([status] if status else None)
        return await self.store.list(statuses=statuses, kind=kind, provider=provider, principal=principal,
                                     limit=limit)

    async def cancel(self, job_id: str, *, principal: str | None = None) -> JobRecord:
        """Cancel a queued or processing job, whichever process works on it (its lease ends; the worker stops)."""
        job = await self.get(job_id, principal=principal)
        if job.status in UNSTOPPABLE:  # open, but not safe to stop: say so rather than answer as if it were
            message = UNSTOPPABLE[job.status].format(provider=job.provider)
            return job.model_copy(update={"message": f"Not canceled: {message} {job.message or ''}".strip()})
        if job.status not in lifecycle.CANCELABLE:
            return job
        provider = self.providers.for_job(job)
        update = await provider.cancel(job)
        if update is not None and update.status != "canceled":
            await self.engine.nudge(job)
            return job
        message = update.message if update is not None and update.message else (
            f"Canceled here; {job.provider} has no cancel call, so the vendor may still finish (and charge for) it.")
        try:
            job = await self.store.update(job_id, expect=lifecycle.CANCELABLE, release=True, status="canceled",
                                          next_poll_at=None, message=message)
        except StaleWrite:
            return await self.store.get(job_id)  # it finished (or moved on) meanwhile
        await self.events.changed(job)
        running = self.engine.pool.running(job_id)
        if running is not None:
            running.halt("canceled")
        return job

    # ------------------------------------------------------------------------------------------ views

    def handle(self, job: JobRecord, now: datetime | None = None) -> JobHandle:
        now = now or utcnow()
        poll_after = None
        if job.is_open:
            poll_after = round(max(0.5, (job.next_poll_at - now).total_seconds()), 1) if job.next_poll_at else 1.0
        return JobHandle(job_id=job.id, kind=job.kind, provider=job.provider, status=job.status,
                         progress=round(job.progress, 3), message=job.message, poll_after_seconds=poll_after,
                         result=job.result, error=job.error)

    def detail(self, job: JobRecord) -> JobDetail:
        return JobDetail(**self.handle(job).model_dump(), request=job.request, operation=job.operation,
                         vendor_id=job.vendor_id, created_at=job.created_at, updated_at=job.updated_at)
