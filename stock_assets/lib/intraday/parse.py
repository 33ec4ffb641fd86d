"""Rows of `intraday_bars` from the frame yfinance's `Ticker.history(interval="1m")` returns.

What Yahoo sends that must not be stored (seen in real answers, ../shared/data):
- a stray bar stamped the next day (AAPL 1m of 2024-10-02 ends with a bar at 2024-10-03
  20:00 UTC): a bar is kept only when its session is one asked for and it starts inside
  that session's hours;
- all-null bars (a minute with no trade): dropped, never stored as zeros;
- pre/post-market bars when they were not asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl

from stock_assets.lib.intraday import sessions
from stock_assets.lib.intraday.schema import INTRADAY_BARS, SOURCE_COLUMNS

_PRICE = ("open", "high", "low", "close")


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema={c: INTRADAY_BARS[c] for c in SOURCE_COLUMNS})


def from_history(frame, symbol: str, interval: str, calendar: str, days: Iterable[dt.date],
                 provider: str, extended: bool = False) -> pl.DataFrame:
    """The bars of `symbol` on `days` (its own market's sessions) from a yfinance frame.

    `frame` is a pandas frame indexed by bar start (tz-aware) with Open/High/Low/Close/Volume,
    as yfinance returns it; None or empty gives an empty result.
    """
    if frame is None or len(frame) == 0:
        return empty()
    index = frame.index
    raw = pl.DataFrame({
        "ts": [t.to_pydatetime().astimezone(dt.UTC) for t in index],
        **{c: frame[c.capitalize()].astype("float64").to_numpy() for c in _PRICE},
        "volume": frame["Volume"].astype("float64").to_numpy(),
    }, nan_to_null=True)
    return from_raw(raw, symbol, interval, calendar, days, provider, extended)


def from_raw(raw: pl.DataFrame, symbol: str, interval: str, calendar: str, days: Iterable[dt.date],
             provider: str, extended: bool = False) -> pl.DataFrame:
    """`raw` (ts aware UTC, open/high/low/close/volume, nulls allowed) -> stored rows."""
    sessions.minutes_of(interval)
    wanted = set(days)
    raw = raw.filter(~pl.all_horizontal([pl.col(c).is_null() for c in _PRICE]))
    if raw.height == 0:
        return empty()
    keep_ts, keep_day = [], []
    for ts in raw["ts"].to_list():
        ts = ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)
        day = sessions.session_date(calendar, ts)
        win = sessions.window(calendar, day) if day in wanted else None
        ok = win is not None and win.contains(ts, extended)
        keep_ts.append(ok)
        keep_day.append(day)
    rows = raw.with_columns(pl.Series("session", keep_day, dtype=pl.Date), pl.Series("_keep", keep_ts))
    rows = rows.filter(pl.col("_keep")).with_columns(
        pl.col("ts").dt.convert_time_zone("UTC").dt.replace_time_zone(None),
        pl.lit(symbol).alias("symbol"), pl.lit(interval).alias("interval"), pl.lit(provider).alias("provider"),
        pl.col("volume").fill_null(0).round(0),
    )
    return rows.select([pl.col(c).cast(INTRADAY_BARS[c]) for c in SOURCE_COLUMNS]).unique(
        ["symbol", "interval", "ts"], keep="last").sort("ts")
