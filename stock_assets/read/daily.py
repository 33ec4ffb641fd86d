"""The read path of daily bars: which lake files a read opens, and how.

Why its own module: this is the one place that knows how the lake is laid out for reading.
Closed periods are also kept compacted, one file per year (or month of the open year) sorted
by (symbol, date) (ADR 0025): a read that spans many days of a period reads its compacted
file (one symbol's ten years: ~10 files instead of ~2,500), a read of a few days reads the
daily files (a cross-section of one date opens one file). A day written again after its
period was compacted is listed as an override and always read from its daily file.

Safe beside a writer and a compaction: the manifest is read once per call and names only
complete, immutable files; daily files are replaced by atomic renames. A read therefore
sees each day once, from one file, and takes no lock.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl

from stock_assets.lib.compaction import Entry
from stock_assets.lib.schema import DAILY_OHLCV, conform
from stock_assets.storage import compaction
from stock_assets.storage.lake import LOOKUP_DAYS_MAX, ParquetLake

TABLE = "daily_ohlcv"
# A read of a symbol list takes a period from its compacted file when it spans more than
# this many of the period's days; fewer daily files are cheaper than a compacted file's
# footer and row groups. A read of every symbol takes the compacted file only for at least
# half of its period (a cross-section would decode the whole period). docs/performance.md.
COMPACTED_MIN_DAYS = 20


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
    if symbols == []:
        return pl.DataFrame(schema={c: DAILY_OHLCV[c] for c in columns})
    lo, hi = start or dt.date.min, end or dt.date.max
    chosen = [e for e in compaction.current(lake_root)
              if e.first <= hi and e.last >= lo and _prefer_compacted(e, lo, hi, symbols)]
    paths = _daily_paths(lake_root, start, end, chosen)
    scans = [_scan([directory / e.file], symbols).filter(
                 pl.col("date").is_between(max(lo, e.first), min(hi, e.last))
                 & ~pl.col("date").is_in(sorted(e.overrides)))
             for e, directory in ((e, compaction.directory(lake_root)) for e in chosen)]
    if paths:
        scans.append(_scan(paths, symbols))
    if not scans:
        return pl.DataFrame(schema={c: DAILY_OHLCV[c] for c in columns})
    frame = pl.concat([scan.select(columns) for scan in scans]).collect()
    return conform(frame, DAILY_OHLCV, columns).sort("symbol", "date")


def _scan(paths: list[Path], symbols: list[str] | None) -> pl.LazyFrame:
    # The stored schema, whatever a file adds or lacks (a column added later reads as null in
    # older files, as the warehouse view's union_by_name does); the paths are literal.
    scan = pl.scan_parquet(paths, schema=DAILY_OHLCV, hive_partitioning=False, glob=False,
                           missing_columns="insert", extra_columns="ignore")
    return scan if symbols is None else scan.filter(pl.col("symbol").is_in(symbols))


def _daily_paths(lake_root: Path, start: dt.date | None, end: dt.date | None,
                 chosen: list[Entry]) -> list[Path]:
    """The daily files dated start..end of the days no chosen compacted file serves, by date.

    A short bounded range looks each day up; otherwise the folder's names are listed (no
    stat per day: ten years of days served by compacted files cost no file look-up)."""
    lake = ParquetLake(lake_root)
    if start is not None and end is not None and (end - start).days <= LOOKUP_DAYS_MAX:
        return [p for p in lake.partition_files_between(TABLE, start, end) if _served(chosen, _day(p)) is None]
    lo, hi = start or dt.date.min, end or dt.date.max
    try:
        names = [entry.name for entry in os.scandir(lake.table_dir(TABLE))]
    except FileNotFoundError:
        return []
    days = sorted(d for d in (_name_day(n) for n in names) if d is not None and lo <= d <= hi)
    wanted = (lake.partition_path(TABLE, d) for d in days if _served(chosen, d) is None)
    return [p for p in wanted if p.exists()]


def _name_day(name: str) -> dt.date | None:
    if not name.startswith("date="):
        return None
    try:
        return dt.date.fromisoformat(name[5:])
    except ValueError:
        return None


def _prefer_compacted(entry: Entry, lo: dt.date, hi: dt.date, symbols: list[str] | None) -> bool:
    span = (min(hi, entry.last) - max(lo, entry.first)).days + 1
    if symbols is None:
        return 2 * span >= (entry.last - entry.first).days + 1
    return span > COMPACTED_MIN_DAYS


def _served(chosen: list[Entry], day: dt.date) -> Entry | None:
    for entry in chosen:
        if entry.first <= day <= entry.last and day not in entry.overrides:
            return entry
    return None


def _day(path: Path) -> dt.date:
    return dt.date.fromisoformat(path.parent.name.removeprefix("date="))
