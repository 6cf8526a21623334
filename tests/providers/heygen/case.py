"""HeyGen v3 and v2 as cases of the provider contract suite (tests/providers/contract.py)."""

from __future__ import annotations

from typing import Any

from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import Provider
from avatar_mcp.providers.heygen.provider import from_settings
from avatar_mcp.providers.timing import Timing
from tests.fakes.heygen_v2 import HeyGenV2Fake
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.providers.contract import Driver, IdArgument, Vendor
from tests.providers.heygen.conftest import FAST, KEY, STOCK, VOICE, heygen_settings

PHOTO = "https://cdn.example.com/face.jpg"
PHOTO_FIELDS = {"provider": "heygen", "name": "Ava", "age": "Senior", "gender": "Woman", "ethnicity": "Unspecified",
                "orientation": "square", "pose": "half_body", "style": "Realistic", "appearance": "A red scarf."}


def speaking(avatar: str, **extra: object) -> dict[str, object]:
    return {"avatar_id": avatar, "script": "Welcome to the product tour.", "voice_id": VOICE, **extra}


def build(settings: Settings, http: SharedHTTP, media: MediaPolicy, timing: Timing) -> Provider:
    return from_settings(settings, http, media, timing=timing)


def video(fake: Any) -> tuple[str, dict[str, Any]]:
    return "create_video", {"provider": "heygen", "orientation": "landscape", "scenes": [speaking(STOCK)]}


def unknown_avatar(fake: Any) -> tuple[str, dict[str, Any]]:
    return "create_video", {"provider": "heygen", "orientation": "landscape", "scenes": [speaking("ghost_look_404")]}


def ids(api: str) -> Any:
    """(tool, field, arguments for an id value) for every id argument of every HeyGen tool."""
    def arguments(fake: Any) -> list[IdArgument]:
        def clip(avatar: str = STOCK, voice: str = VOICE) -> dict[str, Any]:
            return {"provider": "heygen", "orientation": "landscape",
                    "scenes": [{"avatar_id": avatar, "script": "Hi.", "voice_id": voice}]}

        found: list[IdArgument] = [
            ("create_video", "scenes.0.avatar_id", lambda v: clip(avatar=v)),
            ("create_video", "scenes.0.voice_id", lambda v: clip(voice=v)),
            ("create_photo_video", "voice_id", lambda v: {"provider": "heygen", "image": PHOTO, "script": "Hi.",
                                                          "voice_id": v}),
            ("train_photo_avatar", "avatar_id", lambda v: {"provider": "heygen", "avatar_id": v}),
            ("delete_avatar", "avatar_id", lambda v: {"provider": "heygen", "avatar_id": v}),
            ("create_photo_avatar", "job", lambda v: {"provider": "heygen", "name": "Me",
                                                      "from_generation": {"job_id": v, "index": 0}}),
        ]
        if api == "v3":
            found += [
                ("create_photo_video", "image", lambda v: {"provider": "heygen", "image": f"asset:{v}",
                                                           "script": "Hi.", "voice_id": VOICE}),
                ("create_video_from_prompt", "avatar_id", lambda v: {"provider": "heygen", "prompt": "A tour.",
                                                                     "avatar_id": v}),
                ("create_video_from_prompt", "voice_id", lambda v: {"provider": "heygen", "prompt": "A tour.",
                                                                    "voice_id": v}),
            ]
        return found

    return arguments


async def avatars(drive: Driver) -> str:
    """The catalogue, then every way to make an avatar: generate_photo_avatar -> create_photo_avatar(from_generation),
    create_photo_avatar(image) -> train_photo_avatar, create_digital_twin. Returns the photo avatar's id."""
    await drive.ok("list_voices", {"provider": "heygen", "language": "en"})
    await drive.ok("list_avatars", {"provider": "heygen", "limit": 100})
    generated = await drive.done(await drive.ok("generate_photo_avatar", PHOTO_FIELDS))
    picked = {"job_id": generated["job_id"], "index": generated["result"]["candidates"][0]["index"]}
    await drive.done(await drive.ok("create_photo_avatar", {"provider": "heygen", "name": "Ava",
                                                           "from_generation": picked}))
    made = await drive.done(await drive.ok("create_photo_avatar", {"provider": "heygen", "name": "Me",
                                                                   "image": "me.jpg"}))
    look = str(made["result"]["avatar_id"])
    await drive.done(await drive.ok("train_photo_avatar", {"provider": "heygen", "avatar_id": look}))
    await drive.done(await drive.ok("create_digital_twin", {"provider": "heygen", "name": "Twin", "video": "clip.mp4",
                                                            "consent_video": "clip.mp4"}))
    return look


async def drive_v3(drive: Driver, fake: Any) -> None:
    look = await avatars(drive)
    clip = await drive.done(await drive.ok("create_video", {
        "provider": "heygen", "caption": True, "orientation": "landscape", "scenes": [speaking(STOCK)]}))
    await drive.done(await drive.ok("create_video", {
        "provider": "heygen", "orientation": "portrait", "scenes": [
            speaking(look, background={"type": "color", "value": "#203040"}),
            {"avatar_id": look, "silence_seconds": 2, "background": {"type": "image", "url": "me.jpg"}},
            speaking(STOCK, background={"type": "color", "value": "#FFFFFF"})]}))
    await drive.done(await drive.ok("create_photo_video", {"provider": "heygen", "image": "me.jpg",
                                                           "script": "Hi, I am a photo.", "voice_id": VOICE,
                                                           "options": {"expressiveness": "low"}}))
    await drive.done(await drive.ok("create_video_from_prompt", {
        "provider": "heygen", "prompt": "A one-minute product tour for new customers.", "avatar_id": STOCK}))
    await drive.jobs_tools(clip["job_id"], ("create_video", {"provider": "heygen", "orientation": "square",
                                                             "scenes": [speaking(STOCK)]}))
    await drive.ok("delete_avatar", {"provider": "heygen", "avatar_id": look})
    assert look not in fake.looks


async def drive_v2(drive: Driver, fake: Any) -> None:
    look = await avatars(drive)
    clip = await drive.done(await drive.ok("create_video", {
        "provider": "heygen", "caption": True, "orientation": "landscape", "scenes": [
            speaking(STOCK, background={"type": "image", "url": "me.jpg"}),
            speaking(look, background={"type": "color", "value": "#203040"}),
            {"avatar_id": STOCK, "silence_seconds": 2}]}))
    await drive.done(await drive.ok("create_photo_video", {"provider": "heygen", "image": "me.jpg",
                                                           "script": "Hi, I am a photo.", "voice_id": VOICE}))
    refused = await drive.client.call_tool("create_video_from_prompt", {"provider": "heygen", "prompt": "A tour."})
    assert refused.is_error  # v2 has no Video Agent: refused before any request (not a supported tool)
    await drive.jobs_tools(clip["job_id"], ("create_video", {"provider": "heygen", "orientation": "square",
                                                             "scenes": [speaking(STOCK)]}))
    await drive.ok("delete_avatar", {"provider": "heygen", "avatar_id": look})
    assert not fake.requests("POST", "video-agents")


V3 = Vendor("heygen-v3", "heygen", lambda polls: HeyGenV3Fake(polls_to_complete=polls),
            lambda tmp, root, fake: heygen_settings(tmp, root, fake, None), build, FAST, video, "^/v3/videos$",
            ("GET", "^/v3/videos/"), lambda fake: len(fake.videos), KEY, recovers=True, ids=ids("v3"),
            drive=drive_v3, unknown_avatar=unknown_avatar)
V2 = Vendor("heygen-v2", "heygen", lambda polls: HeyGenV2Fake(polls_to_complete=polls),
            lambda tmp, root, fake: heygen_settings(tmp, root, fake, "v2"), build, FAST, video,
            "^/v2/video/generate$", ("GET", "^/v1/video_status.get$"), lambda fake: len(fake.videos), KEY,
            recovers=False, ids=ids("v2"), drive=drive_v2, unknown_avatar=unknown_avatar)
