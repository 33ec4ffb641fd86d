"""Retries with a backoff schedule and jitter: the one retry helper of the project.

Why one: scrapers, Yahoo fetches and warehouse writes all retry; one tested helper keeps
the rules (which errors, how long, how many) the same and visible.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

DEFAULT_SCHEDULE = (10.0, 30.0, 120.0, 600.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Wait `schedule[i]` seconds (+/- `jitter` share) before attempt i+2; stop after the schedule."""

    schedule: Sequence[float] = DEFAULT_SCHEDULE
    jitter: float = 0.2

    @property
    def max_attempts(self) -> int:
        return len(self.schedule) + 1

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        base = self.schedule[min(attempt - 1, len(self.schedule) - 1)]
        spread = base * self.jitter
        return max(0.0, base + (rng or random).uniform(-spread, spread))


def retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    retry_on: Callable[[BaseException], bool],
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Call `fn` until it succeeds, an error is not retryable, or the schedule runs out.

    The last error is re-raised unchanged; `on_retry(attempt, error, delay)` is told of each retry.
    """
    attempt = 1
    while True:
        try:
            return fn()
        except BaseException as err:  # noqa: BLE001 - the predicate decides
            if attempt >= policy.max_attempts or not retry_on(err):
                raise
            wait = policy.delay(attempt)
            if on_retry:
                on_retry(attempt, err, wait)
            sleep(wait)
            attempt += 1
