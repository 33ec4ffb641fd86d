"""Which (market, day) pairs a run fetches: each market's own closed sessions (ADR 0019), pure."""

import datetime as dt

import pytest

from stock_assets.lib import calendar, market_sessions
from stock_assets.lib.market_sessions import SessionNotClosed

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
