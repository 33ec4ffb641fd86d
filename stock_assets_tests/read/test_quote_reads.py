"""`read.quotes`: snapshots and the newest per symbol, straight from the lake (no warehouse, no network)."""

import datetime as dt

import polars as pl
import pytest

from stock_assets import read
from stock_assets.lib.quotes import schema
from stock_assets.storage import quote_store


def _snapshot(lake, at: dt.datetime, prices: dict[str, float]) -> None:
    rows = [{c: None for c in schema.QUOTE_SNAPSHOTS} | {
        "snapshot_at": at, "symbol": s, "price": p, "quote_time": at - dt.timedelta(seconds=30),
        "currency": "GBp" if s.endswith(".L") else "USD", "market_cap": 10**12} for s, p in prices.items()]
    quote_store.write_snapshot(lake, schema.frame(rows), at)


@pytest.fixture
def lake(data_dir):
    root = data_dir / "lake"
    _snapshot(root, dt.datetime(2024, 6, 10, 15, 0), {"AAPL": 190.0, "VOD.L": 71.5})
    _snapshot(root, dt.datetime(2024, 6, 10, 15, 10), {"AAPL": 191.0, "VOD.L": 71.6})
    _snapshot(root, dt.datetime(2024, 6, 11, 9, 0), {"VOD.L": 72.0})
    return root


def test_quotes_by_symbol_and_date_range(lake, data_dir):
    frame = read.quotes(["aapl"], start="2024-06-10", end="2024-06-10", data_dir=data_dir)
    assert frame["price"].to_list() == [190.0, 191.0]
    assert frame.columns == list(schema.QUOTE_SNAPSHOTS)
    assert frame.schema["snapshot_at"] == pl.Datetime("us", "UTC")
    assert read.quotes(None, start="2024-06-11", data_dir=data_dir)["symbol"].to_list() == ["VOD.L"]
    assert not (data_dir / "warehouse.duckdb").exists()  # the lake only: no warehouse opened


def test_latest_is_the_newest_per_symbol_and_tz_converts(lake, data_dir):
    latest = read.quotes(latest=True, data_dir=data_dir, tz="Europe/London")
    assert latest.select("symbol", "price", "currency").rows() == [("AAPL", 191.0, "USD"), ("VOD.L", 72.0, "GBp")]
    assert str(latest["snapshot_at"][1]) == "2024-06-11 10:00:00+01:00"


def test_nothing_stored_or_bad_input(data_dir):
    assert read.quotes(data_dir=data_dir).height == 0
    assert read.quotes(data_dir=data_dir).columns == list(schema.QUOTE_SNAPSHOTS)
    with pytest.raises(ValueError, match="after end"):
        read.quotes(start="2024-06-11", end="2024-06-10", data_dir=data_dir)
    with pytest.raises(TypeError):
        read.quotes("AAPL", data_dir=data_dir)
