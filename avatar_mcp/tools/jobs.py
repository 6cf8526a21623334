"""Tools that follow jobs: check_job, list_jobs, cancel_job, download_result."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from avatar_mcp.app import service_of
from avatar_mcp.models import JobHandle, JobList, JobRecord
from avatar_mcp.principals import principal_of
from avatar_mcp.tools._common import (
    DESTROYS,
    READ_LOCAL,
    READ_ONLY,
    WRITES_LOCAL,
    ToolSpec,
    answer,
    job_result,
    tool_errors,
)

JobId = Annotated[str, Field(description="From a create tool ('job_...').", min_length=1, max_length=100)]
WaitSeconds = Annotated[float, Field(default=0, ge=0, le=600, description="Wait up to this long for the end, "
                                                                          "with progress notifications.")]


async def report(ctx: Context[Any, Any], job: JobRecord) -> None:
    message = f"{job.status}: {job.message}" if job.message else job.status
    await ctx.report_progress(round(job.progress * 100, 1), 100, message)


async def check_job(ctx: Context[Any, Any], job_id: JobId, wait_seconds: WaitSeconds = 0) -> Annotated[
        CallToolResult, JobHandle]:
    """Report a job's status, progress and, when finished, its result (local files, avatar_id, candidates).

    Use after any create tool. wait_seconds > 0 waits for the end with progress notifications; otherwise it
    answers at once. 'finishing' = the vendor is done and the files are downloading. While the job is open, call
    again after poll_after_seconds.
    """
    service = await service_of(ctx)
    with tool_errors():

        async def progress(job: JobRecord) -> None:
            await report(ctx, job)

        job = await service.wait(job_id, wait_seconds, progress if wait_seconds > 0 else None,
                                 principal=principal_of(ctx))
        return job_result(service.handle(job), job)


async def list_jobs(
    ctx: Context[Any, Any],
    status: Annotated[Literal["open", "submitting", "queued", "processing", "finishing", "succeeded", "failed",
                              "canceled", "unknown"] | None, Field(description="'open' = not finished.")] = None,
    kind: Literal["photo_generation", "avatar", "training", "video"] | None = None,
    provider: Annotated[str | None, Field(max_length=40)] = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
) -> Annotated[CallToolResult, JobList]:
    """List your jobs, newest first (they survive restarts), as check_job's handles.

    Use to find a job_id again or see what is still running.
    """
    service = await service_of(ctx)
    with tool_errors():
        jobs = await service.list_jobs(status=status, kind=kind, provider=provider, limit=limit,
                                       principal=principal_of(ctx))
        return answer(JobList(jobs=[service.handle(j) for j in jobs]))


async def cancel_job(ctx: Context[Any, Any], job_id: JobId) -> Annotated[CallToolResult, JobHandle]:
    """Stop an unfinished job. Local renders stop at once; vendors without a cancel call may still finish (and
    charge for) it, as the answer says. A finished job is returned unchanged."""
    service = await service_of(ctx)
    with tool_errors():
        return job_result(service.handle(await service.cancel(job_id, principal=principal_of(ctx))))


async def download_result(ctx: Context[Any, Any], job_id: JobId) -> Annotated[CallToolResult, JobHandle]:
    """Download a finished job's files again into the server's data dir, with fresh vendor URLs.

    Use when check_job warned that a download failed, or the local files were deleted.
    """
    service = await service_of(ctx)
    with tool_errors():
        job = await service.download_result(job_id, principal=principal_of(ctx))
        return job_result(service.handle(job), job)


TOOLS: list[ToolSpec] = [
    ToolSpec(check_job, "Check a job", READ_ONLY),
    ToolSpec(list_jobs, "List jobs", READ_LOCAL),
    ToolSpec(cancel_job, "Cancel a job", DESTROYS),
    ToolSpec(download_result, "Download a job's result", WRITES_LOCAL),
]
