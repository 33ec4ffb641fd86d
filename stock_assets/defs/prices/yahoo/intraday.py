"""1-minute bars from Yahoo: one `Ticker.history(interval="1m")` per symbol and window.

Why per symbol: `yf.download` of many symbols at 1m returns one frame aligned on the union
of their minutes, across markets; one request per (symbol, window of at most 7 days) is what
Yahoo serves anyway, fetches every interval of an instrument at once (the coarser ones are
derived), and gives each failure its own code. Requests go through the same paced,
breaker-guarded session as the daily fetch (`yahoo/session.py`); retryable failures get the
source's retry passes; days past Yahoo's retention are `YFTOOOLD`, never asked
(lib/intraday/retention.py).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import polars as pl

from stock_assets.defs.prices.sources import FetchFailure, IntradayResult, ProgressLog
from stock_assets.defs.prices.yahoo import errors as yahoo_errors
from stock_assets.defs.prices.yahoo.fetch import import_yfinance
from stock_assets.defs.prices.yahoo.session import FetchCancelled, YahooSession
from stock_assets.lib.breaker import CircuitBreaker
from stock_assets.lib.errors import ErrorCode
from stock_assets.lib.intraday import parse, retention
from stock_assets.lib.intraday.sessions import FETCHED, is_session
from stock_assets.lib.ratelimit import AdaptiveTokenBucket
from stock_assets.lib.retry import RetryPolicy

if TYPE_CHECKING:
    from stock_assets.defs.prices.yahoo.source import YahooPriceSource

Job = tuple[str, dt.date, dt.date, tuple[dt.date, ...]]  # symbol, start, end (exclusive), its days


def _session(source: YahooPriceSource) -> tuple[AdaptiveTokenBucket, YahooSession, threading.Event]:
    """The same request layer as the daily fetch (ADR 0017): a limiter that learns Yahoo's limit,
    throttled requests requeued at once, the breaker only for outages."""
    limiter = AdaptiveTokenBucket(rate=source.requests_per_second, min_rate=source.min_requests_per_second,
                                  max_rate=source.max_requests_per_second, burst_s=source.burst_s)
    breaker = CircuitBreaker(threshold=source.breaker_threshold, cooldown=source.breaker_cooldown_s)
    stop = threading.Event()
    session = source.new_session(limiter, breaker, stop)  # proxies too, when configured (ADR 0026)
    return limiter, session, stop


def fetch_own_interval(source: YahooPriceSource, symbol: str, day: dt.date, interval: str, calendar: str,
                       today: dt.date) -> pl.DataFrame | None:
    """Yahoo's own `interval` bars of `symbol`'s session `day`, regular hours (the derived-series
    check, lib/intraday/crosscheck.py); None when Yahoo no longer keeps that day at `interval`.
    One request, asked from the day before (a CME session opens the evening before)."""
    if day < retention.oldest_fetchable(interval, today):
        return None
    source._prepare_cache([symbol])
    yf = import_yfinance()
    yf.config.debug.hide_exceptions = False
    _, session, _ = _session(source)
    try:
        frame = yf.Ticker(symbol, session=session).history(
            interval=interval, start=(day - dt.timedelta(days=1)).isoformat(),
            end=(day + dt.timedelta(days=1)).isoformat(), prepost=False, auto_adjust=False, actions=False,
            timeout=source.timeout_s)
    finally:
        from stock_assets.defs.prices.yahoo.source import _release_yfinance_session

        _release_yfinance_session(session)
    return parse.from_history(frame, symbol, interval, calendar, [day], source.provider)


def fetch_intraday(source: YahooPriceSource, symbols, days, calendars: dict[str, str], today: dt.date,
                   log: ProgressLog | None = None) -> IntradayResult:
    log = log or (lambda line: None)
    symbols = list(dict.fromkeys(symbols))
    fetchable, lost = retention.split_by_retention(days, FETCHED, today)
    failures = [FetchFailure(symbol=s, code=ErrorCode.YFTOOOLD, session=d,
                             message=f"{d} is past Yahoo's {retention.RETENTION_DAYS[FETCHED]}-day window for "
                                     f"{FETCHED} bars (asked on {today}): lost, not asked")
                for s in symbols for d in lost]
    if lost:
        log(f"yahoo intraday: {len(lost)} day(s) past the {FETCHED} retention window, recorded YFTOOOLD: "
            f"{', '.join(map(str, lost))}")
    if not symbols or not fetchable:
        return IntradayResult(bars=parse.empty(), failures=failures)
    source._prepare_cache(symbols)
    yf = import_yfinance()
    yf.config.debug.hide_exceptions = False
    limiter, session, stop = _session(source)
    windows = retention.request_windows(fetchable, FETCHED)
    todo: list[Job] = [
        (s, lo, hi, wanted) for s in symbols for lo, hi in windows
        if (wanted := tuple(d for d in fetchable if lo < d < hi and is_session(calendars.get(s, "XNYS"), d)))
    ]
    frames: dict[tuple[str, dt.date], pl.DataFrame] = {}
    failed: dict[Job, tuple[ErrorCode, str]] = {}
    lock = threading.Lock()
    started = time.monotonic()

    def one(job: Job) -> None:
        symbol, lo, hi, wanted = job
        err, frame = None, None
        session.forget([symbol])
        try:
            frame = yf.Ticker(symbol, session=session).history(
                interval=FETCHED, start=lo.isoformat(), end=hi.isoformat(), prepost=False,
                auto_adjust=False, actions=False, timeout=source.timeout_s)
        except FetchCancelled:
            raise
        except Exception as caught:  # noqa: BLE001 - coded below
            err = caught
        rows = parse.from_history(frame, symbol, FETCHED, calendars.get(symbol, "XNYS"), wanted,
                                  source.provider) if err is None else None
        with lock:
            if rows is not None and rows.height:
                for (day,), part in rows.partition_by("session", as_dict=True).items():
                    frames[(symbol, day)] = part
                failed.pop(job, None)
            else:
                obs = session.observation(symbol)
                failed[job] = (yahoo_errors.code_for(err, obs), yahoo_errors.message_for(err, obs))

    policy = RetryPolicy(schedule=tuple(source.retry_schedule_s), jitter=source.retry_jitter)
    workers = max(1, source.max_workers * source.threads_per_batch)
    try:
        for attempt in range(len(policy.schedule) + 1):
            if attempt:
                todo = [j for j, (code, _) in failed.items() if yahoo_errors.retryable(code)]
                if not todo:
                    break
                wait = policy.delay(attempt - 1)
                log(f"yahoo intraday: retry pass {attempt}: {len(todo)} request(s) in {wait:.1f}s")
                if stop.wait(wait):
                    break
            with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
                list(pool.map(one, todo))
            log(f"yahoo intraday: pass {attempt + 1}: {len(frames)} symbol-days, {len(failed)} request(s) failed")
    finally:
        from stock_assets.defs.prices.yahoo.source import _release_yfinance_session

        _release_yfinance_session(session)
    got = {key for key in frames}
    for (symbol, lo, hi, wanted), (code, message) in sorted(failed.items()):
        failures += [FetchFailure(symbol=symbol, code=code, message=message, session=d)
                     for d in wanted if (symbol, d) not in got]
    bars = pl.concat(list(frames.values())) if frames else parse.empty()
    stats = {"requested": len(symbols), "requests": session.requests_sent, "windows": len(windows),
             "latency_ms": list(session.latencies_ms), "seconds": round(time.monotonic() - started, 3),
             "throttles": limiter.state().throttles}
    return IntradayResult(bars=bars, failures=failures, stats=stats)
