"""Intraday chart bodies in Yahoo's v8 shape (1m, regular hours), for the fake Yahoo.

yfinance's intraday parsing needs `meta.tradingPeriods` (a list of per-day lists when
includePrePost=false, as in the recorded AAPL 1m answer); the daily fake bodies have none.
"""

from __future__ import annotations

import datetime as dt

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
