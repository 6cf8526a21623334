"""A photo that declares more pixels than the documented cap is refused before it is decoded, naming the cap."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
from tests.test_media import png_bomb

pytestmark = [pytest.mark.anyio, pytest.mark.render]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_decompression_bomb_photo_is_refused_naming_the_limit(settings: Settings, media_root: Path,
                                                                      mode: str) -> None:
    png_bomb(media_root / "bomb.png")
    async with Client(build_server(settings), mode=mode) as client:
        refused = await client.call_tool("create_photo_avatar", {"provider": "local", "name": "Big",
                                                                 "image": "bomb.png"})
        jobs = (await client.call_tool("list_jobs", {})).structured_content["jobs"]  # type: ignore[index]
    assert refused.is_error
    text = refused.content[0].text  # type: ignore[union-attr]
    assert "7600x7600 pixels" in text and "at most 40 megapixels" in text
    assert jobs == []
