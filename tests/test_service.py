"""Money safety in the service itself: a create interrupted mid-call is never forgotten nor resent blindly, and
what the submitting process leaves for the others (leases, history)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import anyio
import pytest

from avatar_mcp.config import Settings
from avatar_mcp.errors import InvalidInput
from avatar_mcp.jobs.store import new_job_id
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import JobRecord
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import Submission, SubmitContext
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.runtime import open_service
from avatar_mcp.specs import Scene, VideoSpec
from tests.fakes.countdown import CountdownProvider

pytestmark = pytest.mark.anyio
SPEC = VideoSpec(scenes=[Scene(avatar_id="cd-avatar", script="Hi.", voice_id="cd-ann")], orientation="square")


class Stuck(CountdownProvider):
    """A vendor whose create call never answers, or crashes, or refuses the input before sending."""

    mode = "hang"

    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        if self.mode == "refuse":
            raise InvalidInput("scenes.0.voice_id is not a voice of this vendor.", field="scenes.0.voice_id")
        if self.mode == "crash":
            raise RuntimeError("internal detail that must not reach the user")
        await anyio.sleep_forever()
        raise AssertionError


def factory(provider: CountdownProvider):
    def entries(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Sequence[ProviderEntry]:
        return [ProviderEntry.of(provider)]

    return entries


async def test_a_create_cancelled_mid_call_becomes_unknown_not_forgotten(settings: Settings) -> None:
    provider = Stuck(settings.data_dir / "cd")
    async with open_service(settings, factory(provider), poll=False) as service:
        with anyio.move_on_after(0.2):
            await service.submit("create_video", SPEC, provider)
        jobs = await service.list_jobs()
    assert [j.status for j in jobs] == ["unknown"]
    assert "NOT resubmitted" in (jobs[0].error.message if jobs[0].error else "")


async def test_a_crashing_create_becomes_unknown_without_leaking_its_text(settings: Settings) -> None:
    provider = Stuck(settings.data_dir / "cd")
    provider.mode = "crash"
    async with open_service(settings, factory(provider), poll=False) as service:
        with pytest.raises(RuntimeError):
            await service.submit("create_video", SPEC, provider)
        jobs = await service.list_jobs()
    assert [j.status for j in jobs] == ["unknown"]
    assert "internal detail" not in (jobs[0].message or "") + (jobs[0].error.message if jobs[0].error else "")


async def test_a_refusal_before_sending_leaves_no_job(settings: Settings) -> None:
    provider = Stuck(settings.data_dir / "cd")
    provider.mode = "refuse"
    async with open_service(settings, factory(provider), poll=False) as service:
        with pytest.raises(InvalidInput):
            await service.submit("create_video", SPEC, provider)
        assert await service.list_jobs() == []


class Replayable(Stuck):
    """A vendor whose creates carry a request key (replaying one never pays twice)."""

    capabilities = replace(CountdownProvider.capabilities, idempotent_create=True)


async def test_a_replayable_create_cancelled_mid_call_is_left_due_for_any_process_to_reconcile(
        settings: Settings) -> None:
    provider = Replayable(settings.data_dir / "cd")
    async with open_service(settings, factory(provider), poll=False) as service:
        with anyio.move_on_after(0.2):
            await service.submit("create_video", SPEC, provider)
        [job] = await service.list_jobs()
        [due] = await service.store.due()
    assert job.status == "submitting" and job.lease_owner is None and due.id == job.id
    assert "same request key" in (job.message or "")


async def test_a_submitted_vendor_job_is_handed_back_to_every_process_with_its_next_poll(settings: Settings) -> None:
    provider = CountdownProvider(settings.data_dir / "cd")
    async with open_service(settings, factory(provider), poll=False) as service:
        job = await service.submit("create_video", SPEC, provider)
        history = await service.store.history(job.id)
    assert job.status == "queued" and job.vendor_id and job.next_poll_at is not None
    assert job.lease_owner is None  # nobody holds it between polls: whichever poller is free asks next
    assert [(c.source, c.target, c.owner) for c in history] == [(None, "submitting", service.owner),
                                                                 ("submitting", "queued", service.owner)]


@pytest.mark.parametrize(("status", "why"), [("submitting", "still being sent"), ("finishing", "has finished")])
async def test_a_cancel_that_cannot_stop_the_job_says_so_and_changes_nothing(settings: Settings, status: str,
                                                                            why: str) -> None:
    provider = CountdownProvider(settings.data_dir / "cd")
    async with open_service(settings, factory(provider), poll=False) as service:
        job = await service.store.create(JobRecord(
            id=new_job_id(), kind="video", provider="countdown", operation="create_video", status=status,
            message="Uploading."), owner="elsewhere:1:x", ttl=60)
        answer = await service.cancel(job.id)
        stored = await service.get(job.id)
    assert answer.status == status and answer.message is not None
    assert answer.message.startswith("Not canceled") and why in answer.message and "check_job" in answer.message
    assert stored == job  # nothing written, the lease still its holder's
