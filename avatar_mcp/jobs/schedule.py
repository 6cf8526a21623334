"""When to ask a vendor about a job next (pure functions; bench/polling.py measures them).

Fixed 5-second polling of a 10-minute render costs ~120 status requests. Here the first poll waits for most
of the expected render time, then the interval shrinks toward a floor as the expected end approaches, and
grows again (with a cap) once the job is overdue. Vendor progress, when reported, re-estimates the end.
Retry-After always wins; a little jitter keeps many jobs from polling in lockstep.
"""

from __future__ import annotations

import random

MIN_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0
UNKNOWN_DURATION_FIRST_SECONDS = 5.0
UNKNOWN_DURATION_GROWTH = 1.5
EARLY_FRACTION = 0.6
"""Before the expected end, wait this fraction of the remaining time (so a fast render is not missed by much)."""
STEP_FRACTION = 0.04
"""Near and after the expected end, poll every this fraction of the expected duration (>= the floor)."""
OVERDUE_GROWTH = 1.25
JITTER = 0.1


def estimate_remaining(elapsed: float, expected: float | None, progress: float | None) -> float | None:
    """Seconds left, from the vendor's progress when it reports some, else from the expected duration."""
    if progress is not None and 0.05 <= progress < 1.0 and elapsed > 0:
        by_progress = elapsed * (1.0 - progress) / progress
        if expected is None:
            return by_progress
        return 0.5 * by_progress + 0.5 * max(0.0, expected - elapsed)
    if expected is None:
        return None
    return expected - elapsed


def next_poll_delay(
    *,
    elapsed: float,
    expected: float | None,
    poll_count: int,
    progress: float | None = None,
    retry_after: float | None = None,
    floor: float = MIN_DELAY_SECONDS,
    webhooks: bool = False,
    rng: random.Random | None = None,
) -> float:
    """Seconds until the next status request for a job `elapsed` seconds into its render."""
    jitter = 1.0 + JITTER * (2 * float((rng or random).random()) - 1)
    if retry_after is not None and retry_after > 0:
        return max(retry_after, floor)
    if expected is None:
        delay = UNKNOWN_DURATION_FIRST_SECONDS * UNKNOWN_DURATION_GROWTH ** min(poll_count, 12)
        return max(floor, min(MAX_DELAY_SECONDS, delay)) * jitter
    step = max(floor, STEP_FRACTION * expected)
    remaining = estimate_remaining(elapsed, expected, progress)
    assert remaining is not None
    if webhooks:
        # The vendor will tell us; polls are only a safety net for a lost delivery.
        return max(floor, min(MAX_DELAY_SECONDS * 5, max(remaining, 0) + 0.5 * expected)) * jitter
    if remaining > 0:
        return max(step, min(MAX_DELAY_SECONDS * 10, EARLY_FRACTION * remaining)) * jitter
    overdue_polls = max(0.0, -remaining / step)
    growth = float(OVERDUE_GROWTH ** min(overdue_polls, 20.0))
    return max(floor, min(MAX_DELAY_SECONDS, step * growth)) * jitter
