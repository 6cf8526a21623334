"""Job changes made by this process, told to whoever waits or listens here.

A reader waiting for a job (check_job with wait_seconds) wakes at once for a change made in this process, and
re-reads the job's version every `VERSION_POLL_SECONDS` to see changes made by other processes. Listeners (one
hook: the MCP sessions' job log) hear of the transitions made here, named: `submitted` (the vendor or the studio
took the job), `status` (any other change of status), `downloaded` (download_result fetched the files again).
Progress alone is not an event.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio

from avatar_mcp.models import JobRecord

logger = logging.getLogger(__name__)

Listener = Callable[[JobRecord, str], Awaitable[None]]
"""Called with the job as committed and the event's name; a failing listener never fails the job."""


class JobEvents:
    def __init__(self) -> None:
        self._waiters: dict[str, anyio.Event] = {}
        self.listeners: list[Listener] = []
        self._statuses: dict[str, str] = {}

    async def changed(self, job: JobRecord, event: str | None = None) -> None:
        """A change of `job` was committed here; `event` names it when the status alone cannot (`downloaded`)."""
        waiter = self._waiters.pop(job.id, None)
        if waiter is not None:
            waiter.set()
        before = self._statuses.get(job.id)
        if job.is_open:
            self._statuses[job.id] = job.status
        else:
            self._statuses.pop(job.id, None)
        if event is None:
            if job.status == before:
                return
            event = "submitted" if before in (None, "submitting") and job.status in ("queued", "processing") \
                else "status"
        for listener in list(self.listeners):
            try:
                await listener(job, event)
            except Exception:
                logger.exception("a job listener failed on %s of %s", event, job.id)

    async def wait(self, job_id: str, seconds: float) -> None:
        """Return when this process changes the job, or after `seconds`."""
        event = self._waiters.setdefault(job_id, anyio.Event())
        try:
            with anyio.move_on_after(seconds):
                await event.wait()
        finally:
            # Nothing kept for a job nobody changed here (a replica's, changed by workers). Another waiter on the
            # same event still wakes after its own timeout and re-reads the job's version (service.wait).
            if not event.is_set() and self._waiters.get(job_id) is event:
                del self._waiters[job_id]
