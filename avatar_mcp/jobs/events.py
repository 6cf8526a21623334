"""Job changes made by this process, told to whoever waits or listens here.

A reader waiting for a job (check_job with wait_seconds) wakes at once for a change made in this process, and
re-reads the job's version every `VERSION_POLL_SECONDS` to see changes made by other processes. Listeners (one
hook, e.g. for log notifications) get every committed change made here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio

from avatar_mcp.models import JobRecord

logger = logging.getLogger(__name__)

Listener = Callable[[JobRecord], None]


class JobEvents:
    def __init__(self) -> None:
        self._waiters: dict[str, anyio.Event] = {}
        self.listeners: list[Listener] = []

    def changed(self, job: JobRecord) -> None:
        """A change of `job` was committed here."""
        event = self._waiters.pop(job.id, None)
        if event is not None:
            event.set()
        for listener in list(self.listeners):
            try:
                listener(job)
            except Exception:
                logger.exception("a job listener failed")

    async def wait(self, job_id: str, seconds: float) -> None:
        """Return when this process changes the job, or after `seconds`."""
        event = self._waiters.setdefault(job_id, anyio.Event())
        with anyio.move_on_after(seconds):
            await event.wait()
