"""Fault points: a real server process killed (SIGKILL) at each step of the job lifecycle, then another started on
the same data dir. The job must end in the right state, with its files in place, and nothing paid twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.jobs.sqlite import SqliteJobStore
from avatar_mcp.models import JobRecord
from tests.conftest import make_settings
from tests.fakes._harness import serve
from tests.fakes._heygen_catalogue import VOICES
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.jobs._processes import ServerProcess, server_env

pytestmark = [pytest.mark.anyio, pytest.mark.processes]
VIDEO = {"provider": "heygen", "orientation": "landscape",
         "scenes": [{"avatar_id": "josh_lite3_20230714", "script": "Hello there.", "voice_id": VOICES[0]["voice_id"]}]}
LOCAL = {"provider": "local", "dimension": {"width": 160, "height": 128},
         "scenes": [{"avatar_id": "local-grace", "silence_seconds": 1}]}
STATE_AT_CRASH = {"vendor_accepted": "submitting", "vendor_done": "finishing", "downloading": "finishing",
                  "downloaded": "finishing"}
STATUS_PATHS = ("^/v3/videos/statuses$", "^/v3/videos/[^/]+$")
TERMINAL = {"succeeded", "failed", "canceled", "unknown"}


def shared_settings(tmp_path: Path, media_root: Path, **values: Any) -> Settings:
    return make_settings(tmp_path, media_root, lease_seconds=1.5, poll_interval_seconds=0.1, **values)


async def stored(settings: Settings, job_id: str | None = None) -> JobRecord:
    store = SqliteJobStore(settings.db_path)
    try:
        return await store.get(job_id) if job_id else (await store.list())[0]
    finally:
        await store.close()


async def ended_once(settings: Settings, job_id: str) -> None:
    store = SqliteJobStore(settings.db_path)
    try:
        history = await store.history(job_id)
    finally:
        await store.close()
    assert [c.target for c in history if c.target in TERMINAL] == ["succeeded"], history


def attempt_folders(settings: Settings) -> list[Path]:
    return list((settings.media_dir / "jobs").glob("*/.attempt-*"))


def status_reads(fake: HeyGenV3Fake) -> int:
    return sum(len(fake.requests("GET", path)) for path in STATUS_PATHS)


@pytest.mark.parametrize("step", list(STATE_AT_CRASH))
async def test_a_vendor_job_killed_at_each_step_ends_right_after_a_restart_with_one_spend(
        step: str, tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=1)
    if step == "downloading":
        fake.add_fault("GET", "^/_media/", delay=3.0)  # a slow download, so the process dies in the middle of it
    media_gets = fake.add_fault("GET", "^/_media/", times=1000)  # counts the other downloads; changes nothing
    with serve(fake):
        settings = shared_settings(tmp_path, media_root, heygen_api_key=SecretStr("test-heygen-key"),
                                   heygen_base_url=fake.base_url, heygen_upload_url=fake.base_url)
        crash = f"{step}:0.5" if step == "downloading" else step
        first = await ServerProcess(server_env(settings, TEST_CRASH_AT=crash), tmp_path, "first").start()
        try:
            if step == "vendor_accepted":
                with anyio.fail_after(30), pytest.raises(Exception):  # noqa: B017 - the server dies mid-call
                    await first.call("create_video", VIDEO)
            else:
                await first.call("create_video", VIDEO)
            await first.died()
        finally:
            await first.close()
        crashed = await stored(settings)
        reads_before, downloads_before = status_reads(fake), 1000 - media_gets.times
        second = await ServerProcess(server_env(settings), tmp_path, "second").start()
        try:
            done = await second.call("check_job", {"job_id": crashed.id, "wait_seconds": 30})
        finally:
            await second.close()
    assert crashed.status == STATE_AT_CRASH[step], crashed
    assert done["status"] == "succeeded", done
    assert Path(done["result"]["video_path"]).is_file()
    creates = fake.requests("POST", "^/v3/videos$")
    assert len(fake.videos) == 1 and {c.headers["idempotency-key"] for c in creates} == {f"avatar-mcp:{crashed.id}"}
    # The answer to the create was lost only when the process died before recording it: then it was replayed
    # with the same key (the vendor made nothing new); otherwise the create went out once.
    assert len(creates) == (2 if step == "vendor_accepted" else 1)
    if step != "vendor_accepted":  # the vendor had said done: the restart did not ask again
        assert status_reads(fake) == reads_before
    if step == "downloaded":  # the files were in place already: nothing was downloaded again
        assert crashed.result is not None and crashed.result.video_path == done["result"]["video_path"]
        assert 1000 - media_gets.times == downloads_before
    await ended_once(settings, crashed.id)
    assert attempt_folders(settings) == []


async def test_a_local_render_killed_before_its_files_are_placed_is_rendered_again_by_the_next_process(
        tmp_path: Path, media_root: Path) -> None:
    settings = shared_settings(tmp_path, media_root)
    first = await ServerProcess(server_env(settings, TEST_CRASH_AT="rendered"), tmp_path, "first").start()
    try:
        started = await first.call("create_video", LOCAL)
        await first.died(timeout=90)
    finally:
        await first.close()
    crashed = await stored(settings, started["job_id"])
    assert crashed.status == "processing" and crashed.lease_owner is not None
    assert len(attempt_folders(settings)) == 1  # the dead render's own folder, with its video in it
    second = await ServerProcess(server_env(settings), tmp_path, "second").start()
    try:
        done = await second.call("check_job", {"job_id": started["job_id"], "wait_seconds": 90})
    finally:
        await second.close()
    assert done["status"] == "succeeded", done
    assert Path(done["result"]["video_path"]).is_file()
    assert (await stored(settings, started["job_id"])).takeovers == 1
    await ended_once(settings, started["job_id"])
    assert attempt_folders(settings) == []
