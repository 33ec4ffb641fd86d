"""`market_sessions.plan`: each market is fetched only for its own sessions and only after its
own close (early closes included); a market still trading is pending, and a day no market in
use has closed yet is refused (ADR 0019). Pure: every moment is given."""

import datetime as dt

import pytest

from stock_assets.lib import calendar, market_sessions
from stock_assets.lib.market_sessions import SessionNotClosed

D = dt.date


def _ny(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=calendar.NEW_YORK).astimezone(dt.UTC)


def test_after_the_nightly_cme_is_pending_and_the_others_are_fetched():
    day = D(2024, 6, 3)
    plan = market_sessions.plan([day], ["XNYS", "XLON", "CMES"], _ny(day, 16, 30))
    assert plan.sessions == {"XNYS": [day], "XLON": [day], "CMES": []}
    assert plan.pending == {"CMES": [day]}
    # exchange_calendars' CMES session closes at 17:00 CT = 18:00 ET
    assert market_sessions.plan([day], ["XNYS", "CMES"], _ny(day, 17, 59)).pending == {"CMES": [day]}
    assert market_sessions.plan([day], ["XNYS", "CMES"], _ny(day, 18, 0)).pending == {}


def test_each_market_only_on_its_own_sessions():
    days = [D(2024, 5, 6), D(2024, 11, 28)]  # UK bank holiday; US Thanksgiving
    plan = market_sessions.plan(days, ["XNYS", "XLON"], _ny(D(2024, 11, 29), 20))
    assert plan.sessions == {"XNYS": [D(2024, 5, 6)], "XLON": [D(2024, 11, 28)]}
    assert plan.all_sessions == days and plan.for_symbol("XLON") == [D(2024, 11, 28)]


def test_an_early_close_counts_and_a_day_nothing_has_closed_is_refused():
    black_friday = D(2024, 11, 29)  # NYSE closes 13:00 ET
    assert market_sessions.plan([black_friday], ["XNYS"], _ny(black_friday, 13, 5)).sessions == {"XNYS": [black_friday]}
    with pytest.raises(market_sessions.SessionNotClosed, match="has not closed yet on any market in use"):
        market_sessions.plan([black_friday], ["XNYS"], _ny(black_friday, 12, 55))
    with pytest.raises(market_sessions.SessionNotClosed, match="in the future"):
        market_sessions.plan([D(2024, 12, 25)], ["XNYS", "XLON"], _ny(D(2024, 12, 24), 20))


NY = calendar.NEW_YORK


def at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=NY)


def test_each_market_gets_its_own_closed_sessions_and_a_market_not_in_use_none():
    thanksgiving, friday = dt.date(2024, 11, 28), dt.date(2024, 11, 29)
    plan = market_sessions.plan([thanksgiving, friday], ["XNYS", "XLON"], at("2024-11-29", 18))
    assert plan.for_symbol("XNYS") == [friday]  # closed on Thanksgiving
    assert plan.for_symbol("XLON") == [thanksgiving, friday]
    assert plan.for_symbol("XETR") == []  # not in use: nothing to fetch, not an error
    assert plan.all_sessions == [thanksgiving, friday] and plan.pending == {}


def test_a_market_still_trading_is_pending_and_a_day_no_market_has_closed_is_refused():
    plan = market_sessions.plan([dt.date(2024, 6, 3)], ["XNYS", "XLON"], at("2024-06-03", 12))
    assert plan.for_symbol("XLON") == [dt.date(2024, 6, 3)] and plan.pending == {"XNYS": [dt.date(2024, 6, 3)]}
    with pytest.raises(SessionNotClosed, match="has not closed yet on any market in use") as err:
        market_sessions.plan([dt.date(2024, 6, 3)], ["XNYS"], at("2024-06-03", 12))
    assert err.value.day == dt.date(2024, 6, 3)


def test_a_day_that_is_no_markets_session_is_refused_until_it_is_over():
    saturday = dt.date(2024, 6, 8)
    with pytest.raises(SessionNotClosed, match="is in the future") as err:
        market_sessions.plan([saturday], ["XNYS"], at("2024-06-08", 12))
    assert err.value.day == saturday
    later = market_sessions.plan([saturday], ["XNYS"], at("2024-06-08", 16))
    assert later.all_sessions == [] and later.for_symbol("XNYS") == []
