"""The published copy: replaced atomically after each run, never waited for, never waiting."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

import duckdb
import polars as pl
import pytest

from stock_assets import read
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage import published
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import WarehouseLocked
from stock_assets_tests.conftest import materialize_universe
from stock_assets_tests.read.conftest import DIVIDEND, SPLIT, action_rows, bar_rows

LATER = (("BBB", dt.date(2024, 6, 4), "split", 3.0),)
HOLD_SECONDS = 60  # far longer than any read below; the holder is killed once they are done

WRITER = textwrap.dedent("""
    import sys, time, duckdb
    conn = duckdb.connect(sys.argv[1])
    conn.execute("BEGIN TRANSACTION")
    conn.execute("DELETE FROM prices.corporate_actions")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
""")

READER = textwrap.dedent("""
    import sys, time
    from stock_assets import read
    conn = read.connect(data_dir=sys.argv[1])
    print(conn.execute("SELECT count(*) FROM prices.corporate_actions").fetchone()[0], flush=True)
    time.sleep(float(sys.argv[2]))
""")


def _hold(script: str, *args) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def _end(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(timeout=30)


def test_a_held_connection_keeps_its_copy_and_sees_new_lake_days(week, data_dir):
    held = read.connect(data_dir=data_dir)
    try:
        assert held.execute("SELECT count(*) FROM prices.corporate_actions").fetchone()[0] == 2
        week.replace_rows("prices.corporate_actions", action_rows(SPLIT, DIVIDEND, *LATER), "TRUE")
        published.publish(week)
        assert held.execute("SELECT count(*) FROM prices.corporate_actions").fetchone()[0] == 2
        assert read.sql("SELECT count(*) AS n FROM prices.corporate_actions", data_dir=data_dir)["n"][0] == 3
        monday = dt.date(2024, 6, 10)
        ParquetLake(data_dir / "lake").write_partitions(
            "daily_ohlcv", [monday], bar_rows("BBB").with_columns(date=pl.lit(monday)).head(1), DAILY_OHLCV)
        # the copy's view reads the lake when queried: the new day shows in the held connection
        assert held.execute("SELECT count(*) FROM prices.daily_ohlcv WHERE date = ?", [monday]).fetchone()[0] == 1
    finally:
        held.close()
    assert not list((data_dir / "published").glob(".*.tmp"))


def test_reads_do_not_wait_for_a_writer_holding_the_warehouse(week, data_dir):
    writer, said = _hold(WRITER, week.path, HOLD_SECONDS)
    try:
        assert said == "holding"
        assert read.bars(["AAA"], adjusted=True, data_dir=data_dir).height == 5
        assert read.sql("SELECT count(*) AS n FROM prices.corporate_actions", data_dir=data_dir)["n"][0] == 2
        read.connect(data_dir=data_dir).close()
        assert writer.poll() is None, "the reads finished only after the writer let go"
    finally:
        _end(writer)


def test_publishing_does_not_wait_for_a_reader_holding_the_copy(week, data_dir):
    reader, said = _hold(READER, data_dir, HOLD_SECONDS)
    try:
        assert said == "2"
        week.replace_rows("prices.corporate_actions", action_rows(SPLIT, DIVIDEND, *LATER), "TRUE")
        assert published.publish(week) == published.published_path(week.path)
        assert reader.poll() is None, "publishing finished only after the reader let go"
        assert read.sql("SELECT count(*) AS n FROM prices.corporate_actions", data_dir=data_dir)["n"][0] == 3
    finally:
        _end(reader)


def test_a_copy_that_does_not_open_is_never_published(week, data_dir, monkeypatch):
    week.replace_rows("prices.corporate_actions", action_rows(SPLIT), "TRUE")

    def broken(path):
        raise duckdb.IOException(f"{path} is not a database")

    monkeypatch.setattr(published, "_check_opens", broken)
    with pytest.raises(duckdb.IOException):
        published.publish(week)
    assert read.sql("SELECT count(*) AS n FROM prices.corporate_actions", data_dir=data_dir)["n"][0] == 2
    assert not list((data_dir / "published").glob(".*.tmp"))


def test_a_run_publishes_the_copy_when_it_ends(offline_resources, instance, data_dir):
    assert not published.published_path(data_dir / "warehouse.duckdb").exists()
    materialize_universe(offline_resources, instance)
    tickers = read.sql("SELECT count(*) AS n FROM universe.tickers WHERE status = 'active'", data_dir=data_dir)
    assert tickers["n"][0] > 0


def test_a_failed_publish_does_not_fail_the_run(offline_resources, instance, data_dir, monkeypatch):
    def locked(_warehouse):
        raise WarehouseLocked("warehouse.duckdb stayed locked by another process for 120s")

    monkeypatch.setattr(published, "publish", locked)
    result = materialize_universe(offline_resources, instance)
    assert result.success
    logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("published copy not refreshed (WarehouseLocked" in m for m in logged)
    with pytest.raises(read.NotPublished):
        read.connect(data_dir=data_dir)


def test_publish_checkpoints_first_so_the_copy_holds_what_an_open_connection_wrote(warehouse):
    """Rows committed on a connection this process still holds sit in the WAL, not in the main
    file: publishing copies the main file, so it must CHECKPOINT first."""
    held = duckdb.connect(str(warehouse.path))
    try:
        held.execute("INSERT INTO ops.dead_letter VALUES ('HELD', now(), 3, 'YFEMPTY', 'held')")
        path = published.publish(warehouse)
    finally:
        held.close()
    copy = duckdb.connect(str(path), read_only=True)
    try:
        assert copy.execute("SELECT symbol FROM ops.dead_letter").fetchall() == [("HELD",)]
    finally:
        copy.close()


def test_publish_syncs_the_copy_then_its_folder_and_leaves_no_file_descriptor_open(warehouse, monkeypatch):
    import os

    synced, real_fsync = [], os.fsync

    def fsync(fd):
        synced.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)
    monkeypatch.setattr(published.os, "fsync", fsync)
    open_before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        target = published.publish(warehouse)
    assert len(os.listdir("/proc/self/fd")) == open_before
    assert synced[:2] == [synced[0], published.PUBLISHED_DIR] and synced[0].endswith(".tmp")
    assert len(synced) == 6 and target.exists()
