"""The poll schedule: cheap for long renders, prompt at the end, obedient to Retry-After."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from avatar_mcp.jobs.schedule import MIN_DELAY_SECONDS, next_poll_delay


def run(actual: float, expected: float | None, seed: int = 0) -> tuple[int, float]:
    rng = random.Random(seed)
    now, polls = 0.0, 0
    while now < actual:
        now += next_poll_delay(elapsed=now, expected=expected, poll_count=polls, rng=rng)
        polls += 1
    return polls, now - actual


def test_a_ten_minute_render_costs_a_fifth_of_fixed_polling_and_is_noticed_within_ten_percent() -> None:
    polls, late = run(600, 600)
    assert polls <= 120 / 5
    assert late <= 60


@settings(max_examples=200, deadline=None)
@given(expected=st.floats(60, 7200), error=st.floats(-0.5, 1.0), seed=st.integers(0, 1000))
def test_completion_is_noticed_within_ten_percent_of_the_render_time(expected: float, error: float,
                                                                     seed: int) -> None:
    actual = expected * (1 + error)
    _, late = run(actual, expected, seed)
    assert late <= 0.10 * actual + MIN_DELAY_SECONDS


@settings(max_examples=200, deadline=None)
@given(elapsed=st.floats(0, 1e5), expected=st.none() | st.floats(1, 1e5), polls=st.integers(0, 1000),
       progress=st.none() | st.floats(0, 1), retry_after=st.none() | st.floats(0, 600))
def test_every_delay_is_at_least_the_floor_and_finite(elapsed: float, expected: float | None, polls: int,
                                                      progress: float | None, retry_after: float | None) -> None:
    delay = next_poll_delay(elapsed=elapsed, expected=expected, poll_count=polls, progress=progress,
                            retry_after=retry_after)
    assert MIN_DELAY_SECONDS <= delay < 1e6
    if retry_after is not None and retry_after > 0:
        assert delay >= retry_after


def test_unknown_durations_back_off_and_cap() -> None:
    delays = [next_poll_delay(elapsed=0, expected=None, poll_count=n, rng=random.Random(1)) for n in range(20)]
    assert delays[0] < delays[3] < delays[6]
    assert max(delays) <= 130


def test_with_webhooks_polls_are_only_a_late_safety_net() -> None:
    assert next_poll_delay(elapsed=0, expected=600, poll_count=0, webhooks=True) >= 800
