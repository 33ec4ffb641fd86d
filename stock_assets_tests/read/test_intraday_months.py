"""Month files of intraday bars (ADR 0023): a read serves a closed month from one file, yet a
day re-fetched or added since is visible at once, never twice, never missed."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from stock_assets import read
from stock_assets.lib.intraday.schema import INTRADAY_BARS
from stock_assets.read import intraday
from stock_assets.storage import intraday_months as months
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse

SEPT = [dt.date(2024, 9, 3), dt.date(2024, 9, 4), dt.date(2024, 9, 5)]
OCT = [dt.date(2024, 10, 1)]
TABLE = "intraday_bars/interval=1h"


def _day(session: dt.date, close: float, symbols=("AAA", "BBB", "CCC")) -> pl.DataFrame:
    start = dt.datetime.combine(session, dt.time(13, 30))
    rows = [{"ts": start + dt.timedelta(hours=k), "session": session, "symbol": s, "interval": "1h",
             "open": close, "high": close + 1, "low": close - 1, "close": close, "volume": 100,
             "provider": "t", "ingested_at": dt.datetime(2024, 10, 2), "run_id": "r"}
            for s in symbols for k in range(7)]
    return pl.DataFrame(rows, schema=INTRADAY_BARS)


@pytest.fixture
def lake(data_dir) -> ParquetLake:
    lake = ParquetLake(data_dir / "lake")
    for day in SEPT + OCT:
        lake.write_partition(TABLE, day, _day(day, 10.0), INTRADAY_BARS)
    return lake


def _read(data_dir, symbols=("BBB",)):
    return read.bars(list(symbols), SEPT[0], OCT[-1], interval="1h", data_dir=data_dir)


def test_a_closed_month_is_read_from_its_month_file_with_the_same_rows(data_dir, lake):
    before = _read(data_dir, ["AAA", "BBB", "CCC"])
    rebuilt = months.compact_closed(lake.root, today=dt.date(2024, 10, 2))
    assert rebuilt == {"1h": ["2024-09"]}  # October is still open: no month file yet
    month_reads, day_reads = intraday.plan(lake.root, "1h", SEPT[0], OCT[-1])
    assert month_reads == [(months.month_path(lake.root, "1h", dt.date(2024, 9, 1)), SEPT)]
    assert [p.split("/")[-2] for p in day_reads] == ["date=2024-10-01"]
    assert _read(data_dir, ["AAA", "BBB", "CCC"]).equals(before)
    one = _read(data_dir)
    assert set(one["symbol"]) == {"BBB"} and one.height == 4 * 7 and one["ts"].is_sorted()
    assert months.compact_closed(lake.root, today=dt.date(2024, 10, 2)) == {}  # current: not rebuilt
    # Ranges open on one side list the folder instead of looking days up: the same bounds.
    assert sorted(set(read.bars(["BBB"], None, SEPT[1], interval="1h", data_dir=data_dir)["session"])) == SEPT[:2]
    assert sorted(set(read.bars(["BBB"], SEPT[2], None, interval="1h", data_dir=data_dir)["session"])) == [
        SEPT[2], OCT[0]]


def test_a_day_refetched_or_added_after_compaction_is_read_at_once_and_once(data_dir, lake):
    months.compact_closed(lake.root, today=dt.date(2024, 10, 2))
    lake.write_partition(TABLE, SEPT[1], _day(SEPT[1], 20.0), INTRADAY_BARS)  # re-fetched
    late = dt.date(2024, 9, 6)
    lake.write_partition(TABLE, late, _day(late, 30.0), INTRADAY_BARS)  # backfilled later
    frame = _read(data_dir)
    closes = dict(frame.group_by("session").agg(pl.col("close").first(), pl.len()).select(
        "session", pl.struct("close", "len")).iter_rows())
    assert closes == {SEPT[0]: {"close": 10.0, "len": 7}, SEPT[1]: {"close": 20.0, "len": 7},
                      SEPT[2]: {"close": 10.0, "len": 7}, late: {"close": 30.0, "len": 7},
                      OCT[0]: {"close": 10.0, "len": 7}}
    # The warehouse view reads the day files: the same rows as read.bars.
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    wh.refresh_views()
    view = wh.query("SELECT * FROM prices.intraday_bars WHERE symbol = 'BBB' ORDER BY ts")
    assert view.equals(frame.with_columns(pl.col("ts").dt.replace_time_zone(None)))
    # The next compaction folds both into the month file, and reads stay the same.
    assert months.compact_closed(lake.root, today=dt.date(2024, 10, 2)) == {"1h": ["2024-09"]}
    assert intraday.plan(lake.root, "1h", SEPT[0], SEPT[-1])[1] == []
    assert _read(data_dir).equals(frame)


def test_a_month_file_is_sorted_by_symbol_in_row_groups_a_one_symbol_read_can_skip(data_dir, lake, monkeypatch):
    monkeypatch.setattr(months, "ROW_GROUP_ROWS", 21)  # one symbol's 3 days of 7 bars per row group
    months.compact_closed(lake.root, today=dt.date(2024, 10, 2))
    path = months.month_path(lake.root, "1h", dt.date(2024, 9, 1))
    stored = pl.read_parquet(path)
    assert stored["symbol"].is_sorted() and stored.height == 3 * 3 * 7
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    column = stored.columns.index("symbol")
    ranges = [(meta.row_group(i).column(column).statistics.min, meta.row_group(i).column(column).statistics.max)
              for i in range(meta.num_row_groups)]
    assert ranges == [("AAA", "AAA"), ("BBB", "BBB"), ("CCC", "CCC")]


def test_a_rebuild_sweeps_the_temp_files_of_dead_writers_only(data_dir, lake):
    from stock_assets.lib.processes import ProcessId, identify

    folder = months.month_path(lake.root, "1h", dt.date(2024, 9, 1)).parent
    folder.mkdir(parents=True)
    me = identify()
    dead = ProcessId(host=me.host, boot=me.boot, pid=me.pid, started=str(int(me.started) + 1))  # PID reused
    dead_tmp = folder / f".data.parquet.{dead.text().replace('/', '~')}.abc.tmp"
    live_tmp = folder / f".data.parquet.{me.text().replace('/', '~')}.def.tmp"
    dead_tmp.write_bytes(b"half a file")
    live_tmp.write_bytes(b"being written")
    months.compact_closed(lake.root, today=dt.date(2024, 10, 2))
    assert not dead_tmp.exists() and live_tmp.exists()
