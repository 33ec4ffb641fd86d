"""A circuit breaker: after N consecutive failures, stop calling for a cool-down, then probe.

Why: when Yahoo is down or throttling hard, every further request only deepens the
throttle. The breaker turns "hammer until the retries run out" into "wait, then send one
probe": closed -> (N failures) -> open -> (cool-down) -> half-open, one probe allowed ->
closed on success, open again on failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitBreaker:
    """Thread-safe; `allow()` before a call, `success()` / `failure()` after it."""

    def __init__(self, threshold: int = 20, cooldown: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_out = False
        self.opened = 0  # how often it opened (the fetch report shows it)
        self.closed_again = 0

    @property
    def state(self) -> str:
        with self._lock:
            return self._current(self._clock())

    def _current(self, now: float) -> str:
        if self._state == OPEN and now - self._opened_at >= self.cooldown:
            self._state = HALF_OPEN
            self._probe_out = False
        return self._state

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one probe at a time may."""
        with self._lock:
            state = self._current(self._clock())
            if state == CLOSED:
                return True
            if state == HALF_OPEN and not self._probe_out:
                self._probe_out = True
                return True
            return False

    def retry_in(self) -> float:
        """Seconds until the breaker lets a probe through (0 when it would now)."""
        with self._lock:
            now = self._clock()
            if self._current(now) != OPEN:
                return 0.0
            return max(0.0, self.cooldown - (now - self._opened_at))

    def success(self) -> None:
        """Count a success. Only the probe closes an open breaker.

        Why: calls sent before the breaker opened keep answering after it; such a stale
        success says nothing about the service now, so while open (or half-open with no
        probe out) it is ignored, and only the probe's own success closes the breaker.
        """
        with self._lock:
            state = self._current(self._clock())
            if state == CLOSED:
                self._failures = 0
                return
            if state == OPEN or not self._probe_out:
                return
            self.closed_again += 1
            self._state = CLOSED
            self._failures = 0
            self._probe_out = False

    def failure(self) -> bool:
        """Count a failure; True when this one opened the breaker."""
        with self._lock:
            now = self._clock()
            state = self._current(now)
            self._failures += 1
            if state == HALF_OPEN or (state == CLOSED and self._failures >= self.threshold):
                self._state = OPEN
                self._opened_at = now
                self._probe_out = False
                self.opened += 1
                return True
            return False
