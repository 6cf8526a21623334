"""The v2 backend (the seeds' API) against HeyGenV2Fake: mapping, uploads, the readiness gate, listings, checks."""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path
from typing import Any

import pytest

from avatar_mcp import operations as ops
from avatar_mcp.errors import AvatarNotReady, InvalidInput, MediaRejected
from avatar_mcp.models import CatalogQuery
from avatar_mcp.service import AvatarService
from avatar_mcp.specs import (
    Background,
    GenerationPick,
    PhotoAvatarSpec,
    PhotoGenerationSpec,
    PhotoVideoSpec,
    Scene,
    TrainSpec,
    VideoSpec,
)
from tests.fakes._harness import DATA, serve
from tests.fakes._heygen_common import mp3_silence
from tests.fakes.heygen_v2 import HeyGenV2Fake
from tests.providers.heygen.conftest import FAST, STOCK, VOICE, heygen_service, heygen_settings

pytestmark = pytest.mark.anyio
PHOTO_SPEC = PhotoGenerationSpec(name="Ava", age="Senior", gender="Woman", ethnicity="Hispanic", orientation="square",
                                 pose="close_up", style="Noir", appearance="red hair, green jacket")


async def photo_avatar(service: AvatarService, photo: Path) -> str:
    provider = service.entries["heygen"].provider
    assert provider is not None
    job = await service.submit(ops.CREATE_PHOTO_AVATAR, PhotoAvatarSpec(name="Me", image=str(photo)), provider)
    job = await service.refresh(job.id, force=True)
    assert job.status == "succeeded" and job.result is not None and job.result.avatar_id
    return job.result.avatar_id


async def test_every_scene_variant_of_seed_001_is_sent_as_heygen_expects(
        v2: HeyGenV2Fake, tmp_path: Path, media_root: Path, photo: Path, clip: Path) -> None:
    (media_root / "voice.mp3").write_bytes(mp3_silence(1))
    settings = heygen_settings(tmp_path, media_root, v2, "v2")
    async with heygen_service(settings) as (service, provider):
        talking_photo = await photo_avatar(service, photo)
        spec = VideoSpec(dimension={"width": 1920, "height": 1080}, caption=True, title="All variants", scenes=[
            Scene(avatar_id=STOCK, script="Hello.", voice_id=VOICE, speed=1.2, pitch=-10, emotion="Friendly",
                  locale="en-US", background=Background(type="color", value="#102030")),
            Scene(avatar_id=talking_photo, audio="voice.mp3", avatar_style="circle", scale=1.5,
                  background=Background(type="image", url=str(photo), fit="contain")),
            Scene(avatar_id=STOCK, silence_seconds=3, avatar_style="closeUp", scale=2.0, offset_x=0.1,
                  background=Background(type="video", url="clip.mp4", play_style="once")),
            Scene(avatar_id=STOCK, audio="https://cdn.example.com/a.mp3",
                  background=Background(type="image", url="https://cdn.example.com/b.jpg", fit="crop")),
        ])
        job = await service.submit(ops.CREATE_VIDEO, spec, provider)
        job = await service.refresh(job.id, force=True)
    assert job.status == "succeeded", job.error
    uploads = v2.requests("POST", "/v1/asset")
    assert [u.headers["content-type"] for u in uploads] == ["image/jpeg", "audio/mpeg", "image/jpeg", "video/mp4"]
    body = v2.requests("POST", "/v2/video/generate")[0].json
    scenes = body["video_inputs"]
    assert body["dimension"] == {"width": 1920, "height": 1080} and body["caption"] is True
    assert scenes[0] == {"character": {"type": "avatar", "avatar_id": STOCK},
                         "voice": {"type": "text", "voice_id": VOICE, "input_text": "Hello.", "speed": 1.2,
                                   "pitch": -10, "emotion": "Friendly", "locale": "en-US"},
                         "background": {"type": "color", "value": "#102030"}}
    assert scenes[1]["character"] == {"type": "talking_photo", "talking_photo_id": talking_photo, "scale": 1.5,
                                      "talking_photo_style": "circle"}
    assert scenes[1]["voice"]["type"] == "audio" and scenes[1]["voice"]["audio_asset_id"] in v2.assets
    assert scenes[1]["background"]["fit"] == "contain" and scenes[1]["background"]["image_asset_id"] in v2.assets
    assert scenes[2]["character"] == {"type": "avatar", "avatar_id": STOCK, "scale": 2.0, "avatar_style": "closeUp",
                                      "offset": {"x": 0.1, "y": 0.0}}
    assert scenes[2]["voice"] == {"type": "silence", "duration": 3.0}
    assert scenes[2]["background"]["play_style"] == "once" and "video_asset_id" in scenes[2]["background"]
    assert scenes[3]["voice"] == {"type": "audio", "audio_url": "https://cdn.example.com/a.mp3"}
    assert scenes[3]["background"] == {"type": "image", "url": "https://cdn.example.com/b.jpg", "fit": "crop"}
    assert "callback_url" not in body  # HeyGen does not sign those deliveries; our route would refuse them


async def test_a_photo_avatar_still_processing_is_waited_for_with_progress(
        tmp_path: Path, media_root: Path, photo: Path) -> None:
    fake = HeyGenV2Fake(polls={"photo_avatar": 3}, polls_to_complete=0)
    reports: list[str] = []

    async def report(fraction: float, message: str) -> None:
        reports.append(message)

    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, "v2")
        async with heygen_service(settings) as (service, provider):
            avatar = await service.submit(ops.CREATE_PHOTO_AVATAR, PhotoAvatarSpec(name="Me", image=str(photo)),
                                          provider)
            spec = VideoSpec(scenes=[Scene(avatar_id=avatar.vendor_id, script="Hi.", voice_id=VOICE)])
            video = await service.submit(ops.CREATE_VIDEO, spec, provider, report=report)
    assert video.status == "queued"
    polls = [r.path for r in fake.log if r.path.startswith("/v2/photo_avatar/") or r.path == "/v2/video/generate"]
    assert polls[-1] == "/v2/video/generate" and len(polls) >= 4
    assert any("Waiting for HeyGen to finish the avatar" in r for r in reports)
    assert fake.videos[video.vendor_id or ""]["_outcome"] is None  # not doomed: the avatar was ready


async def test_an_avatar_still_pending_after_the_bound_stops_the_video_before_anything_is_sent(
        tmp_path: Path, media_root: Path, photo: Path) -> None:
    fake = HeyGenV2Fake(polls={"photo_avatar": 1000})
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, "v2")
        async with heygen_service(settings, timing=dataclasses.replace(FAST, ready_wait_seconds=0.2)) as (
                service, provider):
            avatar = await service.submit(ops.CREATE_PHOTO_AVATAR, PhotoAvatarSpec(name="Me", image=str(photo)),
                                          provider)
            spec = VideoSpec(scenes=[Scene(avatar_id=avatar.vendor_id, script="Hi.", voice_id=VOICE)])
            with pytest.raises(AvatarNotReady, match=r"not ready yet.*Nothing was submitted.*check_job"):
                await service.submit(ops.CREATE_VIDEO, spec, provider)
            jobs = await service.list_jobs()
    assert not fake.requests("POST", "/v2/video/generate")
    assert [j.operation for j in jobs] == [ops.CREATE_PHOTO_AVATAR]


def _wav() -> bytes:
    return b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + bytes(28)


@pytest.mark.parametrize(("change", "error", "words"), [
    ({"output_format": "webm"}, InvalidInput, "MP4 only"),
    ({"scenes": [{"avatar_id": STOCK, "script": "Hi."}]}, InvalidInput, "voice_id is required"),
    ({"scenes": [{"avatar_id": STOCK, "audio": "voice.wav"}]}, MediaRejected, "audio/mpeg"),
    ({"scenes": [{"avatar_id": STOCK, "script": "Hi.", "voice_id": VOICE,
                  "background": {"type": "image", "url": "http://cdn.example.com/b.jpg"}}]}, MediaRejected, "https"),
    ({"scenes": [{"avatar_id": STOCK, "script": "Hi.", "voice_id": VOICE,
                  "background": {"type": "image", "url": "/etc/hosts"}}]}, MediaRejected, "outside the media roots"),
    ({"scenes": [{"avatar_id": "no_such_avatar", "script": "Hi.", "voice_id": VOICE}]}, InvalidInput,
     "list_avatars"),
])
async def test_what_heygen_would_reject_fails_before_any_request(
        v2: HeyGenV2Fake, tmp_path: Path, media_root: Path, change: dict[str, Any], error: type[Exception],
        words: str) -> None:
    (media_root / "voice.wav").write_bytes(_wav())
    base = {"scenes": [{"avatar_id": STOCK, "script": "Hi.", "voice_id": VOICE}]}
    settings = heygen_settings(tmp_path, media_root, v2, "v2")
    async with heygen_service(settings) as (service, provider):
        with pytest.raises(error, match=words):
            await service.submit(ops.CREATE_VIDEO, VideoSpec.model_validate({**base, **change}), provider)
        assert await service.list_jobs() == []
    assert not v2.requests("POST")


async def test_a_photo_under_512_pixels_or_not_a_photo_is_refused_before_upload(
        v2: HeyGenV2Fake, tmp_path: Path, media_root: Path, clip: Path) -> None:
    (media_root / "small.jpg").write_bytes((DATA / "tiny.jpg").read_bytes())
    settings = heygen_settings(tmp_path, media_root, v2, "v2")
    async with heygen_service(settings) as (service, provider):
        with pytest.raises(MediaRejected, match=r"64x64 pixels.*at least 512x512"):
            await service.submit(ops.CREATE_PHOTO_AVATAR, PhotoAvatarSpec(name="x", image="small.jpg"), provider)
        with pytest.raises(MediaRejected, match="video/mp4"):
            await service.submit(ops.CREATE_PHOTO_VIDEO, PhotoVideoSpec(image="clip.mp4", script="Hi.",
                                                                        voice_id=VOICE), provider)
    assert not v2.requests("POST")


async def test_the_upload_type_comes_from_the_bytes_not_the_name(
        v2: HeyGenV2Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    photo.rename(media_root / "actually_a_jpeg.png")
    settings = heygen_settings(tmp_path, media_root, v2, "v2")
    async with heygen_service(settings) as (service, provider):
        job = await service.submit(ops.CREATE_PHOTO_VIDEO, PhotoVideoSpec(
            image="actually_a_jpeg.png", script="Hi there.", voice_id=VOICE, orientation="portrait",
            motion_prompt="nods", speed=1.3), provider)
    upload = v2.requests("POST", "/v1/asset")[0]
    assert upload.headers["content-type"] == "image/jpeg" and upload.body[:3] == b"\xff\xd8\xff"
    body = v2.requests("POST", "/v2/video/av4/generate")[0].json
    assert body["image_key"].startswith("image/") and body["video_orientation"] == "portrait"
    assert body["custom_motion_prompt"] == "nods" and body["video_title"]
    assert "speed" in (job.message or "")  # said, not silently dropped


async def test_ai_photos_become_a_group_with_the_chosen_key_and_the_generation_id(
        v2: HeyGenV2Fake, tmp_path: Path, media_root: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v2, "v2")
    async with heygen_service(settings) as (service, provider):
        generation = await service.submit(ops.GENERATE_PHOTO, PHOTO_SPEC, provider)
        generation = await service.refresh(generation.id, force=True)
        assert generation.result is not None and generation.result.candidates
        candidates = generation.result.candidates
        spec = PhotoAvatarSpec(name="Ava", from_generation=GenerationPick(job_id=generation.id, index=2))
        avatar = await service.submit(ops.CREATE_PHOTO_AVATAR, spec, provider, generation=generation)
        avatar = await service.refresh(avatar.id, force=True)
    assert [c.index for c in candidates] == [0, 1, 2, 3] and all(c.image_path for c in candidates)
    assert v2.requests("POST", "/v2/photo_avatar/photo/generate")[0].json == PHOTO_SPEC.model_dump()
    body = v2.requests("POST", "avatar_group/create")[0].json
    assert body == {"name": "Ava", "image_key": candidates[2].key, "generation_id": generation.vendor_id}
    assert avatar.status == "succeeded" and avatar.result is not None and avatar.result.preview_image_path


async def test_training_is_sent_once_and_followed_until_ready(
        v2: HeyGenV2Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v2, "v2")
    async with heygen_service(settings) as (service, provider):
        avatar_id = await photo_avatar(service, photo)
        cost = provider.estimate_cost(ops.TRAIN_PHOTO_AVATAR, TrainSpec(avatar_id=avatar_id))
        job = await service.submit(ops.TRAIN_PHOTO_AVATAR, TrainSpec(avatar_id=avatar_id), provider)
        job = await service.refresh(job.id, force=True)
    assert job.status == "succeeded" and job.result is not None and job.result.avatar_group_id == avatar_id
    assert len(v2.requests("POST", "/v2/photo_avatar/train$")) == 1 and v2.used_credits == 4
    assert cost is not None and cost.amount == 4


async def test_listings_include_public_avatars_and_filter_voices_by_language(
        v2: HeyGenV2Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v2, "v2")
    async with heygen_service(settings) as (service, provider):
        pending = await service.submit(ops.CREATE_PHOTO_AVATAR, PhotoAvatarSpec(name="Mine", image=str(photo)),
                                       provider)
        avatars = await provider.list_avatars(CatalogQuery())
        spanish = await provider.list_voices(CatalogQuery(language="es"))
        english_men = await provider.list_voices(CatalogQuery(language="en", gender="male"))
    assert v2.requests("GET", "avatar_group.list")[0].query == {"include_public": "true"}
    kinds = {a.avatar_id: (a.kind, a.status) for a in avatars}
    assert kinds[STOCK] == ("stock", "completed")
    assert kinds[pending.vendor_id or ""] == ("photo", "processing")
    assert [v.name for v in spanish] == ["Lucia"]
    assert {v.name for v in english_men} == {"Paul - Broadcaster", "Marcus - Serious"}


async def test_delete_finds_the_group_and_quota_reads_as_credits(
        v2: HeyGenV2Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v2, "v2")
    async with heygen_service(settings) as (service, provider):
        avatar_id = await photo_avatar(service, photo)
        await provider.delete_avatar(avatar_id)
        with pytest.raises(InvalidInput, match="stock avatars cannot be deleted"):
            await provider.delete_avatar(STOCK)
        credits = await provider.remaining_credits()
    assert avatar_id not in v2.groups
    assert credits.amount == 100


def test_estimates_follow_the_published_rates_and_the_script_length(tmp_path: Path, media_root: Path) -> None:
    from avatar_mcp.providers.heygen.common import estimate

    minute = " ".join(["word"] * 200)  # ~80 s at 150 words a minute: two started minutes
    video = VideoSpec(scenes=[Scene(avatar_id="a", script=minute, voice_id=VOICE)])
    assert estimate(ops.CREATE_VIDEO, video, api="v2").amount == 2  # type: ignore[union-attr]
    assert estimate(ops.CREATE_VIDEO, video, api="v2", twin_avatars=["a"]).amount == 4  # type: ignore[union-attr]
    assert estimate(ops.CREATE_VIDEO, video, api="v3").amount == 12  # type: ignore[union-attr]
    photo_video = PhotoVideoSpec(image="x.jpg", script="Short.", voice_id=VOICE)
    assert estimate(ops.CREATE_PHOTO_VIDEO, photo_video, api="v2").amount == 6  # type: ignore[union-attr]
    assert estimate(ops.GENERATE_PHOTO, PHOTO_SPEC, api="v2").amount == 1  # type: ignore[union-attr]
