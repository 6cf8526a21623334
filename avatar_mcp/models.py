"""The typed vocabulary shared by tools, the service, the job store and the providers.

`JobRecord` is a stored job; `JobHandle` is what tools answer; the catalogue models describe voices, avatars and
providers. The specs (what the user asked for) are in specs.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from avatar_mcp.principals import LOCAL_PRINCIPAL as LOCAL_PRINCIPAL

# ---------------------------------------------------------------------------------------------- jobs

JobStatus = Literal["submitting", "queued", "processing", "finishing", "succeeded", "failed", "canceled", "unknown"]
OPEN_STATUSES: frozenset[str] = frozenset({"submitting", "queued", "processing", "finishing"})
"""States in which a job may still change on its own (jobs/lifecycle.py has the table of transitions)."""

JobKind = Literal["photo_generation", "avatar", "training", "video"]

AnswerStatus = Literal[
    "submitting", "queued", "processing", "finishing", "succeeded", "failed", "canceled", "unknown", "needs_input",
    "needs_confirmation", "declined",
]
"""A tool's answer: a job status, or `needs_input` / `needs_confirmation` / `declined` when nothing was submitted."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class JobError(BaseModel):
    code: str
    message: str
    retryable: bool = False


class Cost(BaseModel):
    amount: float
    unit: Literal["credits", "USD"] = "credits"
    basis: str = Field(description="How the figure was reached, e.g. '2 min x 1 credit/min'.")


class Candidate(BaseModel):
    """One generated photo; pass {job_id, index} as `from_generation` to create_photo_avatar."""

    index: int
    image_path: str | None = None
    image_url: str | None = None
    key: str | None = Field(default=None, description="The vendor's key for this image (HeyGen image_key).")


class MediaOutput(BaseModel):
    """One finished video file."""

    video_path: str | None = Field(default=None, description="Local copy, downloaded into the data dir.")
    video_url: str | None = Field(default=None, description="The vendor's URL; signed URLs expire (HeyGen: 7 days).")
    captions_path: str | None = None
    captions_url: str | None = None
    thumbnail_path: str | None = None
    thumbnail_url: str | None = None
    duration_seconds: float | None = None


class JobResult(MediaOutput):
    """What a finished job produced. Only the fields that apply to the job's kind are set."""

    candidates: list[Candidate] | None = None
    avatar_id: str | None = None
    avatar_group_id: str | None = None
    default_voice_id: str | None = None
    preview_image_url: str | None = None
    preview_image_path: str | None = None
    consent_url: str | None = Field(
        default=None, description="Open this page (or send it to the person filmed) to give consent for a digital twin."
    )
    outputs: list[MediaOutput] | None = Field(default=None, description="Every file when a job made several.")
    cost: Cost | None = None
    warnings: list[str] = Field(default_factory=list)


class JobRecord(BaseModel):
    """One row of the job store."""

    id: str
    kind: JobKind
    provider: str
    operation: str
    vendor_id: str | None = None
    request: dict[str, Any] = Field(default_factory=dict)
    status: JobStatus = "submitting"
    progress: float = 0.0
    message: str | None = None
    result: JobResult | None = None
    error: JobError | None = None
    vendor_state: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    next_poll_at: datetime | None = None
    poll_count: int = 0
    expected_seconds: float | None = None
    version: int = Field(default=0, description="Grows by one with every change of the job's data (not its lease).")
    lease_owner: str | None = Field(default=None, description="The process working on the job now (host:pid:random).")
    lease_expires_at: datetime | None = None
    lease_epoch: int = Field(default=0, description="How many times the job's lease was taken.")
    takeovers: int = Field(default=0, description="How many of those took an expired lease (its owner had died).")
    principal: str = Field(default=LOCAL_PRINCIPAL, description="Who the job belongs to (a bearer token's tenant on "
                           "HTTP; 'local' on stdio): only they see, cancel or download it.")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MissingField(BaseModel):
    """A question the checklist needs answered before anything is submitted."""

    field: str
    question: str
    allowed_values: list[str] | None = None
    default: Any = None


class JobHandle(BaseModel):
    """The answer of every tool that starts or reports a job."""

    job_id: str | None = Field(default=None, description="Pass to check_job; None when nothing was submitted.")
    kind: JobKind | None = None
    provider: str | None = None
    status: AnswerStatus
    progress: float = Field(default=0.0, description="0..1")
    message: str | None = None
    poll_after_seconds: float | None = Field(default=None, description="Call check_job again after this long.")
    result: JobResult | None = None
    error: JobError | None = None
    missing: list[MissingField] | None = Field(
        default=None, description="With status needs_input: ask the user these, then call again with the answers."
    )
    defaults_applied: dict[str, Any] | None = Field(
        default=None, description="Fields that were missing and filled with defaults (on_missing='default')."
    )
    estimated_cost: Cost | None = None
    confirmation_code: str | None = Field(
        default=None, description="With status needs_confirmation: once the user approves estimated_cost, call "
                                  "again with the same arguments and confirm_spend set to this code.")


class JobList(BaseModel):
    jobs: list[JobHandle]


class JobDetail(JobHandle):
    """The job resource: the handle plus the complete request as submitted (secrets and file contents left out)."""

    request: dict[str, Any] = Field(default_factory=dict)
    operation: str | None = None
    vendor_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# ---------------------------------------------------------------------------------------------- catalogue

class Voice(BaseModel):
    voice_id: str
    name: str
    provider: str
    language: str | None = None
    gender: str | None = None
    preview_url: str | None = None
    description: str | None = None


class AvatarInfo(BaseModel):
    avatar_id: str
    name: str
    provider: str
    kind: Literal["stock", "photo", "illustrated", "digital_twin", "companion", "persona"] = "stock"
    status: str | None = None
    gender: str | None = None
    preview_image_url: str | None = None
    default_voice_id: str | None = None


class CatalogQuery(BaseModel):
    query: str | None = None
    language: str | None = None
    gender: str | None = None
    limit: int = Field(default=50, ge=1, le=500)


class ProviderInfo(BaseModel):
    name: str
    title: str
    configured: bool
    capabilities: list[str]
    missing_settings: list[str] = Field(default_factory=list)
    notes: str | None = None


class ProviderList(BaseModel):
    providers: list[ProviderInfo]
    default_provider: str
