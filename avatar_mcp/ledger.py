"""One-time facts kept durably in the data dir, shared by every server process on it (SQLite, WAL).

Two uses, both security checks that must survive a restart and hold across processes:
- webhook delivery ids already seen (`remember`), so a replayed delivery is refused;
- spending confirmation codes (`issue` / `redeem`): single-use, expiring, bound to one value (the digest of
  exactly one request and its cost).

Guarantees: each call is one transaction (BEGIN IMMEDIATE), so two processes cannot both remember the same id
or both redeem the same code; expired rows are pruned as writes happen. Calls block briefly: async callers run
them in a worker thread.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    import sqlite3

FILE_NAME = "security.sqlite3"
BUSY_TIMEOUT_MS = 5000
_DDL = ("CREATE TABLE IF NOT EXISTS once (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
        "expires REAL NOT NULL, PRIMARY KEY (kind, key))")
T = TypeVar("T")


class Ledger:
    """The one-time facts of one data dir."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = data_dir / FILE_NAME
        self._clock = clock

    def _run(self, fn: Callable[[sqlite3.Connection, float], T]) -> T:
        import sqlite3  # not on the server's start-up path

        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_DDL)
            conn.execute("BEGIN IMMEDIATE")
            try:
                now = self._clock()
                conn.execute("DELETE FROM once WHERE expires <= ?", (now,))
                result = fn(conn, now)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result
        finally:
            conn.close()

    def remember(self, kind: str, keys: Iterable[str], ttl_seconds: float) -> bool:
        """Record `keys` for `ttl_seconds`; False (recording nothing) when any of them is already recorded."""
        wanted = list(dict.fromkeys(keys))

        def body(conn: sqlite3.Connection, now: float) -> bool:
            for key in wanted:
                if conn.execute("SELECT 1 FROM once WHERE kind = ? AND key = ?", (kind, key)).fetchone():
                    return False
            conn.executemany("INSERT INTO once (kind, key, value, expires) VALUES (?, ?, '', ?)",
                             [(kind, key, now + ttl_seconds) for key in wanted])
            return True

        return self._run(body)

    def issue(self, kind: str, value: str, ttl_seconds: float) -> str:
        """A new random code bound to `value`, valid for `ttl_seconds` and for one `redeem`."""
        code = secrets.token_hex(6)

        def body(conn: sqlite3.Connection, now: float) -> str:
            conn.execute("INSERT INTO once (kind, key, value, expires) VALUES (?, ?, ?, ?)",
                         (kind, code, value, now + ttl_seconds))
            return code

        return self._run(body)

    def redeem(self, kind: str, code: str, value: str) -> bool:
        """Use up `code` if it is unexpired and bound to exactly `value`; a code for another value stays valid."""

        def body(conn: sqlite3.Connection, now: float) -> bool:
            row = conn.execute("SELECT value FROM once WHERE kind = ? AND key = ?", (kind, code)).fetchone()
            if row is None or not secrets.compare_digest(str(row[0]), value):
                return False
            conn.execute("DELETE FROM once WHERE kind = ? AND key = ?", (kind, code))
            return True

        return self._run(body)


class OneTimeFacts(Protocol):
    """The ledger's contract, async: SQLite's `Ledger` (in a thread) or the PostgreSQL store's `once` table."""

    async def remember(self, kind: str, keys: Sequence[str], ttl_seconds: float) -> bool: ...

    async def issue(self, kind: str, value: str, ttl_seconds: float) -> str: ...

    async def redeem(self, kind: str, code: str, value: str) -> bool: ...


class ThreadedLedger:
    """A data dir's `Ledger` for async callers: each call runs in a worker thread."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def remember(self, kind: str, keys: Sequence[str], ttl_seconds: float) -> bool:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.ledger.remember, kind, keys, ttl_seconds)

    async def issue(self, kind: str, value: str, ttl_seconds: float) -> str:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.ledger.issue, kind, value, ttl_seconds)

    async def redeem(self, kind: str, code: str, value: str) -> bool:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.ledger.redeem, kind, code, value)
