"""Self-tests of the HeyGen v3 emulator's schema checks: each request variant takes exactly the properties the
reference lists (heygen-v3.md 4 for videos), in the exact spellings, and the statuses batch answers as v3 does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.fakes.test_heygen_fakes import STOCK_AVATAR, VOICE, asset_input, running

SPEAKING = {"type": "avatar_video", "input": {"type": "avatar", "avatar_id": STOCK_AVATAR, "script": "Hi",
                                              "voice_id": VOICE}}
STILL = {"type": "image", "source": asset_input(), "duration": 3}
CLIP = asset_input(b"\x00\x00\x00\x18ftypmp42", "video/mp4")


@pytest.fixture(scope="module")
def v3() -> Iterator[tuple[HeyGenV3Fake, httpx.Client]]:
    fake = HeyGenV3Fake(polls_to_complete=0)
    with running(fake) as client:
        yield fake, client


def studio(*scenes: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"type": "studio", "scenes": list(scenes), **top}


def with_input(**changes: Any) -> dict[str, Any]:
    return {**SPEAKING, "input": {**SPEAKING["input"], **changes}}


@pytest.mark.parametrize(("body", "param"), [
    (studio(SPEAKING, output_format="mp4"), "output_format"),
    (studio(SPEAKING, fit="cover"), "fit"),
    (studio(SPEAKING, remove_background=True), "remove_background"),
    (studio(with_input(background={"type": "color", "value": "#000000"})), "scenes[0].input.background.value"),
    (studio(with_input(background={"type": "color"})), "scenes[0].input.background.color"),
    (studio(with_input(background={"type": "color", "color": "#fff"})), "scenes[0].input.background.color"),
    (studio(with_input(background={"type": "image", "url": "https://x.test/a.jpg"})),
     "scenes[0].input.background.url"),
    (studio(with_input(remove_background=True)), "scenes[0].input.remove_background"),
    (studio({**SPEAKING, "background": {"type": "color", "color": "#000000"}}), "scenes[0].background"),
    (studio({**STILL, "audio": asset_input()}), "scenes[0].audio"),
    (studio({**STILL, "duration": None, "script": "Hi", "voice_id": VOICE, "audio_url": "https://x.test/a.mp3"}),
     "scenes[0]"),
    (studio({"type": "video", "source": CLIP, "playback": "loop"}), "scenes[0].playback"),
    (studio({**STILL, "source": {**asset_input(), "url": "https://x.test/a.jpg"}}), "scenes[0].source.url"),
    ({"type": "avatar", "avatar_id": STOCK_AVATAR, "script": "Hi", "voice_id": VOICE, "scenes": []}, "scenes"),
    ({"type": "avatar", "avatar_id": STOCK_AVATAR, "script": "Hi", "voice_id": VOICE,
      "voice_settings": {"emotion": "Friendly"}}, "voice_settings.emotion"),
    ({"type": "image", "image": asset_input(), "script": "Hi", "voice_id": VOICE, "engine": {"type": "avatar_iv"}},
     "engine"),
])
def test_a_property_the_variant_does_not_list_is_refused_by_name(v3: tuple[HeyGenV3Fake, httpx.Client],
                                                                 body: dict[str, Any], param: str) -> None:
    fake, client = v3
    before = len(fake.videos)
    answer = client.post("/v3/videos", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == param
    assert len(fake.videos) == before


def test_every_studio_scene_variant_in_its_exact_spelling_is_accepted(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    _, client = v3
    body = studio(with_input(background={"type": "color", "color": "#1E2A3A"}, voice_settings={"speed": 1.1}),
                  {"type": "avatar_video", "input": {"type": "image", "image": asset_input(), "script": "Hi",
                                                     "voice_id": VOICE, "motion_prompt": "nod"}},
                  STILL, {"type": "image", "source": asset_input(), "script": "Hi", "voice_id": VOICE},
                  {"type": "image", "source": asset_input(), "audio_url": "https://x.test/a.mp3"},
                  {"type": "video", "source": CLIP, "playback": {"volume": 0.5, "mute": False}},
                  aspect_ratio="16:9", resolution="1080p", caption={"file_format": "srt"}, title="T", callback_id="c")
    answer = client.post("/v3/videos", json=body)
    assert answer.status_code == 200, answer.text


def test_avatar_creates_and_agent_sessions_refuse_unknown_properties(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    _, client = v3
    photo = client.post("/v3/avatars", json={"type": "photo", "name": "Me", "file": asset_input(), "image_key": "k"})
    agent = client.post("/v3/video-agents", json={"prompt": "A video", "dimension": {"width": 1}})
    assert photo.json()["error"]["param"] == "image_key" and agent.json()["error"]["param"] == "dimension"


def test_the_statuses_batch_names_each_video_video_id_and_carries_no_urls(
        v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    fake, client = v3
    made = client.post("/v3/videos", json={"type": "avatar", "avatar_id": STOCK_AVATAR, "script": "Hi",
                                           "voice_id": VOICE}).json()["data"]["video_id"]
    fake.fail_next_video("MODERATION_REJECTED", "Content policy")
    failing = client.post("/v3/videos", json={"type": "avatar", "avatar_id": STOCK_AVATAR, "script": "Hi",
                                              "voice_id": VOICE}).json()["data"]["video_id"]
    fake.complete_all()
    items = client.get("/v3/videos/statuses", params={"video_ids": f"{made},{failing},nope"}).json()["data"]
    assert [(i["video_id"], i["status"]) for i in items] == [(made, "completed"), (failing, "failed"),
                                                             ("nope", "not_found")]
    assert all("id" not in i and not any(k.endswith("url") for k in i) for i in items)
    assert items[1]["error"] == {"code": "MODERATION_REJECTED", "message": "Content policy"}
