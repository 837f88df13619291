"""Turning a measured interval into a number worth writing down, and the pace of polling that finds it."""

from __future__ import annotations

import math

__all__ = ["ROUND_STEPS", "next_poll_delay", "roundest"]

ROUND_STEPS = (60.0, 30.0, 10.0, 5.0, 2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01)
"""From the roundest to the finest: the first step with a multiple inside the interval wins."""

# Polling pace: each wait is a quarter of the time already waited (so the interval found is within ~25%
# of the delay, in a number of reads that grows with the log of the delay: about 20 for 5 s), never
# shorter than 50 ms (a read takes about that long against Twilio) nor longer than 2 s.
POLL_SHARE = 0.25
POLL_MIN = 0.05
POLL_MAX = 2.0


def next_poll_delay(elapsed: float) -> float:
    """How long to wait before the next read, ``elapsed`` seconds after the write."""
    return min(POLL_MAX, max(POLL_MIN, POLL_SHARE * elapsed))


def roundest(low: float, high: float) -> float:
    """The roundest number in ``(low, high]``: the delay is known to be more than ``low`` (a read that
    late still showed the old value) and at most ``high`` (a read that early showed the new one).

    Of the multiples of the first step in :data:`ROUND_STEPS` that fall inside, the one nearest the middle.
    A measurement can do no better than its interval, and a round number is what a person would write:
    ``(0.42, 0.55]`` gives 0.5, ``(1.8, 2.3]`` gives 2. An interval finer than every step gives ``high``
    to the millisecond.
    """
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        raise ValueError(f"not an interval: ({low}, {high}]")
    middle = (low + high) / 2
    for step in ROUND_STEPS:
        first = math.floor(low / step) + 1  # the first multiple above low
        last = math.floor(high / step + 1e-9)  # the last one not above high (within float error)
        if first <= last:
            best = min(range(first, last + 1), key=lambda k: abs(k * step - middle))
            return round(best * step, 3)
    return round(high, 3)
