"""Work done here rather than at a vendor (local renders, drawings, footage preparation): how it is described
to the service, and what the work function sees in its worker thread.

A provider that does its own work implements `RunsLocally.work(job)`: it rebuilds the work from the stored job
(its request, and the inputs fetched into the job's folder when it was submitted), so whichever process holds the
job's lease can run it, including one that took the job over from a dead process. The service runs the function in
a worker thread, relays its progress to the job store, and moves what it made from the attempt folder into place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from avatar_mcp.models import JobRecord, JobResult

Pool = Literal["render", "prep"]
"""Renders and preparations each have their own worker slot: a long render never holds up a drawing."""


class Canceled(Exception):
    """Raised inside work whose job was canceled, taken over, or whose server is shutting down."""


@dataclass
class Workspace:
    """What a work function sees: its own attempt folder, a way to report progress, and a stop flag.

    Everything the work writes goes into `folder` (a fresh folder per attempt); the service moves the result's
    files into the job's folder afterwards, so an attempt that is abandoned never touches another's files.
    """

    folder: Path
    stop: threading.Event = field(default_factory=threading.Event)
    progress: float = 0.0
    message: str | None = None
    changed: bool = False

    def report(self, fraction: float, message: str | None = None) -> None:
        self.progress = max(0.0, min(1.0, fraction))
        if message is not None:
            self.message = message
        self.changed = True

    def should_stop(self) -> bool:
        return self.stop.is_set()

    def check(self) -> None:
        if self.stop.is_set():
            raise Canceled


@dataclass(frozen=True)
class LocalWork:
    """One job's work: which worker slot it needs and the function that does it (in a worker thread)."""

    pool: Pool
    run: Callable[[Workspace], JobResult]
    message: str = "Working on it."


@runtime_checkable
class RunsLocally(Protocol):
    def pool_for(self, operation: str) -> Pool:
        """Which worker slot a job of this operation needs (known before the work is rebuilt)."""
        ...

    async def work(self, job: JobRecord) -> LocalWork:
        """The work of a queued job, rebuilt from the stored job without fetching again what was fetched at
        submission. Raises AvatarError when it cannot be done (the job then fails with that message)."""
        ...
