"""The read path of streamed minutes: `lake/stream_prices/date=<UTC day>/HHMM.parquet` (ADR 0027).

No lock: the stream renames each finished minute into place, so a read sees whole minutes only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from stock_assets.lib.stream.bars import stream_schema
from stock_assets.storage.stream_lake import FILE_GLOB, TABLE


def files(lake_root: Path, start: dt.date | None, end: dt.date | None) -> list[Path]:
    """The minute files of UTC days start..end (inclusive; None is unbounded)."""
    out = []
    for day_dir in sorted((Path(lake_root) / TABLE).glob("date=*")):
        day = dt.date.fromisoformat(day_dir.name.removeprefix("date="))
        if (start is None or day >= start) and (end is None or day <= end):
            out += sorted(day_dir.glob(FILE_GLOB))
    return out


def read(lake_root: Path, symbols: list[str] | None, start: dt.date | None, end: dt.date | None,
         tz: str | None = None) -> pl.DataFrame:
    """Streamed bars of `symbols` (None: all) on UTC days start..end, by symbol and minute; `ts` aware."""
    schema = stream_schema()
    paths = files(lake_root, start, end)
    if not paths or symbols == []:
        frame = pl.DataFrame(schema=schema)
    else:
        scan = pl.scan_parquet(paths, glob=False)
        if symbols is not None:
            scan = scan.filter(pl.col("symbol").is_in(symbols))
        frame = scan.select(list(schema)).collect().cast(schema).sort("symbol", "ts")
    frame = frame.with_columns(pl.col("ts", "last_tick_at").dt.replace_time_zone("UTC"))
    return frame.with_columns(pl.col("ts").dt.convert_time_zone(tz)) if tz else frame
