"""The five vendor backends as test cases: an emulator, settings pointing at it, the server's provider factory, and
one paid create to drive. Tests that must hold for every vendor (interrupted creates, hostile ids, contracts) are
parametrized over VENDORS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mcp.client import Client
from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.creatify.provider import CreatifyProvider
from avatar_mcp.providers.creatify.spec import TIMING as CREATIFY_TIMING
from avatar_mcp.providers.napster.provider import NapsterProvider
from avatar_mcp.providers.napster.spec import TIMING as NAPSTER_TIMING
from avatar_mcp.providers.runware.provider import RunwareProvider
from avatar_mcp.providers.runware.spec import TIMING as RUNWARE_TIMING
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.providers.timing import Timing
from avatar_mcp.server import build_server
from tests.conftest import make_settings
from tests.fakes._harness import FakeVendor
from tests.fakes.creatify import CreatifyFake
from tests.fakes.heygen_v2 import HeyGenV2Fake
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.fakes.napster import NapsterFake
from tests.fakes.runware import RunwareFake
from tests.providers._vendors import only
from tests.providers.heygen.conftest import STOCK, VOICE, factory, heygen_settings

Factory = Callable[[Settings, SharedHTTP, MediaPolicy], Sequence[ProviderEntry]]
RUNWARE_AVATAR = "Abigail_expressive_2024112501"
NAPSTER_PICTURE = "https://cdn.example.com/ava.jpg"


@dataclass(frozen=True)
class Vendor:
    """One vendor backend under test."""

    id: str
    provider: str
    make_fake: Callable[[], FakeVendor]
    settings: Callable[[Path, Path, Any], Settings]
    factory: Factory
    create: Callable[[Any], tuple[str, dict[str, Any]]]
    """A paid create: (tool, arguments), given the running emulator (some ids come from it)."""
    create_path: str
    """The create request's path (a regex), where faults are injected."""
    vendor_jobs: Callable[[Any], int]
    """How many jobs the vendor holds (what a create adds one to)."""
    recovers: bool
    """A lost create is recovered (replayed by key, or found in the vendor's lists) rather than left `unknown`."""

    def client(self, settings: Settings) -> Client:
        return Client(build_server(settings, provider_factory=self.factory), mode="auto")


def _poll_fast(cls: Any, timing: Timing) -> Factory:
    def make(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Any:
        return cls.from_settings(settings, http, media, timing=replace(timing, poll_after=0.05))

    return only(cls.name, make)


def heygen_video(fake: Any) -> tuple[str, dict[str, Any]]:
    return "create_video", {"provider": "heygen", "orientation": "landscape",
                            "scenes": [{"avatar_id": STOCK, "script": "Hello there.", "voice_id": VOICE}]}


def runware_video(fake: Any) -> tuple[str, dict[str, Any]]:
    return "create_video", {"provider": "runware", "orientation": "landscape", "scenes": [
        {"avatar_id": RUNWARE_AVATAR, "script": "Welcome to the tour.", "voice_id": "en-US-Aria"}]}


def creatify_persona(fake: CreatifyFake) -> str:
    return str(next(p["id"] for p in fake.personas.values() if p["is_active"]))


def creatify_accent(fake: CreatifyFake) -> str:
    return str(fake.voices[0]["accents"][0]["id"])


def creatify_video(fake: CreatifyFake) -> tuple[str, dict[str, Any]]:
    return "create_video", {"provider": "creatify", "orientation": "portrait", "scenes": [
        {"avatar_id": creatify_persona(fake), "script": "Hello and welcome.", "voice_id": creatify_accent(fake)}]}


def napster_companion(fake: Any) -> tuple[str, dict[str, Any]]:
    return "create_companion", {"provider": "napster", "description": "A warm support agent.", "version": "v1",
                                "picture": NAPSTER_PICTURE, "first_name": "Ava", "last_name": "Stone",
                                "gender": "female", "ethnicity": "Asian"}


VENDORS: tuple[Vendor, ...] = (
    Vendor("heygen-v3", "heygen", lambda: HeyGenV3Fake(polls_to_complete=0),
           lambda tmp, root, fake: heygen_settings(tmp, root, fake, None), factory(), heygen_video,
           "^/v3/videos$", lambda fake: len(fake.videos), recovers=True),
    Vendor("heygen-v2", "heygen", lambda: HeyGenV2Fake(polls_to_complete=0),
           lambda tmp, root, fake: heygen_settings(tmp, root, fake, "v2"), factory(), heygen_video,
           "^/v2/video/generate$", lambda fake: len(fake.videos), recovers=False),
    Vendor("runware", "runware", lambda: RunwareFake(polls_to_complete=1),
           lambda tmp, root, fake: make_settings(tmp, root, runware_api_key=SecretStr("test-runware-key"),
                                                 runware_base_url=f"{fake.base_url}/v1"),
           _poll_fast(RunwareProvider, RUNWARE_TIMING), runware_video, "^/v1$", lambda fake: len(fake.tasks),
           recovers=True),
    Vendor("creatify", "creatify", lambda: CreatifyFake(polls_to_complete=2),
           lambda tmp, root, fake: make_settings(tmp, root, creatify_api_id=SecretStr("test-creatify-id"),
                                                 creatify_api_key=SecretStr("test-creatify-key"),
                                                 creatify_base_url=fake.base_url),
           _poll_fast(CreatifyProvider, CREATIFY_TIMING), creatify_video, "^/api/lipsyncs/$",
           lambda fake: len(fake.lipsyncs), recovers=True),
    Vendor("napster", "napster", lambda: NapsterFake(polls_to_complete=3),
           lambda tmp, root, fake: make_settings(tmp, root, napster_api_key=SecretStr("test-napster-key"),
                                                 napster_base_url=fake.base_url),
           _poll_fast(NapsterProvider, NAPSTER_TIMING), napster_companion, "^/public/companions$",
           lambda fake: len(fake.companions), recovers=True),
)
IDS = [v.id for v in VENDORS]
