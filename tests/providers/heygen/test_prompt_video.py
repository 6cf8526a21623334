"""Videos from a prompt: HeyGen v3's Video Agent through the MCP tool, the session then the video it names, crash
recovery by the Idempotency-Key, and v2's refusal before any request."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.client import Client

from avatar_mcp import operations as ops
from avatar_mcp.errors import InvalidInput
from avatar_mcp.jobs.store import new_job_id
from avatar_mcp.models import JobRecord
from avatar_mcp.providers.base import SubmitContext
from avatar_mcp.providers.heygen import v3_status as status
from avatar_mcp.providers.heygen import v3_wire as wire
from avatar_mcp.specs import PromptVideoSpec
from tests.fakes._harness import sample_mp4, serve
from tests.fakes.heygen_v2 import HeyGenV2Fake
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.providers.heygen.conftest import STOCK, VOICE, Session, heygen_service, heygen_settings, server

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
PROMPT = "A 30-second welcome for new customers of a bike shop: friendly, upbeat, three tips for the first ride."
AGENT_PATH = "^/v3/video-agents$"


@pytest.mark.parametrize("mode", MODES)
async def test_a_prompt_video_is_written_by_the_video_agent_and_downloaded(
        mode: str, tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=0)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        async with Client(server(settings), mode=mode) as client:
            session = Session(client)
            started = await session.call("create_video_from_prompt", {
                "provider": "heygen", "prompt": PROMPT, "avatar_id": STOCK, "voice_id": VOICE,
                "orientation": "portrait"})
            done = await session.finish(started)
    assert started["status"] == "processing" and "Video Agent" in started["message"]
    assert started["estimated_cost"]["amount"] == 6 and "decides the length" in started["estimated_cost"]["basis"]
    create = fake.requests("POST", AGENT_PATH)[0]
    assert create.headers["idempotency-key"] == f"avatar-mcp:{started['job_id']}"
    assert create.json == {"prompt": PROMPT, "mode": "generate", "avatar_id": STOCK, "voice_id": VOICE,
                           "orientation": "portrait", "callback_id": started["job_id"]}
    [agent] = fake.video_agents.values()
    assert done["result"]["video_url"] and Path(done["result"]["video_path"]).read_bytes() == sample_mp4()
    assert Path(done["result"]["thumbnail_path"]).exists()
    assert fake.videos[agent["video_id"]]["type"] == "video_agent" and fake.used_credits == 6
    assert fake.requests("GET", f"^/v3/video-agents/{agent['session_id']}$")  # followed the session first


@pytest.mark.parametrize("mode", MODES)
async def test_v2_refuses_a_prompt_video_before_any_request(mode: str, tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV2Fake(polls_to_complete=0)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, "v2")
        async with Client(server(settings), mode=mode) as client:
            session = Session(client)
            refused = await session.call("create_video_from_prompt", {"provider": "heygen", "prompt": PROMPT},
                                         ok=False)
            jobs = await session.call("list_jobs", {})
            unprompted = await session.call("create_video_from_prompt", {"provider": "heygen"}, ok=False)
            listed = await session.call("list_providers", {})
    assert "HEYGEN_API_VERSION=v2" in refused["error_text"] and "only API v3" in refused["error_text"]
    assert "Nothing was submitted" in refused["error_text"]
    assert "only API v3" in unprompted["error_text"]  # refused before the checklist asks for a prompt
    heygen = next(p for p in listed["providers"] if p["name"] == "heygen")
    assert "create_video_from_prompt" not in heygen["capabilities"]
    assert fake.log == [] and jobs["jobs"] == []


async def test_the_job_follows_the_session_until_it_names_its_video_then_polls_in_the_batch(
        tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=2, agent_think_polls=2)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        async with heygen_service(settings) as (service, provider):
            job = await service.submit(ops.CREATE_VIDEO_FROM_PROMPT, PromptVideoSpec(prompt=PROMPT), provider)
            [session_id] = fake.video_agents
            thinking = [await service.refresh(job.id, force=True) for _ in range(2)]
            named = await service.refresh(job.id, force=True)
            before = len(fake.log)
            batched = await provider.get_jobs([named])
            round_trip = [r.path for r in fake.log[before:]]
            done = await service.refresh(job.id, force=True)
    assert job.vendor_id == session_id and job.vendor_state["session_id"] == session_id
    assert [j.status for j in thinking] == ["processing", "processing"] and "writing" in (thinking[0].message or "")
    video_id = fake.video_agents[session_id]["video_id"]
    assert named.vendor_id == video_id and named.vendor_state["video_id"] == video_id
    assert named.status == "processing" and (named.progress or 0) >= 0.5
    assert round_trip == ["/v3/videos/statuses"] and batched[job.id].status == "processing"
    assert done.status == "succeeded" and done.result is not None and done.result.video_path


async def test_an_interrupted_agent_create_is_reconciled_by_replaying_its_key(
        tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=0)
    spec = PromptVideoSpec(prompt=PROMPT, avatar_id=STOCK)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        async with heygen_service(settings) as (service, provider):
            job = await service.store.create(JobRecord(
                id=new_job_id(), kind="video", provider="heygen", operation=ops.CREATE_VIDEO_FROM_PROMPT,
                request={"arguments": spec.model_dump(mode="json", exclude_none=True)}))
            # The session was opened, then the process died before the answer was stored.
            await provider.create_video_from_prompt(spec, SubmitContext(job_id=job.id))
        async with heygen_service(settings) as (service, provider):
            await service.poll_due()
            reconciled = recovered = await service.get(job.id)
            while recovered.is_open:
                recovered = await service.refresh(job.id, force=True)
    creates = fake.requests("POST", AGENT_PATH)
    assert len(creates) == 2 and creates[0].json == creates[1].json
    assert {c.headers["idempotency-key"] for c in creates} == {f"avatar-mcp:{job.id}"}
    assert len(fake.video_agents) == 1 and len(fake.videos) == 1 and fake.used_credits == 6
    assert "Recovered after an interrupted submission" in (reconciled.message or "")
    assert recovered.status == "succeeded" and recovered.vendor_id in fake.videos


async def test_a_failed_agent_video_fails_the_job_and_is_refunded(tmp_path: Path, media_root: Path) -> None:
    fake = HeyGenV3Fake(polls_to_complete=0, agent_think_polls=0)
    fake.fail_next_video("MODERATION_REJECTED", "The script was rejected")
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, None)
        async with heygen_service(settings) as (service, provider):
            job = await service.submit(ops.CREATE_VIDEO_FROM_PROMPT, PromptVideoSpec(prompt=PROMPT), provider)
            job = await service.refresh(job.id, force=True)
    assert job.status == "failed" and job.error is not None and "The script was rejected" in job.error.message
    assert fake.used_credits == 0


def test_an_agent_that_asks_or_fails_ends_the_job_with_its_words() -> None:
    job = JobRecord(id="j", kind="video", provider="heygen", operation=ops.CREATE_VIDEO_FROM_PROMPT)
    question = wire.AgentSession(session_id="s", status="waiting_for_input", messages=[
        wire.AgentMessage(role="model", type="text", content="Which product is it about?")])
    broken = wire.AgentSession(session_id="s", status="failed", messages=[
        wire.AgentMessage(role="model", type="error", content="Prompt violates the content policy")])
    asked, failed = status.agent_update(question, job), status.agent_update(broken, job)
    assert asked is not None and asked.status == "failed" and "Which product is it about?" in (asked.message or "")
    assert failed is not None and failed.error is not None and "content policy" in failed.error.message
    assert status.agent_update(wire.AgentSession(session_id="s", status="generating", video_id="v"), job) is None


async def test_v2_refuses_directly_too_and_estimates_nothing(
        v2: HeyGenV2Fake, tmp_path: Path, media_root: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v2, "v2")
    async with heygen_service(settings) as (service, provider):
        with pytest.raises(InvalidInput, match="HEYGEN_API_VERSION"):
            await service.submit(ops.CREATE_VIDEO_FROM_PROMPT, PromptVideoSpec(prompt=PROMPT), provider)
        estimate = provider.estimate_cost(ops.CREATE_VIDEO_FROM_PROMPT, PromptVideoSpec(prompt=PROMPT))
        jobs = await service.list_jobs()
    assert estimate is None and jobs == [] and v2.log == []
