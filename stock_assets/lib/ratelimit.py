"""An adaptive token bucket: how fast we may ask Yahoo, learnt from how Yahoo answers.

Why adaptive: Yahoo publishes no limit and throttles without warning (HTTP 429). A fixed
rate is either too slow on a good night or a 429 storm on a bad one. The bucket halves its
rate on every throttle signal (not more than once per `cooldown` seconds, so one burst of
429s from requests already in flight counts once) and, after `quiet` seconds without a
throttle, grows it back by `recover_step` of the ceiling per quiet period.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BucketState:
    """What the run log shows: the current rate and how often it was cut."""

    rate: float
    max_rate: float
    tokens: float
    throttles: int
    waited_s: float

    def describe(self) -> str:
        return (f"rate {self.rate:.1f}/{self.max_rate:.1f} req/s, throttled {self.throttles}x, "
                f"waited {self.waited_s:.1f}s")


class Cancelled(RuntimeError):
    """The wait for a token was abandoned because the caller is stopping."""


class AdaptiveTokenBucket:
    """Thread-safe token bucket whose rate backs off on throttling and recovers when quiet."""

    def __init__(self, rate: float, burst: float | None = None, min_rate: float = 0.2,
                 backoff: float = 0.5, quiet: float = 30.0, recover_step: float = 0.1,
                 cooldown: float = 1.0, clock: Callable[[], float] = time.monotonic):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.max_rate = float(rate)
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, rate))
        self.min_rate = min(min_rate, rate)
        self.backoff = backoff
        self.quiet = quiet
        self.recover_step = recover_step
        self.cooldown = cooldown
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._last_throttle: float | None = None
        self._last_recover = self._stamp
        self._lock = threading.Lock()
        self.throttles = 0
        self.waited_s = 0.0

    def _refill(self, now: float) -> None:
        self._recover(now)
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def _recover(self, now: float) -> None:
        if self.rate >= self.max_rate:
            return
        since = now - max(self._last_throttle or 0.0, self._last_recover)
        steps = int(since // self.quiet)
        if steps > 0:
            self.rate = min(self.max_rate, self.rate + steps * self.recover_step * self.max_rate)
            self._last_recover = now

    def try_acquire(self) -> float:
        """Take a token now (returns 0.0) or say how many seconds until one is due."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate

    def acquire(self, stop: threading.Event | None = None,
                sleep: Callable[[float], None] | None = None) -> float:
        """Block until a token is free; seconds waited. Raises Cancelled when `stop` is set."""
        waited = 0.0
        while True:
            if stop is not None and stop.is_set():
                raise Cancelled("stopping: no more requests")
            due = self.try_acquire()
            if due <= 0.0:
                if waited:
                    with self._lock:
                        self.waited_s += waited
                return waited
            step = min(due, 0.5)
            if sleep is not None:
                sleep(step)
            elif stop is not None:
                stop.wait(step)
            else:
                time.sleep(step)
            waited += step

    def throttled(self) -> bool:
        """Yahoo said 429: cut the rate (once per cooldown). True when the rate was cut."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            if self._last_throttle is not None and now - self._last_throttle < self.cooldown:
                return False
            self._last_throttle = now
            self.throttles += 1
            self.rate = max(self.min_rate, self.rate * self.backoff)
            self._tokens = min(self._tokens, 0.0)
            return True

    def state(self) -> BucketState:
        with self._lock:
            self._refill(self._clock())
            return BucketState(self.rate, self.max_rate, self._tokens, self.throttles, self.waited_s)
