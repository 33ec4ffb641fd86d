"""The offline price source: deterministic bars from `lib/synthetic.py`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from stock_assets.defs.prices.sources import FetchFailure, FetchResult, IntradayResult, PriceSource, ProgressLog
from stock_assets.lib import synthetic
from stock_assets.lib.intraday import parse as intraday_parse
from stock_assets.lib.intraday import sessions as intraday_sessions
from stock_assets.lib.intraday import synthetic as intraday_synthetic
from stock_assets.lib.errors import ErrorCode

_REASONS = {
    "unknown": (ErrorCode.YFHTTP4XX, "404 Not Found: no data found, symbol may be delisted"),
    "delisted": (ErrorCode.YFTZ, "no timezone found, symbol may be delisted"),
    "empty": (ErrorCode.YFEMPTY, "no bars returned for the sessions asked for"),
}


class SyntheticPriceSource(PriceSource):
    """Deterministic prices for offline runs, demos and benchmarks (no network)."""

    ticker_count: int = 500
    seed: int = 7

    @property
    def provider(self) -> str:
        return synthetic.PROVIDER

    def fetch_range(self, symbols: Sequence[str], sessions: Sequence[dt.date],
                    log: ProgressLog | None = None) -> FetchResult:
        bars, actions, missing = synthetic.bars(list(symbols), list(sessions), self.ticker_count, self.seed)
        last = max(sessions) if sessions else None
        failures = [
            FetchFailure(symbol=s, code=_REASONS[why][0], message=_REASONS[why][1], session=last)
            for s, why in sorted(missing.items())
        ]
        if log:
            log(f"synthetic: {bars.height} bars for {len(symbols) - len(failures)}/{len(symbols)} symbols")
        return FetchResult(bars=bars, actions=actions, failures=failures,
                           stats={"requested": len(symbols), "latency_ms": []})

    def fetch_intraday(self, symbols: Sequence[str], days: Sequence[dt.date], calendars: dict[str, str],
                       today: dt.date, log: ProgressLog | None = None) -> IntradayResult:
        """Minutes that add up to this source's own daily bars (lib/intraday/synthetic.py)."""
        frames, failures = [], []
        days = sorted(set(days))
        if not days or not symbols:
            return IntradayResult(bars=intraday_parse.empty())
        listed = set(symbols) - set(synthetic.bars(list(symbols), days, self.ticker_count, self.seed)[2])
        daily = synthetic.bars(sorted(listed), days, self.ticker_count, self.seed)[0] if listed else None
        by_key = {(r["symbol"], r["date"]): r for r in daily.iter_rows(named=True)} if daily is not None else {}
        for symbol in dict.fromkeys(symbols):
            calendar = calendars.get(symbol, "XNYS")
            got = 0
            for day in days:
                if symbol in listed:
                    bar = by_key.get((symbol, day))
                else:  # not in the synthetic universe (a future, an index): a bar of its own
                    bar = intraday_synthetic.daily_bar(symbol, day, self.seed) \
                        if intraday_sessions.is_session(calendar, day) else None
                if bar is None:
                    continue
                minutes = intraday_synthetic.minutes(symbol, day, bar, calendar, self.provider, self.seed)
                got += minutes.height
                frames.append(minutes)
            if not got and any(intraday_sessions.is_session(calendar, d) for d in days):
                failures.append(FetchFailure(symbol=symbol, code=ErrorCode.YFEMPTY,
                                             message="no minutes for the sessions asked for", session=days[-1]))
        bars = pl.concat(frames) if frames else intraday_parse.empty()
        if log:
            log(f"synthetic intraday: {bars.height} 1m bars for {len(symbols)} symbols x {len(days)} days")
        return IntradayResult(bars=bars, failures=failures, stats={"requested": len(symbols), "requests": 0})

    def fetch_own_interval(self, symbol: str, day: dt.date, interval: str, calendar: str,
                           today: dt.date) -> pl.DataFrame | None:
        """This market's `interval` bars: its own minutes, aggregated (so offline runs agree)."""
        from stock_assets.lib.intraday.resample import resample

        minutes = self.fetch_intraday([symbol], [day], {symbol: calendar}, today).bars
        return resample(minutes, interval, {symbol: calendar})
