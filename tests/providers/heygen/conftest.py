"""Fixtures of the HeyGen tests: an emulator per API generation on loopback, settings pointing at it, the service."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.heygen.provider import HeyGenProvider, from_settings
from avatar_mcp.providers.heygen.spec import SPEC as HEYGEN
from avatar_mcp.providers.heygen.spec import TIMING
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.providers.timing import Timing
from avatar_mcp.runtime import open_service
from avatar_mcp.server import build_server
from avatar_mcp.service import AvatarService
from tests.conftest import PORTRAITS, make_settings
from tests.fakes._harness import DATA, serve
from tests.fakes._heygen_catalogue import VOICES
from tests.fakes._heygen_common import HeyGenFakeBase
from tests.fakes.heygen_v2 import HeyGenV2Fake
from tests.fakes.heygen_v3 import HeyGenV3Fake

KEY = "test-heygen-key"
FAST = dataclasses.replace(TIMING.scaled(0.001), twin_seconds=0.5, training_seconds=0.5)
"""Expected durations and gate waits shrunk for the emulators (they finish after a number of polls, not seconds)."""
VOICE = str(VOICES[0]["voice_id"])
STOCK = "josh_lite3_20230714"
APIS = ["v2", "v3"]
Factory = Callable[[Settings, SharedHTTP, MediaPolicy], Sequence[ProviderEntry]]


def make_fake(api: str, **options: Any) -> HeyGenFakeBase:
    return HeyGenV2Fake(**options) if api == "v2" else HeyGenV3Fake(**options)


@pytest.fixture
def photo(media_root: Path) -> Path:
    """A 512x512 JPEG portrait inside the media root (the smallest size HeyGen accepts)."""
    target = media_root / "me.jpg"
    shutil.copy(PORTRAITS / "astronaut.jpg", target)
    return target


@pytest.fixture
def clip(media_root: Path) -> Path:
    target = media_root / "clip.mp4"
    shutil.copy(DATA / "tiny.mp4", target)
    return target


@pytest.fixture
def v2() -> Iterator[HeyGenV2Fake]:
    fake = HeyGenV2Fake(polls_to_complete=0)
    with serve(fake):
        yield fake


@pytest.fixture
def v3() -> Iterator[HeyGenV3Fake]:
    fake = HeyGenV3Fake(polls_to_complete=0)
    with serve(fake):
        yield fake


def heygen_settings(tmp_path: Path, media_root: Path, fake: HeyGenFakeBase, api: str | None,
                    **overrides: Any) -> Settings:
    """Settings pointing HEYGEN_BASE_URL / HEYGEN_UPLOAD_URL at the emulator; api None leaves the version unset."""
    values: dict[str, Any] = {"heygen_api_key": SecretStr(KEY), "heygen_base_url": fake.base_url,
                              "heygen_upload_url": fake.base_url}
    if api is not None:
        values["heygen_api_version"] = api
    return make_settings(tmp_path, media_root, **values, **overrides)


def version_setting(api: str) -> str | None:
    """v3 runs with HEYGEN_API_VERSION unset (the default); v2 sets it."""
    return "v2" if api == "v2" else None


def factory(timing: Timing = FAST, **options: Any) -> Factory:
    """The registry's heygen entry, built by heygen.provider.from_settings with test timing."""

    def build(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Sequence[ProviderEntry]:
        provider = from_settings(settings, http, media, timing=timing, **options)
        return [ProviderEntry(spec=HEYGEN, provider=provider)]

    return build


@asynccontextmanager
async def heygen_service(settings: Settings, *, timing: Timing = FAST, poll: bool = False,
                         **options: Any) -> AsyncIterator[tuple[AvatarService, HeyGenProvider]]:
    async with open_service(settings, factory(timing, **options), poll=poll) as service:
        provider = service.entries["heygen"].provider
        assert isinstance(provider, HeyGenProvider)
        yield service, provider


class Session:
    """A client session that records every answer (for the leak check)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.texts: list[str] = []

    async def call(self, tool: str, arguments: dict[str, Any], *, ok: bool = True) -> dict[str, Any]:
        result = await self.client.call_tool(tool, arguments)
        text = "\n".join(getattr(c, "text", "") for c in result.content)
        self.texts += [text, json.dumps(result.structured_content)]
        assert result.is_error is not ok, text
        return result.structured_content or {"error_text": text}

    async def finish(self, handle: dict[str, Any], wait: float = 20) -> dict[str, Any]:
        assert handle.get("job_id"), handle
        done = await self.call("check_job", {"job_id": handle["job_id"], "wait_seconds": wait})
        assert done["status"] == "succeeded", done
        return done


def server(settings: Settings) -> Any:
    """The MCP server over these settings, its HeyGen provider built with test timing."""
    return build_server(settings, provider_factory=factory())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
