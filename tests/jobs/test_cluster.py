"""End to end on PostgreSQL: 2 HTTP replicas + 2 workers as real processes, behind a round-robin balancer (no
sticky sessions), each with its own data dir and one shared media dir.

Local renders and vendor jobs (HeyGen v3 and Runware emulators) are created and followed through the balancer, so
any request lands on either replica; one worker is killed with SIGKILL while it holds a lease. Every job must end
exactly once, every video be in the shared media dir, each vendor create reach the vendor once. A form's answer
(the 2026-07-28 input-required round trip) is accepted by the other replica, since both seal request state with
the shared keys; a 2025-era client keeps its session on one replica (sticky), as docs/deployment.md says.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp_types import ElicitResult

from avatar_mcp.jobs.postgres import PostgresJobStore
from avatar_mcp.providers.runware.wire import task_uuid_for
from tests.fakes._harness import serve
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.fakes.runware import RunwareFake
from tests.jobs._cluster import Process, balancing, cluster_env, free_port, tenant, wait_for_port
from tests.jobs._processes import server_env
from tests.jobs.test_many_processes import HEYGEN, RUNWARE, creates, local, vendor_settings
from tests.postgres import Database

pytestmark = [pytest.mark.anyio, pytest.mark.processes, pytest.mark.render]
TOKEN = "cluster-token-0123456789abcdef"
KEYS = "k" * 40 + "," + "o" * 40
TERMINAL = {"succeeded", "failed", "canceled", "unknown"}


def process_env(base: dict[str, str], database: Database, media: Path, data: Path) -> dict[str, str]:
    return cluster_env(base, **database.env(), AVATAR_MCP_WORK="workers", AVATAR_MCP_DATA_DIR=str(data),
                       AVATAR_MCP_MEDIA_DIR=str(media), AVATAR_MCP_HTTP_TOKENS=f"{TOKEN}=team",
                       AVATAR_MCP_REQUEST_STATE_KEYS=KEYS, AVATAR_MCP_LOG_LEVEL="INFO")


async def held_by(store: PostgresJobStore, worker_pid: int) -> list[str]:
    """Wait (a bounded while) until the worker holds the lease of some job: their ids."""
    held: list[str] = []
    with anyio.move_on_after(60):
        while not held:
            held = [j.id for j in await store.list(statuses=["submitting", "queued", "processing", "finishing"])
                    if (j.lease_owner or "").split(":")[1:2] == [str(worker_pid)]]
            await anyio.sleep(0.05)
    return held


async def test_two_replicas_and_two_workers_share_every_job_and_a_killed_worker_loses_nothing(
        database: Database, tmp_path: Path, media_root: Path) -> None:
    heygen, runware = HeyGenV3Fake(polls_to_complete=2), RunwareFake(polls_to_complete=2)
    with serve(heygen), serve(runware):
        settings = vendor_settings(tmp_path, media_root, heygen, runware)
        base = server_env(settings)
        media = tmp_path / "shared-media"
        processes: list[Process] = []
        try:
            workers = [Process(f"worker{i}", ["worker"], process_env(base, database, media, tmp_path / f"w{i}"),
                               tmp_path) for i in range(2)]
            processes += workers
            ports = [free_port(), free_port()]
            replicas = [Process(f"replica{i}", ["serve", str(port)],
                                process_env(base, database, media, tmp_path / f"r{i}"), tmp_path)
                        for i, port in enumerate(ports)]
            processes += replicas
            for port, replica in zip(ports, replicas, strict=True):
                await anyio.to_thread.run_sync(wait_for_port, port, replica)
            store = await PostgresJobStore.open(database.url, schema=database.schema, max_size=2)
            try:
                with balancing([f"http://127.0.0.1:{p}" for p in ports]) as (url, balancer):
                    async with tenant(url, TOKEN) as client:
                        specs = [local(n) for n in range(4)] + [HEYGEN, RUNWARE] * 2
                        ids = []
                        for spec in specs:
                            answer = await client.call_tool("create_video", spec)
                            assert not answer.is_error, answer.content
                            ids.append(answer.structured_content["job_id"])  # type: ignore[index]
                        held = await held_by(store, workers[0].proc.pid)
                        workers[0].kill()
                        print(f"killed worker0 holding {held}")
                        with anyio.fail_after(240):
                            while True:
                                states = [(await client.call_tool("check_job", {"job_id": i})).structured_content
                                          for i in ids]
                                if all(s is not None and s["status"] in TERMINAL for s in states):
                                    break
                                await anyio.sleep(0.5)
                    assert min(balancer.hits.values()) > len(specs)  # both replicas answered many of the calls
                jobs = [await store.get(i) for i in ids]
                histories = {i: await store.history(i) for i in ids}
            finally:
                await store.close()
        finally:
            for process in processes:
                process.stop()
    for job in jobs:
        assert [c.target for c in histories[job.id] if c.target in TERMINAL] == ["succeeded"], (job, histories[job.id])
        assert job.result is not None and job.result.video_path, job
        assert Path(job.result.video_path).is_file() and Path(job.result.video_path).is_relative_to(media), job
    vendor_jobs = [j for j in jobs if j.provider != "local"]
    assert creates(heygen, runware) == Counter({j.id if j.provider == "heygen" else task_uuid_for(j.id): 1
                                                for j in vendor_jobs})
    owners = {c.owner.split(":")[1] for h in histories.values() for c in h if c.owner}
    assert owners <= {str(w.proc.pid) for w in workers}  # replicas never worked on a job: workers did
    assert not [j for j in jobs if j.lease_owner is not None]


async def test_a_forms_answer_reaches_the_other_replica_and_2025_clients_stay_on_one(
        database: Database, tmp_path: Path, media_root: Path) -> None:
    base = cluster_env({k: v for k, v in os.environ.items() if not k.startswith("AVATAR_MCP_")},
                       AVATAR_MCP_MEDIA_ROOTS=str(media_root))
    media = tmp_path / "shared-media"
    ports = [free_port(), free_port()]
    processes = [Process(f"replica{i}", ["serve", str(port)], process_env(base, database, media, tmp_path / f"r{i}"),
                         tmp_path) for i, port in enumerate(ports)]
    processes.append(Process("worker", ["worker"], process_env(base, database, media, tmp_path / "w"), tmp_path))
    forms: list[Any] = []

    async def answer(context: Any, params: Any) -> ElicitResult:
        forms.append(params)
        content = {k: v.get("default") for k, v in params.requested_schema["properties"].items()}
        return ElicitResult(action="accept", content=content)

    try:
        for port, replica in zip(ports, processes[:2], strict=True):
            await anyio.to_thread.run_sync(wait_for_port, port, replica)
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
            assert health.json() == {"ok": True, "work": "workers"}
        with balancing([f"http://127.0.0.1:{p}" for p in ports]) as (url, balancer):
            async with tenant(url, TOKEN, elicitation_callback=answer) as client:
                before = dict(balancer.hits)
                result = await client.call_tool("create_video", {
                    "provider": "local", "dimension": {"width": 160, "height": 128},
                    "scenes": [{"avatar_id": "local-grace", "script": "Which voice?"}]})
                during = {k: v - before.get(k, 0) for k, v in balancer.hits.items()}
            assert forms, "the replica should have asked for the voice"
            assert not result.is_error, result.content
            assert result.structured_content is not None and result.structured_content["status"] != "needs_input"
            assert all(n >= 1 for n in during.values()) and len(during) == 2, during
            # A 2025-era session is bound to the replica that created it: the client talks to one replica.
            async with tenant(f"http://127.0.0.1:{ports[0]}/mcp", TOKEN, mode="legacy") as legacy:
                listed = await legacy.call_tool("list_jobs", {})
            assert not listed.is_error
    finally:
        for process in processes:
            process.stop()
