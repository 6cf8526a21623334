"""tools/list from the start-up cache is exactly the live answer, and any code change makes it miss."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.client import Client
from mcp.server.mcpserver import MCPServer

from avatar_mcp.config import Settings
from avatar_mcp.listing_cache import ToolListCache, fingerprint
from avatar_mcp.server import build_server

pytestmark = pytest.mark.anyio


async def test_a_second_start_answers_tools_list_from_the_cache_identically(settings: Settings) -> None:
    async with Client(build_server(settings), mode="legacy") as client:
        first = (await client.list_tools()).tools
    cache = ToolListCache(settings.data_dir / "cache")
    assert cache.load() == first
    second = build_server(settings)
    assert await second.list_tools() == first  # answered from the cache: nothing built yet
    assert not second._tools_built
    second.build_tools()
    assert await MCPServer.list_tools(second) == first  # the live answer is the same


async def test_a_cache_for_other_code_is_ignored(settings: Settings, tmp_path: Path) -> None:
    cache = ToolListCache(settings.data_dir / "cache")
    server = build_server(settings)
    live = await server.list_tools()
    cache._key = "other-code"
    assert cache.load() is None
    cache.save(live[:1])
    fresh = ToolListCache(settings.data_dir / "cache")
    assert fresh.load() is None  # saved under another key


def test_the_fingerprint_changes_when_a_source_file_changes(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    before = fingerprint(package)
    (package / "a.py").write_text("x = 22\n")
    assert fingerprint(package) != before


async def test_a_corrupt_cache_file_is_a_miss(settings: Settings) -> None:
    cache = ToolListCache(settings.data_dir / "cache")
    cache.path.parent.mkdir(parents=True)
    cache.path.write_text("{not json")
    assert cache.load() is None
    server = build_server(settings)
    assert {t.name for t in await server.list_tools()} >= {"create_video", "check_job", "create_video_from_prompt"}
