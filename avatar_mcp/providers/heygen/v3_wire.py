"""HeyGen v3 wire models (reference/heygen-v3.md): request bodies and answers. v3_mapping.py fills them.

Every file field is an AssetInput (`url` | `asset_id`; the API's `base64` form is not used: files are uploaded).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from avatar_mcp.providers.heygen.common import Answer, Wire

# ---------------------------------------------------------------------------------------------- requests

class UrlAsset(Wire):
    type: Literal["url"] = "url"
    url: str


class IdAsset(Wire):
    type: Literal["asset_id"] = "asset_id"
    asset_id: str


AssetInput = UrlAsset | IdAsset


class VoiceSettings(Wire):
    speed: float | None = None
    pitch: float | None = None
    volume: float | None = None
    locale: str | None = None


class Engine(Wire):
    type: Literal["avatar_iv", "avatar_v", "avatar_iii"]


class V3Background(Wire):
    """The background of an `avatar` / `image` video: `{type: color, value}` or `{type: image, url | asset_id}`."""

    type: Literal["color", "image"]
    value: str | None = None
    url: str | None = None
    asset_id: str | None = None


class SceneBackground(Wire):
    """A studio scene's background: colour only, spelled `{type: "color", color: "#RRGGBB"}` (reference 4)."""

    type: Literal["color"] = "color"
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class Caption(Wire):
    file_format: Literal["srt"] = "srt"
    style: Literal["default"] | None = None


class Speech(Wire):
    script: str | None = None
    voice_id: str | None = None
    audio_url: str | None = None
    audio_asset_id: str | None = None
    voice_settings: VoiceSettings | None = None


class Motion(Wire):
    """How the person moves (RenderOptions): on the one avatar or image video, and on every studio avatar input."""

    expressiveness: Literal["high", "medium", "low"] | None = None
    motion_prompt: str | None = None


class SceneAvatarInput(Speech, Motion):
    """A studio `avatar_video` scene's input: no remove_background (that is an avatar / image video field)."""

    type: Literal["avatar"] = "avatar"
    avatar_id: str
    engine: Engine | None = None
    background: SceneBackground | None = None


class StudioOutput(Wire):
    """What a studio video takes besides its scenes: no fit, output_format or remove_background."""

    aspect_ratio: str | None = None
    resolution: Literal["4k", "1080p", "720p"] | None = None
    caption: Caption | None = None
    title: str | None = None
    callback_id: str | None = None


class Output(StudioOutput):
    """The output of a one-person (`avatar` / `image`) video."""

    fit: Literal["cover", "contain"] | None = None
    output_format: Literal["mp4", "webm"] | None = None
    remove_background: bool | None = None


class AvatarVideo(Speech, Motion, Output):
    """POST /v3/videos type avatar (one scene). callback_url is never sent: those deliveries are unsigned."""

    type: Literal["avatar"] = "avatar"
    avatar_id: str
    engine: Engine | None = None
    background: V3Background | None = None


class ImageVideo(Speech, Motion, Output):
    """POST /v3/videos type image: Avatar IV animates any photo (no avatar_id, no engine)."""

    type: Literal["image"] = "image"
    image: AssetInput
    background: V3Background | None = None


class AvatarScene(Wire):
    type: Literal["avatar_video"] = "avatar_video"
    input: SceneAvatarInput


class ImageScene(Speech):
    """A still-image scene: shown for `duration` seconds, or while a script or an audio file is heard."""

    type: Literal["image"] = "image"
    source: AssetInput
    duration: float | None = None


class StudioVideo(StudioOutput):
    """POST /v3/videos type studio: several scenes, one video, rendered all or nothing."""

    type: Literal["studio"] = "studio"
    scenes: list[AvatarScene | ImageScene]


class AgentCreate(Wire):
    """POST /v3/video-agents in generate mode: the agent writes, casts and renders a whole video from the prompt."""

    prompt: str
    mode: Literal["generate"] = "generate"
    avatar_id: str | None = None
    voice_id: str | None = None
    orientation: Literal["landscape", "portrait"] | None = None
    callback_id: str | None = None


class PhotoAvatarCreate(Wire):
    type: Literal["photo"] = "photo"
    name: str
    file: AssetInput


class PromptAvatarCreate(Wire):
    type: Literal["prompt"] = "prompt"
    name: str
    prompt: str


class TwinCreate(Wire):
    type: Literal["digital_twin"] = "digital_twin"
    name: str
    file: AssetInput


class ConsentRequest(Wire):
    consent_video: AssetInput | None = None


class LookRename(Wire):
    name: str


class DirectUploadRequest(Wire):
    filename: str
    content_type: str
    size_bytes: int
    checksum_sha256: str


class CompleteUpload(Wire):
    checksum_sha256: str


# ---------------------------------------------------------------------------------------------- answers

class LookError(Answer):
    code: str | None = None
    message: str | None = None


class Look(Answer):
    id: str
    name: str | None = None
    avatar_type: str | None = None
    group_id: str | None = None
    gender: str | None = None
    default_voice_id: str | None = None
    preview_image_url: str | None = None
    image_width: int | None = None
    image_height: int | None = None
    status: str | None = None
    error: LookError | None = None
    supported_api_engines: list[str] = Field(default_factory=list)


class Group(Answer):
    id: str
    name: str | None = None
    status: str | None = None
    consent_status: str | None = None
    default_voice_id: str | None = None
    preview_image_url: str | None = None
    error: LookError | None = None


class AvatarCreated(Answer):
    avatar_item: Look | None = None
    avatar_group: Group | None = None


class ConsentAnswer(Answer):
    avatar_group: Group | None = None
    url: str | None = None


class Asset(Answer):
    asset_id: str
    url: str | None = None


class DirectUpload(Answer):
    asset_id: str
    upload_url: str
    upload_headers: dict[str, str] = Field(default_factory=dict)


class VideoCreated(Answer):
    video_id: str


class Video(Answer):
    id: str | None = None
    status: str
    duration: float | None = None
    video_url: str | None = None
    captioned_video_url: str | None = None
    subtitle_url: str | None = None
    thumbnail_url: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None


class AgentMessage(Answer):
    role: str | None = None
    type: str | None = None
    content: str | None = None


class AgentSession(Answer):
    """POST /v3/video-agents and GET /v3/video-agents/{session_id} (the POST answer has no progress, no messages)."""

    session_id: str
    status: str
    progress: float | None = None
    video_id: str | None = None
    title: str | None = None
    messages: list[AgentMessage] = Field(default_factory=list)


class StatusError(Answer):
    code: str | None = None
    message: str | None = None


class StatusItem(Answer):
    """One item of GET /v3/videos/statuses: named by `video_id` (null for a batch item not made yet), status
    queued | processing | completed | failed | not_found, `error` when failed, and no URLs."""

    video_id: str | None = None
    status: str
    error: StatusError | None = None


class V3Voice(Answer):
    voice_id: str
    name: str | None = None
    gender: str | None = None
    language: str | None = None
    preview_audio_url: str | None = None


class Wallet(Answer):
    remaining_balance: float | None = None


class Me(Answer):
    remaining_credits: float | None = None
    wallet: Wallet | None = None


class Endpoint(Answer):
    endpoint_id: str
    url: str | None = None
    secret: str | None = None
