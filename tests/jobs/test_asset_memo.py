"""The job store's memo of uploaded files (a separate table): by account and content hash, replaceable, forgettable,
kept across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from avatar_mcp.jobs.store import SqliteJobStore
from avatar_mcp.providers.base import AssetMemo

pytestmark = pytest.mark.anyio


async def test_assets_are_remembered_per_account_replaced_forgotten_and_kept_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = SqliteJobStore(path)
    assert isinstance(store, AssetMemo)
    assert await store.remembered_asset("acct-a", "d1") is None
    await store.remember_asset("acct-a", "d1", "asset-1")
    await store.remember_asset("acct-b", "d1", "asset-9")
    await store.remember_asset("acct-a", "d1", "asset-2")
    await store.close()
    store = SqliteJobStore(path)
    try:
        assert await store.remembered_asset("acct-a", "d1") == "asset-2"
        assert await store.remembered_asset("acct-b", "d1") == "asset-9"
        await store.forget_asset("acct-a", "d1")
        assert await store.remembered_asset("acct-a", "d1") is None
        assert await store.remembered_asset("acct-b", "d1") == "asset-9"
        assert await store.list() == []  # no job rows were touched
    finally:
        await store.close()
