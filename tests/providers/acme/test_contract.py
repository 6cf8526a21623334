"""A fictitious sixth vendor, Acme (spec, wire, status and provider in this folder; its emulator in
tests/fakes/acme.py), added without touching any module of the package: it appears in list_providers and passes the
contract suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers import build_providers
from avatar_mcp.providers.base import Provider
from avatar_mcp.providers.timing import Timing
from avatar_mcp.server import build_server
from tests.conftest import make_settings
from tests.fakes.acme import AcmeFake
from tests.providers._vendors import call
from tests.providers.acme.provider import AcmeProvider
from tests.providers.acme.spec import SPEC, TIMING
from tests.providers.contract import Driver, IdArgument, ProviderContract, Vendor

KEY = "test-acme-key"


@pytest.fixture(autouse=True)
def _acme_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Acme has no Settings field: it is configured from the environment, as any vendor added that way."""
    monkeypatch.setenv("ACME_API_KEY", KEY)
    monkeypatch.setenv("ACME_BASE_URL", "https://api.acme.example")
    yield


def settings(tmp: Path, root: Path, fake: Any) -> Settings:
    os.environ["ACME_BASE_URL"] = fake.base_url  # restored by the fixture's monkeypatch
    return make_settings(tmp, root)


def build(settings: Settings, http: SharedHTTP, media: MediaPolicy, timing: Timing) -> Provider:
    return AcmeProvider.from_settings(settings, http, media, timing=timing)


def video(fake: Any) -> tuple[str, dict[str, Any]]:
    return "create_video", {"provider": "acme", "orientation": "landscape",
                            "scenes": [{"avatar_id": "av_ava1", "script": "Hello from Acme.", "voice_id": "av_voice1"}]}


def ids(fake: Any) -> list[IdArgument]:
    def clip(avatar: str = "av_ava1", voice: str = "av_voice1") -> dict[str, Any]:
        return {"provider": "acme", "orientation": "landscape",
                "scenes": [{"avatar_id": avatar, "script": "Hi.", "voice_id": voice}]}

    return [("create_video", "scenes.0.avatar_id", lambda v: clip(avatar=v)),
            ("create_video", "scenes.0.voice_id", lambda v: clip(voice=v))]


async def drive(drive: Driver, fake: Any) -> None:
    clip = await drive.done(await drive.ok(*video(fake)))
    await drive.jobs_tools(clip["job_id"], video(fake))


ACME = Vendor("acme", "acme", lambda polls: AcmeFake(KEY, polls_to_complete=polls), settings, build,
              replace(TIMING, poll_after=0.05), video, "^/v1/videos$", ("GET", "^/v1/videos/"),
              lambda fake: len(fake.videos), KEY, recovers=True, ids=ids, drive=drive, spec=SPEC)


class TestAcmeContract(ProviderContract):
    vendor: ClassVar[Vendor] = ACME


def acme_only(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Any:
    return build_providers(settings, http, media, vendors=[SPEC])


@pytest.mark.anyio
async def test_acme_appears_in_list_providers_configured_or_not(tmp_path: Path, media_root: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    async with Client(build_server(make_settings(tmp_path, media_root), provider_factory=acme_only)) as client:
        configured = await call(client, "list_providers", {})
    monkeypatch.delenv("ACME_API_KEY")
    async with Client(build_server(make_settings(tmp_path, media_root), provider_factory=acme_only)) as client:
        missing = await call(client, "list_providers", {})
    [on] = [p for p in configured["providers"] if p["name"] == "acme"]
    [off] = [p for p in missing["providers"] if p["name"] == "acme"]
    assert on == {"name": "acme", "title": "Acme Avatars", "configured": True, "capabilities": ["create_video"],
                  "missing_settings": [], "notes": "One-scene videos."}
    assert off["configured"] is False and off["missing_settings"] == ["ACME_API_KEY"]
