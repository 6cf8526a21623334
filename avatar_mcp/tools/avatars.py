"""Avatar tools: generate_photo_avatar, create_photo_avatar, train_photo_avatar, create_digital_twin,
create_companion. Each runs the checklist (tools/_flow.py) before anything is submitted."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, ElicitationResult, Resolve
from mcp_types import CallToolResult
from pydantic import Field

from avatar_mcp.models import JobHandle
from avatar_mcp.specs import Age, Ethnicity, GenerationPick, PhotoGender, PhotoOrientation, PhotoStyle, Pose, TwinGender
from avatar_mcp.tools import _flow
from avatar_mcp.tools._common import ToolSpec, creates
from avatar_mcp.tools.catalog import ProviderName

OnMissing = Annotated[_flow.OnMissing, Field(description="'default': fill missing fields instead of asking.")]
Confirm = Annotated[bool | Annotated[str, Field(max_length=64)], Field(
    description="After needs_confirmation: its confirmation_code, once the user approved.")]
Wait = Annotated[float, Field(ge=0, le=600)]
MediaArg = Annotated[str | None, Field(max_length=2000,
                                       description="Local path (media roots), https URL or asset:<id>.")]
Name = Annotated[str | None, Field(max_length=100)]
Answers = ElicitationResult[Any]
PhotoAge = Annotated[Age | None, Field(description="Apparent age.")]


def _photo_request(name: str | None, age: str | None, gender: str | None, ethnicity: str | None,
                   orientation: str | None, pose: str | None, style: str | None,
                   appearance: str | None) -> dict[str, Any]:
    return {"name": name, "age": age, "gender": gender, "ethnicity": ethnicity, "orientation": orientation,
            "pose": pose, "style": style, "appearance": appearance}


_PHOTO = _flow.Flow("generate_photo_avatar", _photo_request)


async def generate_photo_avatar(
    ctx: Context[Any, Any],
    name: Name = None,
    age: PhotoAge = None,
    gender: Annotated[PhotoGender | None, Field()] = None,
    ethnicity: Annotated[Ethnicity | None, Field()] = None,
    orientation: Annotated[PhotoOrientation | None, Field()] = None,
    pose: Annotated[Pose | None, Field()] = None,
    style: Annotated[PhotoStyle | None, Field()] = None,
    appearance: Annotated[str | None, Field(max_length=1000, description="Hair, clothing, colours, setting.")] = None,
    on_missing: OnMissing = "ask",
    provider: ProviderName = None,
    confirm_spend: Confirm = False,
    wait_seconds: Wait = 0,
    answers: Annotated[Answers, Resolve(_PHOTO.ask)] = None,  # type: ignore[assignment]
    call: Annotated[_flow.Call, Resolve(_PHOTO.plan)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Generate AI photos of a person who does not exist, to become a photo avatar.

    All eight fields are required; missing ones are asked first (or defaulted). Returns a photo_generation job;
    on success result.candidates holds the images. Next: create_photo_avatar(from_generation={job_id, index}).
    The local provider draws illustrations offline.
    """
    return await _flow.run(ctx, call, answers, wait_seconds)


def _photo_avatar_request(image: str | None, from_generation: GenerationPick | None,
                          name: str | None) -> dict[str, Any]:
    return {"image": image, "from_generation": from_generation.model_dump() if from_generation else None,
            "name": name}


_PHOTO_AVATAR = _flow.Flow("create_photo_avatar", _photo_avatar_request)


async def create_photo_avatar(
    ctx: Context[Any, Any],
    image: MediaArg = None,
    from_generation: Annotated[GenerationPick | None, Field(
        description="A candidate of a finished generate_photo_avatar job: {job_id, index}.")] = None,
    name: Name = None,
    on_missing: OnMissing = "ask",
    provider: ProviderName = None,
    confirm_spend: Confirm = False,
    wait_seconds: Wait = 0,
    answers: Annotated[Answers, Resolve(_PHOTO_AVATAR.ask)] = None,  # type: ignore[assignment]
    call: Annotated[_flow.Call, Resolve(_PHOTO_AVATAR.plan)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Turn a photo (image) or a generated candidate (from_generation) into a reusable talking avatar.

    Photo: JPEG/PNG, >= 512x512, < 10 MB, one front-facing face (avatar://guides/photo-requirements). Returns an
    avatar job; result.avatar_id then goes into create_video. To animate a photo once, use create_photo_video.
    """
    return await _flow.run(ctx, call, answers, wait_seconds)


def _train_request(avatar_id: str) -> dict[str, Any]:
    return {"avatar_id": avatar_id}


_TRAIN = _flow.Flow("train_photo_avatar", _train_request, on_missing=False)


async def train_photo_avatar(
    ctx: Context[Any, Any],
    avatar_id: Annotated[str, Field(min_length=1, max_length=200, description="The photo avatar (group) to train.")],
    provider: ProviderName = None,
    confirm_spend: Confirm = False,
    wait_seconds: Wait = 0,
    answers: Annotated[Answers, Resolve(_TRAIN.ask)] = None,  # type: ignore[assignment]
    call: Annotated[_flow.Call, Resolve(_TRAIN.plan)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Train a photo avatar group so its looks and motion stay consistent (HeyGen v2: 4 credits).

    Returns a training job that succeeds when training is done.
    """
    return await _flow.run(ctx, call, answers, wait_seconds)


def _twin_request(video: str | None, consent_video: str | None, name: str | None, version: str | None,
                  gender: str | None, ethnicity: str | None, description: str | None) -> dict[str, Any]:
    return {"video": video, "consent_video": consent_video, "name": name, "version": version, "gender": gender,
            "ethnicity": ethnicity, "description": description}


_TWIN = _flow.Flow("create_digital_twin", _twin_request)


async def create_digital_twin(
    ctx: Context[Any, Any],
    video: Annotated[str | None, Field(max_length=2000, description="Footage of the person speaking to camera: "
                                       "local path (media roots), https URL or asset:<id>.")] = None,
    consent_video: Annotated[str | None, Field(max_length=2000, description="The person reading the vendor's "
                                               "consent statement, where required.")] = None,
    name: Name = None,
    version: Annotated[Literal["v1", "v2"] | None, Field(description="Napster model.")] = None,
    gender: Annotated[TwinGender | None, Field()] = None,
    ethnicity: Annotated[str | None, Field(max_length=100)] = None,
    description: Annotated[str | None, Field(max_length=2000, description="Who the twin is (Napster).")] = None,
    on_missing: OnMissing = "ask",
    provider: ProviderName = None,
    confirm_spend: Confirm = False,
    wait_seconds: Wait = 0,
    answers: Annotated[Answers, Resolve(_TWIN.ask)] = None,  # type: ignore[assignment]
    call: Annotated[_flow.Call, Resolve(_TWIN.plan)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Create a digital twin (a video avatar of a real person) from their own footage, with their consent.

    Some vendors take a consent video, others answer result.consent_url for the person to open. Tips:
    avatar://guides/reference-video. Returns an avatar job (hours at vendors; the local studio is quick).
    """
    return await _flow.run(ctx, call, answers, wait_seconds)


def _companion_request(description: str | None, version: str | None, picture: str | None, video: str | None,
                       first_name: str | None, last_name: str | None, gender: str | None,
                       ethnicity: str | None) -> dict[str, Any]:
    return {"description": description, "version": version, "picture": picture, "video": video,
            "first_name": first_name, "last_name": last_name, "gender": gender, "ethnicity": ethnicity}


_COMPANION = _flow.Flow("create_companion", _companion_request)


async def create_companion(
    ctx: Context[Any, Any],
    description: Annotated[str | None, Field(max_length=2000, description="Personality, role, tone.")] = None,
    version: Annotated[Literal["v1", "v2"] | None, Field(description="v1 from a picture (fast), v2 from a video "
                                                                     "(best, hours).")] = None,
    picture: MediaArg = None,
    video: MediaArg = None,
    first_name: Annotated[str | None, Field(max_length=100)] = None,
    last_name: Annotated[str | None, Field(max_length=100)] = None,
    gender: Annotated[Literal["male", "female", "nonBinary"] | None, Field()] = None,
    ethnicity: Annotated[str | None, Field(max_length=100)] = None,
    on_missing: OnMissing = "ask",
    provider: ProviderName = None,
    confirm_spend: Confirm = False,
    wait_seconds: Wait = 0,
    answers: Annotated[Answers, Resolve(_COMPANION.ask)] = None,  # type: ignore[assignment]
    call: Annotated[_flow.Call, Resolve(_COMPANION.plan)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Create a real-time companion avatar (Napster): v1 from a picture (~15 min), v2 from a video (hours).

    See avatar://guides/avatar-models. Returns an avatar job; the companion is usable once it succeeds.
    """
    return await _flow.run(ctx, call, answers, wait_seconds)


TOOLS: list[ToolSpec] = [
    creates(generate_photo_avatar),
    creates(create_photo_avatar),
    creates(train_photo_avatar),
    creates(create_digital_twin),
    creates(create_companion),
]
