"""HeyGen: one provider class over two API generations.

`HEYGEN_API_VERSION` picks the backend: `v3` (default, the live API; v3.py) or `v2` (the seeds' legacy API; v2.py).
The LLM-facing tools are the same for both; what differs is said in `capabilities.notes` and in warnings.

| operation | v2 | v3 |
|---|---|---|
| uploads | raw bytes to upload.heygen.com/v1/asset | multipart /v3/assets, direct upload above 32 MB |
| generate_photo_avatar | /v2/photo_avatar/photo/generate, ~4 candidates | /v3/avatars type prompt, 1 candidate |
| create_photo_avatar | avatar_group/create (image_key) | /v3/avatars type photo; a generated look is reused |
| train_photo_avatar | /v2/photo_avatar/train + train/status | automatic: the job follows the group |
| create_digital_twin | /v2/video_avatar with a consent video | type digital_twin + consent video or consent page |
| create_video | /v2/video/generate, every seed-001 scene variant | type avatar (1 scene) or studio |
| create_photo_video | /v2/video/av4/generate | type image |
| create_video_from_prompt | refused before any request (needs v3) | /v3/video-agents, then the video it names |
| render options | fit, motion_prompt (photo videos) | engine, resolution, fit, remove_background, expressiveness, ... |
| status | one request per job (video_status.get, photo_avatar, ...) | videos batched (/v3/videos/statuses) |
| list_avatars | /v2/avatars + /v2/avatar_group.list?include_public=true | looks, own then public, paginated |
| list_voices | /v2/voices | /v3/voices (private, then public), paginated |
| delete_avatar | photo_avatar_group, photo_avatar or video_avatar | look, else group |
| credits / webhooks | /v2/user/remaining_quota; /v1/webhook/endpoint.add | /v3/users/me; /v3/webhooks/endpoints |
| lost answer of a create | never resent: the job ends `unknown` | replayed with the job's Idempotency-Key |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import BaseModel

from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import (
    AvatarInfo,
    CatalogQuery,
    Cost,
    DigitalTwinSpec,
    JobRecord,
    PhotoAvatarSpec,
    PhotoGenerationSpec,
    PhotoVideoSpec,
    PromptVideoSpec,
    VideoSpec,
    Voice,
)
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers import HEYGEN
from avatar_mcp.providers.base import BaseProvider, Capabilities, JobUpdate, Submission, SubmitContext
from avatar_mcp.providers.heygen.backend import HeyGenBackend
from avatar_mcp.providers.heygen.common import IDS, Timing

__all__ = ["HeyGenProvider", "Timing"]


def webhooks_configured(settings: Settings) -> bool:
    """Deliveries can reach us (a public URL) and be verified (the endpoint secret)."""
    return bool(settings.public_url and settings.heygen_webhook_secret is not None)


class HeyGenProvider(BaseProvider):
    """HeyGen through the backend `HEYGEN_API_VERSION` selects. Every operation is the backend's, after the ids it
    was given are checked against HeyGen's id shape (common.IDS), for both API generations at once."""

    name: ClassVar[str] = "heygen"
    title: ClassVar[str] = "HeyGen"

    def __init__(self, backend: HeyGenBackend, *, webhooks: bool = False) -> None:
        self.backend = backend
        self.capabilities = Capabilities(
            operations=HEYGEN.operations, batch_status=backend.batch_status,
            idempotent_create=backend.idempotent_create, webhooks=webhooks,
            consent_video_required=backend.consent_video_required, image_scenes=backend.image_scenes,
            notes=backend.notes,
            unavailable=backend.unavailable)

    @classmethod
    def from_settings(cls, settings: Settings, http: SharedHTTP, media: MediaPolicy, *,
                      timing: Timing | None = None, multipart_max_bytes: int | None = None) -> HeyGenProvider:
        """The provider for these settings; `timing` and `multipart_max_bytes` exist for tests and benchmarks."""
        assert settings.heygen_api_key is not None, "HEYGEN_API_KEY is required"
        key = settings.heygen_api_key.get_secret_value()
        backend: HeyGenBackend
        if settings.heygen_api_version == "v2":
            from avatar_mcp.providers.heygen.v2 import V2Backend

            backend = V2Backend(http=http, api_key=key, base_url=settings.heygen_base_url,
                                upload_url=settings.heygen_upload_url, media=media, media_dir=settings.media_dir,
                                timing=timing or Timing())
        else:
            from avatar_mcp.providers.heygen.v3 import V3Backend
            from avatar_mcp.providers.heygen.v3_assets import MULTIPART_MAX_BYTES

            backend = V3Backend(http=http, api_key=key, base_url=settings.heygen_base_url, media=media,
                                media_dir=settings.media_dir, timing=timing or Timing(),
                                multipart_max_bytes=multipart_max_bytes or MULTIPART_MAX_BYTES)
        return cls(backend, webhooks=webhooks_configured(settings))

    @property
    def api_version(self) -> str:
        return self.backend.api

    async def generate_photo(self, spec: PhotoGenerationSpec, ctx: SubmitContext) -> Submission:
        return await self.backend.generate_photo(spec, ctx)

    async def create_photo_avatar(self, spec: PhotoAvatarSpec, ctx: SubmitContext,
                                  generation: JobRecord | None) -> Submission:
        return await self.backend.create_photo_avatar(spec, ctx, generation)

    async def train_photo_avatar(self, avatar_id: str, ctx: SubmitContext) -> Submission:
        return await self.backend.train_photo_avatar(IDS.check(avatar_id, "avatar_id"), ctx)

    async def create_digital_twin(self, spec: DigitalTwinSpec, ctx: SubmitContext) -> Submission:
        return await self.backend.create_digital_twin(spec, ctx)

    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        for i, scene in enumerate(spec.scenes):
            IDS.check_optional(scene.avatar_id, f"scenes.{i}.avatar_id")
            IDS.check_optional(scene.voice_id, f"scenes.{i}.voice_id")
        return await self.backend.create_video(spec, ctx)

    async def create_photo_video(self, spec: PhotoVideoSpec, ctx: SubmitContext) -> Submission:
        IDS.check_optional(spec.voice_id, "voice_id")
        return await self.backend.create_photo_video(spec, ctx)

    async def create_video_from_prompt(self, spec: PromptVideoSpec, ctx: SubmitContext) -> Submission:
        IDS.check_optional(spec.avatar_id, "avatar_id")
        IDS.check_optional(spec.voice_id, "voice_id")
        return await self.backend.create_video_from_prompt(spec, ctx)

    async def get_job(self, job: JobRecord) -> JobUpdate:
        return await self.backend.get_job(job)

    async def get_jobs(self, jobs: Sequence[JobRecord]) -> dict[str, JobUpdate]:
        return await self.backend.get_jobs(jobs)

    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        return await self.backend.reconcile(job)

    async def list_voices(self, query: CatalogQuery) -> list[Voice]:
        return await self.backend.list_voices(query)

    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]:
        return await self.backend.list_avatars(query)

    async def avatar_status(self, avatar_id: str) -> AvatarInfo | None:
        return await self.backend.avatar_status(IDS.check(avatar_id, "avatar_id"))

    async def delete_avatar(self, avatar_id: str) -> None:
        await self.backend.delete_avatar(IDS.check(avatar_id, "avatar_id"))

    def estimate_cost(self, operation: str, spec: BaseModel) -> Cost | None:
        return self.backend.estimate_cost(operation, spec)

    async def remaining_credits(self) -> Cost:
        """The account's remaining credits (v2 remaining_quota, v3 /v3/users/me)."""
        return await self.backend.remaining_credits()

    async def register_webhook(self, url: str) -> tuple[str, str | None]:
        """Register `url` for HeyGen's events: (endpoint id, secret, or None when that URL was registered before)."""
        return await self.backend.register_webhook(url)
