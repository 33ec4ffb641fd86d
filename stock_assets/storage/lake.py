"""The Parquet lake: one file per (table, trading day), replaced whole and atomically.

Layout: `<lake>/<table>/date=YYYY-MM-DD/data.parquet` (hive style, zstd).
Why one file per day: a partition is replaced by writing a temporary file beside it and
`os.replace`-ing it into place, which is atomic on POSIX; a reader sees the old day or
the new day, never half of one, and a crash mid-write leaves the old day intact. The temp
file is fsync'ed before the rename and the directory after it, so a power loss cannot
leave a renamed but empty file. A temp file's name carries its writer's process id
(`lib/processes.py`): the next write sweeps the temp files of writers that died (a SIGKILL
or an OOM kill runs no clean-up), and never those of a writer still at work.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from stock_assets.lib.processes import ProcessId, identify, is_gone
from stock_assets.lib.schema import ADDED_LATER, conform

# A table, optionally with one hive level above the dates (`intraday_bars/interval=1m`).
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}(/[a-z_]{1,20}=[a-z0-9]{1,8})?$")
FILE_NAME = "data.parquet"
# Up to this many calendar days, a range read looks each day up instead of listing the table.
LOOKUP_DAYS_MAX = 400
TEMP_GLOB = f".{FILE_NAME}.*.tmp"
# A temp file whose writer cannot be checked (another host, or a name from before writers
# were named) is swept once it is this old: no write of one day's file takes an hour.
TEMP_ORPHAN_SECONDS = 3600.0
_WRITER_TAGS: dict[int, str] = {}
FSYNC_THREADS = 8


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
        """Write `frame` (already conformed and checked) as the day's file: temp, fsync, rename."""
        return self._replace_files(table, [(day, frame)])[0]

    def _write_temp(self, table: str, day: dt.date, frame: pl.DataFrame) -> tuple[Path, Path]:
        """`frame` as a temp file beside the day's file (not yet durable); (temp, target)."""
        target = self.partition_path(table, day)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{FILE_NAME}.{_writer_tag()}.{uuid.uuid4().hex}.tmp"
        try:
            frame.write_parquet(tmp, compression="zstd", statistics=True)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, target

    def _replace_files(self, table: str, frames: Iterable[tuple[dt.date, pl.DataFrame]]) -> list[Path]:
        """Replace each day's file: every temp written, fsync'ed (in parallel: one at a time a
        250-day range spent 0.75 s in fsync, 8 at a time 0.12 s), renamed, then each folder
        fsync'ed so the rename lasts. Any failure removes the temp files not yet renamed."""
        staged: list[tuple[Path, Path]] = []
        days: list[dt.date] = []
        try:
            for day, frame in frames:
                staged.append(self._write_temp(table, day, frame))
                days.append(day)
            _fsync_all([tmp for tmp, _ in staged])
            # The compacted layer's lock and override marks (ADR 0025): a day written into a
            # compacted period is read from its daily file from the rename on.
            from stock_assets.storage import compaction

            with compaction.writing(self.root, table, days):
                for tmp, target in staged:
                    os.replace(tmp, target)
            _fsync_all(sorted({target.parent for _, target in staged}))
        finally:
            for tmp, _ in staged:
                if tmp.exists():
                    tmp.unlink()
        return [target for _, target in staged]

    def sweep_temp_files(self, table: str) -> list[Path]:
        """Delete the temp files of writers that died (killed mid-write); the paths deleted.

        A temp file of a live writer, or of one this host cannot check that is younger than
        TEMP_ORPHAN_SECONDS, is left alone: deleting it would fail that writer's rename.
        """
        base = self.table_dir(table)
        if not base.exists():
            return []
        swept = []
        for tmp in base.glob(f"date=*/{TEMP_GLOB}"):
            if _temp_is_orphan(tmp):
                tmp.unlink(missing_ok=True)
                swept.append(tmp)
        return swept

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
        self.sweep_temp_files(table)
        empty = frame.clear()  # conformed and range-checked above: no per-day re-validation
        parts = [(day, by_day.get(day, empty)) for day in days]
        self._replace_files(table, parts)
        return {day: part.height for day, part in parts}

    def merge_symbols(
        self, table: str, day: dt.date, rows: pl.DataFrame, schema: dict, symbols: Iterable[str]
    ) -> int:
        """Replace `symbols`' rows in one day's file by the new ones, keeping every other row.

        A stored row is replaced only by a new row of the same symbol: a symbol among
        `symbols` with no new row this day (a partial answer) keeps its stored bar. A merge
        never removes a bar it has no replacement for.
        """
        symbols = sorted(set(symbols))
        existing = self.read_partition(table, day, schema)
        new = conform(rows, schema).filter(pl.col("symbol").is_in(symbols))
        kept = existing.filter(~pl.col("symbol").is_in(new["symbol"].unique().to_list()))
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
        return conform(pl.read_parquet(path, glob=False), schema)

    def read_range(self, table: str, start: dt.date, end: dt.date, schema: dict) -> pl.DataFrame:
        """All rows dated start..end (inclusive) from the files that exist."""
        files = self.partition_files_between(table, start, end)
        if not files:
            return pl.DataFrame(schema=schema)
        try:
            frame = pl.read_parquet(files, glob=False)  # paths, not patterns
        except pl.exceptions.PolarsError:  # files from before a column was added (ADDED_LATER)
            frame = pl.read_parquet(files, schema=schema, missing_columns="insert", glob=False)
        later = [pl.lit(None, schema[c]).alias(c) for c in ADDED_LATER if c in schema and c not in frame.columns]
        return conform(frame.with_columns(later) if later else frame, schema)

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


def _writer_tag() -> str:
    """This process as a file-name piece: its ProcessId with `/` made `~` (names cannot hold `/`)."""
    pid = os.getpid()  # keyed by PID: a forked child is another writer
    if pid not in _WRITER_TAGS:
        _WRITER_TAGS[pid] = identify().text().replace("/", "~")
    return _WRITER_TAGS[pid]


def _temp_is_orphan(tmp: Path) -> bool:
    """Whether `tmp`'s writer is gone: by its name, else (another host, an old name) by its age."""
    middle = tmp.name.removeprefix(f".{FILE_NAME}.").removesuffix(".tmp")  # '<writer>.<uuid>'
    writer = ProcessId.parse(middle.rsplit(".", 1)[0].replace("~", "/")) if "." in middle else None
    gone = is_gone(writer) if writer else None
    if gone is not None:
        return gone
    try:
        return time.time() - tmp.stat().st_mtime > TEMP_ORPHAN_SECONDS
    except FileNotFoundError:
        return False  # its writer renamed it meanwhile  # no mutate: the one caller tests truthiness (None and False alike)


def _fsync(path: Path) -> None:
    """Flush `path` (a file, or a folder after a rename in it) to disk; a no-op where a folder
    cannot be opened (not POSIX)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except IsADirectoryError:
        return
    except PermissionError:
        if path.is_dir():
            return
        raise
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_all(paths: list[Path]) -> None:
    if len(paths) <= 1:
        for path in paths:
            _fsync(path)
        return
    with ThreadPoolExecutor(FSYNC_THREADS) as pool:
        list(pool.map(_fsync, paths))  # fsync releases the GIL; the file system batches them


def partition_day(path: Path) -> dt.date:
    """The day of a partition file (`.../date=YYYY-MM-DD/data.parquet`)."""
    return dt.date.fromisoformat(path.parent.name.removeprefix("date="))


_day_of = partition_day
