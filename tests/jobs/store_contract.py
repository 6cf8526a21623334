"""The JobStore contract (avatar_mcp/jobs/store.py) as one test suite that every store implementation must pass.

A test module holds an implementation to it by defining the fixture `open_store`, an async factory that opens a
store on the same database each time it is called (two calls = two processes sharing it), and importing these
tests: `from tests.jobs.store_contract import *`. tests/jobs/test_store.py does so for SQLite.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import anyio
import pytest

from avatar_mcp.errors import JobNotFound
from avatar_mcp.jobs.store import JobStore, Lease, StaleWrite, new_job_id
from avatar_mcp.models import JobError, JobRecord, JobResult, utcnow

OpenStore = Callable[[], Awaitable[JobStore]]
TTL = 30.0
SHORT = 0.3
"""A lease this short has expired after `sleep(SHORT * 1.5)`."""

@pytest.fixture
async def store(open_store: OpenStore) -> AsyncIterator[JobStore]:
    s = await open_store()
    yield s
    await s.close()


@pytest.fixture
async def other(open_store: OpenStore) -> AsyncIterator[JobStore]:
    """A second store on the same database: another process, as far as the contract is concerned."""
    s = await open_store()
    yield s
    await s.close()


def job(**fields: object) -> JobRecord:
    values: dict[str, object] = {"id": new_job_id(), "kind": "video", "provider": "local", "operation": "create_video",
                                 "request": {"arguments": {"title": "hi"}}, "status": "queued"}
    values.update(fields)
    return JobRecord(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- rows

async def test_a_created_job_reads_back_equal_at_version_one_without_a_lease(store: JobStore) -> None:
    original = job(vendor_id="v1", vendor_state={"group": "g1"}, expected_seconds=12.5, status="submitting")
    created = await store.create(original)
    loaded = await store.get(original.id)
    assert loaded == created
    assert loaded.model_dump(exclude={"version"}) == original.model_dump(exclude={"version"})
    assert loaded.version == 1 and await store.version(original.id) == 1
    assert loaded.lease_owner is None and loaded.lease_epoch == 0


async def test_a_job_created_with_an_owner_is_leased_to_it_and_its_history_starts(store: JobStore) -> None:
    created = await store.create(job(status="submitting"), owner="a:1:x", ttl=TTL)
    assert created.lease_owner == "a:1:x" and created.lease_epoch == 1
    assert created.lease_expires_at is not None and created.lease_expires_at > utcnow() + timedelta(seconds=TTL / 2)
    [first] = await store.history(created.id)
    assert (first.source, first.target, first.owner) == (None, "submitting", "a:1:x")


async def test_a_duplicate_id_is_refused(store: JobStore) -> None:
    created = await store.create(job())
    with pytest.raises(ValueError, match="exists"):
        await store.create(job(id=created.id))


async def test_an_unknown_id_raises_job_not_found(store: JobStore) -> None:
    with pytest.raises(JobNotFound) as err:
        await store.get("job_missing")
    assert "list_jobs" in str(err.value)
    with pytest.raises(JobNotFound):
        await store.version("job_missing")
    with pytest.raises(JobNotFound):
        await store.update("job_nope", status="failed")


async def test_an_update_changes_only_the_given_fields_stamps_the_time_and_bumps_the_version(store: JobStore) -> None:
    original = await store.create(job())
    result = JobResult(video_path="/tmp/v.mp4", duration_seconds=3.0)
    updated = await store.update(original.id, status="succeeded", progress=1.0, result=result)
    assert updated.status == "succeeded" and updated.result == result and updated.version == 2
    assert updated.request == original.request and updated.kind == original.kind
    assert updated.updated_at >= original.updated_at
    failed = await store.update(original.id, error=JobError(code="x", message="y", retryable=True))
    assert failed.error is not None and failed.error.retryable and failed.result == result
    assert failed.version == 3 == await store.version(original.id)


async def test_identity_version_and_lease_fields_cannot_be_updated(store: JobStore) -> None:
    original = await store.create(job())
    for field in ("provider", "id", "version", "lease_owner", "lease_epoch", "takeovers", "principal"):
        with pytest.raises(ValueError, match="cannot update"):
            await store.update(original.id, **{field: "x"})


async def test_a_failed_write_leaves_the_row_and_its_version_unchanged(store: JobStore) -> None:
    created = await store.create(job())
    with pytest.raises(Exception):  # noqa: B017 - any failure, as long as nothing is half-written
        await store.update(created.id, status="processing", progress=object())
    after = await store.get(created.id)
    assert after.status == "queued" and after.version == created.version


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


async def test_a_job_keeps_its_principal_and_lists_filter_by_it(store: JobStore) -> None:
    alice = await store.create(job(principal="alice"))
    bob = await store.create(job(principal="bob"))
    mine = await store.create(job())
    assert (await store.get(alice.id)).principal == "alice" and mine.principal == "local"
    assert [j.id for j in await store.list(principal="alice")] == [alice.id]
    assert [j.id for j in await store.list(principal="bob", statuses=["queued"])] == [bob.id]
    assert await store.list(principal="carol") == []
    assert await store.list(principal="") == []  # a principal, however odd, is a filter, never "everyone's"
    assert len(await store.list()) == 3


async def test_a_job_is_found_by_its_vendor_id(store: JobStore) -> None:
    created = await store.create(job(vendor_id="vid-9", provider="heygen"))
    assert (await store.find_by_vendor_id("heygen", "vid-9")).id == created.id  # type: ignore[union-attr]
    assert await store.find_by_vendor_id("runware", "vid-9") is None


async def test_jobs_survive_reopening_the_store(open_store: OpenStore) -> None:
    first = await open_store()
    created = await first.create(job(status="processing"))
    await first.close()
    second = await open_store()
    assert (await second.get(created.id)).status == "processing"
    await second.close()


# ---------------------------------------------------------------------------------------------- due and claim

async def test_due_lists_open_jobs_whose_time_came_and_nobody_holds_oldest_first(store: JobStore) -> None:
    now = utcnow()
    older = await store.create(job(status="processing", next_poll_at=now - timedelta(seconds=5)))
    unset = await store.create(job(status="submitting", next_poll_at=None))
    newer = await store.create(job(status="finishing", next_poll_at=now - timedelta(seconds=1)))
    await store.create(job(status="processing", next_poll_at=now + timedelta(seconds=60)))
    await store.create(job(status="succeeded", next_poll_at=now - timedelta(seconds=1)))
    await store.create(job(status="queued", next_poll_at=now), owner="busy:1:x", ttl=TTL)
    assert [j.id for j in await store.due()] == [unset.id, older.id, newer.id]
    assert [j.id for j in await store.due(statuses=["processing"])] == [older.id]
    assert len(await store.due(limit=1)) == 1


async def test_due_lists_only_the_providers_asked_for(store: JobStore) -> None:
    """A process without a vendor's key asks for the others' jobs: those it cannot work on never fill its batch."""
    now = utcnow()
    for _ in range(3):
        await store.create(job(provider="heygen", status="processing", next_poll_at=now - timedelta(seconds=9)))
    local = await store.create(job(status="queued", next_poll_at=now - timedelta(seconds=1)))
    napster = await store.create(job(provider="napster", status="processing", next_poll_at=now))
    assert [j.id for j in await store.due(limit=2, providers=["local", "napster"])] == [local.id, napster.id]
    assert await store.due(providers=[]) == []
    assert len(await store.due(limit=10)) == 5


async def test_a_claim_takes_free_due_jobs_in_the_order_asked_and_skips_the_rest(store: JobStore) -> None:
    past = utcnow() - timedelta(seconds=1)
    a = await store.create(job(next_poll_at=past))
    b = await store.create(job(next_poll_at=past))
    held = await store.create(job(next_poll_at=past), owner="other:1:x", ttl=TTL)
    later = await store.create(job(next_poll_at=utcnow() + timedelta(seconds=60)))
    done = await store.create(job(status="succeeded", next_poll_at=past))
    taken = await store.claim([b.id, held.id, a.id, later.id, done.id, "job_missing"], "me:1:x", TTL)
    assert [j.id for j in taken] == [b.id, a.id]
    assert all(j.lease_owner == "me:1:x" and j.lease_epoch == 1 and j.takeovers == 0 for j in taken)
    assert all(j.version == 1 for j in taken)  # a claim changes no data
    assert [j.id for j in await store.claim([later.id], "me:1:x", TTL, due_only=False)] == [later.id]
    assert [j.id for j in await store.claim([done.id], "me:1:x", TTL, statuses=["succeeded"])] == [done.id]


async def test_a_live_lease_is_never_claimed_even_when_not_due_only(store: JobStore, other: JobStore) -> None:
    mine = await store.create(job(), owner="me:1:x", ttl=TTL)
    assert await other.claim([mine.id], "you:2:y", TTL, due_only=False) == []
    assert (await store.get(mine.id)).lease_owner == "me:1:x"


async def test_concurrent_claims_from_two_processes_never_share_a_job(store: JobStore, other: JobStore) -> None:
    past = utcnow() - timedelta(seconds=1)
    ids = [(await store.create(job(next_poll_at=past))).id for _ in range(30)]
    got: dict[str, list[str]] = {"a": [], "b": []}

    async def grab(name: str, s: JobStore) -> None:
        for start in range(0, len(ids), 3):
            got[name] += [j.id for j in await s.claim(ids[start:start + 6], f"{name}:1:x", TTL)]

    async with anyio.create_task_group() as tg:
        tg.start_soon(grab, "a", store)
        tg.start_soon(grab, "b", other)
    assert not set(got["a"]) & set(got["b"])
    assert sorted(got["a"] + got["b"]) == sorted(ids)


async def test_an_expired_lease_is_taken_over_and_the_old_owner_is_fenced_out(store: JobStore, other: JobStore) -> None:
    created = await store.create(job(next_poll_at=utcnow()), owner="dead:1:x", ttl=SHORT)
    old = Lease.of(created)
    assert await other.claim([created.id], "live:2:y", TTL) == []
    await asyncio.sleep(SHORT * 1.5)
    assert [j.id for j in await other.due()] == [created.id]
    [taken] = await other.claim([created.id], "live:2:y", TTL)
    assert (taken.lease_owner, taken.lease_epoch, taken.takeovers) == ("live:2:y", 2, 1)
    with pytest.raises(StaleWrite):
        await store.update(created.id, lease=old, status="succeeded")
    assert await store.renew([old], TTL) == set()
    assert await store.release([old]) == set()
    after = await other.get(created.id)
    assert after.status == "queued" and after.lease_owner == "live:2:y" and after.version == 1
    new = Lease.of(taken)
    assert (await other.update(created.id, lease=new, status="processing")).status == "processing"


async def test_an_expired_lease_nobody_took_still_lets_its_owner_write(store: JobStore) -> None:
    created = await store.create(job(), owner="slow:1:x", ttl=SHORT)
    await asyncio.sleep(SHORT * 1.5)
    written = await store.update(created.id, lease=Lease.of(created), progress=0.5)
    assert written.progress == 0.5


async def test_renew_extends_only_leases_still_held(store: JobStore, other: JobStore) -> None:
    kept = await store.create(job(), owner="me:1:x", ttl=SHORT)
    lost = await store.create(job(next_poll_at=utcnow()), owner="me:1:x", ttl=SHORT)
    await asyncio.sleep(SHORT * 1.5)
    await other.claim([lost.id], "you:2:y", TTL)
    assert await store.renew([Lease.of(kept), Lease.of(lost)], TTL) == {kept.id}
    assert await other.claim([kept.id], "you:2:y", TTL, due_only=False) == []
    renewed = await store.get(kept.id)
    assert renewed.lease_expires_at is not None and renewed.lease_expires_at > utcnow() + timedelta(seconds=TTL / 2)
    assert renewed.version == kept.version


async def test_a_release_in_an_update_frees_the_job_at_once(store: JobStore, other: JobStore) -> None:
    created = await store.create(job(next_poll_at=utcnow()), owner="me:1:x", ttl=TTL)
    lease = Lease.of(created)
    freed = await store.update(created.id, lease=lease, release=True, status="processing")
    assert freed.lease_owner is None and freed.lease_expires_at is None and freed.version == 2
    with pytest.raises(StaleWrite):
        await store.update(created.id, lease=lease, progress=0.9)
    [taken] = await other.claim([created.id], "you:2:y", TTL)
    assert taken.takeovers == 0  # released, not expired


async def test_release_ends_leases_without_changing_data(store: JobStore) -> None:
    created = await store.create(job(next_poll_at=utcnow()), owner="me:1:x", ttl=TTL)
    assert await store.release([Lease.of(created)]) == {created.id}
    after = await store.get(created.id)
    assert after.lease_owner is None and after.version == created.version
    assert [j.id for j in await store.due()] == [created.id]


async def test_an_update_expecting_other_states_writes_nothing(store: JobStore) -> None:
    created = await store.create(job(status="canceled"))
    with pytest.raises(StaleWrite, match="canceled"):
        await store.update(created.id, expect=("queued", "processing"), status="succeeded")
    assert (await store.get(created.id)).status == "canceled"


async def test_an_unleased_update_ends_a_holders_lease_when_it_releases(store: JobStore) -> None:
    """A user action (cancel) needs no lease, and the holder's next write is refused."""
    created = await store.create(job(), owner="worker:1:x", ttl=TTL)
    canceled = await store.update(created.id, expect=("queued", "processing"), release=True, status="canceled")
    assert canceled.lease_owner is None
    with pytest.raises(StaleWrite):
        await store.update(created.id, lease=Lease.of(created), status="succeeded")
    assert await store.renew([Lease.of(created)], TTL) == set()


async def test_every_change_of_status_is_in_the_history_with_its_owner(store: JobStore) -> None:
    created = await store.create(job(status="submitting"), owner="me:1:x", ttl=TTL)
    lease = Lease.of(created)
    await store.update(created.id, lease=lease, status="processing")
    await store.update(created.id, lease=lease, progress=0.5)  # no change of status: no row
    await store.update(created.id, lease=lease, release=True, status="succeeded")
    await store.update(created.id, message="seen")
    steps = [(c.source, c.target, c.owner) for c in await store.history(created.id)]
    assert steps == [(None, "submitting", "me:1:x"), ("submitting", "processing", "me:1:x"),
                     ("processing", "succeeded", "me:1:x")]


async def test_delete_needs_the_lease_it_names_and_takes_the_history(store: JobStore, other: JobStore) -> None:
    created = await store.create(job(next_poll_at=utcnow()), owner="me:1:x", ttl=SHORT)
    await asyncio.sleep(SHORT * 1.5)
    await other.claim([created.id], "you:2:y", TTL)
    with pytest.raises(StaleWrite):
        await store.delete(created.id, lease=Lease.of(created))
    await other.delete(created.id)
    with pytest.raises(JobNotFound):
        await store.get(created.id)
    assert await store.history(created.id) == []
    await store.delete(created.id)  # deleting what is gone does nothing
