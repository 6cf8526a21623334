"""What both HeyGen API generations share: error parsing, answer decoding, credit rates, timing.

HeyGen answers in three shapes (reference/vendor-apis.md A, heygen-v3.md 1):
- legacy `{code: 100, data, message}`; errors `{code: <int>, message}`, sometimes with HTTP 200;
- v2 `{error: null, data}`; errors `{error: {code: "<string>", message} | "<message>", data: null}`;
- v3 `{data}` (lists add `has_more`, `next_token`); errors `{error: {code, message, param?, doc_url?}}`.
`parse_error` reads all three, including errors hidden in a 200, for providers/_http.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from avatar_mcp import operations as ops
from avatar_mcp.checklist import estimate_speech_seconds, estimate_video_seconds
from avatar_mcp.errors import ServerError
from avatar_mcp.models import Cost, PhotoVideoSpec, PromptVideoSpec, VideoSpec
from avatar_mcp.providers._http import CREATE_TIMEOUT, IdRule, VendorErrorInfo

PROVIDER = "heygen"
IDS = IdRule("HeyGen", re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"),
             "'josh_lite3_20230714' or '1bd001e7e50f421d891986aad5158bc8'")
"""HeyGen's avatar, look, group, voice, video and asset ids (both API generations); a leading letter or digit keeps
'.' and '..' out."""
M = TypeVar("M", bound=BaseModel)

_CODE_STATUS: Mapping[str, int] = {
    "invalid_parameter": 400, "download_failed": 400, "asset_not_available": 400, "voice_not_usable": 400,
    "unauthorized": 401, "insufficient_credit": 402, "forbidden": 403, "resource_access_denied": 403,
    "not_found": 404, "video_not_found": 404, "avatar_not_found": 404, "voice_not_found": 404,
    "conflict": 409, "request_in_progress": 409, "payload_too_large": 413, "rate_limit_exceeded": 429,
    "quota_exceeded": 429, "resource_limit_exceeded": 429, "internal_error": 500,
}
"""HTTP status for a string error code found in a 200 answer (v3 codes, lowercase as the CLI sends them)."""
_LEGACY_STATUS: Mapping[int, int] = {40102: 401, 40104: 404, 400123: 429, 400: 400, 40201: 402, 413: 413,
                                     401: 401, 403: 403, 404: 404, 429: 429, 500: 500}
"""HTTP status for an integer code of the legacy envelope."""
LEGACY_OK = 100
AUDIO_GUESS_SECONDS = 10.0
"""Length assumed for a supplied audio track before it is rendered (its length is not read here)."""


class Wire(BaseModel):
    """A request body: unknown fields are a bug here, nulls are left out."""

    model_config = ConfigDict(extra="forbid")

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class Answer(BaseModel):
    """An answer: fields HeyGen adds later are ignored."""

    model_config = ConfigDict(extra="ignore")


def parse_error(response: httpx.Response) -> VendorErrorInfo | None:
    """The error in a HeyGen answer (any envelope, any status), or None when it is a success."""
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status_code
    request_id = response.headers.get("x-request-id")
    suffix = f" (request id {request_id})" if request_id else ""
    if not isinstance(body, dict):
        return None if response.is_success else VendorErrorInfo(status, (response.reason_phrase or "error") + suffix)
    legacy = body.get("code")
    if isinstance(legacy, int) and not isinstance(legacy, bool) and "error" not in body:
        if legacy == LEGACY_OK and response.is_success:
            return None
        message = str(body.get("message") or body.get("msg") or f"error code {legacy}")
        mapped = status if not response.is_success else _LEGACY_STATUS.get(legacy, 400)
        return VendorErrorInfo(mapped, message + suffix, code=str(legacy))
    error = body.get("error")
    if error is None:
        if response.is_success:
            return None
        return VendorErrorInfo(status, str(body.get("message") or response.reason_phrase or "error") + suffix)
    if isinstance(error, Mapping):
        code = str(error.get("code") or "").lower() or None
        message = str(error.get("message") or code or "error")
        param = error.get("param")
        param = str(param) if param is not None else None
    else:
        code, message, param = None, str(error), None
    if response.is_success:
        status = _CODE_STATUS.get(code or "", 500 if code and code.startswith("internal") else 400)
    return VendorErrorInfo(status, message + suffix, code=code, param=param)


def data_of(body: Any) -> Any:
    """The `data` member of any HeyGen success envelope."""
    return body.get("data") if isinstance(body, Mapping) else None


def decode(model: type[M], value: Any, what: str) -> M:
    """A HeyGen answer read into its wire model; an answer of an unexpected shape is a (temporary) server error."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors()[:3])
        raise ServerError(f"HeyGen answered {what} in an unexpected shape (fields: {fields}). This is usually "
                          f"temporary; if it persists, HeyGen may have changed its API.", provider=PROVIDER,
                          status_code=200) from exc


# ---------------------------------------------------------------------------------------------- money

CREDITS_PER_MINUTE_PHOTO = 1.0
CREDITS_PER_MINUTE_TWIN = 2.0
CREDITS_PER_MINUTE_AVATAR_IV = 6.0
CREDITS_PHOTO_GENERATION = 1.0
CREDITS_TRAINING = 4.0
"""Published rates (reference A): video 1/min with photo or stock avatars, 2/min with digital twins, Avatar IV
6/min (also v3's default engine); an AI photo generation 1; training a photo avatar group 4. Billed per started
minute."""


def billed_minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def video_cost(seconds: float, rate: float, what: str) -> Cost:
    minutes = billed_minutes(seconds)
    return Cost(amount=minutes * rate, basis=f"~{seconds:.0f} s of video -> {minutes} min x {rate:g} credits/min "
                                             f"({what}), from the script length")


def prompt_video_cost() -> Cost:
    """The floor of a Video Agent video: its length is the agent's choice, made after the estimate."""
    rate = CREDITS_PER_MINUTE_AVATAR_IV
    return Cost(amount=rate, basis=f"at least 1 min x {rate:g} credits/min: HeyGen's Video Agent decides the length "
                                   f"when it writes the script, so each further started minute adds {rate:g} "
                                   f"(the Avatar IV rate; HeyGen publishes no separate Video Agent rate)")


def v3_video_cost(seconds: float, engine: str | None) -> Cost:
    if engine == "avatar_iii":
        return video_cost(seconds, CREDITS_PER_MINUTE_TWIN, "Avatar III: 1/min with photo or stock avatars, 2/min "
                                                            "with digital twins; the higher rate is shown")
    if engine == "avatar_v":
        return video_cost(seconds, CREDITS_PER_MINUTE_AVATAR_IV, "Avatar V, assumed at the Avatar IV rate")
    return video_cost(seconds, CREDITS_PER_MINUTE_AVATAR_IV, "Avatar IV, v3's default engine")


def scene_dicts(spec: VideoSpec) -> list[dict[str, Any]]:
    return [s.model_dump(exclude_none=True) for s in spec.scenes]


def estimate(operation: str, spec: BaseModel, *, api: str, twin_avatars: Sequence[str] = ()) -> Cost | None:
    """Credits an operation will cost, from the published rates and the script length (None when unknown)."""
    if operation == ops.GENERATE_PHOTO:
        return Cost(amount=CREDITS_PHOTO_GENERATION, basis="1 credit per AI photo generation")
    if operation == ops.TRAIN_PHOTO_AVATAR:
        if api == "v3":
            return Cost(amount=0, basis="HeyGen v3 trains photo avatars automatically; nothing extra is charged")
        return Cost(amount=CREDITS_TRAINING, basis="4 credits per photo avatar training")
    if operation == ops.CREATE_PHOTO_AVATAR:
        return Cost(amount=0, basis="creating a photo avatar from a photo is free; videos are billed per minute")
    if operation == ops.CREATE_VIDEO and isinstance(spec, VideoSpec):
        seconds = estimate_video_seconds(scene_dicts(spec))
        if api == "v3":
            return v3_video_cost(seconds, spec.options.engine if spec.options else None)
        if any(s.avatar_id in twin_avatars for s in spec.scenes):
            return video_cost(seconds, CREDITS_PER_MINUTE_TWIN, "digital twin")
        return video_cost(seconds, CREDITS_PER_MINUTE_PHOTO, "photo or stock avatar; digital twins cost 2/min")
    if operation == ops.CREATE_PHOTO_VIDEO and isinstance(spec, PhotoVideoSpec):
        seconds = estimate_speech_seconds(spec.script, spec.speed) if spec.script else AUDIO_GUESS_SECONDS
        return video_cost(seconds, CREDITS_PER_MINUTE_AVATAR_IV, "Avatar IV")
    if operation == ops.CREATE_VIDEO_FROM_PROMPT and isinstance(spec, PromptVideoSpec) and api == "v3":
        return prompt_video_cost()
    return None


# ---------------------------------------------------------------------------------------------- timing

@dataclass(frozen=True)
class Timing:
    """How long HeyGen work usually takes (sets the first poll) and how long a tool call waits for an avatar."""

    photo_avatar_seconds: float = 10.0
    """Seed 002: a photo avatar is `completed` within seconds."""
    photo_generation_seconds: float = 40.0
    training_seconds: float = 600.0
    twin_seconds: float = 6 * 3600.0
    video_overhead_seconds: float = 90.0
    render_factor: float = 4.0
    """Seconds of rendering per second of video, on top of the overhead (queueing varies a lot)."""
    ready_wait_seconds: float = 120.0
    """The readiness gate waits this long for a photo avatar / look to complete before giving up."""
    ready_poll_seconds: float = 5.0
    agent_seconds: float = 600.0
    """HeyGen's Video Agent writes, casts and renders a whole video: expect several minutes."""
    in_progress_wait_seconds: float = 30.0
    """A v3 create answered 409 request_in_progress is replayed for this long before leaving it to reconcile."""
    create_timeout_seconds: float | None = None
    """How long a create may take to be answered; None is providers/_http.py's CREATE_TIMEOUT."""

    def scaled(self, factor: float) -> Timing:
        """Every duration times `factor` (tests run against the emulators with a tiny factor)."""
        return replace(self, **{f.name: getattr(self, f.name) * factor for f in fields(self)
                                if getattr(self, f.name) is not None})

    def create_timeout(self) -> httpx.Timeout:
        if self.create_timeout_seconds is None:
            return CREATE_TIMEOUT
        return httpx.Timeout(self.create_timeout_seconds, connect=min(10.0, self.create_timeout_seconds))

    def video_seconds(self, length: float) -> float:
        return self.video_overhead_seconds + self.render_factor * length


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
