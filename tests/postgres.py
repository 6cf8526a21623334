"""A PostgreSQL database for tests: AVATAR_MCP_TEST_DATABASE_URL names a server (.ci/run always starts one);
without it, the tests that need one are skipped, saying so. Each test gets a schema of its own, dropped after."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

URL_ENV = "AVATAR_MCP_TEST_DATABASE_URL"
SKIP_REASON = (f"{URL_ENV} is not set: no PostgreSQL server to test against (.ci/run starts one; locally, point "
               f"it at a throwaway database, e.g. postgresql://postgres@127.0.0.1:5432/postgres)")


@dataclass(frozen=True)
class Database:
    url: str
    schema: str

    def env(self) -> dict[str, str]:
        """The settings a server process needs to use this database."""
        return {"AVATAR_MCP_DATABASE_URL": self.url, "AVATAR_MCP_DATABASE_SCHEMA": self.schema}


def database_url() -> str:
    url = os.environ.get(URL_ENV, "")
    if not url:
        pytest.skip(SKIP_REASON)
    return url


@pytest.fixture
def database() -> Iterator[Database]:
    """A fresh schema with the job store's and the queue's tables (through the migration tool), dropped after."""
    import psycopg

    from avatar_mcp.jobs.migrate import migrate_postgres

    url = database_url()
    schema = "t_" + secrets.token_hex(6)
    migrate_postgres(url, schema)
    try:
        yield Database(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
