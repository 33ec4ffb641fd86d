"""Real recorded chart answers of markets beyond the US, through yfinance and YahooPriceSource:
each bar lands on its own market's session date with the quote currency Yahoo gives (ADR 0019,
ADR 0020). London OCDO.L is quoted in pence (GBp), Xetra WSU.DE in EUR, GC=F (COMEX gold) is a
future, and Oslo, Copenhagen and Milan quote NOK, DKK and EUR."""

import datetime as dt
import json

import polars as pl
import pytest

from stock_assets.defs.prices.yahoo import frames
from stock_assets.lib import calendar
from stock_assets_tests.conftest import shared_data

D = dt.date
DAILY = ("yahoo_json", "chart_v8_intraday_wrapped_node-yahoo-finance2")  # daily charts despite the name
CHARTS = ("yahoo_json", "chart_v8_wrapped_node-yahoo-finance2")

CASES = [  # symbol, folder, file, currency, Yahoo exchange, timezone, session dates, calendar
    ("OCDO.L", DAILY, "chart-OCDO.L-2020-01-01-to-2020-01-03.json", "GBp", "LSE", "Europe/London",
     [D(2020, 1, 2)], "XLON"),
    ("WSU.DE", CHARTS, "chart-WSU.DE-2023-08-04-to-2023-08-09.json", "EUR", "GER", "Europe/Berlin",
     [D(2023, 8, 4), D(2023, 8, 7), D(2023, 8, 8)], "XETR"),
    ("GC=F", DAILY, "chart-GC=F-2020-01-01-to-2020-01-03.json", "USD", "CMX", "America/New_York",
     [D(2020, 1, 2)], "CMES"),
    ("AZT.OL", DAILY, "chart-AZT.OL-2020-01-01-to-2020-01-03.json", "NOK", "OSL", "Europe/Oslo", [D(2020, 1, 2)], "XOSL"),
    ("ORSTED.CO", DAILY, "chart-ORSTED.CO-2020-01-01-to-2020-01-03.json", "DKK", "CPH", "Europe/Copenhagen",
     [D(2020, 1, 2)], "XCSE"),
    ("UNIR.MI", DAILY, "chart-UNIR.MI-2020-01-01-to-2020-01-03.json", "EUR", "MIL", "Europe/Rome", [D(2020, 1, 2)], "XMIL"),
]


def _body(folder, name) -> dict:
    response = json.loads(shared_data(*folder, name).read_text())["response"]
    body = response.get("bodyJson")
    return body if body is not None else json.loads(response["body"])


@pytest.mark.parametrize("symbol, folder, name, currency, exchange, tz, days, cal", CASES, ids=[c[0] for c in CASES])
def test_recorded_chart_meta_gives_currency_exchange_and_session(symbol, folder, name, currency, exchange, tz, days, cal):
    result = _body(folder, name)["chart"]["result"][0]
    market = frames.chart_market(result["meta"])
    assert (market["currency"], market["exchange"], market["timezone"]) == (currency, exchange, tz)
    sessions = frames.session_dates(result["timestamp"], market["timezone"])
    assert sessions == days
    assert all(calendar.is_session(d, cal) for d in sessions)


@pytest.mark.parametrize("symbol, folder, name, currency, exchange, tz, days, cal", CASES, ids=[c[0] for c in CASES])
def test_recorded_answers_through_the_source_keep_date_and_currency(
        fake_yahoo, yahoo_source, symbol, folder, name, currency, exchange, tz, days, cal):
    fake_yahoo.script.bodies[symbol] = (200, _body(folder, name))
    result = yahoo_source.fetch_range([symbol], days)
    assert not result.failures
    assert result.bars["date"].to_list() == days
    assert set(result.bars["currency"]) == {currency}
    close = _body(folder, name)["chart"]["result"][0]["indicators"]["quote"][0]["close"]
    assert result.bars["close"].to_list() == pytest.approx(close, rel=1e-6)  # as quoted: pence stay pence
    closes_utc = result.bars["source_ts"].to_list()
    assert closes_utc == [calendar.session_close(d, cal).replace(tzinfo=None) for d in days]


def test_currency_comes_from_yahoos_answer_not_only_from_the_symbol(fake_yahoo, yahoo_source):
    """A London listing quoted in USD (as some ETFs are): Yahoo's meta wins over the `.L` default."""
    body = _body(DAILY, "chart-OCDO.L-2020-01-01-to-2020-01-03.json")
    body["chart"]["result"][0]["meta"]["currency"] = "USD"
    fake_yahoo.script.bodies["OCDO.L"] = (200, body)
    result = yahoo_source.fetch_range(["OCDO.L"], [D(2020, 1, 2)])
    assert result.bars.select("date", "currency").rows() == [(D(2020, 1, 2), "USD")]
    assert pl.Series(result.bars["symbol"]).to_list() == ["OCDO.L"]


def test_a_symbol_of_unknown_market_is_refused_unasked_and_the_rest_fetched(fake_yahoo, yahoo_source):
    """`FOO.XX` has no known market: recorded YFMARKET (never asked, never dated on XNYS);
    OCDO.L in the same call is fetched as usual."""
    fake_yahoo.script.bodies["OCDO.L"] = (200, _body(DAILY, "chart-OCDO.L-2020-01-01-to-2020-01-03.json"))
    result = yahoo_source.fetch_range(["FOO.XX", "OCDO.L"], [D(2020, 1, 2)])
    assert [(f.symbol, str(f.code), f.attempts) for f in result.failures] == [("FOO.XX", "YFMARKET", 0)]
    assert "'.XX' is an unknown exchange suffix" in result.failures[0].message
    assert fake_yahoo.requests.get("FOO.XX", 0) == 0
    assert result.bars["symbol"].to_list() == ["OCDO.L"]
