"""HeyGen v3 transport and job following: idempotent creates, statuses (batched), and reconcile by replay.

`HeyGenV3` (v3.py) adds the operations on top of this class.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import anyio
from pydantic import ValidationError

from avatar_mcp import operations as ops
from avatar_mcp.errors import (
    AvatarError,
    AvatarNotReady,
    Conflict,
    InvalidInput,
    MediaRejected,
    NotFound,
    ProviderConnectionError,
    ProviderStatusError,
    RateLimited,
    ServerError,
)
from avatar_mcp.models import JobRecord, utcnow
from avatar_mcp.providers._http import segment
from avatar_mcp.providers.base import JobUpdate, Submission, SubmitContext
from avatar_mcp.providers.heygen import v3_status as status
from avatar_mcp.providers.heygen import v3_wire as wire
from avatar_mcp.providers.heygen.common import PROVIDER, M, Wire, chunks, data_of, decode, failed, gone_after
from avatar_mcp.providers.heygen.provider import HeyGenProvider
from avatar_mcp.specs import PhotoAvatarSpec

logger = logging.getLogger(__name__)

STATUS_BATCH = 100
"""GET /v3/videos/statuses takes at most 100 ids."""
KEY_LIFETIME = timedelta(hours=23)
"""HeyGen keeps an Idempotency-Key for 24 h: replaying an older one could make a second video."""
VIDEO_OPERATIONS = frozenset({ops.CREATE_VIDEO, ops.CREATE_PHOTO_VIDEO})
"""Jobs whose vendor_id is a video from the start; a prompt video's job follows its agent session until the session
names the video (`vendor_state.video_id`, also its vendor_id from then on)."""
MAX_PAGES = 5
REPLAY = "replay"
"""SubmitContext.vendor_state flag: a reconcile replay (the readiness gate does not wait inside the poller)."""


class V3Jobs(HeyGenProvider):
    """Transport helpers and job following shared by the v3 operations."""

    # ------------------------------------------------------------------------------------------ transport
    async def _get(self, path: str, model: type[M], what: str, **params: Any) -> M:
        body = await self.http.json("GET", path, params=params or None)
        return decode(model, data_of(body), what)

    async def _pages(self, path: str, limit: int, wanted: int, **params: Any) -> list[Any]:
        """Items of a cursor-paginated list (`limit` + `token`), up to `wanted` items or MAX_PAGES pages."""
        items: list[Any] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            query = {**params, "limit": limit, **({"token": token} if token else {})}
            body = await self.http.json("GET", path, params=query)
            items += list(data_of(body) or [])
            token = body.get("next_token") if isinstance(body, dict) and body.get("has_more") else None
            if not token or len(items) >= wanted:
                break
        return items

    async def _create(self, path: str, request: Wire, model: type[M], what: str, key: str, *,
                      wait_in_progress: bool = True) -> M:
        """A create with an Idempotency-Key: retried safely by VendorHTTP; 409 request_in_progress is waited out
        (bounded); an answer that still cannot be had is reported as sent, for reconcile to replay."""
        deadline = anyio.current_time() + (self.timing.in_progress_wait_seconds if wait_in_progress else 0.0)
        delay = 0.5
        while True:
            try:
                body = await self.http.json("POST", path, json=request.body(), headers={"Idempotency-Key": key},
                                            idempotent=True, timeout=self.timing.create_timeout())
                return decode(model, data_of(body), what)
            except Conflict as exc:
                if exc.vendor_code != "request_in_progress":
                    raise
                left = deadline - anyio.current_time()
                if left <= 0:
                    raise ProviderConnectionError(
                        f"HeyGen is still processing the first attempt at {what}. The job is checked again with the "
                        f"same idempotency key, so it cannot be paid twice.", provider=PROVIDER,
                        request_sent=True) from exc
                await anyio.sleep(min(delay, left))
                delay = min(delay * 2, 5.0)
            except ServerError as exc:
                raise ProviderConnectionError(f"{exc} The request is replayed later with the same idempotency key.",
                                              provider=PROVIDER, request_sent=True) from exc

    # ------------------------------------------------------------------------------------------ status
    @staticmethod
    def follows_video(job: JobRecord) -> bool:
        """The job's vendor_id is a video (a prompt video's, once its agent session has named it)."""
        return job.operation in VIDEO_OPERATIONS or (
            job.operation == ops.CREATE_VIDEO_FROM_PROMPT and bool(job.vendor_state.get("video_id")))

    async def get_job(self, job: JobRecord) -> JobUpdate:
        foreign = self.foreign(job)
        if foreign is not None:
            return foreign
        vid = job.vendor_id
        assert vid is not None
        if job.operation == ops.CREATE_VIDEO_FROM_PROMPT:
            return await self._prompt_video(job)
        if job.operation in VIDEO_OPERATIONS:
            return status.video(await self._get(f"/v3/videos/{segment(vid)}", wire.Video, "the video"), job)
        if job.operation == ops.TRAIN_PHOTO_AVATAR:
            group = await self._get(f"/v3/avatars/{segment(vid)}", wire.Group, "the avatar group")
            return status.group_update(group, job)
        return status.look_update(await self._get(f"/v3/avatars/looks/{segment(vid)}", wire.Look, "the avatar"), job)

    async def _prompt_video(self, job: JobRecord) -> JobUpdate:
        """The agent session until it names its video, then the video (in the same poll, to finish without delay)."""
        video_id = job.vendor_state.get("video_id")
        named: dict[str, Any] = {}
        if not video_id:
            session_id = job.vendor_state.get("session_id") or job.vendor_id
            session = await self._get(f"/v3/video-agents/{segment(str(session_id))}", wire.AgentSession,
                                      "the video agent session")
            update = status.agent_update(session, job)
            if update is not None:
                return update
            video_id = session.video_id
            named = {"vendor_id": video_id, "vendor_state": {"video_id": video_id}}
        update = status.video(await self._get(f"/v3/videos/{segment(str(video_id))}", wire.Video, "the video"), job)
        return status.agent_video(update, job).model_copy(update=named)

    async def get_jobs(self, jobs: Sequence[JobRecord]) -> dict[str, JobUpdate]:
        """Videos through GET /v3/videos/statuses (one batch per 100 open videos, each page of its answer read;
        items are named `video_id` and carry no URLs), then one GET per video the batch says is completed, for its
        URLs, or leaves out. Avatars are asked one by one (there is no batch endpoint for looks)."""
        videos = [j for j in jobs if self.follows_video(j) and j.vendor_id and self.foreign(j) is None]
        updates: dict[str, JobUpdate] = {}
        for chunk in chunks(videos, STATUS_BATCH):
            items = await self._statuses([str(j.vendor_id) for j in chunk])
            for job in chunk:
                item = items.get(str(job.vendor_id))
                if item is None:
                    continue  # not in the answer: says nothing about the video, so it is read on its own below
                if item.status == "not_found":
                    updates[job.id] = gone_after(job, NotFound("HeyGen does not know this video.", provider=PROVIDER,
                                                               status_code=404, vendor_code="not_found"))
                elif item.status == "completed":
                    updates[job.id] = await self._single(job)
                else:
                    error = item.error or wire.StatusError()
                    running = status.video_running(item.status, job, error.code, error.message)
                    updates[job.id] = status.agent_video(running, job)
        for job in jobs:
            if job.id not in updates:
                updates[job.id] = await self._single(job)
        return updates

    async def _statuses(self, ids: Sequence[str]) -> dict[str, wire.StatusItem]:
        """Every item of GET /v3/videos/statuses for these ids, by video id: the answer is a cursor-paged list
        (`has_more`, `next_token`, followed with `token`), and its page size is not published."""
        query = {"video_ids": ",".join(ids)}
        items: dict[str, wire.StatusItem] = {}
        token: str | None = None
        for _ in range(len(ids)):  # each page names at least one video; a vendor that loops is cut short
            body = await self.http.json("GET", "/v3/videos/statuses", params={**query, **({"token": token}
                                                                                         if token else {})})
            page = [decode(wire.StatusItem, x, "a video status") for x in data_of(body) or []]
            items.update((i.video_id, i) for i in page if i.video_id)
            token = body.get("next_token") if isinstance(body, dict) and body.get("has_more") else None
            if not token or not page:
                break
        return items

    async def _single(self, job: JobRecord) -> JobUpdate:
        """One job's status inside a batch: its failure must not fail the others."""
        try:
            return await self.get_job(job)
        except RateLimited as exc:
            return JobUpdate(status=job.status, retry_after=exc.retry_after, message=job.message)
        except AvatarError as exc:
            logger.info("status of %s failed: %s", job.id, exc)
            return gone_after(job, exc)

    # ------------------------------------------------------------------------------------------ reconcile
    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        """A job left in `submitting` (crash, or an answer that never came): replay the whole submission with the
        same keys. HeyGen answers a replayed key with the original result, so at most one video is ever made."""
        if utcnow() - job.created_at > KEY_LIFETIME or job.vendor_state.get("api", self.api) != self.api:
            return None
        ctx = SubmitContext(job_id=job.id, vendor_state={REPLAY: True})
        try:
            submission = await self._replay(job, ctx)
        except (InvalidInput, MediaRejected, ValidationError) as exc:
            # The request cannot be rebuilt (e.g. a local file is gone): whether HeyGen got it is unknown.
            logger.info("cannot replay %s: %s", job.id, exc)
            return None
        except AvatarNotReady as exc:
            # The readiness gate comes before the create, and a ready avatar stays ready: the create was never sent.
            return failed(exc.code, f"The server stopped before this video was submitted, and now: {exc}")
        except ProviderStatusError as exc:
            if exc.retryable:
                raise
            return failed(exc.code, f"HeyGen refused the request when it was replayed: {exc} Nothing was made.")
        if submission is None:
            return failed("interrupted", "The server stopped before this finished. Nothing was created or charged "
                                         "for it: call the tool again.")
        return JobUpdate(status=submission.status, vendor_id=submission.vendor_id, progress=submission.progress,
                         message=f"Recovered after an interrupted submission. {submission.message or ''}".strip(),
                         result=submission.result, vendor_state=submission.vendor_state)

    async def _replay(self, job: JobRecord, ctx: SubmitContext) -> Submission | None:
        op = ops.get(job.operation)
        spec = op.stored(job)
        if isinstance(spec, PhotoAvatarSpec) and spec.from_generation is not None:
            return None  # picking a generated look creates nothing at HeyGen, so there is nothing to recover
        return await op.call(self, spec, ctx, None)
