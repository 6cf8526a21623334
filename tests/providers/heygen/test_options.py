"""RenderOptions on HeyGen: v3 places each one where the API takes it; what an API would refuse is refused first,
with nothing sent. v2 takes fit and motion_prompt on Avatar IV photo videos only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client

from avatar_mcp import operations as ops
from avatar_mcp.errors import InvalidInput
from avatar_mcp.providers.heygen.common import estimate
from avatar_mcp.service import AvatarService
from avatar_mcp.specs import PhotoAvatarSpec, PhotoVideoSpec, Scene, VideoSpec
from tests.fakes._harness import serve
from tests.fakes._heygen_common import mp3_silence
from tests.fakes.heygen_v2 import HeyGenV2Fake
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.providers.heygen.conftest import STOCK, VOICE, Session, heygen_service, heygen_settings, server

pytestmark = pytest.mark.anyio
SPOKEN = {"avatar_id": STOCK, "script": "Hello.", "voice_id": VOICE}


async def photo_look(service: AvatarService, photo: Path) -> str:
    provider = service.entries["heygen"].provider
    assert provider is not None
    job = await service.submit(ops.CREATE_PHOTO_AVATAR, PhotoAvatarSpec(name="Me", image=str(photo)), provider)
    job = await service.refresh(job.id, force=True)
    assert job.result is not None and job.result.avatar_id
    return job.result.avatar_id


async def test_create_video_options_land_in_the_avatar_video_request(tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=0)
    options = {"engine": "avatar_iii", "resolution": "1080p", "fit": "contain", "remove_background": True,
               "motion_prompt": "Nods warmly.", "volume": 0.7}
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        async with Client(server(settings)) as client:
            session = Session(client)
            started = await session.call("create_video", {"provider": "heygen", "orientation": "landscape",
                                                          "scenes": [SPOKEN], "options": options})
            done = await session.finish(started)
    assert fake.requests("POST", "^/v3/videos$")[0].json == {
        "type": "avatar", "avatar_id": STOCK, "script": "Hello.", "voice_id": VOICE,
        "voice_settings": {"volume": 0.7}, "engine": {"type": "avatar_iii"}, "remove_background": True,
        "motion_prompt": "Nods warmly.", "aspect_ratio": "16:9", "resolution": "1080p", "fit": "contain",
        "output_format": "mp4", "callback_id": started["job_id"]}
    assert "Avatar III" in started["estimated_cost"]["basis"] and done["result"]["video_path"]


async def test_studio_videos_carry_the_options_on_every_speaking_avatar(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    (media_root / "voice.mp3").write_bytes(mp3_silence(1))
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        look = await photo_look(service, photo)
        spec = VideoSpec(options={"engine": "avatar_iv", "expressiveness": "high", "volume": 0.5, "resolution": "4k"},
                         scenes=[
            Scene(avatar_id=look, script="One.", voice_id=VOICE),
            Scene(avatar_id=look, audio="voice.mp3"),
            Scene(avatar_id=look, silence_seconds=2)])
        job = await service.submit(ops.CREATE_VIDEO, spec, provider)
    body = v3.requests("POST", "^/v3/videos$")[0].json
    spoken, heard, silent = body["scenes"]
    motion = {"engine": {"type": "avatar_iv"}, "expressiveness": "high"}
    assert spoken["input"] == {"type": "avatar", "avatar_id": look, "script": "One.", "voice_id": VOICE,
                               "voice_settings": {"volume": 0.5}, **motion}
    assert heard["input"]["audio_asset_id"] in v3.assets and "voice_settings" not in heard["input"]
    assert {k: heard["input"][k] for k in motion} == motion
    assert silent["type"] == "image" and set(silent) == {"type", "source", "duration"}
    assert body["resolution"] == "4k" and "fit" not in body and job.vendor_id in v3.videos


async def test_photo_video_options_win_over_the_spec_and_join_its_motion_prompt(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        await service.submit(ops.CREATE_PHOTO_VIDEO, PhotoVideoSpec(
            image="me.jpg", script="Hi.", voice_id=VOICE, fit="cover", motion_prompt="Waves.",
            options={"engine": "avatar_iv", "fit": "contain", "expressiveness": "low", "resolution": "1080p",
                     "remove_background": True, "volume": 0.9}), provider)
    body = v3.requests("POST", "^/v3/videos$")[0].json
    assert body["type"] == "image" and "engine" not in body
    assert {k: body[k] for k in ("fit", "motion_prompt", "expressiveness", "resolution", "remove_background",
                                 "voice_settings")} == {
        "fit": "contain", "motion_prompt": "Waves.", "expressiveness": "low", "resolution": "1080p",
        "remove_background": True, "voice_settings": {"volume": 0.9}}


VIDEO_REFUSALS: list[tuple[dict[str, Any], str, bool]] = [
    # (spec changes, words of the refusal, whether the readiness gate may have read the avatar first)
    ({"options": {"quality": 80, "variants": 2}}, "quality, variants.*runware", False),
    ({"options": {"engine": "avatar_v"}}, "avatar_iv, avatar_iii, not avatar_v", True),
    ({"options": {"expressiveness": "high"}}, "photo avatars only.*stock", True),
    ({"options": {"expressiveness": "high", "engine": "avatar_iii"}}, "Avatar IV only", False),
    ({"options": {"resolution": "720p"}, "dimension": {"width": 1920, "height": 1080}}, "means 1080p", False),
    ({"options": {"volume": 0.5}, "scenes": [{"avatar_id": STOCK, "audio": "https://x.test/a.mp3"}]},
     "generated speech", False),
    ({"options": {"motion_prompt": "  "}}, "motion_prompt is empty", False),
    ({"options": {"engine": "avatar_iv"}, "scenes": [{"avatar_id": STOCK, "silence_seconds": 2}]}, "every scene",
     False),
]


@pytest.mark.parametrize(("change", "words", "reads"), VIDEO_REFUSALS)
async def test_options_v3_would_refuse_are_refused_before_anything_is_sent(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, change: dict[str, Any], words: str, reads: bool) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    spec = VideoSpec.model_validate({"scenes": [SPOKEN], **change})
    async with heygen_service(settings) as (service, provider):
        with pytest.raises(InvalidInput, match=words):
            await service.submit(ops.CREATE_VIDEO, spec, provider)
        jobs = await service.list_jobs()
    assert not v3.requests("POST") and jobs == []
    assert reads or v3.log == []


@pytest.mark.parametrize(("change", "words"), [
    ({"options": {"engine": "avatar_v"}}, "always Avatar IV"),
    ({"motion_prompt": "Waves.", "options": {"motion_prompt": "Jumps."}}, "say different things"),
    ({"script": None, "audio": "https://x.test/a.mp3", "options": {"volume": 0.5}}, "your audio file"),
    ({"options": {"ttl_seconds": 600}}, "ttl_seconds.*runware"),
])
async def test_photo_video_options_v3_would_refuse_are_refused_before_anything_is_sent(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path, change: dict[str, Any], words: str) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    spec = PhotoVideoSpec.model_validate({"image": "me.jpg", "script": "Hi.", "voice_id": VOICE, **change})
    async with heygen_service(settings) as (service, provider):
        with pytest.raises(InvalidInput, match=words):
            await service.submit(ops.CREATE_PHOTO_VIDEO, spec, provider)
    assert v3.log == []


async def test_v2_takes_fit_and_motion_prompt_on_photo_videos_and_names_v3_for_the_rest(
        v2: HeyGenV2Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v2, "v2")
    async with heygen_service(settings) as (service, provider):
        with pytest.raises(InvalidInput, match=r"options.engine for create_video: that needs HEYGEN_API_VERSION=v3"):
            await service.submit(ops.CREATE_VIDEO, VideoSpec(scenes=[Scene.model_validate(SPOKEN)],
                                                             options={"engine": "avatar_iii"}), provider)
        with pytest.raises(InvalidInput, match=r"options.resolution, options.volume for create_photo_video"):
            await service.submit(ops.CREATE_PHOTO_VIDEO, PhotoVideoSpec(
                image="me.jpg", script="Hi.", voice_id=VOICE, options={"resolution": "4k", "volume": 1}), provider)
        with pytest.raises(InvalidInput, match=r"quality.*runware"):
            await service.submit(ops.CREATE_VIDEO, VideoSpec(scenes=[Scene.model_validate(SPOKEN)],
                                                             options={"quality": 90}), provider)
        assert v2.log == []
        await service.submit(ops.CREATE_PHOTO_VIDEO, PhotoVideoSpec(
            image="me.jpg", script="Hi.", voice_id=VOICE, options={"fit": "contain", "motion_prompt": "Nods."}),
            provider)
    body = v2.requests("POST", "/v2/video/av4/generate")[0].json
    assert (body["fit"], body["custom_motion_prompt"], body["enhance_custom_motion_prompt"]) == (
        "contain", "Nods.", True)


def test_the_v3_estimate_follows_the_engine() -> None:
    def credits(engine: str | None) -> float:
        options = {"engine": engine} if engine else None
        spec = VideoSpec(scenes=[Scene.model_validate(SPOKEN)], options=options)
        cost = estimate(ops.CREATE_VIDEO, spec, api="v3")
        assert cost is not None
        return cost.amount

    assert [credits(e) for e in (None, "avatar_iv", "avatar_v", "avatar_iii")] == [6, 6, 6, 2]
