"""https media for the local studio: downloaded with size and type limits, over real TLS on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
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
    with serve_asgi(host.app, lifespan=False, tls=(cert, key)) as base:
        host.base_url = base
        yield host


async def test_an_https_photo_is_downloaded_and_becomes_an_avatar(settings: Settings, cdn: FakeVendor) -> None:
    async with Client(build_server(settings), mode="legacy") as client:
        made = await client.call_tool("create_photo_avatar", {"provider": "local", "name": "Grace",
                                                              "image": cdn.media_url("grace.jpg")})
    assert not made.is_error, made.content
    assert made.structured_content["status"] == "succeeded"


@pytest.mark.parametrize(("name", "reason"), [("huge.jpg", "larger than 10 MB"), ("page.jpg", "image is needed")])
async def test_a_download_too_big_or_not_an_image_is_refused(settings: Settings, cdn: FakeVendor, name: str,
                                                             reason: str) -> None:
    async with Client(build_server(settings), mode="legacy") as client:
        refused = await client.call_tool("create_photo_avatar", {"provider": "local", "name": "x",
                                                                 "image": cdn.media_url(name)})
        jobs = (await client.call_tool("list_jobs", {})).structured_content["jobs"]
    assert refused.is_error
    assert reason in refused.content[0].text
    assert jobs == []
