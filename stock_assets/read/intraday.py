"""The read path of intraday bars: `lake/intraday_bars/interval=<i>/date=<session>/data.parquet`.

One file per interval and session (ADR 0021), so a read opens only the sessions of its date
range at the asked interval, and takes no lock: the lake renames finished files into place,
so a read sees a whole old session or a whole new one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from stock_assets.lib.intraday.schema import INTRADAY_BARS
from stock_assets.lib.intraday.sessions import INTERVALS
from stock_assets.storage.lake import ParquetLake, partition_day

TABLE = "intraday_bars"


def files(lake_root: Path, interval: str, start: dt.date | None, end: dt.date | None) -> list[Path]:
    """The session files of `interval` dated start..end (inclusive; None is unbounded)."""
    lake = ParquetLake(lake_root)
    table = f"{TABLE}/interval={interval}"
    if start is not None and end is not None:
        return lake.partition_files_between(table, start, end)
    return [p for p in lake.partition_files(table)
            if (start is None or partition_day(p) >= start) and (end is None or partition_day(p) <= end)]


def read(lake_root: Path, interval: str, symbols: list[str] | None, start: dt.date | None,
         end: dt.date | None, tz: str | None = None) -> pl.DataFrame:
    """Stored bars of `symbols` (None: all) at `interval` for sessions start..end, by symbol and ts.

    `ts` is the bar's start in UTC (time-zone aware), or in `tz` (e.g. 'America/New_York',
    'Europe/London') when given; `session` is the bar's market session date either way.
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval {interval!r} is not an intraday interval; valid: {', '.join(INTERVALS)}")
    schema = dict(INTRADAY_BARS, ts=pl.Datetime("us", "UTC"))
    paths = files(lake_root, interval, start, end)
    if not paths or symbols == []:
        frame = pl.DataFrame(schema=schema)
    else:
        scan = pl.scan_parquet(paths, hive_partitioning=False, glob=False)
        if symbols is not None:
            scan = scan.filter(pl.col("symbol").is_in(symbols))
        frame = (scan.select(list(INTRADAY_BARS)).collect().cast(INTRADAY_BARS)
                 .with_columns(pl.col("ts").dt.replace_time_zone("UTC")).sort("symbol", "ts"))
    if tz is not None:
        frame = frame.with_columns(pl.col("ts").dt.convert_time_zone(tz))
    return frame
