"""The read path of quote snapshots: `lake/quote_snapshots/date=<UTC date>/snapshot-HHMMSS.parquet`.

One file per snapshot, renamed into place when whole, so a read takes no lock and sees a
snapshot entirely or not at all; it opens only the days of its range.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from stock_assets.lib.quotes.schema import QUOTE_SNAPSHOTS
from stock_assets.storage import quote_store


def files(lake_root: Path, start: dt.date | None, end: dt.date | None) -> list[Path]:
    """The snapshot files of the UTC days start..end (inclusive; None is unbounded)."""
    days = [d for d in quote_store.snapshot_days(lake_root)
            if (start is None or d >= start) and (end is None or d <= end)]
    root = quote_store.table_dir(lake_root)
    return sorted(p for d in days for p in (root / f"date={d:%Y-%m-%d}").glob("snapshot-*.parquet"))


def read(lake_root: Path, symbols: list[str] | None, start: dt.date | None, end: dt.date | None,
         latest: bool = False, tz: str | None = None) -> pl.DataFrame:
    """Snapshots of `symbols` (None: all) taken on the UTC days start..end, by symbol and snapshot_at.

    `latest=True` keeps each symbol's newest snapshot in the range. `snapshot_at` and
    `quote_time` are UTC (time-zone aware), or in `tz` when given.
    """
    schema = dict(QUOTE_SNAPSHOTS, snapshot_at=pl.Datetime("us", "UTC"), quote_time=pl.Datetime("us", "UTC"))
    paths = files(lake_root, start, end)
    if not paths or symbols == []:
        frame = pl.DataFrame(schema=schema)
    else:
        scan = pl.scan_parquet(paths, hive_partitioning=False, glob=False)
        if symbols is not None:
            scan = scan.filter(pl.col("symbol").is_in(symbols))
        frame = (scan.select(list(QUOTE_SNAPSHOTS)).collect().cast(QUOTE_SNAPSHOTS)
                 .with_columns(pl.col("snapshot_at", "quote_time").dt.replace_time_zone("UTC"))
                 .sort("symbol", "snapshot_at"))
        if latest:
            frame = frame.group_by("symbol", maintain_order=True).last()
    if tz is not None:
        frame = frame.with_columns(pl.col("snapshot_at", "quote_time").dt.convert_time_zone(tz))
    return frame
