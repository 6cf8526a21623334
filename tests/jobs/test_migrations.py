"""Schema changes when processes die: a process killed while it applies a step (every start of a PostgreSQL
process takes the migration lock; an old SQLite file's first start does too) must not lock every later start out.

The killed process is a real one, SIGKILLed while it holds the lock inside jobs/migrate.py's own migration."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from avatar_mcp.jobs.sqlite import SqliteJobStore
from tests.jobs.test_store import V1_SCHEMA

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
STUCK = textwrap.dedent("""
    import sys, time
    from yoyo.backends.base import DatabaseBackend
    from yoyo.migrations import Migration

    def stuck(*args, **kwargs):  # the process dies here
        print("applying", flush=True)
        time.sleep(60)

    def applied(self, migration, operation):
        if operation == "apply":
            stuck()

    if sys.argv[1] == "holding":  # holding the lock, before the first step is applied
        Migration.process_steps = stuck
    else:  # "applied": the first step to apply is applied, and not yet recorded as applied
        DatabaseBackend.log_migration = applied
    from avatar_mcp.jobs import migrate
    if sys.argv[2] == "sqlite":
        migrate.migrate_sqlite(__import__("pathlib").Path(sys.argv[3]))
    else:
        migrate.migrate_postgres(sys.argv[3], sys.argv[4])
""")
MOMENTS = ["holding", "applied"]


def kill_while_migrating(moment: str, *args: str) -> None:
    """Start a process that migrates (`args`), and SIGKILL it at `moment` of its first step."""
    process = subprocess.Popen([sys.executable, "-c", STUCK, moment, *args], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "applying"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


@pytest.mark.parametrize("moment", MOMENTS)
async def test_an_old_sqlite_file_whose_first_migrating_process_was_killed_opens_with_every_row(
        tmp_path: Path, moment: str) -> None:
    path = tmp_path / "jobs.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.close()
    kill_while_migrating(moment, "sqlite", str(path))

    started = time.monotonic()
    # Was, at every start from then on: yoyo.exceptions.LockTimeout after 10 s ('holding'); sqlite3's 'duplicate
    # column name: version' ('applied': the step was applied again).
    store = SqliteJobStore(path)
    try:
        assert time.monotonic() - started < 5
        old = await store.get("job_old")
        assert old.status == "processing" and old.principal == "local"
    finally:
        await store.close()


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_postgres_process_killed_while_migrating_does_not_lock_every_later_start_out(moment: str) -> None:
    import secrets

    import psycopg

    from avatar_mcp.jobs.migrate import migrate_postgres, pending_postgres
    from tests.postgres import database_url

    url = database_url()
    schema = "t_" + secrets.token_hex(6)
    try:
        kill_while_migrating(moment, "postgres", url, schema)
        started = time.monotonic()
        # Every process applies missing steps when it starts; it was refused (LockTimeout, 'run yoyo break-lock')
        # after 10 s ('holding'), or failed on 'relation "jobs" already exists' ('applied'), so no replica or
        # worker could start again until someone repaired the database by hand.
        assert migrate_postgres(url, schema) == ["0001_jobs", "0002_queue"]
        assert time.monotonic() - started < 5
        assert pending_postgres(url, schema) == []
        assert migrate_postgres(url, schema) == []
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
