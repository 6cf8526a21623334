"""The background poller over HeyGen v3's statuses batch: items named `video_id`, no URLs in them, one GET per video
the batch reports completed."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest

from avatar_mcp import operations as ops
from avatar_mcp.jobs.poller import Poller
from avatar_mcp.models import JobRecord, utcnow
from avatar_mcp.service import AvatarService
from avatar_mcp.specs import Scene, VideoSpec
from tests.fakes._harness import LoggedRequest, sample_mp4, serve
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.providers.heygen.conftest import STOCK, VOICE, heygen_service, heygen_settings

pytestmark = pytest.mark.anyio
VIDEO_GET = re.compile(r"^/v3/videos/(?!statuses$)[^/]+$")


async def open_videos(service: AvatarService, count: int) -> list[str]:
    """`count` submitted videos, all due for their first poll at the same moment."""
    provider = service.entries["heygen"].provider
    assert provider is not None
    ids = []
    for n in range(count):
        spec = VideoSpec(scenes=[Scene(avatar_id=STOCK, script=f"Video number {n}.", voice_id=VOICE)])
        ids.append((await service.submit(ops.CREATE_VIDEO, spec, provider)).id)
    now = utcnow()
    for job_id in ids:
        await service.store.update(job_id, next_poll_at=now)
    return ids


async def run_poller_until_closed(service: AvatarService, ids: list[str]) -> None:
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            await tg.start(Poller(service, 0.05).run)
            # Done means closed and, if succeeded, downloaded (the status is written before the download ends).
            while [j for j in await service.store.list(limit=100)
                   if j.id in ids and (j.is_open or (j.status == "succeeded" and not (j.result and
                                                                                    j.result.video_path)))]:
                await anyio.sleep(0.05)
            tg.cancel_scope.cancel()


async def poll_to_the_end(fake: HeyGenV3Fake, tmp_path: Path, media_root: Path,
                          count: int) -> tuple[list[JobRecord], list[LoggedRequest]]:
    """Open `count` videos at the fake, run the poller until all are closed; the jobs and the requests it made."""
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        async with heygen_service(settings) as (service, _):
            ids = await open_videos(service, count)
            before = len(fake.log)
            await run_poller_until_closed(service, ids)
            jobs = [await service.get(i) for i in ids]
    return jobs, fake.log[before:]


async def test_five_open_videos_are_finished_by_the_poller_from_the_batch_then_one_get_each(
        tmp_path: Path, media_root: Path) -> None:
    jobs, polls = await poll_to_the_end(HeyGenV3Fake(polls_to_complete=0), tmp_path, media_root, 5)
    assert [r.path for r in polls if r.path == "/v3/videos/statuses"] == ["/v3/videos/statuses"]
    assert len(polls[0].query["video_ids"].split(",")) == 5
    reads = sorted(r.path.rsplit("/", 1)[1] for r in polls if VIDEO_GET.match(r.path))
    assert reads == sorted(str(j.vendor_id) for j in jobs)  # exactly one GET per completed video, after the batch
    assert polls[0].path == "/v3/videos/statuses"
    for job in jobs:
        assert job.status == "succeeded" and job.result is not None and job.result.video_path
        assert Path(job.result.video_path).read_bytes() == sample_mp4()


async def test_a_failure_reported_by_the_batch_fails_its_job_with_heygens_reason_and_no_extra_read(
        tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=0)
    fake.fail_next_video("MODERATION_REJECTED", "The script breaks the content policy.")
    (failed, done), polls = await poll_to_the_end(fake, tmp_path, media_root, 2)
    assert done.status == "succeeded"
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.code == "heygen_MODERATION_REJECTED"
    assert "The script breaks the content policy." in failed.error.message
    assert not [r for r in polls if r.path == f"/v3/videos/{failed.vendor_id}"]


async def test_a_paged_statuses_answer_is_followed_to_its_last_page_and_no_video_is_taken_for_lost(
        tmp_path: Path, media_root: Path) -> None:
    """GET /v3/videos/statuses answers a cursor-paged list (`has_more`, `next_token`): a client that reads only the
    first page finds the other videos missing, and a video missing twice was failed as "no longer known"."""
    jobs, polls = await poll_to_the_end(HeyGenV3Fake(polls_to_complete=4, statuses_page_size=2), tmp_path,
                                        media_root, 5)
    assert [(j.status, j.error) for j in jobs] == [("succeeded", None)] * 5
    pages = [r for r in polls if r.path == "/v3/videos/statuses"]
    assert "token" not in pages[0].query and pages[1].query["token"]
    assert pages[1].query["video_ids"] == pages[0].query["video_ids"]  # the same batch, its next page
    assert not [r for r in polls if r.status == 404]

