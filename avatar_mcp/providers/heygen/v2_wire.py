"""HeyGen v1/v2 wire models (seeds 001 and 002, reference A) and the mapping from the unified specs.

Request models forbid unknown fields and are dumped without nulls; answer models ignore fields they do not
name, so HeyGen can add fields freely. The mapping functions are pure: media and avatar kinds are resolved by
the backend first (v2.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from avatar_mcp.errors import InvalidInput
from avatar_mcp.models import AvatarInfo
from avatar_mcp.providers.heygen.common import Answer, Wire
from avatar_mcp.specs import Background, PhotoVideoSpec, Scene, VideoSpec

# ---------------------------------------------------------------------------------------------- requests

class Offset(Wire):
    x: float = 0.0
    y: float = 0.0


class AvatarCharacter(Wire):
    type: Literal["avatar"] = "avatar"
    avatar_id: str
    scale: float | None = None
    avatar_style: Literal["normal", "closeUp", "circle"] | None = None
    offset: Offset | None = None


class TalkingPhotoCharacter(Wire):
    type: Literal["talking_photo"] = "talking_photo"
    talking_photo_id: str
    scale: float | None = None
    talking_photo_style: Literal["square", "circle"] | None = None
    offset: Offset | None = None


class TextVoice(Wire):
    type: Literal["text"] = "text"
    voice_id: str
    input_text: str
    speed: float | None = None
    pitch: int | None = None
    emotion: str | None = None
    locale: str | None = None


class AudioVoice(Wire):
    type: Literal["audio"] = "audio"
    audio_url: str | None = None
    audio_asset_id: str | None = None


class SilenceVoice(Wire):
    type: Literal["silence"] = "silence"
    duration: float


class ColorBackground(Wire):
    type: Literal["color"] = "color"
    value: str | None = None


class ImageBackground(Wire):
    type: Literal["image"] = "image"
    url: str | None = None
    image_asset_id: str | None = None
    fit: Literal["cover", "crop", "contain", "none"] | None = None


class VideoBackground(Wire):
    type: Literal["video"] = "video"
    url: str | None = None
    video_asset_id: str | None = None
    play_style: Literal["fit_to_scene", "freeze", "loop", "once"]
    fit: Literal["cover", "crop", "contain", "none"] | None = None


class VideoInput(Wire):
    character: AvatarCharacter | TalkingPhotoCharacter | None = None
    voice: TextVoice | AudioVoice | SilenceVoice
    background: ColorBackground | ImageBackground | VideoBackground | None = None


class Dimension(Wire):
    width: int
    height: int


class GenerateVideo(Wire):
    """POST /v2/video/generate (seed 001). callback_url is never sent: HeyGen does not sign those deliveries."""

    video_inputs: list[VideoInput]
    dimension: Dimension
    caption: bool | None = None
    title: str | None = None
    callback_id: str | None = None


class AvatarIVVideo(Wire):
    """POST /v2/video/av4/generate (seed 002)."""

    image_key: str
    video_title: str
    voice_id: str
    script: str | None = None
    audio_url: str | None = None
    audio_asset_id: str | None = None
    video_orientation: Literal["portrait", "landscape", "square"]
    fit: Literal["cover", "contain"] | None = None
    custom_motion_prompt: str | None = None
    enhance_custom_motion_prompt: bool | None = None
    callback_id: str | None = None


class PhotoGenerate(Wire):
    """POST /v2/photo_avatar/photo/generate: all eight fields are required (seed 002)."""

    name: str
    age: str
    gender: str
    ethnicity: str
    orientation: str
    pose: str
    style: str
    appearance: str


class TrainRequest(Wire):
    group_id: str


class GroupCreate(Wire):
    name: str
    image_key: str
    generation_id: str | None = None


class VideoAvatarCreate(Wire):
    training_footage_url: str
    video_consent_url: str
    avatar_name: str
    callback_id: str | None = None


# ---------------------------------------------------------------------------------------------- answers

class UploadedAsset(Answer):
    id: str
    url: str | None = None
    image_key: str | None = None
    file_type: str | None = None


class VideoId(Answer):
    video_id: str


class VideoFailure(Answer):
    code: Any = None
    message: str | None = None
    detail: str | None = None


class VideoStatus(Answer):
    id: str | None = None
    status: str
    video_url: str | None = None
    thumbnail_url: str | None = None
    caption_url: str | None = None
    video_url_caption: str | None = None
    duration: float | None = None
    error: VideoFailure | None = None


class GenerationId(Answer):
    generation_id: str


class Generation(Answer):
    id: str | None = None
    status: str
    msg: str | None = None
    image_url_list: list[str] | None = None
    image_key_list: list[str] | None = None


class PhotoAvatar(Answer):
    id: str
    group_id: str | None = None
    name: str | None = None
    image_url: str | None = None
    status: str | None = None


class TrainStatus(Answer):
    status: str
    error_msg: str | None = None


class TwinCreated(Answer):
    avatar_id: str
    avatar_group_id: str | None = None


class Twin(Answer):
    avatar_id: str
    avatar_group_id: str | None = None
    avatar_name: str | None = None
    status: str
    preview_image_url: str | None = None
    error_message: str | None = None
    default_voice_id: str | None = None


class StockAvatar(Answer):
    avatar_id: str
    avatar_name: str | None = None
    gender: str | None = None
    preview_image_url: str | None = None
    default_voice_id: str | None = None
    type: str | None = None


class TalkingPhoto(Answer):
    talking_photo_id: str
    talking_photo_name: str | None = None
    preview_image_url: str | None = None


class AvatarList(Answer):
    avatars: list[StockAvatar] = Field(default_factory=list)
    talking_photos: list[TalkingPhoto] = Field(default_factory=list)


class Group(Answer):
    id: str
    name: str | None = None
    preview_image: str | None = None
    group_type: str | None = None
    train_status: str | None = None
    default_voice_id: str | None = None


class GroupList(Answer):
    avatar_group_list: list[Group] = Field(default_factory=list)


class V2Voice(Answer):
    voice_id: str
    name: str | None = None
    language: str | None = None
    gender: str | None = None
    preview_audio: str | None = None


class VoiceList(Answer):
    voices: list[V2Voice] = Field(default_factory=list)


class Quota(Answer):
    remaining_quota: float


class Endpoint(Answer):
    endpoint_id: str
    url: str | None = None
    secret: str | None = None


# ---------------------------------------------------------------------------------------------- mapping

TALKING_PHOTO_MAX_SCALE = 2.0

Ref = tuple[Literal["url", "asset"], str]
"""Resolved media: an https URL HeyGen fetches, or the id of an uploaded asset."""


def check_video(spec: VideoSpec) -> None:
    """What v2 would reject that the unified model allows (raised before any request)."""
    if spec.output_format != "mp4":
        raise InvalidInput(f"HeyGen v2 renders MP4 only; output_format {spec.output_format!r} is not available. "
                           f"Use output_format 'mp4' (or HEYGEN_API_VERSION=v3 for webm).", field="output_format")
    for i, scene in enumerate(spec.scenes):
        if scene.script and not scene.voice_id:
            raise InvalidInput(f"scenes.{i}.voice_id is required with a script: pick one with list_voices.",
                               field=f"scenes.{i}.voice_id")


def character(scene: Scene, info: AvatarInfo | None, index: int) -> AvatarCharacter | TalkingPhotoCharacter | None:
    """Photo avatars are talking photos in v2 (seed 001: also for AI-generated avatars); the rest are avatars."""
    if scene.avatar_id is None or info is None:
        return None
    offset = Offset(x=scene.offset_x, y=scene.offset_y) if (scene.offset_x or scene.offset_y) else None
    scale = scene.scale if scene.scale != 1.0 else None
    if info.kind == "photo":
        if scene.scale > TALKING_PHOTO_MAX_SCALE:
            raise InvalidInput(f"scenes.{index}.scale is {scene.scale:g}; HeyGen takes 0-2 for photo avatars "
                               f"(0-5 for studio avatars).", field=f"scenes.{index}.scale")
        style: Literal["circle"] | None = "circle" if scene.avatar_style == "circle" else None
        return TalkingPhotoCharacter(talking_photo_id=scene.avatar_id, scale=scale, talking_photo_style=style,
                                     offset=offset)
    avatar_style = scene.avatar_style if scene.avatar_style != "normal" else None
    return AvatarCharacter(avatar_id=scene.avatar_id, scale=scale, avatar_style=avatar_style, offset=offset)


def voice(scene: Scene, audio: Ref | None) -> TextVoice | AudioVoice | SilenceVoice:
    if scene.silence_seconds is not None:
        return SilenceVoice(duration=scene.silence_seconds)
    if audio is not None:
        return AudioVoice(audio_url=audio[1]) if audio[0] == "url" else AudioVoice(audio_asset_id=audio[1])
    assert scene.script is not None and scene.voice_id is not None
    return TextVoice(voice_id=scene.voice_id, input_text=scene.script, speed=scene.speed if scene.speed != 1 else None,
                     pitch=scene.pitch or None, emotion=scene.emotion, locale=scene.locale)


def background(bg: Background | None, ref: Ref | None) -> ColorBackground | ImageBackground | VideoBackground | None:
    if bg is None:
        return None
    if bg.type == "color":
        return ColorBackground(value=bg.value)
    assert ref is not None
    url, asset = (ref[1], None) if ref[0] == "url" else (None, ref[1])
    if bg.type == "image":
        return ImageBackground(url=url, image_asset_id=asset, fit=bg.fit)
    return VideoBackground(url=url, video_asset_id=asset, play_style=bg.play_style, fit=bg.fit)


def generate_video(spec: VideoSpec, avatars: dict[str, AvatarInfo], audio: dict[int, Ref],
                   backgrounds: dict[int, Ref], callback_id: str) -> GenerateVideo:
    inputs = [VideoInput(character=character(s, avatars.get(s.avatar_id or ""), i), voice=voice(s, audio.get(i)),
                         background=background(s.background, backgrounds.get(i)))
              for i, s in enumerate(spec.scenes)]
    width, height = spec.size()
    return GenerateVideo(video_inputs=inputs, dimension=Dimension(width=width, height=height),
                         caption=spec.caption or None, title=spec.title, callback_id=callback_id)


def with_options(spec: PhotoVideoSpec, given: dict[str, Any]) -> PhotoVideoSpec:
    """RenderOptions v2's Avatar IV takes (fit, motion_prompt) folded into the spec: the option's fit wins, and a
    motion prompt given twice must say the same thing."""
    motion = given.get("motion_prompt")
    if motion is not None and spec.motion_prompt is not None and motion.strip() != spec.motion_prompt.strip():
        raise InvalidInput("motion_prompt and options.motion_prompt say different things; give one of them. Nothing "
                           "was submitted.", field="options.motion_prompt")
    if motion is not None and not motion.strip():
        raise InvalidInput("options.motion_prompt is empty: describe the movement, or leave it out. Nothing was "
                           "submitted.", field="options.motion_prompt")
    return spec.model_copy(update={"fit": given.get("fit") or spec.fit,
                                   "motion_prompt": motion if motion is not None else spec.motion_prompt})


def avatar_iv(spec: PhotoVideoSpec, image_key: str, audio: Ref | None, callback_id: str) -> AvatarIVVideo:
    if not spec.voice_id:
        raise InvalidInput("HeyGen v2 Avatar IV needs voice_id (even with audio): pick one with list_voices.",
                           field="voice_id")
    return AvatarIVVideo(
        image_key=image_key, video_title=spec.title or "avatar-mcp photo video", voice_id=spec.voice_id,
        script=spec.script, audio_url=audio[1] if audio and audio[0] == "url" else None,
        audio_asset_id=audio[1] if audio and audio[0] == "asset" else None, video_orientation=spec.orientation,
        fit=spec.fit, custom_motion_prompt=spec.motion_prompt,
        enhance_custom_motion_prompt=True if spec.motion_prompt else None, callback_id=callback_id)


def avatar_iv_warnings(spec: PhotoVideoSpec) -> list[str]:
    """Settings Avatar IV on v2 has no field for: said, not silently dropped."""
    ignored = [name for name, unset in (("speed", spec.speed == 1.0), ("pitch", spec.pitch == 0),
                                        ("background", spec.background is None), ("caption", not spec.caption))
               if not unset]
    if not ignored:
        return []
    return [f"HeyGen v2 Avatar IV has no setting for {', '.join(ignored)}; ignored. Use create_video with a photo "
            f"avatar (or HEYGEN_API_VERSION=v3) for those."]
