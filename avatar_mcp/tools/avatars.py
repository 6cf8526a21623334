"""Avatar tools: generate_photo_avatar, create_photo_avatar, train_photo_avatar, create_digital_twin,
create_companion. Each runs the checklist (tools/_flow.py) before anything is submitted."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from avatar_mcp.app import service_of
from avatar_mcp.models import (
    Age,
    Ethnicity,
    GenerationPick,
    JobHandle,
    JobRecord,
    PhotoGender,
    PhotoOrientation,
    PhotoStyle,
    Pose,
    TwinGender,
)
from avatar_mcp.principals import principal_of
from avatar_mcp.tools import _flow
from avatar_mcp.tools._common import CREATES, ToolSpec, tool_errors
from avatar_mcp.tools.catalog import ProviderName

OnMissing = Annotated[_flow.OnMissing, Field(description="'default': fill missing fields instead of asking.")]
Confirm = Annotated[bool | Annotated[str, Field(max_length=64)], Field(
    description="After needs_confirmation: its confirmation_code, once the user approved.")]
Wait = Annotated[float, Field(ge=0, le=600)]
MediaArg = Annotated[str | None, Field(max_length=2000,
                                       description="Local path (media roots), https URL or asset key.")]
Name = Annotated[str | None, Field(max_length=100)]
Answers = ElicitationResult[Any]
PhotoAge = Annotated[Age | None, Field(description="Apparent age.")]


def _photo_request(name: str | None, age: str | None, gender: str | None, ethnicity: str | None,
                   orientation: str | None, pose: str | None, style: str | None,
                   appearance: str | None) -> dict[str, Any]:
    return {"name": name, "age": age, "gender": gender, "ethnicity": ethnicity, "orientation": orientation,
            "pose": pose, "style": style, "appearance": appearance}


async def _ask_photo(ctx: Context[Any, Any], name: str | None, age: str | None, gender: str | None,
                     ethnicity: str | None, orientation: str | None, pose: str | None, style: str | None,
                     appearance: str | None, on_missing: _flow.OnMissing, provider: str | None,
                     confirm_spend: _flow.Confirmation) -> Any:
    request = _photo_request(name, age, gender, ethnicity, orientation, pose, style, appearance)
    return await _flow.ask(ctx, "generate_photo_avatar", provider, on_missing, confirm_spend, request)


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
    answers: Annotated[Answers, Resolve(_ask_photo)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Generate AI photos of a person who does not exist, to become a photo avatar.

    All eight fields are required; missing ones are asked first (or defaulted). Returns a photo_generation job;
    on success result.candidates holds the images. Next: create_photo_avatar(from_generation={job_id, index}).
    The local provider draws illustrations offline.
    """
    request = _photo_request(name, age, gender, ethnicity, orientation, pose, style, appearance)
    return await _flow.run(ctx, "generate_photo_avatar", provider, on_missing, confirm_spend, request, answers,
                           wait_seconds)


async def _ask_photo_avatar(ctx: Context[Any, Any], image: str | None, from_generation: GenerationPick | None,
                            name: str | None, on_missing: _flow.OnMissing, provider: str | None,
                            confirm_spend: _flow.Confirmation) -> Any:
    chosen, _ = await _generation(ctx, from_generation, provider)
    request = {"image": image, "from_generation": from_generation.model_dump() if from_generation else None,
               "name": name}
    return await _flow.ask(ctx, "create_photo_avatar", chosen, on_missing, confirm_spend, request)


async def _generation(ctx: Context[Any, Any], pick: GenerationPick | None,
                      provider: str | None) -> tuple[str | None, JobRecord | None]:
    """The provider to use and the generation job a candidate comes from (it lives where it was generated)."""
    if pick is None:
        return provider, None
    with tool_errors():
        job = await (await service_of(ctx)).get(pick.job_id, principal=principal_of(ctx))
    candidates = job.result.candidates if job.result else None
    if job.kind != "photo_generation" or job.status != "succeeded" or not candidates:
        raise ToolError(f"Job {job.id} is a {job.kind} job in state {job.status}; from_generation needs a succeeded "
                        f"generate_photo_avatar job. Use check_job first.")
    if pick.index not in {c.index for c in candidates}:
        raise ToolError(f"Job {job.id} has candidates {[c.index for c in candidates]}; pick one of those.")
    if provider is not None and provider != job.provider:
        raise ToolError(f"Job {pick.job_id} was generated by {job.provider}; its candidates can only become avatars "
                        f"there. Call again with provider='{job.provider}' (or leave provider out).")
    return job.provider, job


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
    answers: Annotated[Answers, Resolve(_ask_photo_avatar)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Turn a photo (image) or a generated candidate (from_generation) into a reusable talking avatar.

    Photo: JPEG/PNG, >= 512x512, < 10 MB, one front-facing face (avatar://guides/photo-requirements). Returns an
    avatar job; result.avatar_id then goes into create_video. To animate a photo once, use create_photo_video.
    """
    chosen, generation = await _generation(ctx, from_generation, provider)
    request = {"image": image, "from_generation": from_generation.model_dump() if from_generation else None,
               "name": name}
    return await _flow.run(ctx, "create_photo_avatar", chosen, on_missing, confirm_spend, request, answers,
                           wait_seconds, generation=generation)


async def _ask_train(ctx: Context[Any, Any], avatar_id: str, provider: str | None,
                     confirm_spend: _flow.Confirmation) -> Any:
    return await _flow.ask(ctx, "train_photo_avatar", provider, "ask", confirm_spend, {"avatar_id": avatar_id})


async def train_photo_avatar(
    ctx: Context[Any, Any],
    avatar_id: Annotated[str, Field(min_length=1, max_length=200, description="The photo avatar (group) to train.")],
    provider: ProviderName = None,
    confirm_spend: Confirm = False,
    wait_seconds: Wait = 0,
    answers: Annotated[Answers, Resolve(_ask_train)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Train a photo avatar group so its looks and motion stay consistent (HeyGen v2: 4 credits).

    Returns a training job that succeeds when training is done.
    """
    request = {"avatar_id": avatar_id}
    return await _flow.run(ctx, "train_photo_avatar", provider, "ask", confirm_spend, request, answers,
                           wait_seconds)


def _twin_request(video: str | None, consent_video: str | None, name: str | None, version: str | None,
                  gender: str | None, ethnicity: str | None, description: str | None) -> dict[str, Any]:
    return {"video": video, "consent_video": consent_video, "name": name, "version": version, "gender": gender,
            "ethnicity": ethnicity, "description": description}


async def _ask_twin(ctx: Context[Any, Any], video: str | None, consent_video: str | None, name: str | None,
                    version: str | None, gender: str | None, ethnicity: str | None, description: str | None,
                    on_missing: _flow.OnMissing, provider: str | None, confirm_spend: _flow.Confirmation) -> Any:
    request = _twin_request(video, consent_video, name, version, gender, ethnicity, description)
    return await _flow.ask(ctx, "create_digital_twin", provider, on_missing, confirm_spend, request)


async def create_digital_twin(
    ctx: Context[Any, Any],
    video: Annotated[str | None, Field(max_length=2000, description="Footage of the person speaking to camera: "
                                       "local path (media roots), https URL or asset key.")] = None,
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
    answers: Annotated[Answers, Resolve(_ask_twin)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Create a digital twin (a video avatar of a real person) from their own footage, with their consent.

    Some vendors take a consent video, others answer result.consent_url for the person to open. Tips:
    avatar://guides/reference-video. Returns an avatar job (hours at vendors; the local studio is quick).
    """
    request = _twin_request(video, consent_video, name, version, gender, ethnicity, description)
    return await _flow.run(ctx, "create_digital_twin", provider, on_missing, confirm_spend, request, answers,
                           wait_seconds)


def _companion_request(description: str | None, version: str | None, picture: str | None, video: str | None,
                       first_name: str | None, last_name: str | None, gender: str | None,
                       ethnicity: str | None) -> dict[str, Any]:
    return {"description": description, "version": version, "picture": picture, "video": video,
            "first_name": first_name, "last_name": last_name, "gender": gender, "ethnicity": ethnicity}


async def _ask_companion(ctx: Context[Any, Any], description: str | None, version: str | None, picture: str | None,
                         video: str | None, first_name: str | None, last_name: str | None, gender: str | None,
                         ethnicity: str | None, on_missing: _flow.OnMissing, provider: str | None,
                         confirm_spend: _flow.Confirmation) -> Any:
    request = _companion_request(description, version, picture, video, first_name, last_name, gender, ethnicity)
    return await _flow.ask(ctx, "create_companion", provider, on_missing, confirm_spend, request)


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
    answers: Annotated[Answers, Resolve(_ask_companion)] = None,  # type: ignore[assignment]
) -> Annotated[CallToolResult, JobHandle]:
    """Create a real-time companion avatar (Napster): v1 from a picture (~15 min), v2 from a video (hours).

    See avatar://guides/avatar-models. Returns an avatar job; the companion is usable once it succeeds.
    """
    request = _companion_request(description, version, picture, video, first_name, last_name, gender, ethnicity)
    return await _flow.run(ctx, "create_companion", provider, on_missing, confirm_spend, request, answers,
                           wait_seconds)


TOOLS: list[ToolSpec] = [
    ToolSpec(generate_photo_avatar, "Generate an AI photo avatar", CREATES),
    ToolSpec(create_photo_avatar, "Create a photo avatar", CREATES),
    ToolSpec(train_photo_avatar, "Train a photo avatar", CREATES),
    ToolSpec(create_digital_twin, "Create a digital twin", CREATES),
    ToolSpec(create_companion, "Create a companion", CREATES),
]
