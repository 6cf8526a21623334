"""The v3 backend (the live API) against HeyGenV3Fake: AssetInput, uploads, studio scenes, consent, batching."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest

from avatar_mcp import operations as ops
from avatar_mcp.errors import AvatarNotReady, InvalidInput
from avatar_mcp.models import CatalogQuery, JobRecord
from avatar_mcp.providers.heygen.v3_mapping import compose_prompt
from avatar_mcp.service import AvatarService
from avatar_mcp.specs import Background, DigitalTwinSpec, PhotoAvatarSpec, PhotoGenerationSpec, Scene, VideoSpec
from tests.fakes._harness import serve
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.providers.heygen.conftest import FAST, KEY, STOCK, VOICE, heygen_service, heygen_settings

pytestmark = pytest.mark.anyio


async def look(service: AvatarService, photo: Path) -> str:
    provider = service.entries["heygen"].provider
    assert provider is not None
    job = await service.submit(ops.CREATE_PHOTO_AVATAR, PhotoAvatarSpec(name="Me", image=str(photo)), provider)
    job = await service.refresh(job.id, force=True)
    assert job.status == "succeeded" and job.result is not None and job.result.avatar_id
    return job.result.avatar_id


async def test_one_speaking_scene_is_an_avatar_video_with_the_job_key(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        spec = VideoSpec(orientation="portrait", caption=True, title="One", scenes=[Scene(
            avatar_id=STOCK, script="Hello.", voice_id=VOICE, speed=1.2, pitch=5,
            background=Background(type="image", url=str(photo)))])
        job = await service.submit(ops.CREATE_VIDEO, spec, provider)
        job = await service.refresh(job.id, force=True)
    assert job.status == "succeeded" and job.result is not None and job.result.captions_path
    create = v3.requests("POST", "^/v3/videos$")[0]
    upload = v3.requests("POST", "^/v3/assets$")[0]
    assert create.headers["idempotency-key"] == f"avatar-mcp:{job.id}"
    assert upload.headers["idempotency-key"] == f"avatar-mcp:{job.id}:asset:scenes.0.background.url"
    assert b'name="file"' in upload.body and upload.headers["content-type"].startswith("multipart/form-data")
    body = create.json
    asset_id = next(iter(v3.assets))
    assert body == {"type": "avatar", "avatar_id": STOCK, "script": "Hello.", "voice_id": VOICE,
                    "voice_settings": {"speed": 1.2, "pitch": 5.0},
                    "background": {"type": "image", "asset_id": asset_id}, "aspect_ratio": "9:16",
                    "resolution": "720p", "output_format": "mp4", "caption": {"file_format": "srt", "style": "default"},
                    "title": "One", "callback_id": job.id}
    assert job.result.video_url and "_caption.mp4" in job.result.video_url  # the burned-in version


async def test_several_scenes_become_a_studio_video_and_silence_shows_a_still(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        own = await look(service, photo)
        spec = VideoSpec(dimension={"width": 1920, "height": 1080}, scenes=[
            Scene(avatar_id=own, script="First.", voice_id=VOICE),
            Scene(avatar_id=own, silence_seconds=2, background=Background(type="color", value="#000000")),
            Scene(avatar_id=STOCK, silence_seconds=3, background=Background(type="image", url="https://x.test/b.jpg")),
        ])
        job = await service.submit(ops.CREATE_VIDEO, spec, provider)
        job = await service.refresh(job.id, force=True)
    body = v3.requests("POST", "^/v3/videos$")[0].json
    assert body["type"] == "studio" and (body["aspect_ratio"], body["resolution"]) == ("16:9", "1080p")
    first, second, third = body["scenes"]
    assert first == {"type": "avatar_video", "input": {"type": "avatar", "avatar_id": own, "script": "First.",
                                                       "voice_id": VOICE}}
    assert second["type"] == "image" and second["duration"] == 2 and second["source"]["url"].endswith(".jpg")
    assert third == {"type": "image", "source": {"type": "url", "url": "https://x.test/b.jpg"}, "duration": 3.0}
    assert job.status == "succeeded" and job.result is not None
    assert any("still image" in w for w in job.result.warnings)


@pytest.mark.parametrize(("change", "words"), [
    ({"output_format": "mov"}, "mp4 or webm"),
    ({"dimension": {"width": 1000, "height": 700}}, "16:9, 9:16"),
    ({"scenes": [{"avatar_id": STOCK, "script": "Hi.", "voice_id": VOICE,
                  "background": {"type": "video", "url": "https://x.test/v.mp4"}}]}, "not video"),
    ({"output_format": "webm", "scenes": [{"avatar_id": STOCK, "script": "Hi.", "voice_id": VOICE,
                                           "background": {"type": "image", "url": "https://x.test/b.jpg"}}]},
     "transparent"),
    ({"scenes": [{"script": "Hi.", "voice_id": VOICE}]}, "needs an avatar_id"),
])
async def test_what_v3_would_reject_fails_before_any_request(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, change: dict[str, Any], words: str) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    base = {"scenes": [{"avatar_id": STOCK, "script": "Hi.", "voice_id": VOICE}]}
    async with heygen_service(settings) as (service, provider):
        with pytest.raises(InvalidInput, match=words):
            await service.submit(ops.CREATE_VIDEO, VideoSpec.model_validate({**base, **change}), provider)
    assert not v3.requests("POST")


@pytest.mark.parametrize("url", ["https://169.254.169.254/latest/face.jpg", "https://localhost/face.jpg",
                                 "https://[fd00::1]/face.jpg"])
async def test_a_url_heygen_would_fetch_from_its_own_network_is_refused_before_any_request(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, url: str) -> None:
    """v3 hands URLs to HeyGen as they are: one naming a loopback, private or link-local host is refused here."""
    from avatar_mcp.errors import MediaRejected

    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        with pytest.raises(MediaRejected, match="not on the public internet"):
            await service.submit(ops.CREATE_PHOTO_AVATAR, PhotoAvatarSpec(image=url, name="Ann"), provider)
    assert not v3.requests("POST")


def test_the_eight_checklist_fields_are_composed_into_the_prompt() -> None:
    spec = PhotoGenerationSpec(name="Ava", age="Late Middle Age", gender="Man", ethnicity="South Asian",
                               orientation="vertical", pose="full_body", style="Cinematic",
                               appearance="Grey suit, warm smile.")
    prompt = compose_prompt(spec)
    assert prompt == ("cinematic portrait of a late-middle-aged South Asian man, full-body shot, portrait framing, "
                      "facing the camera. Grey suit, warm smile.")
    loose = compose_prompt(spec.model_copy(update={"age": "Unspecified", "gender": "Unspecified",
                                                   "ethnicity": "Unspecified", "style": "Unspecified"}))
    assert loose.startswith("Portrait of a person, full-body shot")
    with pytest.raises(InvalidInput, match="Shorten appearance by"):
        compose_prompt(spec.model_copy(update={"appearance": "x" * 1000}))


async def test_an_ai_photo_is_a_prompt_avatar_whose_look_is_the_candidate(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    spec = PhotoGenerationSpec(name="Ava", age="Senior", gender="Woman", ethnicity="Unspecified",
                               orientation="square", pose="half_body", style="Realistic", appearance="Red scarf.")
    async with heygen_service(settings) as (service, provider):
        job = await service.submit(ops.GENERATE_PHOTO, spec, provider)
        job = await service.refresh(job.id, force=True)
    body = v3.requests("POST", "^/v3/avatars$")[0].json
    assert body == {"type": "prompt", "name": "Ava", "prompt": compose_prompt(spec)}
    assert job.result is not None and job.result.candidates is not None
    [candidate] = job.result.candidates
    assert candidate.key == job.vendor_id and candidate.image_path


async def test_big_files_go_through_the_direct_upload_flow_without_the_api_key(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, clip: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings, multipart_max_bytes=1000) as (service, provider):
        job = await service.submit(ops.CREATE_DIGITAL_TWIN, DigitalTwinSpec(name="Twin", video="clip.mp4"), provider)
    declared = v3.requests("POST", "direct-uploads")[0]
    put = v3.requests("PUT", "^/_upload/")[0]
    assert declared.json["size_bytes"] == clip.stat().st_size and declared.json["content_type"] == "video/mp4"
    assert "x-api-key" not in put.headers and put.body == clip.read_bytes()
    assert v3.requests("POST", "/complete$")
    created = v3.requests("POST", "^/v3/avatars$")[0].json
    assert created["type"] == "digital_twin" and created["file"]["type"] == "asset_id"
    assert job.status == "processing"


async def test_a_digital_twin_without_a_consent_video_returns_the_consent_page_and_waits(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, clip: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        job = await service.submit(ops.CREATE_DIGITAL_TWIN, DigitalTwinSpec(name="Twin", video="clip.mp4"), provider)
        still = await service.refresh(job.id, force=True)
        assert job.result is not None and job.result.consent_url
        httpx.post(job.result.consent_url)  # the person filmed opens the page and consents
        done = await service.refresh(job.id, force=True)
        with_video = await service.submit(ops.CREATE_DIGITAL_TWIN, DigitalTwinSpec(
            name="Twin 2", video="clip.mp4", consent_video="clip.mp4"), provider)
    assert "send this link to the person filmed" in (job.message or "")
    assert still.status == "processing" and still.result is not None and still.result.consent_url
    assert done.status == "succeeded" and done.result is not None and done.result.default_voice_id
    consents = v3.requests("POST", "/consent$")
    assert consents[0].json is None or consents[0].json == {}
    assert consents[1].json["consent_video"]["type"] == "asset_id"
    assert with_video.result is None and "Consent needed" not in (with_video.message or "")


async def test_twenty_open_videos_cost_one_status_request(tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=3, max_concurrent_jobs=None, credits=1000)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        async with heygen_service(settings) as (service, provider):
            jobs = [await service.submit(ops.CREATE_VIDEO, VideoSpec(scenes=[Scene(
                avatar_id=STOCK, script=f"Video {n}.", voice_id=VOICE)]), provider) for n in range(20)]
            before = len(fake.log)
            updates = await provider.get_jobs(jobs)
            first_round = fake.log[before:]
            fake.complete_all()
            before = len(fake.log)
            records: list[JobRecord] = [await service.get(j.id) for j in jobs]
            finished = await provider.get_jobs(records)
    assert [r.path for r in first_round] == ["/v3/videos/statuses"]
    assert {u.status for u in updates.values()} == {"processing"}
    assert len(fake.log) - before == 21  # the batch, then one read per finished video for its URLs
    assert {u.status for u in finished.values()} == {"succeeded"}


async def test_the_readiness_gate_waits_for_the_look_and_refuses_a_twin_without_consent(
        tmp_path: Path, media_root: Path, photo: Path, clip: Path) -> None:
    fake = HeyGenV3Fake(polls={"look": 2}, polls_to_complete=0)
    reports: list[str] = []

    async def report(fraction: float, message: str) -> None:
        reports.append(message)

    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        async with heygen_service(settings) as (service, provider):
            pending = await service.submit(ops.CREATE_PHOTO_AVATAR, PhotoAvatarSpec(name="Me", image=str(photo)),
                                           provider)
            spec = VideoSpec(scenes=[Scene(avatar_id=pending.vendor_id, script="Hi.", voice_id=VOICE)])
            video = await service.submit(ops.CREATE_VIDEO, spec, provider, report=report)
            twin = await service.submit(ops.CREATE_DIGITAL_TWIN, DigitalTwinSpec(name="T", video="clip.mp4"), provider)
            with pytest.raises(AvatarNotReady, match="waiting for consent"):
                await service.submit(ops.CREATE_VIDEO, VideoSpec(scenes=[Scene(
                    avatar_id=twin.vendor_id, script="Hi.", voice_id=VOICE)]), provider)
    assert video.status == "queued" and any("Waiting for HeyGen" in r for r in reports)
    assert len(fake.requests("POST", "^/v3/videos$")) == 1


async def test_listings_page_through_own_and_public_looks_and_voices(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        own = await look(service, photo)
        avatars = await provider.list_avatars(CatalogQuery(limit=100))
        voices = await provider.list_voices(CatalogQuery(language="en", gender="female"))
        with pytest.raises(InvalidInput, match="public avatars"):
            await provider.delete_avatar(STOCK)
        await provider.delete_avatar(own)
        credits = await provider.remaining_credits()
    assert avatars[0].avatar_id == own and avatars[0].kind == "photo"
    assert {a.kind for a in avatars[1:]} == {"stock"} and len(avatars) == 7
    assert [q.query.get("ownership") for q in v3.requests("GET", "/v3/avatars/looks$")] == ["private", "public"]
    assert [v.name for v in voices] == ["My Cloned Voice", "Sara - Friendly"]
    assert own not in v3.looks and credits.amount == 100


async def test_the_api_key_travels_only_in_its_header(v3: HeyGenV3Fake, tmp_path: Path, media_root: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings, timing=dataclasses.replace(FAST)) as (_, provider):
        await provider.list_voices(CatalogQuery())
    request = v3.log[0]
    assert request.headers["x-api-key"] == KEY
    assert KEY not in request.path + str(request.query)


async def test_a_plan_without_consent_videos_falls_back_to_the_consent_page(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, clip: Path) -> None:
    v3.add_fault("POST", "/consent$", status=403, body={"error": {"code": "forbidden", "message": "Enterprise only"}})
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        job = await service.submit(ops.CREATE_DIGITAL_TWIN, DigitalTwinSpec(
            name="Twin", video="clip.mp4", consent_video="clip.mp4"), provider)
    consents = v3.requests("POST", "/consent$")
    assert "consent_video" in consents[0].json and consents[1].json == {}
    assert job.result is not None and job.result.consent_url and "Enterprise only" in (job.message or "")
