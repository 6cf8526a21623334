"""`avatar-mcp worker` (jobs/worker.py) in this process, on PostgreSQL: what it does besides the queue's steps."""

from __future__ import annotations

import os
import time
from pathlib import Path

import anyio
import pytest

from avatar_mcp.config import Settings
from avatar_mcp.jobs.postgres import PostgresJobStore
from avatar_mcp.jobs.store import new_job_id
from avatar_mcp.jobs.worker import run_worker
from avatar_mcp.models import JobRecord
from tests.conftest import make_settings
from tests.postgres import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(tmp_path: Path, media_root: Path, database: Database) -> Settings:
    return make_settings(tmp_path, media_root, database_url=database.url, database_schema=database.schema,
                         work="workers", lease_seconds=1.0)


async def test_a_worker_sweeps_the_attempt_folders_dead_processes_left(settings: Settings,
                                                                       database: Database) -> None:
    """A worker killed mid-render whose job was then canceled elsewhere: nobody works on the job again, so only
    the sweep removes the partial render. In a cluster there is no poller to sweep: the workers do."""
    store = await PostgresJobStore.open(database.url, schema=database.schema)
    try:
        job = await store.create(JobRecord(id=new_job_id(), kind="video", provider="local", operation="create_video",
                                           status="canceled"))
    finally:
        await store.close()
    left = settings.media_dir / "jobs" / job.id / ".attempt-3"
    left.mkdir(parents=True)
    (left / "video.mp4").write_bytes(b"\0" * 1024)
    old = time.time() - 3600
    os.utime(left, (old, old))
    with anyio.move_on_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: run_worker(settings, signals=()))
            while left.exists():
                await anyio.sleep(0.1)
            tg.cancel_scope.cancel()
    assert not left.exists()
