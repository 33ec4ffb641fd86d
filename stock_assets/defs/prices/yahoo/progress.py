"""The fetch-progress log: batches done of total, symbols/s, retries, ETA, limiter state.

Why: a 5,500-symbol night takes minutes; a person watching the run log must see whether it
moves, how fast, and whether Yahoo is throttling, without waiting for the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class FetchProgress:
    """Thread-safe counters plus a rate-limited log line (at most one per `every` seconds)."""

    def __init__(self, total_symbols: int, log: Callable[[str], None] | None,
                 state: Callable[[], str] = lambda: "", every: float = 2.0,
                 clock: Callable[[], float] = time.monotonic):
        self.total_symbols = total_symbols
        self.log = log or (lambda line: None)
        self.state = state
        self.every = every
        self._clock = clock
        self._lock = threading.Lock()
        self.started = clock()
        self._last_line = 0.0
        self.batches_total = 0
        self.batches_done = 0
        self.symbols_done = 0
        self.retries = 0
        self.fallbacks = 0
        self.phase = "batches"

    def plan(self, batches: int, phase: str) -> None:
        with self._lock:
            self.batches_total += batches
            self.phase = phase

    def batch_done(self, symbols_finished: int) -> None:
        with self._lock:
            self.batches_done += 1
            self.symbols_done += symbols_finished
        self.maybe_log()

    def retried(self, count: int = 1) -> None:
        with self._lock:
            self.retries += count

    def fell_back(self, count: int = 1) -> None:
        with self._lock:
            self.fallbacks += count

    def rate(self) -> float:
        elapsed = max(1e-9, self._clock() - self.started)
        return self.symbols_done / elapsed

    def line(self) -> str:
        with self._lock:
            elapsed = self._clock() - self.started
            rate = self.symbols_done / elapsed if elapsed > 0 else 0.0
            left = max(0, self.total_symbols - self.symbols_done)
            eta = f"{left / rate:.0f}s" if rate > 0 else "?"
            line = (f"yahoo fetch [{self.phase}]: batches {self.batches_done}/{self.batches_total}, "
                    f"symbols {self.symbols_done}/{self.total_symbols}, {rate:.1f} symbols/s, "
                    f"retries {self.retries}, per-symbol fallbacks {self.fallbacks}, ETA {eta}")
        extra = self.state()
        return f"{line}; {extra}" if extra else line

    def maybe_log(self, force: bool = False) -> None:
        now = self._clock()
        with self._lock:
            due = force or now - self._last_line >= self.every or self.batches_done == self.batches_total
            if due:
                self._last_line = now
        if due:
            self.log(self.line())
