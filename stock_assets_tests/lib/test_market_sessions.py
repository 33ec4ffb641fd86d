"""`market_sessions.plan`: each market is fetched only for its own sessions and only after its
own close (early closes included); a market still trading is pending, and a day no market in
use has closed yet is refused (ADR 0019). Pure: every moment is given."""

import datetime as dt

import pytest

from stock_assets.lib import calendar, market_sessions

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
