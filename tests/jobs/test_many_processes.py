"""Three real server processes over stdio on one data dir, as three chat clients side by side would run them.

On either job store: the data dir's SQLite file, or PostgreSQL (the servers then share a database, not a file).
12 local renders and 6 vendor jobs (HeyGen v3 and Runware emulators) are spread across them; two are killed with
SIGKILL at random moments and one is started again. Every job must end exactly once, every finished video must
exist after all processes have exited, each vendor create must reach the vendor once, and no vendor job may be
asked about more often than one process alone asks (plus one read per takeover of its lease).
Set TEST_SEED to replay a run's random moments (the seed is printed).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.models import JobRecord, utcnow
from avatar_mcp.providers.runware.wire import task_uuid_for
from avatar_mcp.runtime import open_service, open_store
from avatar_mcp.specs import VideoSpec
from tests.conftest import make_settings
from tests.fakes._harness import serve
from tests.fakes._heygen_catalogue import VOICES
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.fakes.runware import RunwareFake
from tests.jobs import shared_server
from tests.jobs._processes import ServerProcess, server_env
from tests.postgres import Database

pytestmark = [pytest.mark.anyio, pytest.mark.processes, pytest.mark.render]
HEYGEN = {"provider": "heygen", "orientation": "landscape",
          "scenes": [{"avatar_id": "josh_lite3_20230714", "script": "Hello there.", "voice_id": VOICES[0]["voice_id"]}]}
RUNWARE = {"provider": "runware", "orientation": "landscape",
           "scenes": [{"avatar_id": "Abigail_expressive_2024112501", "script": "Hello.", "voice_id": "en-US-Aria"}]}
SMALL = {"width": 160, "height": 128}
TERMINAL = {"succeeded", "failed", "canceled", "unknown"}


def local(n: int) -> dict[str, Any]:
    scene = ({"avatar_id": "local-grace", "silence_seconds": 2} if n % 2 else
             {"avatar_id": "local-eileen", "script": f"Take {n}.", "voice_id": "espeak-en-us-female"})
    return {"provider": "local", "dimension": SMALL, "scenes": [scene]}


def vendor_settings(tmp_path: Path, media_root: Path, heygen: HeyGenV3Fake, runware: RunwareFake,
                    **store: Any) -> Settings:
    return make_settings(tmp_path, media_root, lease_seconds=3.0, poll_interval_seconds=0.1,
                         heygen_api_key=SecretStr("test-heygen-key"), heygen_base_url=heygen.base_url,
                         heygen_upload_url=heygen.base_url, runware_api_key=SecretStr("test-runware-key"),
                         runware_base_url=f"{runware.base_url}/v1", **store)


@pytest.fixture(params=["sqlite", "postgres"])
def job_store(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The settings that choose the job store the servers share: the data dir's SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        return {}
    database: Database = request.getfixturevalue("database")
    return {"database_url": SecretStr(database.url), "database_schema": database.schema}


def reads(heygen: HeyGenV3Fake, runware: RunwareFake, job: JobRecord) -> int:
    """Status requests about this job: HeyGen's batched statuses and single video reads, Runware's getResponse."""
    if job.provider == "heygen":
        batched = sum(1 for r in heygen.requests("GET", "^/v3/videos/statuses$")
                      if job.vendor_id in r.query.get("video_ids", "").split(","))
        return batched + len(heygen.requests("GET", f"^/v3/videos/{job.vendor_id}$"))
    uuid = task_uuid_for(job.id)
    return sum(1 for r in runware.requests("POST", "^/v1$") for task in r.json or []
               if task.get("taskType") == "getResponse" and task.get("taskUUID") == uuid)


def creates(heygen: HeyGenV3Fake, runware: RunwareFake) -> Counter[str]:
    """How many create requests each job sent (by its idempotency key / taskUUID)."""
    keys = Counter(r.headers["idempotency-key"].removeprefix("avatar-mcp:")
                   for r in heygen.requests("POST", "^/v3/videos$"))
    uuids = Counter(task["taskUUID"] for r in runware.requests("POST", "^/v1$") for task in r.json or []
                    if task.get("taskType") == "videoInference")
    return keys + uuids


async def working(settings: Settings, server: ServerProcess) -> list[str]:
    """Wait (a bounded while) until `server` holds the lease of some job (it is in the middle of work): their ids."""
    store, _ = await open_store(settings)
    held: list[str] = []
    try:
        with anyio.move_on_after(30):
            while not held:
                held = [j.id for j in await store.list(statuses=["submitting", "queued", "processing", "finishing"])
                        if (j.lease_owner or "").split(":")[1:2] == [str(server.pid)]]
                await anyio.sleep(0.05)
    finally:
        await store.close()
    return held


async def one_process_reads(tmp_path: Path, media_root: Path) -> dict[str, int]:
    """The most status requests a vendor job costs when one process follows the same jobs alone, in its worst case:
    every open job due in every poller round (HeyGen then asks the batched statuses, and once more for the URLs of
    a finished video)."""
    heygen, runware = HeyGenV3Fake(polls_to_complete=2), RunwareFake(polls_to_complete=2)
    with serve(heygen), serve(runware):
        settings = vendor_settings(tmp_path / "alone", media_root, heygen, runware)
        async with open_service(settings, shared_server.entries, poll=False) as service:
            jobs = []
            for spec in (HEYGEN, RUNWARE) * 3:
                arguments = {k: v for k, v in spec.items() if k != "provider"}
                provider = service.entries[str(spec["provider"])].provider
                assert provider is not None
                jobs.append(await service.submit("create_video", VideoSpec.model_validate(arguments), provider))
            with anyio.fail_after(60):
                while opened := await service.list_jobs(status="open"):
                    for job in opened:
                        await service.store.update(job.id, next_poll_at=utcnow())
                    await service.poll_due()
            jobs = [await service.get(j.id) for j in jobs]
    assert all(j.status == "succeeded" for j in jobs)
    most: dict[str, int] = {}
    for job in jobs:
        most[job.provider] = max(most.get(job.provider, 0), reads(heygen, runware, job))
    return most


async def test_three_servers_share_the_jobs_and_two_killed_at_random_lose_nothing(
        tmp_path: Path, media_root: Path, job_store: dict[str, Any]) -> None:
    seed = int(os.environ.get("TEST_SEED") or time.time())
    print(f"TEST_SEED={seed}")
    rng = random.Random(seed)
    alone = await one_process_reads(tmp_path, media_root)
    heygen, runware = HeyGenV3Fake(polls_to_complete=2), RunwareFake(polls_to_complete=2)
    for fake in (heygen, runware):  # slow downloads: finishing vendor jobs hold their leases a while too
        fake.add_fault("GET", "^/_media/", delay=1.0, times=3)
    with serve(heygen), serve(runware):
        settings = vendor_settings(tmp_path, media_root, heygen, runware, **job_store)
        env = server_env(settings)
        servers = [await ServerProcess(env, tmp_path, f"server{i}").start() for i in range(3)]
        restarted: ServerProcess | None = None
        try:
            specs = [local(n) for n in range(12)] + [HEYGEN, RUNWARE] * 3
            rng.shuffle(specs)
            ids = [(await servers[n % 3].call("create_video", spec))["job_id"] for n, spec in enumerate(specs)]
            victims = rng.sample(servers, 2)
            survivor = next(s for s in servers if s not in victims)
            for victim in victims:
                held = await working(settings, victim)
                await anyio.sleep(rng.uniform(0.0, 0.8))
                victim.kill()
                print(f"killed {victim.name} (pid {victim.pid}) holding {held}")
            await anyio.sleep(rng.uniform(0.2, 2.0))
            restarted = await ServerProcess(env, tmp_path, "server3").start()
            with anyio.fail_after(300):
                while (await survivor.call("list_jobs", {"status": "open", "limit": 50}))["jobs"]:
                    await anyio.sleep(0.5)
        finally:
            for server in reversed([*servers, *([restarted] if restarted else [])]):  # sessions nest: LIFO
                await server.close()
        store, _ = await open_store(settings)
        try:
            jobs = [await store.get(i) for i in ids]
            histories = {i: await store.history(i) for i in ids}
        finally:
            await store.close()
    print(f"takeovers {sum(j.takeovers for j in jobs)}; status reads alone {alone}; here "
          f"{[(j.provider, reads(heygen, runware, j), j.takeovers) for j in jobs if j.provider != 'local']}")
    for job in jobs:  # each ended once, and well
        assert [c.target for c in histories[job.id] if c.target in TERMINAL] == ["succeeded"], (job, histories[job.id])
    for job in jobs:
        assert job.result is not None and job.result.video_path and Path(job.result.video_path).is_file(), job
    vendor_jobs = [j for j in jobs if j.provider != "local"]
    assert creates(heygen, runware) == Counter({j.id if j.provider == "heygen" else task_uuid_for(j.id): 1
                                                for j in vendor_jobs})
    assert len(heygen.videos) == 3 and len(runware.tasks) == 3
    for job in vendor_jobs:
        assert reads(heygen, runware, job) <= alone[job.provider] + job.takeovers, job
    async with open_service(settings, shared_server.entries, poll=False) as service:
        await service.engine.sweep(min_age=0)
    assert list((settings.media_dir / "jobs").glob("*/.attempt-*")) == []
