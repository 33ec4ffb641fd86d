"""Quote snapshots on disk: one Parquet file per snapshot, a view over them, the latest per symbol.

Layout: `<lake>/quote_snapshots/date=YYYY-MM-DD/snapshot-HHMMSS.parquet` (the UTC date and
time of `snapshot_at`). One file per snapshot, not one per day: a day gathers up to ~60
snapshots written by separate runs, and a file per snapshot is written once, atomically
(temp file, fsync, rename), with no read-modify-write of a day file that another run may be
writing. A rerun of the same instant replaces its own file whole, so rows never double.

`prices.quote_snapshots` is a view over the files; `universe.fundamentals` is a table holding
each symbol's newest snapshot (a table, not a view: it outlives the retention of the files
and is read far more often than written). Retention drops whole day folders.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import polars as pl

from stock_assets.lib.quotes.schema import QUOTE_SNAPSHOTS
from stock_assets.lib.sql_text import glob_literal

TABLE = "quote_snapshots"
PATTERN = "date=*/snapshot-*.parquet"


def table_dir(lake_root: Path | str) -> Path:
    return Path(lake_root) / TABLE


def snapshot_path(lake_root: Path | str, snapshot_at: dt.datetime) -> Path:
    """Where the snapshot taken at `snapshot_at` (naive UTC) lives."""
    return table_dir(lake_root) / f"date={snapshot_at:%Y-%m-%d}" / f"snapshot-{snapshot_at:%H%M%S}.parquet"


def write_snapshot(lake_root: Path | str, frame: pl.DataFrame, snapshot_at: dt.datetime) -> Path:
    """Write one snapshot atomically (replacing an earlier write of the same instant)."""
    if list(frame.columns) != list(QUOTE_SNAPSHOTS):
        raise ValueError(f"quote snapshot columns {frame.columns} are not {list(QUOTE_SNAPSHOTS)}")
    target = snapshot_path(lake_root, snapshot_at)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    try:
        frame.write_parquet(tmp, compression="zstd")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return target


def has_files(lake_root: Path | str) -> bool:
    return any(table_dir(lake_root).glob(PATTERN))


def snapshot_days(lake_root: Path | str) -> list[dt.date]:
    return sorted(dt.date.fromisoformat(p.name.removeprefix("date="))
                  for p in table_dir(lake_root).glob("date=*") if p.is_dir())


def prune(lake_root: Path | str, keep_days: int, today: dt.date) -> list[dt.date]:
    """Drop the day folders older than `keep_days` before `today` (0: keep everything); the days dropped."""
    if keep_days < 0:
        raise ValueError(f"keep_days must be >= 0 (0 keeps every snapshot), got {keep_days}")
    if keep_days == 0:
        return []
    cutoff = today - dt.timedelta(days=keep_days)
    gone = [day for day in snapshot_days(lake_root) if day < cutoff]
    for day in gone:
        shutil.rmtree(table_dir(lake_root) / f"date={day:%Y-%m-%d}")
    return gone


def create_view(conn: duckdb.DuckDBPyConnection, lake_root: Path | str) -> None:
    """(Re)create `prices.quote_snapshots`: the files, or a typed empty view before the first one."""
    columns = ", ".join(QUOTE_SNAPSHOTS)
    if has_files(lake_root):
        literal = glob_literal(str(table_dir(lake_root)), PATTERN)
        source = f"SELECT {columns} FROM read_parquet({literal}, hive_partitioning = false, union_by_name = true)"
    else:
        typed = ", ".join(f"CAST(NULL AS {_duck(t)}) AS {c}" for c, t in QUOTE_SNAPSHOTS.items())
        source = f"SELECT {typed} WHERE FALSE"
    conn.execute("CREATE SCHEMA IF NOT EXISTS prices")
    conn.execute(f"CREATE OR REPLACE VIEW prices.quote_snapshots AS {source}")


def upsert_fundamentals(conn: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Make each symbol's row in `universe.fundamentals` its newest snapshot (an older one never wins)."""
    if not frame.height:
        return 0
    conn.register("incoming", frame.to_arrow())
    try:
        conn.execute("DELETE FROM universe.fundamentals f USING incoming i "
                     "WHERE f.symbol = i.symbol AND f.snapshot_at <= i.snapshot_at")
        cols = ", ".join(QUOTE_SNAPSHOTS)
        conn.execute(f"INSERT INTO universe.fundamentals ({cols}) SELECT {cols} FROM incoming i "
                     "WHERE i.symbol NOT IN (SELECT symbol FROM universe.fundamentals)")
        return int(conn.execute("SELECT count(*) FROM incoming i JOIN universe.fundamentals f "
                                "ON f.symbol = i.symbol AND f.snapshot_at = i.snapshot_at").fetchone()[0])
    finally:
        conn.unregister("incoming")


def _duck(dtype) -> str:
    return {"Datetime": "TIMESTAMP", "String": "VARCHAR", "Float64": "DOUBLE", "Int64": "BIGINT"}[type(dtype).__name__]
