"""Every operation that creates something, in one table: the one place an operation is defined.

A row says what the operation is called (its tool name), how messages name it, which kind of job it makes, the
spec model its complete request validates into, the checklist questions it asks, which of its arguments name
media, and the provider method that submits it. Tools, the checklist, planning, the service, the local studio and
the vendors' reconcile paths all read this table; a new operation is one row here, its spec in models.py, its
questions in checklist.py, its provider method in providers/base.py (and in the providers that do it), and its tool.

The catalogue operations (list_voices, list_avatars, delete_avatar) and cancel_job are capabilities a provider may
have, shown by list_providers; they submit nothing, so they have no row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from avatar_mcp import checklist
from avatar_mcp.models import JobKind, JobRecord
from avatar_mcp.specs import (
    CompanionSpec,
    DigitalTwinSpec,
    PhotoAvatarSpec,
    PhotoGenerationSpec,
    PhotoVideoSpec,
    PromptVideoSpec,
    TrainSpec,
    VideoSpec,
)

if TYPE_CHECKING:
    from avatar_mcp.media import MediaKind
    from avatar_mcp.providers.base import Provider, Submission, SubmitContext

GENERATE_PHOTO = "generate_photo_avatar"
CREATE_PHOTO_AVATAR = "create_photo_avatar"
TRAIN_PHOTO_AVATAR = "train_photo_avatar"
CREATE_DIGITAL_TWIN = "create_digital_twin"
CREATE_COMPANION = "create_companion"
CREATE_VIDEO = "create_video"
CREATE_PHOTO_VIDEO = "create_photo_video"
CREATE_VIDEO_FROM_PROMPT = "create_video_from_prompt"
LIST_VOICES = "list_voices"
LIST_AVATARS = "list_avatars"
DELETE_AVATAR = "delete_avatar"
CANCEL_JOB = "cancel_job"
CATALOGUE = (LIST_VOICES, LIST_AVATARS, DELETE_AVATAR, CANCEL_JOB)
"""Capabilities without a row: they submit nothing."""

ProviderCall = Callable[["Provider", Any, "SubmitContext", "JobRecord | None"], Awaitable["Submission"]]
"""How an operation is submitted: (provider, validated spec, context, the generation a photo avatar comes from)."""
Speech = Literal["scenes", "single"] | None
"""Where a request says who speaks what: in its `scenes` (each with an avatar), in itself (one photo), nowhere."""


@dataclass(frozen=True)
class Operation:
    """One row of the table (see the module docstring)."""

    name: str
    title: str
    """How messages name it: 'To {title} with HeyGen, ...'."""
    kind: JobKind
    spec: type[BaseModel]
    questions: checklist.QuestionFn
    call: ProviderCall
    media: Mapping[str, tuple[MediaKind, ...]] = field(default_factory=dict)
    """Top-level arguments naming media, with the kinds each accepts (scene media are found through `speech`)."""
    speech: Speech = None
    tips: Callable[[Mapping[str, Any] | None, list[checklist.Question]], str | None] | None = None
    """Advice added to the questions (e.g. how to film a reference video): given the request and the questions of a
    form, or None and the questions of a needs_input answer."""

    @property
    def tool_title(self) -> str:
        """The tool's title: the title as a heading."""
        return self.title[:1].upper() + self.title[1:]

    def validate(self, request: Mapping[str, Any]) -> BaseModel:
        """A complete request as its spec (raises pydantic's ValidationError, a ValueError); None means absent."""
        fields = {k: v for k, v in request.items() if k in self.spec.model_fields and v is not None}
        return self.spec.model_validate(fields)

    def stored(self, job: JobRecord) -> BaseModel:
        """The spec a job was submitted with, from its stored request. Top-level fields this release no longer has
        (the job was stored by an older one) are left out rather than refused: an open job outlives upgrades."""
        arguments = dict(job.request.get("arguments") or {})
        return self.spec.model_validate({k: v for k, v in arguments.items() if k in self.spec.model_fields})

    def speaking_parts(self, request: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
        """(where, part) for every part of the request that speaks: each scene, or the request itself."""
        if self.speech == "scenes":
            scenes = request.get("scenes") or []
            return [(f"scenes[{n}].", s) for n, s in enumerate(scenes) if isinstance(s, Mapping)]
        return [("", request)] if self.speech == "single" else []


async def _generate_photo(p: Provider, spec: Any, ctx: SubmitContext, generation: JobRecord | None) -> Submission:
    return await p.generate_photo(spec, ctx)


async def _photo_avatar(p: Provider, spec: Any, ctx: SubmitContext, generation: JobRecord | None) -> Submission:
    return await p.create_photo_avatar(spec, ctx, generation)


async def _train(p: Provider, spec: Any, ctx: SubmitContext, generation: JobRecord | None) -> Submission:
    return await p.train_photo_avatar(spec.avatar_id, ctx)


async def _twin(p: Provider, spec: Any, ctx: SubmitContext, generation: JobRecord | None) -> Submission:
    return await p.create_digital_twin(spec, ctx)


async def _companion(p: Provider, spec: Any, ctx: SubmitContext, generation: JobRecord | None) -> Submission:
    return await p.create_companion(spec, ctx)


async def _video(p: Provider, spec: Any, ctx: SubmitContext, generation: JobRecord | None) -> Submission:
    return await p.create_video(spec, ctx)


async def _photo_video(p: Provider, spec: Any, ctx: SubmitContext, generation: JobRecord | None) -> Submission:
    return await p.create_photo_video(spec, ctx)


async def _prompt_video(p: Provider, spec: Any, ctx: SubmitContext, generation: JobRecord | None) -> Submission:
    return await p.create_video_from_prompt(spec, ctx)


TABLE: tuple[Operation, ...] = (
    Operation(GENERATE_PHOTO, "generate an AI photo avatar", "photo_generation", PhotoGenerationSpec,
              checklist.photo_generation_questions, _generate_photo),
    Operation(CREATE_PHOTO_AVATAR, "create a photo avatar", "avatar", PhotoAvatarSpec,
              checklist.photo_avatar_questions, _photo_avatar, media={"image": ("image",)}),
    Operation(TRAIN_PHOTO_AVATAR, "train a photo avatar", "training", TrainSpec, checklist.no_questions, _train),
    Operation(CREATE_DIGITAL_TWIN, "create a digital twin", "avatar", DigitalTwinSpec,
              checklist.digital_twin_questions, _twin, media={"video": ("video",), "consent_video": ("video",)}),
    Operation(CREATE_COMPANION, "create a companion", "avatar", CompanionSpec, checklist.companion_questions,
              _companion, media={"picture": ("image",), "video": ("video",)}, tips=checklist.companion_tips),
    Operation(CREATE_VIDEO, "create a video", "video", VideoSpec, checklist.video_questions, _video,
              speech="scenes"),
    Operation(CREATE_PHOTO_VIDEO, "make a photo talk", "video", PhotoVideoSpec, checklist.photo_video_questions,
              _photo_video, media={"image": ("image",), "audio": ("audio", "video")}, speech="single"),
    Operation(CREATE_VIDEO_FROM_PROMPT, "make a video from a description", "video", PromptVideoSpec,
              checklist.prompt_video_questions, _prompt_video),
)
BY_NAME: Mapping[str, Operation] = {op.name: op for op in TABLE}
NAMES: frozenset[str] = frozenset(BY_NAME)
ALL: frozenset[str] = NAMES | frozenset(CATALOGUE)
"""Every capability name a provider may declare."""


def get(name: str) -> Operation:
    """The row of an operation (KeyError for a name that is not one)."""
    return BY_NAME[name]
