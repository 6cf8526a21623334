"""Creatify's wire format (seed 003 and vendor-apis.md section B): error bodies, request and answer models, and the
helpers that turn unified specs into requests.

Creatify is a Django REST Framework API: errors are `{"detail": "..."}` or `{field: ["message"]}` (nested for the
scenes of lipsyncs_v2), and paths end in "/". Nothing here does I/O; the provider sends what these build and
status.py reads the answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field

from avatar_mcp.errors import InvalidInput
from avatar_mcp.media import classify, require_https
from avatar_mcp.providers._http import VendorErrorInfo, body_or_none
from avatar_mcp.providers.wire import Answer, Number, VendorId, Wire
from avatar_mcp.specs import Scene, TwinGender, VideoSpec

if TYPE_CHECKING:
    import httpx

PROVIDER = "creatify"
ASPECT_RATIOS = {"landscape": "16x9", "portrait": "9x16", "square": "1x1"}
_RATIO_VALUES = {"16x9": 16 / 9, "9x16": 9 / 16, "1x1": 1.0}
GENDERS: dict[str, Literal["m", "f", "nb"]] = {"female": "f", "male": "m", "nonBinary": "nb"}
"""The unified twin genders (models.TwinGender) as personas_v2's codes."""
GENDER_NAMES: dict[str, str] = {code: name for name, code in GENDERS.items()}
_CREDITS = re.compile(r"insufficient credits|not enough credits", re.IGNORECASE)


def parse_error(response: httpx.Response) -> VendorErrorInfo | None:
    """DRF error bodies: `detail`, or field errors flattened to `path: message` (the first path is the param)."""
    if response.is_success:
        return None
    body = body_or_none(response)
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

class PersonaRequest(Wire):
    """POST /api/personas_v2/ (local footage travels as multipart files beside these fields)."""

    gender: Literal["m", "f", "nb"]
    creator_name: str = Field(min_length=1, max_length=255)
    lipsync_input: str | None = None
    consent_video: str | None = None
    webhook_url: str | None = None


class Lipsync(Wire):
    """POST /api/lipsyncs/: one plain scene."""

    aspect_ratio: str
    creator: str
    no_caption: bool
    text: str | None = None
    audio: str | None = None
    accent: str | None = None
    name: str
    webhook_url: str | None = None


class Character(Wire):
    type: Literal["avatar"] = "avatar"
    avatar_id: str


class TextVoice(Wire):
    type: Literal["text"] = "text"
    input_text: str
    voice_id: str


class AudioVoice(Wire):
    type: Literal["audio"] = "audio"
    audio_url: str


class SceneBackground(Wire):
    type: Literal["color", "image", "video"]
    value: str | None = None
    url: str | None = None


class VideoInput(Wire):
    """One lipsyncs_v2 `video_inputs` item."""

    character: Character
    voice: TextVoice | AudioVoice
    background: SceneBackground | None = None


class LipsyncV2(Wire):
    """POST /api/lipsyncs_v2/: several scenes, or a scene with a background."""

    aspect_ratio: str
    video_inputs: list[VideoInput]
    name: str
    webhook_url: str | None = None


def gender_code(value: TwinGender | None) -> Literal["m", "f", "nb"]:
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
    return require_https(source, what=field, vendor="Creatify")


def scene_input(scene: Scene, index: int) -> VideoInput:
    """One lipsyncs_v2 `video_inputs` item."""
    where = f"scenes.{index}"
    voice: TextVoice | AudioVoice
    if scene.audio is not None:
        voice = AudioVoice(audio_url=remote(scene.audio, f"{where}.audio"))
    else:
        if not scene.voice_id:
            raise InvalidInput(f"{where}.voice_id is missing: pick an accent id from list_voices.",
                               field=f"{where}.voice_id")
        voice = TextVoice(input_text=scene.script or "", voice_id=scene.voice_id)
    background = scene.background
    shown: SceneBackground | None = None
    if background is not None and background.type == "color" and background.value:
        shown = SceneBackground(type="color", value=background.value)
    elif background is not None and background.url:
        shown = SceneBackground(type=background.type, url=remote(background.url, f"{where}.background.url"))
    return VideoInput(character=Character(avatar_id=scene.avatar_id or ""), voice=voice, background=shown)


# ---------------------------------------------------------------------------------------------- answers

class Persona(Answer):
    """A custom avatar (persona) record; its preview images come under several `preview_image*` names."""

    model_config = ConfigDict(extra="allow")
    id: VendorId
    process_status: str | None = None
    failed_reason: str | None = None
    creator_name: str | None = None
    gender: str | None = None
    matching_voice_non_null: str | None = None

    def preview(self) -> str | None:
        extra = self.model_extra or {}
        if isinstance(extra.get("preview_image_16_9"), str) and extra["preview_image_16_9"]:
            return str(extra["preview_image_16_9"])
        return next((v for k, v in sorted(extra.items()) if k.startswith("preview_image") and isinstance(v, str)
                     and v), None)


class LipsyncRecord(Answer):
    """A lipsync (either endpoint) as GET answers it, and as its create answers."""

    id: VendorId
    status: str | None = None
    progress: Any = None
    """A string fraction ("0.33") at Creatify; numbers and percentages are taken too."""
    output: str | None = None
    video_thumbnail: str | None = None
    credits_used: Number = None
    duration: Number = None
    failed_reason: str | None = None


class Accent(Answer):
    id: VendorId | None = None
    accent_name: str | None = None
    preview_url: str | None = None


class VoiceRecord(Answer):
    """A voice with its accents: the accent id is the voice id lipsyncs take."""

    name: str | None = None
    gender: str | None = None
    accents: list[Accent] = Field(default_factory=list)


def results(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    """A listing, plain array or DRF page: its raw items (kept raw: a lost create is matched on whatever fields the
    listing shows) and the next page's URL."""
    if isinstance(body, list):
        return [i for i in body if isinstance(i, dict)], None
    if isinstance(body, dict):
        items = body.get("results")
        nxt = body.get("next")
        return ([i for i in items if isinstance(i, dict)] if isinstance(items, list) else [],
                nxt if isinstance(nxt, str) and nxt else None)
    return [], None
