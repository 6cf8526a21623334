"""Both job stores, SQLite and PostgreSQL: the contract suite (tests/jobs/store_contract.py) against each, plus what
only SQLite has (its file format, and files of older versions)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from avatar_mcp.jobs.sqlite import SqliteJobStore
from avatar_mcp.jobs.store import JobStore
from tests.jobs.store_contract import *  # noqa: F403 - the contract's tests run here against SQLite
from tests.jobs.store_contract import OpenStore, job
from tests.postgres import Database

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    if request.param == "postgres":
        database: Database = request.getfixturevalue("database")

        async def on_postgres() -> JobStore:
            from avatar_mcp.jobs.postgres import PostgresJobStore

            return await PostgresJobStore.open(database.url, schema=database.schema, max_size=4)

        return on_postgres

    async def opened() -> JobStore:
        return SqliteJobStore(tmp_path / "jobs.sqlite3")

    return opened


async def test_the_database_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "j.sqlite3")
    await store.close()
    conn = sqlite3.connect(tmp_path / "j.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


V1_SCHEMA = """
CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, provider TEXT NOT NULL, operation TEXT NOT NULL,
    vendor_id TEXT, request TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, message TEXT,
    result TEXT, error TEXT, vendor_state TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, next_poll_at REAL, poll_count INTEGER NOT NULL DEFAULT 0, expected_seconds REAL);
INSERT INTO jobs (id, kind, provider, operation, request, status, created_at, updated_at, next_poll_at)
    VALUES ('job_old', 'video', 'heygen', 'create_video', '{}', 'processing', '2026-01-01T00:00:00+00:00',
            '2026-01-01T00:00:00+00:00', 0);
PRAGMA user_version = 1;
"""


async def test_a_file_of_the_first_schema_is_migrated_and_its_jobs_stay_workable(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.close()
    store = SqliteJobStore(path)
    try:
        old = await store.get("job_old")
        assert old.status == "processing" and old.version == 1 and old.lease_owner is None
        assert old.principal == "local"
        [claimed] = await store.claim(["job_old"], "me:1:x", 30.0)
        assert claimed.lease_epoch == 1
        assert (await store.create(job())).version == 1
    finally:
        await store.close()
