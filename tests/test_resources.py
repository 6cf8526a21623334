"""Resources through the SDK's real Client: what a read that cannot be served answers, in both protocol eras."""

from __future__ import annotations

import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError

from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
from tests.fakes import countdown

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_catalogue_of_an_unconfigured_provider_is_invalid_params_saying_what_to_set(settings: Settings,
                                                                                          mode: str) -> None:
    async with Client(build_server(settings, provider_factory=countdown.entries), mode=mode) as client:
        for uri in ("avatar://avatars/heygen", "avatar://voices/heygen"):
            with pytest.raises(MCPError) as caught:
                await client.read_resource(uri)
            # A request this server cannot serve as configured, not an internal error (-32603).
            assert caught.value.error.code == -32602, uri
            assert "HEYGEN_API_KEY" in caught.value.error.message
