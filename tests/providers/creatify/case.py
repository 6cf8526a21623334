"""Creatify as a case of the provider contract suite (tests/providers/contract.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import Provider
from avatar_mcp.providers.creatify.provider import CreatifyProvider
from avatar_mcp.providers.creatify.spec import TIMING
from avatar_mcp.providers.timing import Timing
from tests.conftest import make_settings
from tests.fakes.creatify import CreatifyFake
from tests.providers.contract import Driver, IdArgument, Vendor

KEY = "test-creatify-key"


def build(settings: Settings, http: SharedHTTP, media: MediaPolicy, timing: Timing) -> Provider:
    return CreatifyProvider.from_settings(settings, http, media, timing=timing)


def persona(fake: Any) -> str:
    return str(next(p["id"] for p in fake.personas.values() if p["is_active"]))


def accent(fake: Any) -> str:
    return str(fake.voices[0]["accents"][0]["id"])


def video(fake: Any) -> tuple[str, dict[str, Any]]:
    return "create_video", {"provider": "creatify", "orientation": "portrait", "scenes": [
        {"avatar_id": persona(fake), "script": "Hello and welcome.", "voice_id": accent(fake)}]}


def unknown_avatar(fake: Any) -> tuple[str, dict[str, Any]]:
    return "create_video", {"provider": "creatify", "orientation": "portrait", "scenes": [
        {"avatar_id": "0f0f0f0f-dead-beef-0000-000000000000", "script": "Hi.", "voice_id": accent(fake)}]}


def ids(fake: Any) -> list[IdArgument]:
    def lipsync(avatar: str | None = None, voice: str | None = None) -> dict[str, Any]:
        return {"provider": "creatify", "orientation": "portrait", "scenes": [
            {"avatar_id": avatar or persona(fake), "script": "Hi.", "voice_id": voice or accent(fake)}]}

    return [("create_video", "scenes.0.avatar_id", lambda v: lipsync(avatar=v)),
            ("create_video", "scenes.0.voice_id", lambda v: lipsync(voice=v))]


async def drive(drive: Driver, fake: Any) -> None:
    voices = await drive.ok("list_voices", {"provider": "creatify"})
    avatars = await drive.ok("list_avatars", {"provider": "creatify"})
    assert voices["voices"] and avatars["avatars"]
    twin = await drive.done(await drive.ok("create_digital_twin", {
        "provider": "creatify", "name": "Robin Avery", "gender": "male", "video": "clip.mp4"}))
    made = str(twin["result"]["avatar_id"])
    clip = await drive.done(await drive.ok("create_video", {
        "provider": "creatify", "orientation": "portrait", "caption": True, "title": "Intro",
        "scenes": [{"avatar_id": made, "script": "Hello and welcome.", "voice_id": accent(fake)}]}))
    await drive.done(await drive.ok("create_video", {"provider": "creatify", "orientation": "square", "scenes": [
        {"avatar_id": persona(fake), "script": "First.", "voice_id": accent(fake),
         "background": {"type": "color", "value": "#ffffff"}},
        {"avatar_id": persona(fake), "audio": "https://cdn.example.com/line.mp3",
         "background": {"type": "image", "url": "https://cdn.example.com/office.png"}}]}))
    await drive.jobs_tools(clip["job_id"], ("create_video", {"provider": "creatify", "orientation": "landscape",
                                                             "scenes": [{"avatar_id": persona(fake), "script": "Again.",
                                                                         "voice_id": accent(fake)}]}))


CREATIFY = Vendor("creatify", "creatify", lambda polls: CreatifyFake(polls_to_complete=polls),
                  lambda tmp, root, fake: make_settings(tmp, root, creatify_api_id=SecretStr("test-creatify-id"),
                                                        creatify_api_key=SecretStr(KEY),
                                                        creatify_base_url=fake.base_url),
                  build, replace(TIMING, poll_after=0.05), video, "^/api/lipsyncs/$", ("GET", "^/api/lipsyncs/"),
                  lambda fake: len(fake.lipsyncs), KEY, recovers=True, ids=ids, drive=drive,
                  unknown_avatar=unknown_avatar)
