"""Tools that follow jobs: check_job, list_jobs, cancel_job, download_result."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from avatar_mcp.app import service_of
from avatar_mcp.models import JobHandle, JobList, JobRecord
from avatar_mcp.tools._common import DESTROYS, READ_LOCAL, READ_ONLY, WRITES_LOCAL, ToolSpec, job_result, tool_errors

JobId = Annotated[str, Field(description="The job_id a create tool returned (looks like 'job_...').",
                             min_length=1, max_length=100)]
WaitSeconds = Annotated[float, Field(
    default=0, ge=0, le=600,
    description="Wait up to this many seconds for the job to finish, with progress notifications meanwhile. "
                "0 answers at once.")]


async def report(ctx: Context[Any, Any], job: JobRecord) -> None:
    message = f"{job.status}: {job.message}" if job.message else job.status
    await ctx.report_progress(round(job.progress * 100, 1), 100, message)


async def check_job(ctx: Context[Any, Any], job_id: JobId, wait_seconds: WaitSeconds = 0) -> Annotated[
        CallToolResult, JobHandle]:
    """Report a job's status, progress and (when finished) its result.

    Use after any create tool. With wait_seconds > 0 it waits up to that long for the job to finish, sending
    progress notifications; otherwise it answers at once from the job store (refreshing from the vendor if
    the last look is stale). When status is 'succeeded', result holds local paths of the downloaded files
    (video_path, captions_path, thumbnail_path), the vendor URLs, avatar_id or photo candidates. When it is
    still open, call again after poll_after_seconds.
    """
    service = await service_of(ctx)
    with tool_errors():

        async def progress(job: JobRecord) -> None:
            await report(ctx, job)

        job = await service.wait(job_id, wait_seconds, progress if wait_seconds > 0 else None)
        return job_result(service.handle(job), job)


async def list_jobs(
    ctx: Context[Any, Any],
    status: Annotated[Literal["open", "submitting", "queued", "processing", "succeeded", "failed", "canceled",
                              "unknown"] | None,
                      Field(description="Only jobs in this state ('open' = not finished yet).")] = None,
    kind: Annotated[Literal["photo_generation", "avatar", "training", "video"] | None,
                    Field(description="Only jobs of this kind.")] = None,
    provider: Annotated[str | None, Field(description="Only jobs of this provider.", max_length=40)] = None,
    limit: Annotated[int, Field(ge=1, le=200, description="At most this many jobs.")] = 20,
) -> JobList:
    """List jobs this server knows, newest first, from its durable store (they survive restarts).

    Use to find a job_id again, or to see what is still running. Each entry is a job handle as check_job
    returns it (without refreshing from the vendor).
    """
    service = await service_of(ctx)
    with tool_errors():
        jobs = await service.list_jobs(status=status, kind=kind, provider=provider, limit=limit)
        return JobList(jobs=[service.handle(j) for j in jobs])


async def cancel_job(ctx: Context[Any, Any], job_id: JobId) -> JobHandle:
    """Stop an unfinished job.

    Local renders stop at once. Vendors without a cancel call may still finish (and charge for) the job; the
    answer says so. A finished job is returned unchanged.
    """
    service = await service_of(ctx)
    with tool_errors():
        return service.handle(await service.cancel(job_id))


async def download_result(ctx: Context[Any, Any], job_id: JobId) -> Annotated[CallToolResult, JobHandle]:
    """Download a finished job's files (again) into the server's data dir, with fresh vendor URLs.

    Use when check_job reported a warning that a download failed, or the local files were deleted.
    """
    service = await service_of(ctx)
    with tool_errors():
        job = await service.download_result(job_id)
        return job_result(service.handle(job), job)


TOOLS: list[ToolSpec] = [
    ToolSpec(check_job, "Check a job", READ_ONLY),
    ToolSpec(list_jobs, "List jobs", READ_LOCAL),
    ToolSpec(cancel_job, "Cancel a job", DESTROYS),
    ToolSpec(download_result, "Download a job's result", WRITES_LOCAL),
]
