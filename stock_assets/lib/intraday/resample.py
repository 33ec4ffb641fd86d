"""Coarser bars from finer ones, exactly, aligned to each session's open.

Why aligned to the open and not to the clock: NYSE opens at 09:30, so Yahoo's 1h bars start
at 09:30, 10:30, ... and the last one (15:30) is half an hour long; a CME session opens at
17:00 CT the evening before. A bucket is `open + k * interval` of the bar's own session, so
half-days end with a short bucket and nothing straddles the maintenance break. Exact: open
of the first minute, close of the last, max high, min low, summed volume; a bucket with no
minute is no bar (Yahoo writes none either).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from stock_assets.lib.intraday import sessions
from stock_assets.lib.intraday.schema import SOURCE_COLUMNS


class NotFinerInterval(ValueError):
    """Asked to derive an interval from one that is not finer and a divisor of it."""


def session_opens(bars: pl.DataFrame, calendars: dict[str, str]) -> pl.DataFrame:
    """(symbol, session, open) for every (symbol, session) in `bars`; open naive UTC."""
    pairs = bars.select("symbol", "session").unique()
    opens = []
    for symbol, day in pairs.iter_rows():
        win = sessions.window(calendars.get(symbol, "XNYS"), day)
        if win is None:
            raise ValueError(f"{symbol}: {day} is not a session of {calendars.get(symbol, 'XNYS')}")
        opens.append(win.open.astimezone(dt.UTC).replace(tzinfo=None))
    return pairs.with_columns(pl.Series("open_ts", opens, dtype=pl.Datetime("us")))


def resample(bars: pl.DataFrame, to_interval: str, calendars: dict[str, str]) -> pl.DataFrame:
    """`bars` (one interval, stored columns) as `to_interval` bars, per symbol and session."""
    if bars.height == 0:
        return bars.select(SOURCE_COLUMNS).clear()
    source = bars["interval"].unique().to_list()
    if len(source) != 1:
        raise NotFinerInterval(f"resample one interval at a time, got {sorted(source)}")
    step, unit = sessions.minutes_of(to_interval), sessions.minutes_of(source[0])
    if step < unit or step % unit:
        raise NotFinerInterval(f"{to_interval} cannot be derived exactly from {source[0]}")
    opens = session_opens(bars, calendars)
    minutes = (pl.col("ts") - pl.col("open_ts")).dt.total_minutes()
    bucket = pl.col("open_ts") + pl.duration(minutes=(minutes // step) * step)
    return (
        bars.join(opens, on=["symbol", "session"], how="left")
        .with_columns(bucket.alias("bucket"))
        .sort("symbol", "ts")
        .group_by("symbol", "session", "bucket", maintain_order=True)
        .agg(pl.col("open").first(), pl.col("high").max(), pl.col("low").min(), pl.col("close").last(),
             pl.col("volume").sum(), pl.col("provider").first())
        .with_columns(pl.col("bucket").alias("ts"), pl.lit(to_interval).alias("interval"))
        .select(SOURCE_COLUMNS)
        .sort("symbol", "ts")
    )


def all_intervals(minutes: pl.DataFrame, calendars: dict[str, str]) -> pl.DataFrame:
    """The fetched 1m bars and every derived interval, stacked."""
    parts = [minutes.select(SOURCE_COLUMNS)]
    parts += [resample(minutes, interval, calendars) for interval in sessions.DERIVED]
    return pl.concat(parts, how="vertical")
