"""Runware emulator: `POST /v1` taking a JSON array of tasks; `videoInference` with `heygen:avatar@5` (seed 004).

Behaviour where the references are silent (the clients must tolerate these; most are constructor options):
- Validation errors use Runware's `missing<Param>` / `invalid<Param>` naming (the official SDKs classify any
  `missing*` / `invalid*` / `unsupported*` / `incompatible*` code as a validation error); nested paths are camel-cased,
  e.g. `invalidSpeechSpeed` with `parameter: "speech.speed"`. Unknown keys -> `unsupportedParameter`; a model other
  than heygen:avatar@5 -> `invalidModel`; both speech and inputs.audio -> `incompatibleParameters`; neither ->
  `missingSpeech`. Only the first problem of a task is reported. HTTP 400.
- Auth: `Authorization: Bearer <key>`, or an `{"taskType": "authentication", "apiKey": ...}` task in the array;
  otherwise 401 `invalidApiKey` (taskType "authentication"), checked first. Then a body that is not JSON, not an
  array, or empty -> 400 `invalidRequestBody`; an authentication task answers `{taskType, connectionSessionUUID}`.
- Re-sending a videoInference with a known taskUUID creates no job. Default (`duplicate_task_uuid="conflict"`): HTTP 400
  `conflictTaskUUID` carrying `context: {taskType, taskUUID, deliveryMethod}` (what the official SDK keys on to treat
  a retried submission as accepted). `"ack"` answers the original acknowledgement again instead. `"refuse"` follows
  reference C alone (a taskUUID "must be unique"; no conflict code is documented): HTTP 400 with a plain validation
  error `duplicateTaskUUID` naming the parameter, as an emulator built from the reference may answer.
- getResponse: processing and successful generations are `data` items (one per generation, `status` processing |
  success); a failed task is answered with Runware's errors envelope and no data item: `{"errors": [{code, message,
  taskType, taskUUID}]}` at HTTP `failed_poll_status` (default 200), with no `status` field (reference C: the
  envelope naming the taskUUID is the failure). `failed_poll_shape="item"` answers instead with a `data` item of
  `status: "error"` (reference C lists processing | success | error as the item statuses; the fields an error item
  carries besides are not documented: here `code` and `message`). An unknown taskUUID -> 400 `taskFailedOrNotFound`
  naming it. With several tasks in one request: 200 if any `data` item exists, else the status of the first error.
- inputs.avatar is a HeyGen avatar id from `fake.avatars` (the seed lists allowed ids, not URLs); set
  `accept_avatar_urls=True` to also take https URLs. inputs.audio: UUID or https URL. inputs.background: UUID, https
  URL, data URI or base64. http:// media URLs -> `invalid<Param>`. width x height must be in `allowed_dimensions`.
- Generation i of a task succeeds on poll `polls_to_complete + i` (`stagger_results=False`: all at once). Results carry
  videoUUID, videoURL (served here; the bytes are always the sample MP4 whatever outputFormat says), seed, and `cost`
  when includeCost. Balance (402 `insufficientCredits`) is only checked when `balance` is set.
- Webhooks: one POST `{"data": [item]}` per finished generation, `{"errors": [error]}` (the poll's error item) on
  failure, up to
  `webhook_attempts` tries while the receiver answers non-2xx; uploadEndpoint gets an HTTP PUT of the video bytes.
  Every attempt is recorded in `fake.deliveries`.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ._harness import FakeVendor, sample_mp4

MODEL = "heygen:avatar@5"
CONTENT_POLICY_CODE = "contentPolicyViolation"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.IGNORECASE)
ANY_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
BASE64 = re.compile(r"^[A-Za-z0-9+/\s]{16,}={0,2}$")
HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
FORMATS = {"MP4": ("mp4", "video/mp4"), "WEBM": ("webm", "video/webm"), "MOV": ("mov", "video/quicktime")}
DEFAULT_AVATARS = frozenset({"Abigail_expressive_2024112501", "Daisy-inskirt-20220818", "josh_lite3_20230714"})
DEFAULT_DIMENSIONS = frozenset({(1280, 720), (720, 1280), (1920, 1080), (1080, 1920), (720, 720), (1080, 1080)})
TOP_KEYS = frozenset({"taskType", "taskUUID", "model", "outputType", "outputFormat", "outputQuality", "webhookURL",
                      "deliveryMethod", "uploadEndpoint", "safety", "ttl", "includeCost", "numberResults", "inputs",
                      "width", "height", "speech", "settings"})
SUB_KEYS = {"safety": {"checkContent", "mode"}, "inputs": {"avatar", "audio", "background"},
            "speech": {"text", "voice", "language", "volume", "speed", "pitch"},
            "settings": {"backgroundColor", "caption", "fit", "removeBackground"}}
FAILURE_MESSAGES = {"inferenceError": "Inference failed at the provider.",
                    "timeoutProvider": "The external provider did not respond within the timeout window.",
                    CONTENT_POLICY_CODE: "The content was flagged by the safety checker."}


class Invalid(Exception):
    """A task rejected by validation: becomes one `errors` item."""

    def __init__(self, code: str, message: str, parameter: str | None = None, http_status: int = 400, *,
                 task_type: str | None = None, task_uuid: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.parameter, self.status = code, message, parameter, http_status
        self.task_type, self.task_uuid, self.extra = task_type, task_uuid, extra


def _camel(path: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in path.split("."))


def _missing(path: str) -> Invalid:
    return Invalid(f"missing{_camel(path)}", f"Missing required parameter '{path}'.", path)


def _invalid(path: str, why: str) -> Invalid:
    return Invalid(f"invalid{_camel(path)}", f"Invalid value for '{path}': {why}.", path)


def _number(obj: dict[str, Any], key: str, path: str, lo: float | None, hi: float | None, *, integer: bool) -> None:
    if key not in obj:
        return
    value = obj[key]
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise _invalid(path, "must be an integer" if integer else "must be a number")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise _invalid(path, f"must be between {lo} and {hi}" if hi is not None else f"must be at least {lo}")


def _choice(obj: dict[str, Any], key: str, path: str, allowed: set[str] | frozenset[str]) -> None:
    if key in obj and obj[key] not in allowed:
        raise _invalid(path, f"must be one of {sorted(allowed)}")


def _boolean(obj: dict[str, Any], key: str, path: str) -> None:
    if key in obj and not isinstance(obj[key], bool):
        raise _invalid(path, "must be a boolean")


def _string(obj: dict[str, Any], key: str, path: str, lo: int = 1, hi: int | None = None) -> None:
    if key not in obj:
        return
    value = obj[key]
    if not isinstance(value, str) or len(value) < lo or (hi is not None and len(value) > hi):
        raise _invalid(path, f"must be a string of {lo}..{hi or 'any'} characters")


def _uri(obj: dict[str, Any], key: str, path: str) -> None:
    value = obj.get(key)
    if key in obj and not (isinstance(value, str) and re.match(r"^https?://[^\s/]+", value)):
        raise _invalid(path, "must be an absolute http(s) URI")


def _media(value: Any, path: str, *, uuid_ok: bool = True, data_ok: bool = False) -> None:
    """A media reference the vendor fetches: https only."""
    if not isinstance(value, str) or not value:
        raise _invalid(path, "must be a non-empty string")
    if value.startswith("https://") and len(value) > len("https://"):
        return
    if value.startswith("http://"):
        raise _invalid(path, "URLs must use https")
    if (uuid_ok and ANY_UUID.match(value)) or (data_ok and (value.startswith("data:") or BASE64.match(value))):
        return
    raise _invalid(path, "must be a UUID or an https URL" + (", a data URI or base64" if data_ok else ""))


@dataclass
class RunwareTask:
    """One accepted videoInference: its request, poll count and per-generation results (None = processing)."""

    task_uuid: str
    request: dict[str, Any]
    number_results: int
    results: list[dict[str, Any] | None]
    polls: int = 0
    error: dict[str, Any] | None = None
    fail_with: tuple[str, str] | None = None
    fail_now: bool = False
    created: float = field(default_factory=time.time)


class RunwareFake(FakeVendor):
    """Runware's task API for HeyGen Avatar V, served over real HTTP."""

    def __init__(self, api_key: str = "test-runware-key", *, polls_to_complete: int = 2, stagger_results: bool = True,
                 duplicate_task_uuid: Literal["conflict", "ack", "refuse"] = "conflict", failed_poll_status: int = 200,
                 failed_poll_shape: Literal["errors", "item"] = "errors",
                 cost_per_result: float = 0.35, balance: float | None = None, accept_avatar_urls: bool = False,
                 avatars: set[str] | None = None, allowed_dimensions: set[tuple[int, int]] | None = None,
                 webhook_attempts: int = 3, webhook_timeout: float = 5.0) -> None:
        self.api_key = api_key
        self.polls_to_complete = polls_to_complete
        self.stagger_results = stagger_results
        self.duplicate_task_uuid = duplicate_task_uuid
        self.failed_poll_status = failed_poll_status
        self.failed_poll_shape = failed_poll_shape
        self.cost_per_result = cost_per_result
        self.balance = balance
        self.accept_avatar_urls = accept_avatar_urls
        self.avatars: set[str] = set(DEFAULT_AVATARS if avatars is None else avatars)
        self.allowed_dimensions = set(DEFAULT_DIMENSIONS if allowed_dimensions is None else allowed_dimensions)
        self.webhook_attempts = webhook_attempts
        self.webhook_timeout = webhook_timeout
        self.tasks: dict[str, RunwareTask] = {}
        self.deliveries: list[dict[str, Any]] = []
        self._next_failures: list[tuple[str, str]] = []
        self._state = threading.RLock()
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return [Route("/v1", self._endpoint, methods=["POST"])]

    # -- helpers for tests
    def fail_next(self, code: str = "inferenceError", message: str | None = None) -> None:
        """The next accepted videoInference fails (with `code`) when its first generation would have finished."""
        self._next_failures.append((code, message or FAILURE_MESSAGES.get(code, "The task failed.")))

    def fail_task(self, task_uuid: str, code: str = "inferenceError", message: str | None = None) -> None:
        """Fail a known, unfinished task: its next poll (or `complete`) reports the error (and fires the webhook)."""
        with self._state:
            task = self.tasks[task_uuid]
            task.fail_with = (code, message or FAILURE_MESSAGES.get(code, "The task failed."))
            task.fail_now = True

    def complete(self, task_uuid: str) -> None:
        """Finish every generation of a task now (firing its webhooks), as if enough polls had happened."""
        with self._state:
            task = self.tasks[task_uuid]
            task.polls = max(task.polls, self.polls_to_complete + task.number_results)
            self._advance(task)

    def rate_limit(self, times: int = 1, retry_after: int | None = None) -> None:
        """The next `times` requests get Runware's 429 body (via the harness fault injection)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        body = {"errors": [{"code": "rateLimitExceeded", "message": "Rate limit exceeded. Slow down your requests."}]}
        self.add_fault("POST", "^/v1$", status=429, body=body, headers=headers, times=times)

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.deliveries)

    # -- the endpoint
    async def _endpoint(self, request: Request) -> Response:
        header_ok = request.headers.get("authorization", "") == f"Bearer {self.api_key}"
        denied = Invalid("invalidApiKey", "Invalid API key. Get one at https://my.runware.ai/signup", "apiKey", 401,
                         task_type="authentication")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self._reply([], [denied if not header_ok else
                                    Invalid("invalidRequestBody", "The request body is not valid JSON.")])
        if not isinstance(body, list) or not body:
            return self._reply([], [denied if not header_ok else Invalid(
                "invalidRequestBody", "The request body must be a non-empty JSON array of task objects.")])
        keys = [t.get("apiKey") for t in body if isinstance(t, dict) and t.get("taskType") == "authentication"]
        if not header_ok and self.api_key not in keys:
            return self._reply([], [denied])
        data: list[dict[str, Any]] = []
        errors: list[Invalid] = []
        for task in body:
            try:
                data.extend(self._task(task))
            except Invalid as error:
                if isinstance(task, dict):
                    error.task_type = error.task_type or task.get("taskType")
                    error.task_uuid = error.task_uuid or task.get("taskUUID")
                errors.append(error)
        return self._reply(data, errors)

    def _reply(self, data: list[dict[str, Any]], errors: list[Invalid]) -> Response:
        content: dict[str, Any] = {}
        if data:
            content["data"] = data
        if errors:
            content["errors"] = [self._error_item(e) for e in errors]
        status = 200 if data or not errors else errors[0].status
        return JSONResponse(content, status_code=status)

    @staticmethod
    def _error_item(error: Invalid) -> dict[str, Any]:
        item: dict[str, Any] = {"code": error.code, "message": error.message}
        fields = (("parameter", error.parameter), ("taskType", error.task_type), ("taskUUID", error.task_uuid))
        for key, value in fields:
            if value is not None:
                item[key] = value
        item.update(error.extra)
        return item

    def _task(self, task: Any) -> list[dict[str, Any]]:
        if not isinstance(task, dict):
            raise Invalid("invalidRequestBody", "Each task must be a JSON object.")
        kind = task.get("taskType")
        if kind == "authentication":
            return [{"taskType": "authentication", "connectionSessionUUID": str(uuid.uuid4())}]
        if kind is None:
            raise _missing("taskType")
        if kind not in ("videoInference", "getResponse"):
            raise Invalid("unsupportedTaskType", f"Task type '{kind}' is not supported.", "taskType")
        if "taskUUID" not in task:
            raise _missing("taskUUID")
        if not isinstance(task["taskUUID"], str) or not UUID4.match(task["taskUUID"]):
            raise _invalid("taskUUID", "must be a UUID v4 string")
        return self._submit(task) if kind == "videoInference" else self._poll(task["taskUUID"])

    # -- videoInference
    def _submit(self, task: dict[str, Any]) -> list[dict[str, Any]]:
        task_uuid = task["taskUUID"]
        ack = {"taskType": "videoInference", "taskUUID": task_uuid}
        with self._state:
            if task_uuid in self.tasks:
                if self.duplicate_task_uuid == "ack":
                    return [ack]
                if self.duplicate_task_uuid == "refuse":
                    raise Invalid("duplicateTaskUUID", "The taskUUID must be unique per task.", "taskUUID")
                raise Invalid("conflictTaskUUID", f"Task UUID {task_uuid} is already in use. Use a unique taskUUID "
                              "for each task.", "taskUUID", context={**ack, "deliveryMethod": "async"})
            self._validate(task)
            count = task.get("numberResults", 1)
            if self.balance is not None:
                cost = round(self.cost_per_result * count, 4)
                if cost > self.balance:
                    raise Invalid("insufficientCredits", "Insufficient credits. Top up your balance at "
                                  "https://my.runware.ai/wallet", None, 402)
                self.balance = round(self.balance - cost, 4)
            record = RunwareTask(task_uuid, task, count, [None] * count)
            if self._next_failures:
                record.fail_with = self._next_failures.pop(0)
            self.tasks[task_uuid] = record
        return [ack]

    def _validate(self, t: dict[str, Any]) -> None:
        unknown = sorted(set(t) - TOP_KEYS)
        if unknown:
            raise Invalid("unsupportedParameter", f"Parameter '{unknown[0]}' is not supported by {MODEL}.", unknown[0])
        if "model" not in t:
            raise _missing("model")
        if t["model"] != MODEL:
            raise Invalid("invalidModel", f"Model '{t['model']}' is not available here; use {MODEL}.", "model")
        for name, keys in SUB_KEYS.items():
            if name in t:
                if not isinstance(t[name], dict):
                    raise _invalid(name, "must be an object")
                extra = sorted(set(t[name]) - keys)
                if extra:
                    raise Invalid("unsupportedParameter", f"Parameter '{name}.{extra[0]}' is not supported.",
                                  f"{name}.{extra[0]}")
        _choice(t, "outputType", "outputType", {"URL"})
        _choice(t, "outputFormat", "outputFormat", set(FORMATS))
        _number(t, "outputQuality", "outputQuality", 20, 99, integer=True)
        _uri(t, "webhookURL", "webhookURL")
        _choice(t, "deliveryMethod", "deliveryMethod", {"async"})
        _uri(t, "uploadEndpoint", "uploadEndpoint")
        safety = t.get("safety", {})
        _boolean(safety, "checkContent", "safety.checkContent")
        _choice(safety, "mode", "safety.mode", {"none", "fast", "full"})
        _number(t, "ttl", "ttl", 60, None, integer=True)
        _boolean(t, "includeCost", "includeCost")
        _number(t, "numberResults", "numberResults", 1, 4, integer=True)
        if "inputs" not in t:
            raise _missing("inputs")
        inputs = t["inputs"]
        if "avatar" not in inputs:
            raise _missing("inputs.avatar")
        avatar = inputs["avatar"]
        if not (isinstance(avatar, str) and avatar in self.avatars):
            if not (self.accept_avatar_urls and isinstance(avatar, str) and avatar.startswith(("http://", "https"))):
                raise _invalid("inputs.avatar", "must be a HeyGen avatar id available to this account")
            _media(avatar, "inputs.avatar", uuid_ok=False)
        if "audio" in inputs:
            _media(inputs["audio"], "inputs.audio")
        if "background" in inputs:
            _media(inputs["background"], "inputs.background", data_ok=True)
        if ("width" in t) != ("height" in t):
            raise _missing("height" if "width" in t else "width")
        if "width" in t:
            _number(t, "width", "width", 1, None, integer=True)
            _number(t, "height", "height", 1, None, integer=True)
            if (t["width"], t["height"]) not in self.allowed_dimensions:
                raise _invalid("width", f"{t['width']}x{t['height']} is not a supported output size")
        if "speech" in t:
            speech = t["speech"]
            if "text" not in speech:
                raise _missing("speech.text")
            _string(speech, "text", "speech.text", 1, 5000)
            _string(speech, "voice", "speech.voice")
            _string(speech, "language", "speech.language")
            _number(speech, "volume", "speech.volume", 0, 1, integer=False)
            _number(speech, "speed", "speech.speed", 0.5, 1.5, integer=False)
            _number(speech, "pitch", "speech.pitch", -50, 50, integer=False)
        settings = t.get("settings", {})
        if "backgroundColor" in settings and not (isinstance(settings["backgroundColor"], str)
                                                  and HEX_COLOR.match(settings["backgroundColor"])):
            raise _invalid("settings.backgroundColor", "must be a hex colour such as #ff0000")
        _boolean(settings, "caption", "settings.caption")
        _choice(settings, "fit", "settings.fit", {"cover", "contain"})
        _boolean(settings, "removeBackground", "settings.removeBackground")
        if "speech" in t and "audio" in inputs:
            raise Invalid("incompatibleParameters", "Use either speech or inputs.audio, not both.", "speech")
        if "speech" not in t and "audio" not in inputs:
            raise Invalid("missingSpeech", "Either speech or inputs.audio is required.", "speech")

    # -- getResponse
    def _poll(self, task_uuid: str) -> list[dict[str, Any]]:
        with self._state:
            task = self.tasks.get(task_uuid)
            if task is None:
                raise Invalid("taskFailedOrNotFound", f"Task {task_uuid} failed or was not found.", "taskUUID")
            task.polls += 1
            self._advance(task)
            if task.error is not None and self.failed_poll_shape == "item":
                return [{"taskType": "videoInference", "taskUUID": task_uuid, "status": "error", **task.error}]
            if task.error is not None:
                raise Invalid(task.error["code"], task.error["message"], None, self.failed_poll_status,
                              task_type="videoInference", task_uuid=task_uuid)
            processing = {"taskType": "videoInference", "taskUUID": task_uuid, "status": "processing"}
            return [dict(result) if result else dict(processing) for result in task.results]

    def _advance(self, task: RunwareTask) -> None:
        """Finish the generations that are due; fire webhooks/uploads for the newly finished ones."""
        if task.error is not None:
            return
        webhook = task.request.get("webhookURL")
        for index, result in enumerate(task.results):
            due = self.polls_to_complete + (index if self.stagger_results else 0)
            if result is not None or not (task.polls >= due or task.fail_now):
                continue
            if task.fail_with is not None:
                code, message = task.fail_with
                task.error = {"code": code, "message": message}
                if webhook:
                    item = {"code": code, "message": message, "taskType": "videoInference",
                            "taskUUID": task.task_uuid}
                    self._send("POST", webhook, {"errors": [item]})
                return
            task.results[index] = item = self._result(task)
            if webhook:
                self._send("POST", webhook, {"data": [item]})
            if task.request.get("uploadEndpoint"):
                self._send("PUT", task.request["uploadEndpoint"], sample_mp4())

    def _result(self, task: RunwareTask) -> dict[str, Any]:
        video_uuid = str(uuid.uuid4())
        ext, ctype = FORMATS[task.request.get("outputFormat", "MP4")]
        item: dict[str, Any] = {"taskType": "videoInference", "taskUUID": task.task_uuid, "status": "success",
                                "videoUUID": video_uuid,
                                "videoURL": self.add_media(f"runware/{video_uuid}.{ext}", sample_mp4(), ctype),
                                "seed": uuid.UUID(video_uuid).int % 2**31}
        if task.request.get("includeCost"):
            item["cost"] = self.cost_per_result
        return item

    # -- outgoing calls
    def _send(self, method: str, url: str, payload: Any) -> None:
        threading.Thread(target=self._deliver, args=(method, url, payload), daemon=True).start()

    def _deliver(self, method: str, url: str, payload: Any) -> None:
        for attempt in range(1, self.webhook_attempts + 1):
            record: dict[str, Any] = {"method": method, "url": url, "attempt": attempt, "status": None, "error": None,
                                      "payload": payload if not isinstance(payload, bytes) else None}
            try:
                if isinstance(payload, bytes):
                    response = httpx.request(method, url, content=payload, timeout=self.webhook_timeout,
                                             headers={"Content-Type": "video/mp4"})
                else:
                    response = httpx.request(method, url, json=payload, timeout=self.webhook_timeout)
                record["status"] = response.status_code
            except httpx.HTTPError as exc:
                record["error"] = repr(exc)
            self.deliveries.append(record)
            if record["status"] is not None and 200 <= record["status"] < 300:
                return
            time.sleep(0.05 * attempt)
