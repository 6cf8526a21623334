"""Acme's video states as job updates."""

from __future__ import annotations

from avatar_mcp.models import JobError, JobResult
from avatar_mcp.providers.base import JobUpdate
from tests.providers.acme.wire import Video


def update(video: Video, poll_after: float | None) -> JobUpdate:
    if video.status == "done":
        return JobUpdate(status="succeeded", progress=1.0, result=JobResult(video_url=video.url))
    if video.status == "failed":
        reason = (video.error or {}).get("message", "no reason given")
        return JobUpdate(status="failed", error=JobError(code="failed", message=reason), message=reason)
    return JobUpdate(status="queued" if video.status == "queued" else "processing", progress=video.progress,
                     poll_after=poll_after)
