"""read.bars: symbols, inclusive dates, the adjusted series, hostile input, an empty lake."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from stock_assets import read
from stock_assets.lib.adjusted import ADJUSTED
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.lib.symbols import InvalidSymbol
from stock_assets.storage.lake import ParquetLake
from stock_assets_tests.read.conftest import SPLIT, WEEK, bar_rows, write_week


def test_none_reads_every_symbol_as_stored(week, data_dir):
    frame = read.bars(None, data_dir=data_dir)
    assert frame.schema == pl.Schema(DAILY_OHLCV)
    assert frame.height == 10
    assert frame.select("symbol", "date").rows() == [(s, d) for s in ("AAA", "BBB") for d in WEEK]
    assert frame.filter(pl.col("symbol") == "AAA")["close"].to_list() == [100.0, 102.0, 51.0, 52.0, 53.0]


def test_a_list_reads_only_those_symbols_in_any_case(week, data_dir):
    assert read.bars(["BBB"], data_dir=data_dir)["symbol"].unique().to_list() == ["BBB"]
    assert read.bars([" bbb "], data_dir=data_dir).height == 5
    assert read.bars(["ZZZ"], data_dir=data_dir).height == 0
    assert read.bars([], data_dir=data_dir).height == 0


def test_dates_are_inclusive_and_may_be_strings(week, data_dir):
    frame = read.bars(["AAA"], start="2024-06-04", end=dt.date(2024, 6, 6), data_dir=data_dir)
    assert frame["date"].to_list() == WEEK[1:4]
    assert read.bars(["AAA"], start=WEEK[4], data_dir=data_dir)["date"].to_list() == [WEEK[4]]
    assert read.bars(["AAA"], end=WEEK[0], data_dir=data_dir)["date"].to_list() == [WEEK[0]]
    with pytest.raises(ValueError, match="start 2024-06-07 is after end 2024-06-03"):
        read.bars(None, start=WEEK[4], end=WEEK[0], data_dir=data_dir)
    with pytest.raises(ValueError, match="start must be a date"):
        read.bars(None, start="June 3rd", data_dir=data_dir)


def test_adjusted_divides_by_later_splits_and_applies_later_dividends(week, data_dir):
    frame = read.bars(["AAA"], adjusted=True, data_dir=data_dir)
    assert frame.schema == pl.Schema(ADJUSTED)
    by_day = {row["date"]: row for row in frame.iter_rows(named=True)}
    dividend = 1 - 1.04 / 52.0  # 0.98: the cash over the close before the ex-date
    assert by_day[WEEK[0]]["split_factor"] == 2.0
    assert by_day[WEEK[0]]["close"] == pytest.approx(100.0 * dividend / 2)
    assert by_day[WEEK[0]]["volume"] == 2000
    assert by_day[WEEK[2]]["split_factor"] == 1.0 and by_day[WEEK[2]]["close"] == pytest.approx(51.0 * dividend)
    assert by_day[WEEK[4]]["close"] == 53.0 and by_day[WEEK[4]]["dividend_factor"] == 1.0
    assert frame["close_as_traded"].to_list() == [100.0, 102.0, 51.0, 52.0, 53.0]
    untouched = read.bars(["BBB"], adjusted=True, data_dir=data_dir)
    assert untouched["close"].to_list() == untouched["close_as_traded"].to_list()


def test_adjusted_uses_a_dividend_after_the_end_of_the_read(week, data_dir):
    """The dividend of 06-07 divides by the 06-06 close, which lies after end=06-05."""
    frame = read.bars(["AAA"], end="2024-06-05", adjusted=True, data_dir=data_dir)
    assert frame["date"].to_list() == WEEK[:3]
    assert frame["dividend_factor"].to_list() == pytest.approx([0.98] * 3)


def test_adjusted_equals_the_warehouse_view(week, data_dir):
    view = week.query("SELECT * FROM prices.daily_ohlcv_adjusted ORDER BY symbol, date")
    frame = read.bars(None, adjusted=True, data_dir=data_dir)
    assert frame.columns == view.columns
    assert frame.select("symbol", "date", "volume").equals(view.select("symbol", "date", "volume"))
    for column in ("open", "high", "low", "close", "split_factor", "dividend_factor"):
        assert frame[column].to_list() == pytest.approx(view[column].to_list())


@pytest.mark.parametrize("hostile", ["../x", "'; DROP TABLE prices.corporate_actions; --", "A/B", "", "A" * 21])
def test_hostile_symbols_are_refused_and_nothing_changes(week, data_dir, hostile):
    before = sorted(p.name for p in (data_dir / "lake").rglob("*"))
    with pytest.raises(InvalidSymbol):
        read.bars(["AAA", hostile], data_dir=data_dir)
    with pytest.raises(InvalidSymbol):
        read.bars([hostile], adjusted=True, data_dir=data_dir)
    assert sorted(p.name for p in (data_dir / "lake").rglob("*")) == before
    assert read.sql("SELECT count(*) AS n FROM prices.corporate_actions", data_dir=data_dir)["n"][0] == 2


@pytest.mark.parametrize("symbols, error", [("AAA", TypeError), ([1], TypeError), ({"a": 1}, TypeError)])
def test_symbols_must_be_a_list_of_strings(week, data_dir, symbols, error):
    with pytest.raises(error, match="symbol"):
        read.bars(symbols, data_dir=data_dir)


def test_unknown_intervals_are_refused_naming_the_valid_ones(week, data_dir):
    for interval in ("2m", "1wk", "daily"):
        with pytest.raises(ValueError, match=r"interval '.*' is not available; valid: 1d, 1m, 5m, 15m, 30m, 1h"):
            read.bars(None, interval=interval, data_dir=data_dir)


def test_an_empty_lake_reads_as_an_empty_frame(data_dir):
    assert read.bars(None, data_dir=data_dir).schema == pl.Schema(DAILY_OHLCV)
    assert read.bars(["AAA"], "2024-06-03", "2024-06-07", data_dir=data_dir).height == 0
    adjusted = read.bars(None, adjusted=True, data_dir=data_dir)  # nothing to adjust: no copy needed
    assert adjusted.height == 0 and adjusted.schema == pl.Schema(ADJUSTED)


def test_adjusted_without_a_published_copy_says_how_to_get_one(data_dir):
    write_week(data_dir, publish=False)
    with pytest.raises(read.NotPublished, match=r"published/warehouse.duckdb yet.*run universe_job or daily_prices_job"):
        read.bars(["AAA"], adjusted=True, data_dir=data_dir)
    assert read.bars(["AAA"], data_dir=data_dir).height == 5  # as traded needs no copy


def test_the_data_dir_comes_from_the_environment(week, data_dir, monkeypatch):
    monkeypatch.setenv("STOCK_ASSETS_DATA_DIR", str(data_dir))
    assert read.bars(["AAA"]).height == 5
    assert read.sql("SELECT symbol FROM prices.corporate_actions WHERE kind = 'split'")["symbol"].to_list() == [SPLIT[0]]


def test_adjusted_is_in_major_units_and_names_both_currencies(week, data_dir):
    """A pence series (GBp) reads adjusted in pounds, as the warehouse view does (ADR 0020);
    the as-traded read keeps the pence and says so."""
    pence = bar_rows("BBB", currency="GBp").with_columns(symbol=pl.lit("BBB.L"))
    ParquetLake(data_dir / "lake").write_partitions(
        "daily_ohlcv", WEEK, pl.concat([bar_rows("AAA"), bar_rows("BBB"), pence]), DAILY_OHLCV)
    traded = read.bars(["BBB.L"], data_dir=data_dir)
    assert set(traded["currency"]) == {"GBp"}
    frame = read.bars(["BBB", "BBB.L"], adjusted=True, data_dir=data_dir)
    london = frame.filter(pl.col("symbol") == "BBB.L")
    assert set(london["currency"]) == {"GBP"} and set(london["currency_as_traded"]) == {"GBp"}
    assert london["close"].to_list() == pytest.approx([c / 100 for c in traded["close"]])
    assert london["close_as_traded"].to_list() == traded["close"].to_list()
    assert set(frame.filter(pl.col("symbol") == "BBB")["currency"]) == {"USD"}
    view = week.query("SELECT * FROM prices.daily_ohlcv_adjusted WHERE symbol = 'BBB.L' ORDER BY date")
    assert london["close"].to_list() == pytest.approx(view["close"].to_list())
    assert london["currency"].to_list() == view["currency"].to_list()
