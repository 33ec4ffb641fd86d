"""Yahoo's v7 batch quote answers (real recordings) as rows and coded failures; the stale rule."""

import datetime as dt
import email.utils
import json

import pytest

from stock_assets.lib.errors import ErrorCode
from stock_assets.lib.quotes import freshness, parse, schema
from stock_assets_tests.conftest import shared_data

RECORDED = ("yahoo_json", "quote_v7_wrapped_node-yahoo-finance2")


def recorded(name: str) -> tuple[list[str], list[dict], dt.datetime]:
    """(symbols asked, items answered, when Yahoo answered: its Date header, naive UTC)."""
    wrapped = json.loads(shared_data(*RECORDED, name).read_text())
    query = wrapped["request"]["url"].split("symbols=", 1)[1].split("&", 1)[0]
    asked = query.replace("%2C", ",").replace("%3D", "=").replace("%5E", "^").split(",")
    date = wrapped["response"]["headers"]["date"]
    answered = email.utils.parsedate_to_datetime(date[0] if isinstance(date, list) else date)
    return asked, parse.items_of(wrapped["response"]["bodyJson"]), answered.astimezone(dt.UTC).replace(tzinfo=None)


def by_symbol(rows):
    return {r["symbol"]: r for r in rows}


def test_multi_symbol_answer_with_london_in_pence():
    asked, items, at = recorded("quote-AMZN-OCDO.L.json")
    rows, failures = parse.rows_and_failures(asked, items, at, {})
    assert failures == []
    got = by_symbol(rows)
    assert set(got) == {"AMZN", "OCDO.L"}
    amzn, ocado = got["AMZN"], got["OCDO.L"]
    assert (amzn["price"], amzn["currency"], amzn["market_state"]) == (3324.15, "USD", "REGULAR")
    assert (amzn["market_cap"], amzn["pe_trailing"], amzn["pe_forward"]) == (1673925492736, 79.46808, 50.02483)
    assert (amzn["eps_trailing"], amzn["book_value"], amzn["avg_volume_3m"]) == (41.83, 185.694, 3634800)
    assert (amzn["week52_high"], amzn["week52_low"], amzn["bid"], amzn["ask"]) == (3552.25, 1626.03, 3325.74, 3328.6)
    assert amzn["change_pct"] == pytest.approx(0.46877298)  # percent, as Yahoo's v7 writes it
    assert amzn["quote_time"] == dt.datetime(2021, 2, 18, 19, 43, 56)
    # London: pence as quoted (GBp), never converted; its market had closed (POSTPOST)
    assert (ocado["price"], ocado["currency"], ocado["market_state"]) == (2568.0, "GBp", "POSTPOST")
    assert ocado["pe_trailing"] is None and ocado["eps_trailing"] == -17.5
    assert schema.frame(rows).schema == schema.QUOTE_SNAPSHOTS


@pytest.mark.parametrize("name, states", [
    ("quoteCombine-AAPL-TSLA.json", {"AAPL": "PRE", "TSLA": "PRE"}),
    ("quote-AAPL-BABA.json", {"AAPL": "CLOSED", "BABA": "CLOSED"}),
    ("quote-OCDO.L.json", {"OCDO.L": "REGULAR"}),
    ("quote-SIX-WSKT.JK.json", {"SIX": "REGULAR", "WSKT.JK": "PREPRE"}),
    ("quote-UNIR.MI-AZT.OL.json", {"UNIR.MI": "POSTPOST", "AZT.OL": "POSTPOST"}),
])
def test_market_states_are_kept_as_yahoo_states_them(name, states):
    asked, items, at = recorded(name)
    rows, failures = parse.rows_and_failures(asked, items, at, {})
    assert failures == []
    assert {r["symbol"]: r["market_state"] for r in rows} == states


def test_dividend_yield_is_percent_from_either_field():
    _, items, at = recorded("quote-AAPL-BABA.json")  # 2025: dividendYield (percent) is there
    rows = by_symbol(parse.rows_and_failures(["AAPL", "BABA"], items, at, {})[0])
    assert rows["AAPL"]["dividend_yield"] == 0.41
    _, items, at = recorded("quote-AAPL-0P000071W8.TO.json")  # 2021: only the trailing fraction
    rows = by_symbol(parse.rows_and_failures(["AAPL", "0P000071W8.TO"], items, at, {})[0])
    assert rows["AAPL"]["dividend_yield"] == pytest.approx(0.6167839)
    assert rows["0P000071W8.TO"]["currency"] == "CAD" and rows["0P000071W8.TO"]["dividend_yield"] is None


def test_a_fund_without_a_price_is_a_coded_failure_not_a_row():
    asked, items, at = recorded("quote-ADH-QQQ.json")
    rows, failures = parse.rows_and_failures(asked, items, at, {})
    assert [r["symbol"] for r in rows] == ["QQQ"]
    [fund] = failures
    assert (fund.symbol, fund.code) == ("ADH", ErrorCode.YFNOPRICE)
    assert "regularMarketPrice" in fund.message and "currency" in fund.message and "mutualfund" in fund.message


@pytest.mark.parametrize("name, symbol", [
    ("quoteCombine-NONEXIST.json", "NONEXIST"),       # unknown: HTTP 200, empty result
    ("quote-UNIR.MI.json", "UNIR.MI"),                  # no longer listed
    ("quote-AAPL220121C00025000.json", "AAPL220121C00025000"),  # an expired option
    ("quote-BRKS.json", "BRKS"),                        # renamed: a quoteType NONE stub
])
def test_symbols_yahoo_cannot_quote_are_yfnoquote(name, symbol):
    asked, items, at = recorded(name)
    rows, failures = parse.rows_and_failures(asked, items, at, {})
    assert rows == []
    assert [(f.symbol, f.code) for f in failures] == [(symbol, ErrorCode.YFNOQUOTE)]


def test_a_batch_with_an_unknown_symbol_keeps_the_known_one():
    asked, items, at = recorded("quoteCombine-AAPL-NONEXIST.json")
    rows, failures = parse.rows_and_failures(asked, items, at, {})
    assert [r["symbol"] for r in rows] == ["AAPL"]
    assert [(f.symbol, f.code) for f in failures] == [("NONEXIST", ErrorCode.YFNOQUOTE)]


def test_a_reduced_item_without_currency_is_not_stored():
    asked, items, at = recorded("quote-TSLA-fields-symbol-shortName.json")
    rows, failures = parse.rows_and_failures(asked, items, at, {})
    assert rows == [] and [(f.symbol, f.code) for f in failures] == [("TSLA", ErrorCode.YFNOPRICE)]


def test_london_in_regular_hours_is_judged_beyond_its_announced_delay():
    """OCDO.L answered at 10:54:51 GMT on 2025-02-17, quoted at 10:38:44: 16 min old, 15 min delay: fresh."""
    asked, items, at = recorded("quote-OCDO.L.json")
    assert items[0]["exchangeDataDelayedBy"] == 15 and items[0]["marketState"] == "REGULAR"
    rows, failures = parse.rows_and_failures(asked, items, at, {"OCDO.L": True})
    assert failures == [] and rows[0]["price"] == 308.8
    # without the delay (an exchange that announces none) the same quote is stale
    undelayed = [{**items[0], "exchangeDataDelayedBy": 0}]
    rows, [stale] = parse.rows_and_failures(asked, undelayed, at, {"OCDO.L": True})
    assert rows == [] and stale.code == ErrorCode.YFSTALE and "16.1 min old" in stale.message


def test_an_old_quote_is_stale_only_in_regular_hours():
    asked, items, at = recorded("quote-AAPL.json")  # a US holiday: the last trade is 3 days old
    assert parse.rows_and_failures(asked, items, at, {"AAPL": False})[1] == []
    rows, [stale] = parse.rows_and_failures(asked, items, at, {"AAPL": True})
    assert rows == [] and stale.code == ErrorCode.YFSTALE


@pytest.mark.parametrize("age_s, stale", [(0, False), (299, False), (300, False), (301, True), (3600, True)])
def test_stale_boundary_is_five_minutes(age_s, stale):
    at = dt.datetime(2024, 6, 10, 15, 0)
    quoted = at - dt.timedelta(seconds=age_s)
    assert (freshness.stale_reason(quoted, at) is not None) is stale
    assert freshness.stale_reason(quoted, at, delayed_by_minutes=60) is None


@pytest.mark.parametrize("body", ["<html>", {"chart": {}}, {"quoteResponse": {"result": "x", "error": None}},
                                  {"quoteResponse": {"result": ["AAPL"], "error": None}},
                                  {"quoteResponse": {"result": None, "error": {"code": "Bad Request"}}}])
def test_an_answer_that_is_not_a_quote_response_says_so(body):
    with pytest.raises(parse.QuoteAnswerError):
        parse.items_of(body)


def test_an_answer_with_no_result_is_no_items():
    assert parse.items_of({"quoteResponse": {"result": None, "error": None}}) == []


def test_a_symbol_answered_twice_keeps_its_newest_quote_and_case_follows_the_ask():
    at = dt.datetime(2024, 6, 10, 15, 0)
    base = {"symbol": "BRK-B", "regularMarketPrice": 1.0, "currency": "USD", "regularMarketTime": 1718031000}
    newer = {**base, "regularMarketPrice": 2.0, "regularMarketTime": 1718031060}
    rows, failures = parse.rows_and_failures(["brk-b"], [base, newer, {**base, "symbol": "XXX"}], at, {})
    assert failures == [] and [(r["symbol"], r["price"]) for r in rows] == [("brk-b", 2.0)]


@pytest.mark.parametrize("patch", [{"regularMarketPrice": 0}, {"regularMarketPrice": float("nan")},
                                   {"regularMarketTime": None}, {"regularMarketPrice": "12.5"},
                                   {"regularMarketTime": 0}, {"currency": ""}, {"quoteType": "NONE"}])
def test_prices_that_are_not_positive_numbers_with_a_time_are_refused(patch):
    item = {"symbol": "A", "regularMarketPrice": 1.0, "currency": "USD", "regularMarketTime": 1718031000, **patch}
    assert isinstance(parse.to_row(item, dt.datetime(2024, 6, 10, 15)), parse.QuoteFailure)


SUMMARY = ("yahoo_json", "quotesummary_v10_wrapped_node-yahoo-finance2")


def summary(name: str) -> tuple[int, dict]:
    """(status, body) of one recorded v10 quoteSummary answer (recorded a week after the v7 ones)."""
    response = json.loads(shared_data(*SUMMARY, name).read_text())["response"]
    return response["status"], response["bodyJson"]


def test_v7_units_agree_with_yahoo_s_own_quote_summary():
    """The v10 quoteSummary states fractions where v7 states percent: the stored row follows v7's
    percent, so AAPL's 0.0041 (v10) is 0.41 (stored); the fundamentals agree within a week's drift."""
    status, body = summary("quoteSummary-all-AAPL.json")
    assert status == 200
    v10 = body["quoteSummary"]["result"][0]
    asked, items, at = recorded("quote-AAPL.json")
    [row] = parse.rows_and_failures(asked, items, at, {})[0]
    assert row["dividend_yield"] == pytest.approx(v10["summaryDetail"]["dividendYield"] * 100)
    assert row["eps_trailing"] == v10["defaultKeyStatistics"]["trailingEps"]
    assert row["book_value"] == v10["defaultKeyStatistics"]["bookValue"]
    assert row["market_cap"] == pytest.approx(v10["summaryDetail"]["marketCap"], rel=0.05)
    assert row["pe_trailing"] == pytest.approx(v10["summaryDetail"]["trailingPE"], rel=0.05)
    assert abs(v10["price"]["regularMarketChangePercent"]) < 0.05  # a fraction in v10, not percent


def test_london_is_pence_in_both_answers_and_delayed_the_same():
    _, body = summary("quoteSummary-all-OCDO.L.json")
    price = body["quoteSummary"]["result"][0]["price"]
    asked, items, at = recorded("quote-OCDO.L.json")
    [row] = parse.rows_and_failures(asked, items, at, {})[0]
    assert row["currency"] == price["currency"] == "GBp"
    assert row["price"] == pytest.approx(price["regularMarketPrice"], rel=0.05)  # 308.8 vs 309 pence, not pounds
    assert items[0]["exchangeDataDelayedBy"] == price["exchangeDataDelayedBy"] == 15


@pytest.mark.parametrize("symbol", ["QQQ", "BTC-USD", "GC=F", "0P000071W8.TO"])
def test_funds_etfs_futures_have_no_financial_data_in_v10_and_v7_still_quotes_them(symbol):
    status, body = summary(f"ERROR404_quoteSummary-financialData-{symbol}.json")
    assert status == 404 and body["quoteSummary"]["result"] is None
    name = {"QQQ": "quote-QQQ.json", "BTC-USD": "quote-BTC-USD.json", "GC=F": "quote-GC=F.json",
            "0P000071W8.TO": "quote-0P000071W8.TO.json"}[symbol]
    asked, items, at = recorded(name)
    [row] = parse.rows_and_failures(asked, items, at, {})[0]  # a price is enough for a row
    assert row["price"] > 0 and row["currency"] == ("CAD" if symbol.endswith(".TO") else "USD")


def test_a_quote_without_an_announced_delay_is_judged_by_the_clock_alone():
    at = dt.datetime(2024, 6, 10, 15, 0)
    item = {"symbol": "A", "regularMarketPrice": 1.0, "currency": "USD",
            "regularMarketTime": int((at - dt.timedelta(minutes=5, seconds=30)).replace(tzinfo=dt.UTC).timestamp())}
    rows, [stale] = parse.rows_and_failures(["A"], [item], at, {"A": True})
    assert rows == [] and stale.code == ErrorCode.YFSTALE


def test_a_penny_stock_is_a_price_and_a_stub_says_it_is_one():
    item = {"symbol": "A", "regularMarketPrice": 0.25, "currency": "USD", "regularMarketTime": 1718031000}
    assert parse.to_row(item, dt.datetime(2024, 6, 10, 15))["price"] == 0.25
    stub = parse.to_row({**item, "quoteType": "NONE"}, dt.datetime(2024, 6, 10, 15))
    assert stub.code == ErrorCode.YFNOQUOTE and "stub" in stub.message


def test_regular_hours_need_an_aware_instant():
    with pytest.raises(ValueError, match="timezone-aware"):
        freshness.open_session(dt.datetime(2024, 6, 10, 15), "XNYS")
    assert freshness.open_session(dt.datetime(2024, 6, 10, 15, tzinfo=dt.UTC), "XNYS") == dt.date(2024, 6, 10)
