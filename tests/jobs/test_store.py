"""The JobStore contract, run against a real SQLite file (add backends to STORES to hold them to it too)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from avatar_mcp.errors import JobNotFound
from avatar_mcp.jobs.store import JobStore, SqliteJobStore, new_job_id
from avatar_mcp.models import JobError, JobRecord, JobResult, utcnow

pytestmark = pytest.mark.anyio
STORES: dict[str, Callable[[Path], JobStore]] = {"sqlite": lambda p: SqliteJobStore(p / "jobs.sqlite3")}


@pytest.fixture(params=list(STORES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    s = STORES[request.param](tmp_path)
    yield s
    await s.close()


def job(**fields: object) -> JobRecord:
    values: dict[str, object] = {"id": new_job_id(), "kind": "video", "provider": "local", "operation": "create_video",
                                 "request": {"arguments": {"title": "hi"}}}
    values.update(fields)
    return JobRecord(**values)  # type: ignore[arg-type]


async def test_a_created_job_reads_back_equal(store: JobStore) -> None:
    original = job(vendor_id="v1", vendor_state={"group": "g1"}, expected_seconds=12.5)
    await store.create(original)
    loaded = await store.get(original.id)
    assert loaded.model_dump() == original.model_dump()


async def test_an_unknown_id_raises_job_not_found(store: JobStore) -> None:
    with pytest.raises(JobNotFound) as err:
        await store.get("job_missing")
    assert "list_jobs" in str(err.value)


async def test_an_update_changes_only_the_given_fields_and_stamps_the_time(store: JobStore) -> None:
    original = await store.create(job())
    result = JobResult(video_path="/tmp/v.mp4", duration_seconds=3.0)
    updated = await store.update(original.id, status="succeeded", progress=1.0, result=result)
    assert updated.status == "succeeded" and updated.result == result
    assert updated.request == original.request and updated.kind == original.kind
    assert updated.updated_at >= original.updated_at
    failed = await store.update(original.id, error=JobError(code="x", message="y", retryable=True))
    assert failed.error is not None and failed.error.retryable and failed.result == result


async def test_updating_an_unknown_job_raises(store: JobStore) -> None:
    with pytest.raises(JobNotFound):
        await store.update("job_nope", status="failed")


async def test_identity_fields_cannot_be_updated(store: JobStore) -> None:
    original = await store.create(job())
    with pytest.raises(ValueError, match="cannot update"):
        await store.update(original.id, provider="heygen")


async def test_list_is_newest_first_and_filters(store: JobStore) -> None:
    now = utcnow()
    a = await store.create(job(created_at=now - timedelta(seconds=3), status="succeeded"))
    b = await store.create(job(created_at=now - timedelta(seconds=2), kind="avatar", operation="create_photo_avatar"))
    c = await store.create(job(created_at=now - timedelta(seconds=1), provider="heygen", status="processing"))
    assert [j.id for j in await store.list()] == [c.id, b.id, a.id]
    assert [j.id for j in await store.list(statuses=["succeeded"])] == [a.id]
    assert [j.id for j in await store.list(kind="avatar")] == [b.id]
    assert [j.id for j in await store.list(provider="heygen")] == [c.id]
    assert len(await store.list(limit=2)) == 2


async def test_due_returns_open_jobs_whose_poll_time_came(store: JobStore) -> None:
    now = utcnow()
    due = await store.create(job(status="processing", next_poll_at=now - timedelta(seconds=1)))
    await store.create(job(status="processing", next_poll_at=now + timedelta(seconds=60)))
    await store.create(job(status="succeeded", next_poll_at=now - timedelta(seconds=1)))
    await store.create(job(status="queued", next_poll_at=None))
    assert [j.id for j in await store.due(now)] == [due.id]


async def test_a_job_is_found_by_its_vendor_id(store: JobStore) -> None:
    created = await store.create(job(vendor_id="vid-9", provider="heygen"))
    assert (await store.find_by_vendor_id("heygen", "vid-9")).id == created.id  # type: ignore[union-attr]
    assert await store.find_by_vendor_id("runware", "vid-9") is None


async def test_jobs_survive_reopening_the_file(tmp_path: Path) -> None:
    first = SqliteJobStore(tmp_path / "j.sqlite3")
    created = await first.create(job(status="processing"))
    await first.close()
    second = SqliteJobStore(tmp_path / "j.sqlite3")
    assert (await second.get(created.id)).status == "processing"
    await second.close()


async def test_the_database_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "j.sqlite3")
    await store.close()
    conn = sqlite3.connect(tmp_path / "j.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


async def test_a_failed_write_leaves_the_row_unchanged(store: JobStore) -> None:
    created = await store.create(job())
    with pytest.raises(Exception):  # noqa: B017 - any failure, as long as nothing is half-written
        await store.update(created.id, status="processing", progress=object())
    assert (await store.get(created.id)).status == "submitting"
