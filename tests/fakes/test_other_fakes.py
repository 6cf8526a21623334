"""Self-tests of the Runware, Creatify and Napster emulators, over real HTTP with httpx."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ._harness import FakeVendor, sample_jpeg, sample_mp4, serve
from .creatify import CreatifyFake
from .napster import NapsterFake
from .runware import RunwareFake


class Receiver(FakeVendor):
    """A webhook / upload receiver: records every call, answers with `statuses` in turn (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: list[tuple[str, bytes]] = []
        self.statuses = list(statuses or [])
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        async def hook(request: Request) -> Response:
            self.received.append((request.method, await request.body()))
            return JSONResponse({}, status_code=self.statuses.pop(0) if self.statuses else 200)

        return [Route("/hook", hook, methods=["POST", "PUT"])]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    with serve(hook) as url:
        yield hook, f"{url}/hook"


# ---------------------------------------------------------------- Runware
RW_AUTH = {"Authorization": "Bearer test-runware-key"}


def video_task(**overrides: Any) -> dict[str, Any]:
    task: dict[str, Any] = {"taskType": "videoInference", "taskUUID": str(uuid.uuid4()), "model": "heygen:avatar@5",
                            "deliveryMethod": "async", "inputs": {"avatar": "Abigail_expressive_2024112501"},
                            "speech": {"text": "Hello there.", "voice": "auto"}}
    task.update(overrides)
    return task


def poll(client: httpx.Client, task_uuid: str) -> httpx.Response:
    return client.post("/v1", json=[{"taskType": "getResponse", "taskUUID": task_uuid}])


@pytest.fixture
def runware() -> Iterator[tuple[RunwareFake, httpx.Client]]:
    fake = RunwareFake()
    with serve(fake) as url, httpx.Client(base_url=url, headers=RW_AUTH) as client:
        yield fake, client


@pytest.fixture(scope="module")
def runware_shared() -> Iterator[tuple[RunwareFake, httpx.Client]]:
    """One server for the (many) validation cases: none of them may create a task."""
    fake = RunwareFake()
    with serve(fake) as url, httpx.Client(base_url=url, headers=RW_AUTH) as client:
        yield fake, client


def test_runware_auth_and_body_shape() -> None:
    fake = RunwareFake()
    with serve(fake) as url, httpx.Client(base_url=url) as client:
        bad = client.post("/v1", json=[video_task()], headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and bad.json()["errors"][0]["code"] == "invalidApiKey"
        in_body = client.post("/v1", json=[{"taskType": "authentication", "apiKey": "test-runware-key"}, video_task()])
        assert in_body.status_code == 200 and in_body.json()["data"][1]["taskType"] == "videoInference"
        obj = client.post("/v1", json=video_task(), headers=RW_AUTH)
        assert obj.status_code == 400 and obj.json()["errors"][0]["code"] == "invalidRequestBody"
        assert client.post("/v1", content=b"[{", headers=RW_AUTH).status_code == 400
    assert len(fake.tasks) == 1


@pytest.mark.parametrize(("change", "code", "parameter"), [
    ({"taskUUID": "not-a-uuid"}, "invalidTaskUUID", "taskUUID"),
    ({"taskUUID": str(uuid.uuid1())}, "invalidTaskUUID", "taskUUID"),
    ({"model": "heygen:avatar@4"}, "invalidModel", "model"),
    ({"outputFormat": "AVI"}, "invalidOutputFormat", "outputFormat"),
    ({"outputType": "base64Data"}, "invalidOutputType", "outputType"),
    ({"outputQuality": 19}, "invalidOutputQuality", "outputQuality"),
    ({"outputQuality": 100}, "invalidOutputQuality", "outputQuality"),
    ({"deliveryMethod": "sync"}, "invalidDeliveryMethod", "deliveryMethod"),
    ({"webhookURL": "not a url"}, "invalidWebhookURL", "webhookURL"),
    ({"uploadEndpoint": "ftp://x"}, "invalidUploadEndpoint", "uploadEndpoint"),
    ({"safety": {"checkContent": "yes"}}, "invalidSafetyCheckContent", "safety.checkContent"),
    ({"safety": {"mode": "strict"}}, "invalidSafetyMode", "safety.mode"),
    ({"ttl": 59}, "invalidTtl", "ttl"),
    ({"includeCost": 1}, "invalidIncludeCost", "includeCost"),
    ({"numberResults": 5}, "invalidNumberResults", "numberResults"),
    ({"numberResults": 0}, "invalidNumberResults", "numberResults"),
    ({"inputs": {}}, "missingInputsAvatar", "inputs.avatar"),
    ({"inputs": {"avatar": "unknown_avatar"}}, "invalidInputsAvatar", "inputs.avatar"),
    ({"inputs": {"avatar": "Abigail_expressive_2024112501", "background": "http://x.test/bg.png"}},
     "invalidInputsBackground", "inputs.background"),
    ({"width": 1280}, "missingHeight", "height"),
    ({"width": 1000, "height": 1000}, "invalidWidth", "width"),
    ({"speech": {"voice": "auto"}}, "missingSpeechText", "speech.text"),
    ({"speech": {"text": ""}}, "invalidSpeechText", "speech.text"),
    ({"speech": {"text": "x" * 5001}}, "invalidSpeechText", "speech.text"),
    ({"speech": {"text": "hi", "volume": 1.5}}, "invalidSpeechVolume", "speech.volume"),
    ({"speech": {"text": "hi", "speed": 0.4}}, "invalidSpeechSpeed", "speech.speed"),
    ({"speech": {"text": "hi", "pitch": 51}}, "invalidSpeechPitch", "speech.pitch"),
    ({"speech": {"text": "hi", "language": ""}}, "invalidSpeechLanguage", "speech.language"),
    ({"speech": {"text": "hi", "emotion": "happy"}}, "unsupportedParameter", "speech.emotion"),
    ({"settings": {"backgroundColor": "red"}}, "invalidSettingsBackgroundColor", "settings.backgroundColor"),
    ({"settings": {"fit": "stretch"}}, "invalidSettingsFit", "settings.fit"),
    ({"settings": {"caption": "on"}}, "invalidSettingsCaption", "settings.caption"),
    ({"positivePrompt": "x"}, "unsupportedParameter", "positivePrompt"),
    ({"inputs": {"avatar": "Abigail_expressive_2024112501", "audio": "https://cdn.test/a.mp3"}},
     "incompatibleParameters", "speech"),
    ({"speech": None}, "missingSpeech", "speech"),
    ({"inputs": {"avatar": "Abigail_expressive_2024112501", "audio": "http://cdn.test/a.mp3"}, "speech": None},
     "invalidInputsAudio", "inputs.audio"),
])
def test_runware_validation(runware_shared: tuple[RunwareFake, httpx.Client], change: dict[str, Any], code: str,
                            parameter: str) -> None:
    fake, client = runware_shared
    task = video_task(**change)
    if task.get("speech") is None:
        task.pop("speech")
    response = client.post("/v1", json=[task])
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert (error["code"], error["parameter"], error["taskType"]) == (code, parameter, "videoInference")
    assert not fake.tasks


def test_runware_valid_full_options(runware: tuple[RunwareFake, httpx.Client]) -> None:
    fake, client = runware
    task = video_task(outputType="URL", outputFormat="WEBM", outputQuality=80, ttl=3600, includeCost=True,
                      safety={"checkContent": True, "mode": "fast"}, width=1080, height=1920,
                      inputs={"avatar": "josh_lite3_20230714", "background": "https://cdn.test/bg.png"},
                      speech={"text": "Hi", "voice": "auto", "language": "en", "volume": 0.5, "speed": 1.2,
                              "pitch": -10.5},
                      settings={"backgroundColor": "#00ff00", "caption": True, "fit": "contain",
                                "removeBackground": False})
    assert client.post("/v1", json=[task]).json() == {"data": [{"taskType": "videoInference",
                                                                 "taskUUID": task["taskUUID"]}]}
    audio = video_task(inputs={"avatar": "Daisy-inskirt-20220818", "audio": str(uuid.uuid4())})
    audio.pop("speech")
    assert client.post("/v1", json=[audio]).status_code == 200
    assert len(fake.tasks) == 2


def test_runware_lifecycle_cost_and_media(runware: tuple[RunwareFake, httpx.Client]) -> None:
    fake, client = runware
    task = video_task(includeCost=True, outputFormat="MOV")
    client.post("/v1", json=[task])
    first = poll(client, task["taskUUID"])
    assert first.status_code == 200 and first.json()["data"][0]["status"] == "processing"
    done = poll(client, task["taskUUID"]).json()["data"][0]
    assert done["status"] == "success" and done["cost"] == fake.cost_per_result and done["videoURL"].endswith(".mov")
    video = httpx.get(done["videoURL"])
    assert video.content == sample_mp4() and video.headers["content-type"] == "video/quicktime"
    assert uuid.UUID(done["videoUUID"])
    plain = video_task()
    client.post("/v1", json=[plain])
    poll(client, plain["taskUUID"])
    assert "cost" not in poll(client, plain["taskUUID"]).json()["data"][0]


def test_runware_several_results_finish_in_turn(runware: tuple[RunwareFake, httpx.Client]) -> None:
    _, client = runware
    task = video_task(numberResults=3)
    client.post("/v1", json=[task])
    seen = [[item["status"] for item in poll(client, task["taskUUID"]).json()["data"]] for _ in range(4)]
    assert seen[0] == ["processing"] * 3
    assert seen[1] == ["success", "processing", "processing"]
    assert seen[3] == ["success"] * 3
    items = poll(client, task["taskUUID"]).json()["data"]
    assert len({item["videoUUID"] for item in items}) == 3 and {i["taskUUID"] for i in items} == {task["taskUUID"]}


def test_runware_task_uuid_is_the_idempotency_key(runware: tuple[RunwareFake, httpx.Client]) -> None:
    fake, client = runware
    task = video_task()
    fake.add_fault("POST", "^/v1$", status=502, after=True)  # the vendor takes it, the answer is lost
    assert client.post("/v1", json=[task]).status_code == 502
    again = client.post("/v1", json=[task])
    assert again.status_code == 400
    error = again.json()["errors"][0]
    assert error["code"] == "conflictTaskUUID" and error["taskUUID"] == task["taskUUID"]
    assert error["context"] == {"taskType": "videoInference", "taskUUID": task["taskUUID"], "deliveryMethod": "async"}
    assert len(fake.tasks) == 1
    fake.duplicate_task_uuid = "ack"
    assert client.post("/v1", json=[task]).json()["data"] == [{"taskType": "videoInference",
                                                                "taskUUID": task["taskUUID"]}]
    assert len(fake.tasks) == 1


def test_runware_unknown_task_failures_and_batches(runware: tuple[RunwareFake, httpx.Client]) -> None:
    fake, client = runware
    unknown = poll(client, str(uuid.uuid4()))
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["code"] == "taskFailedOrNotFound"
    fake.fail_next("contentPolicyViolation")
    bad, good = video_task(), video_task()
    batch = client.post("/v1", json=[bad, good, video_task(model="x")])
    assert batch.status_code == 200 and len(batch.json()["data"]) == 2 and len(batch.json()["errors"]) == 1
    poll(client, bad["taskUUID"])
    failed = poll(client, bad["taskUUID"])
    assert failed.status_code == 200 and "data" not in failed.json()
    assert failed.json()["errors"][0] == {"code": "contentPolicyViolation", "message": failed.json()["errors"][0][
        "message"], "taskType": "videoInference", "taskUUID": bad["taskUUID"]}
    fake.fail_task(good["taskUUID"], "timeoutProvider")
    assert poll(client, good["taskUUID"]).json()["errors"][0]["code"] == "timeoutProvider"


def test_runware_balance_and_rate_limit(runware: tuple[RunwareFake, httpx.Client]) -> None:
    fake, client = runware
    fake.balance = 0.5
    assert client.post("/v1", json=[video_task()]).status_code == 200
    broke = client.post("/v1", json=[video_task()])
    assert broke.status_code == 402 and broke.json()["errors"][0]["code"] == "insufficientCredits"
    fake.rate_limit(retry_after=3)
    limited = client.post("/v1", json=[video_task()])
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert limited.json()["errors"][0]["code"] == "rateLimitExceeded"
    fake.add_fault("POST", "^/v1$", malformed=True)
    with pytest.raises(ValueError):
        client.post("/v1", json=[video_task()]).json()


def test_runware_webhooks_and_upload(receiver: tuple[Receiver, str]) -> None:
    hook, hook_url = receiver
    hook.statuses = [500]  # the first delivery is refused: the fake retries
    fake = RunwareFake()
    with serve(fake) as url, httpx.Client(base_url=url, headers=RW_AUTH) as client:
        task = video_task(webhookURL=hook_url, uploadEndpoint=hook_url, numberResults=2)
        client.post("/v1", json=[task])
        fake.complete(task["taskUUID"])
        deliveries = fake.wait_for_deliveries(5)
        assert [d["status"] for d in deliveries if d["method"] == "POST"].count(200) == 2
        assert any(d["status"] == 500 for d in deliveries)
        posts = [body for method, body in hook.received if method == "POST"]
        assert all(b'"status":"success"' in body.replace(b" ", b"") for body in posts)
        assert sample_mp4() in [body for method, body in hook.received if method == "PUT"]
        failing = video_task(webhookURL=hook_url)
        fake.fail_next()
        client.post("/v1", json=[failing])
        fake.complete(failing["taskUUID"])
        fake.wait_for_deliveries(len(deliveries) + 1)
        assert fake.deliveries[-1]["payload"]["errors"][0]["code"] == "inferenceError"


# ---------------------------------------------------------------- Creatify
CR_AUTH = {"X-API-ID": "test-creatify-id", "X-API-KEY": "test-creatify-key"}


@pytest.fixture
def creatify() -> Iterator[tuple[CreatifyFake, httpx.Client]]:
    fake = CreatifyFake()
    with serve(fake) as url, httpx.Client(base_url=url, headers=CR_AUTH) as client:
        yield fake, client


def stock_creator(fake: CreatifyFake) -> str:
    return str(next(p["id"] for p in fake.personas.values() if p["is_active"]))


def accent(fake: CreatifyFake) -> str:
    return str(fake.voices[0]["accents"][0]["id"])


def test_creatify_auth_slashes_and_methods(creatify: tuple[CreatifyFake, httpx.Client]) -> None:
    fake, client = creatify
    only_id = client.get("/api/voices/", headers={"X-API-KEY": ""})
    assert only_id.status_code == 401 and only_id.json() == {"detail": "Authentication credentials were not provided."}
    wrong = client.get("/api/voices/", headers={"X-API-KEY": "nope"})
    assert wrong.status_code == 401 and "detail" in wrong.json()
    redirect = client.post("/api/lipsyncs", json={})
    assert redirect.status_code == 301 and redirect.headers["location"] == "/api/lipsyncs/"
    assert client.get("/api/personas?x=1").headers["location"] == "/api/personas/?x=1"
    assert client.put("/api/voices/").json() == {"detail": 'Method "PUT" not allowed.'}
    assert client.get(f"/api/personas/{uuid.uuid4()}/").json() == {"detail": "Not found."}
    fake.missing_slash = "404"
    assert client.get("/api/voices").status_code == 404


def test_creatify_voices_credits_and_throttling(creatify: tuple[CreatifyFake, httpx.Client]) -> None:
    fake, client = creatify
    voices = client.get("/api/voices/").json()
    assert {"name", "gender", "accents"} <= set(voices[0])
    assert {"id", "accent_name", "preview_url"} == set(voices[0]["accents"][0])
    assert httpx.get(voices[0]["accents"][0]["preview_url"]).status_code == 200
    page = client.get("/api/voices/", params={"page": 1, "page_size": 2}).json()
    assert page["count"] == len(voices) and len(page["results"]) == 2 and page["next"] and page["previous"] is None
    assert client.get("/api/remaining_credits/").json() == {"remaining_credits": 100}
    fake.rate_limit(retry_after=5)
    throttled = client.get("/api/voices/")
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "5"
    assert throttled.json() == {"detail": "Request was throttled. Expected available in 5 seconds."}
    assert client.get("/api/voices/").status_code == 200


def test_creatify_persona_multipart_and_lifecycle(creatify: tuple[CreatifyFake, httpx.Client],
                                                  receiver: tuple[Receiver, str]) -> None:
    fake, client = creatify
    _, hook_url = receiver
    files = {"lipsync_input": ("me.mp4", sample_mp4(), "video/mp4"),
             "consent_video": ("consent.mov", sample_mp4(), "video/quicktime")}
    data = {"gender": "nb", "creator_name": "Robin", "video_scene": "office", "labels": ["a", "b"],
            "webhook_url": hook_url}
    created = client.post("/api/personas_v2/", data=data, files=files)
    assert created.status_code == 201, created.text
    persona = created.json()
    assert persona["process_status"] == "pending" and persona["failed_reason"] is None
    assert persona["labels"] == ["a", "b"] and httpx.get(persona["lipsync_input"]).content == sample_mp4()
    statuses = [client.get(f"/api/personas/{persona['id']}/").json()["process_status"] for _ in range(3)]
    assert statuses == ["voice_creating", "crop_and_matte", "done"]
    done = client.get(f"/api/personas/{persona['id']}/").json()
    assert done["is_active"] and httpx.get(done["preview_video_16_9"]).status_code == 200
    assert any(a["id"] == done["matching_voice_non_null"] for v in client.get("/api/voices/").json()
               for a in v["accents"])
    delivery = fake.wait_for_deliveries(1)[0]
    assert delivery["payload"] == {"id": persona["id"], "status": "done", "failed_reason": None, "output": None}
    assert persona["id"] in [p["id"] for p in client.get("/api/personas/").json()]
    paginated = client.get("/api/personas/paginated/", params={"page_size": 2}).json()
    assert paginated["count"] == 4 and len(paginated["results"]) == 2
    assert client.get("/api/personas/paginated/", params={"page": 9}).status_code == 404


def test_creatify_persona_validation_and_forced_outcomes(creatify: tuple[CreatifyFake, httpx.Client]) -> None:
    fake, client = creatify
    missing = client.post("/api/personas_v2/", json={"creator_name": ""})
    assert missing.status_code == 400
    assert missing.json() == {"gender": ["This field is required."], "creator_name": ["This field may not be blank."]}
    bad = client.post("/api/personas_v2/", json={"gender": "x", "creator_name": "n" * 256,
                                                 "lipsync_input": "http://cdn.test/me.mp4", "labels": "a"})
    assert set(bad.json()) == {"gender", "creator_name", "lipsync_input", "labels"}
    avi = client.post("/api/personas_v2/", data={"gender": "m", "creator_name": "A"},
                      files={"lipsync_input": ("me.avi", b"x", "video/x-msvideo")})
    assert "not allowed" in avi.json()["lipsync_input"][0]
    assert client.post("/api/personas_v2/", content=b"{", headers={"Content-Type": "application/json"}
                       ).json()["detail"].startswith("JSON parse error")
    ok = client.post("/api/personas_v2/", json={"gender": "f", "creator_name": "Kim",
                                                "lipsync_input": "https://cdn.test/kim.mp4"}).json()
    fake.force_persona(ok["id"], "rejected", "No consent")
    for _ in range(3):
        last = client.get(f"/api/personas/{ok['id']}/").json()
    assert (last["process_status"], last["failed_reason"], last["is_active"]) == ("rejected", "No consent", False)
    fake.fail_next_persona("failed", "Bad footage")
    second = client.post("/api/personas_v2/", json={"gender": "m", "creator_name": "Lee"}).json()
    fake.complete(second["id"])
    assert client.get(f"/api/personas/{second['id']}/").json()["process_status"] == "failed"
    not_ready = client.post("/api/personas_v2/", json={"gender": "m", "creator_name": "Max"}).json()
    lipsync = client.post("/api/lipsyncs/", json={"aspect_ratio": "1x1", "text": "hi", "creator": not_ready["id"]})
    assert "not ready" in lipsync.json()["creator"][0]


def test_creatify_lipsync_lifecycle_and_webhook_twice(receiver: tuple[Receiver, str]) -> None:
    hook, hook_url = receiver
    fake = CreatifyFake(webhook_repeats=2)
    with serve(fake) as url, httpx.Client(base_url=url, headers=CR_AUTH) as client:
        body = {"aspect_ratio": "9x16", "text": "Hello from the fake. " * 10, "creator": stock_creator(fake),
                "accent": accent(fake), "green_screen": True, "no_caption": False, "no_music": True,
                "caption_style": "normal-black", "name": "demo", "webhook_url": hook_url}
        created = client.post("/api/lipsyncs/", json=body)
        assert created.status_code == 200, created.text
        job = created.json()
        assert job["status"] == "pending" and job["credits_used"] == 5 and fake.credits == 95
        seen = [client.get(f"/api/lipsyncs/{job['id']}/").json() for _ in range(3)]
        assert [s["status"] for s in seen] == ["in_queue", "running", "done"]
        assert [s["progress"] for s in seen] == ["0.33", "0.67", "1.0"]
        done = seen[-1]
        assert httpx.get(done["output"]).content == sample_mp4()
        assert httpx.get(done["video_thumbnail"]).content == sample_jpeg()
        deliveries = fake.wait_for_deliveries(2)
        assert [d["payload"] for d in deliveries] == [{"id": job["id"], "status": "done", "failed_reason": None,
                                                        "output": done["output"]}] * 2
        assert len(hook.received) == 2
        assert [j["id"] for j in client.get("/api/lipsyncs/", params={"ids": job["id"]}).json()] == [job["id"]]
        fake.fail_next_lipsync("GPU on fire")
        failing = client.post("/api/lipsyncs/", json={**body, "webhook_url": None}).json()
        fake.complete(failing["id"])
        failed = client.get(f"/api/lipsyncs/{failing['id']}/").json()
        assert (failed["status"], failed["failed_reason"], failed["output"]) == ("failed", "GPU on fire", None)


def test_creatify_lipsync_validation_and_credit_exhaustion(creatify: tuple[CreatifyFake, httpx.Client]) -> None:
    fake, client = creatify
    errors = client.post("/api/lipsyncs/", json={"aspect_ratio": "4x3", "creator": str(uuid.uuid4()),
                                                 "accent": "nope", "audio": "http://cdn.test/a.mp3",
                                                 "green_screen": "maybe"}).json()
    assert set(errors) == {"aspect_ratio", "creator", "accent", "audio", "green_screen"}
    assert errors["creator"][0].startswith('Invalid pk "')
    neither = client.post("/api/lipsyncs/", json={"aspect_ratio": "16x9", "creator": stock_creator(fake)})
    assert neither.json() == {"non_field_errors": ["Either text or audio is required."]}
    fake.credits = 7
    body = {"aspect_ratio": "16x9", "creator": stock_creator(fake), "audio": "https://cdn.test/a.mp3"}
    assert client.post("/api/lipsyncs/", json=body).status_code == 200
    broke = client.post("/api/lipsyncs/", json=body)
    assert broke.status_code == 400 and "credits" in broke.json()["detail"] and fake.credits == 2
    assert len(fake.lipsyncs) == 1


def test_creatify_lipsync_v2(creatify: tuple[CreatifyFake, httpx.Client]) -> None:
    fake, client = creatify
    scene = {"character": {"type": "avatar", "avatar_id": stock_creator(fake)},
             "voice": {"type": "text", "input_text": "Scene one.", "voice_id": accent(fake)},
             "background": {"type": "color", "value": "#ffffff"}}
    bad_scene = copy.deepcopy(scene)
    bad_scene["voice"]["voice_id"] = "nope"
    bad_scene["background"] = {"type": "image", "url": "http://cdn.test/bg.png"}
    errors = client.post("/api/lipsyncs_v2/", json={"aspect_ratio": "16x9", "video_inputs": [scene, bad_scene]})
    assert errors.status_code == 400
    unknown_voice = ['Invalid pk "nope" - object does not exist.']
    assert errors.json() == {"video_inputs": [{}, {"voice": {"voice_id": unknown_voice},
                                                   "background": {"url": ["Enter a valid https URL."]}}]}
    assert client.post("/api/lipsyncs_v2/", json={"aspect_ratio": "16x9", "video_inputs": []}).json() == {
        "video_inputs": ["This list may not be empty."]}
    audio_scene = {"character": scene["character"], "voice": {"type": "audio", "audio_url": "https://cdn.test/a.mp3"}}
    job = client.post("/api/lipsyncs_v2/", json={"aspect_ratio": "1x1", "video_inputs": [scene, audio_scene]}).json()
    assert job["status"] == "pending" and len(job["video_inputs"]) == 2
    assert client.get(f"/api/lipsyncs/{job['id']}/").status_code == 404
    for _ in range(3):
        last = client.get(f"/api/lipsyncs_v2/{job['id']}/").json()
    assert last["status"] == "done" and last["output"].startswith("http://127.0.0.1")


# ---------------------------------------------------------------- Napster
NP_AUTH = {"X-Api-Key": "test-napster-key"}


@pytest.fixture
def napster() -> Iterator[tuple[NapsterFake, httpx.Client]]:
    fake = NapsterFake()
    with serve(fake) as url, httpx.Client(base_url=url, headers=NP_AUTH) as client:
        yield fake, client


def test_napster_auth_and_companion_validation(napster: tuple[NapsterFake, httpx.Client]) -> None:
    fake, client = napster
    unauth = client.get("/public/companions", headers={"X-Api-Key": "nope"})
    assert unauth.status_code == 401 and unauth.json()["title"] == "Unauthorized"
    missing = client.post("/public/companions", json={"firstName": "A"})
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"description", "pictureUrl"}
    http = client.post("/public/companions", json={"description": "d", "pictureUrl": "http://cdn.test/a.jpg"})
    assert "pictureUrl" in http.json()["errors"]
    v2 = client.post("/public/companions", json={"description": "d", "version": "v2",
                                                 "pictureUrl": "https://cdn.test/a.jpg"})
    assert set(v2.json()["errors"]) == {"videoUrl"}
    odd = client.post("/public/companions", json={"description": "d", "pictureUrl": "https://cdn.test/a.jpg",
                                                  "gender": "other", "ethnicity": "Martian", "version": "v3",
                                                  "tags": ["x"]})
    assert set(odd.json()["errors"]) == {"gender", "ethnicity", "version", "tags"}
    extra = client.post("/public/companions", json={"description": "d", "pictureUrl": "https://cdn.test/a.jpg",
                                                    "name": "Ava Stone", "externalClientId": "ava"})
    assert set(extra.json()["errors"]) == {"name", "externalClientId"}
    assert not fake.companions


def test_napster_companion_lifecycle_and_listing(napster: tuple[NapsterFake, httpx.Client]) -> None:
    fake, client = napster
    created = client.post("/public/companions", json={
        "description": "A warm support agent.", "firstName": "Alex", "lastName": "Chen", "gender": "male",
        "ethnicity": "Asian", "version": "v2", "videoUrl": "https://cdn.test/alex.mp4", "tags": {"team": "cs"}})
    assert created.status_code == 201, created.text
    alex = created.json()
    assert alex["status"] == "pending" and alex["version"] == "v2" and alex["tags"] == {"team": "cs"}
    statuses = [client.get(f"/public/companions/{alex['id']}").json()["status"] for _ in range(3)]
    assert statuses == ["generationCompleted", "readyToUse", "completed"]
    assert httpx.get(client.get(f"/public/companions/{alex['id']}").json()["avatarUrl"]).status_code == 200
    v1 = client.post("/public/companions", json={"description": "Sales lead", "firstName": "Bea",
                                                 "pictureUrl": "https://cdn.test/bea.png", "gender": "female"}).json()
    assert v1["version"] == "v1"
    listing = client.get("/public/companions", params={"statuses": "pending,readyToUse", "pageSize": 1}).json()
    assert listing["totalCount"] == 1 and listing["items"][0]["id"] == v1["id"]
    assert client.get("/public/companions", params=[("statuses", "completed"), ("statuses", "pending")]
                      ).json()["totalCount"] == 2
    assert client.get("/public/companions", params={"search": "SUPPORT"}).json()["items"][0]["id"] == alex["id"]
    assert client.get("/public/companions", params={"gender": "female"}).json()["totalCount"] == 1
    paged = client.get("/public/companions", params={"pageIndex": 1, "pageSize": 1}).json()
    assert paged["pageIndex"] == 1 and len(paged["items"]) == 1 and "totalPages" not in paged
    fake.total_pages = True
    assert client.get("/public/companions", params={"pageSize": 1}).json()["totalPages"] == 2
    assert client.get("/public/companions", params={"pageSize": 0}).status_code == 400
    assert client.get("/public/companions/napster-stock").json()["totalCount"] == 3
    assert "Asian" in client.get("/public/companions/ethnicities").json()
    assert client.get(f"/public/companions/{uuid.uuid4()}").status_code == 404
    fake.fail_companion(v1["id"])
    assert client.get(f"/public/companions/{v1['id']}").json()["status"] == "failed"


def test_napster_digital_twin_consent(napster: tuple[NapsterFake, httpx.Client]) -> None:
    fake, client = napster
    twin = {"firstName": "Sarah", "lastName": "Johnson", "description": "VP of Customer Success.", "gender": "female",
            "ethnicity": "Caucasian", "externalClientId": "sarah-johnson-001", "version": "v2",
            "videoUrl": "https://cdn.test/sarah.mp4"}
    invalid = client.post("/public/digital-twins", json={**twin, "externalClientId": "bad id!", "version": "v1"})
    assert set(invalid.json()["errors"]) == {"externalClientId", "pictureUrl", "voiceUrl"}
    refused = client.post("/public/digital-twins", json=twin)
    assert refused.status_code == 403 and refused.json()["code"] == "DigitalTwinConsentRequired"
    fake.grant_consent("someone-else")
    assert client.post("/public/digital-twins", json=twin).status_code == 403
    fake.grant_consent("sarah-johnson-001")
    created = client.post("/public/digital-twins", json=twin)
    assert created.status_code == 201 and created.json()["type"] == "digitalTwin"
    assert client.get(f"/public/companions/{created.json()['id']}").json()["status"] == "generationCompleted"


@pytest.mark.parametrize("style", ["message", "message_list"])
def test_napster_error_bodies_come_in_the_other_documented_shapes(style: Any) -> None:
    fake = NapsterFake(error_style=style)
    with serve(fake) as url, httpx.Client(base_url=url, headers=NP_AUTH) as client:
        missing = client.post("/public/companions", json={"description": "d", "version": "v2"})
        denied = client.get("/public/companions", headers={"X-Api-Key": "nope"})
        twin = client.post("/public/digital-twins", json={
            "firstName": "S", "lastName": "J", "description": "d", "gender": "female", "ethnicity": "Asian",
            "externalClientId": "s-j", "version": "v2", "videoUrl": "https://cdn.test/s.mp4"})
    body = missing.json()
    assert missing.status_code == 400 and "title" not in body and "detail" not in body
    if style == "message":
        assert body["message"] == "Validation failed" and body["code"] == "ValidationError"
        assert body["errors"] == [{"field": "videoUrl", "message": "The videoUrl field is required for version v2."}]
    else:
        assert body["message"] == ["videoUrl The videoUrl field is required for version v2."]
        assert body["errors"][0]["property"] == "videoUrl"
    assert denied.status_code == 401 and "A valid X-Api-Key" in str(denied.json()["message"])
    assert twin.status_code == 403 and twin.json()["code"] == "DigitalTwinConsentRequired"


def test_napster_rate_limit_and_harness_faults() -> None:
    fake = NapsterFake(rate_limit=(2, 60), rate_limited_routes={"POST /public/companions"})
    with serve(fake) as url, httpx.Client(base_url=url, headers=NP_AUTH) as client:
        body = {"description": "d", "pictureUrl": "https://cdn.test/a.jpg"}
        assert [client.post("/public/companions", json=body).status_code for _ in range(2)] == [201, 201]
        limited = client.post("/public/companions", json=body)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert client.get("/public/companions").status_code == 200  # another route, no limit
        fake.add_fault("GET", r"^/public/companions$", status=503, body={"title": "Service Unavailable"}, delay=0.05)
        assert client.get("/public/companions").status_code == 503
        assert client.get("/public/companions").status_code == 200
        assert [r.method for r in fake.requests("POST", "^/public/companions$")] == ["POST"] * 3
