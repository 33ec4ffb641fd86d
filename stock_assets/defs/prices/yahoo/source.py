"""`YahooPriceSource`: Yahoo Finance through yfinance, hardened.

Batches of `yf.download(..., auto_adjust=False, actions=True, multi_level_index=False)` on a
thread pool, one shared pooled HTTP session (`yahoo/session.py`) paced by an adaptive token
bucket and guarded by a circuit breaker, per-symbol fallback and retry passes
(`yahoo/fetch.py`), every failure coded (`yahoo/errors.py`), prices converted back to as
traded (`yahoo/frames.py`, `lib/adjust.py`). Every knob is resource config, overridable per
run in the launchpad; the defaults suit a 2-core machine and Yahoo on a normal night.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
import time
from collections.abc import Sequence

import polars as pl
from pydantic import Field

from stock_assets.defs.prices.yahoo import frames as yahoo_frames
from stock_assets.defs.prices.sources import FetchFailure, FetchResult, IntradayResult, PriceSource, ProgressLog
from stock_assets.defs.prices.yahoo.fetch import BatchFetcher, FetchPlan, import_yfinance
from stock_assets.defs.prices.yahoo.progress import FetchProgress
from stock_assets.defs.prices.yahoo.session import YahooSession
from stock_assets.lib.breaker import CircuitBreaker
from stock_assets.lib.ratelimit import AdaptiveTokenBucket
from stock_assets.lib.retry import RetryPolicy
from stock_assets.lib.schema import ACTION_SOURCE_COLUMNS, CORPORATE_ACTIONS, DAILY_OHLCV, SOURCE_BAR_COLUMNS


class YahooPriceSource(PriceSource):
    """Yahoo Finance through yfinance: batched, rate-limited, retried, every failure coded."""

    batch_size: int = Field(default=100, description="Symbols per yf.download call.")
    max_workers: int = Field(default=4, description="Batches fetched at once (thread pool).")
    threads_per_batch: int = Field(default=4, description="yfinance threads inside one batch.")
    requests_per_second: float = Field(default=40.0, description="Ceiling of the adaptive rate limiter.")
    min_requests_per_second: float = Field(default=0.5, description="Floor the limiter backs off to.")
    burst_s: float = Field(default=0.25, description=(
        "Seconds' worth of requests the limiter lets out at once. Small on purpose: Yahoo's own "
        "bucket sees our requests after network jitter, and a full second's burst at the ceiling "
        "drew a 429 at the start of a run, halving the rate for a minute (docs/performance.md)."))
    rate_recovery_quiet_s: float = Field(default=20.0, description="Seconds without a 429 before the rate grows back.")
    retry_schedule_s: list[float] = Field(default=[10.0, 30.0, 120.0, 600.0],
                                          description="Waits before each retry pass (jittered).")
    retry_jitter: float = Field(default=0.2, description="Share of each wait drawn at random.")
    max_empty_attempts: int = Field(default=2, description="Tries for a symbol Yahoo answers with no bars.")
    breaker_threshold: int = Field(default=25, description="Consecutive failed requests that open the breaker.")
    breaker_cooldown_s: float = Field(default=60.0, description="How long an open breaker stops all calls.")
    timeout_s: float = Field(default=10.0, description="HTTP timeout per request.")
    assume_timezone: str = Field(default="America/New_York",
                                 description="Seeded into yfinance's tz cache for symbols it has none for "
                                             "(saves one request per new symbol); empty: ask Yahoo.")
    progress_every_s: float = Field(default=5.0, description="At most one progress line per this many seconds.")
    cache_dir: str = Field(default="", description="yfinance cache dir (tz, cookie); empty: a temp dir.")
    base_url: str = Field(default="", description="Tests/benchmarks only: a fake Yahoo on 127.0.0.1.")

    @property
    def provider(self) -> str:
        return yahoo_frames.PROVIDER

    def plan(self) -> FetchPlan:
        return FetchPlan(
            batch_size=max(1, self.batch_size), max_workers=max(1, self.max_workers),
            threads_per_batch=max(1, self.threads_per_batch), timeout=self.timeout_s,
            retry=RetryPolicy(schedule=tuple(self.retry_schedule_s), jitter=self.retry_jitter),
            max_empty_attempts=max(1, self.max_empty_attempts),
        )

    def _prepare_cache(self, symbols: Sequence[str]) -> None:
        yf = import_yfinance()

        path = self.cache_dir or os.path.join(tempfile.gettempdir(), "stock_assets_yfinance")
        os.makedirs(path, exist_ok=True)
        try:
            current = yf.cache._TzDBManager.get_location()
        except Exception:  # noqa: BLE001 - internals moved: just set it
            current = None
        if current != path:  # setting it closes yfinance's open cache db: only when it changes
            yf.set_tz_cache_location(path)
        if self.assume_timezone:
            _seed_timezones(symbols, self.assume_timezone)

    def fetch_range(self, symbols: Sequence[str], sessions: Sequence[dt.date],
                    log: ProgressLog | None = None) -> FetchResult:
        log = log or (lambda line: None)
        symbols = list(dict.fromkeys(symbols))
        if not symbols or not sessions:
            return FetchResult.empty()
        self._prepare_cache(symbols)
        limiter = AdaptiveTokenBucket(rate=self.requests_per_second, min_rate=self.min_requests_per_second,
                                      burst=max(1.0, self.requests_per_second * self.burst_s),
                                      quiet=self.rate_recovery_quiet_s, recover_step=0.2)
        breaker = CircuitBreaker(threshold=self.breaker_threshold, cooldown=self.breaker_cooldown_s)
        stop = threading.Event()

        def on_event(kind: str, detail: str) -> None:
            messages = {
                "throttled": f"yahoo: 429 received, rate limiter backs off: {detail}",
                "breaker_open": f"yahoo: circuit breaker OPEN after {breaker.threshold} consecutive failures "
                                f"(last {detail}); no calls for {breaker.cooldown:.0f}s, then one probe",
                "breaker_closed": f"yahoo: circuit breaker closed again (probe {detail} answered)",
            }
            log(messages.get(kind, f"yahoo: {kind} {detail}"))

        session = YahooSession(limiter, breaker, stop, base_url=self.base_url, timeout=self.timeout_s,
                               on_event=on_event)
        progress = FetchProgress(len(symbols), log, state=lambda: f"limiter {limiter.state().describe()}, "
                                                                 f"breaker {breaker.state}",
                                 every=self.progress_every_s)
        fetcher = BatchFetcher(session, self.plan(), stop, progress, log)
        started = time.monotonic()
        log(f"yahoo fetch: {len(symbols)} symbols x {len(sessions)} sessions, batches of {self.batch_size}, "
            f"{self.max_workers} workers x {self.threads_per_batch} threads, limit {self.requests_per_second}/s")
        try:
            outcome = fetcher.run(symbols, sessions)
        finally:
            _release_yfinance_session(session)
        last = max(sessions)
        failures = [FetchFailure(symbol=s, code=code, message=msg, attempts=outcome.attempts.get(s, 1), session=last)
                    for s, (code, msg) in sorted(outcome.failed.items()) if s not in outcome.bars]
        bars = _concat(list(outcome.bars.values()), DAILY_OHLCV, SOURCE_BAR_COLUMNS)
        actions = _concat(list(outcome.actions.values()), CORPORATE_ACTIONS, ACTION_SOURCE_COLUMNS).unique()
        state = limiter.state()
        stats = {
            "requested": len(symbols),
            "latency_ms": list(session.latencies_ms),
            "requests": session.requests_sent,
            "retries": progress.retries,
            "fallbacks": progress.fallbacks,
            "throttles": state.throttles,
            "final_rate": round(state.rate, 2),
            "breaker_opened": breaker.opened,
            "breaker_closed_again": breaker.closed_again,
            "seconds": round(time.monotonic() - started, 3),
            "expected_rows": len(symbols) * len(sessions),
        }
        return FetchResult(bars=bars, actions=actions, failures=failures, stats=stats)


    def fetch_intraday(self, symbols: Sequence[str], days: Sequence[dt.date], calendars: dict[str, str],
                       today: dt.date, log: ProgressLog | None = None) -> IntradayResult:
        """1m bars per symbol and window of at most 7 days (`yahoo/intraday.py`)."""
        from stock_assets.defs.prices.yahoo.intraday import fetch_intraday

        return fetch_intraday(self, symbols, days, calendars, today, log)


def _concat(frames: list[pl.DataFrame], schema: dict, columns: list[str]) -> pl.DataFrame:
    frames = [f for f in frames if f is not None and f.height]
    if not frames:
        return pl.DataFrame(schema={c: schema[c] for c in columns})
    return pl.concat(frames, how="vertical_relaxed")


def _seed_timezones(symbols: Sequence[str], tz: str) -> None:
    """Tell yfinance's tz cache the exchange timezone of symbols it does not know yet.

    yfinance otherwise spends one extra chart request per new symbol just to learn its
    timezone. Uses yfinance internals, so any failure simply leaves the cache alone.
    """
    try:
        from yfinance import cache

        tz_cache = cache.get_tz_cache()
        if getattr(tz_cache, "dummy", False):
            return
        tz_cache.initialise()
        db = tz_cache.get_db()
        if db is None:
            return
        with db.atomic():
            for symbol in symbols:
                cache._TZ_KV.insert(key=symbol.upper(), value=tz).on_conflict_ignore().execute()
    except Exception:  # noqa: BLE001 - an optimisation only
        return


def _release_yfinance_session(session: YahooSession) -> None:
    """Give yfinance's process-wide singleton a fresh default session back, then close ours.

    yfinance keeps the last session it was handed in a singleton (`YfData`); other yfinance
    users in the process (e.g. the intraday quotes) must not inherit our paced, possibly
    stopped, possibly test-redirected session.
    """
    try:
        from yfinance._http import new_session
        from yfinance.data import YfData

        YfData(session=new_session())
    except Exception:  # noqa: BLE001 - best effort; ours is closed either way
        pass
    session.close()
