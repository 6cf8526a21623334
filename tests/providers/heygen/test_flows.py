"""End-to-end flows through the SDK's real Client (both protocol eras) against both HeyGen emulators.

v3 runs with HEYGEN_API_VERSION unset (the default), v2 with it set. Base URLs come only from the settings.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp.client import Client

from tests.fakes._harness import sample_mp4, serve
from tests.providers.heygen.conftest import APIS, KEY, Session, heygen_settings, make_fake, server, version_setting

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]


async def voice_of(session: Session) -> str:
    voices = await session.call("list_voices", {"provider": "heygen", "language": "en", "gender": "female"})
    return str(voices["voices"][-1]["voice_id"] if "voices" in voices else voices["items"][-1]["voice_id"])


async def ai_photo_to_two_scene_video(session: Session, api: str, photo: Path) -> dict[str, Any]:
    """AI photo (checklist) -> pick a candidate -> photo avatar -> ready -> two scenes -> downloaded MP4."""
    asked = await session.call("generate_photo_avatar", {"provider": "heygen", "name": "Ava", "age": "Senior"})
    assert asked["status"] == "needs_input" and {m["field"] for m in asked["missing"]} >= {"gender", "appearance"}
    started = await session.call("generate_photo_avatar", {"provider": "heygen", "name": "Ava", "age": "Senior",
                                                           "gender": "Woman", "on_missing": "default"})
    assert started["estimated_cost"]["amount"] == 1 and "appearance" in started["defaults_applied"]
    generated = await session.finish(started)
    candidates = generated["result"]["candidates"]
    assert len(candidates) == (4 if api == "v2" else 1) and all(Path(c["image_path"]).exists() for c in candidates)
    pick = {"job_id": started["job_id"], "index": candidates[-1]["index"]}
    avatar = await session.finish(await session.call("create_photo_avatar", {"from_generation": pick,
                                                                            "name": "Ava"}))
    avatar_id = avatar["result"]["avatar_id"]
    voice = await voice_of(session)
    video = await session.call("create_video", {"provider": "heygen", "orientation": "landscape", "caption": True,
                                                "scenes": [
        {"avatar_id": avatar_id, "script": "Welcome to the product tour.", "voice_id": voice,
         "background": {"type": "color", "value": "#203040"}},
        {"avatar_id": avatar_id, "silence_seconds": 2, "background": {"type": "image", "url": str(photo)}}]})
    assert video["status"] == "queued", video
    done = await session.finish(video)
    result = done["result"]
    assert Path(result["video_path"]).read_bytes() == sample_mp4()
    assert Path(result["captions_path"]).exists() and Path(result["thumbnail_path"]).exists()
    return done


async def photo_talks(session: Session, api: str) -> dict[str, Any]:
    """An Avatar IV video straight from a photo."""
    voice = await voice_of(session)
    started = await session.call("create_photo_video", {"provider": "heygen", "image": "me.jpg",
                                                        "script": "Hi, I am a photo.", "voice_id": voice,
                                                        "orientation": "square"})
    assert started["estimated_cost"]["amount"] == 6
    done = await session.finish(started)
    assert Path(done["result"]["video_path"]).read_bytes() == sample_mp4()
    return done


async def twin_with_consent(session: Session, api: str) -> dict[str, Any]:
    """A digital twin: v2 takes the consent video up front (the checklist asks for it); v3 answers with a consent
    page for the person filmed, and the job waits until they have consented."""
    asked = await session.call("create_digital_twin", {"provider": "heygen", "video": "clip.mp4", "name": "Me"})
    if api == "v2":
        assert asked["status"] == "needs_input" and [m["field"] for m in asked["missing"]] == ["consent_video"]
        started = await session.call("create_digital_twin", {"provider": "heygen", "video": "clip.mp4",
                                                             "consent_video": "clip.mp4", "name": "Me"})
    else:
        started = asked
        assert started["status"] == "processing" and "send this link" in started["message"]
        waiting = await session.call("check_job", {"job_id": started["job_id"], "wait_seconds": 1.2})
        assert waiting["status"] == "processing" and waiting["result"]["consent_url"]
        async with httpx.AsyncClient() as browser:
            await browser.post(started["result"]["consent_url"])
    done = await session.finish(started)
    assert done["result"]["avatar_id"] and done["result"]["default_voice_id"]
    return done


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
async def test_photo_avatar_avatar_iv_and_twin_flows_finish_and_the_key_never_shows(
        api: str, mode: str, tmp_path: Path, media_root: Path, photo: Path, clip: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """The three flows run side by side in one session (each job waits ~1 s for its first poll); then every tool
    answer, every log line and every byte of the job store is searched for the API key."""
    caplog.set_level(logging.DEBUG)
    fake = make_fake(api, polls_to_complete=0)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, version_setting(api))
        async with Client(server(settings), mode=mode) as client:
            session = Session(client)
            async with anyio.create_task_group() as flows:
                flows.start_soon(ai_photo_to_two_scene_video, session, api, photo)
                flows.start_soon(photo_talks, session, api)
                flows.start_soon(twin_with_consent, session, api)
            await session.call("list_jobs", {})
            refused_requests = [r.getMessage() for r in caplog.records
                                if r.name == "avatar_mcp.http" and r.levelno >= logging.INFO]
            fake.add_fault("GET", "voices", status=401, body={
                "code": 40102, "message": f"Unauthorized: bad key {KEY}"} if api == "v2" else {
                "error": {"code": "unauthorized", "message": f"Unauthorized: bad key {KEY}"}})
            refused = await session.call("list_voices", {"provider": "heygen"}, ok=False)
    generate = "^/v2/video/generate$" if api == "v2" else "^/v3/videos$"
    assert len(fake.requests("POST", generate)) == (1 if api == "v2" else 2)  # v3: the photo video too
    assert refused_requests == []  # HeyGen refused nothing the happy paths sent
    assert "Unauthorized: bad key ***" in refused["error_text"]
    for text in session.texts:
        assert KEY not in text
    assert KEY not in caplog.text and len(caplog.records) > 10
    stored = list(settings.data_dir.glob("jobs.sqlite3*"))
    assert stored and all(KEY.encode() not in path.read_bytes() for path in stored)
