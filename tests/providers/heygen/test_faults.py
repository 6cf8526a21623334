"""Faults through the real service: rate limits and server errors on status, ambiguous creates, interrupted creates.

Money rule: a create whose answer was lost is never sent blindly again. v2 has no idempotency key, so the job
ends `unknown` with advice; v3 replays the same Idempotency-Key, so HeyGen answers with the original video.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from avatar_mcp import operations as ops
from avatar_mcp.jobs.store import new_job_id
from avatar_mcp.models import JobRecord, utcnow
from avatar_mcp.providers.base import SubmitContext
from avatar_mcp.specs import Background, Scene, VideoSpec
from tests.fakes._harness import serve
from tests.fakes.heygen_v2 import HeyGenV2Fake
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.providers.heygen.conftest import FAST, STOCK, VOICE, heygen_service, heygen_settings, make_fake

pytestmark = pytest.mark.anyio
SPEC = VideoSpec(scenes=[Scene(avatar_id=STOCK, script="Hello there.", voice_id=VOICE)])
SHORT_CREATE = dataclasses.replace(FAST, create_timeout_seconds=0.3)
STATUS_PATH = {"v2": "/v1/video_status.get", "v3": r"^/v3/videos/(?!statuses)\w+$"}
CREATE_PATH = {"v2": "^/v2/video/generate$", "v3": "^/v3/videos$"}


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_a_429_on_status_is_waited_out_for_as_long_as_heygen_asks(
        api: str, tmp_path: Path, media_root: Path) -> None:
    fake = make_fake(api, polls_to_complete=0)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, api)
        async with heygen_service(settings) as (service, provider):
            job = await service.submit(ops.CREATE_VIDEO, SPEC, provider)
            fake.add_fault("GET", STATUS_PATH[api], status=429, headers={"Retry-After": "1"},
                           body={"error": {"code": "rate_limit_exceeded", "message": "slow down"}})
            started = time.monotonic()
            done = await service.refresh(job.id, force=True)
            waited = time.monotonic() - started
            fake.add_fault("GET", STATUS_PATH[api], status=429, headers={"Retry-After": "120"},
                           body={"error": {"code": "rate_limit_exceeded", "message": "slow down"}})
            later = await service.submit(ops.CREATE_VIDEO, SPEC, provider)
            later = await service.refresh(later.id, force=True)
    assert done.status == "succeeded" and waited >= 1.0
    assert len(fake.requests("GET", STATUS_PATH[api])) == 3
    assert later.status == "queued" and later.next_poll_at is not None  # too long to wait inside a call:
    assert (later.next_poll_at - utcnow()).total_seconds() > 100  # the next poll honours it


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_a_500_on_status_is_retried(api: str, tmp_path: Path, media_root: Path) -> None:
    fake = make_fake(api, polls_to_complete=0)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, api)
        async with heygen_service(settings) as (service, provider):
            job = await service.submit(ops.CREATE_VIDEO, SPEC, provider)
            fake.add_fault("GET", STATUS_PATH[api], status=500, body={"error": {"code": "internal_error"}})
            job = await service.refresh(job.id, force=True)
    assert job.status == "succeeded"
    assert len(fake.requests("GET", STATUS_PATH[api])) == 2


@pytest.mark.parametrize("fault", ["500", "timeout", "garbled"])
async def test_v2_never_resends_a_create_whose_answer_was_lost(fault: str, tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV2Fake()
    if fault == "500":
        fake.add_fault("POST", CREATE_PATH["v2"], status=500, after=True, body={"error": {"code": "internal_error"}})
    elif fault == "timeout":
        fake.add_fault("POST", CREATE_PATH["v2"], delay=1.0, after=True)
    else:
        fake.add_fault("POST", CREATE_PATH["v2"], malformed=True, after=True)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, "v2")
        async with heygen_service(settings, timing=SHORT_CREATE) as (service, provider):
            job = await service.submit(ops.CREATE_VIDEO, SPEC, provider)
            jobs = await service.list_jobs()
    assert len(fake.requests("POST", CREATE_PATH["v2"])) == 1
    assert len(fake.videos) == 1 and [j.id for j in jobs] == [job.id]
    assert job.status == "unknown" and job.error is not None and job.error.code == "submission_unknown"
    assert "NOT resubmitted" in (job.message or "") and "dashboard" in (job.message or "")


async def test_v3_replays_a_create_that_failed_with_500_and_gets_the_same_video(
        tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=0)
    fake.add_fault("POST", CREATE_PATH["v3"], status=500, after=True, body={"error": {"code": "internal_error"}})
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        async with heygen_service(settings) as (service, provider):
            job = await service.submit(ops.CREATE_VIDEO, SPEC, provider)
            job = await service.refresh(job.id, force=True)
    creates = fake.requests("POST", CREATE_PATH["v3"])
    assert len(creates) == 2 and len({c.headers["idempotency-key"] for c in creates}) == 1
    assert len(fake.videos) == 1 and job.status == "succeeded" and job.vendor_id in fake.videos


async def test_v3_reconciles_a_create_whose_every_answer_timed_out(tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=0)
    fake.add_fault("POST", CREATE_PATH["v3"], delay=0.6, after=True, times=4)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        async with heygen_service(settings, timing=SHORT_CREATE) as (service, provider):
            job = await service.submit(ops.CREATE_VIDEO, SPEC, provider)
            assert job.status == "submitting" and "same request key" in (job.message or "")
            reconciled = await service.refresh(job.id, force=True)
            done = await service.refresh(job.id, force=True)
    creates = fake.requests("POST", CREATE_PATH["v3"])
    assert len(creates) == 5 and {c.headers["idempotency-key"] for c in creates} == {f"avatar-mcp:{job.id}"}
    assert len(fake.videos) == 1
    assert reconciled.vendor_id in fake.videos and "Recovered" in (reconciled.message or "")
    assert done.status == "succeeded" and done.result is not None and done.result.video_path


async def test_v3_waits_out_409_request_in_progress(tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=0, processing_delay=1.2)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        timing = dataclasses.replace(SHORT_CREATE, in_progress_wait_seconds=5.0)
        async with heygen_service(settings, timing=timing) as (service, provider):
            job = await service.submit(ops.CREATE_VIDEO, SPEC, provider)
    creates = fake.requests("POST", CREATE_PATH["v3"])
    # timed out (still running), answered 409 request_in_progress, then replayed once the first had finished
    assert len(creates) >= 3 and len(fake.videos) == 1
    assert job.status == "queued" and job.vendor_id in fake.videos


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_a_create_interrupted_by_a_crash_is_reconciled_at_start_up(
        api: str, tmp_path: Path, media_root: Path, photo: Path) -> None:
    fake = make_fake(api, polls_to_complete=0)
    spec = VideoSpec(scenes=[Scene(avatar_id=STOCK, script="Hello there.", voice_id=VOICE,
                                   background=Background(type="image", url="me.jpg"))])
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, api)
        async with heygen_service(settings) as (service, provider):
            job = await service.store.create(JobRecord(
                id=new_job_id(), kind="video", provider="heygen", operation=ops.CREATE_VIDEO,
                request={"arguments": spec.model_dump(mode="json", exclude_none=True)}))
            # The request went out, then the process died before the answer was stored.
            await provider.create_video(spec, SubmitContext(job_id=job.id))
        async with heygen_service(settings) as (service, provider):
            await service.poll_due()
            recovered = await service.get(job.id)
            if recovered.is_open:
                recovered = await service.refresh(job.id, force=True)
    creates = fake.requests("POST", CREATE_PATH[api])
    assert len(fake.videos) == 1
    if api == "v3":  # the upload replays with its own key too, so the replayed create is the same request
        assert len(creates) == 2 and creates[0].headers["idempotency-key"] == creates[1].headers["idempotency-key"]
        assert creates[0].json == creates[1].json and len(fake.assets) == 1
        assert recovered.status == "succeeded" and recovered.vendor_id in fake.videos
    else:
        assert len(creates) == 1
        assert recovered.status == "unknown" and "NOT resubmitted" in (recovered.message or "")
