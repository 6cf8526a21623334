"""The Runware provider (HeyGen Avatar V) through the real MCP Client, against the Runware emulator on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.client import Client
from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.jobs.store import SqliteJobStore, new_job_id
from avatar_mcp.models import JobRecord
from avatar_mcp.providers import option_support
from avatar_mcp.providers.runware.spec import OPTIONS
from avatar_mcp.providers.runware.wire import task_uuid_for
from avatar_mcp.server import build_server
from avatar_mcp.specs import VideoSpec
from tests.conftest import make_settings
from tests.fakes._harness import sample_jpeg
from tests.fakes.runware import RunwareFake
from tests.providers._vendors import MODES, call, finish, loopback_socket, refused, serving_http
from tests.providers.runware.case import RUNWARE

pytestmark = pytest.mark.anyio
CASE = RUNWARE
POLLS = 1
KEY = "test-runware-key"
AVATAR = "Abigail_expressive_2024112501"
SCENE = {"avatar_id": AVATAR, "script": "Welcome to the product tour.", "voice_id": "en-US-Aria"}
VIDEO = {"provider": "runware", "scenes": [SCENE], "orientation": "landscape"}


def creates(fake: RunwareFake) -> list[dict[str, Any]]:
    return [task for r in fake.requests("POST", "^/v1$") for task in r.json or []
            if task.get("taskType") == "videoInference"]


def assert_nothing_rejected(fake: RunwareFake) -> None:
    """Every create the emulator saw became (or already was) a task: no payload was refused."""
    assert {t["taskUUID"] for t in creates(fake)} <= set(fake.tasks)


@pytest.mark.parametrize("mode", MODES)
async def test_a_one_scene_video_maps_every_option_and_returns_all_results_with_their_cost(
        settings: Settings, fake: RunwareFake, mode: str) -> None:
    options = {"quality": 80, "variants": 2, "ttl_seconds": 3600, "safety": "fast",
               "upload_url": "https://bucket.example/upload?sig=1", "remove_background": False, "volume": 0.8,
               "fit": "contain"}
    scene = {**SCENE, "speed": 1.2, "pitch": -10, "locale": "en-US",
             "background": {"type": "color", "value": "#112233"}}
    async with Client(CASE.server(settings), mode=mode) as client:
        started = await call(client, "create_video", {**VIDEO, "scenes": [scene], "orientation": "portrait",
                                                      "caption": True, "output_format": "webm", "options": options})
        done = await finish(client, started["job_id"])
    assert started["status"] == "queued" and started["provider"] == "runware"
    assert done["status"] == "succeeded", done
    [task] = creates(fake)
    assert task == {
        "taskType": "videoInference", "taskUUID": task_uuid_for(started["job_id"]), "model": "heygen:avatar@5",
        "outputType": "URL", "outputFormat": "WEBM", "outputQuality": 80, "deliveryMethod": "async",
        "uploadEndpoint": "https://bucket.example/upload?sig=1", "safety": {"checkContent": True, "mode": "fast"},
        "ttl": 3600, "includeCost": True, "numberResults": 2, "inputs": {"avatar": AVATAR}, "width": 720,
        "height": 1280, "speech": {"text": SCENE["script"], "voice": "en-US-Aria", "language": "en-US", "volume": 0.8,
                                   "speed": 1.2, "pitch": -10},
        "settings": {"backgroundColor": "#112233", "caption": True, "fit": "contain", "removeBackground": False}}
    result = done["result"]
    assert Path(result["video_path"]).read_bytes()[4:8] == b"ftyp"
    assert len(result["outputs"]) == 1 and Path(result["outputs"][0]["video_path"]).exists()
    assert result["outputs"][0]["video_url"] != result["video_url"]
    assert result["cost"] == {"amount": 0.7, "unit": "USD", "basis": "reported by Runware for 2 video(s)"}
    assert_nothing_rejected(fake)


@pytest.mark.parametrize("mode", MODES)
async def test_a_photo_video_animates_a_heygen_avatar_with_audio_and_an_inline_local_background(
        settings: Settings, fake: RunwareFake, media_root: Path, mode: str) -> None:
    (media_root / "office.jpg").write_bytes(sample_jpeg())
    async with Client(CASE.server(settings), mode=mode) as client:
        started = await call(client, "create_photo_video", {
            "provider": "runware", "image": "josh_lite3_20230714", "audio": "https://cdn.example/voice.mp3",
            "orientation": "square", "fit": "contain", "background": {"type": "image", "url": "office.jpg"}})
        done = await finish(client, started["job_id"])
    assert done["status"] == "succeeded", done
    [task] = creates(fake)
    assert "speech" not in task
    assert task["inputs"]["avatar"] == "josh_lite3_20230714"
    assert task["inputs"]["audio"] == "https://cdn.example/voice.mp3"
    assert task["inputs"]["background"].startswith("data:image/jpeg;base64,")
    assert (task["width"], task["height"], task["settings"]) == (720, 720, {"fit": "contain"})
    assert task["numberResults"] == 1 and {"outputQuality", "ttl", "safety", "uploadEndpoint"}.isdisjoint(task)
    assert done["result"]["cost"]["amount"] == 0.35
    assert_nothing_rejected(fake)


@pytest.mark.parametrize("mode", MODES)
async def test_a_photo_video_takes_render_options_and_safety_none_turns_the_check_off(settings: Settings,
                                                                                     fake: RunwareFake,
                                                                                     mode: str) -> None:
    options = {"safety": "none", "variants": 3, "fit": "contain", "remove_background": True, "quality": 20,
               "ttl_seconds": 60, "volume": 0.5}
    async with Client(CASE.server(settings), mode=mode) as client:
        started = await call(client, "create_photo_video", {
            "provider": "runware", "image": "josh_lite3_20230714", "script": "Hi there.", "voice_id": "auto",
            "options": options})
        done = await finish(client, started["job_id"])
        detail = await client.read_resource(f"avatar://jobs/{started['job_id']}")
    assert done["status"] == "succeeded", done
    [task] = creates(fake)
    assert {k: task[k] for k in ("outputQuality", "ttl", "numberResults", "safety", "settings")} == {
        "outputQuality": 20, "ttl": 60, "numberResults": 3, "safety": {"checkContent": False, "mode": "none"},
        "settings": {"fit": "contain", "removeBackground": True}}
    assert task["speech"]["volume"] == 0.5
    assert len(done["result"]["outputs"]) == 2 and done["result"]["cost"]["amount"] == 1.05
    assert '"variants":3' in detail.contents[0].text.replace(" ", "")  # type: ignore[union-attr]
    assert_nothing_rejected(fake)


def test_option_support_names_exactly_the_options_runware_takes() -> None:
    assert {name for name, providers in option_support().items() if "runware" in providers} == set(OPTIONS)


async def test_requests_runware_cannot_take_are_refused_before_anything_is_sent(settings: Settings,
                                                                               fake: RunwareFake,
                                                                               media_root: Path) -> None:
    (media_root / "voice.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64)
    (media_root / "me.jpg").write_bytes(sample_jpeg())
    photo = {"provider": "runware", "image": "josh_lite3_20230714", "script": "Hi there.", "voice_id": "auto"}
    video = "create_video"
    async with Client(build_server(settings), mode="auto") as client:
        texts = await refused(client, [
            (video, {**VIDEO, "scenes": [SCENE, SCENE]}, ("at most 1 scene",)),
            (video, {**VIDEO, "scenes": [{"avatar_id": AVATAR, "silence_seconds": 3}]}, ("silence_seconds", "heygen")),
            (video, {**VIDEO, "scenes": [{**SCENE, "emotion": "Excited"}]}, ("emotion",)),
            ("create_photo_video", {**photo, "image": "me.jpg"}, ("not a picture file or URL", "HeyGen avatar id")),
            ("create_photo_video", {**photo, "image": "https://cdn.example/me.jpg"}, ("not a picture file or URL",)),
            ("create_photo_video", {**photo, "script": None, "audio": "voice.mp3"}, ("https URL", "voice.mp3")),
            ("create_photo_video", {**photo, "script": None, "audio": "http://cdn.example/a.mp3"},
             ("not an https URL",)),
            ("create_photo_video", {**photo, "motion_prompt": "nods"}, ("motion_prompt",)),
            (video, {**VIDEO, "options": {"engine": "avatar_v", "expressiveness": "high", "quality": 80}},
             ("engine, expressiveness", "engine: heygen")),
            ("create_photo_video", {**photo, "options": {"motion_prompt": "nods"}}, ("motion_prompt: heygen",)),
            (video, {**VIDEO, "options": {"upload_url": "http://bucket.example/upload"}},
             ("upload_url must be an https URL",)),
            # Runware would PUT the video into its own network's metadata service, or fetch from its loopback.
            (video, {**VIDEO, "options": {"upload_url": "https://169.254.169.254/latest/meta-data"}},
             ("upload_url must be an https URL", "169.254.169.254", "public internet")),
            ("create_photo_video", {**photo, "script": None, "audio": "https://localhost/a.mp3"},
             ("localhost", "public internet")),
            ("create_photo_video", {**photo, "script": None, "audio": "https://[::ffff:10.0.0.1]/a.mp3"},
             ("public internet",)),
            ("create_photo_video", {**photo, "script": None, "audio": "https://cdn.example/a.mp3",
                                    "options": {"volume": 0.5}}, ("volume", "audio file")),
            ("create_photo_video", {**photo, "fit": "contain", "options": {"fit": "cover"}}, ("options.fit",)),
            (video, {**VIDEO, "options": {"variants": 5}}, ("variants",)),
            (video, {**VIDEO, "orientation": None, "dimension": {"width": 1280, "height": 720}, "scenes": [
                {**SCENE, "background": {"type": "video", "url": "https://cdn.example/b.mp4"}}]},
             ("video background",))])
        jobs = (await call(client, "list_jobs", {}))["jobs"]
    assert "quality" not in texts["engine, expressiveness"].split("(", 1)[0]  # the options Runware takes are not named
    assert fake.log == [] and jobs == []


@pytest.mark.parametrize("status", [200, 400])
async def test_a_failed_task_fails_the_job_with_runwares_reason(settings: Settings, fake: RunwareFake,
                                                               status: int) -> None:
    fake.failed_poll_status = status
    fake.fail_next("contentPolicyViolation")
    async with Client(CASE.server(settings), mode="auto") as client:
        started = await call(client, "create_video", VIDEO)
        done = await finish(client, started["job_id"])
    assert done["status"] == "failed"
    assert done["error"]["code"] == "contentPolicyViolation"
    assert "flagged by the safety checker" in done["error"]["message"]
    assert "Change the script" in done["error"]["message"]


@pytest.mark.parametrize("shape", ["errors", "item"])
async def test_a_render_failed_at_runware_ends_failed_with_its_message_on_the_next_poll(settings: Settings,
                                                                                      fake: RunwareFake,
                                                                                      shape: str) -> None:
    """Runware answers the poll with its errors envelope naming the task, HTTP 200 and no data item, or with a data
    item of status `error` (reference C: items are processing | success | error)."""
    fake.failed_poll_shape = shape  # type: ignore[assignment]
    fake.polls_to_complete = 5
    async with Client(CASE.server(settings), mode="auto") as client:
        started = await call(client, "create_video", VIDEO)
        [task_uuid] = fake.tasks
        fake.fail_task(task_uuid, "inferenceError", "The avatar could not be rendered at this size.")
        done = await finish(client, started["job_id"])
    polls = [t for r in fake.requests("POST", "^/v1$") for t in r.json or [] if t.get("taskType") == "getResponse"]
    assert len(polls) == 1
    assert done["status"] == "failed" and done["error"]["code"] == "inferenceError"
    assert "The avatar could not be rendered at this size." in done["error"]["message"]


async def _interrupted_job(settings: Settings) -> JobRecord:
    """A job row as a crash leaves it: `submitting`, no vendor id, nothing in vendor_state."""
    spec = VideoSpec.model_validate({"scenes": [SCENE], "orientation": "landscape",
                                     "options": {"variants": 2, "quality": 70}})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteJobStore(settings.db_path)
    try:
        return await store.create(JobRecord(id=new_job_id(), kind="video", provider="runware",
                                            operation="create_video",
                                            request={"arguments": spec.model_dump(mode="json", exclude_none=True)}))
    finally:
        await store.close()


@pytest.mark.parametrize("reached_runware", [True, False])
async def test_a_job_interrupted_while_submitting_is_reconciled_at_start_up_by_its_task_uuid(
        settings: Settings, fake: RunwareFake, reached_runware: bool) -> None:
    job = await _interrupted_job(settings)
    if reached_runware:
        task = {"taskType": "videoInference", "taskUUID": task_uuid_for(job.id), "model": "heygen:avatar@5",
                "inputs": {"avatar": AVATAR}, "speech": {"text": "Hello."}}
        httpx.post(f"{fake.base_url}/v1", json=[task], headers={"Authorization": f"Bearer {KEY}"}).raise_for_status()
    async with Client(CASE.server(settings), mode="auto") as client:
        done = await finish(client, job.id)
    assert done["status"] == "succeeded", done
    assert list(fake.tasks) == [task_uuid_for(job.id)]
    [sent] = creates(fake)
    if not reached_runware:  # sent again from the stored request: the render options go too
        assert (sent["numberResults"], sent["outputQuality"]) == (2, 70)
        assert len(done["result"]["outputs"]) == 1


async def test_a_webhook_finishes_the_job_at_once_and_a_forged_one_sets_nothing(tmp_path: Path, media_root: Path,
                                                                                fake: RunwareFake) -> None:
    fake.polls_to_complete = 50  # only the vendor's word (through a status request) can finish a job here
    sock = loopback_socket()
    public_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(tmp_path, media_root, runware_api_key=SecretStr(KEY),
                             runware_base_url=f"{fake.base_url}/v1", public_url=public_url)
    with serving_http(settings, sock) as base:
        async with Client(f"{base}/mcp") as client:
            first = await call(client, "create_video", VIDEO)
            second = await call(client, "create_video", VIDEO)
            real, other = (t["taskUUID"] for t in creates(fake))
            forged = httpx.post(f"{base}/webhooks/runware", json={"data": [
                {"taskType": "videoInference", "taskUUID": other, "status": "success",
                 "videoURL": "https://evil.example/fake.mp4"}]})
            fake.complete(real)
            delivered = fake.wait_for_deliveries(1)
            done = await call(client, "check_job", {"job_id": first["job_id"]})
            still = await call(client, "check_job", {"job_id": second["job_id"]})
    assert {t["webhookURL"] for t in creates(fake)} == {f"{public_url}/webhooks/runware"}
    assert delivered[0]["status"] == 200
    assert done["status"] == "succeeded" and Path(done["result"]["video_path"]).exists()
    assert forged.json() == {"ok": True, "matched": 1}
    assert still["status"] in ("queued", "processing") and "evil" not in str(still)
