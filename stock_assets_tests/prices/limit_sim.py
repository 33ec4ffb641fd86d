"""A discrete-event simulation: the real limiter, a simulated client and a simulated Yahoo.

Why: the limiter's job is to find a limit it is not told, for servers that throttle in
different ways. Against real sockets each condition costs seconds of wall time and CPU; on a
simulated clock a 20-second run takes milliseconds and always goes the same way, so the
tests can sweep limits, latencies and throttling styles and assert on the efficiency.

The client has `in_flight` workers; each takes a token, sends, waits `latency`, and on a 429
sends the same request again (the paced queue). The server is a token bucket (capacity one
second's worth, starting full; a 429 costs no token) or a fixed one-second window, and may
send `Retry-After` (whole seconds, as HTTP has it).
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from stock_assets.lib.ratelimit import AdaptiveTokenBucket


class SimClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SimServer:
    def __init__(self, limit: float, style: str = "bucket", retry_after: bool = False,
                 error_share: float = 0.0, seed: int = 0):
        self.limit, self.style, self.retry_after = limit, style, retry_after
        self.error_share, self.rng = error_share, random.Random(seed)
        self.tokens, self.stamp = limit, 0.0
        self.window, self.count = 0, 0

    def answer(self, t: float) -> tuple[int, float | None]:
        """(status, Retry-After seconds or None) for a request arriving at `t`."""
        if self.style == "bucket":
            self.tokens = min(self.limit, self.tokens + (t - self.stamp) * self.limit)
            self.stamp = t
            ok = self.tokens >= 1.0
            if ok:
                self.tokens -= 1.0
            wait = max(1, math.ceil((1.0 - self.tokens) / self.limit))
        else:
            if int(t) != self.window:
                self.window, self.count = int(t), 0
            ok = self.count + 1 <= self.limit
            if ok:
                self.count += 1
            wait = max(1, math.ceil(self.window + 1 - t))
        if not ok:
            return 429, (float(wait) if self.retry_after else None)
        if self.error_share and self.rng.random() < self.error_share:
            return 500, None
        return 200, None


@dataclass
class SimResult:
    seconds: float
    optimum: float
    requests: int
    throttled: int
    final_rate: float

    @property
    def efficiency(self) -> float:
        return self.optimum / self.seconds


def simulate(limit: float, needed: int, latency: float = 0.05, style: str = "bucket",
             retry_after: bool = False, in_flight: int = 32, start_rate: float = 100.0,
             limiter: Callable[[SimClock], AdaptiveTokenBucket] | None = None,
             max_seconds: float = 600.0) -> SimResult:
    """Run `needed` requests through the limiter against a server admitting `limit` per second."""
    clock = SimClock()
    bucket = limiter(clock) if limiter else AdaptiveTokenBucket(
        rate=start_rate, max_rate=200.0, min_rate=0.5, clock=clock)
    server = SimServer(limit, style, retry_after)
    events: list[tuple[float, int, str, float]] = []  # (time, worker, kind, sent_at)
    for w in range(min(in_flight, needed)):
        heapq.heappush(events, (0.0, w, "ready", 0.0))
    started, done, sent, throttled = min(in_flight, needed), 0, 0, 0
    while events and done < needed:
        t, w, kind, sent_at = heapq.heappop(events)
        if t > max_seconds:
            break
        clock.now = t
        if kind == "ready":
            due = bucket.try_acquire()
            if due > 0:
                heapq.heappush(events, (t + min(max(due, 1e-4), 0.5), w, "ready", 0.0))
                continue
            sent += 1
            status, wait = server.answer(t)
            heapq.heappush(events, (t + latency, w, f"answer{status}:{wait or ''}", t))
            continue
        status, _, wait = kind[6:].partition(":")
        if status == "429":
            throttled += 1
            bucket.throttled(sent_at, float(wait) if wait else None)
            heapq.heappush(events, (t, w, "ready", 0.0))
            continue
        bucket.admitted(sent_at)
        done += 1
        if started < needed:
            started += 1
            heapq.heappush(events, (t, w, "ready", 0.0))
    return SimResult(clock.now, needed / limit + latency, sent, throttled, bucket.state().rate)
