"""The Parquet lake: one file per (table, trading day), replaced whole and atomically.

Layout: `<lake>/<table>/date=YYYY-MM-DD/data.parquet` (hive style, zstd).
Why one file per day: a partition is replaced by writing a temporary file beside it and
`os.replace`-ing it into place, which is atomic on POSIX; a reader sees the old day or
the new day, never half of one, and a crash mid-write leaves the old day intact.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from stock_assets.lib.schema import conform

# A table, optionally with one hive level above the dates (`intraday_bars/interval=1m`).
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}(/[a-z_]{1,20}=[a-z0-9]{1,8})?$")
FILE_NAME = "data.parquet"
# Up to this many calendar days, a range read looks each day up instead of listing the table.
LOOKUP_DAYS_MAX = 400


class LakeError(RuntimeError):
    """A lake operation that cannot proceed (bad table name, rows outside the partition)."""


class ParquetLake:
    """Atomic, idempotent, date-partitioned Parquet storage under one root directory."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    # -- paths ---------------------------------------------------------------------------
    def table_dir(self, table: str) -> Path:
        if not _TABLE_NAME.match(table):
            raise LakeError(f"table name {table!r} is not a plain lower-case identifier")
        return self.root / table

    def partition_path(self, table: str, day: dt.date) -> Path:
        if not isinstance(day, dt.date):
            raise LakeError(f"partition must be a date, got {day!r}")
        return self.table_dir(table) / f"date={day.isoformat()}" / FILE_NAME

    def glob(self, table: str) -> str:
        return str(self.table_dir(table) / "date=*" / FILE_NAME)

    # -- writes --------------------------------------------------------------------------
    def write_partition(self, table: str, day: dt.date, frame: pl.DataFrame, schema: dict) -> Path:
        """Replace one day's file with `frame` (which may be empty), atomically."""
        frame = conform(frame, schema)
        if frame.height and "date" in frame.columns:
            wrong = frame.filter(pl.col("date") != day)
            if wrong.height:
                raise LakeError(
                    f"{wrong.height} rows dated outside partition {day} would be written to it"
                )
        return self._replace_file(table, day, frame)

    def _replace_file(self, table: str, day: dt.date, frame: pl.DataFrame) -> Path:
        """Write `frame` (already conformed and checked) as the day's file: temp, then rename."""
        target = self.partition_path(table, day)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{FILE_NAME}.{uuid.uuid4().hex}.tmp"
        try:
            frame.write_parquet(tmp, compression="zstd", statistics=True)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        return target

    def write_partitions(
        self, table: str, days: Iterable[dt.date], frame: pl.DataFrame, schema: dict
    ) -> dict[dt.date, int]:
        """Write every day in `days` (days without rows become empty files); rows per day.

        Rows dated outside `days` are refused before anything is written.
        """
        days = sorted(set(days))
        frame = conform(frame, schema)
        outside = frame.filter(~pl.col("date").is_in(days)) if frame.height else frame.clear()
        if outside.height:
            raise LakeError(
                f"{outside.height} rows are dated outside the partitions being written "
                f"({days[0] if days else '-'}..{days[-1] if days else '-'})"
            )
        by_day = {key[0]: part for key, part in frame.partition_by("date", as_dict=True).items()} if frame.height else {}
        counts = {}
        empty = frame.clear()
        for day in days:  # conformed and range-checked above: no per-day re-validation
            part = by_day.get(day, empty)
            self._replace_file(table, day, part)
            counts[day] = part.height
        return counts

    def merge_symbols(
        self, table: str, day: dt.date, rows: pl.DataFrame, schema: dict, symbols: Iterable[str]
    ) -> int:
        """Replace only `symbols`' rows in one day's file, keeping every other symbol's rows."""
        symbols = sorted(set(symbols))
        existing = self.read_partition(table, day, schema)
        kept = existing.filter(~pl.col("symbol").is_in(symbols))
        new = conform(rows, schema).filter(pl.col("symbol").is_in(symbols))
        merged = pl.concat([kept, new]).sort("symbol")
        self.write_partition(table, day, merged, schema)
        return new.height

    # -- reads ---------------------------------------------------------------------------
    def has_partition(self, table: str, day: dt.date) -> bool:
        return self.partition_path(table, day).exists()

    def read_partition(self, table: str, day: dt.date, schema: dict) -> pl.DataFrame:
        path = self.partition_path(table, day)
        if not path.exists():
            return pl.DataFrame(schema=schema)
        return conform(pl.read_parquet(path), schema)

    def read_range(self, table: str, start: dt.date, end: dt.date, schema: dict) -> pl.DataFrame:
        """All rows dated start..end (inclusive) from the files that exist."""
        files = self.partition_files_between(table, start, end)
        if not files:
            return pl.DataFrame(schema=schema)
        return conform(pl.read_parquet(files), schema)

    def partition_files(self, table: str) -> list[Path]:
        base = self.table_dir(table)
        if not base.exists():
            return []
        return sorted(base.glob(f"date=*/{FILE_NAME}"))

    def partition_files_between(self, table: str, start: dt.date, end: dt.date) -> list[Path]:
        """The files dated start..end, by date.

        A short range looks each day's file up (the QA reads ten years in 20-day windows: a
        listing of every partition per window was 8 s of a backfill); a long one lists once.
        """
        if (end - start).days > LOOKUP_DAYS_MAX:
            return [p for p in self.partition_files(table) if start <= _day_of(p) <= end]
        days = (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
        return [path for path in (self.partition_path(table, day) for day in days) if path.exists()]

    def partition_days(self, table: str) -> list[dt.date]:
        return [_day_of(p) for p in self.partition_files(table)]


def _day_of(path: Path) -> dt.date:
    return dt.date.fromisoformat(path.parent.name.removeprefix("date="))
