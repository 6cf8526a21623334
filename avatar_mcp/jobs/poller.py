"""The background poller: each tick, claims the jobs that are due and this process can take, until stopped.

It runs in the service's task group. Per-job backoff lives in the schedule each step writes, so the poller
itself only ticks; what a round does is JobEngine.poll_due (polls in the round, slow work in the pool). Every
SWEEP_SECONDS it also removes attempt folders nobody works on any more (left by crashed processes).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio
import anyio.abc

if TYPE_CHECKING:
    from avatar_mcp.service import AvatarService

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 600.0


class Poller:
    def __init__(self, service: AvatarService, tick_seconds: float = 1.0) -> None:
        self.service = service
        self.tick_seconds = tick_seconds
        self.rounds = 0
        self._scope: anyio.CancelScope | None = None

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Poll until stopped or cancelled."""
        engine = self.service.engine
        swept_at = -SWEEP_SECONDS
        with anyio.CancelScope() as self._scope:
            task_status.started()
            while True:
                try:
                    await engine.poll_due(wait=False)
                    if anyio.current_time() - swept_at >= SWEEP_SECONDS:
                        swept_at = anyio.current_time()
                        await engine.sweep()
                except Exception:
                    # The loop must survive anything one round does; the error is logged with its traceback.
                    logger.exception("poller round failed")
                self.rounds += 1
                await anyio.sleep(self.tick_seconds)

    def stop(self) -> None:
        """Stop claiming work (the first step of a shutdown)."""
        if self._scope is not None:
            self._scope.cancel()
