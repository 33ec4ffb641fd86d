"""`YahooPriceSource`: Yahoo Finance through yfinance, hardened.

A paced queue of single symbols (`Ticker.history`; or batches of `yf.download` with
`batch_size > 0`) on a thread pool, one shared pooled HTTP session (`yahoo/session.py`) paced
by a limiter that learns Yahoo's limit from its answers (ADR 0017) and guarded by a circuit
breaker, throttled requests requeued at once, retry passes (`yahoo/fetch.py`), every failure coded (`yahoo/errors.py`), prices converted back to as
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
from pathlib import Path

import polars as pl
from pydantic import Field

from stock_assets.defs.prices.yahoo import frames as yahoo_frames
from stock_assets.defs.prices.sources import FetchFailure, FetchResult, IntradayResult, PriceSource, ProgressLog
from stock_assets.defs.prices.yahoo.fetch import BatchFetcher, FetchPlan, import_yfinance
from stock_assets.defs.prices.yahoo.progress import FetchProgress
from stock_assets.defs.prices.yahoo.session import YahooSession
from stock_assets.lib import markets
from stock_assets.lib.breaker import CircuitBreaker
from stock_assets.lib.proxies import ProxyConfigError, ProxyPool, parse_proxy_list
from stock_assets.lib.errors import ErrorCode
from stock_assets.lib.ratelimit import AdaptiveTokenBucket
from stock_assets.lib.retry import RetryPolicy
from stock_assets.lib.schema import ACTION_SOURCE_COLUMNS, CORPORATE_ACTIONS, DAILY_OHLCV, SOURCE_BAR_COLUMNS


class YahooPriceSource(PriceSource):
    """Yahoo Finance through yfinance: paced at a limit it learns, retried, every failure coded."""

    batch_size: int = Field(default=0, description=(
        "0 (default): a paced queue of single symbols, each parsed as soon as it is answered "
        "(ADR 0017). n > 0: batches of n symbols per yf.download call (yfinance asks Yahoo one "
        "symbol per request either way; a batch only adds its post-processing at the end)."))
    max_workers: int = Field(default=4, description="Batches fetched at once (thread pool).")
    threads_per_batch: int = Field(default=8, description=(
        "yfinance threads inside one batch. Requests in flight = max_workers x threads_per_batch: "
        "32 keep 60 requests/s going through 300 ms of latency."))
    requests_per_second: float = Field(default=100.0, description=(
        "Rate a run starts at. The limiter learns Yahoo's limit from its answers (ADR 0017): the "
        "first 429s bring it down to what Yahoo admitted; starting above the limit finds it fastest."))
    max_requests_per_second: float = Field(default=200.0, description="Ceiling the limiter never probes above.")
    min_requests_per_second: float = Field(default=0.5, description="Floor the limiter backs off to.")
    burst_s: float = Field(default=0.05, description=(
        "Seconds' worth of requests the limiter lets out at once (at least one). Small on "
        "purpose: after a stall (a loaded CPU) a bigger burst catches up in a clump that a "
        "fixed-window limit answers with 429s (docs/performance.md)."))
    throttle_requeues: int = Field(default=20, description=(
        "Times one throttled request goes back into the paced queue before yfinance sees the 429."))
    throttle_storm_s: float = Field(default=10.0, description=(
        "Seconds with nothing but 429s before they count towards the circuit breaker (a block, not pacing)."))
    retry_schedule_s: list[float] = Field(default=[10.0, 30.0, 120.0, 600.0], description=(
        "Waits before each retry pass after an outage (the breaker opened; jittered). Without "
        "an outage a retry pass follows at once."))
    retry_jitter: float = Field(default=0.2, description="Share of each wait drawn at random.")
    max_empty_attempts: int = Field(default=2, description="Tries for a symbol Yahoo answers with no bars.")
    breaker_threshold: int = Field(default=25, description="Consecutive failed requests that open the breaker.")
    breaker_cooldown_s: float = Field(default=60.0, description="How long an open breaker stops all calls.")
    timeout_s: float = Field(default=10.0, gt=0, description="HTTP timeout per request (0 would mean wait forever).")
    assume_timezone: str = Field(default="America/New_York",
                                 description="Seeded into yfinance's tz cache for symbols it has none for "
                                             "(saves one request per new symbol); empty: ask Yahoo.")
    progress_every_s: float = Field(default=5.0, description="At most one progress line per this many seconds.")
    cache_dir: str = Field(default="", description="yfinance cache dir (tz, cookie); empty: a temp dir.")
    base_url: str = Field(default="", description="Tests/benchmarks only: a fake Yahoo on 127.0.0.1.")
    proxies: str = Field(default="", description=(
        "Proxy URLs, comma-separated, or file:///path/to/list (one per line): every Yahoo request "
        "goes through them, round-robin, each with its own health (lib/proxies.py). Set from "
        "STOCK_ASSETS_PROXIES as an EnvVar, so the UI shows the variable's name, never the URLs "
        "(they may hold credentials). Empty: direct."))
    proxy_fallback_direct: bool = Field(default=False, description=(
        "When every proxy is evicted: False (default) waits for the first re-admission "
        "(at most proxy_wait_s) or records YFPROXY; True sends the request directly instead."))
    proxy_wait_s: float = Field(default=60.0, ge=0, description=(
        "Longest wait for an evicted proxy's re-admission before a request is refused (YFPROXY)."))
    proxy_cooldown_s: float = Field(default=60.0, gt=0, description=(
        "An evicted proxy's first cool-down; it doubles at each further eviction (at most 15 min)."))
    proxy_min_success_share: float = Field(default=0.5, ge=0, le=1, description=(
        "A proxy whose share of good answers over its last 20 falls below this is evicted (429s count against it)."))

    @property
    def provider(self) -> str:
        return yahoo_frames.PROVIDER

    def plan(self) -> FetchPlan:
        return FetchPlan(
            batch_size=max(0, self.batch_size), max_workers=max(1, self.max_workers),
            threads_per_batch=max(1, self.threads_per_batch), timeout=self.timeout_s,
            retry=RetryPolicy(schedule=tuple(self.retry_schedule_s), jitter=self.retry_jitter),
            max_empty_attempts=max(1, self.max_empty_attempts),
        )

    def proxy_pool(self) -> ProxyPool | None:
        """The configured proxies as a pool (None: direct). A bad entry fails the run, naming it."""
        raw = self.proxies.strip()
        if not raw:
            return None
        if raw.startswith("file://"):
            path = raw[len("file://"):]
            try:
                raw = Path(path).read_text(encoding="utf-8")
            except OSError as err:
                raise ProxyConfigError(f"proxy list {path}: {err.strerror or err}") from None
        return ProxyPool(parse_proxy_list(raw), cooldown_s=self.proxy_cooldown_s,
                         max_cooldown_s=max(900.0, self.proxy_cooldown_s),
                         min_success_share=self.proxy_min_success_share)

    def new_session(self, limiter: AdaptiveTokenBucket, breaker: CircuitBreaker, stop: threading.Event,
                    on_event=None) -> YahooSession:
        """The one way a Yahoo session is built: pacing, breaker, timeouts and proxies as configured."""
        return YahooSession(limiter, breaker, stop, base_url=self.base_url, timeout=self.timeout_s,
                            on_event=on_event, max_requeues=self.throttle_requeues,
                            storm_after_s=self.throttle_storm_s, proxy_pool=self.proxy_pool(),
                            proxy_fallback_direct=self.proxy_fallback_direct, proxy_wait_s=self.proxy_wait_s)

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
        symbols, refused = _known_markets(symbols, max(sessions))
        if not symbols:
            return FetchResult(bars=FetchResult.empty().bars, actions=FetchResult.empty().actions, failures=refused)
        self._prepare_cache(symbols)
        limiter = AdaptiveTokenBucket(rate=self.requests_per_second, min_rate=self.min_requests_per_second,
                                      max_rate=self.max_requests_per_second, burst_s=self.burst_s)
        breaker = CircuitBreaker(threshold=self.breaker_threshold, cooldown=self.breaker_cooldown_s)
        stop = threading.Event()

        def on_event(kind: str, detail: str) -> None:
            messages = {
                "throttled": f"yahoo: 429 received, rate limiter backs off: {detail}",
                "breaker_open": f"yahoo: circuit breaker OPEN after {breaker.threshold} consecutive failures "
                                f"(last {detail}); no calls for {breaker.cooldown:.0f}s, then one probe",
                "breaker_closed": f"yahoo: circuit breaker closed again (probe {detail} answered)",
                "proxy_evicted": f"yahoo: proxy {detail}",
                "proxy_wait": f"yahoo: {detail}",
                "proxy_direct": f"yahoo: {detail}",
            }
            log(messages.get(kind, f"yahoo: {kind} {detail}"))

        session = self.new_session(limiter, breaker, stop, on_event)
        progress = FetchProgress(len(symbols), log, state=lambda: f"limiter {limiter.state().describe()}, "
                                                                 f"breaker {breaker.state}",
                                 every=self.progress_every_s)
        fetcher = BatchFetcher(session, self.plan(), stop, progress, log)
        started = time.monotonic()
        shape = f"batches of {self.batch_size}" if self.batch_size > 0 else "a paced queue of single symbols"
        log(f"yahoo fetch: {len(symbols)} symbols x {len(sessions)} sessions, {shape}, "
            f"{self.max_workers} workers x {self.threads_per_batch} threads, starting at {self.requests_per_second}/s")
        try:
            outcome = fetcher.run(symbols, sessions)
        finally:
            _release_yfinance_session(session)
        last = max(sessions)
        failures = refused + [
            FetchFailure(symbol=s, code=code, message=msg, attempts=outcome.attempts.get(s, 1), session=last)
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
            "throttled_requests": state.throttled_requests,
            "requeued": session.requeued,
            "paused_s": round(state.paused_s, 3),
            "final_rate": round(state.rate, 2),
            "limit_estimate": round(state.limit_estimate or 0.0, 2),  # 0: no 429, nothing learnt
            "breaker_opened": breaker.opened,
            "breaker_closed_again": breaker.closed_again,
            "seconds": round(time.monotonic() - started, 3),
            "expected_rows": len(symbols) * len(sessions),
        }
        if session.proxy_pool is not None:
            stats["proxies"] = session.proxy_pool.summary()
            stats["direct_requests"] = session.direct_requests
        return FetchResult(bars=bars, actions=actions, failures=failures, stats=stats)


    def fetch_intraday(self, symbols: Sequence[str], days: Sequence[dt.date], calendars: dict[str, str],
                       today: dt.date, log: ProgressLog | None = None) -> IntradayResult:
        """1m bars per symbol and window of at most 7 days (`yahoo/intraday.py`)."""
        from stock_assets.defs.prices.yahoo.intraday import fetch_intraday

        return fetch_intraday(self, symbols, days, calendars, today, log)

    def fetch_own_interval(self, symbol: str, day: dt.date, interval: str, calendar: str,
                           today: dt.date) -> pl.DataFrame | None:
        """Yahoo's own bars at `interval` for one session (`yahoo/intraday.py`)."""
        from stock_assets.defs.prices.yahoo.intraday import fetch_own_interval

        return fetch_own_interval(self, symbol, day, interval, calendar, today)


def _known_markets(symbols: list[str], last: dt.date) -> tuple[list[str], list[FetchFailure]]:
    """The symbols whose market the form tells, and a YFMARKET failure (never asked) for the others.

    Why here too: an answer is dated and priced by the symbol's market (frames.to_rows); a
    symbol whose suffix nobody knows is refused, never read on the NYSE calendar (ADR 0018).
    """
    known, refused = [], []
    for s in symbols:
        try:
            markets.market_of(s)
            known.append(s)
        except markets.UnknownMarket as err:
            refused.append(FetchFailure(symbol=s, code=ErrorCode.YFMARKET, attempts=0, session=last,
                                        message=f"market unknown, not asked: {err.reason}"))
    return known, refused


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
