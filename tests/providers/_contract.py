"""What the vendor contract tests share: a driver that calls tools through the real MCP client, remembers which it
drove, and checks at the end that it drove every tool the vendor supports and that the emulator refused nothing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from mcp.client import Client

from tests.conftest import PORTRAITS
from tests.fakes._harness import DATA, FakeVendor

JOB_TOOLS = frozenset({"list_providers", "check_job", "list_jobs", "cancel_job", "download_result"})
"""Tools every provider's jobs go through, besides its own operations."""


def media(media_root: Path) -> None:
    """A 512x512 JPEG portrait (me.jpg) and a tiny MP4 (clip.mp4) inside the media root."""
    shutil.copy(PORTRAITS / "astronaut.jpg", media_root / "me.jpg")
    shutil.copy(DATA / "tiny.mp4", media_root / "clip.mp4")


class Driver:
    """Calls tools that must succeed, and records which tools were driven."""

    def __init__(self, client: Client, provider: str) -> None:
        self.client = client
        self.provider = provider
        self.driven: set[str] = set()

    async def ok(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = await self.client.call_tool(tool, arguments)
        text = "\n".join(getattr(c, "text", "") for c in result.content)
        assert not result.is_error, f"{tool}: {text}"
        self.driven.add(tool)
        return result.structured_content or {}

    async def done(self, handle: dict[str, Any], wait: float = 20.0) -> dict[str, Any]:
        """check_job until the job has succeeded."""
        assert handle.get("job_id"), handle
        finished = await self.ok("check_job", {"job_id": handle["job_id"], "wait_seconds": wait})
        assert finished["status"] == "succeeded", finished
        return finished

    async def jobs_tools(self, video_job: str, start_another: tuple[str, dict[str, Any]]) -> None:
        """download_result on a finished job, cancel_job on one just started, list_jobs."""
        await self.ok("download_result", {"job_id": video_job})
        started = await self.ok(*start_another)
        canceled = await self.ok("cancel_job", {"job_id": started["job_id"]})
        assert canceled["status"] in ("canceled", "succeeded"), canceled
        listed = await self.ok("list_jobs", {"provider": self.provider, "limit": 100})
        assert listed["jobs"]

    async def supported(self) -> set[str]:
        """The tools this vendor supports: its operations (list_providers) and the job tools."""
        listed = await self.ok("list_providers", {})
        [info] = [p for p in listed["providers"] if p["name"] == self.provider]
        return set(info["capabilities"]) | JOB_TOOLS

    async def finish(self, fake: FakeVendor) -> None:
        """Every supported tool was driven, and the emulator refused none of the requests it got."""
        missing = await self.supported() - self.driven
        assert not missing, f"tools not driven: {sorted(missing)}"
        refused = [(r.method, r.raw_path, r.status) for r in fake.refused()]
        assert refused == [], refused
