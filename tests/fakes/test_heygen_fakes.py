"""Self-tests of the HeyGen emulators (v1/v2 and v3) over real HTTP on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from tests.fakes._harness import FakeVendor, sample_jpeg, sample_mp4, serve
from tests.fakes._heygen_catalogue import VOICES
from tests.fakes._heygen_common import mp3_silence
from tests.fakes.heygen_v2 import HeyGenV2Fake
from tests.fakes.heygen_v3 import HeyGenV3Fake

KEY = "test-heygen-key"
VOICE = VOICES[0]["voice_id"]
PORTRAIT = (Path(__file__).resolve().parents[2] / "avatar_mcp" / "assets" / "portraits" / "astronaut.jpg").read_bytes()
STOCK_AVATAR = "josh_lite3_20230714"


class WebhookSink(FakeVendor):
    """Receives webhook deliveries (answers 200 to any POST under /hook/)."""

    def routes(self) -> list[BaseRoute]:
        async def hook(request: Request) -> JSONResponse:
            return JSONResponse({"ok": True})

        return [Route("/hook/{name:path}", hook, methods=["POST"])]


@contextmanager
def running(fake: FakeVendor) -> Iterator[httpx.Client]:
    with serve(fake) as base, httpx.Client(base_url=base, headers={"X-Api-Key": KEY}, timeout=10) as client:
        yield client


def poll(client: httpx.Client, url: str, times: int, **params: Any) -> list[dict[str, Any]]:
    return [client.get(url, params=params).json()["data"] for _ in range(times)]


def scene(**voice: Any) -> dict[str, Any]:
    return {"character": {"type": "avatar", "avatar_id": STOCK_AVATAR},
            "voice": voice or {"type": "text", "voice_id": VOICE, "input_text": "Hello from the fake."}}


# ================================================================== v1 / v2
@pytest.fixture
def v2() -> Iterator[tuple[HeyGenV2Fake, httpx.Client]]:
    fake = HeyGenV2Fake()
    with running(fake) as client:
        yield fake, client


@pytest.fixture(scope="module")
def v2_shared() -> Iterator[tuple[HeyGenV2Fake, httpx.Client]]:
    """One server for the validation matrices (each case leaves no state behind)."""
    fake = HeyGenV2Fake()
    with running(fake) as client:
        yield fake, client


def upload(client: httpx.Client, data: bytes = PORTRAIT, ctype: str = "image/jpeg") -> dict[str, Any]:
    response = client.post("/v1/asset", content=data, headers={"Content-Type": ctype})
    assert response.status_code == 200, response.text
    asset: dict[str, Any] = response.json()["data"]
    return asset


def test_v2_auth_uses_each_envelope(v2: tuple[HeyGenV2Fake, httpx.Client]) -> None:
    _, client = v2
    old = client.get("/v1/video_status.get", params={"video_id": "x"}, headers={"X-Api-Key": "wrong"})
    assert old.status_code == 401 and old.json() == {"code": 40102, "message": old.json()["message"]}
    new = client.get("/v2/avatars", headers={"X-Api-Key": ""})
    assert new.status_code == 401 and new.json()["data"] is None and new.json()["error"]["code"] == "unauthorized"
    missing = client.get("/v1/video_status.get", params={"video_id": "nope"})
    assert missing.status_code == 404 and missing.json()["code"] == 40104


def test_v2_upload_sniffs_and_serves(v2: tuple[HeyGenV2Fake, httpx.Client]) -> None:
    fake, client = v2
    body = client.post("/v1/asset", content=PORTRAIT, headers={"Content-Type": "image/jpeg"}).json()
    assert body["code"] == 100 and body["data"]["file_type"] == "image"
    assert body["data"]["image_key"] == f"image/{body['data']['id']}/original.jpg"
    assert httpx.get(body["data"]["url"]).content == PORTRAIT
    audio = upload(client, mp3_silence(1), "audio/mpeg")
    assert audio["file_type"] == "audio" and audio["image_key"] is None
    mismatch = client.post("/v1/asset", content=PORTRAIT, headers={"Content-Type": "image/png"})
    assert mismatch.status_code == 400 and mismatch.json()["code"] == 400 and "image/jpeg" in mismatch.json()["message"]
    assert client.post("/v1/asset", content=b"%PDF-1", headers={"Content-Type": "application/pdf"}).status_code == 400
    assert len(fake.assets) == 2


def test_v2_photo_avatar_group_train_and_delete(v2: tuple[HeyGenV2Fake, httpx.Client]) -> None:
    fake, client = v2
    key = upload(client)["image_key"]
    small = client.post("/v2/photo_avatar/avatar_group/create",
                        json={"name": "tiny", "image_key": upload(client, sample_jpeg())["image_key"]})
    assert small.status_code == 400 and "512x512" in small.json()["error"]["message"]
    unknown = client.post("/v2/photo_avatar/avatar_group/create", json={"name": "x", "image_key": "image/nope.jpg"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    created = client.post("/v2/photo_avatar/avatar_group/create", json={"name": "Me", "image_key": key}).json()
    assert created["error"] is None
    group_id = created["data"]["id"]
    assert created["data"]["group_id"] == group_id and created["data"]["status"] == "pending"
    early = client.post("/v2/photo_avatar/train", json={"group_id": group_id})
    assert early.status_code == 400
    statuses = [d["status"] for d in poll(client, f"/v2/photo_avatar/{group_id}", 3)]
    assert statuses == ["pending", "pending", "completed"]
    assert group_id in [p["id"] for p in client.get("/v1/talking_photo.list").json()["data"]]
    added = client.post("/v2/photo_avatar/avatar_group/add", json={"group_id": group_id, "image_keys": [key, key],
                                                                   "name": "More"}).json()["data"]
    assert len(added["photo_avatar_list"]) == 2 and len(fake.groups[group_id]["looks"]) == 3
    too_many = client.post("/v2/photo_avatar/avatar_group/add", json={"group_id": group_id, "image_keys": [key] * 5,
                                                                      "name": "x"})
    assert too_many.status_code == 400
    before = fake.credits
    assert client.post("/v2/photo_avatar/train", json={"group_id": group_id}).status_code == 200
    assert fake.credits == before - 4
    train = [d["status"] for d in poll(client, f"/v2/photo_avatar/train/status/{group_id}", 3)]
    assert train == ["pending", "training", "ready"]
    assert client.delete(f"/v2/photo_avatar/{added['photo_avatar_list'][0]['id']}").json() == {"error": None,
                                                                                               "data": None}
    assert client.delete(f"/v2/photo_avatar_group/{group_id}").status_code == 200
    assert group_id not in fake.groups and client.get(f"/v2/photo_avatar/{group_id}").status_code == 404


PHOTO_REQUEST = {"name": "Sarah", "age": "Young Adult", "gender": "Woman", "ethnicity": "White",
                 "orientation": "horizontal", "pose": "half_body", "style": "Realistic", "appearance": "Navy blazer"}


@pytest.mark.parametrize("change", [{"age": "young adult"}, {"pose": "half body"}, {"style": None},
                                    {"appearance": "x" * 1001}, {"ethnicity": "Martian"}])
def test_v2_photo_generate_validates(v2_shared: tuple[HeyGenV2Fake, httpx.Client], change: dict[str, Any]) -> None:
    _, client = v2_shared
    body = {k: v for k, v in {**PHOTO_REQUEST, **change}.items() if v is not None}
    response = client.post("/v2/photo_avatar/photo/generate", json=body)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_parameter"


def test_v2_photo_generation_to_group(v2: tuple[HeyGenV2Fake, httpx.Client]) -> None:
    fake, client = v2
    gen_id = client.post("/v2/photo_avatar/photo/generate", json=PHOTO_REQUEST).json()["data"]["generation_id"]
    assert fake.credits == 99
    states = poll(client, f"/v2/photo_avatar/generation/{gen_id}", 3)
    assert [s["status"] for s in states] == ["processing", "processing", "success"]
    done = states[-1]
    assert len(done["image_url_list"]) == len(done["image_key_list"]) == 4
    assert httpx.get(done["image_url_list"][0]).content[:3] == b"\xff\xd8\xff"
    created = client.post("/v2/photo_avatar/avatar_group/create",
                          json={"name": "Sarah", "image_key": done["image_key_list"][0], "generation_id": gen_id})
    assert created.status_code == 200 and created.json()["data"]["business_type"] == "generated"


@pytest.mark.parametrize(("mutate", "status", "code"), [
    (lambda b: b.update(video_inputs=[]), 400, "invalid_parameter"),
    (lambda b: b.update(video_inputs=[scene()] * 51), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0]["character"].update(scale=5.1), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0]["character"].update(type="talking_photo", talking_photo_id=
                                                        "ef0ed70f72c6497793e5e36e434d2aea", scale=2.5), 400,
     "invalid_parameter"),
    (lambda b: b["video_inputs"][0]["character"].update(avatar_style="closeup"), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0]["character"].update(avatar_id="nobody"), 404, "avatar_not_found"),
    (lambda b: b["video_inputs"][0]["voice"].update(speed=1.6), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0]["voice"].update(pitch=10.5), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0]["voice"].update(pitch=-51), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0]["voice"].update(emotion="Happy"), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0]["voice"].update(voice_id="nope"), 404, "voice_not_found"),
    (lambda b: b["video_inputs"][0]["voice"].update(input_text="x" * 5001), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0].update(voice={"type": "audio"}), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0].update(voice={"type": "audio", "audio_asset_id": "nope"}), 404, "not_found"),
    (lambda b: b["video_inputs"][0].update(voice={"type": "silence", "duration": 0.5}), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0].update(voice={"type": "silence", "duration": 101}), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0].update(background={"type": "image", "fit": "cover"}), 400, "invalid_parameter"),
    (lambda b: b["video_inputs"][0].update(background={"type": "video", "url": "https://x.test/a.mp4"}), 400,
     "invalid_parameter"),
    (lambda b: b["video_inputs"][0].update(background={"type": "color", "value": "red"}), 400, "invalid_parameter"),
    (lambda b: b.update(dimension={"width": 1280}), 400, "invalid_parameter"),
    (lambda b: b.update(callback_url="not a url"), 400, "invalid_parameter"),
])
def test_v2_video_generate_validates(v2_shared: tuple[HeyGenV2Fake, httpx.Client],
                                     mutate: Callable[[dict[str, Any]], None], status: int, code: str) -> None:
    fake, client = v2_shared
    body: dict[str, Any] = {"video_inputs": [scene()]}
    mutate(body)
    response = client.post("/v2/video/generate", json=body)
    assert response.status_code == status, response.text
    assert response.json() == {"error": {"code": code, "message": response.json()["error"]["message"]}, "data": None}
    assert not fake.videos


def test_v2_video_every_scene_variant_completes(v2: tuple[HeyGenV2Fake, httpx.Client]) -> None:
    fake, client = v2
    audio_id = upload(client, mp3_silence(1), "audio/mpeg")["id"]
    image_id = upload(client)["id"]
    video_id = upload(client, sample_mp4(), "video/mp4")["id"]
    body = {"title": "All", "caption": True, "callback_id": "cb-1", "dimension": {"width": 1920, "height": 1080},
            "video_inputs": [
                {"character": {"type": "avatar", "avatar_id": STOCK_AVATAR, "scale": 5, "avatar_style": "circle",
                               "offset": {"x": 0.1, "y": -0.1}, "matting": True, "circle_background_color": "#ffffff"},
                 "voice": {"type": "text", "voice_id": VOICE, "input_text": "One two three four five six", "speed": 1.5,
                           "pitch": -50, "emotion": "Friendly", "locale": "en-US",
                           "elevenlabs_settings": {"model": "eleven_turbo_v2_5", "stability": 0.5}},
                 "background": {"type": "color", "value": "#f6f6fc"}},
                {"character": {"type": "talking_photo", "talking_photo_id": "ef0ed70f72c6497793e5e36e434d2aea",
                               "scale": 2, "talking_photo_style": "circle", "talking_style": "expressive",
                               "expression": "happy", "super_resolution": True},
                 "voice": {"type": "audio", "audio_asset_id": audio_id},
                 "background": {"type": "image", "image_asset_id": image_id, "fit": "crop"}},
                {"voice": {"type": "silence", "duration": 2},
                 "background": {"type": "video", "video_asset_id": video_id, "play_style": "loop", "fit": "none"}},
                {"voice": {"type": "audio", "audio_url": "https://cdn.example.com/a.mp3"},
                 "background": {"type": "video", "url": "https://cdn.example.com/b.mp4", "play_style": "once"}},
            ]}
    created = client.post("/v2/video/generate", json=body)
    assert created.status_code == 200 and created.json()["error"] is None
    vid = created.json()["data"]["video_id"]
    assert fake.videos[vid]["status"] == "waiting"
    states = poll(client, "/v1/video_status.get", 4, video_id=vid)
    assert [s["status"] for s in states] == ["pending", "processing", "completed", "completed"]
    done, again = states[2], states[3]
    assert done["video_url"] != again["video_url"] and "Expires=" in done["video_url"]
    assert done["duration"] == fake.videos[vid]["_seconds"] > 22 and done["callback_id"] == "cb-1"
    assert httpx.get(done["video_url"]).content == sample_mp4()
    assert httpx.get(done["thumbnail_url"]).content == sample_jpeg()
    assert done["caption_url"].split("?")[0].endswith(".ass") and b"Dialogue" in httpx.get(done["caption_url"]).content
    assert httpx.get(done["video_url_caption"]).status_code == 200
    assert fake.credits == 99  # one started minute at 1 credit/min
    quota = client.get("/v2/user/remaining_quota").json()["data"]
    assert quota["remaining_quota"] == 99 * 60


def test_v2_not_ready_photo_avatar_fails_later(v2: tuple[HeyGenV2Fake, httpx.Client]) -> None:
    fake, client = v2
    tp = client.post("/v2/photo_avatar/avatar_group/create",
                     json={"name": "Me", "image_key": upload(client)["image_key"]}).json()["data"]["id"]
    body = {"video_inputs": [{"character": {"type": "talking_photo", "talking_photo_id": tp},
                              "voice": {"type": "text", "voice_id": VOICE, "input_text": "hi"}}]}
    vid = client.post("/v2/video/generate", json=body).json()["data"]["video_id"]
    final = poll(client, "/v1/video_status.get", 3, video_id=vid)[-1]
    assert final["status"] == "failed" and final["video_url"] is None and "not ready" in final["error"]["message"]
    assert fake.credits == 100  # refunded


def test_v2_forced_failure_quota_and_string_errors() -> None:
    fake = HeyGenV2Fake(credits=1.5, polls_to_complete=0, string_errors=r"^/v2/video/generate$")
    with running(fake) as client:
        fake.fail_next_video(400500, "Boom")
        vid = client.post("/v2/video/generate", json={"video_inputs": [scene()]}).json()["data"]["video_id"]
        status = client.get("/v1/video_status.get", params={"video_id": vid}).json()["data"]
        assert status["status"] == "failed" and status["error"]["code"] == 400500
        long_text = " ".join(["word"] * 200)  # 80 s: two started minutes
        broke = client.post("/v2/video/generate", json={"video_inputs": [scene(type="text", voice_id=VOICE,
                                                                                input_text=long_text)]})
        assert broke.status_code == 402 and broke.json() == {"error": broke.json()["error"], "data": None}
        assert isinstance(broke.json()["error"], str) and "Insufficient credit" in broke.json()["error"]
        other = client.get("/v2/photo_avatar/generation/nope")
        assert other.json()["error"]["code"] == "not_found"  # only the configured route answers a plain string


def test_v2_rate_limit_and_harness_faults() -> None:
    fake = HeyGenV2Fake(rate_limit={r"/v2/voices": (2, 60)})
    with running(fake) as client:
        assert [client.get("/v2/voices").status_code for _ in range(2)] == [200, 200]
        limited = client.get("/v2/voices")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
        assert client.get("/v2/avatars").status_code == 200
        fake.add_fault("GET", r"^/v1/video_status", status=429, body={"code": 400123, "message": "Rate limit"},
                       headers={"Retry-After": "1"})
        assert client.get("/v1/video_status.get", params={"video_id": "x"}).json()["code"] == 400123
        fake.add_fault("POST", r"^/v2/video/generate$", status=500, after=True)
        assert client.post("/v2/video/generate", json={"video_inputs": [scene()]}).status_code == 500
        assert len(fake.videos) == 1  # the vendor did the work; the answer was lost
        fake.add_fault("POST", r"^/v2/video/generate$", delay=0.2, after=True)
        late = client.post("/v2/video/generate", json={"video_inputs": [scene()]})
        assert late.status_code == 200 and late.json()["data"]["video_id"] in fake.videos
        fake.add_fault("GET", r"^/v2/voices$", malformed=True)
        with pytest.raises(json.JSONDecodeError):
            client.get("/v2/voices").json()
        assert len(fake.requests("POST", r"^/v2/video/generate$")) == 2


def test_v2_avatar_iv(v2: tuple[HeyGenV2Fake, httpx.Client]) -> None:
    fake, client = v2
    key = upload(client)["image_key"]
    base = {"image_key": key, "video_title": "IV", "script": "Hello", "voice_id": VOICE}
    assert client.post("/v2/video/av4/generate", json={**base, "video_orientation": "tall"}).status_code == 400
    assert client.post("/v2/video/av4/generate", json={**base, "image_key": "image/x.jpg"}).status_code == 404
    assert client.post("/v2/video/av4/generate", json={k: v for k, v in base.items() if k != "video_title"}
                       ).status_code == 400
    extra = {"video_orientation": "portrait", "fit": "contain", "custom_motion_prompt": "nod",
             "enhance_custom_motion_prompt": True}
    ok = client.post("/v2/video/av4/generate", json={**base, **extra})
    vid = ok.json()["data"]["video_id"]
    assert fake.videos[vid]["dimension"] == {"width": 720, "height": 1280} and fake.credits == 94


def test_v2_listings(v2: tuple[HeyGenV2Fake, httpx.Client]) -> None:
    _, client = v2
    avatars = client.get("/v2/avatars").json()["data"]
    assert STOCK_AVATAR in {a["avatar_id"] for a in avatars["avatars"]} and "talking_photos" in avatars
    assert httpx.get(avatars["avatars"][0]["preview_image_url"]).status_code == 200
    voices = client.get("/v2/voices").json()["data"]["voices"]
    fields = {"voice_id", "language", "gender", "name", "preview_audio", "support_pause", "emotion_support"}
    assert fields <= set(voices[0])
    assert client.get("/v2/avatar_group.list").json()["data"]["avatar_group_list"] == []
    groups = client.get("/v2/avatar_group.list", params={"include_public": "true"}).json()["data"]
    assert groups["total_count"] == len(groups["avatar_group_list"]) > 0
    looks = client.get(f"/v2/avatar_group/{groups['avatar_group_list'][0]['id']}/avatars").json()["data"]
    assert looks["avatar_list"]
    assert client.get("/v2/avatar_group/nope/avatars").status_code == 404


def test_v2_digital_twin(v2: tuple[HeyGenV2Fake, httpx.Client]) -> None:
    fake, client = v2
    assert client.post("/v2/video_avatar", json={"avatar_name": "Twin"}).status_code == 400
    created = client.post("/v2/video_avatar", json={"training_footage_url": "https://x.test/f.mp4", "avatar_name": "T",
                                                    "video_consent_url": "https://x.test/c.mp4"}).json()["data"]
    states = poll(client, f"/v2/video_avatar/{created['avatar_id']}", 3)
    assert [s["status"] for s in states] == ["in_progress", "in_progress", "completed"]
    assert states[-1]["preview_image_url"] and states[-1]["default_voice_id"]
    body = {"video_inputs": [{"character": {"type": "avatar", "avatar_id": created["avatar_id"]},
                              "voice": {"type": "text", "voice_id": VOICE, "input_text": "hi"}}]}
    assert client.post("/v2/video/generate", json=body).status_code == 200 and fake.credits == 98  # 2 credits/min
    assert client.delete(f"/v2/video_avatar/{created['avatar_id']}").status_code == 200


def test_v2_webhooks_fire_without_polling() -> None:
    fake, sink = HeyGenV2Fake(), WebhookSink()
    with running(fake) as client, serve(sink) as hooks:
        bad_url = client.post("/v1/webhook/endpoint.add", json={"url": "http://example.com/hook"})
        assert bad_url.status_code == 400 and bad_url.json()["code"] == 400
        endpoint = client.post("/v1/webhook/endpoint.add", json={"url": f"{hooks}/hook/registered",
                                                                 "events": ["avatar_video.success"]}).json()
        assert endpoint["code"] == 100 and endpoint["data"]["secret"].startswith("whsec_")
        body = {"video_inputs": [scene()], "callback_id": "cb", "callback_url": f"{hooks}/hook/job"}
        vid = client.post("/v2/video/generate", json=body).json()["data"]["video_id"]
        assert fake.complete_all() == 1
        deliveries = fake.wait_for_deliveries(2)
        assert not fake.requests("GET", r"video_status")
    signed = next(d for d in deliveries if d["signed"])
    unsigned = next(d for d in deliveries if not d["signed"])
    assert signed["status_code"] == unsigned["status_code"] == 200
    payload = json.loads(signed["body"])
    assert payload["event_type"] == "avatar_video.success" and payload["event_data"]["video_id"] == vid
    assert payload["event_data"]["callback_id"] == "cb" and payload["event_data"]["url"].startswith("http")
    received = {r.path: r for r in sink.requests("POST")}
    expected = hmac.new(endpoint["data"]["secret"].encode(), received["/hook/registered"].body,
                        hashlib.sha256).hexdigest()
    assert received["/hook/registered"].headers["signature"] == expected
    assert "signature" not in received["/hook/job"].headers


# ================================================================== v3
@pytest.fixture
def v3() -> Iterator[tuple[HeyGenV3Fake, httpx.Client]]:
    fake = HeyGenV3Fake()
    with running(fake) as client:
        yield fake, client


@pytest.fixture(scope="module")
def v3_shared() -> Iterator[tuple[HeyGenV3Fake, httpx.Client]]:
    fake = HeyGenV3Fake()
    with running(fake) as client:
        yield fake, client


def asset_input(data: bytes = PORTRAIT, media_type: str = "image/jpeg") -> dict[str, Any]:
    return {"type": "base64", "media_type": media_type, "data": base64.b64encode(data).decode()}


def photo_look(fake: HeyGenV3Fake, client: httpx.Client, *, ready: bool = True) -> str:
    created = client.post("/v3/avatars", json={"type": "photo", "name": "Me", "file": asset_input()})
    assert created.status_code == 200, created.text
    look_id = created.json()["data"]["avatar_item"]["id"]
    if ready:
        fake.complete_all()
    return str(look_id)


def test_v3_auth_and_request_id(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    _, client = v3
    denied = client.get("/v3/voices", headers={"X-Api-Key": "wrong"})
    assert denied.status_code == 401 and denied.json() == {"error": {"code": "unauthorized",
                                                                     "message": denied.json()["error"]["message"]}}
    bearer = client.get("/v3/users/me", headers={"X-Api-Key": "", "Authorization": f"Bearer {KEY}"})
    assert bearer.status_code == 200 and bearer.headers["x-request-id"]
    assert bearer.json()["data"]["remaining_credits"] == 100
    assert client.get("/v3/nothing/here").json()["error"]["code"] == "not_found"


def test_v3_assets(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    fake, client = v3
    up = client.post("/v3/assets", files={"file": ("me.jpg", PORTRAIT, "image/jpeg")})
    assert up.status_code == 200 and set(up.json()["data"]) == {"asset_id", "url", "mime_type", "size_bytes"}
    asset_id = up.json()["data"]["asset_id"]
    assert httpx.get(up.json()["data"]["url"]).content == PORTRAIT
    info = client.get(f"/v3/assets/{asset_id}").json()["data"]
    assert info["id"] == asset_id and info["type"] == "image" and info["name"] == "me.jpg"
    wrong = client.post("/v3/assets", files={"file": ("me.png", PORTRAIT, "image/png")})
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "file"
    assert client.post("/v3/assets", json={"file": "x"}).status_code == 400
    assert client.delete(f"/v3/assets/{asset_id}").json() == {"data": {"id": asset_id}}
    assert client.get(f"/v3/assets/{asset_id}").status_code == 404
    small = HeyGenV3Fake(max_asset_bytes=1000)
    with running(small) as c2:
        big = c2.post("/v3/assets", files={"file": ("me.jpg", PORTRAIT, "image/jpeg")})
        assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"
    assert not small.assets and len(fake.assets) == 0


def test_v3_direct_upload(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    _, client = v3
    data = sample_mp4()
    start = client.post("/v3/assets/direct-uploads", json={"filename": "clip.mp4", "content_type": "video/mp4",
                                                           "size_bytes": len(data),
                                                           "checksum_sha256": hashlib.sha256(data).hexdigest()})
    job = start.json()["data"]
    assert job["status"] == "pending_upload" and job["upload_headers"] == {"Content-Type": "video/mp4"}
    assert client.post(f"/v3/assets/{job['asset_id']}/complete", json={}).status_code == 400
    assert httpx.put(job["upload_url"], content=data, headers={"Content-Type": "image/png"}).status_code == 403
    assert httpx.put(job["upload_url"], content=data, headers=job["upload_headers"]).status_code == 200
    bad_sum = client.post(f"/v3/assets/{job['asset_id']}/complete", json={"checksum_sha256": "0" * 64})
    assert bad_sum.status_code == 400 and bad_sum.json()["error"]["param"] == "checksum_sha256"
    done = [client.post(f"/v3/assets/{job['asset_id']}/complete", json={}).json()["data"] for _ in range(2)]
    assert done[0] == done[1] and done[0]["status"] == "ready" and httpx.get(done[0]["url"]).content == data
    too_big = client.post("/v3/assets/direct-uploads", json={"filename": "x.mp4", "content_type": "video/mp4",
                                                             "size_bytes": 200 * 1024 * 1024})
    assert too_big.status_code == 413


def test_v3_photo_avatar_looks_and_pagination(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    fake, client = v3
    small = client.post("/v3/avatars", json={"type": "photo", "name": "x", "file": asset_input(sample_jpeg())})
    assert small.status_code == 400 and small.json()["error"]["param"] == "file"
    mislabeled = client.post("/v3/avatars", json={"type": "photo", "name": "x",
                                                  "file": asset_input(PORTRAIT, "image/png")})
    assert mislabeled.json()["error"]["param"] == "file.media_type"
    unknown = {"type": "photo", "name": "x", "file": {"type": "asset_id", "asset_id": "nope"}}
    assert client.post("/v3/avatars", json=unknown).json()["error"] == {
        "code": "not_found", "message": "Asset nope not found.", "param": "file.asset_id"}
    created = client.post("/v3/avatars", json={"type": "photo", "name": "Me", "file": asset_input()}).json()["data"]
    look, group = created["avatar_item"], created["avatar_group"]
    assert look["status"] == "processing" and look["preview_image_url"] is None and group["consent_status"] is None
    states = poll(client, f"/v3/avatars/looks/{look['id']}", 3)
    assert [s["status"] for s in states] == ["processing", "processing", "completed"]
    assert states[-1]["image_width"] == 512 and httpx.get(states[-1]["preview_image_url"]).content == PORTRAIT
    url_look = client.post("/v3/avatars", json={"type": "photo", "name": "Url", "avatar_group_id": group["id"],
                                                "file": {"type": "url", "url": states[-1]["preview_image_url"]}})
    assert url_look.status_code == 200
    gone = client.post("/v3/avatars", json={"type": "photo", "name": "x",
                                            "file": {"type": "url", "url": f"{fake.base_url}/_media/none.jpg"}})
    assert gone.status_code == 400 and gone.json()["error"]["code"] == "download_failed"
    mine = client.get("/v3/avatars/looks", params={"ownership": "private", "group_id": group["id"]}).json()
    assert len(mine["data"]) == 2 and mine["has_more"] is False and mine["next_token"] is None
    seen, token = [], None
    while True:
        params = {"limit": 2, **({"token": token} if token else {})}
        page = client.get("/v3/avatars/looks", params=params).json()
        seen += [item["id"] for item in page["data"]]
        token = page["next_token"]
        if not page["has_more"]:
            break
    assert len(seen) == len(set(seen)) == len(fake.looks) + len(fake.public_looks)
    assert client.get("/v3/avatars/looks", params={"limit": 51}).status_code == 400
    assert client.get("/v3/avatars/looks", params={"avatar_type": "robot"}).status_code == 400
    assert client.get("/v3/avatars/looks", params={"token": "garbage!"}).json()["error"]["param"] == "token"
    assert client.patch(f"/v3/avatars/looks/{look['id']}", json={"name": "Renamed"}).json()["data"]["name"] == "Renamed"
    public_look = next(iter(fake.public_looks))
    assert client.delete(f"/v3/avatars/looks/{public_look}").status_code == 403
    for look_id in list(fake.looks):
        assert client.delete(f"/v3/avatars/looks/{look_id}").status_code == 200
    assert group["id"] not in fake.groups
    assert client.get("/v3/avatars/nope").json()["error"]["code"] == "avatar_not_found"


def test_v3_digital_twin_needs_consent(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    fake, client = v3
    created = client.post("/v3/avatars", json={"type": "digital_twin", "name": "Twin",
                                               "file": asset_input(sample_mp4(), "video/mp4")}).json()["data"]
    look, group = created["avatar_item"], created["avatar_group"]
    assert look["status"] == "pending_consent" and group["consent_status"] == "pending"
    assert fake.complete_all() == 0
    video = client.post("/v3/videos", json={"type": "avatar", "avatar_id": look["id"], "script": "hi",
                                            "voice_id": VOICE})
    assert video.status_code == 400 and video.json()["error"]["param"] == "avatar_id"
    consent = client.post(f"/v3/avatars/{group['id']}/consent", json={}).json()["data"]
    assert consent["avatar_group"]["status"] == "pending_consent" and consent["url"].startswith(fake.base_url)
    assert httpx.post(consent["url"]).status_code == 200
    states = poll(client, f"/v3/avatars/{group['id']}", 3)
    assert [s["status"] for s in states] == ["processing", "processing", "completed"]
    assert states[-1]["consent_status"] == "approved" and states[-1]["default_voice_id"]
    ok = client.post("/v3/videos", json={"type": "avatar", "avatar_id": look["id"], "script": "hi"})
    assert ok.status_code == 200  # the twin's default voice is used


def test_v3_video_lifecycle(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    fake, client = v3
    body = {"type": "avatar", "avatar_id": STOCK_AVATAR, "script": "Hello there general", "title": "T",
            "caption": {"file_format": "srt", "style": "default"}, "aspect_ratio": "9:16", "resolution": "1080p",
            "background": {"type": "color", "value": "#000000"}, "engine": {"type": "avatar_iii"},
            "voice_settings": {"speed": 1.2, "pitch": 5, "volume": 0.8}}
    created = client.post("/v3/videos", json=body).json()["data"]
    vid = created["video_id"]
    assert created["status"] == "pending" and fake.credits == 99  # Avatar III, stock avatar: 1 credit a minute
    states = poll(client, f"/v3/videos/{vid}", 3)
    assert [s["status"] for s in states] == ["processing", "processing", "completed"]
    done = states[-1]
    assert "failure_code" not in done and done["duration"] > 0 and "X-Amz-Signature=" in done["video_url"]
    assert httpx.get(done["video_url"]).content == sample_mp4()
    assert b"-->" in httpx.get(done["subtitle_url"]).content and done["captioned_video_url"]
    fake.fail_next_video("MODERATION_REJECTED", "Content policy")
    failing = client.post("/v3/videos", json={"type": "avatar", "avatar_id": STOCK_AVATAR, "script": "x"}).json()
    statuses = client.get("/v3/videos/statuses", params={"video_ids": f"{vid},{failing['data']['video_id']},nope"})
    assert [s["status"] for s in statuses.json()["data"]] == ["completed", "processing", "not_found"]
    fake.complete_all()
    failed = client.get(f"/v3/videos/{failing['data']['video_id']}").json()["data"]
    assert failed["failure_code"] == "MODERATION_REJECTED" and failed["video_url"] is None
    ids = ",".join(["a"] * 101)
    assert client.get("/v3/videos/statuses", params={"video_ids": ids}).status_code == 400
    page = client.get("/v3/videos", params={"limit": 1}).json()
    assert len(page["data"]) == 1 and page["has_more"] is True
    assert client.delete(f"/v3/videos/{vid}").json()["data"] == {"id": vid, "deleted": True}
    assert client.get(f"/v3/videos/{vid}").json()["error"]["code"] == "video_not_found"


AVATAR_BODY = {"type": "avatar", "avatar_id": STOCK_AVATAR, "script": "Hello", "voice_id": VOICE}


@pytest.mark.parametrize(("change", "status", "param"), [
    ({"audio_url": "https://x.test/a.mp3"}, 400, "script"),
    ({"script": None}, 400, "script"),
    ({"script": "x" * 5001}, 400, "script"),
    ({"voice_id": "nope"}, 404, "voice_id"),
    ({"avatar_id": "nope"}, 404, "avatar_id"),
    ({"voice_settings": {"speed": 1.6}}, 400, "voice_settings.speed"),
    ({"voice_settings": {"pitch": 51}}, 400, "voice_settings.pitch"),
    ({"aspect_ratio": "21:9"}, 400, "aspect_ratio"),
    ({"output_format": "webm", "background": {"type": "color", "value": "#fff"}}, 400, "background"),
    ({"background": {"type": "image"}}, 400, "background.url"),
    ({"engine": {"type": "avatar_v"}}, 400, "engine.type"),
    ({"expressiveness": "high"}, 400, "expressiveness"),
    ({"motion_prompt": "x" * 1001}, 400, "motion_prompt"),
    ({"caption": {"file_format": "vtt"}}, 400, "caption.file_format"),
    ({"type": "movie"}, 400, "type"),
])
def test_v3_video_validation(v3_shared: tuple[HeyGenV3Fake, httpx.Client], change: dict[str, Any], status: int,
                             param: str) -> None:
    fake, client = v3_shared
    body = {k: v for k, v in {**AVATAR_BODY, **change}.items() if v is not None}
    response = client.post("/v3/videos", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["param"] == param and not fake.videos


def test_v3_image_studio_and_cinematic(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    fake, client = v3
    look = photo_look(fake, client)
    image = client.post("/v3/videos", json={"type": "image", "image": asset_input(), "script": "Hi",
                                            "voice_id": VOICE, "expressiveness": "high", "motion_prompt": "nod"})
    assert image.status_code == 200
    photo = client.post("/v3/videos", json={"type": "avatar", "avatar_id": look, "script": "Hi", "voice_id": VOICE,
                                            "engine": {"type": "avatar_v"}, "motion_prompt": "smile"})
    assert photo.status_code == 200
    scenes = [{"type": "avatar_video", "input": {"type": "avatar", "avatar_id": STOCK_AVATAR, "script": "One"}},
              {"type": "image", "source": asset_input(), "duration": 3},
              {"type": "video", "source": asset_input(sample_mp4(), "video/mp4"), "playback": {"volume": 0.5}}]
    assert client.post("/v3/videos", json={"type": "studio", "scenes": scenes}).status_code == 200
    assert client.post("/v3/videos", json={"type": "studio", "scenes": []}).status_code == 400
    assert client.post("/v3/videos", json={"type": "studio", "scenes": scenes * 17}).status_code == 400
    two_ways = [{"type": "image", "source": asset_input(), "duration": 3, "script": "x", "voice_id": VOICE}]
    assert client.post("/v3/videos", json={"type": "studio", "scenes": two_ways}).status_code == 400
    cine = {"type": "cinematic_avatar", "prompt": "On a beach", "avatar_id": [STOCK_AVATAR], "duration": 10}
    assert client.post("/v3/videos", json=cine).status_code == 200
    assert client.post("/v3/videos", json={**cine, "duration": 3}).json()["error"]["param"] == "duration"
    assert client.post("/v3/videos", json={**cine, "avatar_id": [STOCK_AVATAR] * 4}).status_code == 400
    assert {v["type"] for v in fake.videos.values()} == {"image", "avatar", "studio", "cinematic_avatar"}


def test_v3_idempotency() -> None:
    fake = HeyGenV3Fake(processing_delay=0.3)
    with running(fake) as client:
        bad_key = client.post("/v3/videos", json=AVATAR_BODY, headers={"Idempotency-Key": "has space"})
        assert bad_key.status_code == 400 and bad_key.json()["error"]["param"] == "Idempotency-Key"
        results: list[httpx.Response] = []

        def send() -> None:
            with httpx.Client(base_url=str(client.base_url), headers={"X-Api-Key": KEY}) as c:
                results.append(c.post("/v3/videos", json=AVATAR_BODY, headers={"Idempotency-Key": "job-1"}))

        first = threading.Thread(target=send)
        first.start()
        deadline = time.monotonic() + 5
        while len(fake.requests("POST", "/v3/videos")) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        conflict = client.post("/v3/videos", json=AVATAR_BODY, headers={"Idempotency-Key": "job-1"})
        first.join()
        assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "request_in_progress"
        replay = client.post("/v3/videos", json=AVATAR_BODY, headers={"Idempotency-Key": "job-1"})
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json() == results[0].json() and len(fake.videos) == 1
        other_route = client.post("/v3/webhooks/endpoints", json={"url": "https://x.test/h"},
                                  headers={"Idempotency-Key": "job-1"})
        assert other_route.status_code == 200 and "idempotent-replayed" not in other_route.headers


def test_v3_credits_rate_limits_and_concurrency() -> None:
    fake = HeyGenV3Fake(credits=10, max_concurrent_jobs=1, rate_limit={r"/v3/voices$": (1, 60)})
    with running(fake) as client:
        assert client.post("/v3/videos", json=AVATAR_BODY).status_code == 200  # avatar_iv: 6 credits/min
        busy = client.post("/v3/videos", json=AVATAR_BODY)
        assert busy.status_code == 429 and busy.headers["retry-after"]
        fake.complete_all()
        broke = client.post("/v3/videos", json=AVATAR_BODY)
        assert broke.status_code == 402 and broke.json()["error"]["code"] == "insufficient_credit"
        assert client.get("/v3/users/me").json()["data"]["remaining_credits"] == 4
        assert client.get("/v3/voices").status_code == 200
        limited = client.get("/v3/voices")
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limit_exceeded"


def test_v3_webhooks_signed_and_managed() -> None:
    fake, sink = HeyGenV3Fake(signing_input="timestamp.body"), WebhookSink()
    with running(fake) as client, serve(sink) as hooks:
        assert client.post("/v3/webhooks/endpoints", json={"url": "http://example.com/x"}).status_code == 400
        assert client.post("/v3/webhooks/endpoints", json={"url": "https://x.test", "events": ["nope"]}
                           ).status_code == 400
        endpoint = client.post("/v3/webhooks/endpoints", json={"url": f"{hooks}/hook/v3"}).json()["data"]
        assert endpoint["status"] == "enabled" and endpoint["secret"].startswith("whsec_")
        listed = client.get("/v3/webhooks/endpoints").json()
        assert listed["data"][0]["endpoint_id"] == endpoint["endpoint_id"] and "secret" not in listed["data"][0]
        secret = client.post(f"/v3/webhooks/endpoints/{endpoint['endpoint_id']}/rotate-secret").json()["data"]["secret"]
        assert secret != endpoint["secret"]
        vid = client.post("/v3/videos", json={**AVATAR_BODY, "callback_url": f"{hooks}/hook/cb",
                                              "callback_id": "c1"}).json()["data"]["video_id"]
        fake.complete_all()
        fake.wait_for_deliveries(2)
        patched = client.patch(f"/v3/webhooks/endpoints/{endpoint['endpoint_id']}",
                               json={"events": ["avatar_video.fail"]}).json()["data"]
        assert patched["events"] == ["avatar_video.fail"]
        client.post("/v3/videos", json=AVATAR_BODY)
        fake.complete_all()
        assert client.get("/v3/webhooks/events", params={"event_type": "avatar_video.success"}).json()["data"]
        assert client.delete(f"/v3/webhooks/endpoints/{endpoint['endpoint_id']}").status_code == 200
    registered = sink.requests("POST", "/hook/v3")
    assert len(registered) == 1  # the second success was filtered out by the PATCHed events list
    delivery = registered[0]
    ts = delivery.headers["heygen-timestamp"]
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["heygen-signature"] == expected and delivery.headers["heygen-event-id"]
    assert delivery.json["event_data"]["video_id"] == vid and delivery.json["event_type"] == "avatar_video.success"
    callback = sink.requests("POST", "/hook/cb")[0]
    assert "heygen-signature" not in callback.headers and callback.json["event_data"]["callback_id"] == "c1"


def test_v3_voices_and_speech(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    _, client = v3
    page = client.get("/v3/voices", params={"limit": 2}).json()
    assert len(page["data"]) == 2 and page["has_more"]
    rest = client.get("/v3/voices", params={"limit": 100, "token": page["next_token"]}).json()
    assert len(page["data"]) + len(rest["data"]) == len(VOICES)
    english_women = client.get("/v3/voices", params={"language": "english", "gender": "female"}).json()["data"]
    assert [v["voice_id"] for v in english_women] == [VOICE]
    starfish = client.get("/v3/voices", params={"engine": "starfish"}).json()["data"]
    assert all(v["voice_id"] != VOICES[2]["voice_id"] for v in starfish)
    assert client.get("/v3/voices", params={"type": "private"}).json()["data"][0]["type"] == "private"
    assert client.get("/v3/voices", params={"type": "mine"}).status_code == 400
    assert client.get(f"/v3/voices/{VOICE}").json()["data"]["status"] == "complete"
    assert client.get("/v3/voices/nope").json()["error"]["code"] == "voice_not_found"
    speech = client.post("/v3/voices/speech", json={"text": "one two three", "voice_id": VOICE, "speed": 2}).json()
    stamps = speech["data"]["word_timestamps"]
    assert [w["word"] for w in stamps] == ["one", "two", "three"] and stamps[-1]["end"] == 0.6
    assert httpx.get(speech["data"]["audio_url"]).content[:2] == b"\xff\xfb"
    unusable = client.post("/v3/voices/speech", json={"text": "x", "voice_id": VOICES[2]["voice_id"]})
    assert unusable.json()["error"]["code"] == "voice_not_usable"


def test_v3_video_agent(v3: tuple[HeyGenV3Fake, httpx.Client]) -> None:
    fake, client = v3
    assert client.post("/v3/video-agents", json={"prompt": ""}).status_code == 400
    assert client.post("/v3/video-agents", json={"prompt": "x", "files": [asset_input()] * 21}).status_code == 400
    session = client.post("/v3/video-agents", json={"prompt": "A product demo", "avatar_id": STOCK_AVATAR,
                                                    "orientation": "portrait"}).json()["data"]
    assert session["status"] == "thinking" and session["video_id"] is None and not fake.videos
    assert set(session) == {"session_id", "status", "video_id", "created_at"}
    states = poll(client, f"/v3/video-agents/{session['session_id']}", 5)
    assert [s["status"] for s in states] == ["thinking", "generating", "generating", "generating", "completed"]
    assert states[-1]["progress"] == 100 and fake.credits == 94  # 30 s at 6 credits a minute, charged on render
    assert set(states[-1]) == {"session_id", "status", "progress", "video_id", "title", "created_at", "messages"}
    video = client.get(f"/v3/videos/{states[-1]['video_id']}").json()["data"]
    assert video["video_url"] and video["title"] == "A product demo"
    chat = client.post("/v3/video-agents", json={"prompt": "Help me", "mode": "chat"}).json()["data"]
    assert chat["video_id"] is None
    assert client.get(f"/v3/video-agents/{chat['session_id']}").json()["data"]["status"] == "waiting_for_input"


def test_v3_video_agent_failures_are_said_in_the_session() -> None:
    fake = HeyGenV3Fake(credits=3, agent_think_polls=0)
    with running(fake) as client:
        assert client.post("/v3/video-agents", json={"prompt": "Too dear"}).json()["error"]["code"] == \
            "insufficient_credit"
        assert not fake.video_agents
        fake.credits = 100
        fake.fail_next_video("MODERATION_REJECTED", "The script was rejected")
        session = client.post("/v3/video-agents", json={"prompt": "A demo"}).json()["data"]
        assert session["status"] == "generating" and session["video_id"] in fake.videos
        fake.complete_all()
        failed = client.get(f"/v3/video-agents/{session['session_id']}").json()["data"]
    assert failed["status"] == "failed" and failed["messages"][-1] == {
        "role": "model", "type": "error", "content": "The script was rejected"}
