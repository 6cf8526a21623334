"""Request validation of HeyGen v2 video creation: `/v2/video/generate` (seed 001) and `/v2/video/av4/generate`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes._heygen_catalogue import PUBLIC_AVATAR_IDS, SEED_TALKING_PHOTO, VOICE_IDS
from tests.fakes._heygen_common import AUDIO_SECONDS, ApiError, bad, speech_seconds
from tests.fakes._heygen_v2_schema import (
    AV4,
    AVATAR_CHARACTER,
    BACKGROUND,
    DIMENSION,
    ELEVENLABS,
    GENERATE,
    OFFSET,
    SCENE,
    TALKING_PHOTO,
    VOICE,
)
from tests.fakes._heygen_validate import (
    one_of,
    only,
    opt_bool,
    opt_color,
    opt_enum,
    opt_num,
    opt_obj,
    opt_str,
    opt_url,
    req_enum,
    req_list,
    req_num,
    req_obj,
    req_str,
)

if TYPE_CHECKING:
    from tests.fakes.heygen_v2 import HeyGenV2Fake

RATE_PHOTO, RATE_TWIN, RATE_AV4 = 1.0, 2.0, 6.0
"""Credits a minute: stock and photo avatars, digital twins, Avatar IV."""
SCRIPT_MAX = 5000
ORIENTATIONS = {"portrait": (720, 1280), "landscape": (1280, 720), "square": (720, 720)}
ELEVENLABS_MODELS = ["eleven_monolingual_v1", "eleven_multilingual_v1", "eleven_multilingual_v2", "eleven_turbo_v2",
                     "eleven_turbo_v2_5"]


@dataclass
class VideoPlan:
    """What a valid create request amounts to: estimated length, price, spoken text, silent-failure reason."""

    seconds: float = 0.0
    rate: float = RATE_PHOTO
    texts: list[str] = field(default_factory=list)
    doomed: str | None = None
    dimension: dict[str, int] = field(default_factory=lambda: {"width": 1280, "height": 720})

    @property
    def text(self) -> str:
        return " ".join(self.texts)


def _not_found(kind: str, ident: str) -> ApiError:
    code = {"avatar": "avatar_not_found", "talking photo": "avatar_not_found", "voice": "voice_not_found"}
    return ApiError(404, code.get(kind, "not_found"), f"{kind.capitalize()} {ident} not found or no longer available.")


def _asset(fake: HeyGenV2Fake, asset_id: str, want: str, path: str) -> None:
    asset = fake.assets.get(asset_id)
    if asset is None:
        raise _not_found("asset", asset_id)
    if asset["file_type"] != want:
        raise bad(path, f"{path}: asset {asset_id} is a {asset['file_type']}, expected {want}.")


def _offset(obj: dict[str, Any], path: str) -> None:
    offset = opt_obj(obj, "offset", path)
    if offset is not None:
        only(offset, OFFSET, f"{path}.offset")
        opt_num(offset, "x", f"{path}.offset")
        opt_num(offset, "y", f"{path}.offset")


def _character(fake: HeyGenV2Fake, char: dict[str, Any], path: str, plan: VideoPlan) -> None:
    kind = req_enum(char, "type", ["avatar", "talking_photo"], path)
    only(char, AVATAR_CHARACTER if kind == "avatar" else TALKING_PHOTO, path)
    if kind == "avatar":
        avatar_id = req_str(char, "avatar_id", path)
        twin = next((t for t in fake.video_avatars.values() if t["avatar_id"] == avatar_id), None)
        if twin is not None:
            plan.rate = max(plan.rate, RATE_TWIN)
            if twin["status"] != "completed":
                plan.doomed = plan.doomed or f"Avatar {avatar_id} is not ready (status {twin['status']})."
        elif avatar_id not in PUBLIC_AVATAR_IDS:
            raise _not_found("avatar", avatar_id)
        opt_num(char, "scale", path, lo=0, hi=5)
        opt_enum(char, "avatar_style", ["normal", "closeUp", "circle"], path)
    else:
        photo_id = req_str(char, "talking_photo_id", path)
        look = fake.photo_avatars.get(photo_id)
        if look is None and photo_id != SEED_TALKING_PHOTO["id"]:
            raise _not_found("talking photo", photo_id)
        if look is not None and look["status"] != "completed":
            # HeyGen accepts the job and the render fails later, silently.
            plan.doomed = plan.doomed or f"Photo avatar {photo_id} is not ready (status {look['status']})."
        opt_num(char, "scale", path, lo=0, hi=2)
        opt_enum(char, "talking_photo_style", ["square", "circle"], path)
        opt_enum(char, "talking_style", ["stable", "expressive"], path)
        opt_enum(char, "expression", ["default", "happy"], path)
        opt_bool(char, "super_resolution", path)
    _offset(char, path)
    opt_bool(char, "matting", path)
    opt_color(char, "circle_background_color", path)


def _voice(fake: HeyGenV2Fake, voice: dict[str, Any], path: str, plan: VideoPlan) -> None:
    kind = req_enum(voice, "type", ["text", "audio", "silence"], path)
    only(voice, VOICE[kind], path)
    if kind == "text":
        voice_id = req_str(voice, "voice_id", path)
        if voice_id not in VOICE_IDS:
            raise _not_found("voice", voice_id)
        text = req_str(voice, "input_text", path, max_len=SCRIPT_MAX)
        speed = opt_num(voice, "speed", path, lo=0.5, hi=1.5, default=1.0)
        opt_num(voice, "pitch", path, lo=-50, hi=50, integer=True)
        opt_enum(voice, "emotion", ["Excited", "Friendly", "Serious", "Soothing", "Broadcaster"], path)
        opt_str(voice, "locale", path)
        eleven = opt_obj(voice, "elevenlabs_settings", path)
        if eleven is not None:
            epath = f"{path}.elevenlabs_settings"
            only(eleven, ELEVENLABS, epath)
            opt_enum(eleven, "model", ELEVENLABS_MODELS, epath)
            for key in ("similarity_boost", "stability", "style"):
                opt_num(eleven, key, epath, lo=0, hi=1)
        plan.seconds += speech_seconds(text, speed or 1.0)
        plan.texts.append(text)
    elif kind == "audio":
        if one_of(voice, ("audio_url", "audio_asset_id"), path) == "audio_url":
            opt_url(voice, "audio_url", path)
        else:
            _asset(fake, req_str(voice, "audio_asset_id", path), "audio", f"{path}.audio_asset_id")
        plan.seconds += AUDIO_SECONDS
    else:
        plan.seconds += opt_num(voice, "duration", path, lo=1, hi=100, default=1.0) or 1.0


def _background(fake: HeyGenV2Fake, bg: dict[str, Any], path: str) -> None:
    kind = opt_enum(bg, "type", ["color", "image", "video"], path, default="color")
    only(bg, BACKGROUND[str(kind)], path)
    if kind == "color":
        opt_color(bg, "value", path)
        return
    asset_key = "image_asset_id" if kind == "image" else "video_asset_id"
    if one_of(bg, ("url", asset_key), path) == "url":
        opt_url(bg, "url", path)
    else:
        _asset(fake, req_str(bg, asset_key, path), str(kind), f"{path}.{asset_key}")
    opt_enum(bg, "fit", ["cover", "crop", "contain", "none"], path)
    if kind == "video":
        req_enum(bg, "play_style", ["fit_to_scene", "freeze", "loop", "once"], path)


def _common(body: dict[str, Any]) -> None:
    opt_str(body, "title")
    opt_str(body, "callback_id")
    opt_url(body, "callback_url")
    opt_str(body, "folder_id")


def plan_generate(fake: HeyGenV2Fake, body: dict[str, Any]) -> VideoPlan:
    """Validate a `/v2/video/generate` body like HeyGen does; raise ApiError or return the plan."""
    plan = VideoPlan()
    only(body, GENERATE)
    scenes = req_list(body, "video_inputs", lo=1, hi=50)
    for i, scene in enumerate(scenes):
        path = f"video_inputs[{i}]"
        if not isinstance(scene, dict):
            raise bad(path, f"{path} must be an object.")
        only(scene, SCENE, path)
        char = opt_obj(scene, "character", path)
        if char is not None:
            _character(fake, char, f"{path}.character", plan)
        _voice(fake, req_obj(scene, "voice", path), f"{path}.voice", plan)
        bg = opt_obj(scene, "background", path)
        if bg is not None:
            _background(fake, bg, f"{path}.background")
    dim = opt_obj(body, "dimension")
    if dim is not None:
        only(dim, DIMENSION, "dimension")
        width = req_num(dim, "width", "dimension", lo=64, hi=4096, integer=True)
        height = req_num(dim, "height", "dimension", lo=64, hi=4096, integer=True)
        plan.dimension = {"width": int(width), "height": int(height)}
    opt_bool(body, "caption")
    _common(body)
    plan.seconds = round(plan.seconds, 2)
    return plan


def plan_av4(fake: HeyGenV2Fake, body: dict[str, Any]) -> VideoPlan:
    """Validate a `/v2/video/av4/generate` (Avatar IV) body."""
    plan = VideoPlan(rate=RATE_AV4)
    only(body, AV4)
    image_key = req_str(body, "image_key")
    if image_key not in fake.image_keys:
        raise ApiError(404, "not_found", f"Image key {image_key} not found.")
    req_str(body, "video_title")
    voice_id = req_str(body, "voice_id")
    if voice_id not in VOICE_IDS:
        raise _not_found("voice", voice_id)
    audio = one_of(body, ("audio_url", "audio_asset_id"), required=False)
    if audio == "audio_url":
        opt_url(body, "audio_url")
    elif audio == "audio_asset_id":
        _asset(fake, req_str(body, "audio_asset_id"), "audio", "audio_asset_id")
    if audio is None:
        script = req_str(body, "script", max_len=SCRIPT_MAX)
        plan.texts.append(script)
        plan.seconds = speech_seconds(script)
    else:
        script = opt_str(body, "script", max_len=SCRIPT_MAX) or ""
        plan.texts.append(script)
        plan.seconds = AUDIO_SECONDS
    orientation = opt_enum(body, "video_orientation", list(ORIENTATIONS), default="landscape") or "landscape"
    width, height = ORIENTATIONS[orientation]
    plan.dimension = {"width": width, "height": height}
    opt_enum(body, "fit", ["cover", "contain"])
    opt_str(body, "custom_motion_prompt", max_len=1000)
    opt_bool(body, "enhance_custom_motion_prompt")
    _common(body)
    return plan
