"""How long a vendor's work usually takes, and how long a tool call waits: one type for every vendor.

Each vendor's spec.py declares its own `TIMING` (the fields it uses; the others keep these defaults), and its
provider takes a `timing` so tests and benchmarks can shrink everything (`scaled`) or fix the poll interval
(`poll_after`) against the emulators. Expected durations set a job's first poll; the schedule adapts from there
(jobs/schedule.py).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Timing:
    """Expected durations, waits and timeouts of one vendor."""

    avatar_seconds: float = 600.0
    """A photo avatar or a companion made from a picture."""
    photo_generation_seconds: float = 60.0
    training_seconds: float = 600.0
    twin_seconds: float = 6 * 3600.0
    """A digital twin (or an avatar made from a video of the person)."""
    video_overhead_seconds: float = 90.0
    render_factor: float = 4.0
    """Seconds of rendering per second of video, on top of the overhead (queueing varies a lot)."""
    agent_seconds: float = 600.0
    """A whole video written, cast and rendered by a vendor's agent."""
    ready_wait_seconds: float = 120.0
    """A readiness gate waits this long for an avatar that is still being made before giving up."""
    ready_poll_seconds: float = 5.0
    in_progress_wait_seconds: float = 30.0
    """A create answered "still processing the same request" is replayed for this long before reconcile takes it."""
    create_timeout_seconds: float | None = None
    """How long a create may take to be answered; None is providers/_http.py's CREATE_TIMEOUT."""
    poll_after: float | None = None
    """A fixed interval between status polls (tests); None lets the adaptive schedule decide."""

    def scaled(self, factor: float) -> Timing:
        """Every duration times `factor` (tests run against the emulators with a tiny factor)."""
        return replace(self, **{f.name: getattr(self, f.name) * factor for f in fields(self)
                                if getattr(self, f.name) is not None})

    def create_timeout(self) -> httpx.Timeout:
        from avatar_mcp.providers._http import CREATE_TIMEOUT

        if self.create_timeout_seconds is None:
            return CREATE_TIMEOUT
        import httpx

        return httpx.Timeout(self.create_timeout_seconds, connect=min(10.0, self.create_timeout_seconds))

    def video_seconds(self, length: float) -> float:
        """How long a video of `length` seconds usually takes to be ready."""
        return self.video_overhead_seconds + self.render_factor * length

    def expected(self, seconds: float) -> float:
        """`seconds`, unless polls come at a fixed interval (tests): then that interval."""
        return self.poll_after or seconds
