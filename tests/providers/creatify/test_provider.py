"""The Creatify provider through the real MCP Client, against the Creatify emulator on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.client import Client
from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.providers import option_support
from avatar_mcp.server import build_server
from tests.conftest import make_settings
from tests.fakes._harness import sample_mp4
from tests.fakes.creatify import CreatifyFake
from tests.providers._vendors import MODES, FormRecorder, call, fails, finish, loopback_socket, serving_http
from tests.providers.creatify.case import CREATIFY

pytestmark = pytest.mark.anyio
CASE = CREATIFY
POLLS = 2
API_ID, KEY = "test-creatify-id", "test-creatify-key"


def stock(fake: CreatifyFake) -> str:
    return str(next(p["id"] for p in fake.personas.values() if p["is_active"]))


def accent(fake: CreatifyFake, index: int = 0) -> str:
    return str(fake.voices[index]["accents"][0]["id"])


def posts(fake: CreatifyFake, path: str) -> list[Any]:
    return fake.requests("POST", f"^{path}$")


def video(fake: CreatifyFake, **scene: Any) -> dict[str, Any]:
    base = {"avatar_id": stock(fake), "script": "Hello and welcome.", "voice_id": accent(fake)}
    return {"provider": "creatify", "orientation": "portrait", "scenes": [{**base, **scene}]}


@pytest.mark.parametrize("mode", MODES)
async def test_a_custom_avatar_is_uploaded_followed_to_done_and_then_speaks_in_a_lipsync_video(
        settings: Settings, fake: CreatifyFake, media_root: Path, mode: str) -> None:
    (media_root / "me.mp4").write_bytes(sample_mp4())
    (media_root / "consent.mp4").write_bytes(sample_mp4())
    async with Client(CASE.server(settings), mode=mode) as client:
        started = await call(client, "create_digital_twin", {"provider": "creatify", "name": "Robin Avery",
                                                             "video": "me.mp4", "consent_video": "consent.mp4",
                                                             "gender": "nonBinary"})
        twin = await finish(client, started["job_id"])
        avatar_id = twin["result"]["avatar_id"]
        avatars = (await call(client, "list_avatars", {"provider": "creatify"}))["avatars"]
        voices = (await call(client, "list_voices", {"provider": "creatify"}))["voices"]
        made = await call(client, "create_video", {**video(fake, avatar_id=avatar_id,
                                                           voice_id=twin["result"]["default_voice_id"]),
                                                   "caption": True, "title": "Intro"})
        done = await finish(client, made["job_id"])
    assert started["kind"] == "avatar" and started["status"] == "queued"
    assert twin["status"] == "succeeded", twin
    assert Path(twin["result"]["preview_image_path"]).exists()
    [upload] = posts(fake, "/api/personas_v2/")
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b'filename="lipsync_input.mp4"' in upload.body and b'name="gender"\r\n\r\nnb' in upload.body
    assert httpx.get(fake.base_url + fake.personas[avatar_id]["consent_video"]).content == sample_mp4()
    assert {"avatar_id": avatar_id, "status": "ready", "kind": "persona"}.items() <= next(
        a for a in avatars if a["avatar_id"] == avatar_id).items()
    assert twin["result"]["default_voice_id"] in {v["voice_id"] for v in voices}
    assert done["status"] == "succeeded", done
    [lipsync] = posts(fake, "/api/lipsyncs/")
    assert lipsync.json == {"aspect_ratio": "9x16", "creator": avatar_id, "text": "Hello and welcome.",
                            "accent": twin["result"]["default_voice_id"], "no_caption": False, "name": "Intro"}
    result = done["result"]
    assert Path(result["video_path"]).exists() and Path(result["thumbnail_path"]).exists()
    assert result["cost"] == {"amount": 5.0, "unit": "credits", "basis": "reported by Creatify"}
    assert made["estimated_cost"]["amount"] == 5
    assert len(fake.personas) == 4 and len(fake.lipsyncs) == 1  # every request was taken: nothing refused


@pytest.mark.parametrize("mode", MODES)
async def test_several_scenes_or_a_background_go_through_lipsyncs_v2(settings: Settings, fake: CreatifyFake,
                                                                     mode: str) -> None:
    first = video(fake, background={"type": "color", "value": "#ffffff"})["scenes"][0]
    second = {"avatar_id": stock(fake), "audio": "https://cdn.example/line.mp3",
              "background": {"type": "image", "url": "https://cdn.example/office.png"}}
    async with Client(CASE.server(settings), mode=mode) as client:
        made = await call(client, "create_video", {"provider": "creatify", "orientation": "square",
                                                   "scenes": [first, second]})
        done = await finish(client, made["job_id"])
    assert done["status"] == "succeeded", done
    [request] = posts(fake, "/api/lipsyncs_v2/")
    assert request.json == {"aspect_ratio": "1x1", "name": f"avatar-mcp {made['job_id']}", "video_inputs": [
        {"character": {"type": "avatar", "avatar_id": stock(fake)},
         "voice": {"type": "text", "input_text": "Hello and welcome.", "voice_id": accent(fake)},
         "background": {"type": "color", "value": "#ffffff"}},
        {"character": {"type": "avatar", "avatar_id": stock(fake)},
         "voice": {"type": "audio", "audio_url": "https://cdn.example/line.mp3"},
         "background": {"type": "image", "url": "https://cdn.example/office.png"}}]}
    assert not posts(fake, "/api/lipsyncs/") and len(fake.lipsyncs_v2) == 1


async def test_a_rejected_custom_avatar_fails_the_job_with_creatifys_reason(settings: Settings,
                                                                           fake: CreatifyFake) -> None:
    fake.fail_next_persona("rejected", "The consent video does not match the person in the footage.")
    async with Client(CASE.server(settings), mode="auto") as client:
        started = await call(client, "create_digital_twin", {"provider": "creatify", "name": "Kim",
                                                             "video": "https://cdn.example/kim.mp4",
                                                             "gender": "female"})
        done = await finish(client, started["job_id"])
    assert posts(fake, "/api/personas_v2/")[0].json == {"gender": "f", "creator_name": "Kim",
                                                        "lipsync_input": "https://cdn.example/kim.mp4"}
    assert done["status"] == "failed" and done["error"]["code"] == "rejected"
    assert "rejected the custom avatar: The consent video does not match" in done["error"]["message"]
    assert "consent video" in done["message"]


async def test_requests_creatify_cannot_take_are_refused_before_anything_is_posted(
        settings: Settings, fake: CreatifyFake, media_root: Path) -> None:
    (media_root / "me.webm").write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 64)
    fake.personas["not-ready"] = {**next(iter(fake.personas.values())), "id": "not-ready", "is_active": False,
                                  "process_status": "reviewing"}
    async with Client(build_server(settings), mode="auto") as client:
        webm = await fails(client, "create_digital_twin", {"provider": "creatify", "name": "A", "video": "me.webm",
                                                           "gender": "male"})
        options = await fails(client, "create_video", {**video(fake), "options": {"quality": 80,
                                                                                  "remove_background": True}})
        ratio = await fails(client, "create_video", {**video(fake), "orientation": None,
                                                     "dimension": {"width": 1024, "height": 768}})
        silence = await fails(client, "create_video", video(fake, script=None, voice_id=None, silence_seconds=2))
        local_audio = await fails(client, "create_video", video(fake, script=None, audio="me.webm"))
        captions = await fails(client, "create_video", {**video(fake), "caption": True, "scenes": [
            video(fake)["scenes"][0]] * 2})
        not_ready = await fails(client, "create_video", video(fake, avatar_id="not-ready"))
        unknown = await fails(client, "create_video", video(fake, avatar_id="nobody"))
        jobs = (await call(client, "list_jobs", {}))["jobs"]
    assert "creatify provider does not take the option(s) quality, remove_background" in options
    assert "quality: runware" in options
    assert "MP4 or MOV" in webm
    assert "16:9, 9:16 or 1:1" in ratio
    assert "silence_seconds" in silence
    assert "https URL" in local_audio
    assert "captions" in captions
    assert "not ready yet (reviewing)" in not_ready
    assert "no avatar 'nobody'" in unknown
    assert fake.requests("POST") == [] and jobs == []


@pytest.mark.parametrize("mode", MODES)
async def test_a_custom_avatar_without_a_gender_is_asked_for_it_before_anything_is_sent(settings: Settings,
                                                                                        fake: CreatifyFake,
                                                                                        mode: str) -> None:
    twin = {"provider": "creatify", "name": "Kim", "video": "https://cdn.example/kim.mp4"}
    async with Client(CASE.server(settings), mode=mode) as client:
        asked = await call(client, "create_digital_twin", twin)
        nothing_yet = posts(fake, "/api/personas_v2/")
        started = await call(client, "create_digital_twin", {**twin, "gender": "nonBinary"})
    assert asked["status"] == "needs_input" and asked.get("job_id") is None
    assert [m["field"] for m in asked["missing"]] == ["gender"]
    assert asked["missing"][0]["allowed_values"] == ["female", "male", "nonBinary"]
    assert nothing_yet == []
    assert started["status"] == "queued"
    assert posts(fake, "/api/personas_v2/")[0].json["gender"] == "nb"


@pytest.mark.parametrize("mode", MODES)
async def test_with_forms_the_gender_is_asked_in_one_form_and_sent_as_creatifys_code(settings: Settings,
                                                                                    fake: CreatifyFake,
                                                                                    mode: str) -> None:
    form = FormRecorder({"gender": "female"}, observe=lambda: len(fake.requests("POST")))
    async with Client(CASE.server(settings), mode=mode, elicitation_callback=form) as client:
        started = await call(client, "create_digital_twin", {"provider": "creatify", "name": "Kim",
                                                             "video": "https://cdn.example/kim.mp4"})
    assert form.fields == ["gender"] and form.seen == [0]
    assert form.forms[0].requested_schema["properties"]["gender"]["enum"] == ["female", "male", "nonBinary"]
    assert started["status"] == "queued"
    [request] = posts(fake, "/api/personas_v2/")
    assert request.json == {"gender": "f", "creator_name": "Kim", "lipsync_input": "https://cdn.example/kim.mp4"}


def test_creatify_is_named_for_no_render_option() -> None:
    assert all("creatify" not in providers for providers in option_support().values())


async def test_a_webhook_finishes_a_lipsync_at_once_and_junk_deliveries_are_refused(tmp_path: Path, media_root: Path,
                                                                                   fake: CreatifyFake) -> None:
    fake.polls_to_complete = 50
    sock = loopback_socket()
    public_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(tmp_path, media_root, creatify_api_id=SecretStr(API_ID), creatify_api_key=SecretStr(KEY),
                             creatify_base_url=fake.base_url, public_url=public_url)
    with serving_http(settings, sock) as base:
        async with Client(f"{base}/mcp") as client:
            started = await call(client, "create_video", video(fake))
            lipsync_id = next(iter(fake.lipsyncs))
            junk = httpx.post(f"{base}/webhooks/creatify", content=b"not json")
            unknown = httpx.post(f"{base}/webhooks/creatify", json={"id": "someone-elses", "status": "done"})
            fake.complete(lipsync_id)
            delivered = fake.wait_for_deliveries(1)
            done = await call(client, "check_job", {"job_id": started["job_id"]})
    assert posts(fake, "/api/lipsyncs/")[0].json["webhook_url"] == f"{public_url}/webhooks/creatify"
    assert junk.status_code == 400 and unknown.json() == {"ok": True, "matched": 0}
    assert delivered[0]["status"] == 200
    assert done["status"] == "succeeded", done
