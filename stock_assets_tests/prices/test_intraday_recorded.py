"""Real recorded intraday chart answers through yfinance's own request and parsing code.

The fake Yahoo (127.0.0.1) serves the recorded bodies of ../shared/data (skipped when absent);
`YahooPriceSource.fetch_intraday` asks them with `Ticker.history(interval="1m")`.
"""

import datetime as dt
import json

import polars as pl
import pytest

from stock_assets.lib.errors import ErrorCode
from stock_assets.lib.intraday import checks, parse, resample
from stock_assets_tests.conftest import shared_data

D = dt.date
FOLDER = ("yahoo_json", "chart_v8_intraday_wrapped_node-yahoo-finance2")
AAPL_1M = "chart-AAPL-2024-10-02-to-2024-10-03-includePrePost-false-interval-1m.json"
TSLA_30M = "chart-TSLA-2021-11-22-to-2021-11-23-interval-30m.json"
TSLA_1H = "chart-TSLA-2021-11-23-to-2021-11-23-interval-1h.json"


def recorded_intraday(name: str) -> tuple[int, object]:
    response = json.loads(shared_data(*FOLDER, name).read_text())["response"]
    body = response.get("bodyJson")
    return response["status"], (body if body is not None else json.loads(response["body"]))


def test_recorded_aapl_1m_parses_to_389_regular_minutes(fake_yahoo, yahoo_source):
    status, body = recorded_intraday(AAPL_1M)
    quote = body["chart"]["result"][0]["indicators"]["quote"][0]
    stamps = body["chart"]["result"][0]["timestamp"]
    nulls = [t for t, c in zip(stamps, quote["close"]) if c is None]
    assert len(stamps) == 391 and len(nulls) == 1  # the recording: 390 minutes (15:15 all null) + a stray bar
    fake_yahoo.script.bodies["AAPL"] = (status, body)
    result = yahoo_source.fetch_intraday(["AAPL"], [D(2024, 10, 2)], {"AAPL": "XNYS"}, today=D(2024, 10, 4))
    assert not result.failures
    bars = result.bars
    assert bars.height == 389  # 390 regular minutes less the all-null one; the next-day bar dropped
    assert set(bars["session"]) == {D(2024, 10, 2)}
    assert bars["ts"].min() == dt.datetime(2024, 10, 2, 13, 30) and bars["ts"].max() == dt.datetime(2024, 10, 2, 19, 59)
    assert dt.datetime.fromtimestamp(nulls[0], dt.UTC).replace(tzinfo=None) not in set(bars["ts"])
    assert bars.select(pl.col("open", "high", "low", "close").is_null().any()).row(0) == (False,) * 4
    first = bars.row(0, named=True)
    i = stamps.index(int(dt.datetime(2024, 10, 2, 13, 30, tzinfo=dt.UTC).timestamp()))
    assert first["open"] == pytest.approx(quote["open"][i]) and first["volume"] == quote["volume"][i]
    assert fake_yahoo.queries["AAPL"][-1]["interval"] == "1m"
    gaps = checks.missing_minutes(bars, {"AAPL": "XNYS"})  # the all-null 15:15 ET minute is reported
    assert gaps.offending.select("symbol", "value").rows() == [("AAPL", 1.0)]
    assert checks.outside_session(bars, {"AAPL": "XNYS"}).passed and checks.ohlc_consistency(bars).passed


def _tsla_30m(fake_yahoo, yahoo_source, extended: bool):
    fake_yahoo.script.bodies["TSLA"] = recorded_intraday(TSLA_30M)
    import yfinance as yf

    frame = yf.Ticker("TSLA", session=_session(yahoo_source)).history(
        interval="30m", start="2021-11-22", end="2021-11-23", prepost=True, auto_adjust=False)
    return parse.from_history(frame, "TSLA", "30m", "XNYS", [D(2021, 11, 22)], "yahoo", extended=extended)


def _session(source):
    import threading

    from stock_assets.defs.prices.yahoo.session import YahooSession
    from stock_assets.lib.breaker import CircuitBreaker
    from stock_assets.lib.ratelimit import AdaptiveTokenBucket

    source._prepare_cache(["TSLA"])
    return YahooSession(AdaptiveTokenBucket(rate=100, min_rate=1, burst_s=0.1), CircuitBreaker(threshold=5, cooldown=1),
                        threading.Event(), base_url=source.base_url, timeout=2.0)


def test_recorded_tsla_30m_keeps_pre_post_bars_only_when_asked(fake_yahoo, yahoo_source):
    regular = _tsla_30m(fake_yahoo, yahoo_source, extended=False)
    extended = _tsla_30m(fake_yahoo, yahoo_source, extended=True)
    assert regular.height == 13  # 09:30 .. 15:30 ET
    assert extended.height == 30  # 04:00 .. 19:30 ET
    assert regular["ts"].min() == dt.datetime(2021, 11, 22, 14, 30)


def test_derived_1h_from_recorded_tsla_30m_matches_yahoos_alignment(fake_yahoo, yahoo_source):
    """Yahoo's own 1h recording of TSLA is an empty window (period1 == period2, meta only),
    so the check against Yahoo is on what the recordings do carry: Yahoo's 1h bars start
    at the session open (09:30 ET, its `currentTradingPeriod.regular.start`), and the derived
    bars reproduce the 30m ones exactly (open first, close last, max, min, summed volume)."""
    _, hourly = recorded_intraday(TSLA_1H)
    meta = hourly["chart"]["result"][0]["meta"]
    assert "timestamp" not in hourly["chart"]["result"][0] and meta["dataGranularity"] == "1h"
    regular = _tsla_30m(fake_yahoo, yahoo_source, extended=False)
    hours = resample.resample(regular, "1h", {"TSLA": "XNYS"})
    open_utc = dt.datetime.fromtimestamp(meta["currentTradingPeriod"]["regular"]["start"], dt.UTC)
    assert all(((t.replace(tzinfo=dt.UTC) - open_utc).total_seconds() % 3600) == 0 for t in hours["ts"])
    assert hours.height == 7 and hours["volume"].sum() == regular["volume"].sum()
    first = hours.row(0, named=True)
    assert first["open"] == pytest.approx(1162.3299560546875) and first["close"] == pytest.approx(1187.5999755859375)
    assert first["high"] == pytest.approx(1194.6600341796875) and first["volume"] == 6271983 + 2456211
    last = hours.row(-1, named=True)  # 15:30-16:00 ET: a half bucket, as Yahoo writes it
    assert last["ts"] == dt.datetime(2021, 11, 22, 20, 30) and last["volume"] == 2477475


def test_recorded_empty_1h_window_is_a_coded_failure(fake_yahoo, yahoo_source):
    fake_yahoo.script.bodies["TSLA"] = recorded_intraday(TSLA_1H)
    result = yahoo_source.fetch_intraday(["TSLA"], [D(2021, 11, 23)], {"TSLA": "XNYS"}, today=D(2021, 11, 24))
    assert result.bars.height == 0
    assert {(f.symbol, f.code, f.session) for f in result.failures} == {("TSLA", ErrorCode.YFEMPTY, D(2021, 11, 23))}
