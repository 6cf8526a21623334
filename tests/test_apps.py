"""The avatar studio view (MCP Apps) through the SDK's real Client: what Apps hosts get, and that others get the
same tool answers as before."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.client.extension import advertise
from mcp.server import apps as sdk_apps
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPError

from avatar_mcp import apps
from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.server import build_server
from tests.fakes import countdown

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
ROOT = Path(__file__).resolve().parent.parent
VIDEO = {"scenes": [{"avatar_id": "cd-avatar", "script": "Hello there.", "voice_id": "cd-ann"}],
         "orientation": "landscape", "provider": "countdown"}


def apps_client(server: Any, mode: str) -> Client:
    """A client that negotiates MCP Apps, as Claude, ChatGPT or VS Code do."""
    return Client(server, mode=mode, extensions=[advertise(sdk_apps.EXTENSION_ID,
                                                           {"mimeTypes": [sdk_apps.APP_MIME_TYPE]})])


def server(settings: Settings) -> Any:
    return build_server(settings, provider_factory=countdown.entries)


@pytest.mark.parametrize("mode", MODES)
async def test_the_job_tools_name_the_studio_and_the_others_carry_no_meta(settings: Settings, mode: str) -> None:
    async with apps_client(server(settings), mode) as client:
        tools = (await client.list_tools()).tools
    bound = {t.name for t in tools if (t.meta or {}).get("ui", {}).get("resourceUri") == apps.STUDIO_URI}
    assert bound == apps.view_tools()
    assert all(t.meta is None for t in tools if t.name not in apps.view_tools())
    added = sum(len(json.dumps(t.meta)) for t in tools if t.meta)
    assert added < 700, f"the view's _meta costs {added} characters of tools/list"


@pytest.mark.parametrize("mode", MODES)
async def test_the_studio_page_is_an_mcp_app_resource_that_allows_no_network(settings: Settings, mode: str) -> None:
    async with apps_client(server(settings), mode) as client:
        advertised = client.server_capabilities.extensions or {}
        # The SDK advertises extensions from the 2026-07-28 era on; 2025 hosts find the view through tool _meta.
        assert (sdk_apps.EXTENSION_ID in advertised) == (mode == "auto")
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        read = await client.read_resource(apps.STUDIO_URI)
    assert listed[apps.STUDIO_URI].mime_type == sdk_apps.APP_MIME_TYPE
    content = read.contents[0]
    assert content.mime_type == sdk_apps.APP_MIME_TYPE
    assert content.text.startswith("<!doctype html>")  # type: ignore[union-attr]
    assert content.meta == {"ui": {"csp": {"connectDomains": [], "resourceDomains": []}, "prefersBorder": True}}


def test_the_constants_are_the_sdks_and_the_sdk_accepts_the_resource() -> None:
    assert apps.EXTENSION_ID == sdk_apps.EXTENSION_ID
    assert apps.APP_MIME_TYPE == sdk_apps.APP_MIME_TYPE
    sdk_apps.Apps().add_resource(apps.studio_resource())  # raises on a wrong scheme or MIME type
    csp = sdk_apps.ResourceCsp.model_validate(apps.STUDIO_UI_META["csp"])
    assert csp.model_dump(by_alias=True, exclude_none=True) == apps.STUDIO_UI_META["csp"]


LOADS = [r"<script[^>]*\bsrc\s*=", r"<link\b", r"<iframe\b", r"\b(?:src|href|action)\s*=\s*[\"']?(?:https?:)?//",
         r"url\(\s*[\"']?(?:https?:)?//", r"@import", r"\bimport\s*\(", r"\bfetch\s*\(", r"new\s+WebSocket\b",
         r"new\s+EventSource\b", r"XMLHttpRequest"]


def test_the_committed_page_is_small_and_loads_nothing() -> None:
    html = apps.STUDIO_HTML.read_text(encoding="utf-8")
    assert len(html.encode()) < 300 * 1024
    assert html.count("<script") == 1
    found = [pattern for pattern in LOADS if re.search(pattern, html, re.IGNORECASE)]
    assert not found, f"the page would reach the network: {found}"


def test_the_committed_page_is_built_from_the_current_sources() -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "web" / "node_modules" / "esbuild").is_dir():
        pytest.skip("Node or web/node_modules is missing (run `npm ci` in web/); .ci/run checks this with Node")
    check = subprocess.run([node, "build.mjs", "--check"], cwd=ROOT / "web", capture_output=True, text=True,
                           timeout=120)
    assert check.returncode == 0, check.stderr


# ------------------------------------------------------------------------------------------ degrading


def probed_server(settings: Settings) -> Any:
    """The real server plus one tool that says whether the SDK sees the calling client as an Apps host."""
    srv = server(settings)
    srv.build_tools()

    def supports_apps(ctx: Context[Any, Any]) -> bool:
        return sdk_apps.client_supports_apps(ctx)

    srv.add_tool(supports_apps)
    return srv


def comparable(result: Any) -> Any:
    return result.model_dump(mode="json", exclude={"meta"})


@pytest.mark.parametrize("mode", MODES)
async def test_a_client_without_apps_gets_the_same_answers_as_an_apps_host(settings: Settings, mode: str) -> None:
    srv = probed_server(settings)
    async with Client(srv, mode=mode) as plain:
        assert (await plain.call_tool("supports_apps", {})).structured_content == {"result": False}
        started = await plain.call_tool("create_video", VIDEO)
        job_id = started.structured_content["job_id"]
        plain_done = await plain.call_tool("check_job", {"job_id": job_id, "wait_seconds": 10})
        plain_missing = await plain.call_tool("create_video", {**VIDEO, "scenes": [{"avatar_id": "cd-avatar",
                                                                                     "script": "Hi."}]})
    async with apps_client(srv, mode) as host:
        assert (await host.call_tool("supports_apps", {})).structured_content == {"result": True}
        host_done = await host.call_tool("check_job", {"job_id": job_id})
        host_missing = await host.call_tool("create_video", {**VIDEO, "scenes": [{"avatar_id": "cd-avatar",
                                                                                   "script": "Hi."}]})
    assert plain_done.structured_content["status"] == "succeeded"
    assert comparable(plain_done) == comparable(host_done)
    assert plain_missing.structured_content["status"] == "needs_input"
    assert comparable(plain_missing) == comparable(host_missing)
    text = plain_done.content[0].text  # type: ignore[union-attr]
    assert text.startswith(f"Job {job_id} (video, countdown) has succeeded")


# ------------------------------------------------------------------------------------------ media


async def finished_video(client: Client) -> dict[str, Any]:
    started = await client.call_tool("create_video", VIDEO)
    done = await client.call_tool("check_job", {"job_id": started.structured_content["job_id"],
                                                "wait_seconds": 10})
    handle: dict[str, Any] = done.structured_content
    assert handle["status"] == "succeeded", handle
    return handle


async def read_error(client: Client, uri: str) -> str:
    with pytest.raises(MCPError) as caught:
        await client.read_resource(uri)
    return str(caught.value)


@pytest.mark.parametrize("mode", MODES)
async def test_a_finished_jobs_file_is_read_through_the_media_resource(settings: Settings, mode: str) -> None:
    async with apps_client(server(settings), mode) as client:
        handle = await finished_video(client)
        video = Path(handle["result"]["video_path"])
        read = await client.read_resource(f"avatar://media/{handle['job_id']}/{video.name}")
        unknown = await read_error(client, f"avatar://media/{handle['job_id']}/jobs.sqlite3")
        escape = await read_error(client, f"avatar://media/{handle['job_id']}/..%2F..%2Fjobs.sqlite3")
        no_job = await read_error(client, "avatar://media/job_nope/video.mp4")
        video.unlink()
        gone = await read_error(client, f"avatar://media/{handle['job_id']}/{video.name}")
    assert base64.b64decode(read.contents[0].blob) == b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64  # type: ignore[union-attr]
    assert f"has no file named 'jobs.sqlite3'; its files: {video.name}" in unknown
    assert escape.startswith("Unknown resource")  # the SDK refuses traversal before the handler runs
    assert "No job with id 'job_nope'" in no_job
    assert "call download_result" in gone


def outside_factory(folder: Path) -> Any:
    def entries(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Sequence[ProviderEntry]:
        provider = countdown.CountdownProvider(folder)
        return [ProviderEntry.of(provider)]

    return entries


async def test_files_outside_the_data_dir_or_too_big_are_refused_with_their_path(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "elsewhere"
    async with apps_client(build_server(settings, provider_factory=outside_factory(outside)), "auto") as client:
        handle = await finished_video(client)
        name = Path(handle["result"]["video_path"]).name
        refused = await read_error(client, f"avatar://media/{handle['job_id']}/{name}")
    assert "outside the server's data dir" in refused
    assert str(outside / name) in refused

    from avatar_mcp import resources

    monkeypatch.setattr(resources, "MEDIA_MAX_BYTES", 10)
    async with apps_client(server(settings), "auto") as client:
        handle = await finished_video(client)
        path = Path(handle["result"]["video_path"])
        too_big = await read_error(client, f"avatar://media/{handle['job_id']}/{path.name}")
    assert "too big to send as a resource" in too_big
    assert str(path) in too_big


async def test_a_new_start_answers_tools_list_from_the_cache_with_the_views_meta(settings: Settings) -> None:
    await server(settings).warm_up()
    fresh = server(settings)
    cached = await fresh.list_tools()
    assert not fresh._tools_built, "the answer came from building the tools, not from the cache"
    assert {t.name for t in cached if (t.meta or {}).get("ui", {}).get("resourceUri") == apps.STUDIO_URI} \
        == apps.view_tools()
