"""Runware's wire format for HeyGen Avatar V (seed 004): the task model with the seed's ranges, the answer models,
the error parsers, and the helpers that turn unified arguments into task fields.

Nothing here does I/O: the provider (provider.py) sends what these build; status.py reads the answers.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from avatar_mcp.errors import InvalidInput, MediaRejected
from avatar_mcp.media import classify, require_https
from avatar_mcp.providers._http import VendorErrorInfo, body_or_none
from avatar_mcp.providers.runware.spec import IDS
from avatar_mcp.providers.wire import Answer
from avatar_mcp.specs import Scene

if TYPE_CHECKING:
    import httpx

MODEL: Literal["heygen:avatar@5"] = "heygen:avatar@5"
CONFLICT = "conflictTaskUUID"
"""A known taskUUID sent again: the official SDK takes it as "already accepted"."""
NOT_FOUND = "taskFailedOrNotFound"
AUTO_VOICE = "auto"
"""speech.voice's default (seed 004): Avatar V picks the voice itself."""
FORMATS = {"mp4": "MP4", "webm": "WEBM", "mov": "MOV"}
AVATAR_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
CAPTION_KEYS = re.compile(r"(caption|srt|subtitle).*url$", re.IGNORECASE)
"""The seed promises a sidecar SRT with captions but does not name its field: take any *caption*/*srt* URL."""
_STATUS_BY_CODE = {"invalidApiKey": 401, "insufficientCredits": 402, NOT_FOUND: 404, "rateLimitExceeded": 429}
ACCOUNT_CODES = frozenset({"invalidApiKey", "insufficientCredits", "rateLimitExceeded"})
"""Errors about the account or the request rate, never about one task's outcome."""


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Safety(_Wire):
    checkContent: bool | None = None
    mode: Literal["none", "fast", "full"] | None = None


class Inputs(_Wire):
    avatar: str = Field(min_length=1)
    audio: str | None = Field(default=None, min_length=1)
    background: str | None = Field(default=None, min_length=1)


class Speech(_Wire):
    text: str = Field(min_length=1, max_length=5000)
    voice: str = Field(default=AUTO_VOICE, min_length=1)
    language: str | None = Field(default=None, min_length=1)
    volume: float | None = Field(default=None, ge=0, le=1)
    speed: float | None = Field(default=None, ge=0.5, le=1.5)
    pitch: float | None = Field(default=None, ge=-50, le=50)


class TaskSettings(_Wire):
    backgroundColor: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    caption: bool | None = None
    fit: Literal["cover", "contain"] | None = None
    removeBackground: bool | None = None


class VideoInference(_Wire):
    """One `videoInference` task with every option of seed 004, ranges included."""

    taskType: Literal["videoInference"] = "videoInference"
    taskUUID: str = Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    model: Literal["heygen:avatar@5"] = MODEL
    outputType: Literal["URL"] = "URL"
    outputFormat: Literal["MP4", "WEBM", "MOV"] = "MP4"
    outputQuality: int | None = Field(default=None, ge=20, le=99)
    webhookURL: str | None = Field(default=None, pattern=r"^https?://\S+$")
    deliveryMethod: Literal["async"] = "async"
    uploadEndpoint: str | None = Field(default=None, pattern=r"^https://\S+$")
    safety: Safety | None = None
    ttl: int | None = Field(default=None, ge=60)
    includeCost: bool = True
    numberResults: int = Field(default=1, ge=1, le=4)
    inputs: Inputs
    width: int | None = Field(default=None, ge=1)
    height: int | None = Field(default=None, ge=1)
    speech: Speech | None = None
    settings: TaskSettings | None = None

    @model_validator(mode="after")
    def _rules(self) -> VideoInference:
        if (self.width is None) != (self.height is None):
            raise ValueError("width and height go together")
        if (self.speech is None) == (self.inputs.audio is None):
            raise ValueError("give exactly one of speech (a script) or audio")
        return self

    def wire(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def task_uuid_for(job_id: str) -> str:
    """The job's taskUUID: stable across restarts (so it can be re-polled or re-sent), shaped as a UUID v4."""
    digest = hashlib.sha256(f"avatar-mcp/runware/{job_id}".encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))


def _answer(response: httpx.Response) -> Envelope:
    body = body_or_none(response)
    return envelope(body) or Envelope()


def parse_error(response: httpx.Response) -> VendorErrorInfo | None:
    """Runware's `errors` items as an error, except task outcomes (a failed task, a known taskUUID): callers
    read those from the body."""
    answer = _answer(response)
    if not answer.errors:
        if response.is_success:
            return None
        return VendorErrorInfo(status=response.status_code, message=response.reason_phrase or "error")
    blocking = [e for e in answer.errors if e.status != "error" and e.code != CONFLICT]
    if not blocking or (response.is_success and answer.data):
        return None
    first = blocking[0]
    code = first.code or None
    status = _STATUS_BY_CODE.get(code or "", response.status_code)
    if status < 400:
        status = 400 if code and code.startswith(("missing", "invalid", "unsupported", "incompatible")) else 502
    return VendorErrorInfo(status=status, message=first.message or code or "error", code=code,
                           param=first.parameter or None)


def parse_poll_error(response: httpx.Response) -> VendorErrorInfo | None:
    """A getResponse answer: an `errors` item naming a taskUUID is that task's outcome, whatever the HTTP status
    below 500 (Runware answers a failed task with the errors envelope and no data item, often with HTTP 200; the
    official SDK's `_extract_items` takes it as the failure): the caller reads it from the body. Account errors
    (key, credits, rate), 5xx and errors naming no task go through `parse_error`."""
    errors = _answer(response).errors
    outcomes = [e for e in errors if e.taskUUID and (e.code or "") not in ACCOUNT_CODES]
    if response.status_code < 500 and errors and len(outcomes) == len(errors):
        return None
    return parse_error(response)


# ---------------------------------------------------------------------------------------------- mapping helpers

DEFAULT_RESULTS = 1
"""numberResults when `variants` is not given (the seed's default). It is always sent: polls count results by it.
The other options are left out when not given, so Runware applies the seed's defaults itself (quality 95, no
safety check, volume 1, background kept; in create_video the server picks the fit, while create_photo_video always
sends its own `fit`)."""


def task_options(given: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level videoInference fields for the render options given (`check_options`' answer)."""
    fields: dict[str, Any] = {"outputQuality": given.get("quality"), "ttl": given.get("ttl_seconds"),
                              "numberResults": given.get("variants", DEFAULT_RESULTS)}
    if "safety" in given:
        fields["safety"] = {"checkContent": given["safety"] != "none", "mode": given["safety"]}
    if "upload_url" in given:
        fields["uploadEndpoint"] = upload_endpoint(given["upload_url"])
    return fields


def upload_endpoint(url: str) -> str:
    """Where Runware PUTs the finished video as well: an https URL it can reach (a presigned upload URL)."""
    try:
        return require_https(url, what="upload URL", vendor="Runware")
    except MediaRejected as exc:
        raise InvalidInput(f"options.upload_url must be an https URL on the public internet, not {url!r}: Runware "
                           f"PUTs the finished video there (use a presigned upload URL, e.g. S3 or Google Cloud "
                           f"Storage).",
                           field="options.upload_url") from exc


def unsupported_scene(scene: Scene) -> list[str]:
    """Scene settings Avatar V has no field for: refused rather than silently dropped."""
    found = []
    if scene.silence_seconds is not None:
        found.append("silence_seconds (Avatar V needs a script or an audio file)")
    if scene.emotion is not None:
        found.append("emotion")
    if scene.avatar_style != "normal":
        found.append("avatar_style")
    if scene.scale != 1.0 or scene.offset_x or scene.offset_y:
        found.append("scale/offset")
    if scene.background is not None and scene.background.type != "color" and scene.background.fit != "cover":
        found.append("background fit")
    return found


def reject(unsupported: list[str]) -> None:
    """Raise one InvalidInput naming every unsupported setting."""
    if unsupported:
        raise InvalidInput(f"Runware's HeyGen Avatar V does not support: {', '.join(unsupported)}. Remove "
                           f"{'it' if len(unsupported) == 1 else 'them'}, or use provider 'heygen'.",
                           field=unsupported[0].split(" ", 1)[0])


def avatar_id(value: str, field: str) -> str:
    """A HeyGen avatar id: Avatar V animates registered avatars, never a picture file or URL."""
    text = value.strip()
    if classify(text) == "asset":
        text = text.split(":", 1)[1]
    if AVATAR_ID.match(text) and IDS.pattern.fullmatch(text):
        return text
    looks_like_file = classify(text) == "url" or "/" in text or "\\" in text or bool(PurePath(text).suffix)
    what = "a picture file or URL" if looks_like_file else f"{value!r}"
    raise InvalidInput(f"{field}: Runware's HeyGen Avatar V animates a HeyGen avatar by id, not {what}. Nothing was "
                       f"sent. Pass a HeyGen avatar "
                       f"id (a photo avatar or digital twin, e.g. from list_avatars with provider 'heygen'), or make "
                       f"the photo talk with provider 'heygen' (Avatar IV) or 'local'.", field=field)


def remote_media(source: str, field: str, what: str) -> str:
    """An https URL or a Runware asset UUID; Runware takes no local files here (no upload in seed 004)."""
    kind = classify(source)
    if kind == "url":
        return require_https(source, what=f"{field} URL", vendor="Runware")
    if kind == "asset" or UUID_TEXT.match(source.strip()):
        return runware_uuid(source, field)
    raise MediaRejected(f"Runware takes {what} as an https URL (or a Runware asset UUID), not a local file: host "
                        f"{source!r} somewhere that serves https and pass that URL, or use a script instead.",
                        source=source)


def runware_uuid(source: str, field: str) -> str:
    """A Runware asset reference (`asset:<uuid>` or a bare UUID) as the UUID."""
    text = source.strip()
    text = text.split(":", 1)[1] if text.lower().startswith("asset:") else text
    if not UUID_TEXT.match(text):
        raise InvalidInput(f"{field}: a Runware asset must be a UUID, got {source!r}.", field=field)
    return text


class ResultItem(Answer):
    """One generation in a `data` list: still processing, or done with its video (and cost with includeCost)."""

    model_config = ConfigDict(extra="allow")
    taskUUID: str | None = None
    status: str | None = None
    videoURL: str | None = None
    cost: float | None = None
    code: str | None = None
    message: str | None = None
    error: str | dict[str, Any] | None = None
    """An item of status `error` (reference C) carries its reason in fields the docs do not name: read them all."""

    def failure(self) -> tuple[str | None, str | None]:
        """The code and reason of an item of status `error`, wherever they are given."""
        nested = self.error if isinstance(self.error, dict) else {}
        code = self.code or (str(nested["code"]) if nested.get("code") else None)
        reason = self.message or (self.error if isinstance(self.error, str) else None) or (
            str(nested["message"]) if nested.get("message") else None)
        return code, reason

    def captions_url(self) -> str | None:
        """The sidecar SRT's URL, under whichever field name it comes (the seed does not name it)."""
        extra = self.model_extra or {}
        return next((v for k, v in extra.items() if CAPTION_KEYS.search(k) and isinstance(v, str)), None)


class ErrorItem(Answer):
    """One `errors` item: an account problem, a refused request, or one task's outcome (when it names the task)."""

    taskUUID: str | None = None
    code: str | None = None
    message: str | None = None
    parameter: str | None = None
    status: str | None = None


class Envelope(Answer):
    """Every Runware answer: `{data: [...], errors: [...]}`, either may be absent."""

    data: list[ResultItem] = Field(default_factory=list)
    errors: list[ErrorItem] = Field(default_factory=list)

    def acknowledges(self, task_uuid: str) -> bool:
        """The create was taken: acknowledged now, or earlier (`conflictTaskUUID` on a re-send)."""
        return any(d.taskUUID == task_uuid for d in self.data) or any(e.code == CONFLICT for e in self.errors)


def envelope(body: Any) -> Envelope | None:
    """An answer body as an Envelope, or None when it is not one."""
    try:
        return Envelope.model_validate(body)
    except ValidationError:
        return None
