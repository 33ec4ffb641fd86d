"""Compaction of the daily lake (ADR 0025): reads unchanged, idempotent, a re-fetched day
visible at once, no row twice or missing while it runs, a killed compaction harmless."""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import traceback
import time

import polars as pl
import pytest

from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.read import daily
from stock_assets.storage import compaction, published
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.quality.helpers import TICKERS, write_synthetic

FIRST, LAST = dt.date(2024, 4, 22), dt.date(2024, 7, 3)
TODAY = dt.date(2024, 8, 1)  # April, May and June are closed; July is not
JUNE_DAY = dt.date(2024, 6, 12)


@pytest.fixture
def lake_root(tmp_path):
    lake, _ = write_synthetic(tmp_path / "data" / "lake", first=FIRST, last=LAST)
    return lake.root


def _all(root) -> pl.DataFrame:
    return daily.read(root, None, None, None)


def _view(root) -> Warehouse:
    wh = Warehouse(root.parent / "warehouse.duckdb", root)
    wh.ensure_schema()
    return wh


def _rewrite(root, day: dt.date, close: float) -> None:
    from stock_assets.storage.lake import ParquetLake

    lake = ParquetLake(root)
    rows = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    lake.write_partition("daily_ohlcv", day, rows.with_columns(close=pl.lit(close)), DAILY_OHLCV)


def test_compaction_changes_no_read_and_a_second_run_does_nothing(lake_root):
    before = _all(lake_root)
    report = compaction.compact(lake_root, TODAY)
    assert [p["period"] for p in report["periods"]] == ["2024-04", "2024-05", "2024-06"]
    assert sum(p["rows"] for p in report["periods"]) == before.filter(pl.col("date") < dt.date(2024, 7, 1)).height
    files = sorted(compaction.directory(lake_root).iterdir())
    assert _all(lake_root).equals(before)
    one = before["symbol"][0]
    assert daily.read(lake_root, [one], None, None).equals(before.filter(pl.col("symbol") == one))
    assert daily.read(lake_root, None, JUNE_DAY, JUNE_DAY).equals(before.filter(pl.col("date") == JUNE_DAY))
    wh = _view(lake_root)
    assert wh.query("SELECT * FROM prices.daily_ohlcv ORDER BY symbol, date").equals(before)

    again = compaction.compact(lake_root, TODAY)
    assert again["periods"] == [] and sorted(compaction.directory(lake_root).iterdir()) == files


def test_a_day_written_again_into_a_compacted_period_is_read_at_once(lake_root, tmp_path):
    compaction.compact(lake_root, TODAY)
    n = _all(lake_root).filter(pl.col("date") == JUNE_DAY).height
    assert n > TICKERS // 2
    wh = _view(lake_root)  # views made before the write
    copy = published.publish(wh)
    _rewrite(lake_root, JUNE_DAY, -1.0)

    fresh = daily.read(lake_root, None, None, None)
    assert fresh.filter(pl.col("date") == JUNE_DAY)["close"].to_list() == [-1.0] * n
    assert fresh.height == _all(lake_root).height
    one = fresh["symbol"][0]
    assert daily.read(lake_root, [one], FIRST, LAST).filter(pl.col("date") == JUNE_DAY)["close"].item() == -1.0
    sql = "SELECT count(*), min(close), max(close) FROM prices.daily_ohlcv WHERE date = ?"
    assert wh.query(sql, [JUNE_DAY]).row(0) == (n, -1.0, -1.0)
    assert wh.count("prices.daily_ohlcv") == fresh.height
    conn = published.open_read_only(copy.parent.parent / "warehouse.duckdb")
    try:
        assert conn.execute(sql, [JUNE_DAY]).fetchone() == (n, -1.0, -1.0)
    finally:
        conn.close()
    # The next compaction folds the day in; reads stay the same.
    compaction.compact(lake_root, TODAY)
    assert all(not e.overrides for e in compaction.current(lake_root))
    assert _all(lake_root).equals(fresh)


def test_a_day_written_while_its_period_is_compacted_is_not_lost(lake_root):
    """Written after the compaction read the daily files, before it listed its file."""
    compaction.compact(lake_root, TODAY, after_file=lambda _: _rewrite(lake_root, JUNE_DAY, -2.0))
    june = [e for e in compaction.current(lake_root) if e.period == "2024-06"][0]
    assert june.overrides == {JUNE_DAY}
    assert _all(lake_root).filter(pl.col("date") == JUNE_DAY)["close"].unique().to_list() == [-2.0]
    assert _view(lake_root).scalar("SELECT max(close) FROM prices.daily_ohlcv WHERE date = ?", [JUNE_DAY]) == -2.0


def test_reads_during_compaction_see_every_row_once(lake_root):
    expected = _all(lake_root).select("symbol", "date").sort("symbol", "date")
    one = expected["symbol"][0]
    wh = Warehouse(lake_root.parent / "warehouse.duckdb", lake_root)
    problems, rounds, stop = [], [], threading.Event()

    def reader():
        try:
            read_all()
        except BaseException as err:  # noqa: BLE001 - reported by the test, not lost in the thread
            problems.append(traceback.format_exc()[-1500:])

    def read_all():  # the only user of the warehouse here: DuckDB wants one configuration per file and process
        while not stop.is_set():
            wh.ensure_schema()  # re-made when the manifest changed; a view a compaction behind stays right
            got = _all(lake_root).select("symbol", "date").sort("symbol", "date")
            if not got.equals(expected):
                problems.append(("read.bars", got.height))
            if daily.read(lake_root, [one], None, None).height != expected.filter(pl.col("symbol") == one).height:
                problems.append(("one symbol",))
            n = wh.scalar("SELECT count(*) FROM (SELECT DISTINCT symbol, date FROM prices.daily_ohlcv)")
            total = wh.count("prices.daily_ohlcv")
            if (n, total) != (expected.height, expected.height):
                problems.append(("view", n, total))
            rounds.append(1)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(3):  # compact, then make every period stale and compact again
            compaction.compact(lake_root, TODAY)
            for day in (dt.date(2024, 4, 24), dt.date(2024, 5, 15), JUNE_DAY):
                _rewrite(lake_root, day, 5.0)
        seen, deadline = len(rounds), time.monotonic() + 120
        while len(rounds) < seen + 2 and not problems and time.monotonic() < deadline:  # reads with overrides listed
            time.sleep(0.05)
        assert problems or len(rounds) >= seen + 2, "the reader did not read twice within 120 s"
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not thread.is_alive(), "the reader did not stop within 120 s"
    assert problems == []


def test_a_compaction_that_fails_between_steps_leaves_correct_reads_and_the_next_one_succeeds(lake_root):
    before = _all(lake_root)

    def crash(name):
        raise RuntimeError(f"killed after writing {name}")

    with pytest.raises(RuntimeError, match="killed after writing"):
        compaction.compact(lake_root, TODAY, after_file=crash)
    assert compaction.read_manifest(lake_root) == []
    assert len(list(compaction.directory(lake_root).glob("2024-04.*.parquet"))) == 1  # unlisted
    assert _all(lake_root).equals(before)
    report = compaction.compact(lake_root, TODAY)
    assert len(report["swept"]) == 1 and len(report["periods"]) == 3
    assert sorted(p.name for p in compaction.directory(lake_root).glob("*.parquet")) == sorted(
        e.file for e in compaction.read_manifest(lake_root))
    assert _all(lake_root).equals(before)


KILLED = """
import os, signal, sys, datetime as dt
from stock_assets.storage import compaction
compaction.compact(sys.argv[1], dt.date.fromisoformat(sys.argv[2]),
                   after_file=lambda name: os.kill(os.getpid(), signal.SIGKILL))
"""


def test_a_sigkilled_compaction_blocks_neither_writes_nor_the_next_compaction(lake_root):
    before = _all(lake_root)
    done = subprocess.run([sys.executable, "-c", KILLED, str(lake_root), TODAY.isoformat()],
                          timeout=120, capture_output=True)
    assert done.returncode == -signal.SIGKILL
    assert _all(lake_root).equals(before)
    _rewrite(lake_root, JUNE_DAY, -3.0)  # takes the manifest lock: not held by the dead process
    report = compaction.compact(lake_root, TODAY)  # nor the compaction lock
    assert len(report["swept"]) == 1 and len(report["periods"]) == 3
    assert _all(lake_root).filter(pl.col("date") == JUNE_DAY)["close"].unique().to_list() == [-3.0]


def test_one_compaction_at_a_time(lake_root):
    seen = []

    def second(_):
        with pytest.raises(compaction.CompactionBusy):
            compaction.compact(lake_root, TODAY)
        seen.append(True)

    compaction.compact(lake_root, TODAY, after_file=second)
    assert seen == [True, True, True]


def test_retired_files_are_kept_for_a_day_then_deleted(lake_root):
    compaction.compact(lake_root, TODAY)
    wh = _view(lake_root)  # names the first files
    _rewrite(lake_root, JUNE_DAY, 7.0)
    compaction.compact(lake_root, TODAY)  # June again: its first file is retired, kept
    retired = [e for e in compaction.read_manifest(lake_root) if e.retired]
    assert [e.period for e in retired] == ["2024-06"]
    assert (compaction.directory(lake_root) / retired[0].file).exists()
    assert wh.scalar("SELECT max(close) FROM prices.daily_ohlcv WHERE date = ?", [JUNE_DAY]) == 7.0
    compaction.compact(lake_root, TODAY, keep=dt.timedelta(0))
    assert not (compaction.directory(lake_root) / retired[0].file).exists()
    assert all(not e.retired for e in compaction.read_manifest(lake_root))


@pytest.mark.parametrize("name", ["data [1]", "da?ta", "o'brien [x]"])
def test_compaction_and_its_view_with_glob_characters_in_the_data_dir(tmp_path, name):
    lake, _ = write_synthetic(tmp_path / name / "lake", first=FIRST, last=LAST)
    sibling = name.replace("?", "X").replace("[1]", "1").replace("[x]", "x")
    write_synthetic(tmp_path / sibling / "lake", first=FIRST, last=LAST)
    compaction.compact(lake.root, TODAY)
    compaction.compact(tmp_path / sibling / "lake", TODAY)
    before = _all(lake.root)
    _rewrite(lake.root, JUNE_DAY, -4.0)
    wh = Warehouse(tmp_path / "warehouse.duckdb", lake.root)
    wh.ensure_schema()
    assert wh.count("prices.daily_ohlcv") == before.height
    assert wh.scalar("SELECT max(close) FROM prices.daily_ohlcv WHERE date = ?", [JUNE_DAY]) == -4.0
    assert daily.read(lake.root, None, JUNE_DAY, JUNE_DAY)["close"].unique().to_list() == [-4.0]


def test_the_lock_is_released_when_its_holder_dies(lake_root):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from stock_assets.storage import compaction\n"
        "with compaction._manifest_lock(sys.argv[1], 'test'):\n print('held', flush=True); time.sleep(600)"),
        str(lake_root)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        _rewrite(lake_root, JUNE_DAY, 1.5)  # would wait LOCK_WAIT_SECONDS if the lock stayed
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_the_view_over_a_lake_with_files_from_before_the_currency_column(lake_root):
    """The oldest file lacks `currency` (ADR 0020): the view keeps union_by_name for it."""
    oldest = sorted((lake_root / "daily_ohlcv").glob("date=*/data.parquet"))[0]
    pl.read_parquet(oldest).drop("currency").write_parquet(oldest)
    compaction.compact(lake_root, TODAY)
    _rewrite(lake_root, JUNE_DAY, 2.5)
    expected = _all(lake_root)
    assert expected.filter(pl.col("date") == FIRST)["currency"].null_count() == expected.filter(
        pl.col("date") == FIRST).height
    wh = _view(lake_root)
    assert wh.query("SELECT * FROM prices.daily_ohlcv ORDER BY symbol, date").equals(expected)
