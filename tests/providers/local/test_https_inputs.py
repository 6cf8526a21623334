"""https media for the local studio: downloaded under the outbound policy, over real TLS on loopback.

The test host is on 127.0.0.1, which the policy refuses unless AVATAR_MCP_OUTBOUND_ALLOW_HOSTS names it (as a
self-hosting user would name their media server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp.client import Client
from starlette.types import Receive, Scope, Send

from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
from tests.conftest import make_settings
from tests.fakes._harness import FakeVendor, self_signed, serve_asgi

pytestmark = [pytest.mark.anyio, pytest.mark.render]
PORTRAIT = Path(__file__).resolve().parents[3] / "avatar_mcp" / "assets" / "portraits" / "grace_hopper.jpg"


@pytest.fixture
def cdn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVendor]:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the server's httpx client trusts it when it is created
    host = FakeVendor()
    host.add_media("grace.jpg", PORTRAIT.read_bytes(), "image/jpeg")
    host.add_media("huge.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (11 * 1024 * 1024), "image/jpeg")
    host.add_media("page.jpg", b"<html>not a picture</html>", "image/jpeg")
    fetched: list[str] = []
    host.fetched = fetched  # type: ignore[attr-defined]

    async def counting(scope: Scope, receive: Receive, send: Send) -> None:
        fetched.append(scope.get("path", ""))
        await host.app(scope, receive, send)

    with serve_asgi(counting, lifespan=False, tls=(cert, key)) as base:
        host.base_url = base
        yield host


@pytest.fixture
def self_hosted(tmp_path: Path, media_root: Path) -> Settings:
    return make_settings(tmp_path, media_root, outbound_allow_hosts=["127.0.0.1"])


async def test_an_https_photo_is_downloaded_and_becomes_an_avatar(self_hosted: Settings, cdn: FakeVendor) -> None:
    async with Client(build_server(self_hosted), mode="legacy") as client:
        made = await client.call_tool("create_photo_avatar", {"provider": "local", "name": "Grace",
                                                              "image": cdn.media_url("grace.jpg")})
    assert not made.is_error, made.content
    assert made.structured_content["status"] == "succeeded"


@pytest.mark.parametrize("name", ["huge.jpg", "page.jpg"])
async def test_a_download_too_big_or_not_an_image_is_refused(self_hosted: Settings, cdn: FakeVendor,
                                                             name: str) -> None:
    async with Client(build_server(self_hosted), mode="legacy") as client:
        refused = await client.call_tool("create_photo_avatar", {"provider": "local", "name": "x",
                                                                 "image": cdn.media_url(name)})
        jobs = (await client.call_tool("list_jobs", {})).structured_content["jobs"]
    assert refused.is_error
    text = refused.content[0].text
    assert "Could not download an image file from 127.0.0.1" in text and "at most 10 MB" in text
    assert "image/jpeg" not in text and "html" not in text  # what answered is never told
    assert jobs == []


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_an_https_url_on_loopback_is_refused_without_being_fetched(settings: Settings, cdn: FakeVendor,
                                                                         mode: str) -> None:
    async with Client(build_server(settings), mode=mode) as client:
        refused = await client.call_tool("create_photo_avatar", {"provider": "local", "name": "x",
                                                                 "image": cdn.media_url("grace.jpg")})
        jobs = (await client.call_tool("list_jobs", {})).structured_content["jobs"]
    assert refused.is_error and "Could not download an image file from 127.0.0.1" in refused.content[0].text
    assert cdn.fetched == []  # type: ignore[attr-defined]  # refused before connecting
    assert jobs == []
