"""The last steps of a job, under its lease: download a finished vendor job's outputs, render a local job, and
move what was made into place before the job is recorded `succeeded` (in the transaction that records the result).

Both work in the attempt's own folder (jobs/workspace.py) and renew the lease right before the renames that put
the files in place, so a process that lost its lease never touches the job's files.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from avatar_mcp.errors import AvatarError, DiskFull, InvalidInput
from avatar_mcp.jobs import lifecycle, thumbnails, workspace
from avatar_mcp.jobs.outputs import DOWNLOAD_WARNING, download_outputs, pending_downloads, with_fresh_urls
from avatar_mcp.jobs.store import Lease, StaleWrite
from avatar_mcp.models import JobError, JobRecord, JobResult, utcnow
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.local.tasks import Canceled, RunsLocally, Workspace

if TYPE_CHECKING:
    from avatar_mcp.jobs.engine import JobEngine
    from avatar_mcp.jobs.work import Work

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.5
"""How often a local job's progress is written to the store (where every process's check_job reads it)."""
LEASE_WAIT_SECONDS = 30.0


class Finisher:
    def __init__(self, engine: JobEngine, http: SharedHTTP) -> None:
        self.engine = engine
        self.http = http
        self.media_dir = engine.settings.media_dir
        self.max_bytes = engine.settings.max_media_bytes

    # ------------------------------------------------------------------------------------------ vendor jobs
    async def vendor_done(self, job: JobRecord, result: JobResult | None, changes: dict[str, Any], *,
                          inline: bool) -> JobRecord:
        """The vendor says the job is done: record its result and download it (`finishing`), or succeed at once
        when there is nothing to download. The lease goes on to the download (inline, or in the pool)."""
        result = result or JobResult()
        lease = Lease.of(job)
        self.engine.on_finished(job)
        if not pending_downloads(result):
            await anyio.to_thread.run_sync(thumbnails.keep_all, result)
            final = {**changes, "message": changes.get("message") or job.message or "Done.", "result": result,
                     "progress": 1.0, "next_poll_at": None, "error": None}
            return await self.engine.commit(lease, status="succeeded", release=True, **final)
        pool = self.engine.pool
        handed = inline or pool.free("download") > 0
        # The vendor's last message stays (the state says the result is being downloaded).
        job = await self.engine.commit(
            lease, status="finishing", release=not handed, result=result, next_poll_at=utcnow(),
            **{**changes, "message": changes.get("message") or job.message or f"Done at {job.provider}."})
        lifecycle.reached("vendor_done", job.id)
        if inline:
            return await self.download(job, lease)
        if handed:
            self.engine.keeper.forget(job.id)  # the download work holds it from here
            self.engine.start("download", job)
        return job

    async def download(self, job: JobRecord, lease: Lease) -> JobRecord:
        """`finishing`: download what is not downloaded yet into this attempt's folder, move it into place, then
        record `succeeded` with the result."""
        attempt = await anyio.to_thread.run_sync(workspace.open_attempt, self.media_dir, lease)
        try:
            result = (job.result or JobResult()).model_copy(deep=True)
            await download_outputs(self.http, result, attempt, self.max_bytes, job.id)
            result = await self._place(lease, result, attempt)
            job = await self.engine.commit(lease, expect=("finishing",), result=result)
            lifecycle.reached("downloaded", job.id)
            return await self.engine.commit(lease, status="succeeded", release=True, progress=1.0, next_poll_at=None,
                                            error=None)
        finally:
            workspace.discard(attempt)

    async def _place(self, lease: Lease, result: JobResult, attempt: Any) -> JobResult:
        await anyio.to_thread.run_sync(thumbnails.keep_all, result)
        await self.engine.renew(lease)
        return await anyio.to_thread.run_sync(workspace.place, result, attempt)

    async def redownload(self, job_id: str) -> JobRecord:
        """download_result: fetch again what a succeeded job made (fresh vendor URLs where possible; files deleted
        locally too), under the job's lease. If another process is downloading it, wait for that instead."""
        engine = self.engine
        job = await engine.store.get(job_id)
        if job.status != "succeeded":
            raise InvalidInput(f"Job {job_id} is {job.status}; only a succeeded job has media to download. "
                               f"Call check_job to follow it.", field="job_id")
        claimed: list[JobRecord] = []
        with anyio.move_on_after(LEASE_WAIT_SECONDS):
            while True:  # another process is downloading it: its lease ends when it is done
                claimed = await engine.store.claim([job_id], engine.owner, engine.ttl, statuses=("succeeded",),
                                                   due_only=False)
                if claimed:
                    break
                await engine.events.wait(job_id, 0.25)
        if not claimed:
            return await engine.store.get(job_id)
        job = claimed[0]
        lease = engine.keeper.hold(job)
        attempt = await anyio.to_thread.run_sync(workspace.open_attempt, self.media_dir, lease)
        try:
            result = await self._fresh(job)
            await download_outputs(self.http, result, attempt, self.max_bytes, job.id)
            result = await self._place(lease, result, attempt)
            done = await engine.commit(lease, status="succeeded", release=True, result=result)
            await engine.events.changed(done, "downloaded")
            return done
        finally:
            workspace.discard(attempt)
            engine.keeper.forget(job_id)
            with anyio.CancelScope(shield=True):
                await engine.store.release([lease])

    async def _fresh(self, job: JobRecord) -> JobResult:
        result = (job.result or JobResult()).model_copy(deep=True)
        provider = self.engine.providers.entries.get(job.provider)
        vendor = provider.provider if provider is not None else None
        if vendor is not None and job.vendor_id and not isinstance(vendor, RunsLocally):
            try:
                fresh = await vendor.get_job(job)
            except AvatarError as exc:
                logger.info("could not refresh URLs of %s: %s", job.id, exc)
            else:
                if fresh.result is not None:
                    result = with_fresh_urls(result, fresh.result)
        for output in [result, *(result.outputs or [])]:
            for url, path in (("video_url", "video_path"), ("thumbnail_url", "thumbnail_path"),
                              ("captions_url", "captions_path")):
                if getattr(output, url) and not _exists(getattr(output, path)):
                    setattr(output, path, None)
        result.warnings = [w for w in result.warnings if not w.startswith(DOWNLOAD_WARNING)]
        return result

    # ------------------------------------------------------------------------------------------ local jobs
    async def render(self, job: JobRecord, work: Work) -> None:
        """A local job's work, rebuilt from the stored job, run in a worker thread in this attempt's folder; its
        progress is written to the store meanwhile, and its files are moved into place before `succeeded`."""
        engine = self.engine
        lease = work.lease
        provider = engine.providers.for_job(job)
        assert isinstance(provider, RunsLocally)
        try:
            local = await provider.work(job)
        except Exception as exc:  # a job whose work cannot be rebuilt fails, rather than being retried forever
            if not isinstance(exc, AvatarError):
                logger.exception("local job %s (%s) could not be prepared", job.id, job.operation)
            await self._fail(lease, exc)
            return
        attempt = await anyio.to_thread.run_sync(workspace.open_attempt, self.media_dir, lease)
        ws = Workspace(folder=attempt, stop=work.stop)
        try:
            await engine.commit(lease, status="processing", message=local.message, progress=0.0)
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._relay, work, ws)
                try:
                    result = await anyio.to_thread.run_sync(local.run, ws)
                except (Canceled, AvatarError) as exc:
                    if work.reason is None and isinstance(exc, AvatarError):
                        await self._fail(lease, exc)
                    return
                except Exception as exc:
                    if work.reason is None:
                        if not _disk_full(exc):
                            logger.exception("local job %s (%s) failed", job.id, job.operation)
                        await self._fail(lease, exc)
                    return
                finally:
                    tg.cancel_scope.cancel()
            lifecycle.reached("rendered", job.id)
            result = await self._place(lease, result, attempt)  # makes the thumbnails, then moves everything
            done = await engine.commit(lease, status="succeeded", release=True, result=result, progress=1.0,
                                       message="Done.", next_poll_at=None, error=None)
            engine.on_finished(done)
        finally:
            workspace.discard(attempt)

    async def _relay(self, work: Work, ws: Workspace) -> None:
        while True:
            await anyio.sleep(PROGRESS_SECONDS)
            if not ws.changed:
                continue
            ws.changed = False
            try:
                await self.engine.commit(work.lease, expect=("processing",), progress=ws.progress, message=ws.message)
            except StaleWrite:
                work.halt("lost")
                return

    async def _fail(self, lease: Lease, exc: Exception) -> None:
        if _disk_full(exc) and not isinstance(exc, AvatarError):  # the user can act on this: no "bug" here
            exc = DiskFull(workspace.job_folder(self.media_dir, lease.job_id))
        if isinstance(exc, AvatarError):
            error = JobError(code=exc.code, message=str(exc), retryable=exc.retryable)
        else:
            error = JobError(code="internal_error", message=f"The local studio failed: {type(exc).__name__}: {exc}. "
                             f"This is a bug; the server log has the details.")
        await self.engine.commit(lease, status="failed", release=True, error=error, message=error.message,
                                 next_poll_at=None)


def _disk_full(exc: BaseException) -> bool:
    from avatar_mcp.guard import is_disk_full  # the tool layer's test: it sees through causes, and SQLite's code

    return is_disk_full(exc)


def _exists(path: str | None) -> bool:
    from pathlib import Path

    return bool(path) and Path(path or "").is_file()
