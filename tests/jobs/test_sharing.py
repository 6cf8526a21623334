"""Several services on one data dir in one test process (each with its own store connection and owner id, as
separate server processes have): who works on a job, what the others see, and what nobody may delete."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import anyio
import pytest

from avatar_mcp.config import Settings
from avatar_mcp.jobs.sqlite import SqliteJobStore
from avatar_mcp.jobs.store import new_job_id
from avatar_mcp.models import JobRecord, utcnow
from avatar_mcp.runtime import open_service
from avatar_mcp.service import AvatarService
from avatar_mcp.specs import Scene, VideoSpec
from tests.conftest import make_settings
from tests.fakes import countdown

pytestmark = pytest.mark.anyio
SHORT = VideoSpec(scenes=[Scene(avatar_id="local-grace", silence_seconds=4)], dimension={"width": 160, "height": 128})
# Long enough that it is still rendering when the other server's cancel arrives, however fast the machine.
LONG = VideoSpec(scenes=[Scene(avatar_id="local-grace", silence_seconds=100)] * 4,
                 dimension={"width": 160, "height": 128})


@pytest.fixture
def settings(tmp_path: Path, media_root: Path) -> Settings:
    return make_settings(tmp_path, media_root, lease_seconds=1.5)


async def submit_local(service: AvatarService, spec: VideoSpec) -> JobRecord:
    provider = service.entries["local"].provider
    assert provider is not None
    return await service.submit("create_video", spec, provider)


def job_files(settings: Settings, job_id: str) -> list[str]:
    return sorted(p.name for p in (settings.media_dir / "jobs" / job_id).iterdir())


@pytest.mark.render
async def test_a_second_server_neither_renders_again_nor_deletes_a_job_it_does_not_own(settings: Settings) -> None:
    async with open_service(settings) as first:
        job = await submit_local(first, SHORT)
        async with open_service(settings) as second:
            done = await second.wait(job.id, 120)
            assert done.status == "succeeded" and done.result is not None and done.result.video_path
            video = Path(done.result.video_path)
            assert video.is_file()
        # The second server has shut down: the finished video is still there, and it never worked on the job.
        assert video.is_file()
        history = await first.store.history(job.id)
    assert {c.owner for c in history} == {first.owner}
    assert (await first_record(settings, job.id)).takeovers == 0
    assert video.is_file() and not [n for n in job_files(settings, job.id) if n.startswith(".attempt-")]


async def first_record(settings: Settings, job_id: str) -> JobRecord:
    store = SqliteJobStore(settings.db_path)
    try:
        return await store.get(job_id)
    finally:
        await store.close()


@pytest.mark.render
async def test_another_server_sees_a_renders_progress_and_its_cancel_stops_the_render_leaving_no_video(
        settings: Settings) -> None:
    async with open_service(settings) as first, open_service(settings, poll=False) as second:
        job = await submit_local(first, LONG)
        with anyio.fail_after(60):
            while (await second.get(job.id)).progress <= 0.1:  # the first server's progress, seen from the second
                await anyio.sleep(0.1)
        canceled = await second.cancel(job.id)
        assert canceled.status == "canceled"
        with anyio.fail_after(30):
            while first.engine.pool.running(job.id) is not None:
                await anyio.sleep(0.05)
        final = await first.get(job.id)
    assert final.status == "canceled" and final.result is None
    assert not [n for n in job_files(settings, job.id) if n.startswith("video") or n.startswith(".attempt-")]


async def test_a_live_owners_vendor_job_is_never_taken_over_but_a_dead_owners_is(settings: Settings) -> None:
    async with open_service(settings, countdown.entries, poll=False) as service:
        provider = service.entries["countdown"].provider
        assert isinstance(provider, countdown.CountdownProvider)
        live = await service.store.create(JobRecord(
            id=new_job_id(), kind="video", provider="countdown", operation="create_video", vendor_id="cd_live",
            status="processing", next_poll_at=utcnow() - timedelta(seconds=1)), owner="elsewhere:1:x", ttl=60)
        dead = await service.store.create(JobRecord(
            id=new_job_id(), kind="video", provider="countdown", operation="create_video", vendor_id="cd_dead",
            status="processing", next_poll_at=utcnow() - timedelta(seconds=1)), owner="gone:2:y", ttl=0.5)
        await anyio.sleep(0.8)
        await service.poll_due()
        assert (await service.refresh(live.id, force=True)).version == live.version
        after_live, after_dead = await service.get(live.id), await service.get(dead.id)
    assert after_live.lease_owner == "elsewhere:1:x" and after_live.poll_count == 0
    assert "cd_live" not in provider.state_file.read_text()  # its vendor was never asked
    assert after_dead.poll_count == 1 and after_dead.takeovers == 1 and after_dead.lease_owner is None


async def test_reads_never_wait_for_the_database_write_lock(settings: Settings) -> None:
    async with open_service(settings, countdown.entries, poll=False) as service:
        job = await service.store.create(JobRecord(id=new_job_id(), kind="video", provider="countdown",
                                                   operation="create_video", status="processing"))
        blocker = sqlite3.connect(settings.db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process in the middle of a write, for longer than any read
        try:
            with anyio.fail_after(3):  # writers would wait up to the 10 s busy timeout
                assert (await service.wait(job.id, 0)).status == "processing"
                assert [j.id for j in await service.list_jobs()] == [job.id]
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()


async def test_a_waiting_reader_sees_a_change_another_process_made(settings: Settings) -> None:
    async with open_service(settings, countdown.entries, poll=False) as service:
        job = await service.store.create(JobRecord(id=new_job_id(), kind="video", provider="countdown",
                                                   operation="create_video", status="processing"))
        other = SqliteJobStore(settings.db_path)

        async def finish_elsewhere() -> None:
            await anyio.sleep(0.3)
            await other.update(job.id, status="succeeded", progress=1.0)

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(finish_elsewhere)
                with anyio.fail_after(10):
                    done = await service.wait(job.id, 30)
        finally:
            await other.close()
    assert done.status == "succeeded"


@pytest.mark.render
async def test_a_local_job_whose_submitter_died_while_reading_its_inputs_is_submitted_again_and_rendered(
        settings: Settings) -> None:
    async with open_service(settings) as service:
        # As a crash mid-intake leaves it: `submitting`, leased to a process that is gone.
        job = await service.store.create(JobRecord(
            id=new_job_id(), kind="video", provider="local", operation="create_video", next_poll_at=utcnow(),
            request={"arguments": SHORT.model_dump(mode="json", exclude_none=True)}), owner="gone:1:x", ttl=0.3)
        done = await service.wait(job.id, 120)
        history = await service.store.history(job.id)
    assert done.status == "succeeded" and done.result is not None and Path(done.result.video_path or "").is_file()
    assert done.takeovers == 1
    assert [c.target for c in history] == ["submitting", "queued", "processing", "succeeded"]


@pytest.mark.render
async def test_checking_a_queued_local_job_does_not_start_it_past_the_render_slots(settings: Settings) -> None:
    """One render slot: a check (refresh) of the job waiting behind a running render leaves it waiting, instead of
    starting a second render beside it (an agent checking ten queued jobs would start ten)."""
    async with open_service(settings, poll=False) as service:
        running = await submit_local(service, LONG)
        waiting = await submit_local(service, LONG)
        assert service.engine.pool.running(running.id) is not None
        checked = await service.refresh(waiting.id, force=True)
        assert checked.status == "queued" and checked.lease_owner is None
        assert service.engine.pool.running(waiting.id) is None
        for job in (running, waiting):
            await service.cancel(job.id)
