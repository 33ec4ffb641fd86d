"""The reconnect schedule and the subscription chunks.

Why our own schedule rather than yfinance's: its listen loop waits a fixed 3 s and tries again
forever. Here the wait doubles from `base_seconds` up to `cap_seconds`, each drawn with full
jitter in [wait * (1 - jitter), wait] so that many streamers cut off at once do not return in
step, and after `max_attempts` failures in a row the stream gives up (the process exits with an
error, so its supervisor, e.g. systemd's `Restart=on-failure`, restarts it, and people see it).
A connection that delivered messages resets the count.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

DEFAULT_CHUNK_SIZE = 200


class GaveUp(RuntimeError):
    """The stream failed `max_attempts` times in a row."""


@dataclass
class Backoff:
    """Jittered, capped, bounded exponential backoff: `next_delay()` after each failure."""

    base_seconds: float = 1.0
    cap_seconds: float = 60.0
    factor: float = 2.0
    jitter: float = 0.5
    max_attempts: int = 30
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def __post_init__(self) -> None:
        if not (self.base_seconds > 0 and self.cap_seconds >= self.base_seconds and self.factor >= 1
                and 0 <= self.jitter <= 1 and self.max_attempts >= 1):
            raise ValueError(f"backoff {self} is not a usable schedule (need 0 < base <= cap, factor >= 1, "
                             "0 <= jitter <= 1, max_attempts >= 1)")

    def ceiling(self, failure: int) -> float:
        """The un-jittered wait after failure number `failure` (1-based)."""
        return min(self.cap_seconds, self.base_seconds * self.factor ** (failure - 1))

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait; raises GaveUp past `max_attempts`."""
        self.failures += 1
        if self.failures > self.max_attempts:
            raise GaveUp(f"{self.max_attempts} connection attempts in a row failed")
        top = self.ceiling(self.failures)
        return self.rng.uniform(top * (1 - self.jitter), top)

    def reset(self) -> None:
        self.failures = 0


def chunks(symbols: Sequence[str], size: int = DEFAULT_CHUNK_SIZE) -> Iterator[list[str]]:
    """`symbols` in order, `size` at a time (one subscribe frame each)."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    for start in range(0, len(symbols), size):
        yield list(symbols[start:start + size])
