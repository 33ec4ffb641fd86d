"""The read path of intraday bars: month files where they are current, session files otherwise.

The session files (`lake/intraday_bars/interval=<i>/date=<session>/data.parquet`, ADR 0021)
are the truth and the unit of writing. A closed month also has a month file
(`interval=<i>/month=YYYY-MM/data.parquet`, storage/intraday_months.py, ADR 0023), sorted by
symbol in small row groups: a year of one symbol's 1h bars reads 12 footers and a few row
groups instead of 252 files. A session is served from its month file only while its session
file is the very file the month file was built from (same inode, size, mtime); a session
re-fetched or added since is read from its own file, at once. Each session comes from one
source, so a read never sees a row twice or misses one, and it takes no lock: every file is
renamed into place whole.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from stock_assets.lib.intraday.schema import INTRADAY_BARS
from stock_assets.lib.intraday.sessions import INTERVALS
from stock_assets.storage import intraday_months as months

TABLE = "intraday_bars"


def plan(lake_root: Path, interval: str, start: dt.date | None,
         end: dt.date | None) -> tuple[list[tuple[Path, list[dt.date]]], list[Path]]:
    """Which files a read of start..end opens: [(month file, the sessions it serves)], and the
    session files of every other session in the range."""
    sessions = months.session_files(lake_root, interval, start, end)
    by_month: dict[dt.date, list[dt.date]] = {}
    for day in sessions:
        by_month.setdefault(months.month_of(day), []).append(day)
    month_reads, day_reads = [], []
    for month, days in by_month.items():
        path = months.month_path(lake_root, interval, month)
        held = months.manifest(path) if path.exists() else {}
        served = [d for d in days if held.get(d) == sessions[d][1]]
        if served:
            month_reads.append((path, served))
        day_reads.extend(sessions[d][0] for d in days if d not in served)
    return month_reads, day_reads


def read(lake_root: Path, interval: str, symbols: list[str] | None, start: dt.date | None,
         end: dt.date | None, tz: str | None = None) -> pl.DataFrame:
    """Stored bars of `symbols` (None: all) at `interval` for sessions start..end, by symbol and ts.

    `ts` is the bar's start in UTC (time-zone aware), or in `tz` (e.g. 'America/New_York',
    'Europe/London') when given; `session` is the bar's market session date either way.
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval {interval!r} is not an intraday interval; valid: {', '.join(INTERVALS)}")
    schema = dict(INTRADAY_BARS, ts=pl.Datetime("us", "UTC"))
    month_reads, day_reads = plan(lake_root, interval, start, end) if symbols != [] else ([], [])
    if not month_reads and not day_reads:
        frame = pl.DataFrame(schema=schema)
    else:
        # One scan per kind of file, each filtered by symbol only (pushed down to the row
        # groups' statistics); a scan per month file with its own session filter was 10x slower.
        scans = [pl.scan_parquet(paths, hive_partitioning=False, glob=False).select(list(INTRADAY_BARS))
                 for paths in ([p for p, _ in month_reads], day_reads) if paths]
        if symbols is not None:
            wanted = pl.col("symbol") == symbols[0] if len(symbols) == 1 else pl.col("symbol").is_in(symbols)
            scans = [scan.filter(wanted) for scan in scans]
        frames = pl.collect_all(scans)
        if month_reads:  # a month file serves only its sessions whose files it still holds
            served = [d for _, days in month_reads for d in days]
            frames[0] = frames[0].filter(pl.col("session").is_in(served))
        frame = (pl.concat(frames, how="vertical_relaxed").cast(INTRADAY_BARS)
                 .with_columns(pl.col("ts").dt.replace_time_zone("UTC")).sort("symbol", "ts"))
    if tz is not None:
        frame = frame.with_columns(pl.col("ts").dt.convert_time_zone(tz))
    return frame
