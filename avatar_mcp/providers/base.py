"""The provider protocol every vendor module (and the local studio) implements.

A provider turns the unified specs of models.py into vendor calls. Creation calls return a `Submission`
(the vendor's id plus what is known so far); `get_job` turns the vendor's status into a `JobUpdate`.
The service owns the job store: providers never write jobs themselves.

Operations a provider lacks are simply absent from `capabilities.operations`; `BaseProvider` answers
them with `CapabilityMissing`, and the service names the providers that can.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from avatar_mcp.errors import CapabilityMissing, InvalidInput
from avatar_mcp.models import AvatarInfo, CatalogQuery, Cost, JobError, JobRecord, JobResult, JobStatus, Voice
from avatar_mcp.operations import (
    CREATE_COMPANION,
    CREATE_DIGITAL_TWIN,
    CREATE_PHOTO_AVATAR,
    CREATE_PHOTO_VIDEO,
    CREATE_VIDEO,
    CREATE_VIDEO_FROM_PROMPT,
    DELETE_AVATAR,
    GENERATE_PHOTO,
    LIST_AVATARS,
    LIST_VOICES,
    TRAIN_PHOTO_AVATAR,
)
from avatar_mcp.specs import (
    CompanionSpec,
    DigitalTwinSpec,
    PhotoAvatarSpec,
    PhotoGenerationSpec,
    PhotoVideoSpec,
    PromptVideoSpec,
    RenderOptions,
    VideoSpec,
)


@dataclass(frozen=True)
class Capabilities:
    operations: frozenset[str]
    batch_status: bool = False
    """`get_jobs` asks about many jobs in one request (HeyGen v3 statuses)."""
    idempotent_create: bool = False
    """A create can be replayed safely (idempotency key or client-chosen id): interrupted jobs are reconciled."""
    findable_create: bool = False
    """A create cannot be replayed, but one whose answer was lost (a 5xx, a dropped connection, a crash) can be
    found again at the vendor, e.g. in its listings: `reconcile` looks for it, and the job ends `unknown` (with
    advice) only when it is not found."""
    webhooks: bool = False
    consent_video_required: bool = False
    """A digital twin needs a consent video up front (HeyGen v2's video_consent_url)."""
    image_scenes: bool = False
    """A video scene with an image background needs no avatar: it shows the image while the speech plays (HeyGen v3
    studio videos). The checklist then asks no avatar_id for such a scene."""
    unavailable: Mapping[str, str] = field(default_factory=dict)
    """Operations of this vendor that its current settings rule out, with what to do (e.g. HeyGen v2 has no
    Video Agent): refused before the checklist asks anything, and left out of list_providers."""
    default_voice_id: str | None = None
    """The voice_id that lets the vendor choose the voice for a script given without one (Runware: 'auto', Avatar V
    picks a voice for the avatar): the checklist offers it as the voice question's default."""
    voice_advice: str | None = None
    """What a voice_id is at this vendor, said in the checklist's voice question when there is no list to choose
    from (None: a voice_id from list_voices)."""
    required_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Fields this vendor needs on top of the unified ones, by operation (e.g. a twin's gender): the checklist
    asks for them before anything is sent. Names come from checklist.EXTRA_QUESTIONS."""
    notes: str | None = None


class Submission(BaseModel):
    """What a create call returned."""

    vendor_id: str
    status: JobStatus = "queued"
    progress: float = 0.0
    message: str | None = None
    expected_seconds: float | None = Field(default=None, description="Rough render time: sets the first poll.")
    poll_after: float | None = Field(default=None, description="The provider's own hint for the first poll.")
    vendor_state: dict[str, Any] = Field(default_factory=dict)
    result: JobResult | None = None


class JobUpdate(BaseModel):
    """What a status call found. `None` fields leave the stored value unchanged."""

    status: JobStatus
    vendor_id: str | None = Field(default=None, description="Set when reconciling learned the vendor's id.")
    progress: float | None = None
    message: str | None = None
    result: JobResult | None = None
    error: JobError | None = None
    retry_after: float | None = Field(default=None, description="The vendor asked us to wait this long.")
    poll_after: float | None = Field(default=None, description="The provider's own hint for the next poll.")
    vendor_state: dict[str, Any] | None = None


ProgressFn = Callable[[float, str], Awaitable[None]]


async def _no_progress(fraction: float, message: str) -> None:
    return None


@runtime_checkable
class AssetMemo(Protocol):
    """Where a provider remembers files it has uploaded, by account and content hash (the job store does it)."""

    async def remembered_asset(self, account: str, digest: str) -> str | None: ...
    async def remember_asset(self, account: str, digest: str, asset_id: str) -> None: ...
    async def forget_asset(self, account: str, digest: str) -> None: ...


@dataclass
class SubmitContext:
    """Per-submission facts a provider may need."""

    job_id: str
    callback_url: str | None = None
    report: ProgressFn = _no_progress
    vendor_state: dict[str, Any] = field(default_factory=dict)
    assets: AssetMemo | None = None
    """Uploads already made, to reuse rather than send the same bytes again (None: always upload)."""

    @property
    def idempotency_key(self) -> str:
        """Stable for the job: replaying a create with it never pays twice."""
        return f"avatar-mcp:{self.job_id}"


@runtime_checkable
class Provider(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def capabilities(self) -> Capabilities: ...

    async def generate_photo(self, spec: PhotoGenerationSpec, ctx: SubmitContext) -> Submission: ...
    async def create_photo_avatar(self, spec: PhotoAvatarSpec, ctx: SubmitContext,
                                  generation: JobRecord | None) -> Submission: ...
    async def train_photo_avatar(self, avatar_id: str, ctx: SubmitContext) -> Submission: ...
    async def create_digital_twin(self, spec: DigitalTwinSpec, ctx: SubmitContext) -> Submission: ...
    async def create_companion(self, spec: CompanionSpec, ctx: SubmitContext) -> Submission: ...
    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission: ...
    async def create_photo_video(self, spec: PhotoVideoSpec, ctx: SubmitContext) -> Submission: ...
    async def create_video_from_prompt(self, spec: PromptVideoSpec, ctx: SubmitContext) -> Submission: ...
    async def get_job(self, job: JobRecord) -> JobUpdate: ...
    async def get_jobs(self, jobs: Sequence[JobRecord]) -> dict[str, JobUpdate]: ...
    async def cancel(self, job: JobRecord) -> JobUpdate | None: ...
    async def reconcile(self, job: JobRecord) -> JobUpdate | None: ...
    async def list_voices(self, query: CatalogQuery) -> list[Voice]: ...
    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]: ...
    async def avatar_status(self, avatar_id: str) -> AvatarInfo | None: ...
    async def delete_avatar(self, avatar_id: str) -> None: ...
    def estimate_cost(self, operation: str, spec: BaseModel) -> Cost | None: ...
    async def aclose(self) -> None: ...


class BaseProvider:
    """Default answers for everything a provider does not do. Subclasses override what they support."""

    name: ClassVar[str] = "base"
    title: ClassVar[str] = "Base"
    capabilities: Capabilities = Capabilities(operations=frozenset())

    def _missing(self, operation: str) -> CapabilityMissing:
        return CapabilityMissing(self.name, operation, ())

    async def generate_photo(self, spec: PhotoGenerationSpec, ctx: SubmitContext) -> Submission:
        raise self._missing(GENERATE_PHOTO)

    async def create_photo_avatar(self, spec: PhotoAvatarSpec, ctx: SubmitContext,
                                  generation: JobRecord | None) -> Submission:
        raise self._missing(CREATE_PHOTO_AVATAR)

    async def train_photo_avatar(self, avatar_id: str, ctx: SubmitContext) -> Submission:
        raise self._missing(TRAIN_PHOTO_AVATAR)

    async def create_digital_twin(self, spec: DigitalTwinSpec, ctx: SubmitContext) -> Submission:
        raise self._missing(CREATE_DIGITAL_TWIN)

    async def create_companion(self, spec: CompanionSpec, ctx: SubmitContext) -> Submission:
        raise self._missing(CREATE_COMPANION)

    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        raise self._missing(CREATE_VIDEO)

    async def create_photo_video(self, spec: PhotoVideoSpec, ctx: SubmitContext) -> Submission:
        raise self._missing(CREATE_PHOTO_VIDEO)

    async def create_video_from_prompt(self, spec: PromptVideoSpec, ctx: SubmitContext) -> Submission:
        raise self._missing(CREATE_VIDEO_FROM_PROMPT)

    async def get_job(self, job: JobRecord) -> JobUpdate:
        raise NotImplementedError

    async def get_jobs(self, jobs: Sequence[JobRecord]) -> dict[str, JobUpdate]:
        """Status of several jobs; vendors without a batch endpoint ask one by one."""
        return {job.id: await self.get_job(job) for job in jobs}

    async def cancel(self, job: JobRecord) -> JobUpdate | None:
        """Stop the job at the vendor where possible; None when the vendor has no cancel."""
        return None

    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        """A create that may have reached the vendor without an answer (an interrupted submission, a job found in
        `submitting` at start-up): recover it safely (replay by key, or find it at the vendor), or None when that is
        impossible. Never creates a second paid job."""
        return None

    async def list_voices(self, query: CatalogQuery) -> list[Voice]:
        raise self._missing(LIST_VOICES)

    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]:
        raise self._missing(LIST_AVATARS)

    async def avatar_status(self, avatar_id: str) -> AvatarInfo | None:
        """Readiness of an avatar before a video uses it; None when the provider cannot tell."""
        return None

    async def delete_avatar(self, avatar_id: str) -> None:
        raise self._missing(DELETE_AVATAR)

    def estimate_cost(self, operation: str, spec: BaseModel) -> Cost | None:
        return None

    async def aclose(self) -> None:
        return None


def check_options(provider: str, options: RenderOptions | None, supported: Iterable[str]) -> dict[str, Any]:
    """The options this provider takes, after refusing (before any request) the ones it does not, naming the
    vendors that take them (from their specs)."""
    from avatar_mcp.providers import option_support

    if options is None:
        return {}
    given = options.given()
    refused = sorted(set(given) - set(supported))
    if refused:
        support = option_support()
        where = "; ".join(f"{name}: {', '.join(support.get(name, ())) or 'none'}" for name in refused)
        raise InvalidInput(f"The {provider} provider does not take the option(s) {', '.join(refused)}. Remove them, or "
                           f"use a provider that does ({where}).", field="options")
    return given
