"""When the agent talks to the center: retries with backoff and a stable place in the
poll interval. Pure functions of their inputs (time and randomness are passed in).

Thousands of agents must not report in the same second: after a center outage they
would all retry together, and after a power cut at many sites they would all start
together. So each agent takes a fixed phase in the poll interval, derived from its
endpoint id, and retries failures with exponential backoff and full jitter, never sooner
than the center's Retry-After.
"""

from __future__ import annotations

import email.utils
import hashlib
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Backoff", "next_cycle_at", "parse_retry_after", "phase_of"]


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with jitter.

    Usage::

        backoff = Backoff(min_s=5, max_s=900)
        delay = backoff.next_delay(rng, retry_after_s=30)   # after a failure
        backoff.reset()                                     # after a success
    """

    min_s: float
    max_s: float
    failures: int = 0

    def next_delay(self, rng: random.Random, retry_after_s: float | None = None) -> float:
        """Seconds to wait before the next try; grows with each failure."""
        ceiling = min(self.max_s, self.min_s * 2.0 ** min(self.failures, 32))
        self.failures += 1
        delay = rng.uniform(self.min_s, max(self.min_s, ceiling))
        if retry_after_s is not None and retry_after_s > 0:
            # The center said when: never sooner, and a little spread so that agents told
            # the same thing do not come back in the same second.
            delay = max(delay, retry_after_s * rng.uniform(1.0, 1.2))
        return delay

    def reset(self) -> None:
        self.failures = 0


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or HTTP-date), None if absent/bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def phase_of(endpoint_id: str, interval_s: float) -> float:
    """This agent's fixed offset within the poll interval, spread evenly over agents."""
    digest = hashlib.sha256(endpoint_id.encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2.0**64
    return fraction * interval_s


def next_cycle_at(now_s: float, interval_s: float, phase_s: float) -> float:
    """The first wall-clock time after ``now_s`` that is ``phase_s`` into an interval."""
    periods = math.floor((now_s - phase_s) / interval_s) + 1
    return periods * interval_s + phase_s
