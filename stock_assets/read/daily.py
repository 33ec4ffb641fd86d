"""The read path of daily bars: which lake files a read opens, and how.

Why its own module: this is the one place that knows how the lake is laid out for reading.
Today a read opens one Parquet file per session in its date range (10 years of one symbol:
~2,500 files); a later compacted layout (per-symbol or per-year files, issue 17) replaces
only this module, and `stock_assets.read.bars` keeps its contract.

Safe beside a writer: the lake replaces a day's file by renaming a finished temp file over
it, so a read opens the old file or the new one, never half of one, and takes no lock.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from stock_assets.lib.schema import DAILY_OHLCV, conform
from stock_assets.storage.lake import ParquetLake

TABLE = "daily_ohlcv"


def files(lake_root: Path, start: dt.date | None, end: dt.date | None) -> list[Path]:
    """The day files dated start..end (inclusive; None means unbounded), oldest first."""
    lake = ParquetLake(lake_root)
    if start is not None and end is not None:
        return lake.partition_files_between(TABLE, start, end)
    every = lake.partition_files(TABLE)
    return [p for p in every if (start is None or _day(p) >= start) and (end is None or _day(p) <= end)]


def read(lake_root: Path, symbols: list[str] | None, start: dt.date | None,
         end: dt.date | None, columns: list[str] | None = None) -> pl.DataFrame:
    """Stored rows of `symbols` (None: all) dated start..end, as DAILY_OHLCV (or only
    `columns`, in that order, which must include symbol and date), by symbol and date."""
    columns = columns or list(DAILY_OHLCV)
    paths = files(lake_root, start, end)
    if not paths or symbols == []:
        return pl.DataFrame(schema={c: DAILY_OHLCV[c] for c in columns})
    # The stored schema, whatever a file adds or lacks (a column added later reads as null in
    # older files, as the warehouse view's union_by_name does); the paths are literal.
    scan = pl.scan_parquet(paths, schema=DAILY_OHLCV, hive_partitioning=False, glob=False,
                           missing_columns="insert", extra_columns="ignore")
    if symbols is not None:
        scan = scan.filter(pl.col("symbol").is_in(symbols))
    return conform(scan.select(columns).collect(), DAILY_OHLCV, columns).sort("symbol", "date")


def _day(path: Path) -> dt.date:
    return dt.date.fromisoformat(path.parent.name.removeprefix("date="))
