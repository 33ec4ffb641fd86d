"""Lake files written before a column was added get it, once, in place (atomically).

Why: `currency` joined `daily_ohlcv` with the markets (ADR 0020). A file written before has
no such column, and the blocking `schema` check compares every file of its window with the
stored schema: without an upgrade, the first nightly run after upgrading the code would fail
on history it did not write. Readers tolerate the old files (`ParquetLake.read_range`), but
the files themselves must say what they hold.

The upgrade reads only Parquet footers to find the old files (cheap), rewrites each through
the lake's own atomic replace, and leaves a marker (`.upgraded-<columns>`) so later runs skip
the footer scan. The value filled in comes from the caller (the quote currency of each
symbol: `universe.tickers.currency`, else what the symbol's form says); a row stored as traded
stays as traded, only the missing column is added.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from stock_assets.lib.schema import ADDED_LATER
from stock_assets.storage.lake import ParquetLake, partition_day


def marker(lake: ParquetLake, table: str) -> Path:
    return lake.table_dir(table) / f".upgraded-{'-'.join(sorted(ADDED_LATER))}"


def files_lacking(lake: ParquetLake, table: str, columns: set[str]) -> list[Path]:
    """Partition files whose footer lacks any of `columns`."""
    return [p for p in lake.partition_files(table) if not columns <= set(pl.read_parquet_schema(p))]


def add_missing_columns(lake: ParquetLake, table: str, schema: dict,
                        fill: Callable[[str, pl.DataFrame], pl.Series]) -> list[Path]:
    """Add every ADDED_LATER column of `schema` to the files of `table` that lack it.

    `fill(column, frame)` gives the values for the rows of one old file. Returns the files
    rewritten (empty once upgraded: the marker stops the scan). Idempotent, and safe to stop
    half-way: each file is replaced whole, the marker is written last.
    """
    done = marker(lake, table)
    if done.exists() or not lake.table_dir(table).exists():
        return []
    wanted = {c for c in ADDED_LATER if c in schema}
    rewritten = []
    for path in files_lacking(lake, table, wanted):
        frame = pl.read_parquet(path, glob=False)
        added = frame.with_columns(*[fill(c, frame).cast(schema[c]).alias(c) for c in wanted if c not in frame.columns])
        day = partition_day(path)
        lake.write_partition(table, day, added, schema)
        rewritten.append(path)
    done.write_text("lake files upgraded: every file of this table holds " + ", ".join(sorted(wanted)) + "\n")
    return rewritten
