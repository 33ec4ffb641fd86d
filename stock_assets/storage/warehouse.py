"""The DuckDB warehouse: short write transactions, lock-tolerant, views over the lake.

Why so careful with connections: DuckDB lets one process at a time hold a file read-write,
and a process that keeps a connection open locks out every other process, readers
included (DAGSTER_NOTES.md). So: open, write, commit, close, and retry the open with
backoff when another run holds the file.

DuckDB's lock is an OS file lock: the kernel releases it when the holding process dies, even
by SIGKILL, so a crashed run can never keep the warehouse; it is the only lock writers take
(no Dagster pool: ADR 0012). The wait on it sleeps, is bounded, and says who holds the file.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from stock_assets.lib.processes import describe, duckdb_lock_holder
from stock_assets.lib.schema import DAILY_OHLCV

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
# How long an open waits for another process's lock before WarehouseLocked; writes are short
# transactions, so only a stuck process or a person's read-write session holds it this long.
LOCK_WAIT_SECONDS = 600.0
# A wait this long is reported (and again every as long), naming the holder and how to free it.
LOCK_REPORT_EVERY = 60.0
LOCK_RETRY_MAX_SLEEP = 5.0
# Lake states (`Warehouse._view_state`) whose views this process has created.
_VIEWS_CREATED: set[tuple] = set()


class WarehouseLocked(RuntimeError):
    """Another process held the warehouse for longer than the wait allows."""


FREE_THE_LOCK = (
    "If that run is stuck, terminate it in the UI (Runs -> the run -> Terminate); if it is a "
    "DuckDB session of yours, close it. The lock goes with its process "
    "(docs/runbooks/run_died_or_step_waits.md)."
)


def _is_lock_error(err: Exception) -> bool:
    text = str(err).lower()
    return "lock" in text or "conflicting" in text or "being used by another" in text


def _price_views_exist(conn: duckdb.DuckDBPyConnection) -> bool:
    """Both lake views are in the catalog (a warehouse file deleted and recreated has neither)."""
    found = conn.execute(
        "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'prices' "
        "AND view_name IN ('daily_ohlcv', 'daily_ohlcv_adjusted')"
    ).fetchone()[0]
    return found == 2


def _checked(table: str) -> str:
    """A `schema.table` name from code; refuses anything else so data never becomes SQL."""
    if not _IDENTIFIER.match(table):
        raise ValueError(f"{table!r} is not a schema-qualified identifier")
    return table


def lock_holder_text(err: BaseException, holder_run: Callable[[int], str | None] | None = None) -> str:
    """Who holds the file, from DuckDB's error: the process, its command, and its run if known."""
    pid = duckdb_lock_holder(err)
    if pid is None:
        return "another process"
    try:
        run = holder_run(pid) if holder_run else None
    except Exception:  # noqa: BLE001 - naming the run is a courtesy; the wait must go on
        run = None
    return "another process, " + describe(pid) + (f", run {run}" if run else "")


class Warehouse:
    """One DuckDB file. Every method opens and closes its own connection.

    `on_wait` receives a message when an open has waited LOCK_REPORT_EVERY seconds for another
    process's lock, and again every as long (a step passes its log, so the wait shows in the
    UI); `holder_run` maps the holder's PID to the Dagster run it executes, when one does.
    """

    def __init__(self, path: Path | str, lake_root: Path | str | None = None,
                 lock_wait_seconds: float = LOCK_WAIT_SECONDS,
                 on_wait: Callable[[str], None] | None = None,
                 holder_run: Callable[[int], str | None] | None = None):
        self.path = Path(path)
        self.lake_root = Path(lake_root) if lake_root else self.path.parent / "lake"
        self.lock_wait_seconds = lock_wait_seconds
        self.on_wait = on_wait
        self.holder_run = holder_run

    # -- connections ---------------------------------------------------------------------
    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection held only for the `with` block, retried while another run holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and not self.path.exists():
            read_only = False  # nothing to read yet: create it
        conn = self._open_waiting(read_only)
        try:
            yield conn
        finally:
            conn.close()

    def _open_waiting(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file; while another process holds its lock, sleep (backoff with jitter, at
        most LOCK_RETRY_MAX_SLEEP), report every LOCK_REPORT_EVERY, give up after the wait."""
        started = time.monotonic()
        next_report = started + LOCK_REPORT_EVERY
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except (duckdb.IOException, duckdb.ConnectionException) as err:
                if not _is_lock_error(err):
                    raise
                now = time.monotonic()
                if now - started > self.lock_wait_seconds:
                    raise WarehouseLocked(
                        f"{self.path} stayed locked by {lock_holder_text(err, self.holder_run)} for "
                        f"{self.lock_wait_seconds:g}s. {FREE_THE_LOCK}"
                    ) from err
                if self.on_wait and now >= next_report:
                    self.on_wait(
                        f"waiting {now - started:.0f}s (at most {self.lock_wait_seconds:g}s) for the "
                        f"warehouse {self.path}, locked by {lock_holder_text(err, self.holder_run)}. "
                        f"{FREE_THE_LOCK}"
                    )
                    next_report = now + LOCK_REPORT_EVERY
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, LOCK_RETRY_MAX_SLEEP / 2)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction: committed at the end of the block, rolled back on error."""
        with self.connect() as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- schema --------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create every schema, table and view that does not exist yet.

        The lake views are re-created once per process for a given lake state, not on every
        call: every step of a run calls this, and re-creating the view makes DuckDB read every
        file's footer (0.6 s over ten years of partitions, eight times a run).
        """
        ddl = resources.files("stock_assets.storage").joinpath("schema.sql").read_text()
        state = self._view_state()
        with self.connect() as conn:
            conn.execute(ddl)
            if state not in _VIEWS_CREATED or not _price_views_exist(conn):
                self._create_price_views(conn)
                _VIEWS_CREATED.add(state)

    def refresh_views(self) -> None:
        """Re-point the lake views; call after the lake gains its first partition."""
        state = self._view_state()
        with self.connect() as conn:
            self._create_price_views(conn)
        _VIEWS_CREATED.add(state)

    def _view_state(self) -> tuple:
        """What the views depend on: the warehouse, the lake, and whether the lake has files yet
        (over an empty lake the view is a typed empty one)."""
        from stock_assets.storage import quote_store, stream_lake
        from stock_assets.storage.intraday_views import has_files

        return (str(self.path.resolve()), str(self.lake_root.resolve()), self._lake_has_files(),
                has_files(self.lake_root), quote_store.has_files(self.lake_root), stream_lake.has_files(self.lake_root),
                self._manifest_state())

    def _manifest_state(self) -> tuple | None:
        """The compaction manifest's identity: the view names the compacted files (ADR 0025)."""
        from stock_assets.storage.compaction import manifest_path

        try:
            st = manifest_path(self.lake_root).stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns

    def _lake_has_files(self) -> bool:
        return any((self.lake_root / "daily_ohlcv").glob("date=*/data.parquet"))

    def _create_price_views(self, conn: duckdb.DuckDBPyConnection) -> None:
        has_files = self._lake_has_files()
        columns = ", ".join(DAILY_OHLCV)
        if has_files:
            # The daily files, and the compacted ones where a compaction ran (ADR 0025); the
            # directory comes from the settings: quoted, and its glob characters escaped.
            from stock_assets.storage import compacted_view

            source = compacted_view.source(self.lake_root, list(DAILY_OHLCV))
        else:
            # An empty glob fails in read_parquet: keep a typed, empty view until data lands.
            typed = ", ".join(f"CAST(NULL AS {_duck_type(t)}) AS {c}" for c, t in DAILY_OHLCV.items())
            source = f"SELECT {typed} WHERE FALSE"
        conn.execute("CREATE SCHEMA IF NOT EXISTS prices")
        conn.execute(f"CREATE OR REPLACE VIEW prices.daily_ohlcv AS {source}")
        # The split- and dividend-adjusted series, derived from the as-traded rows and
        # prices.corporate_actions (lib/adjust.py); only once that table exists.
        has_actions = conn.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'prices' AND table_name = 'corporate_actions'"
        ).fetchone()[0]
        if has_actions:
            from stock_assets.lib.adjust import ADJUSTED_VIEW_SQL

            conn.execute(ADJUSTED_VIEW_SQL)
        from stock_assets.storage import intraday_views  # intraday, weekly and monthly bars

        intraday_views.create_views(conn, self.lake_root)
        from stock_assets.storage import quote_store  # quote snapshots

        quote_store.create_view(conn, self.lake_root)
        from stock_assets.storage import stream_lake  # streamed minutes (ADR 0027)

        stream_lake.create_view(conn, self.lake_root)

    # -- reads and writes ----------------------------------------------------------------
    def query(self, sql: str, params: Sequence | dict | None = None) -> pl.DataFrame:
        """Run a parameterised read and return a polars frame.

        Read-only, held for the one query: it never takes the write lock, and it keeps a
        writer of another process waiting only while the query runs. It is the pipeline's
        own read; people and programs read through `stock_assets.read` (ADR 0013).
        """
        with self.connect(read_only=True) as conn:
            return conn.execute(sql, params or []).pl()

    def scalar(self, sql: str, params: Sequence | dict | None = None):
        """The first column of the first row of a read (read-only, like `query`)."""
        with self.connect(read_only=True) as conn:
            row = conn.execute(sql, params or []).fetchone()
            return row[0] if row else None

    def count(self, table: str, where: str = "", params: Sequence | None = None) -> int:
        """Row count of `table` (a name from code) with an optional parameterised filter."""
        sql = f"SELECT count(*) FROM {_checked(table)}" + (f" WHERE {where}" if where else "")
        return int(self.scalar(sql, params))

    def replace_rows(self, table: str, frame: pl.DataFrame, delete_where: str,
                     params: Sequence | None = None) -> int:
        """Delete the rows `delete_where` selects, then insert `frame`, in one transaction.

        Reruns therefore replace what they wrote before instead of adding to it.
        """
        table = _checked(table)
        with self.transaction() as conn:
            conn.execute(f"DELETE FROM {table} WHERE {delete_where}", params or [])
            if frame.height:
                conn.register("incoming", frame.to_arrow())
                cols = ", ".join(frame.columns)
                conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming")
                conn.unregister("incoming")  # no mutate: the connection closes at the end of the block and the view with it
        return frame.height

    def append_rows(self, table: str, frame: pl.DataFrame) -> int:
        table = _checked(table)
        if not frame.height:
            return 0
        with self.transaction() as conn:
            conn.register("incoming", frame.to_arrow())
            cols = ", ".join(frame.columns)
            conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming")
            conn.unregister("incoming")  # no mutate: the connection closes at the end of the block and the view with it
        return frame.height


def _duck_type(dtype: pl.DataType) -> str:
    mapping = {
        pl.Date: "DATE", pl.String: "VARCHAR", pl.Float64: "DOUBLE", pl.Int64: "BIGINT",
    }
    for polars_type, duck in mapping.items():
        if dtype == polars_type:
            return duck
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    raise TypeError(f"no DuckDB type for {dtype}")
