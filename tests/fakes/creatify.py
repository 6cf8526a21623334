"""Creatify emulator: custom avatars (personas_v2, seed 003), lipsyncs v1/v2, voices, credits; Django REST style.

Behaviour where the references are silent (clients must tolerate it; several points are constructor options):
- Auth: X-API-ID and X-API-KEY both required; 401 `{"detail": "Authentication credentials were not provided."}` if one
  is missing, `{"detail": "Incorrect authentication credentials."}` if wrong (DRF's messages).
- Paths end in "/". Without it, `missing_slash="redirect"` (default, Django APPEND_SLASH) answers 301 to the slashed
  path for every method, before auth; `"404"` answers 404. Wrong method: 405 `{"detail": "Method \"PUT\" not
  allowed."}`. Unknown id: 404 `{"detail": "Not found."}`. Malformed JSON: 400 `{"detail": "JSON parse error - ..."}`.
- Field errors: 400 `{field: ["message"]}` in DRF wording; cross-field ones under `non_field_errors`; lipsyncs_v2 scene
  errors nest per item: `{"video_inputs": [{}, {"voice": {"voice_id": ["..."]}}]}`. Unknown fields are ignored.
- Media the vendor fetches (persona files given as URLs, lipsync `audio`, v2 `audio_url`, background `url`) must be
  https: `["Enter a valid https URL."]`. Uploaded persona files must be .mp4/.mov.
- `creator` / `avatar_id` must be an existing persona that is done: else `Invalid pk "<id>" - object does not
  exist.`, or `Persona "<id>" is not ready (process_status: ...)` for a custom one still in progress.
- POST personas_v2 -> 201; POST lipsyncs / lipsyncs_v2 -> 200 (what integrations observe), with the full record.
  `progress` is a string fraction "0.0".."1.0". Lipsync statuses: pending -> in_queue -> running -> done | failed.
- Credits: 5 per started 30 s of estimated speech (words / 2.5 s; `audio_seconds` for audio), deducted at creation,
  not refunded; too few -> `credits_error_status` (400) `{"detail": "Insufficient credits: ..."}`.
  `GET /api/remaining_credits/` -> `{"remaining_credits": n}`.
- Lists `/api/personas/`, `/api/lipsyncs/`, `/api/lipsyncs_v2/`, `/api/voices/` are plain arrays (lipsyncs filter by
  `?ids=a,b`); `/api/personas/paginated/` and `/api/voices/?page=` are DRF pages `{count, next, previous, results}`.
  Reference B does not say how `GET /api/personas/` answers: `paged_lists=True` makes it (and `/api/voices/`) DRF
  pages too, and `links="relative"` gives `next`/`previous` as paths (`/api/personas/?page=2`), not absolute URLs.
- A job is terminal on its `polls_to_complete`-th GET (a persona walks every seed status; a forced outcome replaces
  done). Webhook: POST `{id, status, failed_reason, output}` (unsigned) on the terminal state, `webhook_repeats`
  times; for personas `status` is the process_status and `output` null.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ._harness import FakeVendor, sample_jpeg, sample_mp4

PERSONA_FLOW = ("pending", "processing", "voice_creating", "video_validating", "crop_and_matte", "reviewing", "done")
LIPSYNC_FLOW = ("pending", "in_queue", "running", "done")
TERMINAL = frozenset({"done", "failed", "rejected"})
ASPECTS, RATIOS = ("16x9", "1x1", "9x16"), ("16_9", "1_1", "9_16")
MODEL_VERSIONS = ("standard", "aurora_v1", "aurora_v1_fast")
REQUIRED, BLANK, NULL = "This field is required.", "This field may not be blank.", "This field may not be null."
NS = uuid.UUID("6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
STOCK_PERSONAS = (("Olivia", "f"), ("Marcus", "m"), ("River", "nb"))
VOICES = (("Aria", "female", ("American", "British")), ("Leo", "male", ("American", "Australian")),
          ("Sky", "non_binary", ("American",)))
Handler = Callable[[Request], Awaitable[Response]]


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _url_ok(value: Any, *, https: bool) -> bool:
    return isinstance(value, str) and bool(re.match(r"^https://[^\s/]+" if https else r"^https?://[^\s/]+", value))


@dataclass
class _Job:
    kind: Literal["persona", "lipsync", "lipsync_v2"]
    record: dict[str, Any]
    polls: int = 0
    outcome: tuple[str, str] | None = None


class _Body:
    """A request body, JSON or form, seen the way a DRF serializer sees it."""

    def __init__(self, data: dict[str, Any], lists: dict[str, list[Any]], is_form: bool) -> None:
        self.data, self.lists, self.is_form = data, lists, is_form

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def has(self, key: str) -> bool:
        return key in self.data

    def boolean(self, key: str, errors: dict[str, Any]) -> bool:
        value = self.data.get(key, False)
        if self.is_form and isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        if not isinstance(value, bool):
            errors[key] = ["Must be a valid boolean."]
            return False
        return value


class CreatifyFake(FakeVendor):
    """Creatify's avatar and lipsync API (Django REST Framework flavoured), served over real HTTP."""

    def __init__(self, credentials: tuple[str, str] = ("test-creatify-id", "test-creatify-key"), *,
                 polls_to_complete: int = 3, credits: int = 100, credits_error_status: int = 400,
                 missing_slash: Literal["redirect", "404"] = "redirect", webhook_repeats: int = 1,
                 audio_seconds: float = 10.0, webhook_timeout: float = 5.0, paged_lists: bool = False,
                 links: Literal["absolute", "relative"] = "absolute") -> None:
        self.credentials = credentials
        self.polls_to_complete = polls_to_complete
        self.credits = credits
        self.credits_error_status = credits_error_status
        self.missing_slash = missing_slash
        self.webhook_repeats = webhook_repeats
        self.audio_seconds = audio_seconds
        self.webhook_timeout = webhook_timeout
        self.paged_lists = paged_lists
        self.links = links
        self.personas: dict[str, dict[str, Any]] = {}
        self.lipsyncs: dict[str, dict[str, Any]] = {}
        self.lipsyncs_v2: dict[str, dict[str, Any]] = {}
        self.voices: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.jobs: dict[str, _Job] = {}
        self._next_persona: list[tuple[str, str]] = []
        self._next_lipsync: list[str] = []
        self._state = threading.RLock()
        super().__init__()
        self._seed()

    def _seed(self) -> None:
        self.add_media("creatify/preview.mp4", sample_mp4(), "video/mp4")
        self.add_media("creatify/preview.jpg", sample_jpeg(), "image/jpeg")
        self.add_media("creatify/voice.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00", "audio/mpeg")
        for name, gender, accents in VOICES:
            self.voices.append({"name": name, "gender": gender, "accents": [
                {"id": str(uuid.uuid5(NS, f"{name}/{accent}")), "accent_name": accent,
                 "preview_url": "/_media/creatify/voice.mp3"} for accent in accents]})
        for (name, gender), voice in zip(STOCK_PERSONAS, self.voices, strict=True):
            persona_id = str(uuid.uuid5(NS, name))
            self.personas[persona_id] = self._persona_record(persona_id, {"creator_name": name, "gender": gender})
            self._finish_persona(self.personas[persona_id], voice["accents"][0]["id"])

    def routes(self) -> list[BaseRoute]:
        table: list[tuple[str, dict[str, Handler]]] = [
            ("/api/personas_v2/", {"POST": self._create_persona}),
            ("/api/personas/paginated/", {"GET": self._list_personas}),
            ("/api/personas/", {"GET": self._list_personas}),
            ("/api/personas/{id}/", {"GET": self._get_persona}),
            ("/api/lipsyncs/", {"GET": self._list_lipsyncs, "POST": self._create_lipsync}),
            ("/api/lipsyncs/{id}/", {"GET": self._get_lipsync}),
            ("/api/lipsyncs_v2/", {"GET": self._list_lipsyncs, "POST": self._create_lipsync_v2}),
            ("/api/lipsyncs_v2/{id}/", {"GET": self._get_lipsync}),
            ("/api/voices/", {"GET": self._list_voices}),
            ("/api/remaining_credits/", {"GET": self._remaining_credits}),
        ]
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        routes: list[BaseRoute] = []
        for path, handlers in table:
            routes.append(Route(path, self._dispatch(handlers), methods=methods))
            routes.append(Route(path.rstrip("/"), self._no_slash, methods=methods))
        return routes

    # -- helpers for tests
    def force_persona(self, persona_id: str, status: Literal["failed", "rejected"] = "rejected",
                      reason: str = "The consent video does not match the person in the footage.") -> None:
        """The persona ends in `status` with `reason` instead of done."""
        self.jobs[persona_id].outcome = (status, reason)

    def fail_next_persona(self, status: Literal["failed", "rejected"] = "rejected",
                          reason: str = "The consent video does not match the person in the footage.") -> None:
        self._next_persona.append((status, reason))

    def fail_lipsync(self, lipsync_id: str, reason: str = "Rendering failed.") -> None:
        self.jobs[lipsync_id].outcome = ("failed", reason)

    def fail_next_lipsync(self, reason: str = "Rendering failed.") -> None:
        self._next_lipsync.append(reason)

    def complete(self, job_id: str) -> None:
        """Take a persona or lipsync to its terminal state now (firing its webhook)."""
        with self._state:
            job = self.jobs[job_id]
            job.polls = max(job.polls, self.polls_to_complete)
            self._advance(job)

    def rate_limit(self, times: int = 1, retry_after: int = 2) -> None:
        self.add_fault("*", "^/api/", status=429, times=times, headers={"Retry-After": str(retry_after)},
                       body={"detail": f"Request was throttled. Expected available in {retry_after} seconds."})

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.deliveries)

    # -- plumbing
    def _dispatch(self, handlers: dict[str, Handler]) -> Handler:
        async def endpoint(request: Request) -> Response:
            api_id, api_key = request.headers.get("x-api-id"), request.headers.get("x-api-key")
            if not api_id or not api_key:
                return JSONResponse({"detail": "Authentication credentials were not provided."}, status_code=401)
            if (api_id, api_key) != self.credentials:
                return JSONResponse({"detail": "Incorrect authentication credentials."}, status_code=401)
            handler = handlers.get(request.method)
            if handler is None:
                return JSONResponse({"detail": f'Method "{request.method}" not allowed.'}, status_code=405)
            return await handler(request)

        return endpoint

    async def _no_slash(self, request: Request) -> Response:
        if self.missing_slash == "404":
            return Response("<h1>Not Found</h1>", status_code=404, media_type="text/html")
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{request.url.path}/{query}", status_code=301)

    def _render(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._render(v) for v in value]
        if isinstance(value, str) and value.startswith("/_media/"):
            return self.base_url + value
        return value

    def _json(self, value: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(self._render(value), status_code=status)

    async def _body(self, request: Request) -> _Body | Response:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            form = await request.form(max_part_size=64 * 1024 * 1024)
            keys = set(form.keys())
            return _Body({k: form.get(k) for k in keys}, {k: form.getlist(k) for k in keys}, True)
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError as exc:
            return JSONResponse({"detail": f"JSON parse error - {exc}"}, status_code=400)
        if not isinstance(data, dict):
            return JSONResponse({"non_field_errors": [f"Invalid data. Expected a dictionary, but got "
                                                      f"{type(data).__name__}."]}, status_code=400)
        return _Body(data, {k: v if isinstance(v, list) else [v] for k, v in data.items()}, False)

    @staticmethod
    def _not_found() -> JSONResponse:
        return JSONResponse({"detail": "Not found."}, status_code=404)

    @staticmethod
    def _text(body: _Body, key: str, errors: dict[str, Any], *, required: bool = False, max_length: int = 255) -> Any:
        if not body.has(key) or body.get(key) is None:
            if required:
                errors[key] = [REQUIRED if not body.has(key) else NULL]
            return None
        value = body.get(key)
        if not isinstance(value, str):
            errors[key] = ["Not a valid string."]
        elif required and not value.strip():
            errors[key] = [BLANK]
        elif len(value) > max_length:
            errors[key] = [f"Ensure this field has no more than {max_length} characters."]
        return value

    @staticmethod
    def _choice(body: _Body, key: str, choices: tuple[str, ...], errors: dict[str, Any], *, required: bool) -> Any:
        value = body.get(key)
        if value is None:
            if required:
                errors[key] = [REQUIRED if not body.has(key) else NULL]
        elif value not in choices:
            errors[key] = [f'"{value}" is not a valid choice.']
        return value

    @staticmethod
    def _url(body: _Body, key: str, errors: dict[str, Any], *, https: bool, max_length: int = 1024,
             required: bool = False) -> Any:
        value = body.get(key)
        if value in (None, ""):
            if required:
                errors[key] = [REQUIRED]
            return None
        if not _url_ok(value, https=False) or len(value) > max_length:
            errors[key] = ["Enter a valid URL."]
        elif https and not _url_ok(value, https=True):
            errors[key] = ["Enter a valid https URL."]
        return value

    def _charge(self, seconds: float) -> int | Response:
        cost = 5 * max(1, math.ceil(seconds / 30))
        if cost > self.credits:
            return JSONResponse({"detail": f"Insufficient credits: this job needs {cost} credits, "
                                           f"{self.credits} remaining."}, status_code=self.credits_error_status)
        self.credits -= cost
        return cost

    # -- personas
    def _persona_record(self, persona_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        now = _now()
        return {"id": persona_id, "gender": fields.get("gender"), "creator_name": fields.get("creator_name"),
                "video_scene": fields.get("video_scene"), "keywords": fields.get("keywords"),
                "labels": fields.get("labels", []), "webhook_url": fields.get("webhook_url"),
                "lipsync_input": fields.get("lipsync_input"), "lipsync_input_url": fields.get("lipsync_input") or "",
                "consent_video": fields.get("consent_video"), "matching_voice_non_null": "",
                "process_status": "pending", "failed_reason": None, "is_active": False, "created_at": now,
                "updated_at": now, **{f"preview_{kind}_{ratio}": None for kind in ("image", "video")
                                      for ratio in RATIOS}}

    def _finish_persona(self, record: dict[str, Any], accent_id: str | None = None) -> None:
        """Done: active, previews served here, and a matching voice (a new custom voice for custom personas)."""
        record.update(process_status="done", is_active=True, failed_reason=None)
        for ratio in RATIOS:
            record[f"preview_image_{ratio}"] = "/_media/creatify/preview.jpg"
            record[f"preview_video_{ratio}"] = "/_media/creatify/preview.mp4"
        record["matching_voice_non_null"] = accent_id or str(uuid.uuid5(NS, f"persona-voice/{record['id']}"))
        if accent_id is None:
            accent_id = record["matching_voice_non_null"]
            self.voices.append({"name": record["creator_name"], "gender": record["gender"], "accents": [
                {"id": accent_id, "accent_name": "Custom", "preview_url": "/_media/creatify/voice.mp3"}]})

    async def _media_field(self, body: _Body, key: str, errors: dict[str, Any]) -> str | None:
        value = body.get(key)
        if value in (None, ""):
            return None
        if isinstance(value, UploadFile):
            ext = (value.filename or "").rsplit(".", 1)[-1].lower() if "." in (value.filename or "") else ""
            if ext not in ("mp4", "mov"):
                errors[key] = [f"File extension “{ext}” is not allowed. Allowed extensions are: mp4, mov."]
                return None
            name = f"creatify/uploads/{uuid.uuid4()}.{ext}"
            self.add_media(name, await value.read(), "video/mp4" if ext == "mp4" else "video/quicktime")
            return f"/_media/{name}"
        if isinstance(value, str) and _url_ok(value, https=False):
            if not _url_ok(value, https=True):
                errors[key] = ["Enter a valid https URL."]
            return value
        errors[key] = ["The submitted data was not a file. Check the encoding type on the form."]
        return None

    async def _create_persona(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        errors: dict[str, Any] = {}
        fields = {"gender": self._choice(body, "gender", ("m", "f", "nb"), errors, required=True),
                  "creator_name": self._text(body, "creator_name", errors, required=True),
                  "video_scene": self._text(body, "video_scene", errors),
                  "keywords": self._text(body, "keywords", errors),
                  "webhook_url": self._url(body, "webhook_url", errors, https=False, max_length=200),
                  "lipsync_input": await self._media_field(body, "lipsync_input", errors),
                  "consent_video": await self._media_field(body, "consent_video", errors)}
        labels = body.lists.get("labels", [])
        if body.has("labels") and not body.is_form and not isinstance(body.get("labels"), list):
            errors["labels"] = [f'Expected a list of items but got type "{type(body.get("labels")).__name__}".']
        elif not all(isinstance(label, str) for label in labels):
            errors["labels"] = ["Not a valid string."]
        fields["labels"] = labels
        if errors:
            return JSONResponse(errors, status_code=400)
        with self._state:
            persona_id = str(uuid.uuid4())
            record = self.personas[persona_id] = self._persona_record(persona_id, fields)
            job = self.jobs[persona_id] = _Job("persona", record)
            if self._next_persona:
                job.outcome = self._next_persona.pop(0)
        return self._json(record, 201)

    async def _get_persona(self, request: Request) -> Response:
        persona_id = request.path_params["id"]
        with self._state:
            if persona_id not in self.personas:
                return self._not_found()
            job = self.jobs.get(persona_id)
            if job is not None:
                job.polls += 1
                self._advance(job)
            return self._json(self.personas[persona_id])

    async def _list_personas(self, request: Request) -> Response:
        items = list(self.personas.values())
        paged = self.paged_lists or request.url.path.endswith("/paginated/")
        return self._page(request, items) if paged else self._json(items)

    def _page(self, request: Request, items: list[Any]) -> Response:
        try:
            page = int(request.query_params.get("page", "1"))
            size = max(1, min(100, int(request.query_params.get("page_size", "20"))))
        except ValueError:
            return JSONResponse({"detail": "Invalid page."}, status_code=404)
        pages = max(1, math.ceil(len(items) / size))
        if not 1 <= page <= pages:
            return JSONResponse({"detail": "Invalid page."}, status_code=404)

        def link(number: int) -> str | None:
            url = request.url.include_query_params(page=number)
            if not 1 <= number <= pages:
                return None
            return f"{url.path}?{url.query}" if self.links == "relative" else str(url)

        return self._json({"count": len(items), "next": link(page + 1), "previous": link(page - 1),
                           "results": items[(page - 1) * size:page * size]})

    # -- lipsyncs
    def _creator(self, value: Any, key: str, errors: dict[str, Any]) -> None:
        if value in (None, ""):
            errors[key] = [REQUIRED]
        elif not isinstance(value, str) or value not in self.personas:
            errors[key] = [f'Invalid pk "{value}" - object does not exist.']
        elif not self.personas[value]["is_active"]:
            status = self.personas[value]["process_status"]
            errors[key] = [f'Persona "{value}" is not ready (process_status: {status}).']

    def _accent(self, value: Any, key: str, errors: dict[str, Any], *, required: bool) -> None:
        if value in (None, ""):
            if required:
                errors[key] = [REQUIRED]
        elif not any(accent["id"] == value for voice in self.voices for accent in voice["accents"]):
            errors[key] = [f'Invalid pk "{value}" - object does not exist.']

    @staticmethod
    def _seconds(text: Any, default: float) -> float:
        return max(1.0, len(text.split()) / 2.5) if isinstance(text, str) and text.strip() else default

    def _job_record(self, fields: dict[str, Any], cost: int, seconds: float) -> dict[str, Any]:
        now = _now()
        return {"id": str(uuid.uuid4()), **fields, "status": "pending", "progress": "0.0", "output": None,
                "video_thumbnail": None, "credits_used": cost, "duration": math.ceil(seconds), "failed_reason": None,
                "preview": None, "editor_url": None, "media_job": None, "created_at": now, "updated_at": now}

    def _store_job(self, kind: Literal["lipsync", "lipsync_v2"], fields: dict[str, Any], seconds: float) -> Response:
        """Charge the credits, then record the job (pending)."""
        with self._state:
            cost = self._charge(seconds)
            if isinstance(cost, Response):
                return cost
            record = self._job_record(fields, cost, seconds)
            (self.lipsyncs if kind == "lipsync" else self.lipsyncs_v2)[record["id"]] = record
            job = self.jobs[record["id"]] = _Job(kind, record)
            if self._next_lipsync:
                job.outcome = ("failed", self._next_lipsync.pop(0))
        return self._json(record)

    async def _create_lipsync(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        errors: dict[str, Any] = {}
        self._choice(body, "aspect_ratio", ASPECTS, errors, required=True)
        self._creator(body.get("creator"), "creator", errors)
        self._accent(body.get("accent"), "accent", errors, required=False)
        self._text(body, "text", errors, max_length=100_000)
        self._url(body, "audio", errors, https=True)
        self._text(body, "name", errors)
        self._text(body, "caption_style", errors)
        self._choice(body, "model_version", MODEL_VERSIONS, errors, required=False)
        self._url(body, "webhook_url", errors, https=False, max_length=200)
        flags = {key: body.boolean(key, errors) for key in ("green_screen", "no_caption", "no_music")}
        text, audio = body.get("text"), body.get("audio")
        if not (isinstance(text, str) and text.strip()) and not audio and not errors:
            errors["non_field_errors"] = ["Either text or audio is required."]
        if errors:
            return JSONResponse(errors, status_code=400)
        keys = ("name", "text", "audio", "creator", "accent", "aspect_ratio", "caption_style", "webhook_url")
        fields = {key: body.get(key) for key in keys} | flags
        fields["model_version"] = body.get("model_version") or "standard"
        return self._store_job("lipsync", fields, self.audio_seconds if audio else self._seconds(text, 1.0))

    def _scene_errors(self, scene: Any) -> tuple[dict[str, Any], float]:
        """One lipsyncs_v2 scene: its nested DRF-style errors and its estimated speech seconds."""
        if not isinstance(scene, dict):
            return {"non_field_errors": ["Invalid data. Expected a dictionary."]}, 0.0
        errors: dict[str, Any] = {key: [REQUIRED] for key in ("character", "voice")
                                  if not isinstance(scene.get(key), dict)}
        seconds = 0.0
        parts = {key: _Body(scene[key], {}, False) for key in ("character", "voice", "background")
                 if isinstance(scene.get(key), dict)}
        subs: dict[str, dict[str, Any]] = {key: {} for key in parts}
        if "character" in parts:
            self._choice(parts["character"], "type", ("avatar",), subs["character"], required=False)
            self._creator(parts["character"].get("avatar_id"), "avatar_id", subs["character"])
        if "voice" in parts:
            voice = parts["voice"]
            self._choice(voice, "type", ("text", "audio"), subs["voice"], required=True)
            if voice.get("type") == "text":
                self._text(voice, "input_text", subs["voice"], required=True, max_length=100_000)
                self._accent(voice.get("voice_id"), "voice_id", subs["voice"], required=True)
                seconds = self._seconds(voice.get("input_text"), 1.0)
            elif voice.get("type") == "audio":
                self._url(voice, "audio_url", subs["voice"], https=True, required=True)
                seconds = self.audio_seconds
        if scene.get("background") is not None and "background" not in parts:
            errors["background"] = {"non_field_errors": ["Invalid data. Expected a dictionary."]}
        elif "background" in parts:
            background = parts["background"]
            self._choice(background, "type", ("image", "video", "color"), subs["background"], required=True)
            if background.get("type") == "color" and not re.match(r"^#[0-9a-fA-F]{6}$", str(background.get("value"))):
                subs["background"]["value"] = ["Enter a hex colour such as #ffffff."]
            elif background.get("type") in ("image", "video"):
                self._url(background, "url", subs["background"], https=True, required=True)
        errors.update({key: sub for key, sub in subs.items() if sub})
        return errors, seconds

    async def _create_lipsync_v2(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        errors: dict[str, Any] = {}
        self._choice(body, "aspect_ratio", ASPECTS, errors, required=True)
        self._text(body, "name", errors)
        self._choice(body, "model_version", MODEL_VERSIONS, errors, required=False)
        self._url(body, "webhook_url", errors, https=False, max_length=200)
        scenes, seconds = body.get("video_inputs"), 0.0
        if scenes is None:
            errors["video_inputs"] = [REQUIRED]
        elif not isinstance(scenes, list):
            errors["video_inputs"] = [f'Expected a list of items but got type "{type(scenes).__name__}".']
        elif not scenes:
            errors["video_inputs"] = ["This list may not be empty."]
        else:
            results = [self._scene_errors(scene) for scene in scenes]
            seconds = sum(s for _, s in results)
            if any(e for e, _ in results):
                errors["video_inputs"] = [e for e, _ in results]
        if errors:
            return JSONResponse(errors, status_code=400)
        fields = {key: body.get(key) for key in ("name", "aspect_ratio", "video_inputs", "webhook_url")}
        fields["model_version"] = body.get("model_version") or "standard"
        return self._store_job("lipsync_v2", fields, seconds)

    async def _get_lipsync(self, request: Request) -> Response:
        table = self.lipsyncs_v2 if request.url.path.startswith("/api/lipsyncs_v2/") else self.lipsyncs
        with self._state:
            job = self.jobs.get(request.path_params["id"]) if request.path_params["id"] in table else None
            if job is None:
                return self._not_found()
            job.polls += 1
            self._advance(job)
            return self._json(job.record)

    async def _list_lipsyncs(self, request: Request) -> Response:
        table = self.lipsyncs_v2 if request.url.path.startswith("/api/lipsyncs_v2/") else self.lipsyncs
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        return self._json([r for r in table.values() if not ids or r["id"] in ids])

    async def _list_voices(self, request: Request) -> Response:
        paged = self.paged_lists or "page" in request.query_params
        return self._page(request, self.voices) if paged else self._json(self.voices)

    async def _remaining_credits(self, request: Request) -> Response:
        return self._json({"remaining_credits": self.credits})

    # -- lifecycle
    def _advance(self, job: _Job) -> None:
        record = job.record
        key = "process_status" if job.kind == "persona" else "status"
        if record[key] in TERMINAL:
            return
        flow = PERSONA_FLOW if job.kind == "persona" else LIPSYNC_FLOW
        last = len(flow) - 1
        stage = min(last, job.polls * last // max(1, self.polls_to_complete))
        record["updated_at"] = _now()
        if job.kind != "persona":
            record["progress"] = str(round(stage / last, 2))
        if stage < last:
            record[key] = flow[stage]
            return
        if job.outcome is not None:
            record[key], record["failed_reason"] = job.outcome
        elif job.kind == "persona":
            self._finish_persona(record)
        else:
            name = f"creatify/{job.kind}/{record['id']}"
            record.update(status="done", progress="1.0",
                          output=self.add_media(f"{name}.mp4", sample_mp4(), "video/mp4"),
                          video_thumbnail=self.add_media(f"{name}.jpg", sample_jpeg(), "image/jpeg"))
        if record.get("webhook_url"):
            payload = self._render({"id": record["id"], "status": record[key],
                                    "failed_reason": record["failed_reason"], "output": record.get("output")})
            threading.Thread(target=self._deliver, args=(record["webhook_url"], payload), daemon=True).start()

    def _deliver(self, url: str, payload: dict[str, Any]) -> None:
        for attempt in range(1, self.webhook_repeats + 1):
            entry: dict[str, Any] = {"url": url, "payload": payload, "attempt": attempt, "status": None, "error": None}
            try:
                entry["status"] = httpx.post(url, json=payload, timeout=self.webhook_timeout).status_code
            except httpx.HTTPError as exc:
                entry["error"] = repr(exc)
            self.deliveries.append(entry)
