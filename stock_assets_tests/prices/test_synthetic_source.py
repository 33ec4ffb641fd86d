"""SyntheticPriceSource: the PriceSource contract on the synthetic market."""

import datetime as dt

import polars as pl

from stock_assets.defs.prices.synthetic import SyntheticPriceSource
from stock_assets.lib import synthetic
from stock_assets.lib.errors import ErrorCode
from stock_assets.lib.schema import SOURCE_BAR_COLUMNS


def test_fetch_range_returns_bars_actions_and_a_failure_per_missing_symbol():
    source = SyntheticPriceSource(ticker_count=10)
    ts = synthetic.tickers(10)
    logged = []
    result = source.fetch_range([ts[0].symbol, ts[1].symbol, "ZZZZZZ"],
                                [dt.date(2024, 6, 17), dt.date(2024, 6, 18)], log=logged.append)
    assert result.bars.columns == SOURCE_BAR_COLUMNS
    assert set(result.bars["symbol"]) == {ts[0].symbol}
    codes = {f.symbol: f.code for f in result.failures}
    assert codes == {ts[1].symbol: ErrorCode.YFTZ, "ZZZZZZ": ErrorCode.YFHTTP4XX}
    assert all(f.session == dt.date(2024, 6, 18) for f in result.failures)
    assert result.failures_by_code() == {str(ErrorCode.YFTZ): 1, str(ErrorCode.YFHTTP4XX): 1}
    assert result.failures_frame().height == 2
    assert source.provider == "synthetic" and logged and "1/3 symbols" in logged[0]


def test_fetch_day_equals_the_library_and_is_repeatable():
    source = SyntheticPriceSource(ticker_count=30)
    symbols = [t.symbol for t in synthetic.tickers(30)]
    day = dt.date(2024, 6, 10)
    once, again = source.fetch_day(symbols, day), source.fetch_day(symbols, day)
    assert once.bars.equals(again.bars)
    expected, actions, _ = synthetic.bars(symbols, [day], 30)
    assert once.bars.equals(expected.select(SOURCE_BAR_COLUMNS))
    assert once.actions.filter(pl.col("kind") == "split")["symbol"].to_list() == [symbols[0]]
