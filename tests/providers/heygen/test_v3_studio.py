"""Multi-scene (studio) videos on HeyGen v3, against an emulator that validates the studio schema exactly
(reference/heygen-v3.md section 4): every property of every scene variant is checked, unknown ones refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client

from avatar_mcp import operations as ops
from avatar_mcp.errors import InvalidInput
from avatar_mcp.specs import VideoSpec
from tests.fakes._harness import sample_mp4
from tests.fakes._heygen_v3_schema import IMAGE_SCENE, SCENE_AVATAR_INPUT, STUDIO_VIDEO
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.providers.heygen.conftest import STOCK, VOICE, heygen_service, heygen_settings, server

pytestmark = pytest.mark.anyio

SPEAK = {"avatar_id": STOCK, "script": "Welcome to the tour.", "voice_id": VOICE}
TWO = [{**SPEAK, "background": {"type": "color", "value": "#1E2A3A"}},
       {**SPEAK, "script": "See you soon.", "background": {"type": "color", "value": "#ffffff"}}]
THREE = [{**SPEAK, "background": {"type": "color", "value": "#203040"}},
         {"avatar_id": STOCK, "silence_seconds": 2},
         {"script": "Here is the product.", "voice_id": VOICE, "background": {"type": "image", "url": "me.jpg"}}]


def studio_requests(fake: HeyGenV3Fake) -> list[dict[str, Any]]:
    return [r.json for r in fake.requests("POST", "^/v3/videos$")]


@pytest.mark.parametrize("scenes", [TWO, THREE], ids=["two-coloured", "colour-silence-image"])
async def test_multi_scene_videos_are_accepted_by_the_exact_studio_schema_and_end_in_a_downloaded_mp4(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path, scenes: list[dict[str, Any]]) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        job = await service.submit(ops.CREATE_VIDEO, VideoSpec.model_validate({"scenes": scenes, "caption": True}),
                                   provider)
        job = await service.refresh(job.id, force=True)
    assert job.status == "succeeded", job.error
    assert job.result is not None and job.result.video_path
    assert Path(job.result.video_path).read_bytes() == sample_mp4()
    [body] = studio_requests(v3)
    assert body["type"] == "studio" and set(body) <= STUDIO_VIDEO
    assert not {"output_format", "fit", "remove_background"} & set(body)
    first = body["scenes"][0]
    assert first["type"] == "avatar_video" and set(first["input"]) <= SCENE_AVATAR_INPUT
    assert first["input"]["background"] == {"type": "color", "color": scenes[0]["background"]["value"]}
    if scenes is THREE:
        silent, shown = body["scenes"][1:]
        assert set(silent) == {"type", "source", "duration"} and silent["duration"] == 2
        assert silent["source"]["type"] == "url"  # the avatar's preview image stands in for the silent avatar
        assert set(shown) <= IMAGE_SCENE and shown["source"]["type"] == "asset_id"
        assert (shown["script"], shown["voice_id"]) == ("Here is the product.", VOICE)


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"options": {"fit": "contain"}}, "options.fit", "no options.fit"),
    ({"options": {"remove_background": True}}, "options.remove_background", "no options.remove_background"),
    ({"output_format": "webm"}, "output_format", "always mp4"),
    ({"scenes": [{**SPEAK, "background": {"type": "image", "url": "https://x.test/b.jpg"}}, SPEAK]},
     "scenes.0.background", "colour only"),
])
async def test_what_a_studio_video_does_not_have_is_refused_by_name_before_any_request(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, change: dict[str, Any], field: str, words: str) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        with pytest.raises(InvalidInput, match=words) as refused:
            await service.submit(ops.CREATE_VIDEO, VideoSpec.model_validate({"scenes": TWO, **change}), provider)
    assert refused.value.field == field
    assert v3.log == []


async def test_a_one_scene_video_keeps_its_output_format_fit_and_image_background(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    spec = VideoSpec.model_validate({"scenes": [{**SPEAK, "background": {"type": "image", "url": "me.jpg"}}],
                                     "options": {"fit": "contain", "remove_background": False}})
    async with heygen_service(settings) as (service, provider):
        job = await service.submit(ops.CREATE_VIDEO, spec, provider)
    [body] = studio_requests(v3)
    assert body["type"] == "avatar" and job.status == "queued"
    assert (body["output_format"], body["fit"], body["remove_background"]) == ("mp4", "contain", False)
    assert body["background"]["type"] == "image" and body["background"]["asset_id"] in v3.assets


async def test_a_scene_showing_an_image_is_not_asked_for_an_avatar_and_renders_as_an_image_scene(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    scene = {"script": "Here is the product.", "voice_id": VOICE, "background": {"type": "image", "url": "me.jpg"}}
    async with Client(server(settings), mode="legacy") as client:  # no forms: a question would be needs_input
        result = await client.call_tool("create_video", {"provider": "heygen", "orientation": "landscape",
                                                         "scenes": [scene, SPEAK]})
    handle = result.structured_content or {}
    assert handle.get("status") == "queued", handle
    [body] = studio_requests(v3)
    shown = body["scenes"][0]
    assert shown["type"] == "image" and set(shown) <= IMAGE_SCENE and shown["script"] == "Here is the product."
