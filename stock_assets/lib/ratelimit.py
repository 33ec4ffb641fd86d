"""An adaptive rate limiter that finds a limit nobody tells it: how fast we may ask Yahoo.

Why probing: Yahoo publishes no limit and throttles without warning (HTTP 429), and the limit
differs by night, by host and by how its own buckets work (a token bucket, a fixed window).
Any fixed rate, or any back-off tuned to one limit, is either too slow on a good night or a
storm of 429s on a bad one (ADR 0017). So the limiter learns the limit from Yahoo's answers:

- **Pacing.** A token bucket with a small burst: requests leave evenly spaced at `rate`.
- **Learning from a throttle.** A 429 means we sent faster than Yahoo admits. What Yahoo
  *did* admit (answers other than 429, counted by the time their requests were sent) in the
  `window` before the throttled request is the estimate of its limit; the rate goes to
  `margin` x that estimate, and down by no more than the gentle step (`gentle`) unless the
  estimate says so. A 429 on a request sent before the last cut was in flight and is not
  counted again; soon after a cut only a lower estimate cuts again (a fixed window stays
  shut until it ends); an answer that comes back late for a request sent before the
  throttled one redoes the cut with it. Nothing admitted at all: halve, per round trip.
- **Retry-After.** When Yahoo says when to come back, no token is handed out before then.
  An overshoot now costs a whole pause, so such a throttle steps down twice as far, no
  probing above the margin follows for `pause / probe_cost`, and a throttle while holding
  below the limit widens the margin (our requests reach Yahoo less evenly than we send them).
- **Probing up.** While callers wait for tokens (the limiter is what holds the run back) and
  no throttle came for `hold` seconds, the rate grows: fast (`grow` per second) while it is
  far from any limit seen, slowly (`probe` per second) near the last estimate, so a run at
  the limit meets a 429 only now and then, and a limit that rose is found again.
- **Bounds.** Never below `min_rate`, never above `max_rate`.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BucketState:
    """What the run log shows: the current rate, the limit learnt, how often it was cut."""

    rate: float
    max_rate: float
    tokens: float
    throttles: int
    waited_s: float
    limit_estimate: float | None = None
    throttled_requests: int = 0
    paused_s: float = 0.0

    def describe(self) -> str:
        learnt = f", limit learnt {self.limit_estimate:.1f}" if self.limit_estimate else ""
        return (f"rate {self.rate:.1f}/{self.max_rate:.1f} req/s{learnt}, throttled {self.throttles}x "
                f"({self.throttled_requests} answers 429), waited {self.waited_s:.1f}s")


class Cancelled(RuntimeError):
    """The wait for a token was abandoned because the caller is stopping."""


class AdaptiveTokenBucket:
    """Thread-safe pacing whose rate follows the limit the server shows (see module doc)."""

    def __init__(self, rate: float, burst_s: float = 0.05, min_rate: float = 0.2,
                 max_rate: float | None = None, margin: float = 0.95, gentle: float = 0.9,
                 grow: float = 0.5, probe: float = 0.02, hold: float = 1.0, window: float = 1.0,
                 probe_cost: float = 0.05, max_pause: float = 120.0,
                 clock: Callable[[], float] = time.monotonic):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.max_rate = float(max(rate, max_rate or rate))
        self.rate = float(rate)
        self.burst_s = burst_s
        self.min_rate = min(min_rate, rate)
        self.margin, self.gentle, self.grow, self.probe = margin, gentle, grow, probe
        self._margin = margin  # widens when Retry-After throttles come even at the margin
        self.hold, self.window, self.max_pause, self.probe_cost = hold, window, max_pause, probe_cost
        self._clock = clock
        now = clock()
        self._started = now
        self._tokens = self.burst
        self._plateau_until = -math.inf  # no probing near the limit before then (after a pause)
        self._stamp = now
        self._grown_at = now
        self._last_cut = -math.inf
        self._cut_sent = -math.inf  # send time of the request whose 429 made the last cut
        self._cut_from = 0.0  # the rate before that cut  # no mutate: read only once a cut has set it
        self._short_at = -math.inf  # when a caller last found no token: we are the bottleneck
        self._pause_until = -math.inf
        self._admitted: list[float] = []  # send times of requests answered other than 429
        self._last_admitted = now
        self._lock = threading.Lock()
        self.limit_estimate: float | None = None
        self.throttles = 0
        self.throttled_requests = 0
        self.waited_s = 0.0
        self.paused_s = 0.0

    # -- rate ---------------------------------------------------------------------------
    @property
    def burst(self) -> float:
        """Tokens that may leave at once: `burst_s` seconds' worth of the current rate, at least 1."""
        return max(1.0, self.rate * self.burst_s)

    def _refill(self, now: float) -> None:
        self._grow(now)
        # nothing accrues while Yahoo asked us to wait; the first token is due as the pause ends
        since = max(self._stamp, self._pause_until - 1.0 / self.rate)
        if now > since:
            self._tokens = min(self.burst, self._tokens + (now - since) * self.rate)
        self._stamp = now

    def _grow(self, now: float) -> None:
        elapsed, self._grown_at = now - self._grown_at, now
        if (elapsed <= 0 or now - self._last_cut < self.hold or now - self._short_at > 1.0
                or now < self._pause_until or self.rate >= self.max_rate):
            return
        known = self.limit_estimate
        near = known is not None and self.rate >= self._margin * known * self.gentle and self.rate <= known * 1.1
        ceiling = self.max_rate
        if near and now < self._plateau_until:  # back up to the margin below the limit, no further
            ceiling = min(ceiling, self._margin * known)
            if self.rate >= ceiling:
                return
        step = self.probe if near else self.grow
        self.rate = min(ceiling, self.rate * math.exp(step * elapsed))

    def _admitted_rate(self, until: float) -> float:
        """Answers other than 429 per second, for requests sent in the `window` before `until`."""
        lo = bisect.bisect_left(self._admitted, until - self.window)
        hi = bisect.bisect_right(self._admitted, until)
        return (hi - lo) / self.window

    # -- the callers' side --------------------------------------------------------------
    def try_acquire(self) -> float:
        """Take a token now (returns 0.0) or say how many seconds until one is due."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            if now < self._pause_until:
                return self._pause_until - now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            self._short_at = now
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

    def admitted(self, sent_at: float) -> None:
        """A request sent at `sent_at` was answered, not throttled (200, 404, 5xx alike)."""
        with self._lock:
            bisect.insort(self._admitted, sent_at)
            self._last_admitted = max(self._last_admitted, self._clock())
            if self._cut_sent - self.window <= sent_at <= self._cut_sent:
                # an answer the last cut did not know of yet (a 200 with a big body can come
                # back after a small 429 sent later): redo that cut with it
                seen = self._admitted_rate(self._cut_sent)
                self.limit_estimate = seen
                self.rate = max(self.rate, min(self._cut_from * self.gentle, self._margin * seen))
            cutoff = bisect.bisect_left(self._admitted, sent_at - 4 * self.window)
            if cutoff > 64:
                del self._admitted[:cutoff]

    def throttled(self, sent_at: float | None = None, retry_after: float | None = None) -> bool:
        """Yahoo said 429 to a request sent at `sent_at`: learn from it. True when the rate was cut.

        `retry_after` (seconds, from the header) pauses every caller until then, capped at
        `max_pause` so that a wrong header cannot park a run for hours.
        """
        with self._lock:
            now = self._clock()
            self._refill(now)
            sent_at = now if sent_at is None else sent_at
            self.throttled_requests += 1
            held = False
            if retry_after is not None and retry_after > 0:
                pause = min(retry_after, self.max_pause)
                if now + pause > self._pause_until:  # no mutate: when equal, both branches leave the same state
                    self.paused_s += now + pause - max(now, self._pause_until)
                    self._pause_until = now + pause
                # each overshoot now costs a whole pause: probe rarely enough that probing
                # costs at most `probe_cost` of the time
                held = now < self._plateau_until
                self._plateau_until = max(self._plateau_until, now + pause / self.probe_cost)
            if sent_at < self._last_cut:
                return False  # in flight before the last cut: already accounted for
            seen = self._admitted_rate(sent_at)
            if retry_after and held and seen > 0 and self.rate <= self._margin * seen * 1.001:
                # throttled again while held below what Yahoo admits, not probing: our requests
                # reach Yahoo less evenly than we send them (a loaded CPU): keep further off
                self._margin = max(0.7, self._margin * 0.95)
            if seen <= 0:
                target = self.rate * 0.5  # nothing got through: we know only that it is lower
            elif sent_at - self._last_cut < self.window:
                # Soon after a cut (a fixed window stays shut until it ends): cut again only
                # if what got through says we are still clearly above the limit.
                if self._margin * seen >= self.rate:
                    return False
                target = self._margin * seen
            else:
                # under Retry-After every overshoot costs a pause: step down twice as far
                step = self.gentle ** 2 if retry_after else self.gentle
                target = min(self.rate * step, self._margin * seen)
            self.limit_estimate = seen or None
            self._cut_sent, self._cut_from = sent_at, self.rate
            self.rate = max(self.min_rate, target)
            self._last_cut = now
            self.throttles += 1
            self._tokens = min(self._tokens, 0.0)
            return True

    def seconds_since_admitted(self) -> float:
        """How long nothing but 429s came back (since the start when nothing came back yet)."""
        with self._lock:
            return self._clock() - self._last_admitted

    def state(self) -> BucketState:
        with self._lock:
            self._refill(self._clock())
            return BucketState(self.rate, self.max_rate, self._tokens, self.throttles, self.waited_s,
                               self.limit_estimate, self.throttled_requests, self.paused_s)
