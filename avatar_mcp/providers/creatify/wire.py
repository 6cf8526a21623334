"""Creatify's wire format (seed 003 and vendor-apis.md section B): error bodies, request payloads, status mapping.

Creatify is a Django REST Framework API: errors are `{"detail": "..."}` or `{field: ["message"]}` (nested for the
scenes of lipsyncs_v2), and paths end in "/". Nothing here does I/O; the provider sends what these build.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from avatar_mcp.errors import InvalidInput
from avatar_mcp.media import classify, require_https
from avatar_mcp.models import AvatarInfo, Cost, JobError, JobResult, Scene, TwinGender, VideoSpec, Voice
from avatar_mcp.providers._http import VendorErrorInfo
from avatar_mcp.providers.base import JobUpdate

if TYPE_CHECKING:
    import httpx

PROVIDER = "creatify"
ASPECT_RATIOS = {"landscape": "16x9", "portrait": "9x16", "square": "1x1"}
_RATIO_VALUES = {"16x9": 16 / 9, "9x16": 9 / 16, "1x1": 1.0}
GENDERS: dict[str, str] = {"female": "f", "male": "m", "nonBinary": "nb"}
"""The unified twin genders (models.TwinGender) as personas_v2's codes."""
GENDER_NAMES = {code: name for name, code in GENDERS.items()}
PERSONA_STAGES = {
    "pending": "Waiting for Creatify to start.",
    "processing": "Processing the footage.",
    "voice_creating": "Creating the matching voice.",
    "video_validating": "Validating the video.",
    "crop_and_matte": "Cropping and matting the footage.",
    "reviewing": "In review at Creatify (custom avatars take 1-5 days).",
}
"""process_status values of seed 003 before `done`, in order, with what they mean."""
LIPSYNC_QUEUED = frozenset({"pending", "in_queue"})
_CREDITS = re.compile(r"insufficient credits|not enough credits", re.IGNORECASE)


def parse_error(response: httpx.Response) -> VendorErrorInfo | None:
    """DRF error bodies: `detail`, or field errors flattened to `path: message` (the first path is the param)."""
    if response.is_success:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        message, param = body["detail"], None
    elif isinstance(body, dict | list) and body:
        problems = list(_flatten(body, ""))
        message = "; ".join(f"{path}: {text}" if path else text for path, text in problems) or "error"
        param = next((path for path, _ in problems if path and path != "non_field_errors"), None)
    else:
        message, param = response.reason_phrase or "error", None
    status = response.status_code
    if status in (400, 403) and _CREDITS.search(message):
        status = 402  # Creatify reports an empty balance as a plain 400; the tree has a class for it
    return VendorErrorInfo(status=status, message=message, param=param)


def _flatten(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            for text in value:
                yield path, text
        else:
            for index, inner in enumerate(value):
                yield from _flatten(inner, f"{path}.{index}" if path else str(index))
    elif value not in (None, ""):
        yield path, str(value)


# ---------------------------------------------------------------------------------------------- requests

def gender_code(value: TwinGender | None) -> str:
    """personas_v2 wants m | f | nb (the checklist asks for the gender first, so this only guards direct calls)."""
    code = GENDERS.get(value or "")
    if code is None:
        raise InvalidInput("Creatify needs the person's gender for a custom avatar: call again with gender 'female', "
                           "'male' or 'nonBinary'.", field="gender")
    return code


def aspect_ratio(spec: VideoSpec) -> str:
    """16x9, 9x16 or 1x1 from the orientation, or from a dimension of exactly one of those shapes."""
    if spec.dimension is None:
        return ASPECT_RATIOS[spec.orientation or "landscape"]
    ratio = spec.dimension.width / spec.dimension.height
    for name, value in _RATIO_VALUES.items():
        if abs(ratio - value) / value < 0.01:
            return name
    raise InvalidInput(f"Creatify makes 16:9, 9:16 or 1:1 videos; {spec.dimension.width}x{spec.dimension.height} is "
                       f"none of them. Use orientation (landscape, portrait or square) instead.", field="dimension")


def unsupported(scene: Scene, index: int) -> list[str]:
    """Scene settings Creatify's lipsync has no field for: refused rather than silently dropped."""
    where = f"scenes.{index}"
    found = []
    if scene.silence_seconds is not None:
        found.append(f"{where}.silence_seconds (a Creatify scene needs a script or an audio URL)")
    for name, default in (("speed", 1.0), ("pitch", 0), ("emotion", None), ("locale", None),
                          ("avatar_style", "normal"), ("scale", 1.0), ("offset_x", 0.0), ("offset_y", 0.0)):
        if getattr(scene, name) != default:
            found.append(f"{where}.{name}")
    background = scene.background
    if background is not None and background.type != "color" and background.fit != "cover":
        found.append(f"{where}.background.fit")
    if background is not None and background.type == "video" and background.play_style != "loop":
        found.append(f"{where}.background.play_style")
    return found


def reject(problems: list[str]) -> None:
    """One InvalidInput naming every unsupported setting."""
    if problems:
        raise InvalidInput(f"Creatify's lipsync does not support: {', '.join(problems)}. Remove "
                           f"{'it' if len(problems) == 1 else 'them'}, or use provider 'heygen'.",
                           field=problems[0].split(" ", 1)[0])


def remote(source: str, field: str) -> str:
    """Creatify fetches lipsync audio and backgrounds itself: https URLs only."""
    if classify(source) != "url":
        raise InvalidInput(f"{field}: Creatify fetches this file itself, so it must be an https URL, not "
                           f"{source!r}. Host the file somewhere that serves https and pass that URL.", field=field)
    return require_https(source, what=field)


def scene_input(scene: Scene, index: int) -> dict[str, Any]:
    """One lipsyncs_v2 `video_inputs` item."""
    where = f"scenes.{index}"
    if scene.audio is not None:
        voice: dict[str, Any] = {"type": "audio", "audio_url": remote(scene.audio, f"{where}.audio")}
    else:
        if not scene.voice_id:
            raise InvalidInput(f"{where}.voice_id is missing: pick an accent id from list_voices.",
                               field=f"{where}.voice_id")
        voice = {"type": "text", "input_text": scene.script, "voice_id": scene.voice_id}
    item: dict[str, Any] = {"character": {"type": "avatar", "avatar_id": scene.avatar_id}, "voice": voice}
    background = scene.background
    if background is not None and background.type == "color" and background.value:
        item["background"] = {"type": "color", "value": background.value}
    elif background is not None and background.url:
        item["background"] = {"type": background.type, "url": remote(background.url, f"{where}.background.url")}
    return item


# ---------------------------------------------------------------------------------------------- answers

def persona_update(record: dict[str, Any]) -> JobUpdate:
    """A persona's process_status as a job update: done succeeds, failed and rejected fail with the reason."""
    status = str(record.get("process_status") or "pending")
    reason = record.get("failed_reason") or "no reason given"
    if status == "done":
        info = persona_info(record)
        return JobUpdate(status="succeeded", progress=1.0,
                         message="The custom avatar is ready: use result.avatar_id in create_video.",
                         result=JobResult(avatar_id=info.avatar_id, preview_image_url=info.preview_image_url,
                                          default_voice_id=info.default_voice_id))
    if status == "rejected":
        message = (f"Creatify rejected the custom avatar: {reason}. Fix what the reason says (for example record a "
                   f"new consent video of the same person) and call create_digital_twin again.")
        return JobUpdate(status="failed", message=message, error=JobError(code="rejected", message=message))
    if status == "failed":
        message = f"Creatify could not create the custom avatar: {reason}. Check the footage and try again."
        return JobUpdate(status="failed", message=message, error=JobError(code="failed", message=message))
    stages = list(PERSONA_STAGES)
    if status not in PERSONA_STAGES:
        return JobUpdate(status="processing", message=f"Creatify status: {status}.")
    position = stages.index(status)
    return JobUpdate(status="queued" if position == 0 else "processing", progress=position / len(stages),
                     message=PERSONA_STAGES[status])


def lipsync_update(record: dict[str, Any]) -> JobUpdate:
    """A lipsync's status as a job update, with Creatify's own progress and the credits it used."""
    status = str(record.get("status") or "pending")
    progress = _fraction(record.get("progress"))
    if status == "done":
        credits = record.get("credits_used")
        cost = Cost(amount=float(credits), unit="credits", basis="reported by Creatify") \
            if isinstance(credits, int | float) else None
        duration = record.get("duration")
        return JobUpdate(status="succeeded", progress=1.0, message="The video is ready.", result=JobResult(
            video_url=record.get("output"), thumbnail_url=record.get("video_thumbnail"), cost=cost,
            duration_seconds=float(duration) if isinstance(duration, int | float) else None))
    if status == "failed":
        message = (f"Creatify could not make the video: {record.get('failed_reason') or 'no reason given'}. Submit it "
                   f"again, or change the script or avatar.")
        return JobUpdate(status="failed", message=message, error=JobError(code="failed", message=message))
    if status in LIPSYNC_QUEUED:
        return JobUpdate(status="queued", progress=progress, message=f"Waiting in Creatify's queue ({status}).")
    return JobUpdate(status="processing", progress=progress, message=f"Creatify is rendering ({status}).")


def _fraction(value: Any) -> float | None:
    """`progress` arrives as a string fraction ("0.33"); tolerate numbers and percentages."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number / 100 if number > 1 else number


def persona_info(record: dict[str, Any]) -> AvatarInfo:
    preview = record.get("preview_image_16_9") or next(
        (v for k, v in sorted(record.items()) if k.startswith("preview_image") and isinstance(v, str) and v), None)
    status = record.get("process_status")
    return AvatarInfo(avatar_id=str(record["id"]), name=str(record.get("creator_name") or record["id"]),
                      provider=PROVIDER, kind="persona", status="ready" if status == "done" else status,
                      gender=GENDER_NAMES.get(str(record.get("gender")), record.get("gender")),
                      preview_image_url=preview, default_voice_id=record.get("matching_voice_non_null") or None)


def voices(records: list[dict[str, Any]]) -> list[Voice]:
    """Every accent of every voice: the accent id is the voice id lipsyncs take."""
    found = []
    for voice in records:
        gender = str(voice.get("gender") or "").replace("_", "-") or None
        for accent in voice.get("accents") or []:
            if isinstance(accent, dict) and accent.get("id"):
                name = f"{voice.get('name') or 'Voice'} ({accent.get('accent_name') or 'accent'})"
                found.append(Voice(voice_id=str(accent["id"]), name=name, provider=PROVIDER, gender=gender,
                                   preview_url=accent.get("preview_url"), description=accent.get("accent_name")))
    return found


def results(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    """A listing, plain array or DRF page: its items and the next page's URL."""
    if isinstance(body, list):
        return [i for i in body if isinstance(i, dict)], None
    if isinstance(body, dict):
        items = body.get("results")
        nxt = body.get("next")
        return ([i for i in items if isinstance(i, dict)] if isinstance(items, list) else [],
                nxt if isinstance(nxt, str) and nxt else None)
    return [], None
