"""A pool of HTTP proxies for the Yahoo requests: round-robin, per-proxy health, eviction, re-admission.

Why: Yahoo limits each client address. Spreading the requests over several proxies spreads
that limit, but a proxy is a machine of its own that can die, hang or be throttled by Yahoo
while the others work. So each proxy keeps its own record (requests, successes, 429s,
timeouts, other transport errors) and is taken out of the rotation when it goes bad:

- after `max_consecutive_failures` transport failures in a row (refused, reset, timed out:
  a dead or hanging proxy), or
- when its success share over the last `window` answers falls below `min_success_share`
  (a proxy whose address Yahoo throttles: mostly 429s), once it has `window` answers.

An evicted proxy comes back after a cool-down, which doubles each time the same proxy is
evicted again (capped at `max_cooldown_s`), and starts again with a clean window. While it is
out the others carry the load. When every proxy is out, `choose()` says so (`PoolExhausted`,
with the time until the first comes back); the caller decides whether to wait, refuse, or go
direct (only when the setting allows it: a user who configured proxies may not want their own
address to reach Yahoo at all).

Pure logic with an injectable clock; thread-safe. No Dagster, no HTTP.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

OK, THROTTLED, TIMEOUT, ERROR = "ok", "throttled", "timeout", "error"
OUTCOMES = (OK, THROTTLED, TIMEOUT, ERROR)
SCHEMES = ("http", "https", "socks5", "socks5h")


class ProxyConfigError(ValueError):
    """A proxy setting the pool cannot use (says which entry and why)."""


class PoolExhausted(RuntimeError):
    """Every proxy is evicted; `retry_in_s` is when the first one is re-admitted."""

    def __init__(self, size: int, retry_in_s: float):
        self.size = size
        self.retry_in_s = retry_in_s
        super().__init__(f"all {size} proxies are evicted (failing); the first is re-admitted in {retry_in_s:.0f}s")


def redact(url: str) -> str:
    """`scheme://host:port` with any user and password left out: what logs and reports show."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port}"


def parse_proxy_list(raw: str) -> tuple[str, ...]:
    """Comma- or newline-separated proxy URLs (`#` starts a comment) -> validated, de-duplicated URLs."""
    urls: list[str] = []
    for line in raw.replace(",", "\n").splitlines():
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        parts = urlsplit(entry)
        if parts.scheme not in SCHEMES:
            raise ProxyConfigError(f"proxy {redact_text(entry)!r}: scheme must be one of {', '.join(SCHEMES)}")
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise ProxyConfigError(f"proxy {redact_text(entry)!r}: needs a host and a port, e.g. http://10.0.0.5:3128")
        if entry not in urls:
            urls.append(entry)
    return tuple(urls)


def redact_text(entry: str) -> str:
    """An unparsed entry with anything before an `@` (credentials) masked."""
    if "@" not in entry:
        return entry
    scheme, _, rest = entry.rpartition("://")
    return f"{scheme}://***@{rest.split('@', 1)[1]}" if scheme else "***@" + entry.split("@", 1)[1]


@dataclass
class ProxyHealth:
    """One proxy's record: what the fetch report shows per proxy."""

    url: str
    requests: int = 0
    ok: int = 0
    throttled: int = 0
    timeouts: int = 0
    errors: int = 0
    evictions: int = 0
    consecutive_failures: int = 0
    evicted_until: float | None = None  # clock time of re-admission; None while in the rotation
    recent: deque = field(default_factory=deque)  # last `window` outcomes: True = ok

    def summary(self, now: float) -> dict:
        return {
            "proxy": redact(self.url), "requests": self.requests, "ok": self.ok,
            "throttled": self.throttled, "timeouts": self.timeouts, "errors": self.errors,
            "success_share": round(self.ok / self.requests, 3) if self.requests else None,
            "evictions": self.evictions,
            "state": "evicted" if self.evicted_until is not None and now < self.evicted_until else "in rotation",
        }


class ProxyPool:
    """Round-robin over the proxies in rotation; `report()` after every answer or failure."""

    def __init__(self, urls: Iterable[str], *, window: int = 20, min_success_share: float = 0.5,
                 max_consecutive_failures: int = 3, cooldown_s: float = 60.0, max_cooldown_s: float = 900.0,
                 clock: Callable[[], float] = time.monotonic):
        self._proxies = [ProxyHealth(url) for url in dict.fromkeys(urls)]
        if not self._proxies:
            raise ProxyConfigError("a proxy pool needs at least one proxy")
        if window < 1 or max_consecutive_failures < 1:
            raise ProxyConfigError("window and max_consecutive_failures must be at least 1")
        if not 0.0 <= min_success_share <= 1.0:
            raise ProxyConfigError(f"min_success_share={min_success_share} must be within [0, 1]")
        if cooldown_s <= 0 or max_cooldown_s < cooldown_s:
            raise ProxyConfigError("cooldown_s must be > 0 and max_cooldown_s >= cooldown_s")
        self.window = window
        self.min_success_share = min_success_share
        self.max_consecutive_failures = max_consecutive_failures
        self.cooldown_s = cooldown_s
        self.max_cooldown_s = max_cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0

    def __len__(self) -> int:
        return len(self._proxies)

    def choose(self) -> str:
        """The next proxy in rotation (round-robin); re-admits those whose cool-down is over."""
        with self._lock:
            now = self._clock()
            n = len(self._proxies)
            for step in range(n):
                health = self._proxies[(self._next + step) % n]
                if health.evicted_until is not None and now >= health.evicted_until:
                    health.evicted_until = None  # re-admitted: a clean slate, the eviction count kept
                    health.consecutive_failures = 0
                    health.recent.clear()
                if health.evicted_until is None:
                    self._next = (self._next + step + 1) % n
                    return health.url
            raise PoolExhausted(n, min(h.evicted_until for h in self._proxies) - now)

    def report(self, url: str, outcome: str) -> bool:
        """Record how a request through `url` went; True when this evicted it."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        with self._lock:
            health = next((h for h in self._proxies if h.url == url), None)
            if health is None or health.evicted_until is not None:
                return False  # an answer arriving after the eviction changes nothing
            health.requests += 1
            if outcome == OK:
                health.ok += 1
            elif outcome == THROTTLED:
                health.throttled += 1
            elif outcome == TIMEOUT:
                health.timeouts += 1
            else:
                health.errors += 1
            transport_failure = outcome in (TIMEOUT, ERROR)
            health.consecutive_failures = health.consecutive_failures + 1 if transport_failure else 0
            health.recent.append(outcome == OK)
            while len(health.recent) > self.window:
                health.recent.popleft()
            failing = health.consecutive_failures >= self.max_consecutive_failures
            full = len(health.recent) >= self.window
            if failing or (full and sum(health.recent) / len(health.recent) < self.min_success_share):
                cooldown = min(self.max_cooldown_s, self.cooldown_s * 2 ** health.evictions)
                health.evictions += 1
                health.evicted_until = self._clock() + cooldown
                return True
            return False

    def summary(self) -> list[dict]:
        """Per-proxy figures (credentials redacted), in configuration order."""
        with self._lock:
            now = self._clock()
            return [h.summary(now) for h in self._proxies]
