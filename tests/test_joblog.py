"""Job events reach 2025-11-25-era sessions as log messages, filtered by logging/setLevel; 2026 sessions get none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcp_types import LoggingMessageNotificationParams

from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
from tests.fakes import countdown

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")]
VIDEO = {"scenes": [{"avatar_id": "cd-avatar", "script": "Hello there.", "voice_id": "cd-ann"}],
         "orientation": "landscape", "provider": "countdown"}


def server(settings: Settings) -> Any:
    return build_server(settings, provider_factory=countdown.entries)


class Log:
    def __init__(self) -> None:
        self.entries: list[LoggingMessageNotificationParams] = []

    async def __call__(self, params: LoggingMessageNotificationParams) -> None:
        self.entries.append(params)

    def events(self) -> list[tuple[str, str, str]]:
        return [(e.level, e.data["event"], e.data["status"]) for e in self.entries]


async def test_a_legacy_session_hears_submission_status_changes_and_the_finished_files(settings: Settings) -> None:
    log = Log()
    async with Client(server(settings), mode="legacy", logging_callback=log) as client:
        assert client.server_capabilities.logging is not None
        assert (await client.set_logging_level("info")) is not None
        started = (await client.call_tool("create_video", VIDEO)).structured_content
        done = (await client.call_tool("check_job", {"job_id": started["job_id"], "wait_seconds": 10}))
        assert done.structured_content["status"] == "succeeded"
        await anyio.sleep(0.05)
    events = log.events()
    assert events[0] == ("info", "submitted", "queued")
    assert ("info", "status", "processing") in events
    assert events[-1] == ("info", "status", "succeeded")
    final = log.entries[-1]
    assert final.logger == "avatar_mcp.jobs"
    assert final.data["job_id"] == started["job_id"]
    assert final.data["video_path"] == done.structured_content["result"]["video_path"]


async def test_set_level_filters_what_follows(settings: Settings) -> None:
    log = Log()
    async with Client(server(settings), mode="legacy", logging_callback=log) as client:
        await client.set_logging_level("warning")
        started = (await client.call_tool("create_video", VIDEO)).structured_content
        await client.call_tool("cancel_job", {"job_id": started["job_id"]})
        await anyio.sleep(0.05)
    assert log.events() == [("warning", "status", "canceled")]


async def test_the_background_poller_s_events_reach_the_session_that_created_the_job(settings: Settings) -> None:
    log = Log()
    async with Client(server(settings), mode="legacy", logging_callback=log) as client:
        await client.call_tool("create_video", VIDEO)
        with anyio.fail_after(10):
            while not log.entries or log.entries[-1].data["status"] != "succeeded":
                await anyio.sleep(0.05)
    assert log.events()[0][1] == "submitted"


async def test_a_2026_session_has_no_logging_and_gets_no_log_messages(settings: Settings) -> None:
    log = Log()
    async with Client(server(settings), mode="auto", logging_callback=log, log_level="debug") as client:
        assert client.server_capabilities.logging is None
        started = (await client.call_tool("create_video", VIDEO)).structured_content
        await client.call_tool("check_job", {"job_id": started["job_id"], "wait_seconds": 10})
        with pytest.raises(MCPError):
            await client.set_logging_level("info")
    assert log.entries == []


@pytest.mark.parametrize(("mode", "code"), [("legacy", -32002), ("auto", -32602)])
async def test_an_unknown_resource_is_the_era_s_resource_not_found_error(settings: Settings, mode: str,
                                                                         code: int) -> None:
    async with Client(server(settings), mode=mode) as client:
        with pytest.raises(MCPError) as job:
            await client.read_resource("avatar://jobs/job_doesnotexist")
        with pytest.raises(MCPError) as voices:
            await client.read_resource("avatar://voices/nosuchvendor")
        with pytest.raises(MCPError) as nothing:
            await client.read_resource("avatar://nothing/here")
        with pytest.raises(MCPError) as media:
            await client.read_resource("avatar://media/job_doesnotexist/video.mp4")
        started = await client.call_tool("create_video", VIDEO)
        job_id = started.structured_content["job_id"]  # type: ignore[index]
        done = await client.call_tool("check_job", {"job_id": job_id, "wait_seconds": 10})
        with pytest.raises(MCPError) as file:
            await client.read_resource(f"avatar://media/{job_id}/nosuchfile.mp4")
        video = Path(done.structured_content["result"]["video_path"])  # type: ignore[index]
        video.unlink()
        with pytest.raises(MCPError) as gone:
            await client.read_resource(f"avatar://media/{job_id}/{video.name}")
    assert job.value.error.code == code and "job_doesnotexist" in job.value.error.message
    assert media.value.error.code == code and "job_doesnotexist" in media.value.error.message
    assert file.value.error.code == code and "nosuchfile.mp4" in file.value.error.message
    assert gone.value.error.code == code and "download_result" in gone.value.error.message
    assert voices.value.error.code == code and "nosuchvendor" in voices.value.error.message
    assert nothing.value.error.code == code
