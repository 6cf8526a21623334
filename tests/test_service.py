"""Money safety in the service itself: a create interrupted mid-call is never forgotten nor resent blindly."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest

from avatar_mcp.config import Settings
from avatar_mcp.errors import InvalidInput
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import Scene, VideoSpec
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import ProviderEntry, Submission, SubmitContext
from avatar_mcp.runtime import open_service
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


def factory(provider: Stuck):
    def entries(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Sequence[ProviderEntry]:
        return [ProviderEntry(name=provider.name, title=provider.title, env_vars=(),
                              operations=provider.capabilities.operations, provider=provider)]

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
