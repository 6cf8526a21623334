"""The base of the two HeyGen backends (v2.py, v3.py): media checks, the readiness gate, the version guard.

`HeyGenProvider` (the one provider class, __init__.py) hands every operation to a backend. Both backends check
what HeyGen would reject before any request: local files inside the media roots with their type read from the
bytes, photos >= 512x512 (seed 002), https for URLs HeyGen must fetch.
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import anyio
from pydantic import BaseModel

from avatar_mcp.errors import AvatarError, AvatarNotReady, InvalidInput, MediaRejected, NotFound
from avatar_mcp.media import LocalMedia, MediaKind, MediaPolicy, download, require_https
from avatar_mcp.models import (
    AvatarInfo,
    CatalogQuery,
    Cost,
    DigitalTwinSpec,
    JobError,
    JobRecord,
    JobResult,
    PhotoAvatarSpec,
    PhotoGenerationSpec,
    PhotoVideoSpec,
    PromptVideoSpec,
    RenderOptions,
    VideoSpec,
    Voice,
)
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers._http import VendorHTTP
from avatar_mcp.providers.base import JobUpdate, ProgressFn, Submission, SubmitContext, check_options
from avatar_mcp.providers.heygen.common import PROVIDER, Timing, estimate, parse_error
from avatar_mcp.providers.heygen.v3_options import VIDEO_OPTIONS

MIN_PHOTO_SIDE = 512
"""Seed 002: photos must be at least 512x512."""
WAITABLE_KINDS = frozenset({"photo"})
"""Photo avatars complete within seconds or minutes: worth waiting for inside a tool call. Twins take hours."""


def image_dimensions(head: bytes) -> tuple[int, int] | None:
    """(width, height) of a JPEG or PNG from its first bytes, or None when they do not say."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    if not head.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 9 < len(head):
        if head[i] != 0xFF:
            i += 1
            continue
        marker = head[i + 1]
        if marker in (0xD8, 0x01, 0xFF) or 0xD0 <= marker <= 0xD7:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", head[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", head[i + 5:i + 9])
            return int(width), int(height)
        i += 2 + length
    return None


def failed(code: str, message: str) -> JobUpdate:
    return JobUpdate(status="failed", message=message, error=JobError(code=code, message=message))


class HeyGenBackend(ABC):
    """One HeyGen API generation. Subclasses implement the operations; this holds what they share."""

    api: ClassVar[str]
    batch_status: ClassVar[bool] = False
    idempotent_create: ClassVar[bool] = False
    consent_video_required: ClassVar[bool] = False
    image_scenes: ClassVar[bool] = False
    notes: ClassVar[str] = ""
    options_taken: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    unavailable: ClassVar[Mapping[str, str]] = {}
    """Operations this API generation lacks, with the advice shown instead (Capabilities.unavailable)."""
    """RenderOptions fields this API generation takes, by operation."""

    def __init__(self, *, http: SharedHTTP, api_key: str, base_url: str, media: MediaPolicy, media_dir: Path,
                 timing: Timing) -> None:
        self.shared = http
        self.http = VendorHTTP(http, provider=PROVIDER, base_url=base_url, auth_headers={"X-Api-Key": api_key},
                               error_parser=parse_error, secrets=[api_key])
        self.media = media
        self.media_dir = media_dir
        self.timing = timing

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

    async def get_jobs(self, jobs: Sequence[JobRecord]) -> dict[str, JobUpdate]:
        return {job.id: await self.get_job(job) for job in jobs}

    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        return None

    def estimate_cost(self, operation: str, spec: BaseModel) -> Cost | None:
        return estimate(operation, spec, api=self.api)

    # ------------------------------------------------------------------------------------------ shared helpers
    def take_options(self, operation: str, options: RenderOptions | None) -> dict[str, Any]:
        """The RenderOptions given, after refusing (before any request) those this API generation does not take:
        options no HeyGen API has name the providers that do; options only v3 has say so."""
        supported = self.options_taken.get(operation, ())
        given = check_options(PROVIDER, options, {*supported, *VIDEO_OPTIONS})
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
            size = image_dimensions(fh.read(256 * 1024))
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


def gone_after(job: JobRecord, exc: AvatarError) -> JobUpdate:
    """A job the vendor no longer knows, found during a batched poll (the service's own rule for single polls)."""
    if isinstance(exc, NotFound) and job.poll_count >= 2:
        return failed(exc.code, f"{exc} HeyGen no longer knows this job.")
    return JobUpdate(status=job.status, message=job.message)


LANGUAGE_NAMES = {"en": "english", "es": "spanish", "de": "german", "fr": "french", "it": "italian",
                  "pt": "portuguese", "ja": "japanese", "zh": "chinese", "ko": "korean", "nl": "dutch", "hi": "hindi",
                  "ar": "arabic", "ru": "russian", "pl": "polish", "tr": "turkish", "sv": "swedish"}
"""ISO codes users type, against the language names HeyGen lists."""


def voice_matches(query: CatalogQuery, *, name: str | None, language: str | None, locale: str | None = None,
                  gender: str | None) -> bool:
    """Client-side catalogue filters: 'en' matches English and en-US; gender and the query compare loosely."""
    if query.language:
        wanted = query.language.strip().lower()
        named = LANGUAGE_NAMES.get(wanted.split("-")[0], wanted)
        known = [v.lower() for v in (language, locale) if v]
        if not any(v in (wanted, named) or v.startswith((f"{wanted}-", f"{named} ")) or
                   (len(wanted) == 2 and v.split("-")[0] == wanted) for v in known):
            return False
    if query.gender and (gender or "").lower() not in (query.gender.lower(), ""):
        return False
    return not query.query or query.query.lower() in (name or "").lower()


def result_with(warnings: Sequence[str], **values: object) -> JobResult:
    result = JobResult.model_validate(values)
    result.warnings = list(warnings)
    return result
