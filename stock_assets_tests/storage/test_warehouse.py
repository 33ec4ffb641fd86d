"""Warehouse: schema, idempotent writes, SQL identifiers from code only, DuckDB's lock waited out."""

import datetime as dt
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import polars as pl
import pytest

from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage import warehouse as warehouse_module
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse, WarehouseLocked, _duck_type

ERRORS = {"run_id": pl.String, "session": pl.Date, "symbol": pl.String, "code": pl.String,
          "message": pl.String, "attempts": pl.Int32, "recorded_at": pl.Datetime("us")}


def _errors(run_id: str, n: int) -> pl.DataFrame:
    return pl.DataFrame({"run_id": run_id, "session": [dt.date(2024, 6, 3)] * n, "symbol": [f"S{i}" for i in range(n)],
                         "code": "YFEMPTY", "message": "m", "attempts": 1, "recorded_at": dt.datetime(2024, 6, 4)},
                        schema=ERRORS)


def test_schema_creates_every_table_and_an_empty_typed_view(warehouse):
    tables = set(warehouse.query(
        "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables")["t"])
    assert {"universe.tickers", "universe.listing_snapshots", "prices.corporate_actions", "ops.fetch_errors",
            "ops.dead_letter", "qa.failures", "qa.summary", "dashboard.kpis", "prices.daily_ohlcv"} <= tables
    empty = warehouse.query("SELECT * FROM prices.daily_ohlcv")
    assert empty.height == 0 and empty.columns == list(DAILY_OHLCV)
    warehouse.ensure_schema()  # idempotent


def test_view_follows_the_lake_once_it_has_files(warehouse, data_dir):
    frame = pl.DataFrame({"date": [dt.date(2024, 6, 3)], "symbol": ["A"], "open": [1.0], "high": [2.0], "low": [0.5],
                          "close": [1.5], "adj_close": [1.5], "volume": [10], "currency": ["USD"], "provider": ["t"],
                          "source_ts": [None], "ingested_at": [dt.datetime(2024, 6, 4)], "run_id": ["r"], "currency": ["USD"]})
    ParquetLake(data_dir / "lake").write_partitions("daily_ohlcv", [dt.date(2024, 6, 3)], frame, DAILY_OHLCV)
    warehouse.refresh_views()
    assert warehouse.count("prices.daily_ohlcv", "symbol = ?", ["A"]) == 1


def test_replace_rows_is_idempotent(warehouse):
    for _ in range(2):
        warehouse.replace_rows("ops.fetch_errors", _errors("r1", 3), "run_id = ?", ["r1"])
    assert warehouse.count("ops.fetch_errors") == 3
    warehouse.append_rows("ops.fetch_errors", _errors("r2", 2))
    assert warehouse.append_rows("ops.fetch_errors", _errors("r3", 0)) == 0
    assert warehouse.count("ops.fetch_errors", "run_id = ?", ["r2"]) == 2


def test_failed_transaction_rolls_back(warehouse):
    warehouse.replace_rows("ops.fetch_errors", _errors("r1", 3), "run_id = ?", ["r1"])
    with pytest.raises(RuntimeError):
        with warehouse.transaction() as conn:
            conn.execute("DELETE FROM ops.fetch_errors")
            raise RuntimeError("boom")
    assert warehouse.count("ops.fetch_errors") == 3


@pytest.mark.parametrize("table", ["ops.fetch_errors; DROP TABLE x", "fetch_errors", "ops.\"x\"", "../x.y"])
def test_table_names_from_data_are_refused(warehouse, table):
    with pytest.raises(ValueError, match="schema-qualified identifier"):
        warehouse.count(table)


def test_symbol_text_is_a_parameter_never_sql(warehouse):
    hostile = "A'; DROP TABLE ops.fetch_errors;--"
    warehouse.append_rows("ops.fetch_errors", _errors("r1", 1).with_columns(symbol=pl.lit(hostile)))
    assert warehouse.count("ops.fetch_errors", "symbol = ?", [hostile]) == 1


def test_duck_types_cover_the_lake_schema():
    assert [_duck_type(t) for t in DAILY_OHLCV.values()][:3] == ["DATE", "VARCHAR", "DOUBLE"]
    with pytest.raises(TypeError):
        _duck_type(pl.List(pl.Int8))


HOLDER = textwrap.dedent("""
    import sys, duckdb
    conn = duckdb.connect(sys.argv[1])
    conn.execute("BEGIN TRANSACTION")
    conn.execute("INSERT INTO ops.dead_letter VALUES ('HOLD', now(), 3, 'YFEMPTY', 'held')")
    print("holding", flush=True)
    sys.stdin.readline()  # hold the lock until the test says so (or closes the pipe)
    conn.execute("COMMIT")
    conn.close()
""")


def _hold(path) -> subprocess.Popen:
    """Another process that holds the file read-write until `_release` (no timing window)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def _release(holder: subprocess.Popen) -> int:
    holder.stdin.write("release\n")
    holder.stdin.close()
    return holder.wait(timeout=30)


def test_a_second_process_waits_out_the_writer_lock(warehouse, monkeypatch):
    """Another process holds the file read-write; our write waits (a backoff sleep), the holder
    commits during that wait, and our write then succeeds. The holder is released from inside
    the first sleep, so the test depends on no clock."""
    holder = _hold(warehouse.path)
    sleeps = []

    def sleep(seconds):  # the first wait is where the holder lets go
        sleeps.append(seconds)
        if len(sleeps) == 1:
            assert _release(holder) == 0
    monkeypatch.setattr(warehouse_module, "time", SimpleNamespace(monotonic=time.monotonic, sleep=sleep))
    try:
        warehouse.replace_rows("ops.fetch_errors", _errors("r1", 2), "run_id = ?", ["r1"])
    finally:
        if holder.poll() is None:
            _release(holder)
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 0.1  # waited once, with the first backoff step
    assert warehouse.count("ops.fetch_errors") == 2 and warehouse.count("ops.dead_letter") == 1


def test_a_lock_held_past_the_wait_is_a_clear_error(warehouse):
    holder = _hold(warehouse.path)
    try:
        impatient = Warehouse(warehouse.path, warehouse.lake_root, lock_wait_seconds=0.5)
        with pytest.raises(WarehouseLocked, match="stayed locked by another process"):
            impatient.count("ops.fetch_errors")
    finally:
        assert _release(holder) == 0


def test_views_are_made_once_per_lake_state_and_again_for_a_recreated_file(warehouse, data_dir, monkeypatch):
    """ensure_schema is called by every step; re-creating the lake view reads every file's footer."""
    made = []
    original = Warehouse._create_price_views
    monkeypatch.setattr(Warehouse, "_create_price_views", lambda self, conn: (made.append(1), original(self, conn)))
    warehouse.ensure_schema()
    assert made == []  # the fixture already made them for this (empty) lake
    frame = pl.DataFrame({"date": [dt.date(2024, 6, 3)], "symbol": ["A"], "open": [1.0], "high": [2.0],
                          "low": [0.5], "close": [1.5], "adj_close": [1.5], "volume": [10], "currency": ["USD"], "provider": ["t"],
                          "source_ts": [None], "ingested_at": [dt.datetime(2024, 6, 4)], "run_id": ["r"], "currency": ["USD"]})
    ParquetLake(data_dir / "lake").write_partitions("daily_ohlcv", [dt.date(2024, 6, 3)], frame, DAILY_OHLCV)
    warehouse.ensure_schema()  # the lake gained files: the view now reads them
    warehouse.ensure_schema()
    assert len(made) == 1 and warehouse.count("prices.daily_ohlcv") == 1
    warehouse.path.unlink()  # a warehouse rebuilt from scratch at the same path
    warehouse.ensure_schema()
    assert len(made) == 2 and warehouse.count("prices.daily_ohlcv") == 1


def test_refresh_views_counts_as_made_for_the_next_ensure_schema(warehouse, data_dir, monkeypatch):
    made = []
    original = Warehouse._create_price_views
    monkeypatch.setattr(Warehouse, "_create_price_views", lambda self, conn: (made.append(1), original(self, conn)))
    frame = pl.DataFrame({"date": [dt.date(2024, 6, 3)], "symbol": ["A"], "open": [1.0], "high": [2.0],
                          "low": [0.5], "close": [1.5], "adj_close": [1.5], "volume": [10], "provider": ["t"],
                          "source_ts": [None], "ingested_at": [dt.datetime(2024, 6, 4)], "run_id": ["r"], "currency": ["USD"]})
    ParquetLake(data_dir / "lake").write_partitions("daily_ohlcv", [dt.date(2024, 6, 3)], frame, DAILY_OHLCV)
    warehouse.refresh_views()
    warehouse.ensure_schema()  # the same lake state: not made again
    assert len(made) == 1 and warehouse.count("prices.daily_ohlcv") == 1


class _FakeTime:
    """A monotonic clock that moves only when the code sleeps: a 10-minute wait in no time."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _always(error: Exception):
    attempts = []

    def connect(*_args, **_kwargs):
        attempts.append(1)
        assert len(attempts) < 10_000, "the wait spins: thousands of attempts without sleeping"
        raise error
    return connect


def test_a_lock_wait_reports_each_minute_and_gives_up_after_its_bound(data_dir, monkeypatch):
    """DuckDB's lock error without a PID (another host's process, an older DuckDB): the wait
    says "another process", is reported once a minute, sleeps at most LOCK_RETRY_MAX_SLEEP
    between attempts, and fails with WarehouseLocked once lock_wait_seconds have passed."""
    fake = _FakeTime()
    monkeypatch.setattr(warehouse_module, "time", fake)
    monkeypatch.setattr(warehouse_module, "random", SimpleNamespace(random=lambda: 0.5))
    monkeypatch.setattr(warehouse_module.duckdb, "connect", _always(
        warehouse_module.duckdb.IOException('IO Error: Could not set lock on file "w.duckdb": Conflicting lock')))
    reports = []
    waiting = Warehouse(data_dir / "warehouse.duckdb", lock_wait_seconds=300, on_wait=reports.append)

    with pytest.raises(WarehouseLocked, match=r"stayed locked by another process for 300s\. If that run is stuck"):
        waiting.count("ops.dead_letter")

    waited = fake.now - 1000.0
    assert 300 < waited <= 300 + warehouse_module.LOCK_RETRY_MAX_SLEEP
    assert fake.sleeps and max(fake.sleeps) <= warehouse_module.LOCK_RETRY_MAX_SLEEP and min(fake.sleeps) > 0
    said = [int(r.split("waiting ")[1].split("s ")[0]) for r in reports]
    assert len(said) == 4 and 60 <= said[0] < 65  # at about 60, 120, 180, 240 s: once a minute
    assert all(60 <= later - earlier < 65 for earlier, later in zip(said, said[1:], strict=False))
    assert all("(at most 300s)" in r and "locked by another process." in r and "Terminate" in r for r in reports)


def test_an_open_error_that_is_not_the_lock_is_raised_at_once(data_dir, monkeypatch):
    fake = _FakeTime()
    monkeypatch.setattr(warehouse_module, "time", fake)
    broken = warehouse_module.duckdb.IOException("IO Error: The file is not a valid DuckDB database file!")
    monkeypatch.setattr(warehouse_module.duckdb, "connect", _always(broken))
    with pytest.raises(warehouse_module.duckdb.IOException, match="not a valid DuckDB database"):
        Warehouse(data_dir / "warehouse.duckdb").count("ops.dead_letter")
    assert fake.sleeps == []  # never waited on: no other process will fix it


def test_a_read_of_a_warehouse_not_yet_made_creates_it(data_dir):
    fresh = Warehouse(data_dir / "new" / "warehouse.duckdb")
    assert fresh.scalar("SELECT 42") == 42
    assert fresh.path.exists()


def test_scalar_cannot_write_and_append_rows_says_how_many_it_stored(warehouse):
    with pytest.raises(warehouse_module.duckdb.InvalidInputException, match="read-only"):
        warehouse.scalar("INSERT INTO ops.dead_letter VALUES ('X', now(), 3, 'YFEMPTY', 'x') RETURNING symbol")
    assert warehouse.append_rows("ops.fetch_errors", _errors("r1", 2)) == 2
    assert warehouse.count("ops.dead_letter") == 0 and warehouse.count("ops.fetch_errors") == 2
