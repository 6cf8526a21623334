"""What both HeyGen API generations share, without I/O: error parsing, answer decoding, credit rates, photo rules,
catalogue filters and result helpers (the provider base class is provider.py, the light facts spec.py).

HeyGen answers in three shapes (reference/vendor-apis.md A, heygen-v3.md 1):
- legacy `{code: 100, data, message}`; errors `{code: <int>, message}`, sometimes with HTTP 200;
- v2 `{error: null, data}`; errors `{error: {code: "<string>", message} | "<message>", data: null}`;
- v3 `{data}` (lists add `has_more`, `next_token`); errors `{error: {code, message, param?, doc_url?}}`.
`parse_error` reads all three, including errors hidden in a 200, for providers/_http.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from avatar_mcp import operations as ops
from avatar_mcp.checklist import estimate_speech_seconds, estimate_video_seconds
from avatar_mcp.errors import AvatarError, NotFound
from avatar_mcp.models import CatalogQuery, Cost, JobError, JobRecord, JobResult
from avatar_mcp.providers import wire
from avatar_mcp.providers._http import VendorErrorInfo, body_or_none
from avatar_mcp.providers.base import JobUpdate
from avatar_mcp.providers.heygen.spec import IDS
from avatar_mcp.providers.wire import Answer, M, Wire
from avatar_mcp.specs import PhotoVideoSpec, PromptVideoSpec, VideoSpec

if TYPE_CHECKING:
    import httpx

__all__ = ["IDS", "PROVIDER", "Answer", "M", "Wire", "data_of", "decode", "estimate", "parse_error"]

PROVIDER = "heygen"

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


def parse_error(response: httpx.Response) -> VendorErrorInfo | None:
    """The error in a HeyGen answer (any envelope, any status), or None when it is a success."""
    body = body_or_none(response)
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
    return wire.decode(model, value, what, provider=PROVIDER, vendor="HeyGen")


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


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# ---------------------------------------------------------------------------------------------- helpers

MIN_PHOTO_SIDE = 512
"""Seed 002: photos must be at least 512x512."""


def failed(code: str, message: str) -> JobUpdate:
    return JobUpdate(status="failed", message=message, error=JobError(code=code, message=message))


def gone_after(job: JobRecord, exc: AvatarError) -> JobUpdate:
    """A job the vendor no longer knows, found during a batched poll (the service's own rule for single polls)."""
    if isinstance(exc, NotFound) and job.poll_count >= 2:
        return failed(exc.code, f"{exc} HeyGen no longer knows this job.")
    return JobUpdate(status=job.status, message=job.message)


LANGUAGE_NAMES = {"en": "english", "es": "spanish", "de": "german", "fr": "french", "it": "italian",
                  "pt": "portuguese", "ja": "japanese", "zh": "chinese", "ko": "korean", "nl": "dutch", "hi": "hindi",
                  "ar": "arabic", "ru": "russian", "pl": "polish", "tr": "turkish", "sv": "swedish"}
"""ISO codes users type, against the language names HeyGen lists."""


def voice_matches(query: CatalogQuery, *, name: str | None, language: str | None, locale: str | None = None,
                  gender: str | None) -> bool:
    """Client-side catalogue filters: 'en' matches English and en-US; gender and the query compare loosely."""
    if query.language:
        wanted = query.language.strip().lower()
        named = LANGUAGE_NAMES.get(wanted.split("-")[0], wanted)
        known = [v.lower() for v in (language, locale) if v]
        if not any(v in (wanted, named) or v.startswith((f"{wanted}-", f"{named} ")) or
                   (len(wanted) == 2 and v.split("-")[0] == wanted) for v in known):
            return False
    if query.gender and (gender or "").lower() not in (query.gender.lower(), ""):
        return False
    return not query.query or query.query.lower() in (name or "").lower()


def result_with(warnings: Sequence[str], **values: object) -> JobResult:
    result = JobResult.model_validate(values)
    result.warnings = list(warnings)
    return result
