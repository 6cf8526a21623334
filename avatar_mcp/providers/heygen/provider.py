"""HeyGen as a Provider: the base class both API generations share (media checks, the readiness gate, the version
guard, HeyGen's id shapes), and `from_settings`, which builds the generation HEYGEN_API_VERSION selects.

One registry entry ("heygen", spec.py) stands for two providers: `HeyGenV3` (v3.py, the live API and the default)
and `HeyGenV2` (v2.py, the legacy API), both subclasses of `HeyGenProvider`. The tools are the same for both; what
differs is said in `capabilities.notes` and in warnings. Both check what HeyGen would reject before any request:
ids of HeyGen's shape, local files inside the media roots with their type read from the bytes, photos >= 512x512
(seed 002), https for URLs HeyGen must fetch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import anyio
from pydantic import BaseModel

from avatar_mcp.config import Settings
from avatar_mcp.errors import AvatarNotReady, InvalidInput, MediaRejected, NotFound
from avatar_mcp.media import LocalMedia, MediaKind, MediaPolicy, image_size, require_https
from avatar_mcp.models import AvatarInfo, CatalogQuery, Cost, JobError, JobRecord, Voice
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.outbound import download
from avatar_mcp.providers._http import VendorHTTP
from avatar_mcp.providers.base import (
    BaseProvider,
    Capabilities,
    JobUpdate,
    ProgressFn,
    Submission,
    SubmitContext,
    check_options,
)
from avatar_mcp.providers.heygen.common import MIN_PHOTO_SIDE, PROVIDER, estimate, parse_error
from avatar_mcp.providers.heygen.spec import IDS, OPTIONS, SPEC, TIMING
from avatar_mcp.providers.timing import Timing
from avatar_mcp.specs import (
    DigitalTwinSpec,
    PhotoAvatarSpec,
    PhotoGenerationSpec,
    PhotoVideoSpec,
    PromptVideoSpec,
    RenderOptions,
    VideoSpec,
)

WAITABLE_KINDS = frozenset({"photo"})
"""Photo avatars complete within seconds or minutes: worth waiting for inside a tool call. Twins take hours."""


def webhooks_configured(settings: Settings) -> bool:
    """Deliveries can reach us (a public URL) and be verified (the endpoint secret)."""
    return bool(settings.public_url and settings.heygen_webhook_secret is not None)


def from_settings(settings: Settings, http: SharedHTTP, media: MediaPolicy, *, timing: Timing = TIMING,
                  multipart_max_bytes: int | None = None) -> HeyGenProvider:
    """The provider of the API generation HEYGEN_API_VERSION selects; `timing` and `multipart_max_bytes` exist for
    tests and benchmarks."""
    assert settings.heygen_api_key is not None, "HEYGEN_API_KEY is required"
    key = settings.heygen_api_key.get_secret_value()
    hooks = webhooks_configured(settings)
    if settings.heygen_api_version == "v2":
        from avatar_mcp.providers.heygen.v2 import HeyGenV2

        return HeyGenV2(http=http, api_key=key, base_url=settings.heygen_base_url,
                        upload_url=settings.heygen_upload_url, media=media, media_dir=settings.media_dir,
                        timing=timing, webhooks=hooks)
    from avatar_mcp.providers.heygen.v3 import HeyGenV3
    from avatar_mcp.providers.heygen.v3_assets import MULTIPART_MAX_BYTES

    return HeyGenV3(http=http, api_key=key, base_url=settings.heygen_base_url, media=media,
                    media_dir=settings.media_dir, timing=timing, webhooks=hooks,
                    multipart_max_bytes=multipart_max_bytes or MULTIPART_MAX_BYTES)


class HeyGenProvider(BaseProvider, ABC):
    """One HeyGen API generation. Subclasses implement the operations; this holds what they share."""

    name: ClassVar[str] = SPEC.name
    title: ClassVar[str] = SPEC.title
    api: ClassVar[str]
    batch_status: ClassVar[bool] = False
    idempotent_create: ClassVar[bool] = False
    consent_video_required: ClassVar[bool] = False
    image_scenes: ClassVar[bool] = False
    notes: ClassVar[str] = ""
    options_taken: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """RenderOptions fields this API generation takes, by operation."""
    unavailable: ClassVar[Mapping[str, str]] = {}
    """Operations this API generation lacks, with the advice shown instead (Capabilities.unavailable)."""

    def __init__(self, *, http: SharedHTTP, api_key: str, base_url: str, media: MediaPolicy, media_dir: Path,
                 timing: Timing, webhooks: bool = False) -> None:
        self.shared = http
        self.http = VendorHTTP(http, provider=PROVIDER, base_url=base_url, auth_headers={"X-Api-Key": api_key},
                               error_parser=parse_error, secrets=[api_key])
        self.media = media
        self.media_dir = media_dir
        self.timing = timing
        self.capabilities = Capabilities(
            operations=SPEC.operations, batch_status=self.batch_status, idempotent_create=self.idempotent_create,
            webhooks=webhooks, consent_video_required=self.consent_video_required, image_scenes=self.image_scenes,
            notes=self.notes, unavailable=self.unavailable)

    @property
    def api_version(self) -> str:
        return self.api

    @staticmethod
    def check_ids(spec: VideoSpec | PhotoVideoSpec | PromptVideoSpec) -> None:
        """HeyGen's id shape for every avatar and voice id a request names, before anything is sent or read."""
        if isinstance(spec, VideoSpec):
            for i, scene in enumerate(spec.scenes):
                IDS.check_optional(scene.avatar_id, f"scenes.{i}.avatar_id")
                IDS.check_optional(scene.voice_id, f"scenes.{i}.voice_id")
            return
        if isinstance(spec, PromptVideoSpec):
            IDS.check_optional(spec.avatar_id, "avatar_id")
        IDS.check_optional(spec.voice_id, "voice_id")

    # ------------------------------------------------------------------------------------------ operations
    @abstractmethod
    async def generate_photo(self, spec: PhotoGenerationSpec, ctx: SubmitContext) -> Submission: ...
    @abstractmethod
    async def create_photo_avatar(self, spec: PhotoAvatarSpec, ctx: SubmitContext,
                                  generation: JobRecord | None) -> Submission: ...
    @abstractmethod
    async def train_photo_avatar(self, avatar_id: str, ctx: SubmitContext) -> Submission: ...
    @abstractmethod
    async def create_digital_twin(self, spec: DigitalTwinSpec, ctx: SubmitContext) -> Submission: ...
    @abstractmethod
    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission: ...
    @abstractmethod
    async def create_photo_video(self, spec: PhotoVideoSpec, ctx: SubmitContext) -> Submission: ...
    @abstractmethod
    async def create_video_from_prompt(self, spec: PromptVideoSpec, ctx: SubmitContext) -> Submission: ...
    @abstractmethod
    async def get_job(self, job: JobRecord) -> JobUpdate: ...
    @abstractmethod
    async def list_voices(self, query: CatalogQuery) -> list[Voice]: ...
    @abstractmethod
    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]: ...
    @abstractmethod
    async def avatar_status(self, avatar_id: str) -> AvatarInfo | None: ...
    @abstractmethod
    async def delete_avatar(self, avatar_id: str) -> None: ...
    @abstractmethod
    async def remaining_credits(self) -> Cost: ...
    @abstractmethod
    async def register_webhook(self, url: str) -> tuple[str, str | None]:
        """Register `url` for HeyGen's events: (endpoint id, signing secret or None when it already existed)."""

    def estimate_cost(self, operation: str, spec: BaseModel) -> Cost | None:
        return estimate(operation, spec, api=self.api)

    # ------------------------------------------------------------------------------------------ shared helpers
    def take_options(self, operation: str, options: RenderOptions | None) -> dict[str, Any]:
        """The RenderOptions given, after refusing (before any request) those this API generation does not take:
        options no HeyGen API has name the providers that do; options only v3 has say so."""
        supported = self.options_taken.get(operation, ())
        given = check_options(PROVIDER, options, {*supported, *OPTIONS})
        later = sorted(set(given) - set(supported))
        if later:
            names = ", ".join(f"options.{name}" for name in later)
            raise InvalidInput(f"HeyGen API {self.api} does not take {names} for {operation}: that needs "
                               f"HEYGEN_API_VERSION=v3, the default (HeyGen retired v2 on 2026-11-01). Remove it, or "
                               f"switch to v3 and restart. Nothing was submitted.", field="options")
        return given

    def state(self, **extra: object) -> dict[str, object]:
        """vendor_state of every submission: which API made it (job ids of one generation mean nothing to the other)."""
        return {"api": self.api, **extra}

    def foreign(self, job: JobRecord) -> JobUpdate | None:
        """A job submitted through the other API generation cannot be followed from this one."""
        made_by = job.vendor_state.get("api")
        if made_by in (None, self.api):
            return None
        message = (f"This job was submitted through HeyGen API {made_by}, but the server now uses {self.api} "
                   f"(HEYGEN_API_VERSION). Set HEYGEN_API_VERSION={made_by} and restart to follow it, or look for "
                   f"it in the HeyGen dashboard.")
        return JobUpdate(status="unknown", message=message,
                         error=JobError(code="api_version_changed", message=message))

    def open_local(self, source: str, kinds: tuple[MediaKind, ...], max_bytes: int) -> LocalMedia:
        return self.media.open_local(source, kinds=kinds, max_bytes=max_bytes)

    def check_photo(self, photo: LocalMedia, source: str, max_bytes: int) -> None:
        """Seed 002's photo rules that can be checked from the file: JPEG/PNG, >= 512x512, size."""
        if photo.mime not in ("image/jpeg", "image/png"):
            raise MediaRejected(f"{source!r} is {photo.mime}; HeyGen photo avatars take JPEG or PNG. Convert it and "
                                f"try again.", source=source)
        if photo.size > max_bytes:
            raise MediaRejected(f"{source!r} is {photo.size / 1e6:.1f} MB; HeyGen takes photos under "
                                f"{max_bytes / 1e6:.0f} MB. Compress it and try again.", source=source)
        with photo.path.open("rb") as fh:
            size = image_size(fh)
        if size is not None and min(size) < MIN_PHOTO_SIDE:
            raise MediaRejected(f"{source!r} is {size[0]}x{size[1]} pixels; HeyGen needs at least "
                                f"{MIN_PHOTO_SIDE}x{MIN_PHOTO_SIDE}. Use a larger photo (one clear, front-facing "
                                f"face).", source=source)

    async def fetch_url(self, url: str, kinds: tuple[MediaKind, ...], max_bytes: int, job_id: str,
                        stem: str) -> LocalMedia:
        """Download an https URL the user gave, for an endpoint that takes only uploaded files."""
        require_https(url)
        folder = self.media_dir / "jobs" / job_id
        return await download(self.shared, url, folder / f"input_{stem}", max_bytes=max_bytes, kinds=kinds)

    # ------------------------------------------------------------------------------------------ readiness gate
    async def ensure_ready(self, avatar_id: str, report: ProgressFn, *, wait: bool = True) -> AvatarInfo:
        """The avatar, once it is usable in a video: waits a bounded time for photo avatars, else says what is pending.

        HeyGen accepts a video with a not-ready avatar and the render then fails silently (reference A), so no
        video is ever submitted before this passes.
        """
        deadline = anyio.current_time() + (self.timing.ready_wait_seconds if wait else 0.0)
        while True:
            try:
                info = await self.avatar_status(avatar_id)
            except NotFound:
                info = None
            if info is None:
                raise InvalidInput(f"HeyGen does not know the avatar id {avatar_id!r}. Call list_avatars "
                                   f"(provider='heygen') for valid ids; nothing was submitted.", field="avatar_id")
            status = info.status or "completed"
            if status == "completed":
                return info
            what = "digital twin" if info.kind == "digital_twin" else "avatar"
            if status == "failed":
                raise AvatarNotReady(f"HeyGen failed to process the {what} {avatar_id} ({info.name}); it cannot "
                                     f"be used. Create it again, or pick another avatar from list_avatars. Nothing "
                                     f"was submitted.", avatar_id=avatar_id, status=status)
            if status == "pending_consent":
                raise AvatarNotReady(f"The {what} {avatar_id} is waiting for consent from the person filmed: open "
                                     f"the consent_url of its create_digital_twin job (check_job shows it). It can "
                                     f"be used once HeyGen has finished it. Nothing was submitted.",
                                     avatar_id=avatar_id, status=status)
            if info.kind not in WAITABLE_KINDS or anyio.current_time() >= deadline:
                waited = "" if info.kind not in WAITABLE_KINDS else \
                    f" after waiting {self.timing.ready_wait_seconds:.0f} s"
                raise AvatarNotReady(f"The {what} {avatar_id} is not ready yet (HeyGen status {status!r}{waited}); "
                                     f"a video made with it now would fail. Nothing was submitted: follow the job "
                                     f"that created it with check_job, and call create_video again once it has "
                                     f"succeeded.", avatar_id=avatar_id, status=status)
            await report(0.0, f"Waiting for HeyGen to finish the {what} {avatar_id} (status {status}) before "
                              f"submitting the video.")
            await anyio.sleep(self.timing.ready_poll_seconds)

    async def ensure_all_ready(self, avatar_ids: Sequence[str | None], report: ProgressFn, *,
                               wait: bool = True) -> dict[str, AvatarInfo]:
        ready: dict[str, AvatarInfo] = {}
        for avatar_id in avatar_ids:
            if avatar_id and avatar_id not in ready:
                ready[avatar_id] = await self.ensure_ready(avatar_id, report, wait=wait)
        return ready


