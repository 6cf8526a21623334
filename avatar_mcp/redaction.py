"""One redaction mechanism for every configured secret, fed from `Settings.secrets()`.

Every vendor key, the webhook secrets and the HTTP token are replaced by '***' wherever text leaves or is kept:
- vendor answers: `VendorHTTP` redacts error messages and decoded JSON bodies of ALL secrets, not only the
  calling vendor's key (an answer may echo anything it was sent or has seen);
- job rows: `RedactingStore` redacts every string written to the job store;
- log lines: `protect_logs` installs a log-record factory that redacts each record's message and traceback,
  whichever logger or handler it goes to;
- tool errors: the server redacts the text of every refusal before it is sent (tools/guard.py).
Secrets shorter than MIN_SECRET_CHARS are not searched for: replacing them would garble ordinary text.
"""

from __future__ import annotations

import builtins
import logging
import threading
import traceback
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from avatar_mcp.jobs.store import JobStore, Lease
    from avatar_mcp.models import JobRecord

MIN_SECRET_CHARS = 4
MASK = "***"


class Redactor:
    """Replaces every known secret in a string (longest first, so one secret inside another is fully masked)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets: tuple[str, ...] = tuple(sorted({s for s in secrets if s and len(s) >= MIN_SECRET_CHARS},
                                                     key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def with_secrets(self, more: Iterable[str]) -> Redactor:
        return Redactor([*self.secrets, *more])

    def tree(self, value: Any) -> Any:
        """`value` with every string inside it (dict keys and values, lists, models) redacted."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self.tree(k): self.tree(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.tree(v) for v in value)
        if isinstance(value, BaseModel):
            return type(value).model_validate(self.tree(value.model_dump()))
        return value


# ---------------------------------------------------------------------------------------------- logs

_log_lock = threading.Lock()
_log_redactor = Redactor(())
_installed = False


def protect_logs(secrets: Iterable[str]) -> None:
    """Redact these secrets (and those of earlier calls) from every log record created in this process.

    Logging is process-wide, so this is too: the set only grows (redacting a secret of another server in the
    same process does no harm). Idempotent and cheap when called again.
    """
    global _log_redactor, _installed
    with _log_lock:
        _log_redactor = _log_redactor.with_secrets(secrets)
        if _installed or not _log_redactor:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            redact = _log_redactor
            if redact:
                _redact_record(record, redact)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def _redact_record(record: logging.LogRecord, redact: Redactor) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed format string: leave it for logging to report
        return
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


# ---------------------------------------------------------------------------------------------- job rows

class RedactingStore:
    """A job store that redacts every string it writes; reads pass through (they hold nothing unredacted)."""

    def __init__(self, inner: JobStore, redact: Redactor) -> None:
        self.inner = inner
        self.redact = redact

    async def create(self, job: JobRecord, *, owner: str | None = None, ttl: float | None = None) -> JobRecord:
        return await self.inner.create(self.redact.tree(job), owner=owner, ttl=ttl)

    async def update(self, job_id: str, *, lease: Lease | None = None, expect: Collection[str] | None = None,
                     release: bool = False, **changes: Any) -> JobRecord:
        clean = {name: value if isinstance(value, datetime) else self.redact.tree(value)
                 for name, value in changes.items()}
        return await self.inner.update(job_id, lease=lease, expect=expect, release=release, **clean)

    async def get(self, job_id: str) -> JobRecord:
        return await self.inner.get(job_id)

    async def delete(self, job_id: str, *, lease: Lease | None = None) -> None:
        await self.inner.delete(job_id, lease=lease)

    async def find_by_vendor_id(self, provider: str, vendor_id: str) -> JobRecord | None:
        return await self.inner.find_by_vendor_id(provider, vendor_id)

    async def list(self, *, statuses: Sequence[str] | None = None, kind: str | None = None,
                   provider: str | None = None, principal: str | None = None,
                   limit: int = 50) -> builtins.list[JobRecord]:
        return await self.inner.list(statuses=statuses, kind=kind, provider=provider, principal=principal,
                                     limit=limit)

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:
        """Anything else the store offers, unchanged (reads and maintenance)."""
        return getattr(self.inner, name)
