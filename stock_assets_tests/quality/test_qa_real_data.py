"""The QA rules on real histories (../shared/data/ohlcv), loaded through the lake and the
warehouse as the pipeline stores them; skipped with a reason when the data is absent.
The same behaviours are covered on synthetic data in test_qa_engine.py and test_qa_job.py."""

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from stock_assets.defs.quality import inputs
from stock_assets.lib import calendar
from stock_assets.lib.qa.engine import LakeQa
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake
from stock_assets_tests.conftest import shared_data

D = dt.date
pytestmark = pytest.mark.shared_data


def load_csvs(folder: Path, symbols: list[str], first: D, last: D, lake: ParquetLake) -> pl.DataFrame:
    """Yahoo-layout CSVs (either column order) -> stored rows with provider 'csv-test'."""
    frames = []
    for sym in symbols:
        raw = pl.read_csv(folder / f"{sym}.csv", infer_schema_length=0)
        if raw.height == 0:
            continue
        frames.append(raw.select(
            date=pl.col("Date").str.to_date(), symbol=pl.lit(sym),
            open=pl.col("Open").cast(pl.Float64), high=pl.col("High").cast(pl.Float64),
            low=pl.col("Low").cast(pl.Float64), close=pl.col("Close").cast(pl.Float64),
            adj_close=pl.col("Adj Close").cast(pl.Float64),
            volume=pl.col("Volume").cast(pl.Float64).cast(pl.Int64),
        ).filter(pl.col("date").is_between(first, last) & pl.col("close").is_not_null()))
    bars = pl.concat(frames).with_columns(
        currency=pl.lit("USD"), provider=pl.lit("csv-test"),
        source_ts=pl.col("date").cast(pl.Datetime("us")) + pl.duration(hours=21),
        ingested_at=pl.lit(dt.datetime(2026, 1, 1)), run_id=pl.lit("csv-test"))
    lake.write_partitions("daily_ohlcv", calendar.sessions_between(first, last), bars, DAILY_OHLCV)
    return bars


def add_split(warehouse, symbol: str, ex_date: D, ratio: float) -> None:
    row = pl.DataFrame({"symbol": [symbol], "ex_date": [ex_date], "kind": ["split"], "value": [ratio],
                        "source": ["csv-test"], "ingested_at": [dt.datetime(2026, 1, 1)], "run_id": ["csv-test"]})
    warehouse.replace_rows("prices.corporate_actions", row, "symbol = ? AND ex_date = ?", [symbol, ex_date])


def engine(lake, warehouse, start, end, **kw) -> LakeQa:
    return LakeQa(inputs.lake_files(lake), start, end, splits=inputs.splits(warehouse), **kw)


@pytest.mark.parametrize("symbol, day, ratio, first, last", [
    ("AAPL", D(2014, 6, 9), 7.0, D(2014, 5, 1), D(2014, 6, 30)),  # 7:1, close 645.57 -> 93.70
    ("C", D(2011, 5, 9), 0.1, D(2011, 4, 1), D(2011, 5, 31)),      # 1:10 reverse split
])
def test_unadjusted_splits_are_price_jumps_until_the_split_is_known(symbol, day, ratio, first, last, warehouse, data_dir):
    folder = shared_data("ohlcv", "kahunacode_yahoo_unadjusted_2010_2016")
    lake = ParquetLake(data_dir / "lake")
    load_csvs(folder, [symbol, "MSFT", "JPM", "XOM"], first, last, lake)
    with engine(lake, warehouse, day, day) as qa:
        jump = qa.price_jump()
    assert jump.offending.select("date", "symbol").rows() == [(day, symbol)]
    add_split(warehouse, symbol, day, ratio)
    with engine(lake, warehouse, first, last) as qa:
        explained = qa.price_jump()
        unusual = qa.iqr_jump()
    assert explained.passed and explained.numbers["explained_by_splits"] == 1
    assert symbol not in unusual.offending.filter(pl.col("date") == day)["symbol"].to_list()


@pytest.fixture(scope="module")
def sp500_2020(tmp_path_factory):
    folder = shared_data("ohlcv", "ttm_squeeze_sp500_2020")
    lake = ParquetLake(tmp_path_factory.mktemp("ttm") / "lake")
    symbols = sorted(p.stem for p in folder.glob("*.csv") if not p.stem.startswith("_"))
    load_csvs(folder, symbols, D(2020, 3, 2), D(2020, 8, 21), lake)
    return lake


def test_real_gaps_are_missing_dates_and_delisted_symbols_are_not(sp500_2020, warehouse):
    with engine(sp500_2020, warehouse, D(2020, 6, 1), D(2020, 8, 21)) as qa:
        out = qa.missing_dates()
    viac = out.offending.filter(pl.col("symbol") == "VIAC")["date"].to_list()
    assert len(viac) >= 10 and all(d.month == 6 for d in viac), viac
    reported = set(out.offending["symbol"])
    assert not reported & {"AGN", "RTN", "UTX"}  # ended 2020-05-08, 2020-04-02, 2020-04-07


def test_real_zero_volume_rows_are_warned(warehouse, data_dir):
    folder = shared_data("ohlcv", "dieperdev_yfinance_2000_2024")
    lake = ParquetLake(data_dir / "lake")
    load_csvs(folder, ["AMCR", "AAPL", "MSFT"], D(2019, 1, 2), D(2019, 3, 29), lake)
    with engine(lake, warehouse, D(2019, 1, 2), D(2019, 3, 29)) as qa:
        out = qa.zero_volume()
    assert not out.passed
    assert set(out.offending["symbol"]) == {"AMCR"}
    assert out.offending.height > 20
