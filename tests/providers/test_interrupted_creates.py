"""Every vendor: a create interrupted after the request went out (a 5xx, or the connection dropped mid-answer) never
answers a bare error and never pays twice. Vendors with an idempotency key replay it; Creatify and Napster find the
job in their lists; HeyGen v2 (neither) leaves it `unknown` with advice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from avatar_mcp.jobs.store import SqliteJobStore, new_job_id
from avatar_mcp.models import JobRecord, VideoSpec
from tests.fakes._harness import serve
from tests.fakes.creatify import CreatifyFake
from tests.fakes.napster import NapsterFake
from tests.providers._cases import IDS, VENDORS, Vendor
from tests.providers._vendors import call, finish

pytestmark = pytest.mark.anyio

FAULTS = {"5xx": {"status": 500, "after": True}, "dropped": {"drop": True, "after": True}}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("vendor", VENDORS, ids=IDS)
async def test_a_create_interrupted_after_the_vendor_took_it_leaves_one_vendor_job_and_a_known_or_unknown_handle(
        vendor: Vendor, fault: str, tmp_path: Path, media_root: Path) -> None:
    fake = vendor.make_fake()
    with serve(fake):
        settings = vendor.settings(tmp_path, media_root, fake)
        fake.add_fault("POST", vendor.create_path, **FAULTS[fault])
        async with vendor.client(settings) as client:
            tool, arguments = vendor.create(fake)
            handle: dict[str, Any] = await call(client, tool, arguments)  # an answer, never a bare error
            jobs = (await call(client, "list_jobs", {}))["jobs"]
    assert vendor.vendor_jobs(fake) == 1
    assert [j["job_id"] for j in jobs] == [handle["job_id"]]
    if vendor.recovers:
        assert handle["status"] in ("queued", "processing"), handle
    else:
        assert handle["status"] == "unknown" and "NOT resubmitted" in handle["message"], handle
        assert len(fake.requests("POST", vendor.create_path)) == 1


@pytest.mark.parametrize("vendor", [v for v in VENDORS if v.id in ("creatify", "napster")], ids=["creatify", "napster"])
async def test_a_create_refused_with_a_5xx_before_the_vendor_took_it_is_unknown_and_not_resent(
        vendor: Vendor, tmp_path: Path, media_root: Path) -> None:
    fake = vendor.make_fake()
    with serve(fake):
        settings = vendor.settings(tmp_path, media_root, fake)
        fake.add_fault("POST", vendor.create_path, status=503)
        async with vendor.client(settings) as client:
            tool, arguments = vendor.create(fake)
            handle = await call(client, tool, arguments)
    assert vendor.vendor_jobs(fake) == 0 and len(fake.requests("POST", vendor.create_path)) == 1
    assert handle["status"] == "unknown" and "NOT resubmitted" in handle["message"]


CREATIFY, NAPSTER = (next(v for v in VENDORS if v.id == name) for name in ("creatify", "napster"))


async def test_custom_avatars_and_twins_whose_answer_was_lost_are_found_and_followed_to_the_end(
        tmp_path: Path, media_root: Path) -> None:
    creatify, napster = CREATIFY.make_fake(), NAPSTER.make_fake()
    assert isinstance(napster, NapsterFake)
    napster.grant_consent()
    with serve(creatify), serve(napster):
        creatify.add_fault("POST", "^/api/personas_v2/$", status=502, after=True)
        napster.add_fault("POST", "^/public/digital-twins$", drop=True, after=True)
        settings = CREATIFY.settings(tmp_path, media_root, creatify)
        async with CREATIFY.client(settings) as client:
            persona = await call(client, "create_digital_twin", {
                "provider": "creatify", "name": "Robin Avery", "gender": "male", "video": "https://cdn.example/r.mp4"})
            persona_done = await finish(client, persona["job_id"])
        settings = NAPSTER.settings(tmp_path / "n", media_root, napster)
        async with NAPSTER.client(settings) as client:
            twin = await call(client, "create_digital_twin", {
                "provider": "napster", "name": "Robin Avery", "video": "https://cdn.example.com/robin.mp4",
                "description": "Robin, our head of sales.", "gender": "male", "ethnicity": "Caucasian"})
            twin_done = await finish(client, twin["job_id"])
    assert "Found at Creatify" in persona["message"] and persona_done["status"] == "succeeded"
    assert "Found at Napster" in twin["message"] and twin_done["status"] == "succeeded"
    assert len(creatify.requests("POST", "^/api/personas_v2/$")) == 1
    assert len(napster.requests("POST", "^/public/digital-twins$")) == 1 and len(napster.companions) == 1


async def test_several_records_that_could_be_the_lost_create_are_named_not_guessed_between(
        tmp_path: Path, media_root: Path) -> None:
    fake = CREATIFY.make_fake()
    assert isinstance(fake, CreatifyFake)
    with serve(fake):
        settings = CREATIFY.settings(tmp_path, media_root, fake)
        tool, arguments = CREATIFY.create(fake)
        arguments = {**arguments, "title": "Weekly update"}
        same = {"aspect_ratio": "9x16", "creator": arguments["scenes"][0]["avatar_id"], "name": "Weekly update",
                "text": arguments["scenes"][0]["script"], "accent": arguments["scenes"][0]["voice_id"],
                "no_caption": True}
        made = httpx.post(f"{fake.base_url}/api/lipsyncs/", json=same,
                          headers={"X-API-ID": "test-creatify-id", "X-API-KEY": "test-creatify-key"}).json()
        fake.add_fault("POST", CREATIFY.create_path, status=500, after=True)
        async with CREATIFY.client(settings) as client:
            handle = await call(client, tool, arguments)
    ours = next(i for i in fake.lipsyncs if i != made["id"])
    assert handle["status"] == "unknown" and "NOT resubmitted" in handle["message"]
    assert made["id"] in handle["message"] and ours in handle["message"]


async def test_a_job_a_crash_left_in_submitting_is_found_in_the_vendors_list_at_start_up(
        tmp_path: Path, media_root: Path) -> None:
    fake = CREATIFY.make_fake()
    assert isinstance(fake, CreatifyFake)
    with serve(fake):
        settings = CREATIFY.settings(tmp_path, media_root, fake)
        _, arguments = CREATIFY.create(fake)
        spec = VideoSpec.model_validate({k: v for k, v in arguments.items() if k != "provider"})
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = SqliteJobStore(settings.db_path)
        job = await store.create(JobRecord(id=new_job_id(), kind="video", provider="creatify",
                                           operation="create_video",
                                           request={"arguments": spec.model_dump(mode="json", exclude_none=True)}))
        await store.close()
        scene = spec.scenes[0]
        httpx.post(f"{fake.base_url}/api/lipsyncs/", headers={"X-API-ID": "test-creatify-id",
                                                             "X-API-KEY": "test-creatify-key"},
                   json={"aspect_ratio": "9x16", "creator": scene.avatar_id, "text": scene.script,
                         "accent": scene.voice_id, "no_caption": True, "name": f"avatar-mcp {job.id}"})
        async with CREATIFY.client(settings) as client:
            done = await finish(client, job.id)
    assert done["status"] == "succeeded", done
    assert len(fake.lipsyncs) == 1 and len(fake.requests("POST", CREATIFY.create_path)) == 1
