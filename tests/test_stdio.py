"""The real server process over stdio: both protocol eras, and a SIGKILL in the middle of a job loses nothing."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import anyio
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from avatar_mcp.config import Settings
from tests.conftest import env_for

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent
VIDEO = {"scenes": [{"avatar_id": "cd-avatar", "script": "Hello.", "voice_id": "cd-ann"}], "orientation": "square",
         "provider": "countdown"}


def params(settings: Settings, pid_file: Path) -> StdioServerParameters:
    # The shell records the PID and then becomes the server, so the test can kill exactly that process.
    command = f'echo $$ > "{pid_file}"; exec "{sys.executable}" -m tests.fakes.countdown'
    return StdioServerParameters(command="/bin/sh", args=["-c", command], env=env_for(settings), cwd=str(ROOT))


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_server_answers_over_stdio(settings: Settings, tmp_path: Path, mode: str) -> None:
    async with Client(params(settings, tmp_path / "pid"), mode=mode) as client:
        tools = await client.list_tools()
        providers = await client.call_tool("list_providers", {})
    assert "create_video" in {t.name for t in tools.tools}
    names = {p["name"] for p in providers.structured_content["providers"]}
    assert {"heygen", "runware", "creatify", "napster", "local", "countdown"} <= names


async def test_a_job_survives_sigkill_of_the_server(settings: Settings, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    try:
        async with Client(params(settings, pid_file), mode="legacy") as client:
            started = await client.call_tool("create_video", VIDEO)
            job_id = started.structured_content["job_id"]
            assert started.structured_content["status"] == "queued"
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
            with anyio.fail_after(10):
                while True:  # the client notices the dead server
                    try:
                        await client.call_tool("list_jobs", {})
                    except Exception:
                        break
                    await anyio.sleep(0.1)
    except Exception:
        pass
    async with Client(params(settings, tmp_path / "pid2"), mode="auto") as client:
        listed = await client.call_tool("list_jobs", {})
        assert [j["job_id"] for j in listed.structured_content["jobs"]] == [job_id]
        done = await client.call_tool("check_job", {"job_id": job_id, "wait_seconds": 15})
    assert done.structured_content["status"] == "succeeded", done.structured_content
    assert done.structured_content["result"]["duration_seconds"] == 1.5
