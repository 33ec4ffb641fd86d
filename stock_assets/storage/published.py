"""The published copy of the warehouse: what readers open, so that they never hold the real one.

Why a copy: DuckDB lets one process write a file, and any other open connection to it, a
read-only one included, keeps that writer out. A notebook, a BI tool or the dashboard left
open on `warehouse.duckdb` for an hour would stall every run. So the writer publishes a
copy after each run (`WarehouseResource` does it when the run ends), and readers open only
the copy (`stock_assets.read`, ADR 0013):

- published atomically: CHECKPOINT under the writer's own connection, copy to a temp file
  beside the target, fsync, check that it opens, `os.replace` it into place, fsync the folder.
  A reader sees the previous copy or the new one, never half of one; a crash leaves the old.
- never waited for: a reader that holds the old copy open keeps reading that file (its
  inode) after the rename; the writer never opens the published path, so it never waits.
- the copy's lake views (`prices.daily_ohlcv`, `prices.daily_ohlcv_adjusted`) read the
  Parquet lake at query time, so a held copy sees each new day as soon as it is in the lake;
  its tables (corporate actions, universe, ops, qa) are as of the last publish.

Readers attach the copy to a fresh in-memory DuckDB (`open_read_only`), not
`duckdb.connect(path)`: within one process DuckDB hands out the instance it already has
for a path, so a second connect would keep reading the replaced file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb

from stock_assets.storage.warehouse import Warehouse

PUBLISHED_DIR = "published"
ATTACHED_AS = "published"


class NotPublished(FileNotFoundError):
    """No published copy yet: no run has used the warehouse since this data dir was made."""


def published_path(warehouse_path: Path | str) -> Path:
    """`<data>/published/warehouse.duckdb` for `<data>/warehouse.duckdb`: one definition."""
    warehouse_path = Path(warehouse_path)
    return warehouse_path.parent / PUBLISHED_DIR / warehouse_path.name


def publish(warehouse: Warehouse) -> Path | None:
    """Replace the published copy with the warehouse as it is now; the copy's path (None when
    there is no warehouse yet).

    Holds the warehouse's write lock only for the CHECKPOINT and the file copy (milliseconds
    for megabytes); waits for the lock like every writer (`Warehouse.connect`). Always copies:
    telling "unchanged since the last copy" from file times is unsafe within one clock tick.
    """
    if not warehouse.path.exists():
        return None
    target = published_path(warehouse.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        with warehouse.connect() as conn:
            conn.execute("CHECKPOINT")  # everything in the main file, nothing left in the WAL
            shutil.copyfile(warehouse.path, tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        _check_opens(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def _check_opens(path: Path) -> None:
    """A copy that DuckDB cannot open is never published (the previous one stays)."""
    conn = duckdb.connect()
    try:
        conn.execute(f"ATTACH {_literal(path)} AS candidate (READ_ONLY)")
        conn.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'candidate'").fetchone()
    finally:
        conn.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _literal(path: Path) -> str:
    """A path as a SQL string literal (paths come from settings, never from data)."""
    return "'" + str(path).replace("'", "''") + "'"


def open_read_only(warehouse_path: Path | str) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB with the published copy attached read-only and in use.

    Unqualified names (`prices.corporate_actions`, `universe.tickers`) resolve in the copy.
    The caller closes the connection. Raises NotPublished, naming the path, when there is
    no copy yet.
    """
    path = published_path(warehouse_path)
    if not path.exists():
        raise NotPublished(
            f"no published copy of the warehouse at {path} yet: it is written at the end of every "
            "run that uses the warehouse (run universe_job or daily_prices_job once), or by "
            "`stock_assets.storage.published.publish(Warehouse(path))`."
        )
    conn = duckdb.connect()
    try:
        conn.execute(f"ATTACH {_literal(path)} AS {ATTACHED_AS} (READ_ONLY)")
        conn.execute(f"USE {ATTACHED_AS}")
    except BaseException:
        conn.close()
        raise
    return conn
