"""One-time facts (webhook deliveries seen, spending confirmation codes) on both stores: SQLite's ledger file and
PostgreSQL's `once` table hold the same contract, and a confirmation code is bound to the principal it was issued
to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from avatar_mcp.ledger import Ledger, OneTimeFacts, ThreadedLedger
from avatar_mcp.planning.answers import spend_digest
from tests.postgres import Database

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", "postgres"])
async def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OneTimeFacts]:
    if request.param == "sqlite":
        yield ThreadedLedger(Ledger(tmp_path))
        return
    from avatar_mcp.jobs.postgres import PostgresJobStore

    database: Database = request.getfixturevalue("database")
    store = await PostgresJobStore.open(database.url, schema=database.schema, max_size=2)
    try:
        yield store
    finally:
        await store.close()


async def test_a_fact_is_remembered_once_and_none_of_a_batch_when_one_was_seen(ledger: OneTimeFacts) -> None:
    assert await ledger.remember("webhook", ["a", "b"], 60)
    assert not await ledger.remember("webhook", ["a"], 60)
    assert not await ledger.remember("webhook", ["c", "b"], 60)
    assert await ledger.remember("webhook", ["c"], 60)  # the refused batch recorded nothing
    assert await ledger.remember("other-kind", ["a"], 60)


async def test_a_code_is_redeemed_once_for_its_value_only_and_not_after_it_expired(ledger: OneTimeFacts) -> None:
    code = await ledger.issue("spend", "digest-1", 60)
    assert not await ledger.redeem("spend", code, "digest-2")
    assert await ledger.redeem("spend", code, "digest-1")
    assert not await ledger.redeem("spend", code, "digest-1")
    expired = await ledger.issue("spend", "digest-1", -1)
    assert not await ledger.redeem("spend", expired, "digest-1")


def test_a_confirmation_is_bound_to_the_principal_it_was_issued_to() -> None:
    request = {"scenes": [{"avatar_id": "a", "script": "hi"}]}
    alice = spend_digest("create_video", "heygen", request, None, "alice")
    assert alice == spend_digest("create_video", "heygen", request, None, "alice")
    assert alice != spend_digest("create_video", "heygen", request, None, "bob")
