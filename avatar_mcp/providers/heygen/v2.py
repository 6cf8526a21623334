"""HeyGen v1/v2, the seeds' API (HEYGEN_API_VERSION=v2): uploads, photo avatars, AI photos, Avatar IV, multi-scene
videos, digital twins with a consent video, listings, quota, webhook endpoints.

Money safety: a paid create is sent once. v2 has no idempotency key, so after an ambiguous failure (a timeout, a
connection reset after sending, a 5xx or a garbled answer) it is NOT retried: the error is raised as a connection
error with `request_sent=True`, and the service marks the job `unknown` with advice instead of paying twice.
Job statuses are mapped in v2_status.py, wire models and the spec mapping live in v2_wire.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import anyio.to_thread

from avatar_mcp import operations as ops
from avatar_mcp.checklist import estimate_speech_seconds, estimate_video_seconds
from avatar_mcp.errors import InvalidInput, InvalidRequest, NotFound, ProviderConnectionError, ServerError
from avatar_mcp.media import PHOTO_MAX_BYTES, MediaKind, MediaPolicy
from avatar_mcp.models import AvatarInfo, CatalogQuery, Cost, JobRecord, Voice
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers._http import UPLOAD_TIMEOUT, VendorHTTP, segment
from avatar_mcp.providers.base import JobUpdate, ProgressFn, Submission, SubmitContext
from avatar_mcp.providers.heygen import v2_status as status
from avatar_mcp.providers.heygen import v2_wire as wire
from avatar_mcp.providers.heygen.common import (
    AUDIO_GUESS_SECONDS,
    IDS,
    PROVIDER,
    Answer,
    M,
    Wire,
    data_of,
    decode,
    estimate,
    parse_error,
    scene_dicts,
    voice_matches,
)
from avatar_mcp.providers.heygen.media_refs import MediaRef, plan
from avatar_mcp.providers.heygen.provider import HeyGenProvider
from avatar_mcp.providers.timing import Timing
from avatar_mcp.specs import (
    DigitalTwinSpec,
    PhotoAvatarSpec,
    PhotoGenerationSpec,
    PhotoVideoSpec,
    PromptVideoSpec,
    VideoSpec,
)

CATALOGUE_TTL_SECONDS = 600.0
WEBHOOK_EVENTS = ["avatar_video.success", "avatar_video.fail", "photo_avatar_generation.success",
                  "photo_avatar_generation.fail", "photo_avatar_train.success", "photo_avatar_train.fail",
                  "instant_avatar.success", "instant_avatar.fail"]


PROMPT_NEEDS_V3 = ("Videos from a prompt use HeyGen's Video Agent, which only API v3 has, and this server runs "
                   "HEYGEN_API_VERSION=v2 (HeyGen retired v2 on 2026-11-01). Unset HEYGEN_API_VERSION (v3 is the "
                   "default) and restart, or write the script and use create_video. Nothing was submitted.")


class HeyGenV2(HeyGenProvider):
    """HeyGen API v2 (HEYGEN_API_VERSION=v2)."""

    api = "v2"
    consent_video_required = True
    notes = ("HeyGen API v2 (legacy; HeyGen retired it on 2026-11-01, select it with HEYGEN_API_VERSION=v2): photo "
             "avatars, AI photos (about four candidates), Avatar IV, multi-scene videos with avatar, talking-photo, "
             "text / audio / silence and color / image / video backgrounds, digital twins with a consent video. "
             "Credits: video 1/min (2/min with a digital twin), Avatar IV 6/min, AI photo 1, training 4. Render "
             "options: fit and motion_prompt on photo videos (Avatar IV) only. Prompt videos "
             "(create_video_from_prompt) need HEYGEN_API_VERSION=v3.")
    options_taken: ClassVar[Mapping[str, tuple[str, ...]]] = {
        ops.CREATE_VIDEO: (), ops.CREATE_PHOTO_VIDEO: ("fit", "motion_prompt")}
    unavailable: ClassVar[Mapping[str, str]] = {ops.CREATE_VIDEO_FROM_PROMPT: PROMPT_NEEDS_V3}

    def __init__(self, *, http: SharedHTTP, api_key: str, base_url: str, upload_url: str, media: MediaPolicy,
                 media_dir: Path, timing: Timing, webhooks: bool = False) -> None:
        super().__init__(http=http, api_key=api_key, base_url=base_url, media=media, media_dir=media_dir,
                         timing=timing, webhooks=webhooks)
        self.upload_http = VendorHTTP(http, provider=PROVIDER, base_url=upload_url, auth_headers={"X-Api-Key": api_key},
                                      error_parser=parse_error, secrets=[api_key])
        self._catalogue: dict[str, AvatarInfo] = {}
        self._catalogue_at = 0.0

    # ------------------------------------------------------------------------------------------ transport
    async def _get(self, path: str, model: type[M], what: str, **params: Any) -> M:
        body = await self.http.json("GET", path, params=params or None)
        return decode(model, data_of(body), what)

    async def _create(self, path: str, request: Wire, model: type[M], what: str) -> M:
        """A paid create, sent exactly once (see the module docstring)."""
        try:
            body = await self.http.json("POST", path, json=request.body(), timeout=self.timing.create_timeout())
            return decode(model, data_of(body), what)
        except ServerError as exc:
            raise ProviderConnectionError(f"{exc} HeyGen may or may not have accepted the request.",
                                          provider=PROVIDER, request_sent=True) from exc

    async def _upload(self, ref: MediaRef, report: ProgressFn) -> wire.UploadedAsset:
        """Raw bytes to upload.heygen.com with the type read from the content. A duplicate upload costs nothing,
        so an upload is retried like a read."""
        assert ref.local is not None
        local = ref.local
        await report(0.0, f"Uploading {ref.field} ({local.size / 1e6:.1f} MB) to HeyGen.")
        data = await anyio.to_thread.run_sync(local.read_bytes)
        body = await self.upload_http.json("POST", "/v1/asset", content=data, headers={"Content-Type": local.mime},
                                           idempotent=True, timeout=UPLOAD_TIMEOUT)
        return decode(wire.UploadedAsset, data_of(body), "the upload")

    async def _ref(self, ref: MediaRef, report: ProgressFn) -> wire.Ref:
        if ref.kind == "url":
            return ("url", ref.value)
        if ref.kind == "asset":
            return ("asset", ref.value)
        return ("asset", (await self._upload(ref, report)).id)

    async def _image_key(self, ref: MediaRef, ctx: SubmitContext) -> str:
        """An image_key for a photo: uploaded from a local file, or from an https URL downloaded first."""
        if ref.kind == "asset":
            return ref.value
        if ref.kind == "url":
            local = await self.fetch_url(ref.value, ("image",), PHOTO_MAX_BYTES, ctx.job_id, "photo")
            ref = MediaRef("path", str(local.path), ref.field, local)
        assert ref.local is not None
        self.check_photo(ref.local, ref.field, PHOTO_MAX_BYTES)
        uploaded = await self._upload(ref, ctx.report)
        if not uploaded.image_key:
            raise ServerError("HeyGen's upload answer had no image_key for the photo; try again.", provider=PROVIDER,
                              status_code=200)
        return uploaded.image_key

    async def _public_url(self, ref: MediaRef, report: ProgressFn) -> str:
        """v2 digital twins take URLs only: local files are uploaded and their HeyGen URL used."""
        if ref.kind == "url":
            return ref.value
        if ref.kind == "asset":
            raise InvalidInput(f"{ref.field}: HeyGen v2 digital twins take a local file or an https URL, not an "
                               f"asset key.", field=ref.field)
        uploaded = await self._upload(ref, report)
        if not uploaded.url:
            raise ServerError("HeyGen's upload answer had no URL; try again.", provider=PROVIDER, status_code=200)
        return uploaded.url

    def _plan_photo(self, source: str, field: str) -> MediaRef:
        ref = plan(self.media, source, kinds=("image",), max_bytes=PHOTO_MAX_BYTES, field=field,
                   mimes=("image/jpeg", "image/png"))
        if ref.local is not None:
            self.check_photo(ref.local, source, PHOTO_MAX_BYTES)
        return ref

    def _plan(self, source: str, field: str, kind: MediaKind) -> MediaRef:
        mimes = {"audio": ("audio/mpeg",), "image": ("image/jpeg", "image/png"),
                 "video": ("video/mp4", "video/webm")}[kind]
        return plan(self.media, source, kinds=(kind,), max_bytes=self.media.max_bytes, field=field, mimes=mimes)

    # ------------------------------------------------------------------------------------------ photos
    async def generate_photo(self, spec: PhotoGenerationSpec, ctx: SubmitContext) -> Submission:
        request = wire.PhotoGenerate.model_validate(spec.model_dump())
        created = await self._create("/v2/photo_avatar/photo/generate", request, wire.GenerationId,
                                     "the photo generation")
        return Submission(vendor_id=created.generation_id, status="queued", vendor_state=self.state(),
                          expected_seconds=self.timing.photo_generation_seconds,
                          message="HeyGen is generating about four photos to choose from.")

    async def create_photo_avatar(self, spec: PhotoAvatarSpec, ctx: SubmitContext,
                                  generation: JobRecord | None) -> Submission:
        generation_id = None
        if spec.from_generation is not None:
            image_key, generation_id = self._candidate(spec, generation)
        else:
            assert spec.image is not None
            image_key = await self._image_key(self._plan_photo(spec.image, "image"), ctx)
        request = wire.GroupCreate(name=spec.name, image_key=image_key, generation_id=generation_id)
        created = await self._create("/v2/photo_avatar/avatar_group/create", request, wire.PhotoAvatar,
                                     "the photo avatar")
        return Submission(vendor_id=created.id, status="processing", progress=0.2,
                          vendor_state=self.state(group_id=created.group_id or created.id),
                          expected_seconds=self.timing.avatar_seconds,
                          message="HeyGen is preparing the photo avatar (usually seconds).")

    def _candidate(self, spec: PhotoAvatarSpec, generation: JobRecord | None) -> tuple[str, str]:
        pick = spec.from_generation
        assert pick is not None
        if generation is None or generation.provider != PROVIDER or generation.vendor_id is None:
            raise InvalidInput("from_generation must name a succeeded HeyGen generate_photo_avatar job.",
                               field="from_generation")
        if generation.vendor_state.get("api", self.api) != self.api:
            raise InvalidInput(f"Job {generation.id} was generated through HeyGen API "
                               f"{generation.vendor_state.get('api')}; its candidates cannot be used with {self.api}. "
                               f"Generate new photos.", field="from_generation")
        candidates = {c.index: c for c in (generation.result.candidates if generation.result else None) or []}
        chosen = candidates.get(pick.index)
        if chosen is None or not chosen.key:
            raise InvalidInput(f"Job {generation.id} has no candidate {pick.index}; pick one of "
                               f"{sorted(candidates)}.", field="from_generation.index")
        return chosen.key, generation.vendor_id

    async def train_photo_avatar(self, avatar_id: str, ctx: SubmitContext) -> Submission:
        info = await self.ensure_ready(IDS.check(avatar_id, "avatar_id"), ctx.report)
        if info.kind != "photo":
            raise InvalidInput(f"{avatar_id} is not a photo avatar; only photo avatar groups can be trained.",
                               field="avatar_id")
        look = await self._get(f"/v2/photo_avatar/{segment(avatar_id)}", wire.PhotoAvatar, "the photo avatar")
        group_id = look.group_id or look.id
        await self._create("/v2/photo_avatar/train", wire.TrainRequest(group_id=group_id), Answer, "training")
        return Submission(vendor_id=group_id, status="queued", vendor_state=self.state(),
                          expected_seconds=self.timing.training_seconds, message="HeyGen is training the group.")

    # ------------------------------------------------------------------------------------------ digital twins
    async def create_digital_twin(self, spec: DigitalTwinSpec, ctx: SubmitContext) -> Submission:
        if not spec.consent_video:
            raise InvalidInput("HeyGen v2 needs consent_video: the person filmed reading HeyGen's consent statement "
                               "on camera (a local file or an https URL).", field="consent_video")
        footage = plan(self.media, spec.video, kinds=("video",), max_bytes=self.media.max_bytes, field="video",
                       mimes=("video/mp4",))
        consent = self._plan(spec.consent_video, "consent_video", "video")
        request = wire.VideoAvatarCreate(training_footage_url=await self._public_url(footage, ctx.report),
                                         video_consent_url=await self._public_url(consent, ctx.report),
                                         avatar_name=spec.name, callback_id=ctx.job_id)
        created = await self._create("/v2/video_avatar", request, wire.TwinCreated, "the digital twin")
        return Submission(vendor_id=created.avatar_id, status="processing", progress=0.05,
                          vendor_state=self.state(group_id=created.avatar_group_id),
                          expected_seconds=self.timing.twin_seconds,
                          message="HeyGen is training the digital twin; this usually takes hours. check_job follows "
                                  "it (the poller keeps checking in the background).")

    # ------------------------------------------------------------------------------------------ videos
    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        self.check_ids(spec)
        self.take_options(ops.CREATE_VIDEO, spec.options)
        wire.check_video(spec)
        audio = {i: self._plan(s.audio, f"scenes.{i}.audio", "audio") for i, s in enumerate(spec.scenes) if s.audio}
        backgrounds = {i: self._plan(s.background.url, f"scenes.{i}.background.url", s.background.type)
                       for i, s in enumerate(spec.scenes)
                       if s.background is not None and s.background.type != "color" and s.background.url}
        avatars = await self.ensure_all_ready([s.avatar_id for s in spec.scenes], ctx.report)
        request = wire.generate_video(spec, avatars, {i: await self._ref(r, ctx.report) for i, r in audio.items()},
                                      {i: await self._ref(r, ctx.report) for i, r in backgrounds.items()},
                                      callback_id=ctx.job_id)
        await ctx.report(0.0, "Submitting the video to HeyGen.")
        created = await self._create("/v2/video/generate", request, wire.VideoId, "the video")
        return Submission(vendor_id=created.video_id, status="queued", vendor_state=self.state(caption=spec.caption),
                          expected_seconds=self.timing.video_seconds(estimate_video_seconds(scene_dicts(spec))),
                          message="HeyGen accepted the video; rendering usually takes a few minutes.")

    async def create_photo_video(self, spec: PhotoVideoSpec, ctx: SubmitContext) -> Submission:
        self.check_ids(spec)
        given = self.take_options(ops.CREATE_PHOTO_VIDEO, spec.options)
        spec = wire.with_options(spec, given)
        if spec.output_format != "mp4":
            raise InvalidInput("HeyGen v2 Avatar IV renders MP4 only: use output_format 'mp4'.", field="output_format")
        if not spec.voice_id:
            raise InvalidInput("HeyGen v2 Avatar IV needs voice_id (even with audio): pick one with list_voices.",
                               field="voice_id")
        image = self._plan_photo(spec.image, "image")
        audio = self._plan(spec.audio, "audio", "audio") if spec.audio else None
        image_key = await self._image_key(image, ctx)
        request = wire.avatar_iv(spec, image_key, await self._ref(audio, ctx.report) if audio else None, ctx.job_id)
        created = await self._create("/v2/video/av4/generate", request, wire.VideoId, "the Avatar IV video")
        warnings = wire.avatar_iv_warnings(spec)
        length = estimate_speech_seconds(spec.script, spec.speed) if spec.script else AUDIO_GUESS_SECONDS
        return Submission(vendor_id=created.video_id, status="queued",
                          vendor_state=self.state(warnings=warnings),
                          expected_seconds=self.timing.video_seconds(length),
                          message=" ".join(["HeyGen accepted the Avatar IV video.", *warnings]))

    async def create_video_from_prompt(self, spec: PromptVideoSpec, ctx: SubmitContext) -> Submission:
        raise InvalidInput(PROMPT_NEEDS_V3, field="provider")

    # ------------------------------------------------------------------------------------------ status
    async def get_job(self, job: JobRecord) -> JobUpdate:
        foreign = self.foreign(job)
        if foreign is not None:
            return foreign
        vid = job.vendor_id
        assert vid is not None
        op = job.operation
        if op == ops.GENERATE_PHOTO:
            return status.generation(await self._get(f"/v2/photo_avatar/generation/{segment(vid)}", wire.Generation,
                                                     "the photo generation"))
        if op == ops.CREATE_PHOTO_AVATAR:
            return status.photo_avatar(await self._get(f"/v2/photo_avatar/{segment(vid)}", wire.PhotoAvatar,
                                                       "the photo avatar"))
        if op == ops.TRAIN_PHOTO_AVATAR:
            return status.training(vid, await self._get(f"/v2/photo_avatar/train/status/{segment(vid)}",
                                                        wire.TrainStatus, "the training"))
        if op == ops.CREATE_DIGITAL_TWIN:
            return status.twin(await self._get(f"/v2/video_avatar/{segment(vid)}", wire.Twin, "the digital twin"))
        answer = await self._get("/v1/video_status.get", wire.VideoStatus, "the video status", video_id=vid)
        return status.video(answer, job)

    # ------------------------------------------------------------------------------------------ catalogue
    async def list_voices(self, query: CatalogQuery) -> list[Voice]:
        voices = (await self._get("/v2/voices", wire.VoiceList, "the voice list")).voices
        return [Voice(voice_id=v.voice_id, name=v.name or v.voice_id, provider=PROVIDER, language=v.language,
                      gender=v.gender, preview_url=v.preview_audio)
                for v in voices if voice_matches(query, name=v.name, language=v.language, gender=v.gender)
                ][:query.limit]

    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]:
        found = await self._load_catalogue()
        return [a for a in found if voice_matches(query, name=a.name, language=None, gender=a.gender)][:query.limit]

    async def _load_catalogue(self) -> list[AvatarInfo]:
        """Stock avatars, completed photo avatars and twins (/v2/avatars), plus the account's own photo avatar groups
        still in progress (/v2/avatar_group.list; include_public=true, else HeyGen hides the public ones)."""
        listed = await self._get("/v2/avatars", wire.AvatarList, "the avatar list")
        groups = await self._get("/v2/avatar_group.list", wire.GroupList, "the avatar groups", include_public="true")
        found = [status.stock_avatar(a) for a in listed.avatars]
        found += [AvatarInfo(avatar_id=p.talking_photo_id, name=p.talking_photo_name or p.talking_photo_id,
                             provider=PROVIDER, kind="photo", status="completed", preview_image_url=p.preview_image_url)
                  for p in listed.talking_photos]
        known = {a.avatar_id for a in found}
        found += [AvatarInfo(avatar_id=g.id, name=g.name or g.id, provider=PROVIDER, kind="photo", status="processing",
                             preview_image_url=g.preview_image)
                  for g in groups.avatar_group_list if g.group_type == "PHOTO_AVATAR" and g.id not in known]
        self._catalogue = {a.avatar_id: a for a in found if a.status == "completed"}
        self._catalogue_at = time.monotonic()
        return found

    async def avatar_status(self, avatar_id: str) -> AvatarInfo | None:
        """Which kind of avatar an id is (v2 needs it: talking_photo or avatar character) and whether it is ready."""
        IDS.check(avatar_id, "avatar_id")
        cached = self._catalogue.get(avatar_id)
        if cached is not None and time.monotonic() - self._catalogue_at < CATALOGUE_TTL_SECONDS:
            return cached
        lookups: list[tuple[str, Callable[[Any], AvatarInfo], type[Answer]]] = [
            (f"/v2/photo_avatar/{segment(avatar_id)}", status.photo_info, wire.PhotoAvatar),
            (f"/v2/video_avatar/{segment(avatar_id)}", status.twin_info, wire.Twin)]
        for path, convert, model in lookups:
            try:
                return convert(await self._get(path, model, "the avatar"))
            except (NotFound, InvalidRequest):  # an id of another kind may be refused as malformed rather than unknown
                continue
        await self._load_catalogue()
        found = self._catalogue.get(avatar_id)
        if found is None:
            photos = await self.http.json("GET", "/v1/talking_photo.list")
            for item in data_of(photos) or []:
                if isinstance(item, dict) and item.get("id") == avatar_id:
                    return AvatarInfo(avatar_id=avatar_id, name=avatar_id, provider=PROVIDER, kind="photo",
                                      status="completed", preview_image_url=item.get("image_url"))
        return found

    async def delete_avatar(self, avatar_id: str) -> None:
        IDS.check(avatar_id, "avatar_id")
        self._catalogue.pop(avatar_id, None)
        for path in (f"/v2/photo_avatar_group/{segment(avatar_id)}", f"/v2/photo_avatar/{segment(avatar_id)}",
                     f"/v2/video_avatar/{segment(avatar_id)}"):
            try:
                await self.http.request("DELETE", path)
                return
            except NotFound:
                continue
        raise InvalidInput(f"HeyGen has no photo avatar, avatar group or digital twin {avatar_id!r} in this account "
                           f"(stock avatars cannot be deleted). list_avatars shows the ids.", field="avatar_id")

    def estimate_cost(self, operation: str, spec: Any) -> Cost | None:
        twins = [a for a, info in self._catalogue.items() if info.kind == "digital_twin"]
        return estimate(operation, spec, api=self.api, twin_avatars=twins)

    # ------------------------------------------------------------------------------------------ account
    async def remaining_credits(self) -> Cost:
        quota = await self._get("/v2/user/remaining_quota", wire.Quota, "the remaining quota")
        return Cost(amount=round(quota.remaining_quota / 60, 2),
                    basis=f"remaining_quota {quota.remaining_quota:g} (60 quota units per credit)")

    async def register_webhook(self, url: str) -> tuple[str, str | None]:
        listed = await self.http.json("GET", "/v1/webhook/endpoint.list")
        for item in data_of(listed) or []:
            if isinstance(item, dict) and item.get("url") == url:
                return str(item.get("endpoint_id")), None
        body = await self.http.json("POST", "/v1/webhook/endpoint.add", json={"url": url, "events": WEBHOOK_EVENTS})
        endpoint = decode(wire.Endpoint, data_of(body), "the webhook endpoint")
        return endpoint.endpoint_id, endpoint.secret

