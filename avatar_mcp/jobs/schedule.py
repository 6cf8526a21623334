"""When to ask a vendor about a job next (pure functions; bench/polling.py measures them).

Fixed 5-second polling of a 10-minute render costs ~120 status requests. Here the first poll waits for half of
the expected render time; after that each poll waits a fixed fraction of the time the job has run so far, so the
delay between completion and noticing it stays within that fraction of the render time (~8%) whatever the real
duration turns out to be, while the number of requests grows only logarithmically. Jobs without an expected
duration back off exponentially. With webhooks the vendor reports completion, so polls are only a slow safety
net. Retry-After always wins; a little jitter keeps many jobs from polling in lockstep.
"""

from __future__ import annotations

import random

MIN_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 120.0
FIRST_FRACTION = 0.5
"""The first poll comes after this fraction of the expected render time."""
LATENESS_FRACTION = 0.08
"""Later polls wait this fraction of the elapsed time: completion is noticed within ~8% of the render time."""
UNKNOWN_DURATION_FIRST_SECONDS = 5.0
UNKNOWN_DURATION_GROWTH = 1.5
WEBHOOK_SAFETY_FRACTION = 1.5
"""With webhooks, the safety-net poll comes after this multiple of the expected time."""
JITTER = 0.05


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
        if progress is not None and 0.05 <= progress < 1.0 and elapsed > 0:
            expected = elapsed / progress
        else:
            delay = UNKNOWN_DURATION_FIRST_SECONDS * UNKNOWN_DURATION_GROWTH ** min(poll_count, 12)
            return max(floor, min(MAX_DELAY_SECONDS, delay)) * jitter
    if webhooks:
        safety = max(WEBHOOK_SAFETY_FRACTION * expected, elapsed * 0.5)
        return max(floor, safety - elapsed if elapsed < safety else safety) * jitter
    first = FIRST_FRACTION * expected
    if elapsed < first:
        return max(floor, first - elapsed) * jitter
    return max(floor, min(MAX_DELAY_SECONDS, LATENESS_FRACTION * elapsed)) * jitter
