"""AvatarService.plan, without MCP: provider choice, generation picks, catalogue look-ups and readiness of the avatars
offered, media refused before any question or catalogue read, the cost, the questions."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from avatar_mcp.config import Settings
from avatar_mcp.errors import CapabilityMissing, InvalidInput, MediaRejected
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import AvatarInfo, Candidate, CatalogQuery, JobRecord, JobResult
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.operations import CREATE_PHOTO_AVATAR, CREATE_PHOTO_VIDEO, CREATE_VIDEO, GENERATE_PHOTO
from avatar_mcp.providers.base import Capabilities
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.runtime import open_service
from avatar_mcp.service import AvatarService
from tests.conftest import PORTRAITS, make_settings
from tests.fakes.countdown import AVATAR, CountdownProvider

pytestmark = pytest.mark.anyio
PENDING = AvatarInfo(avatar_id="cd-pending", name="Still training", provider="countdown", status="processing")


class Catalogued(CountdownProvider):
    """Countdown with a second avatar that is not ready yet, and photo videos; it counts avatar_status calls."""

    capabilities = Capabilities(operations=CountdownProvider.capabilities.operations | {CREATE_PHOTO_VIDEO})
    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.statuses_asked: list[str] = []

    async def avatar_status(self, avatar_id: str) -> AvatarInfo | None:
        self.statuses_asked.append(avatar_id)
        return await super().avatar_status(avatar_id)

    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]:
        return [AVATAR, PENDING]


@asynccontextmanager
async def service(settings: Settings) -> AsyncIterator[tuple[AvatarService, Catalogued]]:
    made: list[Catalogued] = []

    def entries(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Sequence[ProviderEntry]:
        made.append(Catalogued(settings.data_dir / "countdown"))
        return [ProviderEntry.of(made[0])]

    async with open_service(settings, entries, poll=False) as opened:
        yield opened, made[0]


async def test_a_video_without_avatar_voice_or_shape_is_planned_with_ready_choices_defaults_and_a_cost(
        settings: Settings) -> None:
    async with service(settings) as (svc, provider):
        plan = await svc.plan(CREATE_VIDEO, {"scenes": [{"script": "Hello."}]}, "countdown")
    assert plan.provider is provider and plan.operation.name == CREATE_VIDEO
    assert [q.path for q in plan.questions] == ["scenes.0.avatar_id", "scenes.0.voice_id", "orientation"]
    avatar, voice, _ = plan.questions
    assert avatar.allowed == ("cd-avatar",)  # the avatar still training is not offered
    assert voice.allowed == ("cd-ann", "cd-bob") and voice.default == "cd-ann"
    assert plan.cost is not None and plan.cost.amount == 1.0 and not plan.must_confirm


async def test_an_avatar_given_without_a_voice_suggests_the_avatars_own_voice(settings: Settings) -> None:
    async with service(settings) as (svc, _):
        plan = await svc.plan(CREATE_VIDEO, {"orientation": "square",
                                             "scenes": [{"avatar_id": "cd-avatar", "script": "Hi."}]}, "countdown")
    [voice] = plan.questions
    assert voice.path == "scenes.0.voice_id" and voice.default == "cd-bob"


async def test_an_avatar_in_many_scenes_is_asked_for_its_own_voice_once(settings: Settings) -> None:
    scenes = [{"avatar_id": "cd-avatar", "script": f"Part {n}."} for n in range(5)]
    async with service(settings) as (svc, provider):
        plan = await svc.plan(CREATE_VIDEO, {"orientation": "square", "scenes": scenes}, "countdown")
    assert [q.default for q in plan.questions] == ["cd-bob"]  # one question for the five scenes
    assert provider.statuses_asked == ["cd-avatar"]


async def test_spending_must_be_confirmed_only_when_the_setting_is_on(tmp_path: Path, media_root: Path) -> None:
    settings = make_settings(tmp_path, media_root, confirm_spend=True)
    async with service(settings) as (svc, _):
        plan = await svc.plan(GENERATE_PHOTO, {"name": "Ava"}, "countdown")
    assert plan.must_confirm and plan.cost is not None
    assert len(plan.questions) == 7  # the other photo fields; the confirmation is the adapter's question


async def test_an_unknown_provider_or_one_that_lacks_the_operation_is_refused_first(settings: Settings) -> None:
    async with service(settings) as (svc, _):
        with pytest.raises(InvalidInput) as unknown:
            await svc.plan(CREATE_VIDEO, {}, "nobody")
        with pytest.raises(CapabilityMissing):
            await svc.plan(CREATE_PHOTO_AVATAR, {"name": "x", "image": "me.jpg"}, "countdown")
    assert unknown.value.field == "provider"


async def test_a_local_file_outside_the_roots_is_refused_before_any_catalogue_read(
        settings: Settings, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.jpg"
    shutil.copy(PORTRAITS / "astronaut.jpg", outside)
    async with service(settings) as (svc, provider):
        with pytest.raises(MediaRejected, match=r"image: .*outside the media roots"):
            await svc.plan(CREATE_PHOTO_VIDEO, {"image": str(outside), "script": "Hi."}, "countdown")
    assert provider.voice_lists == 0


@pytest.mark.parametrize("job_id", ["../jobs/x", "job_1/..", "a?b", "job 1", ""])
async def test_a_hostile_generation_job_id_is_refused_naming_the_field(settings: Settings, job_id: str) -> None:
    async with service(settings) as (svc, _):
        with pytest.raises(InvalidInput) as refused:
            await svc.plan(CREATE_PHOTO_AVATAR, {"name": "x", "from_generation": {"job_id": job_id, "index": 0}})
        with pytest.raises(InvalidInput) as checked:
            await svc.wait(job_id or "/", 0)
    assert refused.value.field == "from_generation.job_id" and "from_generation.job_id" in str(refused.value)
    assert checked.value.field == "job_id"


async def test_a_generation_pick_decides_the_provider_and_must_name_a_candidate(settings: Settings) -> None:
    async with service(settings) as (svc, _):
        job = await svc.store.create(JobRecord(
            id="job_generated", kind="photo_generation", provider="countdown", operation=GENERATE_PHOTO,
            status="succeeded", result=JobResult(candidates=[Candidate(index=0, image_url="https://x.test/0.jpg")])))
        with pytest.raises(CapabilityMissing):  # countdown cannot make photo avatars: it was still chosen
            await svc.plan(CREATE_PHOTO_AVATAR, {"from_generation": {"job_id": job.id, "index": 0}})
        with pytest.raises(InvalidInput) as index:
            await svc.plan(CREATE_PHOTO_AVATAR, {"from_generation": {"job_id": job.id, "index": 3}})
        with pytest.raises(InvalidInput) as elsewhere:
            await svc.plan(CREATE_PHOTO_AVATAR, {"from_generation": {"job_id": job.id, "index": 0}}, "local")
    assert index.value.field == "from_generation.index" and "[0]" in str(index.value)
    assert elsewhere.value.field == "provider" and "provider='countdown'" in str(elsewhere.value)
