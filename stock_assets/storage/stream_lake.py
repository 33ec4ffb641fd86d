"""Where the stream writes: one Parquet file per closed minute, a heartbeat, a single-writer lock.

Layout: `<lake>/stream_prices/date=YYYY-MM-DD/HHMM.parquet` (the minute's UTC date and start;
every symbol of that minute in one file), and `<data>/stream/heartbeat.json`, `stream.lock`.

Why like `storage/lake.py`: a minute is written to a temp file beside its place, fsync'ed,
renamed over it and its folder fsync'ed, so a reader (the view, `read.stream_prices`) sees a
whole minute or none, and a crash leaves at worst a temp file. Temp files never match the
readers' glob (`[0-9]*.parquet`), and the next streamer deletes them at its start: it holds the
lock (an OS `flock`, released by the kernel when its process dies, even by SIGKILL), so any
temp file it finds belongs to a dead writer. A minute file that already exists (a restart in
the middle of that minute) is merged with, never replaced by, the new rows.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import uuid
from pathlib import Path

import duckdb
import polars as pl

from stock_assets.lib.sql_text import glob_literal
from stock_assets.lib.stream.bars import merge_frames, stream_schema
from stock_assets.lib.stream.status import Heartbeat
from stock_assets.storage.lake import _fsync

TABLE = "stream_prices"
FILE_GLOB = "[0-9]*.parquet"


class StreamAlreadyRunning(RuntimeError):
    """Another streamer holds this data dir's stream lock."""


class StreamLake:
    """The stream's files under one data dir."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self.table_dir = self.data_dir / "lake" / TABLE
        self.state_dir = self.data_dir / "stream"
        self._lock_fd: int | None = None

    # -- paths ---------------------------------------------------------------------------
    @property
    def heartbeat_path(self) -> Path:
        return self.state_dir / "heartbeat.json"

    def minute_path(self, minute: dt.datetime) -> Path:
        utc = minute.astimezone(dt.UTC) if minute.tzinfo else minute
        return self.table_dir / f"date={utc:%Y-%m-%d}" / f"{utc:%H%M}.parquet"

    # -- the single-writer lock ----------------------------------------------------------
    def acquire(self) -> None:
        """Take the stream lock (non-blocking), then delete the temp files dead writers left."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.state_dir / "stream.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StreamAlreadyRunning(
                f"another stream (PID {holder}) already writes {self.table_dir}; stop it first "
                "(`systemctl stop stock-assets-stream`, or kill that PID)") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd
        for tmp in list(self.table_dir.glob("date=*/.*.tmp")) + list(self.state_dir.glob(".*.tmp")):
            tmp.unlink(missing_ok=True)

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- writes --------------------------------------------------------------------------
    def _replace(self, target: Path, write) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        try:
            write(tmp)
            _fsync(tmp)
            os.replace(tmp, target)
            _fsync(target.parent)
        finally:
            tmp.unlink(missing_ok=True)

    def write_minute(self, minute: dt.datetime, rows: pl.DataFrame) -> Path:
        """Store one minute's rows atomically, merged with what an earlier process stored for it."""
        path = self.minute_path(minute)
        if path.exists():
            rows = merge_frames(pl.read_parquet(path), rows.cast(stream_schema()))
        self._replace(path, lambda tmp: rows.write_parquet(tmp, compression="zstd", statistics=True))
        return path

    def write_heartbeat(self, beat: Heartbeat) -> None:
        self._replace(self.heartbeat_path, lambda tmp: tmp.write_text(beat.to_json()))

    # -- reads ---------------------------------------------------------------------------
    def read_heartbeat(self) -> Heartbeat | None:
        try:
            return Heartbeat.from_json(self.heartbeat_path.read_text())
        except FileNotFoundError:
            return None

    def minute_files(self, day: dt.date | None = None) -> list[Path]:
        pattern = f"date={day:%Y-%m-%d}" if day else "date=*"
        return sorted(self.table_dir.glob(f"{pattern}/{FILE_GLOB}"))

    def newest_minute(self) -> tuple[dt.datetime, Path] | None:
        """The newest minute stored and its file (looks in the newest day folder only)."""
        days = sorted(self.table_dir.glob("date=*"))
        for day_dir in reversed(days):
            files = sorted(day_dir.glob(FILE_GLOB))
            if files:
                day = dt.date.fromisoformat(day_dir.name.removeprefix("date="))
                stamp = files[-1].stem
                return dt.datetime.combine(day, dt.time(int(stamp[:2]), int(stamp[2:])), dt.UTC), files[-1]
        return None


def has_files(lake_root: Path) -> bool:
    return any((Path(lake_root) / TABLE).glob(f"date=*/{FILE_GLOB}"))


def create_view(conn: duckdb.DuckDBPyConnection, lake_root: Path) -> None:
    """`prices.stream_prices` over the minute files (a typed empty view until the first one)."""
    schema = stream_schema()
    columns = ", ".join(schema)
    if has_files(lake_root):
        literal = glob_literal(str(Path(lake_root) / TABLE), f"date=*/{FILE_GLOB}")
        source = f"SELECT {columns} FROM read_parquet({literal}, hive_partitioning = false, union_by_name = true)"
    else:
        kinds = {"Datetime": "TIMESTAMP", "String": "VARCHAR", "Float64": "DOUBLE", "Int64": "BIGINT"}
        typed = ", ".join(f"CAST(NULL AS {kinds[type(t).__name__]}) AS {c}" for c, t in schema.items())
        source = f"SELECT {typed} WHERE FALSE"
    conn.execute("CREATE SCHEMA IF NOT EXISTS prices")
    conn.execute(f"CREATE OR REPLACE VIEW prices.stream_prices AS {source}")
