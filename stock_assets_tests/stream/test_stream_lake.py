"""The stream's files: a restart mid-minute merges into the minute file; a crash's temp files go at the next start."""

import datetime as dt

import polars as pl

from stock_assets.lib.stream.bars import MinuteBars, to_frame
from stock_assets.lib.stream.messages import Tick
from stock_assets.storage.stream_lake import StreamLake

T0 = dt.datetime(2024, 6, 3, 14, 30, tzinfo=dt.UTC)


def minute_rows(*ticks):
    bars = MinuteBars()
    for symbol, seconds, price, volume in ticks:
        bars.add(Tick(symbol, T0 + dt.timedelta(seconds=seconds), price, volume))
    return to_frame(bars.flush(), "yahoo_ws", T0)


def test_a_minute_written_twice_is_merged_not_replaced(data_dir):
    lake = StreamLake(data_dir)
    lake.write_minute(T0, minute_rows(("AAPL", 1, 10.0, 100), ("AAPL", 20, 12.0, 400), ("MSFT", 5, 400.0, 9)))
    path = lake.write_minute(T0, minute_rows(("AAPL", 40, 9.0, 700), ("AAPL", 50, 11.0, 900)))
    assert path == data_dir / "lake" / "stream_prices" / "date=2024-06-03" / "1430.parquet"
    rows = pl.read_parquet(path).sort("symbol")
    assert rows.select("symbol", "open", "high", "low", "close", "ticks", "volume").rows() == [
        ("AAPL", 10.0, 12.0, 9.0, 11.0, 4, 500), ("MSFT", 400.0, 400.0, 400.0, 400.0, 1, 0)]
    assert lake.newest_minute() == (T0, path)


def test_the_next_start_deletes_a_crashed_writers_temp_files(data_dir):
    lake = StreamLake(data_dir)
    lake.write_minute(T0, minute_rows(("AAPL", 1, 10.0, 100)))
    leftover = lake.table_dir / "date=2024-06-03" / ".1431.parquet.999999.abc.tmp"
    leftover.write_bytes(b"half a file")
    assert lake.minute_files() == [lake.minute_path(T0)]  # readers never see it
    lake.acquire()
    try:
        assert not leftover.exists()
    finally:
        lake.release()
