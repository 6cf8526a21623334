"""Job changes told to whoever waits in this process (jobs/events.py)."""

from __future__ import annotations

import anyio
import pytest

from avatar_mcp.jobs.events import JobEvents
from avatar_mcp.models import JobRecord

pytestmark = pytest.mark.anyio


def record(job_id: str) -> JobRecord:
    return JobRecord(id=job_id, kind="video", provider="countdown", operation="create_video", status="processing")


async def test_a_change_wakes_every_waiter_at_once() -> None:
    events = JobEvents()
    woke: list[float] = []

    async def waiter() -> None:
        started = anyio.current_time()
        await events.wait("job_a", 10)
        woke.append(anyio.current_time() - started)

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        tg.start_soon(waiter)
        await anyio.sleep(0.05)
        await events.changed(record("job_a"))
    assert len(woke) == 2 and max(woke) < 5


async def test_waits_that_end_without_a_change_keep_nothing() -> None:
    """A replica waits on jobs that workers change: what it waited on must not pile up in its memory."""
    events = JobEvents()
    for n in range(50):
        await events.wait(f"job_{n}", 0)
    assert events._waiters == {}
