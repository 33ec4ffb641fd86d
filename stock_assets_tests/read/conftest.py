"""A small handmade lake and warehouse: two symbols, one week, a split and a dividend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from stock_assets.lib.schema import CORPORATE_ACTIONS, DAILY_OHLCV
from stock_assets.storage import published
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse

WEEK = [dt.date(2024, 6, 3) + dt.timedelta(days=i) for i in range(5)]  # Mon..Fri
CLOSES = {"AAA": [100.0, 102.0, 51.0, 52.0, 53.0], "BBB": [10.0, 11.0, 12.0, 13.0, 14.0]}
SPLIT = ("AAA", dt.date(2024, 6, 5), "split", 2.0)  # 2:1, so 102 -> 51 is no move at all
DIVIDEND = ("AAA", dt.date(2024, 6, 7), "dividend", 1.04)  # previous close 52: factor 0.98
STAMP = dt.datetime(2024, 6, 8)


def bar_rows(symbol: str, currency: str = "USD") -> pl.DataFrame:
    closes = CLOSES[symbol]
    return pl.DataFrame({
        "date": WEEK, "symbol": [symbol] * 5, "open": closes, "high": [c + 1 for c in closes],
        "low": [c - 1 for c in closes], "close": closes, "adj_close": closes,
        "volume": [1000] * 5, "provider": ["test"] * 5, "source_ts": [None] * 5,
        "ingested_at": [STAMP] * 5, "run_id": ["r1"] * 5, "currency": [currency] * 5,
    }).cast(DAILY_OHLCV)


def action_rows(*actions: tuple) -> pl.DataFrame:
    return pl.DataFrame(
        [dict(zip(("symbol", "ex_date", "kind", "value"), a), source="test", ingested_at=STAMP, run_id="r1")
         for a in actions], schema=CORPORATE_ACTIONS)


def write_week(data_dir: Path, actions=(SPLIT, DIVIDEND), publish: bool = True) -> Warehouse:
    """The lake's week, the actions in the warehouse, and (by default) the published copy."""
    ParquetLake(data_dir / "lake").write_partitions(
        "daily_ohlcv", WEEK, pl.concat([bar_rows("AAA"), bar_rows("BBB")]), DAILY_OHLCV)
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    wh.refresh_views()
    wh.replace_rows("prices.corporate_actions", action_rows(*actions), "TRUE")
    wh.refresh_views()  # the adjusted view appears once corporate_actions exists
    if publish:
        published.publish(wh)
    return wh


@pytest.fixture
def week(data_dir: Path) -> Warehouse:
    return write_week(data_dir)
