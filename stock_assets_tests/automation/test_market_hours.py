"""Market hours and the nightly session, at chosen instants (pure, no Dagster)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from stock_assets.lib import market_hours

NY = ZoneInfo("America/New_York")


def at(y, m, d, hh, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=NY)


@pytest.mark.parametrize("now, is_open, words", [
    (at(2024, 6, 10, 11, 0), True, "open until 16:00"),
    (at(2024, 6, 10, 9, 29), False, "before the open"),
    (at(2024, 6, 10, 9, 30), True, "open"),
    (at(2024, 6, 10, 16, 0), False, "after the close"),
    (at(2024, 6, 8, 12, 0), False, "a weekend"),
    (at(2024, 7, 4, 12, 0), False, "XNYS holiday"),
    (at(2024, 11, 29, 12, 59), True, "open until 13:00"),
    (at(2024, 11, 29, 13, 0), False, "(early close)"),
])
def test_market_state(now, is_open, words):
    state = market_hours.market_state(now)
    assert state.is_open is is_open
    assert words in state.reason


def test_market_state_accepts_utc_and_refuses_naive():
    assert market_hours.market_state(dt.datetime(2024, 6, 10, 15, 0, tzinfo=dt.UTC)).is_open  # 11:00 ET
    with pytest.raises(ValueError, match="timezone-aware"):
        market_hours.market_state(dt.datetime(2024, 6, 10, 15, 0))


@pytest.mark.parametrize("now, session, words", [
    (at(2024, 6, 10, 16, 30), dt.date(2024, 6, 10), "closed: fetch it"),
    (at(2024, 11, 29, 16, 30), dt.date(2024, 11, 29), "early close"),
    (at(2024, 11, 28, 16, 30), None, "XNYS holiday"),
    (at(2024, 6, 8, 16, 30), None, "a weekend"),
    (at(2024, 6, 10, 12, 0), None, "has not closed yet"),
])
def test_nightly_session(now, session, words):
    state = market_hours.nightly_session(now)
    assert state.is_open is (session is not None)
    if session:
        assert state.session == session
    assert words in state.reason


def test_early_close_days():
    assert market_hours.is_early_close(dt.date(2024, 11, 29))
    assert market_hours.is_early_close(dt.date(2024, 7, 3))
    assert not market_hours.is_early_close(dt.date(2024, 6, 10))
    assert not market_hours.is_early_close(dt.date(2024, 7, 4))  # holiday: no session at all


def test_snapshot_bucket_is_one_key_per_slot():
    a = market_hours.snapshot_bucket(dt.datetime(2024, 6, 10, 14, 30, tzinfo=dt.UTC), 10)
    b = market_hours.snapshot_bucket(dt.datetime(2024, 6, 10, 14, 39, 59, tzinfo=dt.UTC), 10)
    c = market_hours.snapshot_bucket(dt.datetime(2024, 6, 10, 14, 40, tzinfo=dt.UTC), 10)
    assert a == b == "2024-06-10T14:30Z"
    assert c == "2024-06-10T14:40Z"
