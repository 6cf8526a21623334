"""Contract tests of HeyGen v3 and v2: every tool the provider supports, through the real MCP client, against an
emulator that validates each request from the vendor's schema; the emulator refuses none of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes._harness import serve
from tests.fakes.heygen_v2 import HeyGenV2Fake
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.providers._cases import VENDORS
from tests.providers._contract import Driver, media
from tests.providers.heygen.conftest import STOCK, VOICE

pytestmark = pytest.mark.anyio
V3, V2 = (next(v for v in VENDORS if v.id == name) for name in ("heygen-v3", "heygen-v2"))
PHOTO_FIELDS = {"provider": "heygen", "name": "Ava", "age": "Senior", "gender": "Woman", "ethnicity": "Unspecified",
                "orientation": "square", "pose": "half_body", "style": "Realistic", "appearance": "A red scarf."}


def speaking(avatar: str, **extra: object) -> dict[str, object]:
    return {"avatar_id": avatar, "script": "Welcome to the product tour.", "voice_id": VOICE, **extra}


async def photo_avatars(drive: Driver) -> str:
    """generate_photo_avatar -> create_photo_avatar(from_generation), and create_photo_avatar(image) -> its id."""
    generated = await drive.done(await drive.ok("generate_photo_avatar", PHOTO_FIELDS))
    picked = {"job_id": generated["job_id"], "index": generated["result"]["candidates"][0]["index"]}
    await drive.done(await drive.ok("create_photo_avatar", {"provider": "heygen", "name": "Ava", "from_generation":
                                                           picked}))
    made = await drive.done(await drive.ok("create_photo_avatar", {"provider": "heygen", "name": "Me",
                                                                   "image": "me.jpg"}))
    look = str(made["result"]["avatar_id"])
    await drive.done(await drive.ok("train_photo_avatar", {"provider": "heygen", "avatar_id": look}))
    return look


async def test_heygen_v3_contract_every_tool_and_nothing_refused(tmp_path: Path, media_root: Path) -> None:
    media(media_root)
    fake = HeyGenV3Fake(polls_to_complete=0)
    with serve(fake):
        async with V3.client(V3.settings(tmp_path, media_root, fake)) as client:
            drive = Driver(client, "heygen")
            await drive.ok("list_voices", {"provider": "heygen", "language": "en"})
            await drive.ok("list_avatars", {"provider": "heygen", "limit": 100})
            look = await photo_avatars(drive)
            twin = await drive.ok("create_digital_twin", {"provider": "heygen", "name": "Twin", "video": "clip.mp4",
                                                          "consent_video": "clip.mp4"})
            await drive.done(twin)
            video = await drive.done(await drive.ok("create_video", {
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
            await drive.jobs_tools(video["job_id"], ("create_video", {"provider": "heygen", "orientation": "square",
                                                                      "scenes": [speaking(STOCK)]}))
            await drive.ok("delete_avatar", {"provider": "heygen", "avatar_id": look})
            await drive.finish(fake)
    assert look not in fake.looks


async def test_heygen_v2_contract_every_tool_and_nothing_refused(tmp_path: Path, media_root: Path) -> None:
    media(media_root)
    fake = HeyGenV2Fake(polls_to_complete=0)
    with serve(fake):
        async with V2.client(V2.settings(tmp_path, media_root, fake)) as client:
            drive = Driver(client, "heygen")
            await drive.ok("list_voices", {"provider": "heygen", "language": "en"})
            await drive.ok("list_avatars", {"provider": "heygen", "limit": 100})
            look = await photo_avatars(drive)
            await drive.done(await drive.ok("create_digital_twin", {"provider": "heygen", "name": "Twin",
                                                                    "video": "clip.mp4", "consent_video": "clip.mp4"}))
            video = await drive.done(await drive.ok("create_video", {
                "provider": "heygen", "caption": True, "orientation": "landscape", "scenes": [
                    speaking(STOCK, background={"type": "image", "url": "me.jpg"}),
                    speaking(look, background={"type": "color", "value": "#203040"}),
                    {"avatar_id": STOCK, "silence_seconds": 2}]}))
            await drive.done(await drive.ok("create_photo_video", {"provider": "heygen", "image": "me.jpg",
                                                                   "script": "Hi, I am a photo.", "voice_id": VOICE}))
            refused = await client.call_tool("create_video_from_prompt", {"provider": "heygen", "prompt": "A tour."})
            assert refused.is_error  # v2 has no Video Agent: refused before any request (not a supported tool)
            await drive.jobs_tools(video["job_id"], ("create_video", {"provider": "heygen", "orientation": "square",
                                                                      "scenes": [speaking(STOCK)]}))
            await drive.ok("delete_avatar", {"provider": "heygen", "avatar_id": look})
            await drive.finish(fake)
    assert not fake.requests("POST", "video-agents")
