"""Self-tests of the HeyGen v2 emulator's property checks: every body the seeds describe field by field takes only
those fields (seed 001's scene variants, Avatar IV, photo avatars, video avatars, webhooks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.heygen_v2 import HeyGenV2Fake
from tests.fakes.test_heygen_fakes import STOCK_AVATAR, VOICE, running

TEXT = {"type": "text", "voice_id": VOICE, "input_text": "Hello."}
SCENE = {"character": {"type": "avatar", "avatar_id": STOCK_AVATAR}, "voice": TEXT}


@pytest.fixture(scope="module")
def v2() -> Iterator[tuple[HeyGenV2Fake, httpx.Client]]:
    fake = HeyGenV2Fake()
    with running(fake) as client:
        yield fake, client


def generate(**scene: Any) -> dict[str, Any]:
    return {"video_inputs": [{**SCENE, **scene}]}


@pytest.mark.parametrize(("path", "body", "param"), [
    ("/v2/video/generate", {**generate(), "output_format": "mp4"}, "output_format"),
    ("/v2/video/generate", generate(script="Hello."), "video_inputs[0].script"),
    ("/v2/video/generate", generate(character={"type": "avatar", "avatar_id": STOCK_AVATAR, "talking_style": "stable"}),
     "video_inputs[0].character.talking_style"),
    ("/v2/video/generate", generate(voice={**TEXT, "volume": 0.5}), "video_inputs[0].voice.volume"),
    ("/v2/video/generate", generate(voice={"type": "silence", "duration": 2, "voice_id": VOICE}),
     "video_inputs[0].voice.voice_id"),
    ("/v2/video/generate", generate(background={"type": "color", "value": "#000000", "url": "https://x.test/a.jpg"}),
     "video_inputs[0].background.url"),
    ("/v2/video/generate", generate(background={"type": "image", "url": "https://x.test/a.jpg", "play_style": "loop"}),
     "video_inputs[0].background.play_style"),
    ("/v2/video/generate", {**generate(), "dimension": {"width": 1280, "height": 720, "fps": 30}}, "dimension.fps"),
    ("/v2/video/av4/generate", {"image_key": "k", "video_title": "T", "script": "Hi", "voice_id": VOICE,
                                "aspect_ratio": "16:9"}, "aspect_ratio"),
    ("/v2/photo_avatar/avatar_group/create", {"name": "Me", "image_key": "k", "image_url": "https://x"}, "image_url"),
    ("/v2/photo_avatar/train", {"group_id": "g", "mode": "fast"}, "mode"),
    ("/v2/video_avatar", {"training_footage_url": "https://x.test/a.mp4", "video_consent_url": "https://x.test/b.mp4",
                          "avatar_name": "T", "consent": True}, "consent"),
    ("/v1/webhook/endpoint.add", {"url": "https://x.test/hook", "secret": "s"}, "secret"),
])
def test_a_property_the_seed_does_not_list_is_refused_by_name(v2: tuple[HeyGenV2Fake, httpx.Client], path: str,
                                                              body: dict[str, Any], param: str) -> None:
    fake, client = v2
    before = len(fake.videos)
    answer = client.post(path, json=body)
    error = answer.json().get("error") or answer.json()  # the new envelope nests it; the legacy one does not
    assert answer.status_code == 400, answer.text
    assert f"{param} is not a property" in error["message"]
    assert len(fake.videos) == before


def test_every_scene_variant_of_seed_001_in_its_exact_spelling_is_accepted(
        v2: tuple[HeyGenV2Fake, httpx.Client]) -> None:
    _, client = v2
    body = {"title": "T", "caption": False, "callback_id": "c", "dimension": {"width": 1280, "height": 720},
            "video_inputs": [
                {"character": {"type": "avatar", "avatar_id": STOCK_AVATAR, "scale": 1.0, "avatar_style": "normal",
                               "offset": {"x": 0.1, "y": 0}, "matting": False, "circle_background_color": "#ffffff"},
                 "voice": {**TEXT, "speed": 1.1, "pitch": 2, "emotion": "Friendly", "locale": "en-US",
                           "elevenlabs_settings": {"model": "eleven_turbo_v2", "stability": 0.5}},
                 "background": {"type": "color", "value": "#f6f6fc"}},
                {"character": {"type": "avatar", "avatar_id": STOCK_AVATAR},
                 "voice": {"type": "silence", "duration": 2},
                 "background": {"type": "image", "url": "https://x.test/a.jpg", "fit": "contain"}},
                {"character": {"type": "avatar", "avatar_id": STOCK_AVATAR},
                 "voice": {"type": "audio", "audio_url": "https://x.test/a.mp3"},
                 "background": {"type": "video", "url": "https://x.test/a.mp4", "play_style": "loop", "fit": "cover"}},
            ]}
    answer = client.post("/v2/video/generate", json=body)
    assert answer.status_code == 200, answer.text
