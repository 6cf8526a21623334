"""Creatify: custom avatars (personas_v2, seed 003) and lipsync videos, one scene or several.

- create_digital_twin -> `POST /api/personas_v2/`: local footage is uploaded as multipart (MP4/MOV from the media
  roots), https URLs are passed as they are. personas_v2 requires the gender (m | f | nb), so the checklist asks for
  it (Capabilities.required_fields) before anything is sent. The job follows `process_status` through every stage
  of seed 003; `rejected` and `failed` end it with Creatify's reason. Creation takes 1-5 days.
- create_video -> `POST /api/lipsyncs/` for one plain scene (captions are its option), `POST /api/lipsyncs_v2/` for
  several scenes or a scene with a background. Avatars are persona ids; voices are accent ids.
- Render options (spec.options) are all refused by name: lipsync has none of them (its green_screen puts the
  person on green, which is not remove_background).
- Creatify has no idempotency key, so a create is never sent twice. A create whose answer is lost (a 5xx, a dropped
  connection) is looked for in Creatify's persona and lipsync lists (`reconcile`, providers/_lost.py): the record
  made since the job with the same values is the job; otherwise it ends `unknown` with advice. Lipsyncs are always
  named (the title, else "avatar-mcp <job id>") so that they can be told apart.
- Paths always end in "/": without it Creatify answers 301, which would turn a POST into a GET.
"""

from __future__ import annotations

import math
from typing import Any

import anyio.to_thread
import httpx
from pydantic import BaseModel

from avatar_mcp import operations
from avatar_mcp.checklist import estimate_video_seconds
from avatar_mcp.config import Settings
from avatar_mcp.errors import (
    AvatarNotReady,
    InvalidInput,
    MediaRejected,
    NotFound,
    ProviderConnectionError,
    ServerError,
)
from avatar_mcp.media import MediaPolicy, classify, require_https
from avatar_mcp.models import AvatarInfo, CatalogQuery, Cost, JobRecord, Voice
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.operations import CREATE_DIGITAL_TWIN, CREATE_VIDEO
from avatar_mcp.providers import _lost as lost
from avatar_mcp.providers._http import UPLOAD_TIMEOUT, VendorHTTP, segment
from avatar_mcp.providers.base import BaseProvider, Capabilities, JobUpdate, Submission, SubmitContext, check_options
from avatar_mcp.providers.creatify import status, wire
from avatar_mcp.providers.creatify.spec import IDS, SPEC, TIMING
from avatar_mcp.providers.timing import Timing
from avatar_mcp.providers.wire import M, decode, decode_all
from avatar_mcp.specs import DigitalTwinSpec, VideoSpec

__all__ = ["CreatifyProvider"]

REVIEW_POLL_SECONDS = 1800.0
"""The `reviewing` stage of a custom avatar can last days: it is polled this slowly."""
CREDITS_PER_30S = 5
"""Creatify's lipsync rate: 5 credits per started 30 seconds of video."""
MAX_WEBHOOK_URL = 200
"""personas_v2 and lipsyncs cap webhook_url at 200 characters."""
UPLOAD_TYPES = {"video/mp4": "mp4", "video/quicktime": "mov"}
MAX_PAGES = 20
NOTES = ("Custom avatars from your own footage (gender required; 1-5 days, process_status followed to the end, "
         "rejections explained); lipsync videos with stock or custom personas (avatar_id) and accents (voice_id); "
         "several scenes through lipsyncs_v2. Speech audio and backgrounds must be https URLs. No render options.")


class CreatifyProvider(BaseProvider):
    name = SPEC.name
    title = SPEC.title
    capabilities = Capabilities(operations=SPEC.operations, webhooks=True, findable_create=True,
                                required_fields={CREATE_DIGITAL_TWIN: ("gender",)}, notes=NOTES)

    def __init__(self, http: SharedHTTP, media: MediaPolicy, *, api_id: str, api_key: str, base_url: str,
                 timing: Timing = TIMING) -> None:
        self.media = media
        self._http = VendorHTTP(http, provider=self.name, base_url=base_url, error_parser=wire.parse_error,
                                auth_headers={"X-API-ID": api_id, "X-API-KEY": api_key}, secrets=[api_id, api_key])
        self.timing = timing

    @classmethod
    def from_settings(cls, settings: Settings, http: SharedHTTP, media: MediaPolicy,
                      **kwargs: Any) -> CreatifyProvider:
        """The provider for these settings; `timing` (keyword) exists for tests and benchmarks."""
        assert settings.creatify_api_id is not None and settings.creatify_api_key is not None
        return cls(http, media, api_id=settings.creatify_api_id.get_secret_value(),
                   api_key=settings.creatify_api_key.get_secret_value(), base_url=settings.creatify_base_url,
                   **kwargs)

    def _webhook(self, ctx: SubmitContext) -> str | None:
        url = ctx.callback_url
        return url if url and len(url) <= MAX_WEBHOOK_URL else None

    # ------------------------------------------------------------------------------------------ avatars
    async def create_digital_twin(self, spec: DigitalTwinSpec, ctx: SubmitContext) -> Submission:
        urls: dict[str, str] = {}
        files: dict[str, tuple[str, bytes, str]] = {}
        for field, source in (("lipsync_input", spec.video), ("consent_video", spec.consent_video)):
            if source is None:
                continue
            if classify(source) == "url":
                urls[field] = require_https(source, what=field.replace("_", " ") + " URL", vendor="Creatify")
            elif classify(source) == "asset":
                raise MediaRejected(f"Creatify has no asset store, so {source!r} means nothing there: give a local "
                                    f"MP4/MOV file inside the media roots or an https URL.", source=source)
            else:
                files[field] = await self._footage(source, field)
        request = wire.PersonaRequest(gender=wire.gender_code(spec.gender), creator_name=spec.name,
                                      webhook_url=self._webhook(ctx), **urls)
        await ctx.report(0.0, "Uploading the footage to Creatify." if files else "Sending the request to Creatify.")
        if files:
            record = await self._post("/api/personas_v2/", wire.Persona, data=request.body(), files=files,
                                      timeout=UPLOAD_TIMEOUT)
        else:
            record = await self._post("/api/personas_v2/", wire.Persona, json=request.body(),
                                      timeout=self.timing.create_timeout())
        update = status.persona_update(record)
        return Submission(vendor_id=record.id, status="queued" if update.status == "queued" else "processing",
                          progress=update.progress or 0.0, message=update.message, vendor_state={"kind": "persona"},
                          expected_seconds=self.timing.expected(self.timing.twin_seconds),
                          poll_after=self.timing.poll_after)

    async def _post(self, path: str, model: type[M], **kwargs: Any) -> M:
        """A paid create, sent once. A 5xx answer (or an unreadable one) is as undecided as a lost one (Creatify may
        have made it): it is reported as sent, and the service looks for it (`reconcile`) instead of failing or
        resending it."""
        try:
            body = await self._http.json("POST", path, idempotent=False, **kwargs)
            return decode(model, body, "the create", provider=self.name, vendor="Creatify")
        except ServerError as exc:
            raise ProviderConnectionError(f"{exc} Creatify may or may not have made it.", provider=self.name,
                                          request_sent=True) from exc

    async def _footage(self, source: str, field: str) -> tuple[str, bytes, str]:
        """A local video for multipart upload: inside the media roots, MP4 or MOV by its content."""
        local = self.media.open_local(source, kinds=("video",))
        extension = UPLOAD_TYPES.get(local.mime)
        if extension is None:
            raise MediaRejected(f"{source!r} is {local.mime}; Creatify takes MP4 or MOV footage. Convert it and try "
                                f"again.", source=source)
        data = await anyio.to_thread.run_sync(local.read_bytes)
        return f"{field}.{extension}", data, local.mime

    async def avatar_status(self, avatar_id: str) -> AvatarInfo | None:
        if not IDS.pattern.fullmatch(avatar_id):
            return None  # never let an argument reshape the request path
        try:
            body = await self._http.json("GET", f"/api/personas/{segment(avatar_id)}/")
        except NotFound:
            return None
        return status.persona_info(decode(wire.Persona, body, "the avatar", provider=self.name, vendor="Creatify"))

    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]:
        records = decode_all(wire.Persona, await self._listing("/api/personas/", query.limit), "the avatar list",
                             provider=self.name, vendor="Creatify")
        return [status.persona_info(r) for r in records]

    async def list_voices(self, query: CatalogQuery) -> list[Voice]:
        records = decode_all(wire.VoiceRecord, await self._listing("/api/voices/", None), "the voice list",
                             provider=self.name, vendor="Creatify")
        return status.voices(records)

    async def _listing(self, path: str, limit: int | None) -> list[dict[str, Any]]:
        """A plain array, or DRF pages followed while they stay on Creatify's own host (keys go with each page)."""
        found, url = [], self._http.url(path)
        for _ in range(MAX_PAGES):
            items, url_next = wire.results(await self._http.json("GET", url))
            found.extend(items)
            following = self._own_page(url, url_next) if url_next is not None else None
            if following is None or (limit and len(found) >= limit):
                break
            url = following
        return found

    def _own_page(self, current: str, link: str) -> str | None:
        """A `next` link (a URL, or a path as some servers give it) as a URL on the configured base, or None when it
        leads to another host: the keys go with every page. A proxy's scheme in the link (http behind TLS) is
        ignored: the page is asked for the way the base URL says."""
        base, target = httpx.URL(self._http.base_url + "/"), httpx.URL(current).join(link)
        if (target.host, target.port or None) != (base.host, base.port or None):
            return None
        if not target.path.startswith(base.path):
            return None
        return str(target.copy_with(scheme=base.scheme, port=base.port))

    # ------------------------------------------------------------------------------------------ videos
    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        endpoint, request = self._video_request(spec, ctx.job_id)
        await self._check_avatars({s.avatar_id for s in spec.scenes if s.avatar_id})
        request.webhook_url = self._webhook(ctx)
        await ctx.report(0.0, "Sending the video to Creatify.")
        record = await self._post(f"/api/{endpoint}/", wire.LipsyncRecord, json=request.body(),
                                  timeout=self.timing.create_timeout())
        update = status.lipsync_update(record)
        seconds = estimate_video_seconds([s.model_dump() for s in spec.scenes])
        return Submission(vendor_id=record.id, status="processing" if update.status == "processing" else "queued",
                          progress=update.progress or 0.0, message=update.message, vendor_state={"kind": endpoint},
                          expected_seconds=self.timing.expected(self.timing.video_seconds(seconds)),
                          poll_after=self.timing.poll_after)

    def _video_request(self, spec: VideoSpec, job_id: str) -> tuple[str, wire.Lipsync | wire.LipsyncV2]:
        """(endpoint, request) of a checked spec, without the webhook; the same for the same job every time."""
        check_options(self.name, spec.options, ())
        wire.reject([p for i, s in enumerate(spec.scenes) for p in wire.unsupported(s, i)])
        ratio = wire.aspect_ratio(spec)
        for index, scene in enumerate(spec.scenes):
            if not scene.avatar_id:
                raise InvalidInput(f"scenes.{index}.avatar_id is missing: pick a persona from list_avatars.",
                                   field=f"scenes.{index}.avatar_id")
            IDS.check(scene.avatar_id, f"scenes.{index}.avatar_id", where="list_avatars (provider 'creatify')")
            IDS.check_optional(scene.voice_id, f"scenes.{index}.voice_id", where="list_voices (provider 'creatify')")
        name = spec.title or f"avatar-mcp {job_id}"
        if len(spec.scenes) == 1 and spec.scenes[0].background is None:
            scene = spec.scenes[0]
            audio = wire.remote(scene.audio, "scenes.0.audio") if scene.audio is not None else None
            return "lipsyncs", wire.Lipsync(aspect_ratio=ratio, creator=scene.avatar_id or "",
                                            no_caption=not spec.caption, audio=audio,
                                            text=scene.script if audio is None else None,
                                            accent=scene.voice_id or None, name=name)
        if spec.caption:
            raise InvalidInput("Creatify adds captions only to one-scene videos without a background; turn caption "
                               "off, or make one scene without a background.", field="caption")
        return "lipsyncs_v2", wire.LipsyncV2(aspect_ratio=ratio, name=name, video_inputs=[
            wire.scene_input(s, i) for i, s in enumerate(spec.scenes)])

    async def _check_avatars(self, avatar_ids: set[str]) -> None:
        """A persona still being made would be refused: say so before anything is spent."""
        for avatar_id in sorted(avatar_ids):
            info = await self.avatar_status(avatar_id)
            if info is None:
                raise InvalidInput(f"Creatify has no avatar {avatar_id!r}: pick one from list_avatars.",
                                   field="avatar_id")
            if info.status != "ready":
                raise AvatarNotReady(f"Creatify avatar {avatar_id} is not ready yet ({info.status}); custom avatars "
                                     f"take 1-5 days. Follow its create_digital_twin job with check_job, or pick a "
                                     f"ready avatar from list_avatars.", avatar_id=avatar_id, status=str(info.status))

    # ------------------------------------------------------------------------------------------ status
    async def get_job(self, job: JobRecord) -> JobUpdate:
        kind = job.vendor_state.get("kind") or ("persona" if job.operation != CREATE_VIDEO else "lipsyncs")
        path = "/api/personas/{}/" if kind == "persona" else f"/api/{kind}/{{}}/"
        body = await self._http.json("GET", path.format(segment(str(job.vendor_id))))
        reviewing = False
        if kind == "persona":
            persona = decode(wire.Persona, body, "the avatar's status", provider=self.name, vendor="Creatify")
            update, reviewing = status.persona_update(persona), persona.process_status == "reviewing"
        else:
            update = status.lipsync_update(decode(wire.LipsyncRecord, body, "the video's status", provider=self.name,
                                                  vendor="Creatify"))
        if update.status in ("queued", "processing"):
            poll = self.timing.poll_after
            update.poll_after = poll if poll is not None else (REVIEW_POLL_SECONDS if reviewing else None)
        return update

    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        """A create whose answer was lost: the persona or lipsync made since the job with the values it was sent
        with, found in Creatify's lists (None when there is none; several are named, not guessed between)."""
        spec = operations.get(job.operation).stored(job)
        if isinstance(spec, DigitalTwinSpec):
            kind, path = "persona", "/api/personas/"
            wanted: dict[str, Any] = {"creator_name": spec.name, "gender": wire.gender_code(spec.gender)}
            what = "custom avatar"
        else:
            assert isinstance(spec, VideoSpec)
            kind, request = self._video_request(spec, job.id)
            wanted = request.body()
            path, what = f"/api/{kind}/", "video"
        found = lost.candidates(await self._listing(path, None), wanted, job.created_at, created_key="created_at")
        if not found:
            return None
        if len(found) > 1:
            return lost.ambiguous("Creatify", what, [str(r["id"]) for r in found])
        record = found[0]
        update = status.persona_update(wire.Persona.model_validate(record)) if kind == "persona" else \
            status.lipsync_update(wire.LipsyncRecord.model_validate(record))
        return update.model_copy(update={
            "vendor_id": str(record["id"]), "vendor_state": {"kind": kind}, "poll_after": self.timing.poll_after,
            "message": f"Found at Creatify after the answer to the submission was lost (nothing was sent twice). "
                       f"{update.message or ''}".strip()})

    def estimate_cost(self, operation: str, spec: BaseModel) -> Cost | None:
        if operation != CREATE_VIDEO or not isinstance(spec, VideoSpec):
            return None
        seconds = estimate_video_seconds([s.model_dump() for s in spec.scenes])
        blocks = max(1, math.ceil(seconds / 30))
        return Cost(amount=CREDITS_PER_30S * blocks, unit="credits",
                    basis=f"about {seconds:.0f} s of video x {CREDITS_PER_30S} credits per started 30 s (Creatify's "
                          f"lipsync rate; audio scenes counted as 10 s)")

