"""yfinance's own request and parsing code on real recorded chart answers and on our fixtures.

The fake Yahoo serves the recorded bodies byte for byte (../shared/data, skipped when absent)
or bodies this project writes; the source under test is the real YahooPriceSource.
"""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib import calendar
from stock_assets.lib.errors import ErrorCode
from stock_assets_tests.prices.conftest import recorded
from stock_assets_tests.prices.fake_yahoo import chart_body

D = dt.date


def _fetch(source, symbols, first, last):
    return source.fetch_range(symbols, calendar.sessions_between(first, last))


def _close(result, symbol, day):
    return result.bars.filter((pl.col("symbol") == symbol) & (pl.col("date") == day))["close"][0]


def test_recorded_aapl_split_window(fake_yahoo, yahoo_source):
    fake_yahoo.script.bodies["AAPL"] = recorded("chart-AAPL-2020-08-31-to-2020-11-07.json")
    result = _fetch(yahoo_source, ["AAPL"], D(2020, 8, 31), D(2020, 11, 6))
    assert not result.failures
    assert result.bars.height == 49
    assert _close(result, "AAPL", D(2020, 8, 31)) == pytest.approx(129.04, abs=1e-3)  # as traded: first post-split day
    actions = {(r["kind"], r["ex_date"]): r["value"] for r in result.actions.iter_rows(named=True)}
    assert actions[("split", D(2020, 8, 31))] == 4.0
    assert actions[("dividend", D(2020, 11, 6))] == pytest.approx(0.205)
    assert set(result.bars["provider"]) == {"yahoo"}


def test_recorded_nvda_split_is_undone_before_the_ex_date(fake_yahoo, yahoo_source):
    status, body = recorded("historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json")
    fake_yahoo.script.bodies["NVDA"] = (status, body)
    quote = body["chart"]["result"][0]["indicators"]["quote"][0]
    stamps = body["chart"]["result"][0]["timestamp"]
    raw = {dt.datetime.fromtimestamp(t, dt.UTC).date(): (c, v) for t, c, v in zip(stamps, quote["close"], quote["volume"])}
    result = _fetch(yahoo_source, ["NVDA"], D(2021, 7, 15), D(2021, 7, 22))
    before, after = D(2021, 7, 19), D(2021, 7, 20)
    assert _close(result, "NVDA", before) == pytest.approx(raw[before][0] * 4, rel=1e-6)
    assert _close(result, "NVDA", after) == pytest.approx(raw[after][0], rel=1e-6)
    vol = result.bars.filter(pl.col("date") == before)["volume"][0]
    assert vol == round(raw[before][1] / 4)
    # the as-traded series shows the split as a ~4x step, the way it traded
    assert _close(result, "NVDA", before) / _close(result, "NVDA", after) == pytest.approx(4.0, rel=0.1)


def test_recorded_msft_dividends_and_tsla_long_history(fake_yahoo, yahoo_source):
    fake_yahoo.script.bodies["MSFT"] = recorded("historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv.json")
    fake_yahoo.script.bodies["TSLA"] = recorded("historical-via-chart-dividends-TSLA-no-dividends.json")
    result = _fetch(yahoo_source, ["MSFT", "TSLA"], D(2021, 2, 1), D(2022, 1, 28))
    assert not result.failures
    dividends = result.actions.filter(pl.col("kind") == "dividend")
    assert dividends.height == 4 and set(dividends["symbol"]) == {"MSFT"}
    assert result.bars.filter(pl.col("symbol") == "MSFT").height == 252
    assert result.bars.filter(pl.col("symbol") == "TSLA").height == 252
    long = _fetch(yahoo_source, ["TSLA"], D(2010, 6, 29), D(2023, 8, 11))
    assert long.bars.height == 3303 and long.bars["date"].n_unique() == 3303


def test_recorded_404_for_delisted_and_the_weekend_answer_are_coded(fake_yahoo, yahoo_source):
    fake_yahoo.script.bodies["SI"] = recorded("ERROR404_historical-via-chart-SI-2020-01-01-to-2020-01-03.json")
    fake_yahoo.script.bodies["SIX"] = recorded("ERROR404_historical-via-chart-SIX-2020-01-01-to-2020-01-03.json")
    fake_yahoo.script.bodies["WKND"] = recorded("chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.json")
    result = _fetch(yahoo_source, ["SI", "SIX", "WKND"], D(2020, 1, 2), D(2020, 1, 3))
    codes = {f.symbol: f.code for f in result.failures}
    assert codes == {"SI": ErrorCode.YFHTTP4XX, "SIX": ErrorCode.YFHTTP4XX, "WKND": ErrorCode.YFEMPTY}
    assert "404" in next(f.message for f in result.failures if f.symbol == "SI")
    assert result.bars.height == 0


# -- fixtures this project writes: AAPL fetched the night it traded, and years later --------
THEN_BARS = [  # what Yahoo said on 2020-08-28 (no split yet): as traded
    {"date": D(2020, 8, 27), "open": 508.57, "high": 509.94, "low": 495.33, "close": 500.04, "volume": 38_888_100},
    {"date": D(2020, 8, 28), "open": 504.05, "high": 505.77, "low": 498.31, "close": 499.23, "volume": 46_907_500},
]


def _now_bars():
    """What Yahoo says after the 4:1 split: earlier days divided by 4, volumes times 4."""
    adjusted = [{**b, **{k: b[k] / 4 for k in ("open", "high", "low", "close")}, "volume": b["volume"] * 4}
                for b in THEN_BARS]
    return adjusted + [{"date": D(2020, 8, 31), "open": 127.58, "high": 131.0, "low": 126.0, "close": 129.04,
                        "volume": 225_702_700}]


def test_a_row_fetched_then_equals_the_row_backfilled_now(fake_yahoo, yahoo_source):
    fake_yahoo.script.bodies["AAPL"] = (200, chart_body("AAPL", THEN_BARS))
    then = _fetch(yahoo_source, ["AAPL"], D(2020, 8, 27), D(2020, 8, 28))
    fake_yahoo.script.bodies["AAPL"] = (200, chart_body("AAPL", _now_bars(), splits={D(2020, 8, 31): (4, 1)}))
    now = _fetch(yahoo_source, ["AAPL"], D(2020, 8, 27), D(2020, 8, 28))
    cols = ["date", "symbol", "open", "high", "low", "close", "volume"]
    assert _close(then, "AAPL", D(2020, 8, 28)) == pytest.approx(499.23)
    then_rows, now_rows = (r.bars.select(cols).sort("date").to_dicts() for r in (then, now))
    assert len(now_rows) == len(then_rows) == 2
    for a, b in zip(now_rows, then_rows, strict=True):
        assert a == pytest.approx(b)
    assert now.actions.filter(pl.col("kind") == "split")["value"].to_list() == [4.0]
