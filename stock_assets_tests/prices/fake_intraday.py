"""Intraday chart bodies in Yahoo's v8 shape (1m, regular hours), for the fake Yahoo.

yfinance's intraday parsing needs `meta.tradingPeriods` (a list of per-day lists when
includePrePost=false, as in the recorded AAPL 1m answer); the daily fake bodies have none.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from stock_assets.lib.intraday import sessions
from stock_assets_tests.prices.fake_yahoo import _meta


def intraday_body(symbol: str, days: list[dt.date], calendar: str = "XNYS", every: int = 1) -> dict:
    """One minute bar every `every` minutes of each day's regular session."""
    stamps, periods = [], []
    for day in days:
        win = sessions.window(calendar, day)
        if win is None:
            continue
        start, end = int(win.open.timestamp()), int(win.close.timestamp())
        periods.append([{"timezone": "EDT", "start": start, "end": end, "gmtoffset": -14400}])
        stamps += list(range(start, end, 60 * every))
    base = 50 + sum(map(ord, symbol)) % 100
    closes = [round(base + (i % 17) * 0.01, 2) for i in range(len(stamps))]
    meta = {**_meta(symbol), "dataGranularity": "1m", "gmtoffset": -14400, "timezone": "EDT",
            "tradingPeriods": periods}
    quote = {"open": closes, "high": [c + 0.05 for c in closes], "low": [c - 0.05 for c in closes],
             "close": closes, "volume": [100 + i % 50 for i in range(len(stamps))]}
    return {"chart": {"result": [{"meta": meta, "timestamp": stamps, "indicators": {"quote": [quote]}}],
                      "error": None}}


def body_from_bars(symbol: str, bars: pl.DataFrame, interval: str, calendar: str = "XNYS") -> dict:
    """A chart body at `interval` carrying exactly `bars` (stored rows: ts naive UTC, one symbol)."""
    days = sorted(set(bars["session"]))
    periods = []
    for day in days:
        win = sessions.window(calendar, day)
        periods.append([{"timezone": "EDT", "start": int(win.open.timestamp()), "end": int(win.close.timestamp()),
                         "gmtoffset": -14400}])
    bars = bars.sort("ts")
    stamps = [int(t.replace(tzinfo=dt.UTC).timestamp()) for t in bars["ts"]]
    meta = {**_meta(symbol), "dataGranularity": interval, "gmtoffset": -14400, "timezone": "EDT",
            "tradingPeriods": periods}
    quote = {c: bars[c].to_list() for c in ("open", "high", "low", "close", "volume")}
    return {"chart": {"result": [{"meta": meta, "timestamp": stamps, "indicators": {"quote": [quote]}}],
                      "error": None}}
