"""The last steps of a job (jobs/finisher.py): what a local job's work leaves when it cannot finish."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import JobRecord, JobResult
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import Submission, SubmitContext
from avatar_mcp.providers.local.tasks import LocalWork, Pool, Workspace
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.runtime import open_service
from avatar_mcp.specs import Scene, VideoSpec
from tests.fakes import countdown

pytestmark = pytest.mark.anyio
VIDEO = VideoSpec(scenes=[Scene(avatar_id="cd-avatar", script="One.", voice_id="cd-ann")])


class FullDiskStudio(countdown.CountdownProvider):
    """Work done here (as the local studio's) whose output file lands on a full disk: /dev/full answers every
    write with ENOSPC, as a real full disk does mid-render."""

    name = "fulldisk"

    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        return Submission(vendor_id=ctx.job_id, status="queued", expected_seconds=1.0)

    def pool_for(self, operation: str) -> Pool:
        return "render"

    async def work(self, job: JobRecord) -> LocalWork:
        def run(ws: Workspace) -> JobResult:
            video = ws.folder / "video.mp4"
            video.symlink_to("/dev/full")
            with video.open("wb") as fh:
                fh.write(b"\0" * 65536)
                fh.flush()
            return JobResult(video_path=str(video))

        return LocalWork("render", run, "Rendering.")


def studio(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Sequence[ProviderEntry]:
    return [ProviderEntry.of(FullDiskStudio(settings.data_dir / "fulldisk"))]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
async def test_a_render_that_fills_the_disk_fails_saying_so_and_leaves_no_attempt_behind(settings: Settings) -> None:
    async with open_service(settings, studio) as service:
        provider = service.entries["fulldisk"].provider
        assert provider is not None
        job = await service.submit("create_video", VIDEO, provider)
        done = await service.wait(job.id, 30)
        while service.engine.pool.running(job.id) is not None:  # its attempt folder goes when the work ends
            await service.events.wait(job.id, 0.05)
    assert done.status == "failed" and done.error is not None
    assert done.error.code == "disk_full"
    assert "disk is full" in done.error.message and "Free some space" in done.error.message
    assert "bug" not in done.error.message
    assert list((settings.media_dir / "jobs" / job.id).iterdir()) == []
