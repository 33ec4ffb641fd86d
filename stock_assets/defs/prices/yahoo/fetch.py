"""The fetcher: a paced queue of single symbols (or yf.download batches) on a thread pool, retry passes.

Why passes rather than per-call retries: the whole first pass runs, then every retryable
failure is retried together, per symbol (`Ticker.history`), via the one retry helper
(`lib/retry.py`). The backoff schedule ([10, 30, 120, 600] s by default) is for outages:
a retry pass waits for it only when the circuit breaker opened during the pass before.
Isolated failures (a 5xx, a timeout, an empty answer) are retried at once, paced like
every request: waiting 10 s for two symbols while nothing else is asked only lengthens
the run (ADR 0017). Throttled requests never get here unless a storm outlasts the
session's requeues (`session.py`). Nothing is lost: every symbol ends with bars or with a
coded failure, and a stop request (run cancelled) ends the fetch at once with the symbols
not fetched named on the exception.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from stock_assets.defs.prices.yahoo import errors as yahoo_errors
from stock_assets.defs.prices.yahoo import frames as yahoo_frames
from stock_assets.defs.prices.yahoo.progress import FetchProgress
from stock_assets.defs.prices.yahoo.session import FetchCancelled, YahooSession
from stock_assets.lib import calendar, markets
from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.retry import RetryPolicy, retry



def import_yfinance():
    """yfinance, imported on first use (~0.8 s), with its pandas-3 deprecation noise silenced.

    yfinance 1.7 calls pandas APIs that pandas 3 deprecates (`sort_index(inplace=True)` once
    per symbol). The filter goes in *after* the import: yfinance's own
    `filterwarnings('default', DeprecationWarning, '^yfinance')` at import time would otherwise
    win, and a night of 8,782 symbols printed one warning per symbol into the run's logs.
    """
    import yfinance as yf

    warnings.filterwarnings("ignore", message="The inplace keyword", module=r"yfinance(\..*)?")
    return yf


_POOL_LOCK = threading.Lock()


def size_yfinance_pool(threads: int) -> None:
    """Let `threads` yfinance downloads be in flight at once, across every batch of the process.

    Why: `yf.download(threads=n)` runs each symbol as a `multitasking` task, and multitasking
    creates its pool once, at import, with one slot per CPU core; `set_max_threads` (what
    yfinance calls) only affects pools created later. On 2 cores that meant 2 requests in
    flight for the whole process, whatever our workers and threads: ~25 symbols/s at 50 ms
    latency (docs/performance.md). A pool of our own, made the active one, lifts the bound.
    """
    import multitasking

    name = f"stock_assets_yahoo_{threads}"
    with _POOL_LOCK:
        if name in multitasking.config["POOLS"]:
            multitasking.config["POOL_NAME"] = name  # made before: make it the active one again
        else:
            multitasking.createPool(name=name, threads=threads)  # creates and activates it


@dataclass(frozen=True)
class FetchPlan:
    """The knobs of one fetch (from the resource's config)."""

    batch_size: int = 0  # 0: a paced queue of single symbols; n > 0: batches of n via yf.download
    max_workers: int = 4
    threads_per_batch: int = 8
    timeout: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_empty_attempts: int = 2


@dataclass
class Outcome:
    """Per symbol: its rows, or its last failure (code, message) and attempts."""

    bars: dict[str, pl.DataFrame] = field(default_factory=dict)
    actions: dict[str, pl.DataFrame] = field(default_factory=dict)
    failed: dict[str, tuple[ErrorCode, str]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)


class RetryableLeft(RuntimeError):
    """A pass ended with symbols worth another try; `retry()` waits and runs the next pass."""

    def __init__(self, symbols: list[str]):
        super().__init__(f"{len(symbols)} symbols failed with a retryable code")
        self.symbols = symbols


def request_window(sessions: Sequence[dt.date], today: dt.date) -> tuple[str, str]:
    """[first session, tomorrow): the answer then carries every split after each date."""
    end = max(today, max(sessions)) + dt.timedelta(days=1)
    return min(sessions).isoformat(), end.isoformat()


class BatchFetcher:
    """One fetch of many symbols; not reused across runs (it holds the run's stop event)."""

    def __init__(self, session: YahooSession, plan: FetchPlan, stop: threading.Event,
                 progress: FetchProgress, log: Callable[[str], None], today: dt.date | None = None):
        yf = import_yfinance()  # only when Yahoo is really used
        if plan.batch_size > 0:
            size_yfinance_pool(plan.max_workers * plan.threads_per_batch)
        yf.config.debug.hide_exceptions = False  # failures must raise, so they can be coded
        self.yf = yf
        self.session = session
        self.plan = plan
        self.stop = stop
        self.progress = progress
        self.log = log
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.outcome = Outcome()
        self._lock = threading.Lock()

    # -- one symbol / one batch ---------------------------------------------------------
    def _record(self, symbol: str, bars: pl.DataFrame | None, acts: pl.DataFrame | None,
                failure: tuple[ErrorCode, str] | None) -> None:
        with self._lock:
            self.outcome.attempts[symbol] = self.outcome.attempts.get(symbol, 0) + 1
            if failure is None:
                self.outcome.bars[symbol] = bars
                self.outcome.actions[symbol] = acts
                self.outcome.failed.pop(symbol, None)
            else:
                self.outcome.failed[symbol] = failure

    def _history(self, symbol: str, sessions, start: str, end: str) -> None:
        """Per-symbol fallback through `Ticker.history`, exceptions not hidden."""
        if self.stop.is_set():
            raise FetchCancelled()
        self.session.forget([symbol])
        err: BaseException | None = None
        frame = None
        try:
            frame = self.yf.Ticker(symbol, session=self.session).history(
                start=start, end=end, auto_adjust=False, actions=True, timeout=self.plan.timeout)
        except FetchCancelled:
            raise
        except Exception as caught:  # noqa: BLE001 - classified below
            err = caught
        if self.stop.is_set():
            raise FetchCancelled()
        seen = self.session.observation(symbol)
        bars, acts = (yahoo_frames.to_rows(symbol, frame, sessions, seen.currency if seen else None)
                      if err is None else (None, None))
        if bars is not None and bars.height:
            self._record(symbol, bars, acts, None)
        else:
            obs = self.session.observation(symbol)
            self._record(symbol, None, None, (yahoo_errors.code_for(err, obs), yahoo_errors.message_for(err, obs)))

    def _batch(self, symbols: list[str], sessions, start: str, end: str) -> None:
        if self.stop.is_set():
            raise FetchCancelled()
        self.session.forget(symbols)
        threads = self.plan.threads_per_batch if self.plan.threads_per_batch > 1 and len(symbols) > 1 else False
        try:
            data = self.yf.download(
                symbols, start=start, end=end, auto_adjust=False, actions=True, multi_level_index=False,
                group_by="ticker", threads=threads, progress=False, session=self.session,
                timeout=self.plan.timeout)
        except Exception:  # noqa: BLE001 - the whole batch failed: every symbol falls back
            data = None
        if self.stop.is_set():
            raise FetchCancelled()
        frames = yahoo_frames.per_symbol(data, symbols)
        for symbol in symbols:
            obs = self.session.observation(symbol)
            bars, acts = yahoo_frames.to_rows(symbol, frames.get(symbol), sessions, obs.currency if obs else None)
            # a symbol has bars only on its own market's sessions (ADR 0019)
            wanted = len([d for d in sessions if calendar.is_session(d, markets.market_of(symbol).calendar)])
            if bars.height == wanted:
                self._record(symbol, bars, acts, None)
                continue
            code = yahoo_errors.code_for(None, obs) if obs is not None else None
            if obs is not None and obs.status is not None and obs.status != 200 and not bars.height:
                # Yahoo said no with a status: record it; retryable ones come back next pass.
                self._record(symbol, None, None, (code, yahoo_errors.message_for(None, obs)))
                continue
            if obs is not None and obs.error is not None and not bars.height:
                self._record(symbol, None, None, (code, yahoo_errors.message_for(None, obs)))
                continue
            # A 200 that came back empty or partial (yfinance's silent failure): ask once more, alone.
            self.progress.fell_back()
            self._history(symbol, sessions, start, end)
            if symbol in self.outcome.failed and bars.height:
                self._record(symbol, bars, acts, None)  # partial beats nothing; the gap shows in completeness

    # -- passes ---------------------------------------------------------------------------
    def _run_pass(self, todo: list[str], sessions, start: str, end: str, per_symbol: bool, first: bool) -> None:
        """One pass over `todo`: batches of yf.download, or a paced queue of single symbols.

        The queue (`per_symbol`): `max_workers x threads_per_batch` workers take one symbol
        at a time, and each symbol is parsed as soon as it is answered, so the CPU work
        overlaps the waiting for tokens and no batch's post-processing is left for the end.
        """
        size = 1 if per_symbol else self.plan.batch_size
        chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
        workers = self.plan.max_workers * (self.plan.threads_per_batch if per_symbol else 1)
        phase = ("symbols" if first else "per-symbol retry") if per_symbol else "batches"
        self.progress.plan(len(chunks), phase)
        pool = cf.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="yahoo")
        work = (lambda c: self._history(c[0], sessions, start, end)) if per_symbol else \
            (lambda c: self._batch(c, sessions, start, end))
        futures = {pool.submit(work, chunk): chunk for chunk in chunks}
        try:
            pending = set(futures)
            while pending:
                done, pending = cf.wait(pending, timeout=0.25, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    chunk = futures[fut]
                    err = fut.exception()
                    if isinstance(err, FetchCancelled):
                        continue
                    if err is not None:  # a bug or an unforeseen error: the chunk fails coded, not lost
                        for symbol in chunk:
                            self._record(symbol, None, None, (yahoo_errors.code_for(err, None),
                                                              yahoo_errors.message_for(err, None)))
                    # symbols count as done once their first pass is over (stored or coded)
                    self.progress.batch_done(len(chunk) if first else 0)
                if not done:
                    self.progress.maybe_log()
        except BaseException:
            self.stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _retryable_left(self, todo: list[str]) -> list[str]:
        left = []
        for symbol in todo:
            failure = self.outcome.failed.get(symbol)
            if failure is None:
                continue
            code = failure[0]
            if code == ErrorCode.YFEMPTY and self.outcome.attempts.get(symbol, 0) >= self.plan.max_empty_attempts:
                continue
            if yahoo_errors.retryable(code):
                left.append(symbol)
        return left

    def run(self, symbols: Sequence[str], sessions: Sequence[dt.date]) -> Outcome:
        """Fetch everything; raises the interrupt (with `.unfetched_symbols`) when stopped."""
        start, end = request_window(sessions, self.today)
        breaker = self.session.breaker
        state = {"todo": list(dict.fromkeys(symbols)), "pass": 0, "opened": breaker.opened, "outage": False}

        def one_pass() -> None:
            first = state["pass"] == 0
            per_symbol = not first or self.plan.batch_size <= 0
            state["pass"] += 1
            state["opened"] = breaker.opened
            self._run_pass(state["todo"], sessions, start, end, per_symbol, first)
            left = self._retryable_left(state["todo"])
            if left:
                state["todo"] = left
                state["outage"] = breaker.opened > state["opened"] or breaker.state != "closed"
                raise RetryableLeft(left)

        def on_retry(attempt: int, err: BaseException, wait: float) -> None:
            self.progress.retried(len(err.symbols))
            when = (f"in {max(wait, breaker.retry_in()):.1f}s (the circuit breaker opened: an outage)"
                    if state["outage"] else "at once (no outage: the breaker stayed closed)")
            self.log(f"yahoo fetch: pass {attempt} left {len(err.symbols)} symbols with retryable failures "
                     f"({self._codes(err.symbols)}); per-symbol retry {when}")

        def sleep(seconds: float) -> None:
            if not state["outage"]:
                return
            wait = max(seconds, breaker.retry_in())
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self.stop.wait(min(0.25, max(0.0, deadline - time.monotonic()))):
                    raise FetchCancelled()

        try:
            retry(one_pass, self.plan.retry, retry_on=lambda e: isinstance(e, RetryableLeft),
                  sleep=sleep, on_retry=on_retry)
        except RetryableLeft:
            pass  # the schedule ran out: the last codes stand
        except BaseException as err:
            self.stop.set()
            err.unfetched_symbols = [s for s in symbols if s not in self.outcome.bars]  # type: ignore[attr-defined]
            raise
        return self.outcome

    def _codes(self, symbols: list[str]) -> str:
        counts: dict[str, int] = {}
        for s in symbols:
            code = str(self.outcome.failed[s][0])
            counts[code] = counts.get(code, 0) + 1
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def cancelled_error() -> CodedError:
    return FetchCancelled()
