"""Acme as a Provider: one-scene videos, created with an Idempotency-Key (replayed safely after a lost answer)."""

from __future__ import annotations

from typing import Any

from avatar_mcp.config import Settings
from avatar_mcp.errors import ProviderConnectionError, ServerError
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import JobRecord
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers._http import VendorHTTP, segment
from avatar_mcp.providers.base import BaseProvider, Capabilities, JobUpdate, Submission, SubmitContext, check_options
from avatar_mcp.providers.spec import setting
from avatar_mcp.providers.timing import Timing
from avatar_mcp.providers.wire import decode
from avatar_mcp.specs import VideoSpec
from tests.providers.acme import status, wire
from tests.providers.acme.spec import IDS, SPEC, TIMING


class AcmeProvider(BaseProvider):
    name, title = SPEC.name, SPEC.title
    capabilities = Capabilities(operations=SPEC.operations, idempotent_create=True, notes="One-scene videos.")

    def __init__(self, http: SharedHTTP, *, api_key: str, base_url: str, timing: Timing = TIMING) -> None:
        self.http = VendorHTTP(http, provider=self.name, base_url=base_url, error_parser=wire.parse_error,
                               auth_headers={"Authorization": f"Bearer {api_key}"})
        self.timing = timing

    @classmethod
    def from_settings(cls, settings: Settings, http: SharedHTTP, media: MediaPolicy, **kwargs: Any) -> AcmeProvider:
        return cls(http, api_key=setting(settings, "ACME_API_KEY") or "", base_url=setting(settings, "ACME_BASE_URL")
                   or "https://api.acme.example", **kwargs)

    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        check_options(self.name, spec.options, ())
        scene = spec.scenes[0]
        request = wire.VideoRequest(avatar=IDS.check(scene.avatar_id, "scenes.0.avatar_id"), script=scene.script or "",
                                    voice=IDS.check_optional(scene.voice_id, "scenes.0.voice_id"))
        try:
            body = await self.http.json("POST", "/v1/videos", json=request.body(), idempotent=True,
                                        headers={"Idempotency-Key": ctx.idempotency_key},
                                        timeout=self.timing.create_timeout())
        except ServerError as exc:
            raise ProviderConnectionError(f"{exc} Replayed later with the same key.", provider=self.name,
                                          request_sent=True) from exc
        video = decode(wire.Video, body, "the video", provider=self.name, vendor="Acme")
        return Submission(vendor_id=video.id, expected_seconds=self.timing.expected(self.timing.video_seconds(10)),
                          poll_after=self.timing.poll_after)

    async def get_job(self, job: JobRecord) -> JobUpdate:
        body = await self.http.json("GET", f"/v1/videos/{segment(str(job.vendor_id))}")
        return status.update(decode(wire.Video, body, "the video", provider=self.name, vendor="Acme"),
                             self.timing.poll_after)

    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        spec = VideoSpec.model_validate(job.request.get("arguments") or {})
        made = await self.create_video(spec, SubmitContext(job_id=job.id))  # the same key: never a second video
        return JobUpdate(status=made.status, vendor_id=made.vendor_id, poll_after=made.poll_after)
