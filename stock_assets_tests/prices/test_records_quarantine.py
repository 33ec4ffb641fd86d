"""defs/prices/records.py on frames and warehouses built in the test: bad rows refused, a missing universe named."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.defs.prices import records
from stock_assets.lib.errors import ErrorCode
from stock_assets.storage.warehouse import Warehouse

D = dt.date(2024, 6, 3)


def _bar(symbol, close=10.0, high=11.0, low=9.0, open_=10.0, volume=100):
    return {"date": D, "symbol": symbol, "open": open_, "high": high, "low": low, "close": close,
            "adj_close": close, "volume": volume, "provider": "test",
            "source_ts": dt.datetime(2024, 6, 3, 20)}


def test_bad_rows_are_refused_and_each_symbol_recorded_as_yfparse():
    bars = pl.DataFrame([
        _bar("GOOD"), _bar("TWIN"), _bar("TWIN"),    # an exact duplicate collapses to one row
        _bar("NULL", close=None),                     # a null required field
        _bar("UPSIDE", high=8.0),                      # high below low: OHLC order
        _bar("NEG", close=-1.0, low=-2.0, open_=-1.0),  # non-positive price
        _bar("CLASH", close=10.0), _bar("CLASH", close=10.5),  # two different rows for one key
    ])
    good, failures = records.quarantine(bars, D)
    assert sorted(good["symbol"]) == ["GOOD", "TWIN"]
    by_symbol = {f.symbol: f for f in failures}
    assert sorted(by_symbol) == ["CLASH", "NEG", "NULL", "UPSIDE"]
    assert {f.code for f in failures} == {ErrorCode.YFPARSE}
    assert {f.session for f in failures} == {D}
    assert "null required field" in by_symbol["NULL"].message
    assert "OHLC order" in by_symbol["UPSIDE"].message and "OHLC order" in by_symbol["NEG"].message
    assert "conflicting rows" in by_symbol["CLASH"].message


def test_clean_bars_pass_whole_with_no_failure():
    bars = pl.DataFrame([_bar("A"), _bar("B")])
    good, failures = records.quarantine(bars, D)
    assert good.equals(bars) and failures == []


def test_a_fresh_warehouse_asks_for_the_universe_first(tmp_path):
    """No warehouse schema yet (a first run): the error says what to run, not a catalog error."""
    fresh = Warehouse(tmp_path / "warehouse.duckdb", tmp_path / "lake")
    with pytest.raises(records.UniverseMissing, match="materialise ticker_universe first"):
        records.symbols_for(fresh, D)
