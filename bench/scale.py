"""Throughput of a cluster beside one process: 2 HTTP replicas + 2 workers on PostgreSQL, and 1 process on SQLite.

Each configuration gets the same 200 short jobs from 20 concurrent MCP clients (2026-07-28 era, one bearer token
each; 10 jobs per client, one after the other): 90% at the vendor emulators of tests/fakes (HeyGen v3 and
Runware, finishing after 2 status polls, with a tiny MP4 to download), 10% tiny local renders (160x128, one
second). Each client creates a job, then calls check_job every 0.25 s until it ends. The cluster is reached through
a round-robin balancer (every request to the next replica, no sticky sessions); the single process directly.

Printed per configuration: wall time and throughput (jobs per second, creation of the first to the end of the
last), p50/p95 check_job latency as the client sees it, and the jobs lost (created but not succeeded in the end)
and duplicated (more than one terminal state in a job's history, or more than one create request for it at the
vendor). Everything runs on this machine: the vendors, the balancer and the clients share its cores with the
servers, so the figures compare the configurations rather than measure a real cluster.

    python bench/scale.py --database-url postgresql://postgres@127.0.0.1:5432/postgres [--jobs 200 --clients 20]
    (or AVATAR_MCP_TEST_DATABASE_URL in the environment)
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from avatar_mcp.config import Settings  # noqa: E402
from avatar_mcp.runtime import open_store  # noqa: E402
from tests.fakes._harness import serve  # noqa: E402
from tests.fakes.heygen_v3 import HeyGenV3Fake  # noqa: E402
from tests.fakes.runware import RunwareFake  # noqa: E402
from tests.jobs._cluster import Process, balancing, free_port, tenant, wait_for_port  # noqa: E402
from tests.jobs.test_many_processes import HEYGEN, RUNWARE, creates  # noqa: E402

TERMINAL = {"succeeded", "failed", "canceled", "unknown"}
LOCAL = {"provider": "local", "dimension": {"width": 160, "height": 128},
         "scenes": [{"avatar_id": "local-grace", "silence_seconds": 1}]}
TOKENS = [f"bench-client-{n:02d}-{secrets.token_hex(8)}" for n in range(64)]


def spec_for(n: int) -> dict[str, Any]:
    if n % 10 == 0:
        return LOCAL
    return HEYGEN if n % 2 else RUNWARE


def base_env(heygen: HeyGenV3Fake, runware: RunwareFake, media_root: Path, clients: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVATAR_MCP_", "HEYGEN_", "RUNWARE_"))}
    env.update(HEYGEN_API_KEY="test-heygen-key", HEYGEN_BASE_URL=heygen.base_url or "",
               HEYGEN_UPLOAD_URL=heygen.base_url or "", RUNWARE_API_KEY="test-runware-key",
               RUNWARE_BASE_URL=f"{runware.base_url}/v1", AVATAR_MCP_MEDIA_ROOTS=str(media_root),
               AVATAR_MCP_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
               AVATAR_MCP_HTTP_TOKENS=",".join(f"{t}=client{n}" for n, t in enumerate(TOKENS[:clients])))
    return env


async def drive(url: str, jobs: int, clients: int) -> tuple[list[str], list[float], float]:
    """`clients` concurrent clients, `jobs` in all: the job ids, every check_job latency (s), the wall time."""
    ids: list[str] = []
    latencies: list[float] = []
    per_client = jobs // clients

    async def client(n: int) -> None:
        async with tenant(url, TOKENS[n]) as session:
            for k in range(per_client):
                answer = await session.call_tool("create_video", spec_for(n * per_client + k))
                assert not answer.is_error, answer.content
                job_id = answer.structured_content["job_id"]  # type: ignore[index]
                ids.append(job_id)
                while True:
                    started = time.perf_counter()
                    state = await session.call_tool("check_job", {"job_id": job_id})
                    latencies.append(time.perf_counter() - started)
                    if state.structured_content and state.structured_content["status"] in TERMINAL:
                        break
                    await anyio.sleep(0.25)

    started = time.perf_counter()
    with anyio.fail_after(1200):
        async with anyio.create_task_group() as tg:
            for n in range(clients):
                tg.start_soon(client, n)
    return ids, latencies, time.perf_counter() - started


async def outcome(settings: Settings, ids: list[str], heygen: HeyGenV3Fake, runware: RunwareFake,
                  vendor_before: Counter[str]) -> tuple[int, int]:
    """(lost, duplicated) for these jobs, from the store's histories and the vendors' create requests."""
    from avatar_mcp.providers.runware.wire import task_uuid_for

    store, _ = await open_store(settings)
    try:
        lost = duplicated = 0
        sent = creates(heygen, runware) - vendor_before
        for job_id in ids:
            job = await store.get(job_id)
            ends = [c.target for c in await store.history(job_id) if c.target in TERMINAL]
            key = {"heygen": job.id, "runware": task_uuid_for(job.id)}.get(job.provider)
            lost += int(job.status != "succeeded")
            duplicated += int(len(ends) > 1 or (key is not None and sent[key] > 1))
        return lost, duplicated
    finally:
        await store.close()


def report(name: str, jobs: int, ids: list[str], latencies: list[float], wall: float, lost: int,
           duplicated: int) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))] * 1000
    print(f"{name:<34} {len(ids):>4} jobs  {wall:6.1f} s  {jobs / wall:5.2f} jobs/s  check_job p50 "
          f"{statistics.median(ordered) * 1000:6.1f} ms  p95 {p95:6.1f} ms  ({len(ordered)} calls)  "
          f"lost {lost}  duplicated {duplicated}", flush=True)


async def run_config(name: str, folder: Path, env: dict[str, str], replicas: int, workers: int, jobs: int,
                     clients: int, heygen: HeyGenV3Fake, runware: RunwareFake, database: dict[str, str]) -> None:
    processes: list[Process] = []
    media = folder / "media"
    folder.mkdir(parents=True)
    try:
        ports = [free_port() for _ in range(replicas)]
        for i in range(workers):
            processes.append(Process(f"worker{i}", ["worker"], {**env, **database, "AVATAR_MCP_MEDIA_DIR": str(media),
                                                                "AVATAR_MCP_DATA_DIR": str(folder / f"w{i}")},
                                     folder))
        for i, port in enumerate(ports):
            processes.append(Process(f"replica{i}", ["serve", str(port)],
                                     {**env, **database, "AVATAR_MCP_MEDIA_DIR": str(media),
                                      "AVATAR_MCP_DATA_DIR": str(folder / ("r0" if not database else f"r{i}"))},
                                     folder))
        for port, process in zip(ports, processes[workers:], strict=True):
            await anyio.to_thread.run_sync(wait_for_port, port, process)
        before = creates(heygen, runware)
        with ExitStack() as stack:
            if replicas > 1:
                url, _ = stack.enter_context(balancing([f"http://127.0.0.1:{p}" for p in ports]))
            else:
                url = f"http://127.0.0.1:{ports[0]}/mcp"
            ids, latencies, wall = await drive(url, jobs, clients)
        values: dict[str, Any] = {"data_dir": folder / "r0", "media_dir_setting": media}
        if database:
            values.update(database_url=database["AVATAR_MCP_DATABASE_URL"],
                          database_schema=database["AVATAR_MCP_DATABASE_SCHEMA"])
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        lost, duplicated = await outcome(settings, ids, heygen, runware, before)
        report(name, jobs, ids, latencies, wall, lost, duplicated)
    finally:
        for process in processes:
            process.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("AVATAR_MCP_TEST_DATABASE_URL"))
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    if not args.database_url:
        sys.exit("bench/scale.py needs a PostgreSQL server: --database-url or AVATAR_MCP_TEST_DATABASE_URL.")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"{args.jobs} jobs ({args.jobs // 10} local renders), {args.clients} concurrent clients", flush=True)
    from avatar_mcp.jobs.migrate import migrate_postgres

    schema = "bench_" + secrets.token_hex(4)
    await anyio.to_thread.run_sync(migrate_postgres, args.database_url, schema)
    # An account with credits to spare and no limit on concurrent renders: the bench measures the servers.
    heygen = HeyGenV3Fake(polls_to_complete=2, credits=1e9, max_concurrent_jobs=None)
    runware = RunwareFake(polls_to_complete=2)
    try:
        with tempfile.TemporaryDirectory(prefix="avatar-scale-") as tmp, serve(heygen), serve(runware):
            root = Path(tmp)
            (root / "inputs").mkdir()
            env = base_env(heygen, runware, root / "inputs", args.clients)
            database = {"AVATAR_MCP_DATABASE_URL": args.database_url, "AVATAR_MCP_DATABASE_SCHEMA": schema,
                        "AVATAR_MCP_WORK": "workers",
                        "AVATAR_MCP_REQUEST_STATE_KEYS": secrets.token_urlsafe(32)}
            await run_config("1 process, SQLite", root / "sqlite", env, 1, 0, args.jobs, args.clients,
                             heygen, runware, {})
            await run_config("2 replicas + 2 workers, PostgreSQL", root / "pg", env, 2, 2, args.jobs, args.clients,
                             heygen, runware, database)
    finally:
        import psycopg

        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    anyio.run(main)
