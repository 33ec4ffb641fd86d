"""ParquetLake: one file per day, replaced whole, rows never land in the wrong day."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib import synthetic
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.lake import LakeError, ParquetLake

D1, D2, HOLIDAY = dt.date(2024, 6, 17), dt.date(2024, 6, 18), dt.date(2024, 6, 19)


def _bars(days, count=5) -> pl.DataFrame:
    symbols = [t.symbol for t in synthetic.tickers(count)]
    bars, _, _ = synthetic.bars(symbols, days, count)
    return bars.with_columns(ingested_at=pl.lit(dt.datetime(2024, 6, 20)), run_id=pl.lit("r1"))


@pytest.fixture
def lake(tmp_path) -> ParquetLake:
    return ParquetLake(tmp_path / "lake")


def test_write_partitions_one_file_per_day_holidays_empty(lake):
    frame = _bars([D1, D2])
    counts = lake.write_partitions("daily_ohlcv", [D1, D2, HOLIDAY], frame, DAILY_OHLCV)
    per_day = {d: frame.filter(pl.col("date") == d).height for d in (D1, D2)}
    assert counts == per_day | {HOLIDAY: 0} and min(per_day.values()) >= 4
    assert lake.partition_days("daily_ohlcv") == [D1, D2, HOLIDAY]
    assert lake.read_partition("daily_ohlcv", HOLIDAY, DAILY_OHLCV).schema == pl.Schema(DAILY_OHLCV)
    assert lake.read_range("daily_ohlcv", D1, HOLIDAY, DAILY_OHLCV).sort("date", "symbol").equals(frame.sort("date", "symbol"))
    assert lake.read_range("daily_ohlcv", dt.date(2020, 1, 1), dt.date(2020, 1, 2), DAILY_OHLCV).height == 0
    assert str(lake.partition_path("daily_ohlcv", D1)).endswith("daily_ohlcv/date=2024-06-17/data.parquet")


def test_rewrite_replaces_the_day_whole(lake):
    lake.write_partitions("daily_ohlcv", [D1], _bars([D1], 5), DAILY_OHLCV)
    smaller = _bars([D1], 3)
    lake.write_partitions("daily_ohlcv", [D1], smaller, DAILY_OHLCV)
    assert lake.read_partition("daily_ohlcv", D1, DAILY_OHLCV).equals(smaller.sort("symbol"))


def test_rows_outside_the_partitions_are_refused_before_anything_is_written(lake):
    with pytest.raises(LakeError, match="outside"):
        lake.write_partitions("daily_ohlcv", [D1], _bars([D1, D2]), DAILY_OHLCV)
    with pytest.raises(LakeError, match="outside partition"):
        lake.write_partition("daily_ohlcv", D1, _bars([D2]), DAILY_OHLCV)
    assert lake.partition_files("daily_ohlcv") == []


@pytest.mark.parametrize("table", ["../etc", "Daily", "a/b", "x;drop", ""])
def test_table_names_are_identifiers_only(lake, table):
    with pytest.raises(LakeError, match="identifier"):
        lake.table_dir(table)


def test_partition_must_be_a_date(lake):
    with pytest.raises(LakeError, match="must be a date"):
        lake.partition_path("daily_ohlcv", "2024-06-17")


def test_merge_symbols_replaces_only_those_symbols(lake):
    frame = _bars([D1], 5)
    lake.write_partitions("daily_ohlcv", [D1], frame, DAILY_OHLCV)
    first = frame["symbol"][0]
    changed = frame.filter(pl.col("symbol") == first).with_columns(close=pl.col("close") * 0 + 1.0, run_id=pl.lit("r2"))
    assert lake.merge_symbols("daily_ohlcv", D1, changed, DAILY_OHLCV, [first]) == 1
    stored = lake.read_partition("daily_ohlcv", D1, DAILY_OHLCV)
    assert stored.height == frame.height
    assert stored.filter(pl.col("symbol") == first)["run_id"].to_list() == ["r2"]
    assert stored.filter(pl.col("symbol") != first)["run_id"].unique().to_list() == ["r1"]


def test_range_reads_find_the_same_files_by_date_lookup_and_by_listing(lake, monkeypatch):
    """Short ranges look each day up, long ones list the table once: both return the same files."""
    days = [dt.date(2023, 1, 2) + dt.timedelta(days=7 * i) for i in range(80)]  # weekly, ~1.5 years
    lake.write_partitions("daily_ohlcv", days, _bars(days, 2), DAILY_OHLCV)
    start, end = dt.date(2023, 3, 1), dt.date(2024, 2, 1)
    by_lookup = lake.partition_files_between("daily_ohlcv", start, end)
    monkeypatch.setattr("stock_assets.storage.lake.LOOKUP_DAYS_MAX", 0)
    by_listing = lake.partition_files_between("daily_ohlcv", start, end)
    assert by_lookup == by_listing == [lake.partition_path("daily_ohlcv", d) for d in days if start <= d <= end]
    assert lake.partition_files_between("daily_ohlcv", dt.date(2030, 1, 1), dt.date(2030, 1, 9)) == []


def test_merge_never_removes_a_stored_bar_it_has_no_replacement_for(lake):
    frame = _bars([D1, D2], 5)
    lake.write_partitions("daily_ohlcv", [D1, D2], frame, DAILY_OHLCV)
    first = frame["symbol"][0]
    # A partial answer: bars for D2 only; D1's stored bar of `first` has no replacement.
    assert lake.merge_symbols("daily_ohlcv", D1, frame.clear(), DAILY_OHLCV, [first]) == 0
    assert lake.read_partition("daily_ohlcv", D1, DAILY_OHLCV).equals(frame.filter(pl.col("date") == D1).sort("symbol"))
