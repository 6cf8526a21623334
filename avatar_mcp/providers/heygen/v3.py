"""HeyGen v3, the live API and the default backend (reference/heygen-v3.md).

Money safety: every create sends `Idempotency-Key` = the job's key (SubmitContext.idempotency_key) and is sent
with `idempotent=True`, so a retry after a timeout or a 5xx replays the original answer instead of paying twice;
a 409 request_in_progress is waited out. When the answer still cannot be had, the create is reported as sent
(`request_sent=True`) and the job stays `submitting`; `reconcile` replays the whole submission with the same keys
(uploads included) to learn the vendor's id. Polling many videos uses the statuses endpoint: one request a round.

Prompt videos go to the Video Agent (`POST /v3/video-agents`, mode generate): the job follows the agent session
until it names its video, then the video itself. RenderOptions are checked and placed by v3_options.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from avatar_mcp import operations as ops
from avatar_mcp.checklist import estimate_speech_seconds, estimate_video_seconds
from avatar_mcp.errors import AuthError, InvalidInput, NotFound, ServerError
from avatar_mcp.media import MediaKind, MediaPolicy
from avatar_mcp.models import AvatarInfo, CatalogQuery, Cost, JobRecord, Voice
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers._http import segment
from avatar_mcp.providers.base import Submission, SubmitContext
from avatar_mcp.providers.heygen import v3_mapping as mapping
from avatar_mcp.providers.heygen import v3_options as options
from avatar_mcp.providers.heygen import v3_status as status
from avatar_mcp.providers.heygen import v3_wire as wire
from avatar_mcp.providers.heygen.common import (
    AUDIO_GUESS_SECONDS,
    IDS,
    PROVIDER,
    data_of,
    decode,
    result_with,
    scene_dicts,
    voice_matches,
)
from avatar_mcp.providers.heygen.media_refs import MediaRef, plan
from avatar_mcp.providers.heygen.v3_assets import KIND_MAX_BYTES, MIMES, MULTIPART_MAX_BYTES, Uploader, account_key
from avatar_mcp.providers.heygen.v3_jobs import REPLAY, V3Jobs
from avatar_mcp.providers.timing import Timing
from avatar_mcp.specs import (
    DigitalTwinSpec,
    PhotoAvatarSpec,
    PhotoGenerationSpec,
    PhotoVideoSpec,
    PromptVideoSpec,
    VideoSpec,
)

ENGINES_REMEMBERED = 512
"""Looks whose supported engines are kept from the readiness gate (it has just read them) for the engine check."""


class HeyGenV3(V3Jobs):
    """HeyGen API v3, the default."""

    api = "v3"
    batch_status = True
    idempotent_create = True
    image_scenes = True
    notes = ("HeyGen API v3 (the live API): photo avatars, AI photos (one prompt avatar per generation, the eight "
             "checklist fields composed into the prompt), Avatar IV videos, multi-scene studio videos (silent scenes "
             "show a still image), digital twins with a consent page, whole videos from a prompt "
             "(create_video_from_prompt, HeyGen's Video Agent). Render options: engine (avatar_iv default, avatar_v, "
             "avatar_iii), resolution, fit, remove_background, expressiveness (photo avatars on Avatar IV), "
             "motion_prompt, volume. Credits: Avatar IV 6/min, Avatar III 1/min (2/min with a digital twin), AI "
             "photo 1; a prompt video's length is the agent's choice. Video backgrounds, emotions and avatar "
             "placement are v2 only.")
    options_taken: ClassVar[Mapping[str, tuple[str, ...]]] = {
        ops.CREATE_VIDEO: options.VIDEO_OPTIONS, ops.CREATE_PHOTO_VIDEO: options.VIDEO_OPTIONS}

    def __init__(self, *, http: SharedHTTP, api_key: str, base_url: str, media: MediaPolicy, media_dir: Path,
                 timing: Timing, webhooks: bool = False, multipart_max_bytes: int = MULTIPART_MAX_BYTES) -> None:
        super().__init__(http=http, api_key=api_key, base_url=base_url, media=media, media_dir=media_dir,
                         timing=timing, webhooks=webhooks)
        self.uploader = Uploader(self.http, account=account_key(base_url, api_key),
                                 multipart_max_bytes=multipart_max_bytes)
        self.engines: dict[str, list[str]] = {}

    def _plan(self, source: str, field: str, kind: MediaKind) -> MediaRef:
        ref = plan(self.media, source, kinds=(kind,), max_bytes=KIND_MAX_BYTES[kind], field=field, mimes=MIMES[kind],
                   handed_on=True)
        if ref.kind == "asset":
            IDS.check(ref.value, field, where="an earlier upload (asset:<asset id>)")
        return ref

    def _plan_photo(self, source: str, field: str) -> MediaRef:
        ref = self._plan(source, field, "image")
        if ref.local is not None:
            self.check_photo(ref.local, source, KIND_MAX_BYTES["image"])
        return ref

    async def _asset(self, ref: MediaRef | None, ctx: SubmitContext) -> wire.AssetInput | None:
        return None if ref is None else await self.uploader.asset(ref, ctx.idempotency_key, ctx.report, ctx.assets)

    # ------------------------------------------------------------------------------------------ avatars
    async def generate_photo(self, spec: PhotoGenerationSpec, ctx: SubmitContext) -> Submission:
        request = wire.PromptAvatarCreate(name=spec.name, prompt=mapping.compose_prompt(spec))
        created = await self._create("/v3/avatars", request, wire.AvatarCreated, "the prompt avatar",
                                     ctx.idempotency_key)
        return self._look_submission(created, "HeyGen is generating the photo from your description.",
                                     self.timing.photo_generation_seconds)

    def _look_submission(self, created: wire.AvatarCreated, message: str, expected: float,
                         **state: object) -> Submission:
        if created.avatar_item is None:
            raise ServerError("HeyGen's answer had no avatar_item; check the job again shortly.", provider=PROVIDER,
                              status_code=200)
        look = created.avatar_item
        return Submission(vendor_id=look.id, status="processing", progress=0.1, message=message,
                          expected_seconds=expected, vendor_state=self.state(group_id=look.group_id, **state))

    async def create_photo_avatar(self, spec: PhotoAvatarSpec, ctx: SubmitContext,
                                  generation: JobRecord | None) -> Submission:
        if spec.from_generation is not None:
            return await self._from_generation(spec, generation)
        assert spec.image is not None
        image = await self._asset(self._plan_photo(spec.image, "image"), ctx)
        assert image is not None
        created = await self._create("/v3/avatars", wire.PhotoAvatarCreate(name=spec.name, file=image),
                                     wire.AvatarCreated, "the photo avatar", ctx.idempotency_key)
        return self._look_submission(created, "HeyGen is preparing the photo avatar.", self.timing.avatar_seconds)

    async def _from_generation(self, spec: PhotoAvatarSpec, generation: JobRecord | None) -> Submission:
        """A v3 prompt avatar already is an avatar: the pick is named and handed back, nothing is created or paid."""
        pick = spec.from_generation
        assert pick is not None
        if generation is None or generation.provider != PROVIDER or generation.vendor_state.get("api") != self.api:
            raise InvalidInput("from_generation must name a succeeded HeyGen v3 generate_photo_avatar job.",
                               field="from_generation")
        candidates = {c.index: c for c in (generation.result.candidates if generation.result else None) or []}
        chosen = candidates.get(pick.index)
        if chosen is None or not chosen.key:
            raise InvalidInput(f"Job {generation.id} has candidates {sorted(candidates)}; pick one of those.",
                               field="from_generation.index")
        look = await self._get(f"/v3/avatars/looks/{segment(chosen.key)}", wire.Look, "the avatar")
        if status.look_state(look) != "completed":
            raise InvalidInput(f"The generated avatar {look.id} is {status.look_state(look)}; follow job "
                               f"{generation.id} with check_job first.", field="from_generation")
        if look.name != spec.name:
            rename = wire.LookRename(name=spec.name).body()
            await self.http.request("PATCH", f"/v3/avatars/looks/{segment(look.id)}", json=rename)
        done = status.ready(look)
        return Submission(vendor_id=look.id, status="succeeded", progress=1.0, message=done.message,
                          result=done.result, vendor_state=self.state(group_id=look.group_id))

    async def train_photo_avatar(self, avatar_id: str, ctx: SubmitContext) -> Submission:
        """v3 trains photo avatars by itself: this job follows the group until HeyGen reports it completed."""
        IDS.check(avatar_id, "avatar_id")
        look_id: str | None = None
        try:
            look = await self._get(f"/v3/avatars/looks/{segment(avatar_id)}", wire.Look, "the avatar")
            group_id, look_id = look.group_id or avatar_id, look.id
            if look.avatar_type not in (None, "photo_avatar"):
                raise InvalidInput(f"{avatar_id} is not a photo avatar; only photo avatars are trained.",
                                   field="avatar_id")
        except NotFound:
            group_id = (await self._get(f"/v3/avatars/{segment(avatar_id)}", wire.Group, "the avatar group")).id
        return Submission(vendor_id=group_id, status="processing", progress=0.1,
                          vendor_state=self.state(look_id=look_id), expected_seconds=self.timing.avatar_seconds,
                          message="HeyGen v3 trains photo avatars automatically (no extra credits); this job "
                                  "follows the group until it is ready.")

    async def create_digital_twin(self, spec: DigitalTwinSpec, ctx: SubmitContext) -> Submission:
        footage = self._plan(spec.video, "video", "video")
        consent = self._plan(spec.consent_video, "consent_video", "video") if spec.consent_video else None
        footage_asset = await self._asset(footage, ctx)
        assert footage_asset is not None
        created = await self._create("/v3/avatars", wire.TwinCreate(name=spec.name, file=footage_asset),
                                     wire.AvatarCreated, "the digital twin", ctx.idempotency_key)
        group_id = (created.avatar_group.id if created.avatar_group else None) or (
            created.avatar_item.group_id if created.avatar_item else None)
        if group_id is None:
            raise ServerError("HeyGen's answer had no avatar group; check the job again shortly.", provider=PROVIDER,
                              status_code=200)
        url, warnings = await self._consent(group_id, consent, ctx)
        message = status.consent_message(url) if url else "HeyGen is training the digital twin; this takes hours."
        submission = self._look_submission(created, " ".join([message, *warnings]), self.timing.twin_seconds,
                                           consent_url=url, warnings=warnings)
        if url:
            submission.result = result_with(warnings, consent_url=url)
        return submission

    async def _consent(self, group_id: str, video: MediaRef | None, ctx: SubmitContext) -> tuple[str | None, list[str]]:
        """Consent by video where the plan allows it (Enterprise); otherwise HeyGen's consent page for the subject."""
        path, key = f"/v3/avatars/{segment(group_id)}/consent", f"{ctx.idempotency_key}:consent"
        if video is not None:
            request = wire.ConsentRequest(consent_video=await self._asset(video, ctx))
            try:
                answer = await self._create(path, request, wire.ConsentAnswer, "the consent", key)
                return answer.url, []
            except AuthError:
                warning = "This HeyGen plan does not take consent videos (Enterprise only): the consent page is used."
            answer = await self._create(path, wire.ConsentRequest(), wire.ConsentAnswer, "the consent", f"{key}-page")
            return answer.url, [warning]
        answer = await self._create(path, wire.ConsentRequest(), wire.ConsentAnswer, "the consent", key)
        return answer.url, []

    # ------------------------------------------------------------------------------------------ videos
    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        self.check_ids(spec)
        given = self.take_options(ops.CREATE_VIDEO, spec.options)
        warnings = mapping.check_video(spec)
        _, derived = mapping.aspect_and_resolution(spec.orientation, spec.size() if spec.dimension else None)
        options.for_video(given, spec, {}, {}, derived)  # what needs no look is refused before the readiness gate
        audio = {i: self._plan(s.audio, f"scenes.{i}.audio", "audio") for i, s in enumerate(spec.scenes) if s.audio}
        backgrounds = {i: self._plan(s.background.url, f"scenes.{i}.background.url", "image")
                       for i, s in enumerate(spec.scenes)
                       if s.background is not None and s.background.type == "image" and s.background.url}
        avatars = await self.ensure_all_ready([s.avatar_id for s in spec.scenes], ctx.report,
                                              wait=not ctx.vendor_state.get(REPLAY))
        knobs = options.for_video(given, spec, avatars, self.engines, derived)
        audio_assets = {i: a for i, r in audio.items() if (a := await self._asset(r, ctx)) is not None}
        bg_assets = {i: a for i, r in backgrounds.items() if (a := await self._asset(r, ctx)) is not None}
        request = mapping.build_video(spec, avatars, audio_assets, bg_assets, callback_id=ctx.job_id, knobs=knobs)
        await ctx.report(0.0, "Submitting the video to HeyGen.")
        created = await self._create("/v3/videos", request, wire.VideoCreated, "the video", ctx.idempotency_key)
        return Submission(vendor_id=created.video_id, status="queued",
                          vendor_state=self.state(caption=spec.caption, warnings=warnings),
                          expected_seconds=self.timing.video_seconds(estimate_video_seconds(scene_dicts(spec))),
                          message=" ".join(["HeyGen accepted the video; rendering usually takes a few minutes.",
                                            *warnings]))

    async def create_photo_video(self, spec: PhotoVideoSpec, ctx: SubmitContext) -> Submission:
        self.check_ids(spec)
        knobs = options.for_image(self.take_options(ops.CREATE_PHOTO_VIDEO, spec.options), spec)
        mapping.check_image_video(spec)
        image_ref = self._plan_photo(spec.image, "image")
        audio_ref = self._plan(spec.audio, "audio", "audio") if spec.audio else None
        bg = spec.background
        bg_ref = self._plan(bg.url, "background.url", "image") if bg and bg.type == "image" and bg.url else None
        image = await self._asset(image_ref, ctx)
        assert image is not None
        request = mapping.image_video(spec, image, await self._asset(audio_ref, ctx), await self._asset(bg_ref, ctx),
                                      ctx.job_id, knobs)
        created = await self._create("/v3/videos", request, wire.VideoCreated, "the photo video",
                                     ctx.idempotency_key)
        length = estimate_speech_seconds(spec.script, spec.speed) if spec.script else AUDIO_GUESS_SECONDS
        return Submission(vendor_id=created.video_id, status="queued", vendor_state=self.state(caption=spec.caption),
                          expected_seconds=self.timing.video_seconds(length),
                          message="HeyGen accepted the Avatar IV video.")

    async def create_video_from_prompt(self, spec: PromptVideoSpec, ctx: SubmitContext) -> Submission:
        """HeyGen's Video Agent writes, casts and renders the video. A chosen avatar passes the readiness gate first
        (a video with an unfinished look fails at HeyGen). Idempotency-Key as every create: whether
        /v3/video-agents honours it is not confirmed (reference: "full list UNCERTAIN")."""
        self.check_ids(spec)
        if spec.avatar_id:
            await self.ensure_ready(spec.avatar_id, ctx.report, wait=not ctx.vendor_state.get(REPLAY))
        request = wire.AgentCreate(prompt=spec.prompt, avatar_id=spec.avatar_id, voice_id=spec.voice_id,
                                   orientation=spec.orientation, callback_id=ctx.job_id)
        await ctx.report(0.0, "Handing the prompt to HeyGen's Video Agent.")
        session = await self._create("/v3/video-agents", request, wire.AgentSession, "the video agent session",
                                     ctx.idempotency_key)
        state = self.state(session_id=session.session_id, **({"video_id": session.video_id} if session.video_id
                                                             else {}))
        return Submission(vendor_id=session.video_id or session.session_id, status="processing", progress=0.05,
                          vendor_state=state, expected_seconds=self.timing.agent_seconds,
                          message="HeyGen's Video Agent is writing and rendering the video; this usually takes "
                                  "several minutes. check_job follows it.")

    # ------------------------------------------------------------------------------------------ catalogue
    async def list_voices(self, query: CatalogQuery) -> list[Voice]:
        items = [*await self._pages("/v3/voices", 100, query.limit, type="private"),
                 *await self._pages("/v3/voices", 100, 10 * query.limit, type="public")]
        voices = [decode(wire.V3Voice, item, "a voice") for item in items]
        return [Voice(voice_id=v.voice_id, name=v.name or v.voice_id, provider=PROVIDER, language=v.language,
                      gender=v.gender, preview_url=v.preview_audio_url)
                for v in voices if voice_matches(query, name=v.name, language=v.language, gender=v.gender)
                ][:query.limit]

    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]:
        """The account's own looks (with their status) first, then HeyGen's public ones."""
        items = [*await self._pages("/v3/avatars/looks", 50, query.limit, ownership="private"),
                 *await self._pages("/v3/avatars/looks", 50, query.limit, ownership="public")]
        looks = [status.look_info(decode(wire.Look, item, "a look")) for item in items]
        return [a for a in looks if voice_matches(query, name=a.name, language=None, gender=a.gender)][:query.limit]

    async def avatar_status(self, avatar_id: str) -> AvatarInfo | None:
        IDS.check(avatar_id, "avatar_id")
        try:
            look = await self._get(f"/v3/avatars/looks/{segment(avatar_id)}", wire.Look, "the avatar")
        except NotFound:
            return None
        if len(self.engines) >= ENGINES_REMEMBERED:
            self.engines.clear()
        self.engines[look.id] = look.supported_api_engines
        return status.look_info(look)

    async def delete_avatar(self, avatar_id: str) -> None:
        IDS.check(avatar_id, "avatar_id")
        for path in (f"/v3/avatars/looks/{segment(avatar_id)}", f"/v3/avatars/{segment(avatar_id)}"):
            try:
                await self.http.request("DELETE", path)
                return
            except NotFound:
                continue
            except AuthError as exc:
                raise InvalidInput(f"{avatar_id} is one of HeyGen's public avatars; only your own avatars can be "
                                   f"deleted.", field="avatar_id") from exc
        raise InvalidInput(f"HeyGen has no avatar or avatar group {avatar_id!r} in this account; list_avatars shows "
                           f"the ids.", field="avatar_id")

    # ------------------------------------------------------------------------------------------ account
    async def remaining_credits(self) -> Cost:
        me = await self._get("/v3/users/me", wire.Me, "the account")
        credits = me.remaining_credits if me.remaining_credits is not None else (
            me.wallet.remaining_balance if me.wallet else None)
        return Cost(amount=credits or 0.0, basis="GET /v3/users/me remaining_credits")

    async def register_webhook(self, url: str) -> tuple[str, str | None]:
        for item in await self._pages("/v3/webhooks/endpoints", 100, 1000):
            if isinstance(item, dict) and item.get("url") == url:
                return str(item.get("endpoint_id")), None
        body = await self.http.json("POST", "/v3/webhooks/endpoints", json={"url": url, "events": None})
        endpoint = decode(wire.Endpoint, data_of(body), "the webhook endpoint")
        return endpoint.endpoint_id, endpoint.secret
