"""Runware (HeyGen Avatar V) as a case of the provider contract suite (tests/providers/contract.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import Provider
from avatar_mcp.providers.runware.provider import RunwareProvider
from avatar_mcp.providers.runware.spec import TIMING
from avatar_mcp.providers.timing import Timing
from tests.conftest import make_settings
from tests.fakes.runware import RunwareFake
from tests.providers.contract import Driver, IdArgument, Vendor
from tests.providers.heygen.conftest import VOICE

KEY = "test-runware-key"
AVATAR = "Abigail_expressive_2024112501"


def build(settings: Settings, http: SharedHTTP, media: MediaPolicy, timing: Timing) -> Provider:
    return RunwareProvider.from_settings(settings, http, media, timing=timing)


def video(fake: Any) -> tuple[str, dict[str, Any]]:
    return "create_video", {"provider": "runware", "orientation": "landscape", "scenes": [
        {"avatar_id": AVATAR, "script": "Welcome to the tour.", "voice_id": "en-US-Aria"}]}


def ids(fake: Any) -> list[IdArgument]:
    def clip(avatar: str = AVATAR, voice: str = VOICE) -> dict[str, Any]:
        return {"provider": "runware", "orientation": "landscape",
                "scenes": [{"avatar_id": avatar, "script": "Hi.", "voice_id": voice}]}

    return [("create_video", "scenes.0.avatar_id", lambda v: clip(avatar=v)),
            ("create_video", "scenes.0.voice_id", lambda v: clip(voice=v)),
            ("create_photo_video", "image", lambda v: {"provider": "runware", "image": v, "script": "Hi.",
                                                       "voice_id": VOICE}),
            ("create_photo_video", "voice_id", lambda v: {"provider": "runware", "image": AVATAR, "script": "Hi.",
                                                          "voice_id": v})]


async def drive(drive: Driver, fake: Any) -> None:
    scene = {"avatar_id": AVATAR, "script": "Welcome to the tour.", "voice_id": VOICE,
             "background": {"type": "image", "url": "me.jpg"}}
    clip = await drive.done(await drive.ok("create_video", {
        "provider": "runware", "orientation": "landscape", "caption": True, "scenes": [scene],
        "options": {"variants": 2, "quality": 80, "safety": "fast", "fit": "contain", "volume": 0.8}}))
    assert len(clip["result"]["outputs"]) == 1
    await drive.done(await drive.ok("create_photo_video", {
        "provider": "runware", "image": AVATAR, "audio": "https://cdn.example.com/line.mp3",
        "orientation": "portrait", "background": {"type": "color", "value": "#102030"}}))
    await drive.done(await drive.ok("create_video", {"provider": "runware", "on_missing": "default", "scenes": [
        {"avatar_id": AVATAR, "script": "Voice picked by Avatar V."}]}))
    await drive.jobs_tools(clip["job_id"], ("create_video", {
        "provider": "runware", "orientation": "square", "scenes": [{**scene, "background": None}]}))


RUNWARE = Vendor("runware", "runware", lambda polls: RunwareFake(polls_to_complete=polls),
                 lambda tmp, root, fake: make_settings(tmp, root, runware_api_key=SecretStr(KEY),
                                                       runware_base_url=f"{fake.base_url}/v1"),
                 build, replace(TIMING, poll_after=0.05), video, "^/v1$", ("POST", "^/v1$"),
                 lambda fake: len(fake.tasks), KEY, recovers=True, ids=ids, drive=drive)
