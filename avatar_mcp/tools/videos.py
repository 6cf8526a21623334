"""Video tools: create_video (1-50 scenes) and create_photo_video (one photo talks)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, Resolve
from mcp_types import CallToolResult
from pydantic import Field

from avatar_mcp.models import JobHandle
from avatar_mcp.specs import Background, Dimension, Orientation, OutputFormat, RenderOptions, Scene
from avatar_mcp.tools import _flow
from avatar_mcp.tools._common import ToolSpec, creates
from avatar_mcp.tools.avatars import Answers, Confirm, MediaArg, OnMissing, Wait
from avatar_mcp.tools.catalog import ProviderName

Scenes = Annotated[list[Scene] | None, Field(
    max_length=50, description="In order. Each: avatar_id (list_avatars), one of script, audio or silence_seconds, "
                               "voice_id (list_voices), background.")]
Options = Annotated[RenderOptions | None, Field(
    description="Vendor knobs; a provider refuses, by name, those it lacks (see list_providers notes).")]
VoiceLanguage = Annotated[str | None, Field(max_length=40, description="Voice language if one must be picked.")]
VoiceGender = Annotated[str | None, Field(max_length=20, description="Voice gender if one must be picked.")]


def _video_request(scenes: list[Scene] | None, orientation: str | None, dimension: Dimension | None, caption: bool,
                   title: str | None, output_format: str, options: RenderOptions | None, voice_language: str | None,
                   voice_gender: str | None) -> dict[str, Any]:
    return {"scenes": [s.model_dump(exclude_none=True) for s in scenes or []], "orientation": orientation,
            "dimension": dimension.model_dump() if dimension else None, "caption": caption, "title": title,
            "output_format": output_format, "options": options.given() if options else None,
            "voice_language": voice_language, "voice_gender": voice_gender}


_VIDEO = _flow.Flow("create_video", _video_request)


async def create_video(
    ctx: Context[Any, Any],
    scenes: Scenes = None,
    orientation: Annotated[Orientation | None, Field(description="1280x720, 720x1280 or 720x720.")] = None,
    dimension: Annotated[Dimension | None, Field(description="Exact size instead.")] = None,
    caption: Annotated[bool, Field(description="Burn captions in (an SRT comes too).")] = False,
    title: Annotated[str | None, Field(max_length=200)] = None,
    output_format: OutputFormat = "mp4",
    options: Options = None,
    voice_language: VoiceLanguage = None,
    voice_gender: VoiceGender = None,
    on_missing: OnMissing = "ask",
    provider: ProviderName = None,
    confirm_spend: Confirm = False,
    wait_seconds: Wait = 0,
    answers: Annotated[Answers, Resolve(_VIDEO.ask)] = None,  # type: ignore[assignment]
    call: Annotated[_flow.Call, Resolve(_VIDEO.plan)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Make a talking-avatar video of 1-50 scenes with existing avatars (avatar + script/audio/silence + voice +
    background).

    Missing avatar, script, voice or orientation are asked first (the voice defaults to the avatar's own).
    Returns a video job at once; follow it with check_job. On success result has video_path, captions_path,
    duration_seconds.
    """
    return await _flow.run(ctx, call, answers, wait_seconds)


def _photo_video_request(image: str | None, script: str | None, audio: str | None, voice_id: str | None,
                         orientation: str, fit: str, motion_prompt: str | None, title: str | None, caption: bool,
                         speed: float, pitch: int, background: Background | None, output_format: str,
                         options: RenderOptions | None, voice_language: str | None,
                         voice_gender: str | None) -> dict[str, Any]:
    return {"image": image, "script": script, "audio": audio, "voice_id": voice_id, "orientation": orientation,
            "fit": fit, "motion_prompt": motion_prompt, "title": title, "caption": caption, "speed": speed,
            "pitch": pitch, "background": background.model_dump() if background else None,
            "output_format": output_format, "options": options.given() if options else None,
            "voice_language": voice_language, "voice_gender": voice_gender}


_PHOTO_VIDEO = _flow.Flow("create_photo_video", _photo_video_request)


async def create_photo_video(
    ctx: Context[Any, Any],
    image: MediaArg = None,
    script: Annotated[str | None, Field(max_length=5000, description="What the photo says.")] = None,
    audio: MediaArg = None,
    voice_id: Annotated[str | None, Field(max_length=200, description="From list_voices.")] = None,
    orientation: Orientation = "landscape",
    fit: Annotated[str, Field(pattern="^(cover|contain)$")] = "cover",
    motion_prompt: Annotated[str | None, Field(max_length=1000, description="How the person moves (HeyGen).")] = None,
    title: Annotated[str | None, Field(max_length=200)] = None,
    caption: Annotated[bool, Field(description="Burn captions in.")] = False,
    speed: Annotated[float, Field(ge=0.5, le=1.5)] = 1.0,
    pitch: Annotated[int, Field(ge=-50, le=50)] = 0,
    background: Background | None = None,
    output_format: OutputFormat = "mp4",
    options: Options = None,
    voice_language: VoiceLanguage = None,
    voice_gender: VoiceGender = None,
    on_missing: OnMissing = "ask",
    provider: ProviderName = None,
    confirm_spend: Confirm = False,
    wait_seconds: Wait = 0,
    answers: Annotated[Answers, Resolve(_PHOTO_VIDEO.ask)] = None,  # type: ignore[assignment]
    call: Annotated[_flow.Call, Resolve(_PHOTO_VIDEO.plan)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Make one photo talk without creating an avatar first (HeyGen Avatar IV, Runware Avatar V, local studio).

    Give image and a script (voice_id) or audio. Returns a video job; follow it with check_job.
    """
    return await _flow.run(ctx, call, answers, wait_seconds)


def _prompt_video_request(prompt: str | None, avatar_id: str | None, voice_id: str | None,
                          orientation: str | None) -> dict[str, Any]:
    return {"prompt": prompt, "avatar_id": avatar_id, "voice_id": voice_id, "orientation": orientation}


_PROMPT_VIDEO = _flow.Flow("create_video_from_prompt", _prompt_video_request)


async def create_video_from_prompt(
    ctx: Context[Any, Any],
    prompt: Annotated[str | None, Field(max_length=10000, description="Topic, audience, tone, length, key "
                                                                      "points.")] = None,
    avatar_id: Annotated[str | None, Field(max_length=200)] = None,
    voice_id: Annotated[str | None, Field(max_length=200)] = None,
    orientation: Literal["landscape", "portrait"] | None = None,
    on_missing: OnMissing = "ask",
    provider: ProviderName = None,
    confirm_spend: Confirm = False,
    wait_seconds: Wait = 0,
    answers: Annotated[Answers, Resolve(_PROMPT_VIDEO.ask)] = None,  # type: ignore[assignment]
    call: Annotated[_flow.Call, Resolve(_PROMPT_VIDEO.plan)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Make a whole video from a description: the vendor's agent writes, casts and edits it (HeyGen v3 Video
    Agent). Use create_video instead when you have the exact script and avatar.

    Returns a video job; follow it with check_job.
    """
    return await _flow.run(ctx, call, answers, wait_seconds)


TOOLS: list[ToolSpec] = [
    creates(create_video),
    creates(create_photo_video),
    creates(create_video_from_prompt),
]
