"""HeyGen's own fault handling, beyond the contract suite (tests/providers/contract.py, which holds every vendor to
lost creates, crashes, rate limits and unreadable answers): a long Retry-After on status sets the next poll; v3
replays the same Idempotency-Key (the replayed create is the same request), reconciles a create whose every answer
timed out, and waits out 409 request_in_progress.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from avatar_mcp import operations as ops
from avatar_mcp.models import utcnow
from avatar_mcp.specs import Scene, VideoSpec
from tests.fakes._harness import serve
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


