"""Status requests per finished job: the adaptive schedule (jobs/schedule.py) against fixed 5-second polling.

Simulates, in virtual time, renders of a given length whose real duration differs from the vendor's expected
one (the estimate is never exact), and counts status requests until completion is noticed and how late that is.
With a webhook the vendor says when it is done: the schedule only keeps a slow safety net.

    python bench/polling.py [--render-minutes 10]
Goal (issue 5): <= 1/5 of fixed polling's requests, completion noticed within 10% of the render time;
with a webhook, one status request or none.
"""

from __future__ import annotations

import argparse
import random
import statistics

from avatar_mcp.jobs.schedule import next_poll_delay

FIXED_INTERVAL = 5.0


def simulate(actual: float, expected: float, *, webhook: bool = False, seed: int = 0) -> tuple[int, float]:
    """(status requests, seconds between completion and noticing it)."""
    rng = random.Random(seed)
    now, polls = 0.0, 0
    while True:
        delay = next_poll_delay(elapsed=now, expected=expected, poll_count=polls, webhooks=webhook, rng=rng)
        if webhook and now + delay >= actual:
            return polls + 1, 0.0  # the delivery arrives at `actual`; one status request reads the result
        now += delay
        polls += 1
        if now >= actual:
            return polls, now - actual


def fixed(actual: float) -> tuple[int, float]:
    polls = int(actual // FIXED_INTERVAL) + 1
    return polls, polls * FIXED_INTERVAL - actual


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render-minutes", type=float, default=10.0)
    args = parser.parse_args()
    render = args.render_minutes * 60
    print(f"Simulated render: {render / 60:g} min; the vendor's expected duration is off by the error shown.")
    print(f"{'estimate error':>15} | {'fixed 5 s: req':>14} {'late s':>7} | {'adaptive: req':>13} {'late s':>7} "
          f"{'ratio':>6} | {'webhook: req':>12}")
    ratios, lates = [], []
    for error in (-0.3, -0.1, 0.0, 0.1, 0.3, 0.6):
        actual = render * (1 + error)
        f_req, f_late = fixed(actual)
        runs = [simulate(actual, render, seed=s) for s in range(20)]
        a_req = statistics.mean(r[0] for r in runs)
        a_late = statistics.mean(r[1] for r in runs)
        w_req = statistics.mean(simulate(actual, render, webhook=True, seed=s)[0] for s in range(20))
        ratios.append(a_req / f_req)
        lates.append(a_late / actual)
        print(f"{error:>+14.0%} | {f_req:>14} {f_late:>7.1f} | {a_req:>13.1f} {a_late:>7.1f} {a_req / f_req:>6.2f} | "
              f"{w_req:>12.1f}")
    print(f"worst request ratio {max(ratios):.2f} (goal <= 0.20), worst lateness {max(lates):.1%} of the render "
          f"(goal <= 10%)")


if __name__ == "__main__":
    main()
