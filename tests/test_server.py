"""The MCP surface through the SDK's real Client, in both protocol eras."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
from tests.fakes import countdown

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
CONTRACT_TOOLS = {
    "list_providers", "list_avatars", "list_voices", "generate_photo_avatar", "create_photo_avatar",
    "train_photo_avatar", "create_digital_twin", "create_companion", "create_video", "create_photo_video",
    "check_job", "list_jobs", "cancel_job", "download_result", "delete_avatar",
}
VIDEO = {"scenes": [{"avatar_id": "cd-avatar", "script": "Hello there.", "voice_id": "cd-ann"}],
         "orientation": "landscape", "provider": "countdown"}


def server(settings: Settings) -> Any:
    return build_server(settings, provider_factory=countdown.entries)


@pytest.mark.parametrize("mode", MODES)
async def test_every_contract_tool_is_listed_with_title_annotations_and_one_output_schema(settings: Settings,
                                                                                          mode: str) -> None:
    async with Client(server(settings), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert CONTRACT_TOOLS <= set(tools)
    for name in CONTRACT_TOOLS:
        tool = tools[name]
        assert tool.title, name
        assert tool.annotations is not None, name
        assert tool.output_schema is not None, name
        assert len(tool.description or "") > 80, name
        assert "answers" not in tool.input_schema.get("properties", {}), name


@pytest.mark.parametrize("mode", MODES)
async def test_a_job_runs_end_to_end_with_progress_and_lands_in_the_job_resource(settings: Settings,
                                                                                 mode: str) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async with Client(server(settings), mode=mode) as client:
        started = await client.call_tool("create_video", VIDEO)
        assert not started.is_error, started.content
        handle = started.structured_content
        assert handle["status"] == "queued"
        assert handle["job_id"].startswith("job_")
        assert handle["estimated_cost"]["amount"] == 1.0
        done = await client.call_tool("check_job", {"job_id": handle["job_id"], "wait_seconds": 10},
                                      progress_callback=on_progress)
        final = done.structured_content
        assert final["status"] == "succeeded", final
        assert final["result"]["duration_seconds"] == 1.5
        resource = await client.read_resource(f"avatar://jobs/{handle['job_id']}")
        detail = json.loads(resource.contents[0].text)
    assert detail["status"] == "succeeded"
    assert detail["result"]["video_path"] == final["result"]["video_path"]
    assert detail["request"]["arguments"]["scenes"][0]["script"] == "Hello there."
    assert len(progress) >= 2
    assert progress[-1][0] == 100
    assert any(0 < p[0] < 100 for p in progress)
