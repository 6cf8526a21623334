"""AvatarService: the one thing tool handlers call.

It picks the provider, writes the job row BEFORE calling the vendor, submits, records the vendor's id, and
refreshes jobs (on demand, from the poller, or when a webhook arrives). Finished media are downloaded into
the data dir because vendor URLs expire. No MCP here: everything is testable without a client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

import anyio
from pydantic import BaseModel

from avatar_mcp.config import Settings
from avatar_mcp.errors import (
    AvatarError,
    InvalidInput,
    ProviderConnectionError,
    ProviderStatusError,
)
from avatar_mcp.jobs.outputs import DOWNLOAD_WARNING, download_outputs, with_fresh_urls
from avatar_mcp.jobs.schedule import next_poll_delay
from avatar_mcp.jobs.store import JobStore, new_job_id
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import (
    OPEN_STATUSES,
    CatalogQuery,
    JobDetail,
    JobError,
    JobHandle,
    JobRecord,
    JobResult,
    utcnow,
)
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import (
    OPERATION_KINDS,
    AssetMemo,
    JobUpdate,
    ProgressFn,
    Provider,
    ProviderEntry,
    Submission,
    SubmitContext,
)
from avatar_mcp.providers.selection import ProviderSet

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[JobRecord], Awaitable[None]]
JobListener = Callable[[JobRecord, str], Awaitable[None]]
"""Told `(job, event)` after each transition, event one of: "submitted" (the vendor took it), "status" (its
status changed, ending ones included: succeeded comes after the files are downloaded), "downloaded"
(download_result fetched the files again)."""


MAX_WAIT_SECONDS = 600.0
CATALOGUE_TTL_SECONDS = 60.0
POLL_CONCURRENCY = 4
"""Status requests in flight at once per vendor, when it has no batch endpoint."""
WAIT_SLICE_SECONDS = 2.0
"""How often a waiting check_job wakes to send a progress notification even when nothing changed."""

_INTERRUPTED_ADVICE = (
    "This submission may or may not have reached {provider}, and {provider} cannot be asked whether it received "
    "it. It was NOT resubmitted, so nothing is paid twice. Check your {provider} dashboard or list_jobs; if the "
    "job is not there, submit it again."
)


class AvatarService:
    def __init__(self, settings: Settings, store: JobStore, providers: Sequence[ProviderEntry],
                 http: SharedHTTP, media: MediaPolicy) -> None:
        self.settings = settings
        self.store = store
        self.providers = ProviderSet(providers, settings.default_provider)
        self.entries = self.providers.entries
        self.http = http
        self.media = media
        self._locks: dict[str, anyio.Lock] = {}
        self._changed: dict[str, anyio.Event] = {}
        self._catalogues: dict[tuple[str, str, str], tuple[float, list[Any]]] = {}
        self.listeners: list[JobListener] = []

    async def _emit(self, job: JobRecord, event: str) -> None:
        """Tell the listeners (the MCP sessions' log) about a transition; a failing listener never fails a job."""
        for listener in self.listeners:
            try:
                await listener(job, event)
            except Exception:
                logger.exception("job listener failed on %s of %s", event, job.id)

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

    def forget_avatars(self, provider: str) -> None:
        """An avatar was made or deleted here: the next listing asks the vendor again."""
        self._catalogues = {k: v for k, v in self._catalogues.items() if not (k[0] == provider and k[1] == "avatars")}

    # ------------------------------------------------------------------------------------------ submit

    async def submit(self, operation: str, spec: BaseModel, provider: Provider, *,
                     checklist: dict[str, Any] | None = None, generation: JobRecord | None = None,
                     target: str | None = None, report: ProgressFn | None = None) -> JobRecord:
        """Create the job row, then call the vendor.

        A refusal before anything was sent (bad input, media, capability) leaves no job behind. A vendor's error
        leaves a failed job. Anything that may have reached the vendor (a lost answer, a crash or a cancelled
        request mid-call) is never forgotten: it is reconciled by its request key where the vendor has one, and
        otherwise becomes `unknown` with advice, so nothing is paid twice or lost.
        """
        kind = OPERATION_KINDS[operation]
        request: dict[str, Any] = {"arguments": spec.model_dump(mode="json", exclude_none=True)}
        if target is not None:
            request["target"] = target
        if checklist:
            request["checklist"] = checklist
        job = await self.store.create(JobRecord(id=new_job_id(), kind=kind, provider=provider.name,
                                                operation=operation, request=request))
        ctx = SubmitContext(job_id=job.id, callback_url=self._callback_url(provider),
                            assets=self.store if isinstance(self.store, AssetMemo) else None)
        if report is not None:
            ctx.report = report
        try:
            submission = await self._call_create(provider, operation, spec, ctx, generation, target)
        except ProviderConnectionError as exc:
            if exc.request_sent and not provider.capabilities.idempotent_create:
                if provider.capabilities.findable_create:
                    return await self._find_lost(job, provider, exc)
                return await self._finish_unknown(job, exc)
            if exc.request_sent:
                # The create is replayable: leave it in `submitting`; the poller reconciles it safely.
                return await self.store.update(job.id, message=f"{exc} Will retry safely with the same request key.",
                                               next_poll_at=utcnow() + timedelta(seconds=5),
                                               vendor_state=ctx.vendor_state)
            await self.store.delete(job.id)
            raise
        except ProviderStatusError as exc:
            failed = await self.store.update(job.id, status="failed",
                                             error=JobError(code=exc.code, message=str(exc), retryable=exc.retryable))
            await self._emit(failed, "status")
            raise
        except AvatarError:
            await self.store.delete(job.id)
            raise
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                cancelled = isinstance(exc, anyio.get_cancelled_exc_class())
                if cancelled and (provider.capabilities.idempotent_create or provider.capabilities.findable_create):
                    await self.store.update(job.id, next_poll_at=utcnow(), message="The request was cancelled while "
                                            "being submitted; it is being reconciled with the same request key.")
                else:
                    if not cancelled:
                        logger.error("creating %s with %s failed unexpectedly", job.id, provider.name, exc_info=exc)
                    await self._finish_unknown(job, Exception("The submission was interrupted."))
            raise
        return await self._record_submission(job, submission)

    async def _call_create(self, provider: Provider, operation: str, spec: Any, ctx: SubmitContext,
                           generation: JobRecord | None, target: str | None) -> Submission:
        from avatar_mcp.providers import base as ops

        if operation == ops.GENERATE_PHOTO:
            return await provider.generate_photo(spec, ctx)
        if operation == ops.CREATE_PHOTO_AVATAR:
            return await provider.create_photo_avatar(spec, ctx, generation)
        if operation == ops.TRAIN_PHOTO_AVATAR:
            assert target is not None
            return await provider.train_photo_avatar(target, ctx)
        if operation == ops.CREATE_DIGITAL_TWIN:
            return await provider.create_digital_twin(spec, ctx)
        if operation == ops.CREATE_COMPANION:
            return await provider.create_companion(spec, ctx)
        if operation == ops.CREATE_VIDEO:
            return await provider.create_video(spec, ctx)
        if operation == ops.CREATE_PHOTO_VIDEO:
            return await provider.create_photo_video(spec, ctx)
        if operation == ops.CREATE_VIDEO_FROM_PROMPT:
            return await provider.create_video_from_prompt(spec, ctx)
        raise InvalidInput(f"Unknown operation {operation!r}.")

    def _callback_url(self, provider: Provider) -> str | None:
        from avatar_mcp.webhooks import callback_path

        if not (self.settings.public_url and provider.capabilities.webhooks):
            return None
        return f"{self.settings.public_url.rstrip('/')}{callback_path(self.settings, provider.name)}"

    async def _record_submission(self, job: JobRecord, submission: Submission) -> JobRecord:
        job = await self.store.update(
            job.id, vendor_id=submission.vendor_id, status=submission.status, progress=submission.progress,
            message=submission.message, vendor_state=submission.vendor_state,
            expected_seconds=submission.expected_seconds, result=submission.result,
        )
        if submission.status == "succeeded":
            job = await self._finalize(job, submission.result)
        else:
            job = await self._schedule(job, None, poll_after=submission.poll_after)
        self._notify(job.id)
        await self._emit(job, "submitted")
        return job

    async def _find_lost(self, job: JobRecord, provider: Provider, exc: ProviderConnectionError) -> JobRecord:
        """A create that may have reached a vendor that cannot replay it: look for it there now (the provider's
        reconcile); `unknown` with advice when it cannot be found."""
        try:
            update = await provider.reconcile(job)
        except AvatarError as error:
            logger.info("looking for %s at %s failed: %s", job.id, provider.name, error)
            update = None
        if update is None:
            return await self._finish_unknown(job, exc)
        return await self._apply(job, update)

    async def _finish_unknown(self, job: JobRecord, exc: Exception) -> JobRecord:
        advice = _INTERRUPTED_ADVICE.format(provider=job.provider)
        job = await self.store.update(
            job.id, status="unknown", message=f"{exc} {advice}",
            error=JobError(code="submission_unknown", message=advice, retryable=False), next_poll_at=None,
        )
        await self._emit(job, "status")
        return job

    # ------------------------------------------------------------------------------------------ refresh

    def _lock(self, job_id: str) -> anyio.Lock:
        return self._locks.setdefault(job_id, anyio.Lock())

    def _notify(self, job_id: str) -> None:
        event = self._changed.pop(job_id, None)
        if event is not None:
            event.set()

    async def refresh(self, job_id: str, *, force: bool = False) -> JobRecord:
        """Ask the vendor about an open job if it is due (or `force`); returns the stored record."""
        async with self._lock(job_id):
            job = await self.store.get(job_id)
            if not job.is_open:
                return job
            if not force and job.next_poll_at is not None and job.next_poll_at > utcnow():
                return job
            provider = self.providers.for_job(job)
            if job.status == "submitting":
                return await self._reconcile(job, provider)
            try:
                update = await provider.get_job(job)
            except AvatarError as exc:
                return await self._poll_failed(job, exc)
            return await self._apply(job, update)

    async def refresh_many(self, jobs: Sequence[JobRecord]) -> None:
        """One poller round for due jobs of one provider: batched where the vendor allows it."""
        if not jobs:
            return
        provider = self.providers.for_job(jobs[0])
        polling = [j for j in jobs if j.status != "submitting"]
        if provider.capabilities.batch_status and len(polling) > 1:
            try:
                updates = await provider.get_jobs(polling)
            except AvatarError as exc:
                for job in polling:
                    await self._poll_failed(job, exc)
                return
            for job in polling:
                update = updates.get(job.id)
                if update is not None:
                    async with self._lock(job.id):
                        current = await self.store.get(job.id)
                        if current.is_open:  # a check_job may have finished it meanwhile
                            await self._apply(current, update)
            rest = [j for j in jobs if j.status == "submitting"]
        else:
            rest = list(jobs)
        limiter = anyio.CapacityLimiter(POLL_CONCURRENCY)

        async def one(job_id: str) -> None:
            async with limiter:
                try:
                    await self.refresh(job_id)
                except AvatarError:
                    logger.exception("refreshing %s failed", job_id)

        async with anyio.create_task_group() as tg:
            for job in rest:
                tg.start_soon(one, job.id)

    async def _poll_failed(self, job: JobRecord, exc: AvatarError) -> JobRecord:
        """A status request failed: keep the job open and try later, unless the vendor lost the job."""
        from avatar_mcp.errors import NotFound, RateLimited

        if isinstance(exc, NotFound) and job.poll_count >= 2:
            return await self._apply(job, JobUpdate(status="failed", error=JobError(
                code=exc.code, message=f"{exc} The vendor no longer knows this job.")))
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        logger.info("status of %s failed: %s", job.id, exc)
        job = await self._schedule(job, retry_after, message=job.message)
        self._notify(job.id)
        return job

    async def _apply(self, job: JobRecord, update: JobUpdate) -> JobRecord:
        before = job.status
        changes: dict[str, Any] = {"status": update.status, "poll_count": job.poll_count + 1}
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
        if update.result is not None and update.status != "succeeded":
            changes["result"] = update.result
        job = await self.store.update(job.id, **changes)
        if update.status == "succeeded":
            job = await self._finalize(job, update.result)
        elif job.is_open:
            job = await self._schedule(job, update.retry_after, poll_after=update.poll_after)
        else:
            job = await self.store.update(job.id, next_poll_at=None)
        self._notify(job.id)
        if job.status != before:
            await self._emit(job, "status")
        return job

    async def _schedule(self, job: JobRecord, retry_after: float | None, *, poll_after: float | None = None,
                        message: str | None = None) -> JobRecord:
        now = utcnow()
        if poll_after is not None and retry_after is None:
            delay = poll_after
        else:
            provider = self.entries[job.provider].provider
            webhooks = provider is not None and self._callback_url(provider) is not None
            delay = next_poll_delay(elapsed=(now - job.created_at).total_seconds(), expected=job.expected_seconds,
                                    poll_count=job.poll_count, progress=job.progress or None,
                                    retry_after=retry_after, webhooks=webhooks)
        changes: dict[str, Any] = {"next_poll_at": now + timedelta(seconds=delay)}
        if message is not None:
            changes["message"] = message
        return await self.store.update(job.id, **changes)

    async def _reconcile(self, job: JobRecord, provider: Provider) -> JobRecord:
        """A job in `submitting` with no live submitter: recover it safely or mark it unknown."""
        if not (provider.capabilities.idempotent_create or provider.capabilities.findable_create):
            return await self._finish_unknown(job, Exception("Submission interrupted."))
        try:
            update = await provider.reconcile(job)
        except AvatarError as exc:
            return await self._poll_failed(job, exc)
        if update is None:
            return await self._finish_unknown(job, Exception("Submission interrupted."))
        return await self._apply(job, update)

    async def reconcile_interrupted(self) -> None:
        """At start-up: jobs a crash left in `submitting` are recovered or marked unknown, never resubmitted blindly."""
        for job in await self.store.list(statuses=["submitting"], limit=1000):
            entry = self.entries.get(job.provider)
            if entry is None or entry.provider is None:
                continue
            caps = entry.provider.capabilities
            if caps.idempotent_create or caps.findable_create:
                await self.store.update(job.id, next_poll_at=utcnow())
            else:
                await self._finish_unknown(job, Exception("Submission interrupted."))

    async def poll_due(self, limit: int = 100) -> int:
        """Refresh every job whose poll time has come; returns how many were due."""
        due = await self.store.due(utcnow(), limit)
        by_provider: dict[str, list[JobRecord]] = {}
        for job in due:
            entry = self.entries.get(job.provider)
            if entry is not None and entry.provider is not None:
                by_provider.setdefault(job.provider, []).append(job)
        async with anyio.create_task_group() as tg:
            for jobs in by_provider.values():
                tg.start_soon(self.refresh_many, jobs)
        return len(due)

    async def on_vendor_event(self, provider: str, vendor_id: str) -> JobRecord | None:
        """A webhook said a job changed: refresh it now."""
        job = await self.store.find_by_vendor_id(provider, vendor_id)
        if job is None or not job.is_open:
            return job
        return await self.refresh(job.id, force=True)

    # ------------------------------------------------------------------------------------------ finish

    async def _finalize(self, job: JobRecord, result: JobResult | None) -> JobRecord:
        """Success: download what the vendor made (its URLs expire) and store the final result."""
        result = result or JobResult()
        if job.kind in ("avatar", "training"):
            self.forget_avatars(job.provider)
        await download_outputs(self.http, result, self.settings.media_dir / "jobs" / job.id,
                               self.settings.max_media_bytes)
        job = await self.store.update(job.id, status="succeeded", progress=1.0, result=result, next_poll_at=None,
                                      error=None, message=job.message or "Done.")
        return job

    async def download_result(self, job_id: str) -> JobRecord:
        """Download (again) what a finished job produced, with fresh URLs from the vendor where possible."""
        job = await self.store.get(job_id)
        if job.status != "succeeded":
            raise InvalidInput(f"Job {job_id} is {job.status}; only a succeeded job has media to download. "
                               f"Call check_job to follow it.", field="job_id")
        result = job.result or JobResult()
        provider = self.entries.get(job.provider)
        if provider is not None and provider.provider is not None and job.vendor_id:
            try:
                fresh = await provider.provider.get_job(job)
            except AvatarError as exc:
                logger.info("could not refresh URLs of %s: %s", job_id, exc)
            else:
                if fresh.result is not None:
                    result = with_fresh_urls(result, fresh.result)
        result.warnings = [w for w in result.warnings if not w.startswith(DOWNLOAD_WARNING)]
        await download_outputs(self.http, result, self.settings.media_dir / "jobs" / job.id,
                               self.settings.max_media_bytes)
        job = await self.store.update(job.id, result=result)
        await self._emit(job, "downloaded")
        return job

    # ------------------------------------------------------------------------------------------ read

    async def wait(self, job_id: str, wait_seconds: float, on_progress: ProgressCallback | None = None) -> JobRecord:
        """Refresh when due and wait (up to the bound) for the job to finish, reporting progress meanwhile."""
        deadline = anyio.current_time() + max(0.0, min(wait_seconds, MAX_WAIT_SECONDS))
        job = await self.refresh(job_id)
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
            until_poll = (job.next_poll_at - utcnow()).total_seconds() if job.next_poll_at else WAIT_SLICE_SECONDS
            event = self._changed.setdefault(job_id, anyio.Event())
            with anyio.move_on_after(max(0.05, min(remaining, until_poll, WAIT_SLICE_SECONDS))):
                await event.wait()
            job = await self.refresh(job_id)

    async def get(self, job_id: str) -> JobRecord:
        return await self.store.get(job_id)

    async def list_jobs(self, *, status: str | None = None, kind: str | None = None, provider: str | None = None,
                        limit: int = 20) -> list[JobRecord]:
        statuses = sorted(OPEN_STATUSES) if status == "open" else ([status] if status else None)
        return await self.store.list(statuses=statuses, kind=kind, provider=provider, limit=limit)

    async def cancel(self, job_id: str) -> JobRecord:
        async with self._lock(job_id):
            job = await self.store.get(job_id)
            if not job.is_open:
                return job
            provider = self.providers.for_job(job)
            update = await provider.cancel(job)
            if update is None:
                job = await self.store.update(
                    job.id, status="canceled", next_poll_at=None,
                    message=f"Canceled here; {job.provider} has no cancel call, so the vendor may still finish "
                            f"(and charge for) it.")
                await self._emit(job, "status")
            else:
                job = await self._apply(job, update)
        self._notify(job.id)
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
