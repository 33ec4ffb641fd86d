"""The Yahoo intraday fetch against the fake Yahoo: 7-day windows, retention, coded failures."""

import datetime as dt

from stock_assets.lib import calendar
from stock_assets.lib.errors import ErrorCode
from stock_assets_tests.prices.conftest import FAKE_TODAY
from stock_assets_tests.prices.fake_intraday import intraday_body

MONTH = calendar.sessions_between(FAKE_TODAY - dt.timedelta(days=40), FAKE_TODAY)


def _serve(fake, *symbols):
    for symbol in symbols:
        fake.script.bodies[symbol] = (200, intraday_body(symbol, MONTH))


def _span_days(query) -> float:
    return (int(query["period2"]) - int(query["period1"])) / 86400


def test_eight_days_back_is_asked_in_windows_of_at_most_seven_days(fake_yahoo, yahoo_source):
    days = calendar.sessions_between(FAKE_TODAY - dt.timedelta(days=8), FAKE_TODAY)
    _serve(fake_yahoo, "AAA", "BBB")
    result = yahoo_source.fetch_intraday(["AAA", "BBB"], days, {}, today=FAKE_TODAY)
    assert not result.failures
    charts = [q for q in fake_yahoo.queries["AAA"] if "period1" in q]
    assert len(charts) == 2 and all(_span_days(q) <= 7 for q in charts)
    assert all(q["interval"] == "1m" for q in charts)
    aaa = result.bars.filter(result.bars["symbol"] == "AAA")
    assert sorted(aaa["session"].unique()) == days and aaa.height == 390 * len(days)


def test_a_day_past_the_window_is_lost_with_a_code_and_never_asked(fake_yahoo, yahoo_source):
    old = calendar.previous_session(FAKE_TODAY - dt.timedelta(days=30))
    recent = calendar.previous_session(FAKE_TODAY)
    _serve(fake_yahoo, "AAA")
    result = yahoo_source.fetch_intraday(["AAA"], [old, recent], {}, today=FAKE_TODAY)
    lost = [(f.symbol, f.code, f.session) for f in result.failures]
    assert lost == [("AAA", ErrorCode.YFTOOOLD, old)]
    asked_from = min(dt.datetime.fromtimestamp(int(q["period1"]), dt.UTC).date()
                     for q in fake_yahoo.queries["AAA"] if "period1" in q)
    assert asked_from > old
    assert set(result.bars["session"]) == {recent}


def test_only_lost_days_make_no_request_at_all(fake_yahoo, yahoo_source):
    old = calendar.previous_session(FAKE_TODAY - dt.timedelta(days=31))
    result = yahoo_source.fetch_intraday(["AAA", "BBB"], [old], {}, today=FAKE_TODAY)
    assert {f.code for f in result.failures} == {ErrorCode.YFTOOOLD} and len(result.failures) == 2
    assert fake_yahoo.chart_requests == 0


def test_a_404_symbol_is_coded_per_day(fake_yahoo, yahoo_source):
    fake_yahoo.script.always["GONE"] = "404"
    day = calendar.previous_session(FAKE_TODAY)
    _serve(fake_yahoo, "AAA")
    result = yahoo_source.fetch_intraday(["GONE", "AAA"], [day], {}, today=FAKE_TODAY)
    assert [(f.symbol, f.session) for f in result.failures] == [("GONE", day)]
    assert result.failures[0].code in (ErrorCode.YFHTTP4XX, ErrorCode.YFTZ)
    assert set(result.bars["symbol"]) == {"AAA"}
