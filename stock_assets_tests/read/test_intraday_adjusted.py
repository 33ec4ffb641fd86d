"""Adjusted intraday bars: stored as traded, adjusted on read by the daily bars' corporate actions."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from stock_assets import read
from stock_assets.lib.intraday.schema import INTRADAY_BARS
from stock_assets.storage import published
from stock_assets.storage.lake import ParquetLake
from stock_assets_tests.read.conftest import CLOSES, WEEK, bar_rows, write_week

SPLIT_DAY = dt.date(2024, 6, 5)  # AAA 2:1; a dividend of 1.04 on 06-07 (previous close 52: factor 0.98)


def _hours(symbol: str, day: dt.date, close: float) -> pl.DataFrame:
    """Seven 1h bars whose last close is the day's close."""
    start = dt.datetime.combine(day, dt.time(13, 30))
    closes = [close * (1 + (k - 6) / 1000) for k in range(7)]
    return pl.DataFrame({
        "ts": [start + dt.timedelta(hours=k) for k in range(7)], "session": [day] * 7, "symbol": [symbol] * 7,
        "interval": ["1h"] * 7, "open": closes, "high": [c + 0.5 for c in closes], "low": [c - 0.5 for c in closes],
        "close": closes, "volume": [100] * 7, "provider": ["t"] * 7,
        "ingested_at": [dt.datetime(2024, 6, 8)] * 7, "run_id": ["r"] * 7}, schema=INTRADAY_BARS)


@pytest.fixture
def week_with_hours(data_dir):
    wh = write_week(data_dir, publish=False)
    lake = ParquetLake(data_dir / "lake")
    lake.write_partitions("daily_ohlcv", WEEK, pl.concat([bar_rows("AAA"), bar_rows("BBB", "GBp")]),
                          dict(bar_rows("AAA").schema))
    for i, day in enumerate(WEEK):
        rows = pl.concat([_hours(s, day, CLOSES[s][i]) for s in ("AAA", "BBB")])
        lake.write_partition("intraday_bars/interval=1h", day, rows, INTRADAY_BARS)
    wh.refresh_views()
    published.publish(wh)
    return data_dir


def test_a_bar_before_the_split_is_divided_by_its_ratio_and_one_after_is_not(week_with_hours):
    bars = read.bars(["AAA"], WEEK[0], WEEK[-1], interval="1h", adjusted=True, data_dir=week_with_hours)
    last = bars.group_by("session").agg(pl.col("close").last(), pl.col("close_as_traded").last(),
                                        pl.col("split_factor").first(), pl.col("volume").first()).sort("session")
    by_day = {r["session"]: r for r in last.iter_rows(named=True)}
    before, after = by_day[dt.date(2024, 6, 4)], by_day[SPLIT_DAY]
    assert before["close_as_traded"] == 102.0 and before["close"] == pytest.approx(102.0 / 2 * 0.98)
    assert (before["split_factor"], before["volume"]) == (2.0, 200)  # volume times the ratio
    assert after["close_as_traded"] == 51.0 and after["close"] == pytest.approx(51.0 * 0.98)
    assert after["split_factor"] == 1.0
    assert by_day[dt.date(2024, 6, 7)]["close"] == 53.0  # on and after the ex-date: unadjusted
    assert bars["ts"].is_sorted() and str(bars["ts"].dtype.time_zone) == "UTC"
    local = read.bars(["AAA"], WEEK[0], WEEK[0], interval="1h", adjusted=True, tz="America/New_York",
                      data_dir=week_with_hours)
    assert (local["ts"][0].hour, local["ts"][0].minute) == (9, 30)


def test_adjusted_intraday_closes_equal_the_adjusted_daily_close_in_major_units(week_with_hours):
    hours = read.bars(None, WEEK[0], WEEK[-1], interval="1h", adjusted=True, data_dir=week_with_hours)
    days = read.bars(None, WEEK[0], WEEK[-1], adjusted=True, data_dir=week_with_hours)
    last = hours.group_by("symbol", "session").agg(pl.col("close").last(), pl.col("currency").first(),
                                                   pl.col("currency_as_traded").first())
    joined = last.join(days, left_on=["symbol", "session"], right_on=["symbol", "date"], suffix="_d")
    assert joined.height == 10
    assert (joined["close"] - joined["close_d"]).abs().max() < 1e-9
    assert (joined["currency"] == joined["currency_d"]).all()
    bbb = joined.filter(pl.col("symbol") == "BBB").sort("session")
    assert bbb["currency"].unique().to_list() == ["GBP"] and bbb["currency_as_traded"][0] == "GBp"
    assert bbb["close"][0] == pytest.approx(10.0 / 100)  # pence to pounds


def test_the_adjusted_view_gives_the_rows_read_bars_gives(week_with_hours):
    view = read.sql("SELECT * FROM prices.intraday_bars_adjusted ORDER BY symbol, ts", data_dir=week_with_hours)
    frame = read.bars(None, interval="1h", adjusted=True, data_dir=week_with_hours)
    assert view.columns == frame.columns and view.height == frame.height == 70
    for col in ("open", "high", "low", "close", "split_factor", "dividend_factor"):
        assert (view[col] - frame[col]).abs().max() < 1e-12, col
    for col in ("volume", "currency", "currency_as_traded", "session", "symbol"):
        assert view[col].equals(frame[col]), col
    assert view["ts"].equals(frame["ts"].dt.replace_time_zone(None))
    nothing = read.bars(None, interval="1h", adjusted=True, data_dir=week_with_hours / "elsewhere")
    assert nothing.height == 0 and nothing.columns == frame.columns
