"""check_job(wait_seconds=0) latency, in process, through the SDK's real Client (in-memory transport).

Three jobs made through the real tools: an open vendor job (the countdown test vendor, polled by the poller
meanwhile), a finished local video,
and a finished local photo generation whose answer carries four inline thumbnails. Each is checked --calls times;
beside each, a bare MCPServer tool returns a model of the same size (the same answer, built once), so the
difference is what the job store and the answer cost. Goal: median <= 2 ms for every job.

    python bench/check_job.py [--calls 300]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcp.client import Client  # noqa: E402
from mcp.server.mcpserver import MCPServer  # noqa: E402
from mcp_types import CallToolResult  # noqa: E402

from avatar_mcp.config import Settings  # noqa: E402
from avatar_mcp.media import MediaPolicy  # noqa: E402
from avatar_mcp.models import JobHandle  # noqa: E402
from avatar_mcp.netclient import SharedHTTP  # noqa: E402
from avatar_mcp.providers.spec import ProviderEntry  # noqa: E402
from avatar_mcp.server import build_server  # noqa: E402
from tests.fakes.countdown import CountdownProvider  # noqa: E402

PHOTO = {"provider": "local", "name": "Ava", "age": "Young Adult", "gender": "Woman", "ethnicity": "East Asian",
         "orientation": "square", "pose": "close_up", "style": "Pixar", "appearance": "short black hair"}
VIDEO = {"provider": "local", "dimension": {"width": 320, "height": 240},
         "scenes": [{"avatar_id": "local-grace", "script": "Hello.", "voice_id": "espeak-en-us-female"}]}
OPEN = {"provider": "countdown", "orientation": "square",
        "scenes": [{"avatar_id": "cd-avatar", "script": "Hi.", "voice_id": "cd-ann"}]}


def never_finishing(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> list[ProviderEntry]:
    """The countdown test vendor, whose jobs stay open (polled by the poller all along, as a real render is)."""
    provider = CountdownProvider(settings.data_dir / "countdown", polls=10**9)
    return [ProviderEntry.of(provider)]


async def timed(client: Client, tool: str, arguments: dict[str, Any], calls: int) -> list[float]:
    for _ in range(20):  # warm up: first-call costs (imports, thumbnail files) are not what is measured
        await client.call_tool(tool, arguments)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        await client.call_tool(tool, arguments)
        times.append((time.perf_counter() - started) * 1000)
    return times


def bare_server(answer: CallToolResult) -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("bare")

    @server.tool()
    async def same_size() -> Annotated[CallToolResult, JobHandle]:
        """Return the prepared answer."""
        return answer

    return server


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    return f"median {statistics.median(ordered):.2f} ms, p95 {ordered[int(0.95 * (len(ordered) - 1))]:.2f} ms"


async def main(calls: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        media = Path(folder) / "media"
        media.mkdir()
        settings = Settings(_env_file=None, data_dir=Path(folder) / "data", media_roots=[media],  # type: ignore[call-arg]
                            poll_interval_seconds=0.05, log_level="WARNING")
        server = build_server(settings, provider_factory=never_finishing)
        async with Client(server, mode="auto") as client:
            jobs = {}
            for label, tool, arguments in (("open vendor job", "create_video", OPEN),
                                           ("finished local video", "create_video", VIDEO),
                                           ("finished photo generation, 4 thumbnails", "generate_photo_avatar",
                                            PHOTO)):
                started = (await client.call_tool(tool, arguments)).structured_content
                assert started is not None, label
                if label != "open vendor job":
                    done = await client.call_tool("check_job", {"job_id": started["job_id"], "wait_seconds": 120})
                    assert done.structured_content and done.structured_content["status"] == "succeeded", label
                jobs[label] = started["job_id"]
            print(f"check_job(wait_seconds=0), {calls} calls each, in process (in-memory transport); "
                  f"{platform.machine()}, Python {platform.python_version()}, {platform.system()}")
            for label, job_id in jobs.items():
                arguments = {"job_id": job_id, "wait_seconds": 0}
                answer = await client.call_tool("check_job", arguments)
                size = len(json.dumps(answer.model_dump(mode="json", exclude_none=True)))
                ours = await timed(client, "check_job", arguments, calls)
                async with Client(bare_server(answer), mode="auto") as bare_client:
                    bare = await timed(bare_client, "same_size", {}, calls)
                images = sum(1 for c in answer.content if c.type == "image")
                status = (answer.structured_content or {}).get("status")
                print(f"  {label} ({status}, {size / 1000:.1f} kB, {images} images): check_job {figures(ours)}; "
                      f"bare tool, same answer: {figures(bare)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    anyio.run(main, parser.parse_args().calls)
