"""The background poller: refreshes open jobs when their poll time comes, until the server stops.

It runs in the server's lifespan task group. Each round asks the service for due jobs (batched per vendor
where the vendor allows it); per-job backoff lives in the schedule each refresh writes, so the poller itself
only ticks. Concurrency is bounded by the service (one task per provider, a limiter inside).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from avatar_mcp.service import AvatarService

logger = logging.getLogger(__name__)


class Poller:
    def __init__(self, service: AvatarService, tick_seconds: float = 1.0) -> None:
        self.service = service
        self.tick_seconds = tick_seconds
        self.rounds = 0

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Poll until cancelled (the lifespan cancels it on shutdown)."""
        task_status.started()
        while True:
            try:
                await self.service.poll_due()
            except Exception:
                # The loop must survive anything one round does; the error is logged with its traceback.
                logger.exception("poller round failed")
            self.rounds += 1
            await anyio.sleep(self.tick_seconds)
